"""Matrix identities as a user-facing check (seed 000's trace properties and their kin).

``identity(lhs, rhs)`` brings ``lhs - rhs`` to matdiff's canonical form with the rewrite
engine, extended by the trace rules a derivation uses (seed 000): the cyclic property
(a trace of a product is written in its least rotation, or of its transpose's, property
2 with property 1), linearity (a trace of a sum is split, property 3) and the inner
product (``sum(H .* U) = tr(H'*U)``, property 5).  The identity is *proved* when that
form is zero, and it is *always* also evaluated on random instances that respect the
declarations: ``holds`` is the numbers' verdict, never the canonical form's alone, and a
false identity comes with a counterexample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ShapeError
from ..evaluate import evaluate
from ..ir import build as b
from ..ir.nodes import Node
from ..parse import Parsed, parse
from ..shapes import complete_sizes, is_product
from ..simplify import RULES, Rewrite, Simplifier, check_defined, simplify
from ..simplify.rule import Rule, procedure_rule
from ..testing import Array, choose_sizes, sample_point

Declarations = Mapping[str, str] | Sequence[str] | None
POINTS = 4
TOLERANCE = 1e-8


@dataclass(frozen=True)
class IdentityResult:
    """The verdict on ``lhs = rhs``.

    ``holds``: equal on every random instance (relative ``TOLERANCE``); ``proved``: the
    canonical form of ``lhs - rhs`` is 0; ``rules`` / ``identities``: the rewrite rules
    that fired (names, and the identity each states with its source); ``counterexample``:
    the inputs of an instance where the sides differ (None if they never do);
    ``difference``: the largest ``|lhs - rhs|`` seen over the instances.
    """

    lhs: str
    rhs: str
    holds: bool
    proved: bool
    rules: tuple[str, ...]
    identities: tuple[str, ...]
    counterexample: dict[str, Array] | None
    difference: float
    points: int

    def __bool__(self) -> bool:
        return self.holds


# --- the trace rules of seed 000, as rewrite rules ------------------------------------------

def _key(node: Node) -> str:
    return repr(node)


def _cyclic(node: Node) -> Node | None:
    """``tr(P1*...*Pk)``: the least rotation of the product or of its transpose."""
    product = node.args[0]
    if product.op != "mul":
        return None
    candidates: list[Node] = []
    transposed = simplify(b.transpose(product))
    for p in (product, transposed):
        factors = list(p.args) if p.op == "mul" else [p]
        for k in range(len(factors)):
            rotated = factors[k:] + factors[:k]
            try:
                candidates.append(b.apply("tr", b.mul(*rotated)))
            except ShapeError:  # a rotation that splits a scalar group: not a product
                continue
    best = min(candidates, key=_key)
    return None if best is node else best


def _split_sum(node: Node) -> Node | None:
    """``tr(U + V) = tr(U) + tr(V)``."""
    u = node.args[0]
    if u.op != "add":
        return None
    return b.add(*(b.apply("tr", t) for t in u.args))


def _inner(node: Node) -> Node | None:
    """``sum(H .* U) = tr(H'*U)`` (``h'*u`` for vectors) for two same-shape factors."""
    u = node.args[0]
    if u.op != "hadamard" or len(u.args) != 2:
        return None
    h, v = u.args
    if h.shape != v.shape or h.shape.kind not in ("vector", "matrix"):
        return None
    return b.inner(h, v)


def _scalar_transpose(node: Node) -> Node | None:
    """``s = s'`` for a scalar product of three or more factors (``x'*A'*y = y'*A*x``):
    the least of the two.  (Two factors: the rule ``mul-orient-inner`` decides.)"""
    numbers = [a for a in node.args if b.is_const(a)]
    factors = [a for a in node.args if not b.is_const(a)]
    if not node.shape.is_scalar or len(factors) < 3 or any(
            a.shape.is_scalar for a in factors):
        return None
    # (P1*...*Pk)' = Pk'*...*P1' (the transpose-scalar rule would just drop the ')
    product = b.mul(*factors)
    other = simplify(b.mul(*(b.transpose(a) for a in reversed(factors))))
    if min((product, other), key=_key) is product:
        return None
    return b.mul(*numbers, other) if numbers else other


SEED_000 = "seed 000, property"
EXTRA: tuple[Rule, ...] = (
    procedure_rule("trace-split", "tr", _split_sum, "tr(A + B) = tr(A) + tr(B)",
                   f"{SEED_000} 3"),
    procedure_rule("trace-cyclic", "tr", _cyclic,
                   "tr(A*B*C) = tr(C*A*B) = tr(B*C*A); tr(A*B) = tr((A*B)') = tr(B'*A')",
                   f"{SEED_000} 2 (with property 1)"),
    procedure_rule("sum-inner-product", "sum", _inner, "sum(H .* U) = tr(H'*U)",
                   f"{SEED_000} 5"),
    procedure_rule("scalar-transpose", "mul", _scalar_transpose,
                   "s = s' for a scalar s (x'*A*y = y'*A'*x)", "seed 002"),
)
# add-trace merges traces (the opposite of trace-split): left out of this rule set.
IDENTITIES = Simplifier([r for r in RULES if r.name != "add-trace"] + list(EXTRA))
_BY_NAME = {r.name: r for r in IDENTITIES.rules}


# --- the check --------------------------------------------------------------------------------

def _sides(lhs: str, rhs: str, declare: Declarations,
           strict: bool = False) -> tuple[Parsed, Node, Node]:
    """Both sides, read together so that their dimensions are unified."""
    left = parse(lhs, declare, strict=strict)  # errors point into each side
    right = parse(rhs, declare, strict=strict)
    for side in (left, right):  # (a-a)/(a-a) is no identity's side: it has no value
        check_defined(side.expr, side.sources, side.source)
    if left.expr.shape.kind != right.expr.shape.kind:  # a scalar would be broadcast
        raise ShapeError(f"the two sides have different shapes: {lhs.strip()} is a "
                         f"{left.expr.shape.kind}, {rhs.strip()} is a "
                         f"{right.expr.shape.kind}")
    try:
        both = parse(f"({lhs}) - ({rhs})", declare)
    except ShapeError:
        raise ShapeError(f"the two sides have different shapes: {lhs.strip()} is "
                         f"{left.expr.shape}, {rhs.strip()} is {right.expr.shape}") from None
    expr = both.expr
    if expr.op == "add" and expr.args[-1].op == "mul" and b.is_const(expr.args[-1].args[0], -1):
        first = b.add(*expr.args[:-1])
        second = b.mul(*expr.args[-1].args[1:])
        if b.add(first, b.neg(second)) is expr:
            return both, first, second
    if left.expr.shape != right.expr.shape:
        raise ShapeError(f"the two sides have different shapes: {lhs.strip()} is "
                         f"{left.expr.shape}, {rhs.strip()} is {right.expr.shape}")
    return both, left.expr, right.expr


def identity(lhs: str, rhs: str, declare: Declarations = None, seed: int = 0,
             points: int = POINTS, *, strict: bool = False) -> IdentityResult:
    """Whether ``lhs = rhs`` for all values of the variables (where both are defined);
    ``strict``: refuse undeclared names that the two sides do not determine."""
    both, left, right = _sides(lhs, rhs, declare, strict)
    record: list[Rewrite] = []
    difference = IDENTITIES.simplify(b.add(left, b.neg(right)), record=record)
    proved = b.is_zero(difference)
    names = tuple(dict.fromkeys(r.rule for r in record))
    stated = tuple(f"{_BY_NAME[n].identity} ({_BY_NAME[n].source})" for n in names)
    rng = np.random.default_rng(seed)
    variables = both.variables
    # Sizes 2..3: a counterexample small enough to read; fixed sizes stay.
    drawn = choose_sizes([both.expr, *variables.values()], rng)
    sizes = {d: (d if isinstance(d, int) else int(rng.integers(2, 4)))
             for d in drawn if not is_product(d)}
    complete_sizes(sizes, drawn)  # kron, vec: a product is its factors' product
    worst = 0.0
    counterexample: dict[str, Array] | None = None
    for _ in range(points):
        env = sample_point(both.expr, variables, sizes, rng)
        with np.errstate(all="ignore"):
            a = np.asarray(evaluate(left, env, sizes), dtype=float)
            c = np.asarray(evaluate(right, env, sizes), dtype=float)
        gap = float(np.max(np.abs(a - c))) if a.size else 0.0
        scale = max(1.0, float(np.max(np.abs(a))) if a.size else 0.0,
                    float(np.max(np.abs(c))) if c.size else 0.0)
        worst = max(worst, gap)
        if not gap <= TOLERANCE * scale and counterexample is None:
            counterexample = env
    return IdentityResult(lhs, rhs, counterexample is None, proved, names, stated,
                          counterexample, worst, points)
