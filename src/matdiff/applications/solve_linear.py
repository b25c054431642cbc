"""Numbers for :mod:`.solve`: a linear equation ``L(X) = C`` solved at given values, and
the checks that every printed equation and solution is right.

* :func:`linear_map` -- the matrix of ``X -> L(X)`` at given data, column ``b`` being
  ``vec(L(E_b))`` for a basis ``E_b`` of the variable's space (general, symmetric or
  diagonal matrices), read off the printed left side itself.
* :func:`kronecker_map` -- ``sum_k c_k (B_k' ⊗ A_k)`` for ``L(X) = sum_k c_k A_k X B_k``
  (Cookbook eq. 520, ``vec(A X B) = (B' ⊗ A) vec(X)``).
* :func:`solve_at` -- the equation solved at a point: ``scipy.linalg.solve_sylvester`` for
  ``A X + X B = C`` when SciPy is installed (Bartels-Stewart, no ``n^2 x n^2`` matrix),
  else the Kronecker (or basis) system with NumPy; an :class:`EvaluationError` when the
  map is singular there (the stationary point is then not unique, or does not exist).
* :func:`stationarity_error` -- ``|G(X)| / (|G(0)| + |G(X) - G(0)|)``: how far a candidate
  is from making the gradient vanish, relative to the size of the gradient's terms.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import testing
from ..errors import EvaluationError, UnsupportedError
from ..evaluate import evaluate
from ..ir.nodes import Node
from ..shapes import Dim

Array = NDArray[np.float64]
MAX_UNKNOWNS = 4096
"""Above this many unknowns a dense solve (``N x N`` matrix) is refused at a point."""
TOLERANCE = 1e-6
"""Largest relative gradient left at a verified solution (:func:`stationarity_error`)."""
SINGULAR = 1e-10
"""Reciprocal condition number below which a linear map counts as singular."""


@dataclass(frozen=True)
class LinearTerm:
    """``coefficient * scalar * left * X * right`` (``None``: an absent factor)."""

    coefficient: Fraction
    scalar: Node | None
    left: Node | None
    right: Node | None


def _structure(variable: Node) -> str:
    props: frozenset[str] = variable.attrs[1]
    if variable.shape.kind == "matrix":
        if "diagonal" in props:
            return "diagonal"
        if props & {"symmetric", "spd"}:
            return "symmetric"
    return "general"


def basis(variable: Node, shape: tuple[int, ...]) -> list[Array]:
    """A basis of the values the variable may take (its declared structure)."""
    structure = _structure(variable)
    out: list[Array] = []
    for idx in np.ndindex(*shape):
        if structure == "diagonal" and idx[0] != idx[1]:
            continue
        if structure == "symmetric" and idx[0] > idx[1]:
            continue
        e = np.zeros(shape)
        e[idx] = 1.0
        if structure == "symmetric":
            e[idx[::-1]] = 1.0
        out.append(e)
    return out


def variable_shape(variable: Node, sizes: Mapping[Dim, int]) -> tuple[int, ...]:
    missing = [d for d in variable.shape.dims if d not in sizes and not isinstance(d, int)]
    if missing:
        raise EvaluationError(
            f"the values given do not fix the size of {variable.attrs[0]} "
            f"({variable.shape.describe()}); give the data its dimensions depend on")
    return tuple(d if isinstance(d, int) else sizes[d] for d in variable.shape.dims)


def _value(node: Node, env: Mapping[str, Any], sizes: Mapping[Dim, int]) -> Array:
    with np.errstate(all="ignore"):
        return np.asarray(evaluate(node, env, sizes), dtype=float)


def linear_map(lhs: Node, variable: Node, env: Mapping[str, Any], sizes: Mapping[Dim, int],
               ) -> tuple[Array, list[Array], Array]:
    """(matrix, basis, offset): ``vec(lhs(sum_b a_b E_b)) = matrix @ a + offset``."""
    name = variable.attrs[0]
    shape = variable_shape(variable, sizes)
    elements = basis(variable, shape)
    if len(elements) > MAX_UNKNOWNS:
        raise UnsupportedError(
            f"{len(elements)} unknowns: too many for a dense linear solve at a point "
            f"(at most {MAX_UNKNOWNS})")
    offset = _value(lhs, {**env, name: np.zeros(shape)}, sizes).reshape(-1, order="F")
    columns = [_value(lhs, {**env, name: e}, sizes).reshape(-1, order="F") - offset
               for e in elements]
    matrix = np.stack(columns, axis=1) if columns else np.zeros((offset.size, 0))
    return matrix, elements, offset


def _as2d(a: Array) -> Array:
    return a.reshape(-1, 1) if a.ndim < 2 else a


def kronecker_map(terms: Sequence[LinearTerm], env: Mapping[str, Any],
                  sizes: Mapping[Dim, int], shape: tuple[int, ...]) -> Array:
    """``sum_k c_k s_k (B_k' ⊗ A_k)``: the matrix of ``vec(X) -> vec(L(X))``."""
    rows, cols = (*shape, 1, 1)[:2]
    total = np.zeros((rows * cols, rows * cols))
    for t in terms:
        a = np.eye(rows) if t.left is None else _as2d(_value(t.left, env, sizes))
        b_ = np.eye(cols) if t.right is None else _as2d(_value(t.right, env, sizes))
        s = 1.0 if t.scalar is None else float(_value(t.scalar, env, sizes))
        total += float(t.coefficient) * s * np.kron(b_.T, a)
    return total


def _solve_square(matrix: Array, r: Array, what: str) -> Array:
    if matrix.size and (not np.all(np.isfinite(matrix))
                        or 1.0 / max(np.linalg.cond(matrix), 1.0) < SINGULAR):
        raise EvaluationError(
            f"{what} is singular at these values: the stationary point is not unique "
            "(or there is none)")
    return np.asarray(np.linalg.solve(matrix, r) if matrix.size else r, dtype=float)


def _sylvester(terms: Sequence[LinearTerm], env: Mapping[str, Any],
               sizes: Mapping[Dim, int], c: Array) -> Array | None:
    """``A X + X B = C`` by Bartels-Stewart, when the terms have that form and SciPy is
    installed; None otherwise."""
    lefts = [t for t in terms if t.right is None]  # s*X itself counts as a left term
    rights = [t for t in terms if t.left is None and t.right is not None]
    if len(lefts) + len(rights) != len(terms) or not lefts or not rights or c.ndim != 2:
        return None
    try:  # SciPy is optional (not a dependency): the Kronecker system does it too
        solve_sylvester: Any = importlib.import_module("scipy.linalg").solve_sylvester
    except ImportError:
        return None

    def side(group: Sequence[LinearTerm], n: int) -> Array:
        total = np.zeros((n, n))
        for t in group:
            s = 1.0 if t.scalar is None else float(_value(t.scalar, env, sizes))
            factor = t.left if t.left is not None else t.right
            m = np.eye(n) if factor is None else _value(factor, env, sizes)
            total += float(t.coefficient) * s * m
        return total
    a, b_ = side(lefts, c.shape[0]), side(rights, c.shape[1])
    with np.errstate(all="ignore"):
        x: Array = np.asarray(solve_sylvester(a, b_, c), dtype=float)
    return x


def solve_at(lhs: Node, rhs: Node, variable: Node, terms: Sequence[LinearTerm] | None,
             env: Mapping[str, Any], sizes: Mapping[Dim, int]) -> Array:
    """The ``X`` with ``lhs(X) = rhs`` at the data ``env`` (module docstring)."""
    shape = variable_shape(variable, sizes)
    c = _value(rhs, env, sizes) * np.ones(shape)
    structured = _structure(variable) != "general"
    if terms is not None and not structured:
        x = _sylvester(terms, env, sizes, c)
        if x is None:
            n = int(np.prod(shape))
            if n > MAX_UNKNOWNS:
                raise UnsupportedError(f"{n} unknowns: too many for a dense Kronecker "
                                       f"solve (at most {MAX_UNKNOWNS}); install SciPy "
                                       "for A*X + X*B = C")
            k = kronecker_map(terms, env, sizes, shape)
            x = _solve_square(k, c.reshape(-1, order="F"), "the linear map").reshape(
                shape, order="F")
    else:
        matrix, elements, offset = linear_map(lhs, variable, env, sizes)
        r = c.reshape(-1, order="F") - offset
        if matrix.shape[0] == matrix.shape[1]:
            coef = _solve_square(matrix, r, "the linear map")
        else:  # a structured variable: fewer unknowns than equations
            coef = np.asarray(np.linalg.lstsq(matrix, r, rcond=None)[0], dtype=float)
        x = sum((a * e for a, e in zip(coef, elements, strict=True)), np.zeros(shape))
    value = _value(lhs, {**env, variable.attrs[0]: x}, sizes)
    at0 = _value(lhs, {**env, variable.attrs[0]: np.zeros(shape)}, sizes)
    residual = float(np.max(np.abs(value - c))) if c.size else 0.0
    scale = (float(np.max(np.abs(c))) + float(np.max(np.abs(at0)))
             + float(np.max(np.abs(value - at0)))) if c.size else 1.0
    if not np.all(np.isfinite(x)) or residual > 1e-8 * max(scale, 1e-300):
        raise EvaluationError("the linear equation has no (unique) solution at these "
                              "values: its map is singular")
    return np.asarray(x, dtype=float)


def stationarity_error(gradient: Node, variable: Node, x: Array, env: Mapping[str, Any],
                       sizes: Mapping[Dim, int]) -> float:
    """``|G(x)| / (|G(0)| + |G(x) - G(0)|)`` (0 when all vanish; inf when undefined)."""
    name = variable.attrs[0]
    g = _value(gradient, {**env, name: x}, sizes)
    g0 = _value(gradient, {**env, name: np.zeros_like(x)}, sizes)
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(g0))):
        return float("inf")
    top = float(np.max(np.abs(g))) if g.size else 0.0
    scale = (float(np.max(np.abs(g0))) + float(np.max(np.abs(g - g0)))) if g.size else 0.0
    return 0.0 if top == 0.0 else top / max(scale, 1e-300)


