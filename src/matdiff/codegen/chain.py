"""Product chains for fast code: the cheapest bracketing at the actual sizes, with
structured factors.

A ``mul`` node is an n-ary chain (``ir/products.py``).  For speed, three kinds of factor
are not multiplied as dense matrices:

* ``diag(v)`` (a diagonal matrix from a vector) is kept as its vector ``v`` and applied
  by broadcasting: ``diag(v)*A = v[:, None] * A``, ``A*diag(v) = A * v``,
  ``diag(v)*x = v * x``, ``diag(u)*diag(v) = diag(u .* v)``; a dense diagonal is made
  only when the whole chain is one (``np.diag(v)``);
* ``inv(A)`` next to an operand it is applied to is a solve:
  ``inv(A)*B = solve(A, B)`` and ``B*inv(A) = solve(A', B')'`` (one LU instead of an
  inverse and a product);
* a transposed matrix times a vector is written the vector's way round:
  ``A'*x = x @ A`` (the same value; XLA runs it 5-11x faster at n = 1000-3000, NumPy
  the same, /work/shared/notes/performance-facts.md).

The bracketing is the matrix-chain-order dynamic program (Cormen et al., §15.2) over
these kinds, with a cost of multiplications plus written entries, at the sizes given
(``dims``: dimension -> int; an unknown one counts as ``SYMBOLIC_SIZE``).  So
``2*(X - U*V')*V`` scales the n x k result, not the n x n factor, when k < n.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from ..ir.products import SYMBOLIC_SIZE
from ..shapes import Dim
from .array_code import ATOM, MUL, Code, _binop, _wrap

Sizes = Mapping[Dim, int]
_MAX_DP = 24  # longer chains (rare) are bracketed left to right
Call = Callable[..., str]
"""``call(key, *args)``: the code of a backend function call."""


@dataclass(frozen=True)
class Item:
    """One operand of a chain.  ``rows``/``cols`` are sizes (``None``: the slot is
    empty, as in ``Shape``); ``diag``: ``code`` is the diagonal of a diagonal matrix;
    ``inverse_of``: ``code`` is ``inv(A)`` and this is ``A``; ``transposed_of``:
    ``code`` is ``M.T`` and this is ``M``."""

    code: Code
    rows: int | None
    cols: int | None
    diag: bool = False
    inverse_of: Code | None = None
    transposed_of: Code | None = None

    @property
    def is_scalar(self) -> bool:
        return self.rows is None and self.cols is None

    @property
    def elements(self) -> int:
        return (self.rows or 1) * (self.cols or 1)


def size_of(d: Dim | None, dims: Sizes) -> int | None:
    """The size of a shape slot: ``None`` for an empty slot."""
    if d is None:
        return None
    if isinstance(d, int):
        return d
    return dims.get(d, SYMBOLIC_SIZE)


def step_cost(left: Item, right: Item) -> int:
    """Multiplications plus entries written, for one step."""
    if left.is_scalar or right.is_scalar:
        other = right if left.is_scalar else left
        return 2 * ((other.rows or 1) if other.diag else other.elements)
    if left.diag or right.diag:
        other = right if left.diag else left
        return 2 * ((other.rows or 1) if other.diag else other.elements)
    m, q = left.rows or 1, right.cols or 1
    if left.cols is None:  # outer product
        return 2 * m * q
    return left.cols * m * q + m * q


def _shape(left: Item, right: Item) -> tuple[int | None, int | None]:
    if left.is_scalar:
        return right.rows, right.cols
    if right.is_scalar:
        return left.rows, left.cols
    return left.rows, right.cols


def combine(left: Item, right: Item, call: Call) -> Item:
    """The item for ``left * right`` (code included); ``call("solve", a, b)`` prints a
    backend call."""
    rows, cols = _shape(left, right)
    if left.is_scalar or right.is_scalar:
        other = right if left.is_scalar else left
        return Item(_binop(left.code, "*", right.code, MUL), rows, cols, other.diag)
    if left.diag and right.diag:
        return Item(_binop(left.code, "*", right.code, MUL), rows, cols, True)
    if left.diag:
        if right.cols is None:
            return Item(_binop(left.code, "*", right.code, MUL), rows, cols)
        column = Code(_wrap(left.code, ATOM) + "[:, None]", ATOM)
        return Item(_binop(column, "*", right.code, MUL), rows, cols)
    if right.diag:
        return Item(_binop(left.code, "*", right.code, MUL), rows, cols)
    if left.cols is None:
        return Item(Code(call("outer", left.code.text, right.code.text), ATOM), rows, cols)
    if left.inverse_of is not None:
        return Item(Code(call("solve", left.inverse_of.text, right.code.text), ATOM),
                    rows, cols)
    if right.inverse_of is not None:
        a_t = _wrap(right.inverse_of, ATOM) + ".T"
        if left.rows is None:  # a row: x'*inv(A) = solve(A', x)'
            return Item(Code(call("solve", a_t, left.code.text), ATOM), rows, cols)
        l_t = _wrap(left.code, ATOM) + ".T"
        return Item(Code(call("solve", a_t, l_t) + ".T", ATOM), rows, cols)
    if left.transposed_of is not None and right.cols is None:
        return Item(_binop(right.code, "@", left.transposed_of, MUL), rows, cols)
    if right.transposed_of is not None and left.rows is None:
        return Item(_binop(right.transposed_of, "@", left.code, MUL), rows, cols)
    return Item(_binop(left.code, "@", right.code, MUL), rows, cols)


def _meta(item: Item) -> Meta:
    return item.rows, item.cols, item.diag


Meta = tuple[int | None, int | None, bool]


def chain_cost(metas: Sequence[Meta]) -> int:
    """The cost of the cheapest bracketing of operands ``(rows, cols, diag)``."""
    if len(metas) > _MAX_DP:
        return sum(2 * (r or 1) * (c or 1) ** 2 for r, c, _ in metas)
    return _plan(tuple(metas))[0]


@lru_cache(maxsize=4096)
def _plan(metas: tuple[Meta, ...]) -> tuple[int, object]:
    """The cheapest bracketing's cost and plan (a nested tuple of item positions)."""
    n = len(metas)
    leaf = [Item(Code("", ATOM), r, c, d) for r, c, d in metas]
    best: dict[tuple[int, int], tuple[int, object, Item]] = {
        (i, i): (0, i, leaf[i]) for i in range(n)}
    for length in range(2, n + 1):
        for i in range(n - length + 1):
            j = i + length - 1
            choice: tuple[int, object, Item] | None = None
            for k in range(j - 1, i - 1, -1):  # ties stay left-associative
                lc, lp, li = best[(i, k)]
                rc, rp, ri = best[(k + 1, j)]
                total = lc + rc + step_cost(li, ri)
                if choice is None or total < choice[0]:
                    rows, cols = _shape(li, ri)
                    diag = (li.diag or li.is_scalar) and (ri.diag or ri.is_scalar)
                    choice = (total, (lp, rp), Item(Code("", ATOM), rows, cols, diag))
            assert choice is not None
            best[(i, j)] = choice
    total, plan, _ = best[(0, n - 1)]
    return total, plan


def fold_chain(items: Sequence[Item], call: Call) -> Item:
    """The product of ``items`` (scalars first, multiplied together in their order), in
    the cheapest bracketing."""
    scalars = [it for it in items if it.is_scalar]
    chain = [it for it in items if not it.is_scalar]
    ordered: list[Item] = []
    if scalars:
        acc = scalars[0]
        for s in scalars[1:]:
            acc = combine(acc, s, call)
        ordered.append(acc)
    ordered += chain
    if len(ordered) > _MAX_DP:
        acc = ordered[0]
        for it in ordered[1:]:
            acc = combine(acc, it, call)
        return acc
    plan = _plan(tuple(_meta(it) for it in ordered))[1]

    def build(p: object) -> Item:
        if isinstance(p, int):
            return ordered[p]
        assert isinstance(p, tuple)
        return combine(build(p[0]), build(p[1]), call)

    return build(plan)


def dense(item: Item, call: Call) -> Item:
    """A diagonal item as the dense matrix (only when a whole chain is diagonal)."""
    if not item.diag or item.is_scalar:
        return item
    return replace(item, code=Code(call("diag", item.code.text), ATOM), diag=False)
