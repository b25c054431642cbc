"""Reductions by dimension, MATLAB's convention: ``sum(X, 1)``, ``mean(X, d)``,
``logsumexp(X, d)``, ``softmax(X, d)``.

Dimension 1 runs down each column (an m x n matrix gives a 1 x n row), dimension 2 across
each row (an m x 1 column); 0 here means every entry.  A dimension a value does not have
(the columns of a column vector) has extent one, so reducing over it changes nothing:
``sum(x, 2) = x``, ``sum(x, 1) = sum(x)`` for a column ``x`` (as MATLAB).

Only ``logsumexp`` and ``softmax`` are ops.  A sum by a dimension is a product with the
ones vector, the way the Cookbook and Bishop write it (``sum(X, 2) = X*1``,
``sum(X, 1) = 1'*X``), so every rule for products (differentials, adjoints, index forms,
simplification) applies unchanged; ``mean`` divides by the size of the reduced dimension,
the scalar ``sum(ones(n))`` (printed ``rows(X)`` / ``cols(X)`` / ``len(x)`` where that is
its name, and read back the same way).

Formulas (Bishop, PRML eq. 4.104 and 4.106; Boyd & Vandenberghe, Convex Optimization
sec. 3.1.5): ``logsumexp(x) = log(sum(exp(x)))``, ``softmax(x) = exp(x)/sum(exp(x))``,
``softmax(x) = exp(x - logsumexp(x))``.
"""

from __future__ import annotations

from fractions import Fraction

from ..shapes import Dim, Shape
from . import build as b
from .nodes import Node, make

REDUCTIONS = ("sum", "mean", "logsumexp", "softmax")
"""The functions that take a dimension (the surface names)."""


def reduced_slot(shape: Shape, dim: int) -> tuple[Dim | None, Dim | None]:
    """``(reduced, kept)``: the slot dimension ``dim`` reduces and the other one (``dim``
    0: both slots are reduced and ``kept`` is ``None``)."""
    if dim == 0:
        return None, None
    if dim == 1:
        return shape.rows, shape.cols
    return shape.cols, shape.rows


def reduced_shape(shape: Shape, dim: int) -> Shape:
    """The shape of ``sum(U, dim)``: a scalar for dim 0; the reduced slot emptied."""
    if dim == 0:
        return Shape(None, None)
    return Shape(None, shape.cols) if dim == 1 else Shape(shape.rows, None)


def ones(n: Dim, row: bool = False) -> Node:
    """The ones vector ``vector(1)`` of length ``n`` (its transpose when ``row``)."""
    return b.fill(1, Shape(None, n) if row else Shape(n, None))


def size(d: Dim) -> Node:
    """A dimension as a scalar: the number when it is fixed, else ``sum(ones(d))``."""
    if isinstance(d, int):
        return b.const(d)
    return b.apply("sum", ones(d))


def size_of(node: Node) -> Dim | None:
    """The dimension ``d`` when ``node`` is the size scalar ``sum(ones(d))``."""
    if node.op == "sum" and node.args[0].op == "fill" and node.args[0].attrs[0] == 1:
        s = node.args[0].shape
        if s.kind == "vector":
            return s.rows
    return None


def _mode(x: Node, dim: int) -> str:
    """``all`` (every entry: dim 0, or the only axis of a vector or row), ``none`` (the
    dimension has extent one: nothing to reduce) or ``matrix`` (one axis of a matrix)."""
    if dim == 0 or x.shape.kind in ("scalar", "vector", "row"):
        reduced, _ = reduced_slot(x.shape, dim)
        if dim != 0 and reduced is None:
            return "none"
        return "all"
    return "matrix"


def sum_dim(x: Node, dim: int) -> Node:
    """``sum(X, dim)``: ``1'*X`` (dim 1), ``X*1`` (dim 2), ``sum(X)`` (dim 0)."""
    mode = _mode(x, dim)
    if mode == "none" or x.shape.is_scalar:
        return x
    if mode == "all":
        return b.apply("sum", x)
    rows, cols = x.shape.rows, x.shape.cols
    assert rows is not None and cols is not None
    return b.mul(ones(rows, row=True), x) if dim == 1 else b.mul(x, ones(cols))


def count(x: Node, dim: int) -> Node | None:
    """The number of entries ``mean(X, dim)`` averages (``None``: one)."""
    s = x.shape
    dims = s.dims if dim == 0 else [d for d in (reduced_slot(s, dim)[0],) if d is not None]
    sizes = [size(d) for d in dims]
    if not sizes:
        return None
    if all(n.op == "const" for n in sizes):
        total = Fraction(1)
        for n in sizes:
            total *= n.attrs[0]
        return b.const(total)
    return b.mul(*sizes)


