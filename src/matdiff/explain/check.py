"""Every equation of a derivation is checked on random instances before it is shown.

A :class:`Checker` draws sizes and points that respect the declarations
(:func:`matdiff.testing.sample_point`) and a random direction ``E`` for the variable (the
``dX`` of the differential method, the ``W`` of the limit method; symmetric or diagonal
when the variable is).  A line is checked against the directional derivative of what it
differentiates, ``(F(X + hE) - F(X - hE))/2h`` with one Richardson step, or against the
previous line exactly (up to rounding).  A failing check is a bug in matdiff, never a
user error: :class:`StepCheckError` is raised and the step is never shown.

Two things are not failures:

* Finite differences are themselves approximate: a function that varies fast (a product
  of a hundred factors) has a Richardson error above the tolerance at the first step
  ``h``, so a line that misses is compared again at ``h/4`` and ``h/16`` (truncation
  error ``O(h^4)``).  A wrong line misses at every step; a right one meets at some step.
* A point where either side is not a finite number (``0^a`` at ``a < 0``, a constant
  such as ``1/0``) says nothing about the line.  Such points are skipped; more points
  than needed are drawn so that ``points`` usable ones remain.  A line that has no usable
  point at all is shown marked "not checked" (:attr:`Checker.unchecked`), never passed
  off as checked, and never an internal error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np

from ..errors import EvaluationError, MatdiffError
from ..evaluate import evaluate
from ..ir.nodes import Node
from ..shapes import Dim
from ..testing import Array, Structure, choose_sizes, relative_error, sample_point

Env = dict[str, Array]
Value = Callable[[Env, Mapping[Dim, int]], Array]
Attempts = Callable[[Env], Iterator[tuple[Array, Array, float]]]
"""For one point, the (actual, expected, floor) pairs to compare, most accurate last
(one per finite-difference step); the first that meets the tolerance passes."""

EXACT = 1e-7
"""Relative tolerance between two lines that are equal as expressions (rounding only)."""
FINITE = 1e-5
"""Relative tolerance against finite differences (Richardson error ``O(h^4)``)."""
STEPS = (1e-3, 2.5e-4, 6.25e-5)
"""Finite-difference steps (relative to the point's scale), tried in turn."""
SPARE_POINTS = 4
"""Points drawn beyond those needed, used where a point makes a line undefined."""

_UNDEFINED_AT_POINT = (MatdiffError, ArithmeticError, np.linalg.LinAlgError)
"""What evaluating a line at one point may raise when the line is undefined there
(a singular matrix, an overflow): the point is skipped, as a non-finite value is."""


class StepCheckError(RuntimeError):
    """A derivation step failed its numeric check: a bug, reported, never shown."""


def node_value(node: Node) -> Value:
    def value(env: Env, sizes: Mapping[Dim, int]) -> Array:
        with np.errstate(all="ignore"):
            return np.asarray(evaluate(node, env, sizes), dtype=float)
    return value


def _direction(shape: tuple[int, ...], structure: Structure,
               rng: np.random.Generator) -> Array:
    e = rng.standard_normal(shape)
    if structure in ("symmetrized", "cookbook"):
        e = (e + e.T) / 2
    elif structure == "diagonal":
        e = np.diag(np.diag(e))
    return e


class Checker:
    """Random points (``points`` usable ones, same sizes) with a direction under ``key``."""

    def __init__(self, roots: Sequence[Node], variables: Mapping[str, Node], variable: Node,
                 key: str, structure: Structure, seed: int = 0, points: int = 2):
        rng = np.random.default_rng(seed)
        self.variable = variable
        self.name: str = variable.attrs[0]
        self.key = key
        self.structure = structure
        self.points = points
        self.sizes = choose_sizes([*roots, *variables.values()], rng)
        self.envs: list[Env] = []
        self.unchecked: list[str] = []
        """The checks (by description) that found no point where they are defined."""
        for _ in range(points + SPARE_POINTS):
            try:
                env = sample_point(roots[0], variables, self.sizes, rng)
            except EvaluationError:  # defined nowhere: its lines are marked unchecked
                env = sample_point(variable, variables, self.sizes, rng)
            shape = tuple(self.sizes[d] for d in variable.shape.dims)
            env[key] = _direction(shape, structure, rng)
            self.envs.append(env)

    def take_unchecked(self) -> bool:
        """Whether a check since the last call had no usable point (and forget it)."""
        found = bool(self.unchecked)
        self.unchecked.clear()
        return found

    def directional(self, value: Value, env: Env, step: float = STEPS[0]) -> Array:
        """``d/ds value(X + s E)`` at ``s = 0`` by central differences (Richardson)."""
        x, e = env[self.name], env[self.key]
        scale = max(1.0, float(np.max(np.abs(x)))) if x.size else 1.0

        def central(h: float) -> Array:
            plus = value({**env, self.name: x + h * e}, self.sizes)
            minus = value({**env, self.name: x - h * e}, self.sizes)
            return (plus - minus) / (2 * h)

        h = step * scale
        result: Array = (4 * central(h / 2) - central(h)) / 3
        return result

    def _point(self, env: Env, at: Mapping[str, float] | None) -> Env:
        return {**env, **{k: np.asarray(v, dtype=float) for k, v in (at or {}).items()}}

    def require(self, actual: Value, expected: Value, what: str,
                exact: bool = True, at: Mapping[str, float] | None = None) -> None:
        """``actual == expected`` at every point, up to rounding (``exact``) or to finite
        difference accuracy; ``at`` fixes further inputs (the ``t`` of the limit method)."""
        def attempts(env: Env) -> Iterator[tuple[Array, Array, float]]:
            point = self._point(env, at)
            yield actual(point, self.sizes), expected(point, self.sizes), 1e-8
        self.verify(attempts, what, EXACT if exact else FINITE)

    def require_derivative(self, linear: Value, of: Value, what: str,
                           at: Mapping[str, float] | None = None) -> None:
        """``linear`` (a value depending on the direction) equals the directional
        derivative of ``of`` along the direction, at every point."""
        def attempts(env: Env) -> Iterator[tuple[Array, Array, float]]:
            point = self._point(env, at)
            got = linear(point, self.sizes)
            floor = 1e-4 * max(1.0, _magnitude(of(point, self.sizes)))
            for step in STEPS:
                yield got, self.directional(of, point, step), floor
        self.verify(attempts, what, FINITE)

    def verify(self, attempts: Attempts, what: str, tolerance: float) -> None:
        """Compare at the first ``points`` points where both sides are defined; raise
        :class:`StepCheckError` when a defined point misses at every attempt."""
        usable = 0
        for env in self.envs:
            if usable == self.points:
                return
            best = _best(attempts, env, tolerance)
            if best is None:  # undefined at this point: it says nothing
                continue
            usable += 1
            if not best <= tolerance:
                raise StepCheckError(
                    f"internal error: the derivation step {what!r} failed its numeric "
                    f"check (relative error {best:.1e}); please report it")
        if usable == 0:
            self.unchecked.append(what)


def _best(attempts: Attempts, env: Env, tolerance: float) -> float | None:
    """The smallest error over the attempts at one point, stopping at the first that
    meets ``tolerance``; None when no attempt has both sides defined."""
    best: float | None = None
    try:
        with np.errstate(all="ignore"):
            for actual, expected, floor in attempts(env):
                err = _error(actual, expected, floor)
                if err is None:
                    continue
                best = err if best is None else min(best, err)
                if best <= tolerance:
                    break
    except _UNDEFINED_AT_POINT:
        pass
    return best


def _error(actual: Array, expected: Array, floor: float) -> float | None:
    """The relative error, or None when either side is not finite (undefined)."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    if actual.shape != expected.shape and actual.size == expected.size:
        actual = actual.reshape(expected.shape)
    if not (np.all(np.isfinite(actual)) and np.all(np.isfinite(expected))):
        return None
    return relative_error(actual, expected, floor)


def _magnitude(a: Array) -> float:
    a = np.asarray(a, dtype=float)
    return float(np.max(np.abs(a))) if a.size else 0.0
