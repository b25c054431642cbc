"""Every equation of a derivation is checked on random instances before it is shown.

A :class:`Checker` draws sizes and points that respect the declarations
(:func:`matdiff.testing.sample_point`) and a random direction ``E`` for the variable (the
``dX`` of the differential method, the ``W`` of the limit method; symmetric or diagonal
when the variable is).  A line is checked against the directional derivative of what it
differentiates, ``(F(X + hE) - F(X - hE))/2h`` with one Richardson step, or against the
previous line exactly (up to rounding).  A failing check is a bug in matdiff, never a
user error: :class:`StepCheckError` is raised and the step is never shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ..evaluate import evaluate
from ..ir.nodes import Node
from ..shapes import Dim
from ..testing import Array, Structure, choose_sizes, relative_error, sample_point

Env = dict[str, Array]
Value = Callable[[Env, Mapping[Dim, int]], Array]

EXACT = 1e-7
"""Relative tolerance between two lines that are equal as expressions (rounding only)."""
FINITE = 1e-5
"""Relative tolerance against finite differences (Richardson error ``O(h^4)``)."""


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
    """Random points (``points`` of them, same sizes) with a direction under ``key``."""

    def __init__(self, roots: Sequence[Node], variables: Mapping[str, Node], variable: Node,
                 key: str, structure: Structure, seed: int = 0, points: int = 2):
        rng = np.random.default_rng(seed)
        self.variable = variable
        self.name: str = variable.attrs[0]
        self.key = key
        self.structure = structure
        self.sizes = choose_sizes([*roots, *variables.values()], rng)
        self.envs: list[Env] = []
        for _ in range(points):
            env = sample_point(roots[0], variables, self.sizes, rng)
            shape = tuple(self.sizes[d] for d in variable.shape.dims)
            env[key] = _direction(shape, structure, rng)
            self.envs.append(env)

    def directional(self, value: Value, env: Env, step: float = 1e-3) -> Array:
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

    def require(self, actual: Value, expected: Value, what: str,
                exact: bool = True, at: Mapping[str, float] | None = None) -> None:
        """``actual == expected`` at every point, up to rounding (``exact``) or to finite
        difference accuracy; ``at`` fixes further inputs (the ``t`` of the limit method)."""
        for env in self.envs:
            point = {**env, **{k: np.asarray(v, dtype=float) for k, v in (at or {}).items()}}
            a, e = actual(point, self.sizes), expected(point, self.sizes)
            self.compare(a, e, what, EXACT if exact else FINITE)

    def require_derivative(self, linear: Value, of: Value, what: str,
                           at: Mapping[str, float] | None = None) -> None:
        """``linear`` (a value depending on the direction) equals the directional
        derivative of ``of`` along the direction, at every point."""
        for env in self.envs:
            point = {**env, **{k: np.asarray(v, dtype=float) for k, v in (at or {}).items()}}
            self.compare(linear(point, self.sizes), self.directional(of, point), what,
                          FINITE, floor=1e-4 * max(1.0, _magnitude(of(point, self.sizes))))

    def compare(self, actual: Array, expected: Array, what: str, tolerance: float,
                 floor: float = 1e-8) -> None:
        actual, expected = np.asarray(actual, float), np.asarray(expected, float)
        if actual.shape != expected.shape and actual.size == expected.size:
            actual = actual.reshape(expected.shape)
        finite = np.all(np.isfinite(expected))
        err = relative_error(actual, expected, floor) if finite else 0.0
        if not err <= tolerance:
            raise StepCheckError(
                f"internal error: the derivation step {what!r} failed its numeric check "
                f"(relative error {err:.1e}); please report it")


def _magnitude(a: Array) -> float:
    a = np.asarray(a, dtype=float)
    return float(np.max(np.abs(a))) if a.size else 0.0
