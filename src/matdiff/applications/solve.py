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
  ``vec(L X R) = (R' ⊗ L) vec(X)``, Cookbook eq. 520).  Only left factors: ``M*X = C``,
  ``X = inv(M)*C``; only right factors: ``X = C*inv(N)``; one term: ``X =
  inv(L)*C*inv(R)``; several terms with factors on both sides: a (generalised) Sylvester
  equation, printed, not inverted.

A common numeric factor (the 2 of ``2*X'*X*w = 2*X'*y``) is cancelled.  Where ``G`` is
not affine the stationary condition ``G(w) = 0`` is printed and said to be nonlinear.
Every step is checked numerically at random values (:attr:`Solution.checks`).
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
from ..errors import EvaluationError, UnsupportedError
from ..evaluate import evaluate
from ..explain import Derivation, Step
from ..ir import build as b
from ..ir.nodes import Node
from ..printing import to_latex, to_text
from ..shapes import Dim
from ..simplify import simplify

Declarations = Mapping[str, str] | Sequence[str] | None
SOURCE = "seed 003 (least squares)"


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

    ``kind``: ``"closed form"``, ``"sylvester"`` (linear, both-sided), ``"nonlinear"``,
    ``"constant gradient"``.  ``equation`` (text) is ``lhs = rhs``; ``solution`` the
    closed form (``None`` when there is none) valid under ``condition``.
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
        """The closed-form solution's value for the given data (``X``, ``y``, ...)."""
        if self.solution is None:
            raise UnsupportedError(f"there is no closed form to evaluate ({self.kind})")
        env = {**(values or {}), **kwargs}
        return evaluate(self.solution, {k: np.asarray(v, dtype=float) for k, v in env.items()})

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
               condition: str | None = None, note: str = "") -> Solution:
        return Solution(self.expr, self.wrt, kind, self.g, lhs, rhs, solution, condition,
                        note, self.d, self.steps, self.checks)


def solve(expr: str, wrt: str, declare: Declarations = None, seed: int = 0) -> Solution:
    """Set the gradient of the scalar ``expr`` by ``wrt`` to zero and solve when linear.

    >>> solve("norm2(X*w - y)^2", "w").equation
    "X'*X*w = X'*y"
    """
    d = api.derivative(expr, wrt, declare=declare)
    if d.gradient is None:
        raise UnsupportedError(f"solve sets the gradient of a scalar function to zero; "
                               f"{expr.strip()} is a {d.function.shape.describe()}")
    work = _Work(expr, wrt, d, _Checker([d.function, d.gradient], d.variables, seed))
    g, v = work.g, work.v
    zero = b.zero(v.shape)
    dg = differential(g, v)
    dg = None if dg is None else simplify(dg)
    work.step(g, zero, "a stationary point: set the gradient to zero", SOURCE)
    if dg is None:
        return work.result("constant gradient", g, zero, note=(
            f"the gradient does not depend on {wrt}: {expr.strip()} is affine in {wrt}, "
            "stationary only where the gradient is identically 0"))
    if dg.contains(v):
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
        return _vector_case(work, hess, rhs)
    return _matrix_case(work, hess, rhs)


def _equation(work: _Work, c: Fraction, m: Node, side: str, rhs: Node,
              ) -> tuple[Node, Node, Node]:
    """``c*(m X) = rhs`` (``side``: where ``m`` multiplies): move the constant term,
    cancel ``c`` when the right side has it too, and check the equation is ``G = 0``
    (divided by ``c``) at a random value of the variable.  Returns (m, lhs, rhs)."""
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
    if c != 1 and rc == c:
        m, rhs = simplify(m), rrest
        work.step(lhs_of(m), rhs, f"divide both sides by {format(c)}")
    else:
        m, c = _scale(c, m), Fraction(1)
    lhs = lhs_of(m)
    env = dict(work.checker.env)
    env[work.wrt] = np.asarray(env[work.wrt]) + 0.5  # any value: the equation is G = 0
    work.checks.append(work.checker.error(_scale(c, simplify(b.sub(lhs, rhs))), work.g, env))
    return m, lhs, rhs


def _closed(work: _Work, lhs: Node, rhs: Node, solution: Node, condition: str | None,
            rule: str) -> Solution:
    work.step(work.v, solution, rule + (f" (if {condition})" if condition else ""), SOURCE)
    try:  # the solution makes the gradient vanish (at random data)
        env = dict(work.checker.env)
        env[work.wrt] = work.checker.value(solution)
        scale = float(np.max(np.abs(work.checker.value(rhs)))) + 1.0
        work.checks.append(float(np.max(np.abs(work.checker.value(work.g, env)))) / scale)
    except EvaluationError:
        pass  # singular at this random point; the symbolic steps stand
    return work.result("closed form", lhs, rhs, solution, condition)


