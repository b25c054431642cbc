"""One random case checked against the independent oracle (``tests/oracle.py``) on every
surface that computes numbers: ``Derivative.evaluate``, the ``.numpy`` expression, and
``compile`` for NumPy, PyTorch and (on a sample) JAX.  Not a test module: used by
``tests/test_properties.py`` and ``scripts/campaign``.

:func:`run_case` returns an :class:`Outcome` whose ``status`` is ``checked``,
``refused`` (a :class:`MatdiffError` refusal from ``derivative``), ``unsupported`` (the
oracle cannot size or evaluate the text, or its value is not finite there) or a failure
class: ``wrong: <surface>`` (a number that disagrees with the oracle *and* with finite
differences, ``Derivative.check``), ``disputed: <surface>`` (disagrees with the oracle
but finite differences agree with matdiff: look at the oracle), ``crash: <surface>:
<exception>`` (an exception that is not matdiff's own) or ``error: <surface>: <class>``
(a MatdiffError after ``derivative`` succeeded: every surface must compute the value
the API printed).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import oracle

import matdiff
from matdiff.errors import EvaluationError, LimitError, MatdiffError, UnsupportedError
from matdiff.testing import choose_sizes, sample_point

REFUSALS = (UnsupportedError, LimitError, EvaluationError)
"""What ``derivative`` may answer instead of a result ("not supported", "too big", "no
point where it is defined"); any other MatdiffError on a well-typed case is a failure."""
RTOL = 1e-6
"""Both sides compute exact formulas in float64; a wrong term is off by order 1."""

SURFACES = ("evaluate", "numpy", "compile-numpy", "compile-torch", "compile-jax")


@dataclass
class Outcome:
    status: str
    detail: str = ""
    others: list[Outcome] = field(default_factory=list)
    """Further failures of the same case on later surfaces."""


def _close(got: Any, want: np.ndarray) -> bool:
    g = np.asarray(got, dtype=np.float64)
    if g.shape != want.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    return bool(np.allclose(g, want, rtol=RTOL, atol=1e-8 * scale))


def _to_numpy(value: Any) -> Any:
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _point(d: matdiff.Derivative, seed: int) -> tuple[dict[str, Any], dict[Any, int]]:
    rng = np.random.default_rng(seed)
    sizes = choose_sizes([d.function, *d.variables.values()], rng)
    return sample_point(d.function, d.variables, sizes, rng), sizes


def surfaces(d: matdiff.Derivative, env: dict[str, Any], sizes: dict[Any, int],
             jax: bool) -> list[tuple[str, Callable[[], Any]]]:
    absent = [n for n in d.variables if n not in {str(v.attrs[0]) for v in
                                                  d.function.walk() if v.op == "var"}]
    out: list[tuple[str, Callable[[], Any]]] = [
        ("evaluate", lambda: d.evaluate(env)),
    ]
    if absent:
        # The same number with the sizes given, so that a refusal of the plain call (its
        # own failure class) does not hide a wrong number.
        out.append(("evaluate", lambda: d.evaluate(env, sizes)))

    def numpy_code() -> Any:
        with np.errstate(all="ignore"):
            return eval(d.numpy, {"np": np}, dict(env))  # generated code, trusted here

    out += [("numpy", numpy_code),
            ("compile-numpy", lambda: d.compile("numpy")(**env)),
            ("compile-torch", lambda: d.compile("torch")(**env))]
    if jax:
        _jax_float64()
        out.append(("compile-jax", lambda: d.compile("jax")(**env)))
    return out


def _jax_float64() -> None:
    """JAX computes in float32 unless told otherwise; the comparison is in float64."""
    import jax

    jax.config.update("jax_enable_x64", True)


def run_case(expr: str, wrt: Sequence[str], declare: Sequence[str], seed: int,
             jax: bool = False, layout: str = "mixed",
             symmetric_gradient: str = "symmetrized") -> Outcome:
    """Compute the derivative and compare every surface with the oracle at one point."""
    try:
        d = matdiff.derivative(expr, list(wrt), declare=list(declare), layout=layout,
                               symmetric_gradient=symmetric_gradient)
        env, sizes = _point(d, seed)
    except REFUSALS as err:
        return Outcome("refused", f"{type(err).__name__}: {str(err).splitlines()[0][:90]}")
    except MatdiffError as err:
        return Outcome(f"error: derivative: {type(err).__name__}", str(err)[:200])
    except Exception as err:  # the campaign counts every crash
        return Outcome(f"crash: derivative: {type(err).__name__}",
                       "".join(traceback.format_exception_only(err)).strip()[:300])
    try:
        with np.errstate(all="ignore"):
            want = oracle.derivative(expr, wrt, env, declare, layout, symmetric_gradient)
    except oracle.OracleUnsupported as err:
        return Outcome("unsupported", str(err))
    except Exception as err:  # a bug of the oracle, counted as its own
        return Outcome(f"oracle crash: {type(err).__name__}", str(err)[:200])
    if not np.all(np.isfinite(want)):
        return Outcome("unsupported", "the oracle's value is not finite at the point")
    failures: list[Outcome] = []
    for surface, compute in surfaces(d, env, sizes, jax):
        try:
            got = _to_numpy(compute())
        except MatdiffError as err:
            failures.append(Outcome(f"error: {surface}: {type(err).__name__}",
                                    str(err).splitlines()[0][:200]))
            continue
        except Exception as err:  # another library's exception: a crash
            failures.append(Outcome(f"crash: {surface}: {type(err).__name__}",
                                    str(err).splitlines()[0][:200] if str(err) else ""))
            continue
        if not _close(got, want):
            try:
                fd_ok = d.check(seed=seed, points=1, tolerance=1e-5).ok
            except MatdiffError:
                fd_ok = False
            verdict = "disputed" if fd_ok else "wrong"
            failures.append(Outcome(f"{verdict}: {surface}",
                                    f"gives {d.text[:160]}; max |diff| "
                                    f"{_max_diff(got, want)}"))
    if failures:
        return Outcome(failures[0].status, failures[0].detail, failures[1:])
    return Outcome("checked")


def _max_diff(got: Any, want: np.ndarray) -> str:
    g = np.asarray(got, dtype=np.float64)
    if g.shape != want.shape:
        return f"shape {g.shape} != {want.shape}"
    return f"{float(np.max(np.abs(g - want))) if want.size else 0.0:.3g}"


def options_for(seed: int) -> dict[str, str]:
    """Layout and symmetric-gradient convention of a case, spread by its seed (mixed,
    the default, for most)."""
    layout = ("mixed", "mixed", "mixed", "numerator", "denominator")[seed % 5]
    return {"layout": layout,
            "symmetric_gradient": "cookbook" if seed % 7 == 0 else "symmetrized"}


def reproducer(expr: str, wrt: Sequence[str], declare: Sequence[str], seed: int,
               **options: str) -> str:
    extra = "".join(f", {k}={v!r}" for k, v in options.items()
                    if v not in ("mixed", "symmetrized"))
    return (f"matdiff.derivative({expr!r}, {list(wrt)!r}, declare={list(declare)!r}"
            f"{extra})  # point seed {seed}")


__all__ = ["REFUSALS", "SURFACES", "Outcome", "options_for", "reproducer", "run_case"]
