"""Rewrites for speed before printing: distribute a product over a sum when that is
cheaper at the actual sizes.

``(A + A')*x`` costs a matrix sum and a product; ``A*x + A'*x`` two matrix-vector
products and no n x n temporary.  ``(X - U*V')*V`` with ``V`` n x k costs O(n^2 k) and an
n x n temporary; ``X*V - U*(V'*V)`` O(n^2 k + n k^2) and none.  Which is cheaper depends
on the sizes, so :func:`lower` compares :func:`cost` (multiplications plus entries
written, :mod:`.chain`'s model) of both and keeps the cheaper by a margin.  A sum that
is used more than once (a shared subexpression) is left alone: it is computed once.
The rewrite is distributivity, exact in real arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from ..errors import ShapeError
from ..ir import build as b
from ..ir.cse import shared_subexpressions
from ..ir.nodes import Node, make
from .chain import Meta, Sizes, chain_cost, size_of

_MARGIN = 0.9  # distribute only when at least 10% cheaper: keep the textbook form
_MAX_TERMS = 6

_CUBIC = frozenset({"inv", "det", "logdet", "matpow"})


def _elements(node: Node, dims: Sizes) -> int:
    out = 1
    for d in node.shape.dims:
        out *= size_of(d, dims) or 1
    return out


def _meta(node: Node, dims: Sizes) -> Meta:
    if node.op == "diagm":
        n = size_of(node.shape.rows, dims)
        return n, n, True
    return size_of(node.shape.rows, dims), size_of(node.shape.cols, dims), False


def cost(node: Node, dims: Sizes, memo: dict[Node, int] | None = None) -> int:
    """Estimated work for ``node`` as a tree: multiplications plus entries written."""
    memo = {} if memo is None else memo
    for n in node.walk():
        if n in memo:
            continue
        below = sum(memo[a] for a in n.args)
        if n.is_leaf or n.op == "transpose":
            own = 0
        elif n.op == "mul":
            own = chain_cost([_meta(a, dims) for a in n.args])
            below -= sum(memo[a] - memo[a.args[0]] for a in n.args if a.op == "diagm")
        elif n.op in _CUBIC:
            k = size_of(n.args[0].shape.rows, dims) or 1
            own = k ** 3
        else:
            own = _elements(n, dims) * max(1, len(n.args)) + _elements(n.args[0], dims)
        memo[n] = below + own
    return memo[node]


def product(factors: Sequence[Node]) -> Node:
    """``b.mul`` with the numeric factors folded into one leading coefficient."""
    flat = b.mul(*factors)
    if flat.op != "mul":
        return flat
    value = Fraction(1)
    rest: list[Node] = []
    for a in flat.args:
        if a.op == "const":
            value *= a.attrs[0]
        else:
            rest.append(a)
    if value == 0:
        return b.zero(flat.shape)
    if not rest:
        return b.const(value)
    return b.mul(*rest) if value == 1 else b.mul(b.const(value), *rest)


def lower(roots: Sequence[Node], dims: Sizes) -> list[Node]:
    """``roots`` with products distributed over sums where that is cheaper."""
    shared = set(shared_subexpressions(roots, lambda n: n.op == "add"))
    memo: dict[Node, Node] = {}
    costs: dict[Node, int] = {}

    def distribute(node: Node) -> Node:
        best = node
        best_cost = cost(node, dims, costs)
        for i, a in enumerate(node.args):
            if (a.op != "add" or a in shared or a.shape.is_scalar
                    or len(a.args) > _MAX_TERMS):
                continue
            try:
                parts = []
                for t in a.args:
                    p = product([*node.args[:i], t, *node.args[i + 1:]])
                    parts.append(distribute(p) if p.op == "mul" else p)
                candidate = b.add(*parts)
            except ShapeError:  # e.g. a term that is a scalar: no product chain to split
                continue
            if candidate.shape != node.shape:
                continue
            c = cost(candidate, dims, costs)
            if c < _MARGIN * best_cost:
                best, best_cost = candidate, c
        return best

    def visit(root: Node) -> Node:
        for n in root.walk():
            if n in memo:
                continue
            args = tuple(memo[a] for a in n.args)
            m = n if args == n.args else _rebuild(n, args)
            memo[n] = distribute(m) if m.op == "mul" and m not in shared else m
        return memo[root]

    return [visit(r) for r in roots]


def _rebuild(node: Node, args: tuple[Node, ...]) -> Node:
    if node.op == "add":
        return b.add(*args)
    if node.op == "mul":
        return product(args)
    return make(node.op, args, node.attrs)
