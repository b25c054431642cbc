"""Numerical checks of derivatives, for matdiff's own tests and for users.

:func:`sample_point` draws random inputs that respect the declarations (SPD where
``spd``, symmetric, diagonal, positive where ``positive``; matrices under ``inv``,
``det`` or ``logdet`` well-conditioned with positive determinant) and retries with safer
draws where the function is undefined.  :func:`finite_difference_gradient` computes the
gradient by central differences with one Richardson extrapolation step (error
``O(h^4)``), perturbing a symmetric variable symmetrically and a diagonal one on its
diagonal, as each symmetric-gradient convention requires (see :func:`check_gradient`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .arguments import MAX_POINTS, bounded_sizes
from .errors import EvaluationError, LimitError, OptionError
from .evaluate import evaluate
from .ir.nodes import Node
from .printing import to_text
from .shapes import Dim, complete_sizes, dim_factors, show_dim

Array = NDArray[np.float64]
Structure = Literal["general", "symmetrized", "cookbook", "diagonal"]
_CONDITIONED_OPS = frozenset({"inv", "det", "logdet", "matpow", "pinv", "adj"})


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a finite-difference check.

    ``max_relative_error`` is ``max |G - G_fd| / max(max |G_fd|, 1e-4 max(1, |f|))``:
    the largest entry error relative to the gradient's scale (or, for a vanishing
    gradient, to the function's).
    """

    max_relative_error: float
    tolerance: float
    sizes: Mapping[Dim, int]
    points: int

    @property
    def ok(self) -> bool:
        return self.max_relative_error <= self.tolerance

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        verdict = "checked numerically" if self.ok else "CHECK FAILED"
        return f"{verdict}: max relative error {self.max_relative_error:.1e}"


def choose_sizes(nodes: list[Node], rng: np.random.Generator) -> dict[Dim, int]:
    """A size for every dimension: ints stay, symbolic ones get a random size 2..4."""
    sizes: dict[Dim, int] = {}
    for root in nodes:
        for node in root.walk():
            for d in node.shape.dims:
                for f in dim_factors(d):  # a product's factors are sized, not itself
                    if f not in sizes:
                        sizes[f] = f if isinstance(f, int) else int(rng.integers(2, 5))
    complete_sizes(sizes, [d for root in nodes for n in root.walk() for d in n.shape.dims])
    # before anything is allocated: a declared vector(999999999) is a limit error
    bounded_sizes(sizes, [n.shape.dims for root in nodes for n in root.walk()], show_dim)
    return sizes


def _conditioned(expr: Node) -> set[str]:
    """Variables that appear directly under inv/det/logdet/matpow."""
    names: set[str] = set()
    for node in expr.walk():
        if node.op in _CONDITIONED_OPS:
            names |= set(node.args[0].variables())
    return names


def _draw(var: Node, sizes: Mapping[Dim, int], rng: np.random.Generator,
          attempt: int, conditioned: bool) -> Array:
    shape = tuple(sizes[d] for d in var.shape.dims)
    props: frozenset[str] = var.attrs[1]
    z = rng.standard_normal(shape)
    square = len(shape) == 2 and shape[0] == shape[1]
    if "spd" in props:
        n = shape[0]
        return z @ z.T / n + np.eye(n)
    if "diagonal" in props:
        d = np.abs(np.diag(z)) + 0.5 if ("positive" in props or attempt > 0) else np.diag(z)
        return np.diag(d)
    if attempt >= 3 and not conditioned:
        # small values, signed then positive: inside the domains of arcsin and arccos
        # (|u| < 1) and of log/sqrt of small arguments, far from overflow
        z = 0.3 * np.tanh(z) if attempt == 3 and "positive" not in props else (
            0.05 + 0.4 * rng.random(shape))
        if "symmetric" in props:
            z = (z + z.T) / 2
        return z
    if "positive" in props or attempt >= 2:
        z = np.abs(z) + 0.5
        if "symmetric" in props:
            z = (z + z.T) / 2
        return z
    if square and (conditioned or attempt >= 1):
        z = np.eye(shape[0]) + 0.3 * z / math.sqrt(shape[0])
    if "symmetric" in props:
        z = (z + z.T) / 2
    if attempt >= 1 and len(shape) < 2:
        z = np.abs(z) + 0.5
    return z