def _vector_case(work: _Work, hess: api.Derivative, rhs: Node) -> Solution:
    h = hess.result
    if h is None:  # pragma: no cover - a vector's Hessian is a matrix
        raise UnsupportedError("the Hessian has no matrix form")
    v = work.v
    work.checks.append(work.checker.error(simplify(b.sub(b.mul(h, v), rhs)), work.g))
    c, m = _split(h)
    m, lhs, rhs = _equation(work, c, m, "left", rhs)
    if v.shape.is_scalar:
        if m.op == "const" and m.attrs[0] == 1:
            return _closed(work, lhs, rhs, rhs, None, "solved")
        sol = simplify(b.mul(b.power(m, b.const(-1)), rhs))
        return _closed(work, lhs, rhs, sol, f"{to_text(m)} != 0", f"divide by {to_text(m)}")
    if m.op == "eye":
        return _closed(work, lhs, rhs, rhs, None, "solved")
    sol = simplify(b.mul(b.apply("inv", m), rhs))
    return _closed(work, lhs, rhs, sol, f"{to_text(m)} invertible",
                   f"multiply on the left by inv({to_text(m)})")


def _matrix_case(work: _Work, hess: api.Derivative, rhs: Node) -> Solution:
    v, wrt = work.v, work.wrt
    kron = hess.kronecker
    if kron is None:
        return work.result("linear", work.g, b.zero(v.shape), note=(
            f"linear in {wrt} but not of the form sum A*{wrt}*B (it involves {wrt}' or "
            "elementwise products): the equation is printed as G = 0, without a closed "
            "form"))
    # vec(L X R) = (R' ⊗ L) vec(X): a term c (left ⊗ right) is c * right * X * left'
    terms = [(t.coefficient, t.right, simplify(b.transpose(t.left))) for t in kron.terms]
    linear = simplify(b.add(*(b.mul(b.const(c), *[x for x in (l_, v, r) if x.op != "eye"])
                              for c, l_, r in terms)))
    work.checks.append(work.checker.error(simplify(b.sub(linear, rhs)), work.g))
    if all(r.op == "eye" for _, _, r in terms):
        c, m = _split(simplify(b.add(*(b.mul(b.const(c), l_) for c, l_, _ in terms))))
        m, lhs, rhs = _equation(work, c, m, "left", rhs)
        if m.op == "eye":
            return _closed(work, lhs, rhs, rhs, None, "solved")
        sol = simplify(b.mul(b.apply("inv", m), rhs))
        return _closed(work, lhs, rhs, sol, f"{to_text(m)} invertible",
                       f"multiply on the left by inv({to_text(m)})")
    if all(l_.op == "eye" for _, l_, _ in terms):
        c, n = _split(simplify(b.add(*(b.mul(b.const(c), r) for c, _, r in terms))))
        n, lhs, rhs = _equation(work, c, n, "right", rhs)
        sol = simplify(b.mul(rhs, b.apply("inv", n)))
        return _closed(work, lhs, rhs, sol, f"{to_text(n)} invertible",
                       f"multiply on the right by inv({to_text(n)})")
    if len(terms) == 1:
        c, l_, r = terms[0]
        cl, l_ = _split(l_)
        c *= cl
        _, lhs, rhs = _equation(work, c, simplify(b.mul(l_, v, r)), "whole", rhs)
        if lhs.op == "mul" and lhs.args[0].op == "const":
            rhs = simplify(b.mul(b.const(1 / lhs.args[0].attrs[0]), rhs))
            lhs = simplify(b.mul(l_, v, r))
        sol = simplify(b.mul(b.apply("inv", l_), rhs, b.apply("inv", r)))
        return _closed(work, lhs, rhs, sol, f"{to_text(l_)} and {to_text(r)} invertible",
                       f"multiply on the left by inv({to_text(l_)}) and on the right by "
                       f"inv({to_text(r)})")
    c, rest = _split(linear)
    _, lhs, rhs = _equation(work, c, rest, "whole", rhs)
    kron_text = " + ".join(
        f"{'' if c == 1 else format(c) + ' '}{to_text(simplify(b.transpose(r)))} ⊗ "
        f"{to_text(l_)}" for c, l_, r in terms)
    return work.result("sylvester", lhs, rhs, note=(
        f"a Sylvester equation: {wrt} is multiplied on both sides, so there is no inverse "
        f"formula. In vec form: ({kron_text}) vec({wrt}) = vec({to_text(rhs)}) (Cookbook "
        f"eq. 520); for A*{wrt} + {wrt}*B = C use scipy.linalg.solve_sylvester"))
