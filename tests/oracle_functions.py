"""The functions of issue 13 for the independent oracle (``tests/oracle.py``), written
with torch alone (nothing of matdiff): not a test module.

Values are the oracle's internal tensors: a scalar is 0-D, a column vector ``(n, 1)``,
a row ``(1, n)``, a matrix ``(m, n)`` (a variable never has a dimension of size 1, so
the shapes are unambiguous).  A ``(1, 1)`` result (``sum(x, 1)`` of a column) is a
scalar, as in the language.

- ``sigmoid(u) = 1/(1 + exp(-u))``, ``softplus(u) = log(1 + exp(u))`` (elementwise;
  Goodfellow et al., *Deep Learning*, eqs. (3.30) and (3.31); Bishop, PRML eq. (4.59)).
- ``logsumexp(U) = log(sum(exp(U)))`` over all entries; ``logsumexp(X, 1)`` over each
  column (a 1 x n row), ``logsumexp(X, 2)`` over each row (an m x 1 column).
- ``softmax(x) = exp(x)/sum(exp(x))`` for a vector or a row (a matrix without a
  dimension is refused); ``softmax(X, 1)``: each column sums to 1; ``softmax(X, 2)``:
  each row (PRML eq. (4.104)).
- ``sum(X, 1|2)``, ``mean(U)``, ``mean(X, 1|2)``: MATLAB's dimension convention, 1
  reduces down the columns (a row), 2 across the rows (a column).
- ``kron(A, B)`` and ``vec(X)`` (column-stacking; The Matrix Cookbook sec. 10.2),
  ``pinv(X)`` (Moore-Penrose; sec. 3.6), ``adj(X) = det(X)*inv(X)`` (the adjugate,
  sec. 3.1, for an invertible X), ``trace`` = ``tr``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from oracle_parse import OracleUnsupported

Tensor = torch.Tensor

def sigmoid(u: Tensor) -> Tensor:
    return torch.sigmoid(u)


def softplus(u: Tensor) -> Tensor:
    # log(1 + exp(u)) = logaddexp(u, 0): exact at every u (F.softplus turns linear
    # above a threshold, which is a tiny but real change of the function).
    return torch.logaddexp(u, torch.zeros_like(u))


NEW_ELEMENTWISE: dict[str, Callable[[Tensor], Tensor]] = {
    "sigmoid": sigmoid, "softplus": softplus,
}


def _scalar_if_1x1(v: Tensor) -> Tensor:
    return v.reshape(()) if tuple(v.shape) == (1, 1) else v


def reduce_all(name: str, v: Tensor) -> Tensor:
    """``logsumexp(U)``, ``mean(U)``, ``softmax(u)`` (u a vector, a row or a scalar)."""
    if name == "logsumexp":
        return torch.logsumexp(v.reshape(-1), 0)
    if name == "mean":
        return v.mean()
    if name == "softmax":
        if v.dim() == 2 and 1 not in v.shape:
            raise OracleUnsupported("softmax of a matrix needs a dimension: "
                                      "softmax(X, 1) or softmax(X, 2)")
        return torch.softmax(v.reshape(-1), 0).reshape(v.shape)
    if name == "vec":
        return v if v.dim() == 0 else v.T.contiguous().reshape(-1, 1)
    if name == "pinv":
        if v.dim() == 0:
            return 1 / v
        return _scalar_if_1x1(torch.linalg.pinv(v))
    if name == "adj":
        if v.dim() != 2 or v.shape[0] != v.shape[1] or v.shape[0] == 1:
            raise OracleUnsupported(f"adj of shape {tuple(v.shape)}")
        return torch.linalg.det(v) * torch.linalg.inv(v)
    raise OracleUnsupported(f"unknown function {name}")


BY_DIMENSION = frozenset({"sum", "mean", "logsumexp", "softmax"})


def reduce_along(name: str, v: Tensor, dim: int) -> Tensor:
    """``name(X, dim)`` with MATLAB's ``dim``: 1 down the columns, 2 across the rows.
    A scalar is its own reduction (``sum(a, 1) = a``; ``softmax(a, 1) = 1``)."""
    if dim not in (1, 2):
        raise OracleUnsupported(f"{name}(X, {dim}): the dimension is 1 or 2")
    if name not in BY_DIMENSION:
        raise OracleUnsupported(f"{name} takes no dimension")
    if v.dim() == 0:
        v = v.reshape(1, 1)
    axis = dim - 1
    if name == "sum":
        out = v.sum(axis, keepdim=True)
    elif name == "mean":
        out = v.mean(axis, keepdim=True)
    elif name == "logsumexp":
        out = torch.logsumexp(v, axis, keepdim=True)
    else:
        out = torch.softmax(v, axis)
    return _scalar_if_1x1(out)


def kron(a: Tensor, b: Tensor) -> Tensor:
    """The Kronecker product; a scalar factor scales."""
    if a.dim() == 0 or b.dim() == 0:
        return a * b
    # By its definition, (A kron B)[i*p + k, j*q + l] = A[i, j]*B[k, l], with reshape (not
    # torch.kron, which views its operands: a transposed one fails under nested jacrev).
    (m, n), (p, q) = a.shape, b.shape
    blocks = a[:, None, :, None] * b[None, :, None, :]
    return _scalar_if_1x1(blocks.reshape(m * p, n * q))


ALIASES = {"trace": "tr"}
"""Names that are another function's second spelling."""

EXPANDING_OPERATORS = frozenset({"+", "-", ".*", "./"})
"""The operators in which MATLAB's implicit expansion applies (issue 13): an m x n
matrix with an m x 1 column repeats the column across the columns, with a 1 x n row
repeats the row down the rows.  ``.^`` keeps equal shapes (or a scalar)."""


def expandable(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Whether shapes ``a`` and ``b`` (both 2-D, different) combine by implicit
    expansion: one is a matrix (no axis of size 1) and the other its column or row."""
    def fits(m: tuple[int, ...], v: tuple[int, ...]) -> bool:
        if 1 in m:
            return False
        return v == (m[0], 1) or v == (1, m[1])

    return fits(a, b) or fits(b, a)


__all__ = ["ALIASES", "BY_DIMENSION", "EXPANDING_OPERATORS", "NEW_ELEMENTWISE", "expandable",
           "kron", "reduce_all", "reduce_along"]