def sample_point(expr: Node, variables: Mapping[str, Node], sizes: Mapping[Dim, int],
                 rng: np.random.Generator, attempts: int = 6) -> dict[str, Array]:
    """Random values for ``variables`` at which ``expr`` evaluates to finite numbers.
    A variable of more than :data:`~matdiff.arguments.MAX_ENTRIES` entries at ``sizes``
    is a :class:`~matdiff.errors.LimitError`, before anything is allocated."""
    bounded_sizes(sizes, [v.shape.dims for v in variables.values()], show_dim)
    conditioned = _conditioned(expr)
    for attempt in range(attempts):
        env = {name: _draw(v, sizes, rng, min(attempt, 4), name in conditioned)
               for name, v in variables.items()}
        with np.errstate(all="ignore"):
            try:
                value = evaluate(expr, env, sizes)
            except (np.linalg.LinAlgError, EvaluationError):
                continue
        if np.all(np.isfinite(value)):
            return env
    why = undefined_part([expr], env, sizes) if attempts > 0 else None
    raise EvaluationError(
        "could not find a point where the expression is defined to check it numerically"
        + (f" (at the points tried, {why})" if why else ""))


MAX_EXPLAINED = 2000
"""Parts evaluated one by one to find the one that is undefined (each re-evaluates its
operands, so the search is bounded; above it the message names no part)."""

_NOT_REAL = {
    "log": ("undefined", "log of a number that is not positive"),
    "sqrt": ("not real", "sqrt of a negative number"),
    "arcsin": ("not real", "arcsin outside [-1, 1]"),
    "arccos": ("not real", "arccos outside [-1, 1]"),
    "logdet": ("not real", "logdet of a matrix whose determinant is not positive"),
}


def undefined_part(roots: Sequence[Node], env: Mapping[str, ArrayLike],
                   sizes: Mapping[Dim, int]) -> str | None:
    """Which part of ``roots`` is not finite at the point ``env`` and why, innermost first
    (``1/(x'*x - x'*x) is undefined here: division by zero``); ``None`` if every part
    is finite (or the expression is too large to search)."""
    seen = 0
    for root in roots:
        for n in root.walk():
            if n.is_leaf:
                continue
            seen += 1
            if seen > MAX_EXPLAINED:
                return None
            try:
                with np.errstate(all="ignore"):
                    value = evaluate(n, env, sizes)
                    args = [evaluate(a, env, sizes) for a in n.args]
            except EvaluationError as e:
                return f"{_short(n)}: {e.message}"
            if not np.all(np.isfinite(value)):
                status, reason = _why(n, args)
                return f"{_short(n)} is {status} here ({reason})"
    return None


def _short(n: Node) -> str:
    text = to_text(n)
    return text if len(text) <= 80 else text[:77] + "..."


def _why(n: Node, args: Sequence[Array]) -> tuple[str, str]:
    """Why ``n`` is not finite where its operands ``args`` are: (status, reason)."""
    if n.op in _NOT_REAL:
        return _NOT_REAL[n.op]
    if n.op == "ediv" and np.any(args[1] == 0):
        return "undefined", "division by zero"
    if n.op == "power":
        base, p = np.broadcast_arrays(*args)
        if np.any((base == 0) & (p < 0)):
            return "undefined", "division by zero: 0 to a negative power"
        if np.any((base < 0) & (p != np.round(p))):
            return "not real", "a negative number to a fractional power"
    return "not finite", "too large for floating point: it overflows"