def mean(x: Node, dim: int) -> Node:
    """``mean(X, dim) = sum(X, dim)/n`` with ``n`` the size of what is averaged."""
    total = sum_dim(x, dim)
    n = count(x, dim)
    if n is None:
        return total
    if n.op == "const":
        return b.mul(b.const(1 / n.attrs[0]), total)
    return b.mul(total, b.power(n, b.const(-1)))


def logsumexp(x: Node, dim: int) -> Node:
    """``logsumexp(X, dim)``; over a dimension of extent one it is ``X`` itself."""
    mode = _mode(x, dim)
    if mode == "none" or x.shape.is_scalar:
        return x
    return make("logsumexp", (x,), (0 if mode == "all" else dim,))


def softmax(x: Node, dim: int) -> Node:
    """``softmax(X, dim)``; over a dimension of extent one every entry is 1.  A matrix
    with ``dim`` 0 (the softmax over all its entries, used by ``d logsumexp(X)``) is
    ``exp(X - logsumexp(X))``: the input language has no spelling for it."""
    mode = _mode(x, dim)
    if mode == "none" or x.shape.is_scalar:
        return b.fill(1, x.shape)
    if mode == "all" and x.shape.kind == "matrix":
        return b.apply("exp", b.sub(x, b.broadcast(logsumexp(x, 0), x.shape)))
    return make("softmax", (x,), (0 if mode == "all" else dim,))


def _is_ones(node: Node, kind: str) -> bool:
    return node.op == "fill" and node.attrs[0] == 1 and node.shape.kind == kind


def ones_reduction(factors: list[Node]) -> tuple[list[Node], Node, int, list[Node]] | None:
    """``(before, U, dim, after)`` when the array factors of a product (scalars aside) are
    ``before*U*vector(1)*after`` with ``U`` a matrix (``dim`` 2: ``sum(U, 2)``) or
    ``before*vector(1)'*U*after`` (``dim`` 1); ``U`` is the longest matrix-valued run next
    to the first ones vector that has one.  The sums by dimension, as a printer writes
    them (``u'*sum(A, 2)``, ``sum(P - Y, 1)*c``)."""
    arrays = [f for f in factors if not f.shape.is_scalar]
    for i, f in enumerate(arrays):
        if _is_ones(f, "vector") and i > 0:
            start = next((k for k in range(i) if arrays[k].shape.rows is not None), None)
            if start is not None and not _constant(arrays[start:i]):
                return arrays[:start], b.mul(*arrays[start:i]), 2, arrays[i + 1:]
        if _is_ones(f, "row") and i < len(arrays) - 1:
            end = next((j for j in range(len(arrays), i + 1, -1)
                        if arrays[j - 1].shape.cols is not None), None)
            if end is not None and not _constant(arrays[i + 1:end]):
                return arrays[:i], b.mul(*arrays[i + 1:end]), 1, arrays[end:]
    return None


def _constant(run: list[Node]) -> bool:
    """A run of constants (``vector(1)'*matrix(1)``) stays a product: as ``sum(matrix(1),
    1)`` its size would be lost to the printed text (the sizes of constants are decided
    on products, :mod:`..printing.sizes`)."""
    return all(f.op in ("fill", "eye", "broadcast") for f in run)


_ELEMENTWISE_OPS = frozenset({"hadamard", "ediv", "power", "add"})


def untranspose(node: Node) -> Node | None:
    """``V`` with ``V' = node`` when the transposes of ``node`` sit at its leaves and can
    all be taken out (``A' - B'`` gives ``A - B``; ``(C*D')'`` form products reversed);
    ``None`` when some part cannot be so rewritten.  For printing ``(P - Y)'*1`` as the
    textbook's ``sum(P - Y, 1)'``."""
    if node.shape.is_scalar:
        return node
    op = node.op
    if op == "transpose":
        return node.args[0]
    if op == "fill":
        return b.fill(node.attrs[0], node.shape.T)
    if op == "broadcast":
        return b.broadcast(node.args[0], node.shape.T)
    if op == "expand":  # (b*1')' = 1*b': the expanded vector goes along, transposed
        return b.expand(b.transpose(node.args[0]), node.shape.T)
    if op == "mul":  # (s*A*B)' = s*B'*A': scalars first, the rest reversed
        scalars = [a for a in node.args if a.shape.is_scalar]
        parts = [untranspose(a) for a in reversed(node.args) if not a.shape.is_scalar]
        if any(p is None for p in parts):
            return None
        return b.mul(*scalars, *(p for p in parts if p is not None))
    if op in _ELEMENTWISE_OPS or (node.spec.elementwise and len(node.args) == 1):
        parts = [untranspose(a) for a in node.args]
        if any(p is None for p in parts):
            return None
        return make(op, tuple(p for p in parts if p is not None), node.attrs)
    return None


BUILDERS = {"sum": sum_dim, "mean": mean, "logsumexp": logsumexp, "softmax": softmax}
