"""The differential method (seeds 001 and 002): ``df = d f``, the differential rules,
the trace tricks, and the identification ``df = tr(G' dX)``.

The steps are read from the records the engines keep: ``diff.differential(..., trace)``
names the differential rule applied at every node, ``diff.transpose_linear(..., trace)``
the adjoint rule (trace property) that moves ``dX`` to the end of every term, and the
rewrite record of ``simplify`` the algebra that tidies a line.  Every line is checked on
random instances (:mod:`.check`) before it becomes a :class:`~.steps.Step`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..diff import transpose_linear
from ..evaluate import evaluate_tensor
from ..ir import build as b
from ..ir.matrix_form import to_matrix
from ..ir.nodes import Node
from ..ir.ops import OPS
from ..ir.tensor import KroneckerForm, Tensor
from ..printing import to_latex, to_text
from ..shapes import Dim
from ..simplify import present, simplify
from ..testing import Array, Structure, finite_difference_jacobian
from .check import FINITE, STEPS, Checker, Env, Value, node_value
from .rules import ADJOINT_RULES, DIFFERENTIAL_RULES, NOT_CHECKED, joined
from .steps import Step

MAX_TERMS = 24
"""Above this many terms a differential is shown as the engine built it, undistributed."""


class OptionsLike(Protocol):
    @property
    def layout(self) -> str: ...
    @property
    def symmetric_gradient(self) -> str: ...


class DerivativeLike(Protocol):
    """What a derivation reads from :class:`matdiff.api.Derivative`."""

    @property
    def function(self) -> Node: ...
    @property
    def wrt_variables(self) -> tuple[Node, ...]: ...
    @property
    def variables(self) -> dict[str, Node]: ...
    @property
    def tensors(self) -> tuple[Tensor, ...]: ...
    @property
    def order(self) -> int: ...
    @property
    def options(self) -> OptionsLike: ...
    @property
    def gradient(self) -> Node | None: ...
    @property
    def result(self) -> Node | None: ...
    @property
    def text(self) -> str: ...
    @property
    def latex(self) -> str: ...
    @property
    def kronecker(self) -> KroneckerForm | None: ...
    @property
    def kronecker_text(self) -> str | None: ...
    @property
    def kronecker_latex(self) -> str | None: ...
    @property
    def permutation(self) -> list[int]: ...
    def evaluate(self, env: Mapping[str, Array],
                 sizes: Mapping[Dim, int] | None = None) -> Array: ...


def structure_of(variable: Node, symmetric_gradient: str) -> Structure:
    """As ``api._structure``: how a variable's gradient is constrained."""
    props: frozenset[str] = variable.attrs[1]
    if variable.shape.kind == "matrix":
        if "diagonal" in props:
            return "diagonal"
        if props & {"symmetric", "spd"}:
            return "cookbook" if symmetric_gradient == "cookbook" else "symmetrized"
    return "general"


# --- lines -------------------------------------------------------------------------------

@dataclass
class Lines:
    """The steps built so far, in one language."""

    lang: str
    steps: list[Step] = field(default_factory=list)
    checker: Checker | None = None
    """The checker of the lines being added: a check it could not make marks the next
    line ``checked=False``."""

    def add(self, text: str, latex: str, rules: Sequence[str] = ()) -> None:
        name, source = joined(list(rules), self.lang) if rules else ("", "")
        step = Step(text, latex, name, source)
        if self.checker is not None and self.checker.take_unchecked():
            step = _unchecked(step, self.lang)
        self.steps.append(step)

    def equation(self, lhs: tuple[str, str] | None, rhs: Node | tuple[str, str],
                 rules: Sequence[str] = ()) -> None:
        """``lhs = rhs`` (``lhs`` None: a continuation line ``= rhs``)."""
        if isinstance(rhs, Node):
            rhs = present(rhs)  # as the result prints: (X*w - y)', not w'*X' - y'
        rt, rl = (to_text(rhs), to_latex(rhs)) if isinstance(rhs, Node) else rhs
        if lhs is None and self.steps and self.steps[-1].text.endswith(f"= {rt}"):
            if self.checker is not None and self.checker.take_unchecked():
                self.steps[-1] = _unchecked(self.steps[-1], self.lang)
            return  # the same equation again (a rule that changed nothing visible)
        lt, ll = lhs if lhs is not None else ("", "")
        self.add(f"{lt} = {rt}".lstrip(), f"{ll} = {rl}".lstrip(), rules)


def _unchecked(step: Step, lang: str) -> Step:
    if not step.checked:
        return step
    note = f"[{NOT_CHECKED[lang]}]"
    rule = f"{note} {step.rule}" if step.rule else note
    return Step(step.text, step.latex, rule, step.source, False)


