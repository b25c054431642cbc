"""The structure of a ``mul`` node, for everything that turns one into array operations.

A ``mul`` node is an n-ary matrix-product chain in which scalar-shaped factors scale
(``ir/ops.py``).  NumPy has no such n-ary operation: with 1-D vectors (``shapes.py``:
vectors and row vectors are both ``(n,)`` arrays) the chain must be lowered to binary
steps, and the step depends on the operand kinds:

==================  ==================  =====================  =========
left                right               NumPy                  kind
==================  ==================  =====================  =========
matrix / row        matrix / vector     ``L @ R``              matmul
vector              row vector          ``np.outer(L, R)``     outer
scalar (either)     anything            ``L * R``              scale
==================  ==================  =====================  =========

The matrix product is associative, so any bracketing of the chain has the same value;
:func:`plan_product` picks a cheap one with the classic matrix-chain-order dynamic
program (Cormen et al., *Introduction to Algorithms*, §15.2), counting multiplications
with symbolic dimensions taken as equal and large.  So ``A*B*x`` becomes
``A @ (B @ x)``, and a scalar is applied to the smallest operand (``2*x*y'`` becomes
``np.outer(2 * x, y)``).  All scalar-shaped factors are multiplied together first, in
their order, and that product takes part in the chain as one factor in front.

:func:`split_factors` gives the textbook reading of a product that the printers use: a
leading numeric coefficient, the remaining factors in order, and the divisors (scalar
factors ``s^-k`` with a constant ``k > 0``, printed ``/s^k``).

Both the reference evaluator and the code generator (L2 siblings, which may not import
each other) use this module, so they lower products identically.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Literal, TypeVar

from ..shapes import Dim, Shape
from .build import const, power
from .nodes import Node

ProductKind = Literal["matmul", "outer", "scale"]

T = TypeVar("T")

SYMBOLIC_SIZE = 1000
"""The size assumed for a symbolic dimension when costing a bracketing."""

# The dynamic program is cubic in the chain length; beyond this the chain is simply
# bracketed left to right (still correct, and long chains are rare in practice).
_MAX_DP_FACTORS = 24


@dataclass(frozen=True, slots=True)
class Leaf:
    """Factor number ``index`` of the product (its position among the ``mul``'s args)."""

    index: int
    shape: Shape


@dataclass(frozen=True, slots=True)
class Pair:
    """One binary step: ``kind`` applied to the values of ``left`` and ``right``."""

    kind: ProductKind
    left: Plan
    right: Plan
    shape: Shape


Plan = Leaf | Pair


def pair_kind(left: Shape, right: Shape) -> ProductKind:
    """The array operation multiplying a ``left`` value by a ``right`` one (table above).

    Raises ``ValueError`` if the shapes do not chain (a programming error: a ``mul``
    node's operands always do).
    """
    if left.is_scalar or right.is_scalar:
        return "scale"
    if left.cols is None and right.rows is None:
        return "outer"
    if left.cols is None or right.rows is None or left.cols != right.rows:
        raise ValueError(f"cannot multiply {left} by {right}")
    return "matmul"


def pair_shape(left: Shape, right: Shape) -> Shape:
    """The shape of ``left * right`` under the ``mul`` rule (a scalar side scales)."""
    if left.is_scalar:
        return right
    if right.is_scalar:
        return left
    pair_kind(left, right)  # validates
    return Shape(left.rows, right.cols)


def _size(d: Dim | None) -> int:
    if d is None:
        return 1
    return d if isinstance(d, int) else SYMBOLIC_SIZE


def _elements(s: Shape) -> int:
    return _size(s.rows) * _size(s.cols)


def _cost(left: Shape, right: Shape) -> int:
    """Multiplications for one step: result entries times the inner dimension."""
    out = _elements(pair_shape(left, right))
    if pair_kind(left, right) == "matmul":
        return out * _size(left.cols)
    return out


def _join(left: Plan, right: Plan) -> Pair:
    return Pair(pair_kind(left.shape, right.shape), left, right,
                pair_shape(left.shape, right.shape))


def _left_to_right(items: Sequence[Plan]) -> Plan:
    acc = items[0]
    for item in items[1:]:
        acc = _join(acc, item)
    return acc


def _chain_order(items: Sequence[Plan]) -> Plan:
    """Cheapest bracketing of ``items`` (matrix-chain order; ties keep left-to-right)."""
    n = len(items)
    if n > _MAX_DP_FACTORS:
        return _left_to_right(items)
    best: dict[tuple[int, int], tuple[int, Plan]] = {(i, i): (0, items[i]) for i in range(n)}
    for length in range(2, n + 1):
        for i in range(n - length + 1):
            j = i + length - 1
            choice: tuple[int, Plan] | None = None
            # Try the split giving ((...)*last) first so that ties stay left-associative.
            for k in range(j - 1, i - 1, -1):
                lcost, lplan = best[(i, k)]
                rcost, rplan = best[(k + 1, j)]
                total = lcost + rcost + _cost(lplan.shape, rplan.shape)
                if choice is None or total < choice[0]:
                    choice = (total, _join(lplan, rplan))
            assert choice is not None
            best[(i, j)] = choice
    return best[(0, n - 1)][1]


def plan_product(shapes: Sequence[Shape]) -> Plan:
    """How to compute the product of factors with these ``shapes`` by binary steps.

    The scalar-shaped factors are multiplied first (left to right) into one scalar,
    which joins the non-scalar factors at the front of the chain; the chain is then
    bracketed by :func:`_chain_order`.  Leaves refer to positions in ``shapes``.
    """
    if not shapes:
        raise ValueError("a product needs at least one factor")
    return _plan_cached(tuple(shapes))


@lru_cache(maxsize=4096)
def _plan_cached(shapes: tuple[Shape, ...]) -> Plan:
    # Evaluation (finite differences evaluate the same nodes many times) and printing
    # ask for the same few chain shapes over and over.
    scalars: list[Plan] = [Leaf(i, s) for i, s in enumerate(shapes) if s.is_scalar]
    chain: list[Plan] = [Leaf(i, s) for i, s in enumerate(shapes) if not s.is_scalar]
    items = ([_left_to_right(scalars)] if scalars else []) + chain
    return _chain_order(items)


def fold_plan(plan: Plan, leaves: Sequence[T], combine: Callable[[ProductKind, T, T], T]) -> T:
    """Evaluate ``plan`` over ``leaves`` (indexed like the shapes it was planned from).

    ``combine(kind, left, right)`` performs one step; the left operand is always
    computed (and, for code, printed) before the right one.
    """
    # Iterative post-order: a long chain bracketed left to right is a deep plan.
    done: list[T] = []
    stack: list[tuple[Plan, bool]] = [(plan, False)]
    while stack:
        item, expanded = stack.pop()
        if isinstance(item, Leaf):
            done.append(leaves[item.index])
        elif expanded:
            right = done.pop()
            left = done.pop()
            done.append(combine(item.kind, left, right))
        else:
            stack += [(item, True), (item.right, False), (item.left, False)]
    return done[0]


@dataclass(frozen=True, slots=True)
class Factors:
    """A product read as a textbook writes it: ``coefficient * numerator / divisors``.

    ``coefficient`` is the value of a leading ``const`` factor (``None`` if the first
    factor is not a number); ``numerator`` holds the other factors in their order, minus
    the divisors; each divisor ``d`` stands for a factor ``d^-1``: a scalar factor
    ``s^-k`` (``k`` a positive constant) gives ``s`` when ``k = 1``, else ``s^k``.
    """

    coefficient: Fraction | None
    numerator: tuple[Node, ...]
    divisors: tuple[Node, ...]


def divisor(factor: Node) -> Node | None:
    """``d`` if the factor ``factor`` reads as ``/d`` (a scalar ``s^-k``, ``k > 0`` a
    constant: ``d = s`` for ``k = 1``, else ``s^k``), else ``None``."""
    if factor.op != "power" or not factor.shape.is_scalar:
        return None
    base, exponent = factor.args
    if exponent.op != "const" or exponent.attrs[0] >= 0:
        return None
    k: Fraction = -exponent.attrs[0]
    return base if k == 1 else power(base, const(k))


def split_factors(factors: Sequence[Node]) -> Factors:
    """Split a ``mul`` node's operands into coefficient, numerator and divisors."""
    coefficient: Fraction | None = None
    rest = list(factors)
    if rest and rest[0].op == "const":
        coefficient = rest.pop(0).attrs[0]
    numerator: list[Node] = []
    divisors: list[Node] = []
    for f in rest:
        d = divisor(f)
        if d is None:
            numerator.append(f)
        else:
            divisors.append(d)
    return Factors(coefficient, tuple(numerator), tuple(divisors))


__all__ = [
    "Factors",
    "Leaf",
    "Pair",
    "Plan",
    "ProductKind",
    "divisor",
    "fold_plan",
    "pair_kind",
    "pair_shape",
    "plan_product",
    "split_factors",
]