class Unverified(Exception):
    """A printed claim of a solve failed (or found no point for) its numeric check."""


POINTS = 8
"""Random data points (each with its own sizes) tried for :func:`verify`."""


def verify(function: Node, gradient: Node, variable: Node, variables: Mapping[str, Node],
           lhs: Node, rhs: Node, factor: Fraction, solution: Node | None,
           terms: Sequence[LinearTerm] | None, seed: int = 0) -> list[float]:
    """Check, at random data, that ``G = factor*(lhs - rhs)`` at a random ``X``, and
    that the gradient vanishes at the printed equation solved from its own left side,
    at the vec-form (``terms``) solution and at the closed form.  Returns the errors
    at the first point where all are defined; raises :class:`Unverified` when one is
    wrong at a point where it is defined, or none is defined anywhere tried."""
    name = variable.attrs[0]
    for k in range(POINTS):
        rng = np.random.default_rng(seed + 101 * k)
        try:
            sizes = testing.choose_sizes([function, gradient, lhs, rhs], rng)
            env = testing.sample_point(function, variables, sizes, rng)
            data = {n: a for n, a in env.items() if n != name}
            g = _value(gradient, env, sizes)
            eq = float(factor) * (_value(lhs, env, sizes) - _value(rhs, env, sizes))
            errors = [testing.relative_error(eq, g, 1e-8)]
            if not errors[0] <= 1e-8:
                raise Unverified("the equation is not G = 0 divided by a constant")
            candidates = [solve_at(lhs, rhs, variable, None, data, sizes)]
            if terms is not None:
                candidates.append(solve_at(lhs, rhs, variable, terms, data, sizes))
            if solution is not None:
                candidates.append(_value(solution, data, sizes) * np.ones_like(candidates[0]))
            for x in candidates:
                errors.append(stationarity_error(gradient, variable, x, data, sizes))
        except (EvaluationError, UnsupportedError):
            continue  # singular (or undefined) at this point: try another
        if not all(e <= TOLERANCE for e in errors):
            raise Unverified(f"a printed solution leaves the gradient at "
                             f"{max(errors):.1e} of its size at random data")
        return errors
    raise Unverified("its linear map is singular at every random data point tried (the "
                     "stationary points, if any, are not unique)")
