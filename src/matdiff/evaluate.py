"""The reference evaluator: any expression, in float64 NumPy, one table row per op.

Values follow the shape encoding of ``shapes.py``: a matrix is a 2-D array, a vector
*and* a row vector are 1-D arrays of their length, a scalar is a 0-d array.
:func:`evaluate` always returns a fresh ``numpy.ndarray`` of dtype float64 (a 0-d array
for a scalar; ``float(result)`` or ``result.item()`` gives the Python float).

Sizes of the leaves that have no value of their own (``eye``, ``vector(c)`` /
``matrix(c)``, a broadcast scalar) come from the inputs: :func:`dimension_sizes` matches
each variable's declared :class:`~matdiff.shapes.Shape` against its array's shape.  A
differential ``dX`` is an input too, looked up under the key ``"dX"`` (``"d" + name``),
so a derivation's linear map ``dX -> df`` can be checked numerically.

Semantics at the edges (the reference for every other numeric layer):

* ``logdet(X)`` is ``log(det(X))``: NaN when ``det(X) < 0``, ``-inf`` when it is 0
  (computed with ``slogdet`` for accuracy).
* ``step`` is Heaviside with ``step(0) = 0`` (the derivative of ``relu`` that matdiff
  uses); ``sign(0) = 0``; ``abs`` and ``relu`` as NumPy.
* ``sigmoid`` and ``softplus`` are finite for every finite argument (no ``exp`` overflow).
* Points where an elementwise function is undefined give NaN / inf as NumPy does
  (without warnings); a singular matrix passed to ``inv`` or to a negative ``matpow``
  raises :class:`~matdiff.errors.EvaluationError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import EvaluationError
from .ir.nodes import Node
from .ir.ops import ELEMENTWISE_FUNCTIONS
from .ir.products import ProductKind, fold_plan, plan_product
from .ir.tensor import Index, Tensor
from .shapes import Dim, DimConflict, Shape, complete_sizes, show_dim

Array = NDArray[np.float64]

__all__ = ["IMPLEMENTATIONS", "dimension_sizes", "evaluate", "evaluate_tensor", "input_key"]


def input_key(leaf: Node) -> str:
    """The ``env`` key of a ``var`` (its name) or a ``differential`` (``"d" + name``)."""
    name: str = leaf.attrs[0]
    return "d" + name if leaf.op == "differential" else name


class _Inputs:
    """The arrays of a node's leaves and the dimension sizes they fix."""

    def __init__(self, node: Node, env: Mapping[str, ArrayLike],
                 sizes: Mapping[Dim, int] | None):
        self.arrays: dict[str, Array] = {}
        self.sizes: dict[Dim, int] = dict(sizes or {})
        origin: dict[Dim, str] = {d: "the given sizes" for d in self.sizes}
        leaves = [n for n in node.walk() if n.op in ("var", "differential")]
        for leaf in sorted(leaves, key=input_key):
            key = input_key(leaf)
            if key in self.arrays:
                continue
            if key not in env:
                what = "variable" if leaf.op == "var" else "differential"
                raise EvaluationError(f"no value given for the {what} {key}")
            arr = _as_float_array(key, env[key])
            self._match(key, leaf.shape, arr, origin)
            self.arrays[key] = arr
        all_dims = [d for n in node.walk() for d in n.shape.dims]
        try:  # a product dimension (kron, vec) is the product of its factors' sizes
            complete_sizes(self.sizes, all_dims)
        except DimConflict as e:
            raise EvaluationError(
                f"the inputs disagree on the size of {show_dim(e.a)}: {e.b} from its "
                f"factors, {self.sizes[e.a]} from {origin.get(e.a, 'the given sizes')}"
            ) from None
        for n in node.walk():
            for d in n.shape.dims:
                if d in self.sizes:
                    continue
                if isinstance(d, int):
                    self.sizes[d] = d
                else:
                    raise EvaluationError(
                        f"the size of dimension {show_dim(d)} is not fixed by any input "
                        f"(it is needed by {_describe_leafish(node, d)}); pass it in sizes")

    def _match(self, key: str, shape: Shape, arr: Array, origin: dict[Dim, str]) -> None:
        dims = shape.dims
        expected = shape.describe()
        if arr.ndim != len(dims):
            raise EvaluationError(
                f"{key} is a {expected}, which needs a {len(dims)}-D array, "
                f"but its value has shape {arr.shape}")
        for d, actual in zip(dims, arr.shape, strict=True):
            if isinstance(d, int) and d != actual:
                raise EvaluationError(
                    f"{key} is a {expected} but its value has shape {arr.shape}")
            known = self.sizes.get(d)
            if known is None:
                self.sizes[d] = actual
                origin[d] = key
            elif known != actual:
                raise EvaluationError(
                    f"{key} is a {expected} but its value has shape {arr.shape}: "
                    f"{show_dim(d)} = {actual} here, but {show_dim(d)} = {known} "
                    f"from {origin.get(d, 'its declaration')}")