def _directions(shape: tuple[int, ...],
                structure: Structure) -> list[tuple[tuple[int, ...], Array]]:
    """One perturbation direction per gradient entry, matching the structure."""
    out: list[tuple[tuple[int, ...], Array]] = []
    for idx in np.ndindex(*shape):
        e = np.zeros(shape)
        if structure == "diagonal":
            if idx[0] != idx[1]:
                continue
            e[idx] = 1.0
        elif structure in ("symmetrized", "cookbook") and idx[0] != idx[1]:
            w = 0.5 if structure == "symmetrized" else 1.0
            e[idx] += w
            e[idx[1], idx[0]] += w
        else:
            e[idx] = 1.0
        out.append((idx, e))
    return out


def finite_difference_jacobian(f: Callable[[Array], ArrayLike], x0: ArrayLike,
                               structure: Structure = "general",
                               step: float = 1e-3) -> Array:
    """Central differences with one Richardson step: ``(4 D(h/2) - D(h)) / 3``.

    The result has shape ``f(x0).shape + x0.shape`` (mixed layout).  Entry ``[..., i, j]``
    is the directional derivative along the structure's basis element for ``(i, j)``:
    ``e_ij`` (general), ``(e_ij + e_ji)/2`` (symmetrized, gives the gradient ``(G + G')/2``
    on symmetric matrices), ``e_ij + e_ji`` for ``i != j`` (cookbook: ``G + G' - diag(G)``),
    ``e_ii`` only (diagonal).
    """
    x = np.asarray(x0, dtype=float)
    value_shape = np.shape(f(x))
    jac: Array = np.zeros(value_shape + x.shape)
    scale = max(1.0, float(np.max(np.abs(x)))) if x.size else 1.0
    for idx, e in _directions(x.shape, structure):
        def central(h: float, e: Array = e) -> Array:
            d: Array = (np.asarray(f(x + h * e), dtype=float)
                        - np.asarray(f(x - h * e), dtype=float)) / (2 * h)
            return d
        h = step * scale
        jac[(Ellipsis, *idx)] = (4 * central(h / 2) - central(h)) / 3  # type: ignore[index]
    return jac


def finite_difference_gradient(f: Callable[[Array], float], x0: Array,
                               structure: Structure = "general",
                               step: float = 1e-3) -> Array:
    """The gradient of a scalar function: :func:`finite_difference_jacobian` of it."""
    return finite_difference_jacobian(f, x0, structure, step)


def relative_error(actual: Array, expected: Array, floor: float = 1e-8) -> float:
    """``max |actual - expected| / max(max |expected|, floor)``.

    ``floor`` keeps an exactly zero gradient from being judged against the rounding
    noise of the finite differences (see :func:`check_gradient`)."""
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if actual.shape != expected.shape:
        raise EvaluationError(f"gradient has shape {actual.shape}, expected {expected.shape}")
    if not np.all(np.isfinite(actual)):
        return math.inf
    scale = max(float(np.max(np.abs(expected))) if expected.size else 0.0, floor)
    diff = float(np.max(np.abs(actual - expected))) if expected.size else 0.0
    return diff / scale


def _points(points: object) -> int:
    """The number of random points of a check: a whole number, at least 1 (a check of no
    point would report an error of 0 having checked nothing)."""
    if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < 1:
        raise OptionError(f"points must be a whole number of random points, at least 1, "
                          f"got {points!r}: checking no point proves nothing")
    if points > MAX_POINTS:
        raise OptionError(f"points must be at most {MAX_POINTS}, got {points}")
    return int(points)




