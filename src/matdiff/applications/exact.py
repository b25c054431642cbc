"""Exact evaluation in rational arithmetic, for values printed as a textbook would.

Seed 000 evaluates ``∇f = (2x, 2y, 2z)`` at ``(1, -2, 5)`` and writes ``(2, -4, 10)``, not
``(2.0, -4.0, 10.0)``.  When every input is an exact number (a ``Fraction``) and the
expression uses only rational operations (``+ - * /``, integer powers, transpose, trace,
sums, ``diag``, ``abs``, ``det`` and ``inv`` by exact elimination), :func:`exact_value`
computes the value exactly on NumPy object arrays of ``Fraction``; for anything else
(``exp``, ``sqrt``, a fractional power, a singular inverse) it returns ``None`` and the
caller falls back to the float64 reference evaluator.  Shapes follow ``evaluate.py``: a
matrix is 2-D, vectors and rows 1-D, a scalar 0-d.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..ir.nodes import Node
from ..ir.products import ProductKind, fold_plan, plan_product
from ..shapes import Dim

Obj = NDArray[Any]


class Inexact(Exception):
    """The value is not a rational function of the inputs (or is undefined)."""


def _arr(v: Any) -> Obj:
    return np.asarray(v, dtype=object)


def _combine(kind: ProductKind, left: Obj, right: Obj) -> Obj:
    if kind == "matmul":
        return _arr(np.matmul(left, right)) if left.ndim or right.ndim else _arr(left * right)
    if kind == "outer":
        return _arr(np.multiply.outer(left, right))
    return _arr(left * right)


def _power(base: Obj, exponent: Obj) -> Obj:
    def one(b: Fraction, e: Fraction) -> Fraction:
        if e.denominator != 1:
            raise Inexact("fractional power")
        if b == 0 and e < 0:
            raise Inexact("0 to a negative power")
        return Fraction(b) ** int(e)
    return _arr(np.vectorize(one, otypes=[object])(base, exponent))


def _ediv(a: Obj, b: Obj) -> Obj:
    if any(v == 0 for v in np.asarray(b).flat):
        raise Inexact("division by zero")
    return _arr(a / b)


def _solve_exact(m: Obj) -> tuple[Fraction, Obj]:
    """Determinant and inverse of a square Fraction matrix by Gauss-Jordan elimination."""
    n = m.shape[0]
    a = [[Fraction(m[i, j]) for j in range(n)] + [Fraction(int(i == j)) for j in range(n)]
         for i in range(n)]
    det = Fraction(1)
    for c in range(n):
        pivot = next((r for r in range(c, n) if a[r][c] != 0), None)
        if pivot is None:
            return Fraction(0), _arr(np.zeros((n, n), dtype=object))
        if pivot != c:
            a[c], a[pivot] = a[pivot], a[c]
            det = -det
        p = a[c][c]
        det *= p
        a[c] = [v / p for v in a[c]]
        for r in range(n):
            if r != c and a[r][c] != 0:
                f = a[r][c]
                a[r] = [v - f * w for v, w in zip(a[r], a[c], strict=True)]
    inv = _arr([[a[i][n + j] for j in range(n)] for i in range(n)])
    return det, inv


def _det(x: Obj) -> Obj:
    return _arr(_solve_exact(x)[0])


def _inv(x: Obj) -> Obj:
    det, inv = _solve_exact(x)
    if det == 0:
        raise Inexact("singular matrix")
    return inv


def _matpow(node: Node, x: Obj) -> Obj:
    k: int = node.attrs[0]
    base = _inv(x) if k < 0 else x
    out = _arr(np.eye(x.shape[0], dtype=int).astype(object) * Fraction(1))
    for _ in range(abs(k)):
        out = _arr(np.matmul(out, base))
    return out


def _sign(v: Fraction) -> Fraction:
    return Fraction((v > 0) - (v < 0))


def _elementwise(f: Callable[[Fraction], Fraction]) -> Callable[[Obj], Obj]:
    def apply(x: Obj) -> Obj:
        if x.ndim:
            return _arr(np.vectorize(f, otypes=[object])(x))
        return _arr(f(Fraction(x.item())))
    return apply


def _sigmoid(v: Fraction) -> Fraction:
    """``sigmoid(0) = 1/2``; at any other rational the logistic function is irrational."""
    if v != 0:
        raise Inexact("sigmoid of a nonzero number")
    return Fraction(1, 2)


_UNARY: dict[str, Callable[[Obj], Obj]] = {
    "transpose": lambda x: _arr(np.transpose(x)),
    "sum": lambda x: _arr(sum(x.flat, Fraction(0))),
    "norm1": lambda x: _arr(sum((abs(v) for v in x.flat), Fraction(0))),
    "tr": lambda x: x if x.ndim == 0 else _arr(sum(np.diagonal(x), Fraction(0))),
    "det": _det,
    "inv": _inv,
    "diagm": lambda x: _arr(np.diag(x)),
    "diagv": lambda x: _arr(np.diagonal(x).copy()),
    "abs": _elementwise(abs),
    "sign": _elementwise(_sign),
    "relu": _elementwise(lambda v: max(v, Fraction(0))),
    "step": _elementwise(lambda v: Fraction(int(v > 0))),
    # sigmoid: exact at 0 only (softplus(0) = log(2) is irrational: never exact)
    "sigmoid": _elementwise(_sigmoid),
}


def exact_value(node: Node, env: Mapping[str, Any],
                sizes: Mapping[Dim, int]) -> Obj | None:
    """The exact value of ``node`` (object array of Fractions) or ``None`` when some input
    is not exact or some operation is not rational.  ``sizes`` gives every dimension."""
    values: dict[Node, Obj] = {}
    try:
        for n in node.walk():
            values[n] = _one(n, [values[a] for a in n.args], env, sizes)
    except (Inexact, KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    return values[node]


def _dims(node: Node, sizes: Mapping[Dim, int]) -> tuple[int, ...]:
    return tuple(sizes[d] for d in node.shape.dims)


def _one(n: Node, args: Sequence[Obj], env: Mapping[str, Any],
         sizes: Mapping[Dim, int]) -> Obj:
    op = n.op
    if op == "var":
        v = _arr(env[n.attrs[0]])
        if not all(isinstance(e, Fraction) for e in v.flat):
            raise Inexact("inexact input")
        return v
    if op == "const":
        return _arr(n.attrs[0])
    if op == "fill":
        return _arr(np.full(_dims(n, sizes), n.attrs[0], dtype=object))
    if op == "eye":
        k = _dims(n, sizes)[0]
        return _arr(np.eye(k, dtype=int).astype(object) * Fraction(1))
    if op == "add":
        return _arr(sum(args[1:], start=args[0]))
    if op == "mul":
        return _arr(fold_plan(plan_product([a.shape for a in n.args]), list(args), _combine))
    if op == "hadamard":
        out = args[0]
        for a in args[1:]:
            out = _arr(out * a)
        return out
    if op == "ediv":
        return _ediv(args[0], args[1])
    if op == "power":
        return _power(args[0], args[1])
    if op == "matpow":
        return _matpow(n, args[0])
    if op == "broadcast":
        return _arr(np.full(_dims(n, sizes), args[0][()], dtype=object))
    if op == "expand":  # a column across the columns, a row down the rows
        v = args[0][:, None] if n.args[0].shape.kind == "vector" else args[0]
        return _arr(np.broadcast_to(v, _dims(n, sizes)).copy())
    if op in _UNARY:
        return _UNARY[op](args[0])
    # kron, vec, reshape, adj (pinv is left to floating point)
    if op == "kron":
        two = [np.reshape(a, (-1, 1) if m.shape.kind == "vector" else (1, -1)
                          if m.shape.kind == "row" else a.shape) for a, m in zip(
                              args, n.args, strict=True)]
        return _arr(np.reshape(np.kron(*two), _dims(n, sizes)))
    if op == "vec":
        return _arr(np.reshape(args[0], -1, order="F"))
    if op == "reshape":
        return _arr(np.reshape(np.reshape(args[0], -1, order="F"), _dims(n, sizes),
                               order="F"))
    if op == "adj":
        return _adjugate(args[0])
    raise Inexact(op)


def _adjugate(x: Obj) -> Obj:
    """adj(X)_ji = (-1)^(i+j) det(X without row i and column j) (Cookbook sec. 1.1)."""
    k = x.shape[0]
    if k == 1:
        return _arr(np.array([[Fraction(1)]], dtype=object))
    out = np.empty((k, k), dtype=object)
    for i in range(k):
        for j in range(k):
            minor = np.delete(np.delete(x, i, axis=0), j, axis=1)
            out[j, i] = (-1) ** (i + j) * _det(_arr(minor))[()]
    return _arr(out)
