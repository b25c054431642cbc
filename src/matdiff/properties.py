"""Declared properties checked against the values given at a point.

A derivative by a variable declared ``symmetric``, ``spd``, ``diagonal`` or ``positive``
is the derivative on that set of matrices (``2*A*x`` for ``x'*A*x`` with ``A``
symmetric); at a value outside the set it is not the derivative there, so such a value
is refused, naming the entry that breaks the property:

* ``symmetric``: ``A(i,j) = A(j,i)`` for every ``i, j``;
* ``spd``: symmetric, and every pivot of Gaussian elimination without row exchanges is
  positive (Sylvester's criterion: the leading principal minors are the products of the
  pivots), computed exactly for exact values, by Cholesky's factorisation for floats;
* ``diagonal``: every entry off the diagonal is 0;
* ``positive``: every entry is > 0.

Exact values (Fractions) are checked exactly; float values (from ``.npy`` files) with a
relative tolerance of :data:`TOLERANCE` for the equalities, since a matrix computed as
``X'*X`` in floating point is symmetric only to rounding.  Indices in messages are
1-based, as in the input language's ``A(i,j)`` reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import EvaluationError
from .ir.nodes import Node

TOLERANCE = 1e-10


def _fmt(v: Any) -> str:
    """An entry as a message shows it: ``2``, ``1/3`` exactly, else 12 significant digits."""
    if isinstance(v, Fraction | int) and not isinstance(v, bool):
        f = Fraction(v)
        if max(f.numerator.bit_length(), f.denominator.bit_length()) <= 100:
            return str(f)
    x = float(v)
    return str(round(x)) if x == round(x) and abs(x) < 1e15 else f"{x:.12g}"


def _tolerance(a: np.ndarray[Any, Any], exact: bool) -> float:
    if exact:
        return 0.0
    return TOLERANCE * max(1.0, float(np.max(np.abs(a.astype(np.float64)))))


def _first(mask: np.ndarray[Any, Any]) -> tuple[int, ...] | None:
    bad = np.argwhere(np.asarray(mask, dtype=bool))
    return tuple(int(i) for i in bad[0]) if bad.size else None


def _symmetric(name: str, a: np.ndarray[Any, Any], exact: bool, what: str) -> None:
    tol = _tolerance(a, exact)
    bad = _first(np.triu(np.abs(a - a.T) > tol, 1))
    if bad is not None:
        i, j = bad
        raise EvaluationError(
            f"{name} is declared {what}, but {name}({i + 1},{j + 1}) = {_fmt(a[i, j])} and "
            f"{name}({j + 1},{i + 1}) = {_fmt(a[j, i])}: the derivative on {what} "
            "matrices is not the derivative at this value")


def _exact_pivots(a: np.ndarray[Any, Any]) -> tuple[int, Fraction] | None:
    """The first non-positive pivot (its 0-based step and value), else ``None``."""
    m = [[Fraction(v) for v in row] for row in a]
    n = len(m)
    for c in range(n):
        p = m[c][c]
        if p <= 0:
            return c, p
        for r in range(c + 1, n):
            f = m[r][c] / p
            if f:
                m[r] = [x - f * y for x, y in zip(m[r], m[c], strict=True)]
    return None


def _spd(name: str, a: np.ndarray[Any, Any], exact: bool) -> None:
    _symmetric(name, a, exact, "spd")
    if exact:
        bad = _exact_pivots(a)
        if bad is None:
            return
        k = bad[0] + 1
        minor = f"its leading {k} x {k} minor is {'0' if bad[1] == 0 else 'negative'}"
    else:
        try:
            np.linalg.cholesky(a.astype(np.float64))
            return
        except np.linalg.LinAlgError:
            low = float(np.min(np.linalg.eigvalsh(a.astype(np.float64))))
            minor = f"its smallest eigenvalue is {low:.6g}"
    raise EvaluationError(f"{name} is declared spd (symmetric positive definite), but "
                          f"{minor}, so it is not positive definite")


def _diagonal(name: str, a: np.ndarray[Any, Any], exact: bool) -> None:
    tol = _tolerance(a, exact)
    bad = _first((np.abs(a) > tol) & ~np.eye(a.shape[0], dtype=bool))
    if bad is not None:
        i, j = bad
        raise EvaluationError(f"{name} is declared diagonal, but {name}({i + 1},{j + 1}) = "
                              f"{_fmt(a[i, j])} is off the diagonal")


def _positive(name: str, a: np.ndarray[Any, Any]) -> None:
    bad = _first(~np.asarray(a > 0, dtype=bool))
    if bad is not None:
        at = "(" + ",".join(str(i + 1) for i in bad) + ")" if bad else ""
        raise EvaluationError(f"{name} is declared positive (every entry > 0), but "
                              f"{name}{at} = {_fmt(a[bad])}")


def check_properties(variables: Mapping[str, Node], values: Mapping[str, object]) -> None:
    """Refuse a value that breaks its variable's declared properties (see the module)."""
    for name, node in variables.items():
        props: frozenset[str] = node.attrs[1]
        if not props or name not in values:
            continue
        a = np.asarray(values[name], dtype=object)
        exact = all(isinstance(v, (Fraction, int)) for v in a.flat)
        if not exact:
            a = np.asarray(a, dtype=np.float64)
        if "positive" in props:
            _positive(name, a)
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            continue  # a wrong shape is reported by the shape check, with its sizes
        if "spd" in props:
            _spd(name, a, exact)
        elif "symmetric" in props:
            _symmetric(name, a, exact, "symmetric")
        if "diagonal" in props:
            _diagonal(name, a, exact)