def d_of(node: Node) -> tuple[str, str]:
    """``d tr(A*X)`` / ``d(x'*A*x)`` as text and LaTeX."""
    t = to_text(node)
    call = OPS[node.op].arity == 1 and t.endswith(")") and t.startswith(node.op)
    text = f"d {t}" if node.is_leaf or call else f"d({t})"
    return text, rf"\mathrm{{d}}\left({to_latex(node)}\right)"


def d_name(node: Node, name: str = "f") -> tuple[str, str]:
    """``df`` (scalar), ``dy`` (vector), ``dF`` (matrix) as text and LaTeX."""
    kind = node.shape.kind
    n = name if kind == "scalar" else ("y" if kind in ("vector", "row") else "F")
    return f"d{n}", rf"\mathrm{{d}}{n}"


# --- expansion ---------------------------------------------------------------------------

def expand(node: Node, direction: Node, limit: int = MAX_TERMS) -> list[Node]:
    """``node`` (linear in ``direction``) as a list of terms: sums are distributed out of
    products and linear operations wherever the direction occurs."""
    if not node.contains(direction):
        return [node]
    if node.op == "add":
        return [t for a in node.args for t in expand(a, direction, limit)]
    if node.op in ("mul", "hadamard"):
        combine = b.mul if node.op == "mul" else b.hadamard
        out: list[list[Node]] = [[]]
        for a in node.args:
            parts = expand(a, direction, limit) if a.contains(direction) else [a]
            out = [[*prefix, p] for prefix in out for p in parts]
            if len(out) > limit:
                return [node]
        return [combine(*f) for f in out]
    if node.op == "ediv" and not node.args[1].contains(direction):
        return [b.ediv(t, node.args[1]) for t in expand(node.args[0], direction, limit)]
    if len(node.args) == 1 and OPS[node.op].linear == "all":
        return [_unary(node, t) for t in expand(node.args[0], direction, limit)]
    return [node]


def _unary(node: Node, arg: Node) -> Node:
    if node.op == "transpose":
        return b.transpose(arg)
    if node.op == "broadcast":
        return b.broadcast(arg, node.attrs[0])
    if node.op == "expand":
        return b.expand(arg, node.attrs[0])
    if node.op == "reshape":  # reshape's sizes are attributes; vec folds a vector
        return b.reshape(arg, node.shape)
    if node.op == "vec":
        return b.vec(arg)
    return b.apply(node.op, arg)


def tidy_terms(terms: Sequence[Node], direction: Node) -> list[Node]:
    """Each term simplified on its own (like terms are not collected across terms),
    then split again; terms that vanish are dropped."""
    out: list[Node] = []
    for t in terms:
        for u in expand(simplify(t), direction):
            if not b.is_zero(u):
                out.append(u)
    return out


def differential_rules(trace: Sequence[tuple[str, Node]]) -> list[str]:
    """The rules in the order a reader applies them: outermost operation first."""
    return [DIFFERENTIAL_RULES.get(op, "d-elementwise") for op, _ in reversed(trace)]


# --- the trace tricks --------------------------------------------------------------------

def paired(g: Node, dx: Node) -> Node:
    """``<G, dX>`` as a textbook writes it: ``tr(G'*dX)``, ``g'*dx``, ``g*dx``; for
    ``G = M'`` it is ``tr(M*dX)`` (not ``tr(M''*dX)``)."""
    if g.op == "transpose" and dx.shape.kind == "matrix":
        return b.apply("tr", b.mul(g.args[0], dx))
    return b.inner(g, dx)


def _rotated(term: Node, dx: Node) -> Node | None:
    """``tr(P*dX*Q) -> tr(Q*P*dX)`` and ``tr(P*dX'*Q) -> tr(dX'*Q*P)`` (cyclic property),
    or None when the term is not a trace of a product with ``dX`` as a factor."""
    if term.op != "tr" or term.args[0].op != "mul":
        return None
    factors = list(term.args[0].args)
    dxt = b.transpose(dx)
    for k, f in enumerate(factors):
        if f is dx and k != len(factors) - 1:
            return b.apply("tr", b.mul(*factors[k + 1:], *factors[:k + 1]))
        if f is dxt and k != 0:
            return b.apply("tr", b.mul(*factors[k:], *factors[:k]))
    return None


@dataclass(frozen=True)
class Pairing:
    """The terms of ``df`` brought to ``<G_i, dX>``, and the rules that did it."""

    rotated: list[Node] | None
    gradients: list[Node]
    rules: list[str]


