"""A picture of a surface near a point, with its tangent plane and normal line.

The surface ``F = 0`` is drawn as a graph over two axes: ``(x, y)`` when ``∂F/∂z`` is a
fair share of ``∇F(P)``, else the two orthogonal to its largest component: by the
implicit function theorem it is locally such a graph, and
each height is found by Newton's method on ``F`` (from P's height, continued from the
neighbouring grid point), with ``∂F/∂x_k`` from matdiff itself.  Grid points where
Newton does not converge are left out.  matplotlib's Agg backend: no display needed.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import api
from ..errors import OptionError
from ..evaluate import evaluate

if TYPE_CHECKING:
    from .tangent import Tangent

GRID = 25
NEWTON_STEPS = 30
FORMATS = (".png", ".svg", ".pdf")
"""The picture formats matplotlib's Agg backend writes without further libraries."""


def usable_path(path: str | os.PathLike[str]) -> bool:
    """Whether the operating system can take ``path`` at all (no NUL byte, encodable)."""
    try:
        return b"\0" not in os.fsencode(path)
    except (UnicodeError, TypeError):
        return False


def check_plot_path(path: str | os.PathLike[str]) -> Path:
    """``path`` if a picture can be written there (a known format, an existing writable
    folder), else an :class:`OptionError` saying why; called before any work, so a bad
    ``--plot`` fails before the tangent plane is printed."""
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise OptionError(f"the plot path must be a file name such as out.png, got {path!r}")
    shown = repr(str(path))  # repr escapes control characters
    if not usable_path(path):
        raise OptionError(f"cannot plot to {shown}: not a valid file name")
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise OptionError(f"cannot plot to {shown}: name a {', '.join(FORMATS)} file "
                          "(the format follows the extension)")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise OptionError(f"cannot plot to {shown}: the folder {str(folder)!r} does not exist")
    if p.is_dir():
        raise OptionError(f"cannot plot to {shown}: it is a folder")
    if not os.access(folder, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise OptionError(f"cannot plot to {shown}: permission denied")
    return p


def _env(t: Tangent, coords: np.ndarray) -> dict[str, Any]:
    env: dict[str, Any] = {k: np.asarray(v, dtype=float) for k, v in t.values.items()
                           if k not in t.coordinates}
    if t.variable is not None:
        env[t.variable] = np.asarray(coords, dtype=float)
    else:
        env.update({c: np.asarray(x, dtype=float) for c, x in zip(t.coordinates, coords,
                                                                  strict=True)})
    return env


def _surface(t: Tangent, k: int, axes: tuple[int, int], u: np.ndarray,
             v: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Heights ``x_k(u, v)`` with ``F = 0`` (NaN where Newton fails)."""
    name = t.variable or t.coordinates[k]
    d = api.derivative(t.function, name, declare=t.declarations)
    dfk = d.result
    if dfk is None:  # pragma: no cover - a first derivative always has a matrix form
        raise OptionError("no matrix form for the derivative")
    heights = np.full(u.shape, np.nan)
    start = float(p[k])
    for i in range(u.shape[0]):
        guess = start
        for j in range(u.shape[1]):
            x = p.copy()
            x[axes[0]], x[axes[1]] = u[i, j], v[i, j]
            x[k] = guess
            for _ in range(NEWTON_STEPS):
                env = _env(t, x)
                f = float(evaluate(t.function_node, env))
                g = np.asarray(evaluate(dfk, env), dtype=float).ravel()
                slope = float(g[k] if g.size > 1 else g[0])
                if not np.isfinite(f) or slope == 0 or not np.isfinite(slope):
                    break
                step = f / slope
                x[k] -= step
                if abs(step) < 1e-10 * (1 + abs(x[k])):
                    heights[i, j] = x[k]
                    break
            if np.isfinite(heights[i, j]):
                guess = heights[i, j]
        # a fresh row starts from the row above's first height when there is one
        if np.isfinite(heights[i, 0]):
            start = heights[i, 0]
    return heights


def plot_tangent(t: Tangent, path: str | os.PathLike[str], size: float | None = None) -> None:
    """Write the PNG: surface (viridis), tangent plane (orange), normal line (red), P."""
    target = check_plot_path(path)
    if size is not None and (isinstance(size, bool) or not isinstance(size, (int, float))
                             or not math.isfinite(size) or size <= 0):
        raise OptionError(f"the plot size must be a positive number, got {size!r}")
    if len(t.point) != 3:
        raise OptionError(f"--plot draws surfaces in 3 coordinates; this one has "
                          f"{len(t.point)}")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise OptionError("plotting needs matplotlib: pip install matplotlib") from None

    p = np.array([float(c) for c in t.point])
    n = np.array([float(c) for c in t.normal])
    # height axis: the last coordinate (z) when the surface is a fair graph over the other
    # two there, else the axis of the largest normal component (always a local graph)
    k = 2 if abs(n[2]) >= 0.3 * np.max(np.abs(n)) else int(np.argmax(np.abs(n)))
    axes = tuple(a for a in range(3) if a != k)
    h = size if size is not None else 0.35 * max(1.0, float(np.linalg.norm(p)))
    s = np.linspace(-h, h, GRID)
    u, v = np.meshgrid(p[axes[0]] + s, p[axes[1]] + s, indexing="ij")
    surf = _surface(t, k, (axes[0], axes[1]), u, v, p)
    plane = p[k] - (n[axes[0]] * (u - p[axes[0]]) + n[axes[1]] * (v - p[axes[1]])) / n[k]
    plane = np.where(np.abs(plane - p[k]) <= 2 * h, plane, np.nan)

    def xyz(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> list[np.ndarray]:
        out: list[np.ndarray] = [np.empty(0)] * 3
        out[axes[0]], out[axes[1]], out[k] = a, b, c
        return out

    fig = plt.figure(figsize=(7, 6), dpi=100)
    ax: Any = fig.add_subplot(projection="3d")
    ax.computed_zorder = False  # draw in the order below: the normal line stays visible
    ax.plot_surface(*xyz(u, v, np.ma.masked_invalid(surf)), cmap="viridis", alpha=0.85,
                    linewidth=0, antialiased=True)
    ax.plot_surface(*xyz(u, v, plane), color="tab:orange", alpha=0.45, linewidth=0)
    unit = n / np.linalg.norm(n)
    line = np.linspace(-1.5 * h, 1.5 * h, 2)
    ax.plot(*(p[None, :] + line[:, None] * unit[None, :]).T, color="red", linewidth=3,
            label=f"normal line {t.normal_line}", zorder=10)
    ax.scatter(*p, color="black", s=40, depthshade=False, label=f"P = {t.point_text}",
               zorder=11)
    ax.set_xlabel(t.coordinates[0])
    ax.set_ylabel(t.coordinates[1])
    ax.set_zlabel(t.coordinates[2])
    ax.set_aspect("equal")  # so the normal line looks perpendicular to the plane
    ax.set_title(f"{t.equation.strip()}\ntangent plane {t.point_normal}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    try:
        fig.savefig(target)
    except OSError as e:
        raise OptionError(f"cannot write {str(target)!r}: "
                          f"{e.strerror or e}") from None
    finally:
        plt.close(fig)