def _describe_leafish(node: Node, d: Dim) -> str:
    for n in node.walk():
        if d in n.shape.dims and n.op in ("eye", "fill", "broadcast", "expand"):
            return f"{n.op} of shape {n.shape}"
    return "the expression"  # pragma: no cover - every dim comes from some leaf


def _as_float_array(key: str, value: ArrayLike) -> Array:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise EvaluationError(f"the value of {key} is not a real array: {e}") from None
    return arr


def dimension_sizes(node: Node, env: Mapping[str, ArrayLike],
                    sizes: Mapping[Dim, int] | None = None) -> dict[Dim, int]:
    """The size of every dimension in ``node``'s shapes, fixed by the input arrays.

    Each ``var`` (and ``differential``, key ``"d" + name``) of ``node`` must have a value
    in ``env`` whose ``ndim`` is the number of axes of its shape and whose extents agree
    with the shape's integer dimensions and with each other.  A dimension that no input
    fixes is taken from ``sizes`` if given there (needed when ``node`` has no variable
    of that dimension, e.g. the gradient ``vector(1)`` of ``sum(x)``), else from its own
    value if it is an ``int``.  ``sizes`` must agree with the inputs.  Raises
    :class:`~matdiff.errors.EvaluationError` (naming the variable, the expected shape and
    the actual one) otherwise, or if a value is missing.
    """
    return dict(_Inputs(node, env, sizes).sizes)


# --- the table: one NumPy implementation per op ------------------------------------

Impl = Callable[[Node, Sequence[Array], "_Context"], Any]


class _Context:
    def __init__(self, inputs: _Inputs):
        self.inputs = inputs

    def dims(self, shape: Shape) -> tuple[int, ...]:
        return tuple(self.inputs.sizes[d] for d in shape.dims)


def _number(v: Fraction) -> float:
    """An exact number in float64: beyond its range it is ±inf (``1e300*1e300``), which
    every caller reports as not finite, never an OverflowError."""
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def _leaf_input(node: Node, args: Sequence[Array], ctx: _Context) -> Array:
    return ctx.inputs.arrays[input_key(node)]


def _combine(kind: ProductKind, left: Array, right: Array) -> Array:
    if kind == "matmul":
        return np.asarray(np.matmul(left, right))
    if kind == "outer":
        return np.outer(left, right)
    return np.asarray(left * right)


def _mul(node: Node, args: Sequence[Array], ctx: _Context) -> Array:
    return fold_plan(plan_product([a.shape for a in node.args]), args, _combine)


def _product(values: Sequence[Array]) -> Array:
    acc = values[0]
    for v in values[1:]:
        acc = acc * v
    return acc


def _linalg(fn: Callable[[Array], Any], what: str) -> Impl:
    def impl(node: Node, args: Sequence[Array], ctx: _Context) -> Any:
        try:
            return fn(args[0])
        except np.linalg.LinAlgError as e:
            raise EvaluationError(f"{what} is undefined here: {e}") from None
    return impl


def _matpow(node: Node, args: Sequence[Array], ctx: _Context) -> Any:
    k: int = node.attrs[0]
    return _linalg(lambda x: np.linalg.matrix_power(x, k), f"the matrix power ^{k}")(
        node, args, ctx)