def check_gradient(expr: Node, gradient: Node, variable: Node,
                   variables: Mapping[str, Node], structure: Structure = "general",
                   seed: int = 0, points: int = 3, tolerance: float = 1e-6) -> CheckResult:
    """Compare ``gradient`` (mixed layout, shape of ``variable``) with finite differences
    of the scalar ``expr`` at ``points`` random points; the worst error is reported."""
    points = _points(points)
    rng = np.random.default_rng(seed)
    sizes = choose_sizes([expr, gradient, *variables.values()], rng)
    name = variable.attrs[0]
    worst = 0.0
    for _ in range(points):
        env = sample_point(expr, variables, sizes, rng)

        def f(x: Array, env: dict[str, Array] = env) -> float:
            with np.errstate(all="ignore"):
                return float(evaluate(expr, {**env, name: x}, sizes))

        expected = finite_difference_gradient(f, env[name], structure)
        with np.errstate(all="ignore"):
            actual = np.asarray(evaluate(gradient, env, sizes), dtype=float)
        # Rounding noise of the differences is about eps*|f|/h; measure errors against at
        # least 1e-4*|f| so a zero gradient is not failed on that noise alone.
        floor = 1e-4 * max(1.0, abs(f(env[name])))
        worst = max(worst, relative_error(actual, expected, floor))
    return CheckResult(worst, tolerance, sizes, points)


Stage = tuple[str, Structure, "Value"]
"""One order of a derivative chain: the variable's name, how it is perturbed, and the
value of that order's derivative (mixed layout) at a point."""


Value = Callable[[Mapping[str, Array], Mapping[Dim, int]], Array]


def _along(value: Value, env: Mapping[str, Array], name: str,
           sizes: Mapping[Dim, int]) -> Callable[[Array], Array]:
    """``value`` as a function of the variable ``name`` alone, the others fixed."""
    def f(x: Array) -> Array:
        with np.errstate(all="ignore"):
            return np.asarray(value({**env, name: x}, sizes), dtype=float)
    return f


MAX_DIRECTIONS = 20_000
"""The most entries a variable of a finite-difference check may have: each entry costs
four evaluations of the order below."""


def _bound_work(function: Node, stages: Sequence[Stage], variables: Mapping[str, Node],
                sizes: Mapping[Dim, int]) -> None:
    """A :class:`LimitError` before any work when a stage's finite differences would take
    more than :data:`MAX_DIRECTIONS` directions or a Jacobian more than
    :data:`~matdiff.arguments.MAX_ENTRIES` entries."""
    dims = list(function.shape.dims)
    for name, _, _ in stages:
        var = variables[name].shape.dims
        directions = math.prod(sizes.get(d, 1) if not isinstance(d, int) else d for d in var)
        if directions > MAX_DIRECTIONS:
            raise LimitError(f"a finite-difference check by {name} would perturb "
                             f"{directions} entries; the limit is {MAX_DIRECTIONS}: check "
                             "with smaller sizes")
        dims += var
        bounded_sizes(sizes, [tuple(dims)], show_dim)


def check_chain(function: Node, stages: Sequence[Stage], variables: Mapping[str, Node],
                nodes: Sequence[Node] = (), seed: int = 0, points: int = 3,
                tolerance: float = 1e-6) -> CheckResult:
    """Check a chain of derivatives ``D1 = dF/dV1, D2 = dD1/dV2, ...``: each order is
    compared with central differences of the previous one (of ``function`` for the
    first) at ``points`` random points; the worst relative error is reported.

    ``nodes`` are the expressions the stages evaluate (their dimensions get sizes too).
    """
    points = _points(points)
    rng = np.random.default_rng(seed)
    sizes = choose_sizes([function, *nodes, *variables.values()], rng)
    _bound_work(function, stages, variables, sizes)
    worst = 0.0

    def value_of_function(env: Mapping[str, Array], sz: Mapping[Dim, int]) -> Array:
        return evaluate(function, env, sz)

    for _ in range(points):
        env = sample_point(function, variables, sizes, rng)
        previous: Value = value_of_function
        for name, structure, value in stages:
            f = _along(previous, env, name, sizes)
            expected = finite_difference_jacobian(f, env[name], structure)
            with np.errstate(all="ignore"):
                actual = np.asarray(value(env, sizes), dtype=float)
            base = f(env[name])
            floor = 1e-4 * max(1.0, float(np.max(np.abs(base))) if base.size else 1.0)
            worst = max(worst, relative_error(actual, expected, floor))
            previous = value
    return CheckResult(worst, tolerance, sizes, points)
