"""Solving ``df = 0``: stationary conditions and their closed forms (seed 003).

Seed 003, least squares: ``J = norm2(X*w - y)^2`` has ``dJ/dw = 2*X'*(X*w - y)``;
setting it to 0 gives the normal equation ``X'*X*w = X'*y`` and, if ``X'*X`` is
invertible, ``w = inv(X'*X)*X'*y``.

The general method: ``G(w)``, the gradient, is affine in ``w`` exactly when its
differential ``dG`` does not depend on ``w``.  Then ``G(w) = L(w) + G(0)`` with ``L``
linear, and ``G = 0`` is the linear equation ``L(w) = -G(0)``:

* a scalar or vector ``w``: ``L(w) = H*w`` with ``H`` the Hessian (constant here), so
  ``w = inv(H)*(-G(0))`` when ``H`` is invertible;
* a matrix ``X``: ``L(X) = sum_k c_k L_k*X*R_k`` (read off the Hessian's Kronecker form,
  ``vec(L X R) = (R' ⊗ L) vec(X)``, Cookbook eq. 520).  A factor ``s*eye`` (``s`` a
  scalar) commutes with ``X``, so it may stand on either side.  Only left factors:
  ``M*X = C``, ``X = inv(M)*C`` (a left inverse); only right factors: ``X*N = C``,
  ``X = C*inv(N)`` (ridge's ``U*(V'*V + lam*eye) = X*V``); one term: ``X =
  inv(L)*C*inv(R)``; several terms with factors on both sides: a (generalised) Sylvester
  equation, printed with its vec form, solved numerically by :meth:`Solution.at`.

A common numeric factor (the 2 of ``2*X'*X*w = 2*X'*y``) is cancelled, in the equation
and in its vec form alike.  Where ``G`` is not affine the stationary condition ``G(w) = 0``
is printed and said to be nonlinear; ``G`` is not affine when ``dG`` depends on ``w``, and
also when ``G`` depends on ``w`` through ``sign`` or ``step`` (``abs``, ``relu``, ``norm1``
have them as derivatives): their derivative vanishes almost everywhere, yet they jump, so
``G`` is piecewise constant, not constant.  A numeric test at random points (``G`` of a
midpoint is the mean of ``G``) backs the symbolic one.

Nothing is printed unverified (:func:`_verified`): at random data the equation equals
``G`` divided by the cancelled factor, the printed equation solved numerically (from its
own left side, :mod:`.solve_linear`), its vec form solved, and the closed form, each make
the gradient vanish.  Should any fail, only ``G = 0`` is printed, with a note saying so.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import api, testing
from ..diff import differential
from ..errors import EvaluationError, MatdiffError, UnsupportedError
from ..evaluate import check_point, evaluate
from ..explain import Derivation, Step
from ..ir import build as b
from ..ir.nodes import Node
from ..printing import to_latex, to_text
from ..shapes import Dim
from ..simplify import simplify
from .solve_linear import (
    TOLERANCE,
    LinearTerm,
    Unverified,
    solve_at,
    stationarity_error,
    variable_shape,
    verify,
)
from .solve_terms import divided, identity_scalar, kron_text, linear_terms, side_sum, term_node

Declarations = Mapping[str, str] | Sequence[str] | None
SOURCE = "seed 003 (least squares)"
PIECEWISE = ("sign", "step")
"""Elementwise functions whose derivative is 0 almost everywhere although they jump."""


def _split(node: Node) -> tuple[Fraction, Node]:
    """``c * rest`` with ``c`` the leading numeric factor (1 if none)."""
    if node.op == "mul" and node.args[0].op == "const":
        c: Fraction = node.args[0].attrs[0]
        rest = node.args[1:]
        return c, rest[0] if len(rest) == 1 else b.mul(*rest)
    if node.op == "add":
        parts = [_split(t) for t in node.args]
        c = parts[0][0]
        if c != 1 and all(p[0] == c for p in parts):
            return c, b.add(*(p[1] for p in parts))
    return Fraction(1), node


def _scale(c: Fraction, node: Node) -> Node:
    return simplify(node if c == 1 else b.mul(b.const(c), node))


@dataclass
class Solution:
    """The stationary condition of ``f`` in ``variable`` and, when linear, its solution.

    ``kind``: ``"closed form"``, ``"sylvester"`` (linear, both-sided), ``"linear"``
    (affine without a product form), ``"nonlinear"``, ``"piecewise"`` (through ``sign``
    or ``step``), ``"constant gradient"``.  ``equation`` (text) is ``lhs = rhs``, which
    is ``G = factor*(lhs - rhs)``; ``solution`` the closed form (``None`` when there is
    none) valid under ``condition``; ``terms`` the linear map as ``c*s*A*X*B`` terms.
    """

    expression: str
    variable: str
    kind: str
    gradient: Node
    lhs: Node
    rhs: Node
    solution: Node | None
    condition: str | None
    note: str
    derivative: api.Derivative
    steps: list[Step] = field(default_factory=list)
    checks: list[float] = field(default_factory=list)
    factor: Fraction = Fraction(1)
    terms: tuple[LinearTerm, ...] | None = None

    @property
    def equation(self) -> str:
        rhs = "0" if b.is_zero(self.rhs) else to_text(self.rhs)
        return f"{to_text(self.lhs)} = {rhs}"

    @property
    def equation_latex(self) -> str:
        rhs = "0" if b.is_zero(self.rhs) else to_latex(self.rhs)
        return f"{to_latex(self.lhs)} = {rhs}"

    @property
    def solution_text(self) -> str | None:
        return None if self.solution is None else f"{self.variable} = {to_text(self.solution)}"

    @property
    def text(self) -> str:
        lines = [f"d/d{self.variable} ({self.expression.strip()}) = "
                 f"{to_text(self.gradient)} = 0",
                 f"stationary condition: {self.equation}"]
        if self.solution is not None:
            cond = f"    (if {self.condition})" if self.condition else ""
            lines.append(f"solution: {self.solution_text}{cond}")
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text

    def derivation(self, lang: str = "en") -> Derivation:
        """The derivative's derivation (issue 5's explain) followed by the solve steps."""
        first = self.derivative.derivation("differential", lang)
        return Derivation("differential", first.lang, tuple(first.steps) + tuple(self.steps))

    def at(self, values: Mapping[str, ArrayLike] | None = None,
           **kwargs: ArrayLike) -> NDArray[np.float64]:
        """The stationary point for the given data (``X``, ``y``, ...): the closed form's
        value, else the linear equation solved numerically (a Sylvester solve, or its
        vec/Kronecker system); an :class:`EvaluationError` where it is singular."""
        if self.kind not in ("closed form", "sylvester", "linear"):
            raise UnsupportedError(f"there is no linear equation to solve ({self.kind}: "
                                   f"{self.note})")
        given = {**(values or {}), **kwargs}
        data = {k: n for k, n in self.derivative.variables.items() if k != self.variable}
        check_point(data, given)
        try:
            env = {k: np.asarray(given[k], dtype=float) for k in data}
        except (TypeError, ValueError) as e:
            raise EvaluationError(f"the values must be real numbers: {e}") from None
        v = self.derivative.variable
        sizes: dict[Dim, int] = {d: n for k, node in data.items()  # checked above
                                 for d, n in zip(node.shape.dims, env[k].shape, strict=True)}
        variable_shape(v, sizes)  # a clear error when nothing given fixes its size
        if self.solution is not None:
            try:
                x = evaluate(self.solution, env, sizes) * np.ones(variable_shape(v, sizes))
            except EvaluationError as e:
                raise EvaluationError(f"the closed form needs {self.condition}, which fails "
                                      f"at these values ({e})") from None
            if stationarity_error(self.gradient, v, x, env, sizes) > TOLERANCE:
                raise EvaluationError(  # ill-conditioned: a value, but not a solution
                    f"the closed form needs {self.condition}; at these values it is "
                    "(numerically) singular and gives no stationary point")
            return x
        return solve_at(self.lhs, self.rhs, v, self.terms, env, sizes)

    def _repr_latex_(self) -> str:
        sol = "" if self.solution is None else \
            f",\\quad {self.variable} = {to_latex(self.solution)}"
        return f"${self.equation_latex}{sol}$"

    def _repr_html_(self) -> str:
        rows = [("condition", self.equation_latex, "math")]
        if self.solution is not None:
            rows.append(("solution", f"{self.variable} = {to_latex(self.solution)}", "math"))
        if self.condition:
            rows.append(("if", self.condition, "text"))
        if self.note:
            rows.append(("note", self.note, "text"))
        body = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td>"
            + (f"\\({html.escape(v)}\\)" if how == "math" else html.escape(v))
            + "</td></tr>" for k, v, how in rows)
        steps = "".join(f"<li><code>{html.escape(s.text)}</code> — {html.escape(s.rule)}</li>"
                        for s in self.steps)
        fold = f"<details><summary>steps</summary><ol>{steps}</ol></details>" if steps else ""
        return f"<table class='matdiff-solve'>{body}</table>{fold}"


class _Checker:
    """Random values for every variable, to check each step numerically."""

    def __init__(self, nodes: list[Node], variables: Mapping[str, Node], seed: int = 0):
        rng = np.random.default_rng(seed)
        self.seed = seed
        self.sizes: dict[Dim, int] = testing.choose_sizes(nodes, rng)
        self.env = testing.sample_point(nodes[0], variables, self.sizes, rng)

    def value(self, node: Node, env: Mapping[str, Any] | None = None) -> NDArray[np.float64]:
        return evaluate(node, env or self.env, self.sizes)

    def error(self, a: Node, b_: Node, env: Mapping[str, Any] | None = None) -> float:
        return testing.relative_error(self.value(a, env), self.value(b_, env))


@dataclass
class _Work:
    """What the solve steps share: the problem, its gradient, the record of steps."""

    expr: str
    wrt: str
    d: api.Derivative
    checker: _Checker
    steps: list[Step] = field(default_factory=list)
    checks: list[float] = field(default_factory=list)
    factor: Fraction = Fraction(1)

    @property
    def v(self) -> Node:
        return self.d.variable

    @property
    def g(self) -> Node:
        assert self.d.gradient is not None
        return self.d.gradient

    def step(self, lhs: Node | str, rhs: Node, rule: str, source: str = "") -> None:
        lt = lhs if isinstance(lhs, str) else to_text(lhs)
        ll = lhs if isinstance(lhs, str) else to_latex(lhs)
        rt, rl = ("0", "0") if b.is_zero(rhs) else (to_text(rhs), to_latex(rhs))
        self.steps.append(Step(f"{lt} = {rt}", f"{ll} = {rl}", rule, source))

    def result(self, kind: str, lhs: Node, rhs: Node, solution: Node | None = None,
               condition: str | None = None, note: str = "", factor: Fraction = Fraction(1),
               terms: tuple[LinearTerm, ...] | None = None) -> Solution:
        return Solution(self.expr, self.wrt, kind, self.g, lhs, rhs, solution, condition,
                        note, self.d, self.steps, self.checks, factor, terms)


def _piecewise(node: Node, v: Node) -> bool:
    """``node`` depends on ``v`` through a function whose derivative is 0 a.e. but jumps."""
    return any(n.op in PIECEWISE and n.contains(v) for n in node.walk())


def _affine_numerically(work: _Work) -> bool:
    """``G((u + w)/2) = (G(u) + G(w))/2`` at random ``u``, ``w`` (the symbolic test's
    backstop); True where ``G`` is undefined at the points (nothing to say)."""
    env, name = work.checker.env, work.wrt
    u = np.asarray(env[name], dtype=float)
    rng = np.random.default_rng(1)
    w = u + rng.standard_normal(u.shape)
    if u.ndim == 2 and u.shape[0] == u.shape[1] and np.allclose(u, u.T):
        w = (w + w.T) / 2
    try:
        gu, gw, gm = (work.checker.value(work.g, {**env, name: x})
                      for x in (u, w, (u + w) / 2))
    except MatdiffError:
        return True
    if not all(np.all(np.isfinite(a)) for a in (gu, gw, gm)):
        return True
    return testing.relative_error(gm, (gu + gw) / 2, 1e-8) < 1e-7


def solve(expr: str, wrt: str, declare: Declarations = None, seed: int = 0, *,
          strict: bool = False) -> Solution:
    """Set the gradient of the scalar ``expr`` by ``wrt`` to zero and solve when linear.

    >>> solve("norm2(X*w - y)^2", "w").equation
    "X'*X*w = X'*y"
    """
    d = api.derivative(expr, wrt, declare=declare, strict=strict)
    if d.gradient is None:
        raise UnsupportedError(f"solve sets the gradient of a scalar function to zero; "
                               f"{expr.strip()} is a {d.function.shape.describe()}")
    try:
        checker = _Checker([d.function, d.gradient], d.variables, seed)
    except EvaluationError:
        raise EvaluationError(
            f"solve checks every answer numerically, and {expr.strip()} is not a finite "
            "number at any random point tried (an undefined constant such as 1/0 or "
            "log(0), or an overflow)") from None
    work = _Work(expr, wrt, d, checker)
    g, v = work.g, work.v
    zero = b.zero(v.shape)
    dg = differential(g, v)
    dg = None if dg is None else simplify(dg)
    work.step(g, zero, "a stationary point: set the gradient to zero", SOURCE)
    if _piecewise(g, v) or (dg is not None and _piecewise(dg, v)):
        return work.result("piecewise", g, zero, note=(
            f"not linear in {wrt}: the gradient depends on {wrt} through sign or step "
            f"(the derivatives of abs, relu, norm1), so it is only piecewise "
            f"{'constant' if dg is None or not dg.contains(v) else 'smooth'} and "
            f"G({wrt}) = 0 has no closed form here (solve it case by case, or numerically)"))
    if dg is None:
        return work.result("constant gradient", g, zero, note=(
            f"the gradient does not depend on {wrt}: {expr.strip()} is affine in {wrt}, "
            "stationary only where the gradient is identically 0"))
    if dg.contains(v) or not _affine_numerically(work):
        return work.result("nonlinear", g, zero, note=(
            f"not linear in {wrt}: the gradient's differential {to_text(dg)} depends on "
            f"{wrt}, so G({wrt}) = 0 has no closed form here (solve it numerically)"))
    g0 = simplify(g.substitute({v: zero}))
    work.steps.append(Step(
        f"G(0) = {to_text(g0)}", f"G(0) = {to_latex(g0)}",
        f"d({to_text(g)}) = {to_text(dg)} does not depend on {wrt}: the gradient is affine, "
        f"G({wrt}) = L({wrt}) + G(0) with L linear", ""))
    hess = api.derivative(expr, [wrt, wrt], declare=declare)
    rhs = simplify(b.neg(g0))
    if v.shape.kind in ("scalar", "vector"):
        return _verified(work, _vector_case(work, hess, rhs))
    return _verified(work, _matrix_case(work, hess, rhs))


def _equation(work: _Work, c: Fraction, m: Node, side: str, rhs: Node,
              ) -> tuple[Node, Node, Node]:
    """``c*(m X) = rhs`` (``side``: where ``m`` multiplies): move the constant term,
    cancel ``c`` when the right side has it too (``work.factor`` records what was
    cancelled: ``G = factor*(lhs - rhs)``).  Returns (m, lhs, rhs)."""
    v = work.v

    def lhs_of(factor: Node) -> Node:
        if factor.op == "eye":
            return v
        if side == "left":
            return simplify(b.mul(factor, v))
        if side == "right":
            return simplify(b.mul(v, factor))
        return factor  # "whole": m is already the linear expression

    work.step(lhs_of(_scale(c, m)) if side != "whole" else _scale(c, m), rhs,
              "move the constant term to the right side", SOURCE)
    rc, rrest = _split(rhs)
    if c != 1 and b.is_zero(rhs):  # c*M*X = 0 is M*X = 0
        rc, rrest = c, rhs
    if c != 1 and rc == c:
        m, rhs = simplify(m), rrest
        work.step(lhs_of(m), rhs, f"divide both sides by {format(c)}")
    else:
        m, c = _scale(c, m), Fraction(1)
    work.factor = c
    return m, lhs_of(m), rhs


def _nonzero(s: Node) -> bool:
    """A numeric constant other than 0 (its condition ``s != 0`` goes without saying)."""
    return s.op == "const" and s.attrs[0] != 0


def _inverse(m: Node) -> tuple[Node | None, Node | None, str | None]:
    """``(inv(m), s, condition)``: ``s`` set when ``m = s*eye`` (then ``inv`` is None and
    the inverse is ``1/s``); all None for ``eye``."""
    ident, s = identity_scalar(m)
    if ident:
        return None, s, None if s is None or _nonzero(s) else f"{to_text(s)} != 0"
    return b.apply("inv", m), None, f"{to_text(m)} invertible"


def _closed(work: _Work, lhs: Node, rhs: Node, solution: Node, condition: str | None,
            rule: str, terms: tuple[LinearTerm, ...] | None = None) -> Solution:
    work.step(work.v, solution, rule + (f" (if {condition})" if condition else ""), SOURCE)
    return work.result("closed form", lhs, rhs, solution, condition, factor=work.factor,
                       terms=terms)


def _one_sided(work: _Work, m: Node, rhs: Node, side: str, lhs: Node,
               terms: tuple[LinearTerm, ...] | None = None) -> Solution:
    """``m*X = rhs`` (side "left") or ``X*m = rhs`` (side "right") solved."""
    inverse, s, condition = _inverse(m)
    if inverse is None and s is None:
        return _closed(work, lhs, rhs, rhs, None, "solved", terms)
    if inverse is None:
        assert s is not None
        sol = simplify(b.mul(b.power(s, b.const(-1)), rhs))
        return _closed(work, lhs, rhs, sol, condition, f"divide by {to_text(s)}", terms)
    sol = simplify(b.mul(inverse, rhs) if side == "left" else b.mul(rhs, inverse))
    return _closed(work, lhs, rhs, sol, condition,
                   f"multiply on the {side} by inv({to_text(m)})", terms)


def _vector_case(work: _Work, hess: api.Derivative, rhs: Node) -> Solution:
    h = hess.result
    if h is None:  # pragma: no cover - a vector's Hessian is a matrix
        raise UnsupportedError("the Hessian has no matrix form")
    v = work.v
    c, m = _split(h)
    m, lhs, rhs = _equation(work, c, m, "left", rhs)
    if v.shape.is_scalar:
        if m.op == "const" and m.attrs[0] == 1:
            return _closed(work, lhs, rhs, rhs, None, "solved")
        sol = simplify(b.mul(b.power(m, b.const(-1)), rhs))
        return _closed(work, lhs, rhs, sol, None if _nonzero(m) else f"{to_text(m)} != 0",
                       f"divide by {to_text(m)}")
    return _one_sided(work, m, rhs, "left", lhs)


def _matrix_case(work: _Work, hess: api.Derivative, rhs: Node) -> Solution:
    v, wrt = work.v, work.wrt
    terms = linear_terms(hess)
    if terms is None:
        props = sorted(v.attrs[1] & {"symmetric", "spd", "diagonal"})
        why = (f"{wrt} is declared {props[0]}, so the gradient is projected onto such "
               "matrices" if props else f"it involves {wrt}' or elementwise products")
        return work.result("linear", work.g, b.zero(v.shape), note=(
            f"linear in {wrt} but not of the form sum A*{wrt}*B ({why}): the equation "
            "is printed as G = 0, without a closed form; .at() solves it numerically"))
    for side, absent in (("left", "right"), ("right", "left")):
        if all(getattr(t, absent) is None for t in terms):
            dim = v.shape.rows if side == "left" else v.shape.cols
            assert dim is not None  # a matrix variable
            c, m = _split(side_sum(terms, side, dim))
            m, lhs, rhs = _equation(work, c, m, side, rhs)
            return _one_sided(work, m, rhs, side, lhs, divided(terms, work.factor))
    c, rest = _split(simplify(b.add(*(term_node(t, v) for t in terms))))
    _, lhs, rhs = _equation(work, c, rest, "whole", rhs)
    final = divided(terms, work.factor)
    if len(final) == 1:
        t = final[0]  # both factors present: a one-sided term was solved above
        assert t.left is not None and t.right is not None
        scale = simplify(b.mul(b.const(t.coefficient), *([t.scalar] if t.scalar else [])))
        sol = simplify(b.mul(b.power(scale, b.const(-1)), b.apply("inv", t.left), rhs,
                             b.apply("inv", t.right)))
        cond = f"{to_text(t.left)} and {to_text(t.right)} invertible" + (
            f", {to_text(t.scalar)} != 0" if t.scalar is not None else "")
        return _closed(work, lhs, rhs, sol, cond,
                       f"multiply on the left by inv({to_text(t.left)}) and on the right "
                       f"by inv({to_text(t.right)})", final)
    vec_text = " + ".join(kron_text(t, v) for t in final)
    return work.result("sylvester", lhs, rhs, note=(
        f"a Sylvester equation: {wrt} is multiplied on both sides, so there is no inverse "
        f"formula. In vec form: ({vec_text}) vec({wrt}) = vec({to_text(rhs)}) (Cookbook "
        f"eq. 520); .at() solves it numerically (scipy.linalg.solve_sylvester for "
        f"A*{wrt} + {wrt}*B = C)"), factor=work.factor, terms=final)


def _verified(work: _Work, sol: Solution) -> Solution:
    """``sol`` when every printed claim passes :func:`.solve_linear.verify`, else only
    ``G = 0`` with a note saying why nothing more is printed."""
    d = work.d
    try:
        work.checks.extend(verify(d.function, work.g, work.v, d.variables, sol.lhs, sol.rhs,
                                  sol.factor, sol.solution, sol.terms, work.checker.seed))
        return sol
    except Unverified as e:
        reason = str(e)
    zero = b.zero(work.v.shape)
    return Solution(work.expr, work.wrt, "linear", work.g, work.g, zero, None, None,
                    f"linear in {work.wrt}, but {reason}: only G = 0 is printed",
                    d, work.steps[:1], work.checks)