def _logdet(x: Array) -> float:
    sign, logabs = np.linalg.slogdet(x)
    if sign < 0:
        return float("nan")  # log of a negative determinant is undefined
    return float(logabs)  # -inf when sign == 0


def _sigmoid(x: Array) -> Any:
    """``1/(1 + exp(-x))`` without overflow: ``exp(-|x|)`` only, split at 0 (the
    logistic function, Bishop, PRML eq. 4.59)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _unary(fn: Callable[[Array], Any]) -> Impl:
    return lambda node, args, ctx: fn(args[0])


def as_matrix(value: Array, shape: Shape) -> Array:
    """A value as a 2-D array by its slots: a vector is a column, a row a 1 x n."""
    kind = shape.kind
    if kind == "matrix":
        return value
    return np.reshape(value, (-1, 1) if kind == "vector" else (1, -1) if kind == "row"
                      else (1, 1))


def adjugate(x: Array) -> Array:
    """The adjugate (transposed cofactor matrix; Cookbook sec. 1.1) through the SVD
    ``X = U S V'``: ``adj(X) = det(U) det(V) V adj(S) U'`` with ``adj(S)_ii = prod_{j!=i}
    s_j`` (``adj(AB) = adj(B) adj(A)``, ``adj(Q) = det(Q) Q'`` for orthogonal ``Q``), so a
    singular X has its adjugate too, with no division by det(X)."""
    n = x.shape[0]
    if n == 1:
        return np.ones((1, 1))
    u, s, vt = np.linalg.svd(x)
    others = np.array([np.prod(np.delete(s, i)) for i in range(n)])
    sign = np.linalg.det(u) * np.linalg.det(vt)
    return np.asarray(sign * (vt.T * others) @ u.T)


_ELEMENTWISE: dict[str, Callable[[Array], Any]] = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "abs": np.abs, "sign": np.sign,
    "relu": lambda x: np.maximum(x, 0.0),
    "step": lambda x: np.heaviside(x, 0.0),
    # sigmoid, softplus: overflow-free (softplus(x) = log(exp(0) + exp(x)))
    "sigmoid": _sigmoid,
    "softplus": lambda x: np.logaddexp(0.0, x),
}
assert set(_ELEMENTWISE) == set(ELEMENTWISE_FUNCTIONS)

IMPLEMENTATIONS: dict[str, Impl] = {
    "var": _leaf_input,
    "differential": _leaf_input,
    "const": lambda node, args, ctx: np.float64(_number(node.attrs[0])),
    "fill": lambda node, args, ctx: np.full(ctx.dims(node.shape), _number(node.attrs[0])),
    "eye": lambda node, args, ctx: np.eye(ctx.dims(node.shape)[0]),
    "add": lambda node, args, ctx: sum(args[1:], start=args[0]),
    "mul": _mul,
    "hadamard": lambda node, args, ctx: _product(args),
    "ediv": lambda node, args, ctx: args[0] / args[1],
    "power": lambda node, args, ctx: np.power(args[0], args[1]),
    "matpow": _matpow,
    # .T reverses the axes: a matrix is transposed, 1-D and 0-d values are unchanged.
    "transpose": lambda node, args, ctx: np.transpose(args[0]),
    "broadcast": lambda node, args, ctx: np.full(ctx.dims(node.shape), args[0]),
    "sum": _unary(np.sum),
    "norm1": _unary(lambda x: np.sum(np.abs(x))),
    "norm2": _unary(np.linalg.norm),  # Frobenius for matrices, |a| for a scalar
    "tr": _unary(lambda x: x if x.ndim == 0 else np.trace(x)),
    "det": _unary(np.linalg.det),
    "logdet": _unary(_logdet),
    "inv": _linalg(np.linalg.inv, "the inverse"),
    "diagm": _unary(np.diag),
    "diagv": _unary(lambda x: np.diag(x).copy()),  # np.diag of a 2-D array is a view
    **{f: _unary(fn) for f, fn in _ELEMENTWISE.items()},
    # implicit expansion: a column across the columns (v[:, None]), a row down the rows
    "expand": lambda node, args, ctx: np.broadcast_to(
        args[0][:, None] if node.args[0].shape.kind == "vector" else args[0],
        ctx.dims(node.shape)).copy(),
    # kron, vec, reshape, pinv, adj
    "kron": lambda node, args, ctx: np.kron(*(as_matrix(a, n.shape) for a, n in zip(
        args, node.args, strict=True))).reshape(ctx.dims(node.shape)),
    "vec": _unary(lambda x: np.reshape(x, -1, order="F")),
    "reshape": lambda node, args, ctx: np.reshape(np.reshape(args[0], -1, order="F"),
                                                  ctx.dims(node.shape), order="F"),
    "pinv": _linalg(np.linalg.pinv, "the pseudo-inverse"),
    "adj": _linalg(lambda x: adjugate(x), "the adjugate"),
}
"""``op -> impl(node, argument values, context)``; every op of ``ir.ops.OPS`` has a row."""


# reduce: logsumexp and softmax, stable for any finite input: the largest entry is taken
# out before exp (logsumexp(x) = m + log(sum(exp(x - m))), m = max(x); Blanchard, Higham &
# Higham, "Accurately computing the log-sum-exp and softmax functions", IMA J. Numer.
# Anal. 2021).  Dim 1 reduces axis 0 (down each column), dim 2 axis 1, dim 0 every axis.

def _axis(node: Node, operand: Array) -> int | None:
    dim: int = node.attrs[0]
    return None if dim == 0 else dim - 1


def _logsumexp(node: Node, args: Sequence[Array], ctx: _Context) -> Array:
    z, axis = args[0], _axis(node, args[0])
    m = np.max(z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return np.asarray(out.reshape(()) if axis is None else np.squeeze(out, axis=axis))


def _softmax(node: Node, args: Sequence[Array], ctx: _Context) -> Array:
    z, axis = args[0], _axis(node, args[0])
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return np.asarray(e / np.sum(e, axis=axis, keepdims=True))


IMPLEMENTATIONS.update({"logsumexp": _logsumexp, "softmax": _softmax})


def evaluate(node: Node, env: Mapping[str, ArrayLike],
             sizes: Mapping[Dim, int] | None = None) -> NDArray[np.float64]:
    """The value of ``node`` with the variables bound to the arrays in ``env``.

    Returns a new float64 array with ``ndim == len(node.shape.dims)`` (0-d for a
    scalar).  Each distinct node of the DAG is computed once.  ``sizes`` gives
    dimensions that no input of ``node`` fixes (see :func:`dimension_sizes`).  Raises
    :class:`~matdiff.errors.EvaluationError` for a missing or mis-shaped input or a
    singular matrix where an inverse is needed.
    """
    ctx = _Context(_Inputs(node, env, sizes))
    values: dict[Node, Array] = {}
    with np.errstate(all="ignore"):
        for n in node.walk():  # children before parents, each distinct node once
            args = [values[a] for a in n.args]
            values[n] = np.asarray(IMPLEMENTATIONS[n.op](n, args, ctx), dtype=np.float64)
    return np.array(values[node], dtype=np.float64)  # a copy: inputs are never aliased


# --- index-form tensors ---------------------------------------------------------------

_EINSUM_LABELS = 52  # np.einsum's sublist format takes the labels 0..51


def _tensor_sizes(t: Tensor, env: Mapping[str, ArrayLike],
                  sizes: Mapping[Dim, int] | None) -> dict[Dim, int]:
    """Every dimension of ``t`` (factor shapes and output axes), fixed by the inputs of
    its factors, then ``sizes``, then integer dimensions themselves."""
    known: dict[Dim, int] = dict(sizes or {})
    leaves = {leaf for n in t.nodes() for leaf in n.walk()
              if leaf.op in ("var", "differential")}
    for leaf in sorted(leaves, key=input_key):
        known = dimension_sizes(leaf, env, known)
    needed = [d for n in t.nodes() for d in n.shape.dims] + [i.dim for i in t.indices]
    for d in needed:
        if d in known:
            continue
        if not isinstance(d, int):
            raise EvaluationError(f"the size of dimension {show_dim(d)} is not fixed by any "
                                  f"input of the tensor; pass it in sizes")
        known[d] = d
    return known


def evaluate_tensor(t: Tensor, env: Mapping[str, ArrayLike],
                    sizes: Mapping[Dim, int] | None = None) -> NDArray[np.float64]:
    """The value of the index-form tensor ``t``: ``T[o...] = sum_t c_t prod_f F_f[idx_f]``
    with every index that is not an output index summed (``ir/tensor.py``).

    Each factor node is computed by :func:`evaluate`; each term is one ``np.einsum``
    over the factors that have indices, times the scalar factors, and is broadcast over
    the output axes that none of its factors carries.  Returns a new float64 array whose
    shape is the sizes of ``t.indices`` (0-d for rank 0).  ``sizes`` fixes dimensions
    that no input does (an ``eye`` or all-ones factor, or an output axis nothing
    carries); raises :class:`~matdiff.errors.EvaluationError` as :func:`evaluate` does.
    """
    if len(set(t.indices)) != len(t.indices):
        raise EvaluationError("a tensor's output indices must be distinct")
    known = _tensor_sizes(t, env, sizes)
    shape = tuple(known[i.dim] for i in t.indices)
    values: dict[Node, Array] = {}
    total: Array = np.zeros(shape)
    with np.errstate(all="ignore"):
        for term in t.terms:
            labels: dict[Index, int] = {i: k for k, i in enumerate(t.indices)}
            scale: Array = np.asarray(_number(term.coefficient))
            operands: list[Any] = []
            for f in term.factors:
                if f.node not in values:
                    values[f.node] = evaluate(f.node, env, known)
                if not f.indices:
                    scale = scale * values[f.node]
                    continue
                operands += [values[f.node], [labels.setdefault(i, len(labels))
                                              for i in f.indices]]
            if len(labels) > _EINSUM_LABELS:
                raise EvaluationError(f"a term has {len(labels)} indices; einsum takes "
                                      f"at most {_EINSUM_LABELS}")
            carried = {i for f in term.factors for i in f.indices}
            kept = [i for i in t.indices if i in carried]
            value: Array = np.asarray(1.0)
            if operands:
                value = np.asarray(np.einsum(*operands, [labels[i] for i in kept],
                                             optimize=len(operands) // 2 >= 3))
            # axes of size 1 where no factor carries the output index: broadcast there
            value = value.reshape([known[i.dim] if i in carried else 1 for i in t.indices])
            total = total + scale * value
    return np.array(total, dtype=np.float64)


def check_point(variables: Mapping[str, Node], env: Mapping[str, ArrayLike]) -> None:
    """Every variable has a value of its shape, sizes agreeing between variables, else an
    :class:`EvaluationError`: ``x: expected a vector of length 3, got shape (2,)``."""
    missing = [n for n in variables if n not in env]
    if missing:
        raise EvaluationError(f"no value given for {', '.join(missing)} (the expression's "
                              f"variables: {', '.join(variables)})")
    known: dict[Dim, tuple[int, str]] = {}
    for name, v in variables.items():
        dims = v.shape.dims
        actual = np.shape(np.asarray(env[name], dtype=object))
        sizes = [d if isinstance(d, int) else known.get(d, (None, ""))[0] for d in dims]
        kind = v.shape.kind if v.shape.kind != "row" else "vector"
        if kind == "scalar":
            expected = "a scalar"
        elif kind == "vector":
            expected = "a vector" + (f" of length {sizes[0]}" if sizes[0] else "")
        else:
            expected = ("a matrix" if None in sizes else f"a {sizes[0]} x {sizes[1]} matrix")
        fits = len(actual) == len(dims) and all(
            s is None or s == a for s, a in zip(sizes, actual, strict=True))
        if not fits:
            why = [f"{d} = {known[d][0]} from {known[d][1]}" for d in dims
                   if d in known and not isinstance(d, int)]
            note = f" ({'; '.join(dict.fromkeys(why))})" if why else ""
            raise EvaluationError(f"{name}: expected {expected}{note}, got shape {actual}")
        for d, a in zip(dims, actual, strict=True):
            known.setdefault(d, (a, name))