def pair_terms(terms: Sequence[Node], dx: Node) -> Pairing:
    rotations = [_rotated(t, dx) for t in terms]
    rotated = ([r if r is not None else t for r, t in zip(rotations, terms, strict=True)]
               if any(r is not None for r in rotations) else None)
    gradients: list[Node] = []
    trace: list[tuple[str, Node]] = []
    for t in terms:
        gradients.append(simplify(transpose_linear(t, dx, trace)))
    rules = [_adjoint_rule(op, node, dx) for op, node in trace if op in ADJOINT_RULES]
    if rotated is not None:  # the line before did the rotations
        rules = [r for r in rules if r != "cyclic"]
    if dx.shape.kind != "matrix":  # no trace: a scalar is its own transpose (seed 002)
        rules = [r for r in rules if r in ("inner-product",)] + ["scalar-transpose"]
    return Pairing(rotated, gradients, rules or ["double-transpose"])


def _adjoint_rule(op: str, node: Node, dx: Node) -> str:
    """The trace property an adjoint application uses: a scalar factor moves into the
    trace (property 4), a product that already ends in ``dX`` needs no rotation (only
    ``M = (M')'``), any other product is rotated (property 2)."""
    if op == "mul":
        inner = next((a for a in node.args if a.contains(dx)), None)
        if inner is not None and inner.shape.is_scalar:
            return "trace-scaling"
        if node.args[-1] is dx:
            return "double-transpose"
    return ADJOINT_RULES[op]


# --- evaluation helpers -------------------------------------------------------------------

def mixed_matrix(t: Tensor, function: Node) -> Node | None:
    """The mixed-layout matrix form of ``t`` (as ``ir.layout.matrix_slots`` for mixed)."""
    if t.rank > 2:
        return None
    if t.rank == 2:
        node = to_matrix(t, t.indices[0], t.indices[1])
    elif t.rank == 1:
        row = function.shape.kind == "row" and len(function.shape.dims) == 1
        node = to_matrix(t, None, t.indices[0]) if row else to_matrix(t, t.indices[0], None)
    else:
        node = to_matrix(t, None, None)
    return None if node is None else simplify(node)


def tensor_value(t: Tensor) -> Value:
    def value(env: Env, sizes: Mapping[Dim, int]) -> Array:
        with np.errstate(all="ignore"):
            return evaluate_tensor(t, env, sizes)
    return value


def check_jacobian(checker: Checker, actual: Value, of: Value, structure: Structure,
                   what: str) -> None:
    """``actual`` (mixed layout) is the full derivative of ``of`` by the checker's
    variable, entry by entry (finite differences in every direction the structure
    allows, at each step of :data:`.check.STEPS` until one agrees)."""
    def attempts(env: Env) -> Iterator[tuple[Array, Array, float]]:
        def f(x: Array) -> Array:
            return of({**env, checker.name: x}, checker.sizes)
        got = actual(env, checker.sizes)
        base = of(env, checker.sizes)
        floor = 1e-4 * max(1.0, float(np.max(np.abs(base))) if base.size else 1.0)
        for step in STEPS:
            yield got, finite_difference_jacobian(f, env[checker.name], structure, step), floor
    checker.verify(attempts, what, FINITE)


def contracted(t_value: Value, key: str) -> Value:
    """The tensor applied to the direction: ``sum_j T[..., j] E[j]``."""
    def value(env: Env, sizes: Mapping[Dim, int]) -> Array:
        e = np.asarray(env[key], dtype=float)
        return np.tensordot(t_value(env, sizes), e, axes=e.ndim) if e.ndim else \
            t_value(env, sizes) * e
    return value


def kron_value(k: KroneckerForm, key: str) -> Value:
    """``d vec(F) = sum c (L ⊗ R) vec(dX)`` (columns stacked), as ``vec(dF)``."""
    def as2d(node: Node, v: Array) -> Array:
        kind = node.shape.kind
        if kind == "scalar":
            return v.reshape(1, 1)
        if kind == "vector":
            return v.reshape(-1, 1)
        if kind == "row":
            return v.reshape(1, -1)
        return v

    def value(env: Env, sizes: Mapping[Dim, int]) -> Array:
        e = np.asarray(env[key], dtype=float)
        vec_e = e.reshape(-1, order="F") if e.ndim == 2 else e.reshape(-1)
        total: Array | None = None
        for term in k.terms:
            left = as2d(term.left, node_value(term.left)(env, sizes))
            right = as2d(term.right, node_value(term.right)(env, sizes))
            part = float(term.coefficient) * (np.kron(left, right) @ vec_e)
            total = part if total is None else total + part
        assert total is not None
        return total
    return value


def vec_of(value: Value) -> Value:
    def v(env: Env, sizes: Mapping[Dim, int]) -> Array:
        a = np.asarray(value(env, sizes), dtype=float)
        return a.reshape(-1, order="F") if a.ndim == 2 else a.reshape(-1)
    return v


def sum_value(nodes: Sequence[Node]) -> Value:
    values = [node_value(n) for n in nodes]

    def value(env: Env, sizes: Mapping[Dim, int]) -> Array:
        total: Array = np.asarray(sum(v(env, sizes) for v in values), dtype=float)
        return total
    return value

