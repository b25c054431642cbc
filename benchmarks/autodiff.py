"""Generated derivative code against autodiff (issue 6), side by side in one process.

For F1-F5 of issue 6, at n = 100 and 1000 (and 3000 for gradients), times per call
(medians) of: matdiff's generated NumPy and JAX code (``Derivative.compile``), a
hand-written closed form in NumPy ("CF"), ``jax.jit(jax.grad)``, ``jax.jit(jax.hessian)``
and ``torch.func.grad`` / ``torch.func.hessian``; for F3 and F4 also matdiff's
Hessian-vector product and Kronecker-factored Hessian (never materialised) against the
dense ``jax.hessian`` and JAX's own jitted HVP.  Every result is compared with the closed
form first (relative error < 1e-6, float64 everywhere).  Ratios are other / CF, or for
the structured Hessians ``jax.hessian / matdiff``.  Also printed: matdiff's own time to
produce each derivative (parse, differentiate, simplify, generate code).

Dense Hessians with more than ``--max-entries`` entries are skipped (F3/F4/F5 at
n = 1000 need 10^8-10^12 entries: 0.8 GB to 8 TB); jax and torch are skipped with a
note when not installed.

    .venv/bin/python benchmarks/autodiff.py            # full run (~5-10 min)
    .venv/bin/python benchmarks/autodiff.py --quick    # smoke run: tiny n, agreement only
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import matdiff

Array = Any
K = 10  # the inner size of F3 (U, V: n x K) and F5 (hidden and output sizes)

HAVE_JAX = importlib.util.find_spec("jax") is not None
HAVE_TORCH = importlib.util.find_spec("torch") is not None
if HAVE_JAX:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
if HAVE_TORCH:
    import torch
    import torch.func


@dataclass
class Problem:
    name: str
    expr: str
    wrt: str
    declare: list[str] | None
    point: Callable[[int, np.random.Generator], dict[str, Array]]
    grad_cf: Callable[..., Array]
    hess_cf: Callable[..., Array]
    f_jax: Callable[..., Array]  # array library passed as `xp` (jnp or torch)
    hessian_entries: Callable[[int], int]
    structured: bool = False  # time the HVP and the factored form
    hvp_cf: Callable[..., Array] | None = None  # hand-written HVP (reference when no dense)


def _spd(n: int, rng: np.random.Generator) -> Array:
    a = rng.normal(size=(n, n))
    return a @ a.T / n + np.eye(n)


def _sym(n: int, rng: np.random.Generator) -> Array:
    a = rng.normal(size=(n, n))
    return (a + a.T) / 2


def _f2_hess(X: Array, y: Array, w: Array) -> Array:
    s = 1 / (1 + np.exp(-y * (X @ w)))
    d = y * y * s * (1 - s)
    return X.T @ (d[:, None] * X)


def _f4_grad(X: Array, S: Array) -> Array:
    A = np.linalg.inv(X)
    return A - A @ S @ A


def _f4_hess(X: Array, S: Array) -> Array:
    A = np.linalg.inv(X)
    B = A @ S @ A
    T = np.einsum("ik,lj->ijkl", B - A, A) + np.einsum("ik,lj->ijkl", A, B)
    return (T + T.transpose(0, 1, 3, 2)) / 2  # on symmetric matrices (X spd)


def _f4_hvp(W: Array, X: Array, S: Array) -> Array:
    A = np.linalg.inv(X)
    B = A @ S @ A
    W = (W + W.T) / 2
    H = (B - A) @ W @ A + A @ W @ B
    return (H + H.T) / 2


def _f5_grad(W1: Array, W2: Array, x: Array, y: Array) -> Array:
    a = np.tanh(W1 @ x)
    return 2 * np.outer((1 - a * a) * (W2.T @ (W2 @ a - y)), x)


def _f5_hess(W1: Array, W2: Array, x: Array, y: Array) -> Array:
    a = np.tanh(W1 @ x)
    d = 1 - a * a
    M = 2 * d[:, None] * (W2.T @ W2) * d - np.diag(4 * a * d * (W2.T @ (W2 @ a - y)))
    return np.einsum("ik,j,l->ijkl", M, x, x)


PROBLEMS = [
    Problem("F1", "x'*A*x", "x", None,
            lambda n, r: {"A": r.normal(size=(n, n)), "x": r.normal(size=n)},
            lambda A, x: A @ x + x @ A, lambda A, x: A + A.T,
            lambda xp, A, x: x @ A @ x, lambda n: n * n),
    Problem("F2", "sum(log(1 + exp(-y.*(X*w))))", "w", None,
            lambda n, r: {"X": r.normal(size=(2 * n, n)) / np.sqrt(n),
                          "y": r.choice([-1.0, 1.0], size=2 * n), "w": r.normal(size=n)},
            lambda X, y, w: X.T @ (-y / (1 + np.exp(y * (X @ w)))), _f2_hess,
            lambda xp, X, y, w: xp.sum(xp.log(1 + xp.exp(-y * (X @ w)))), lambda n: n * n),
    Problem("F3", "norm2(X - U*V')^2", "U", None,
            lambda n, r: {"X": r.normal(size=(n, n)), "U": r.normal(size=(n, K)),
                          "V": r.normal(size=(n, K))},
            lambda X, U, V: 2 * (U @ V.T - X) @ V,
            lambda X, U, V: 2 * np.einsum("ik,jl->ijkl", np.eye(len(X)), V.T @ V),
            lambda xp, X, U, V: xp.sum((X - U @ V.T) ** 2), lambda n: (n * K) ** 2,
            structured=True, hvp_cf=lambda W, X, U, V: 2 * W @ (V.T @ V)),
    Problem("F4", "logdet(X) + tr(S*inv(X))", "X",
            ["X: matrix(n, n) spd", "S: matrix(n, n) symmetric"],
            lambda n, r: {"X": _spd(n, r), "S": _sym(n, r)}, _f4_grad, _f4_hess,
            lambda xp, X, S: xp.linalg.slogdet(X)[1] + xp.trace(S @ xp.linalg.inv(X)),
            lambda n: n ** 4, structured=True, hvp_cf=_f4_hvp),
    Problem("F5", "norm2(W2*tanh(W1*x) - y)^2", "W1",
            ["W1: matrix(h, n)", "W2: matrix(m, h)"],
            lambda n, r: {"W1": r.normal(size=(K, n)) / np.sqrt(n),
                          "W2": r.normal(size=(K, K)), "x": r.normal(size=n),
                          "y": r.normal(size=K)},
            _f5_grad, _f5_hess,
            lambda xp, W1, W2, x, y: xp.sum((W2 @ xp.tanh(W1 @ x) - y) ** 2),
            lambda n: (K * n) ** 2),
]


def median_time(fn: Callable[[], Any], budget: float) -> float:
    """Median seconds per call: batches of calls lasting >= budget/5 each (one warm-up
    call first, which also compiles JAX code)."""
    _block(fn())
    start = time.perf_counter()
    _block(fn())
    once = time.perf_counter() - start
    number = max(1, int(budget / 5 / max(once, 1e-7)))
    samples = []
    for _ in range(3 if once > budget / 3 else 5):
        start = time.perf_counter()
        for _ in range(number):
            out = fn()
        _block(out)
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def _block(x: Any) -> Any:
    if hasattr(x, "block_until_ready"):
        x.block_until_ready()
    return x


def _numpy(x: Any) -> Array:
    if HAVE_TORCH and isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if hasattr(x, "dense"):
        return x.dense()
    return np.asarray(x)


def agree(value: Any, expected: Array) -> float:
    got = _numpy(value)
    if got.shape != expected.shape:
        raise AssertionError(f"shape {got.shape} != {expected.shape}")
    return float(np.max(np.abs(got - expected)) / max(1.0, np.max(np.abs(expected))))


def _sym_axes(h: Array, k: int) -> Array:
    """Symmetrize a Hessian of a matrix variable on both argument pairs (F4: X spd)."""
    if k != 2:
        return h
    h = (h + h.transpose(1, 0, 2, 3)) / 2
    return (h + h.transpose(0, 1, 3, 2)) / 2


class Report:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.rows: list[tuple[str, ...]] = []
        self.targets: list[tuple[str, bool]] = []  # issue 6's targets: (what, met)

    def target(self, what: str, met: bool) -> None:
        self.targets.append((what, met))

    def row(self, *cells: str) -> None:
        print("  " + "  ".join(cells), flush=True)


def produce_time(p: Problem, order: int, env: dict[str, Array]) -> tuple[Any, float]:
    """matdiff's time to parse, differentiate, simplify and generate code."""
    start = time.perf_counter()
    d = matdiff.derivative(p.expr, [p.wrt] * order, declare=p.declare)
    c = d.compile("numpy")
    c.source(**{k: np.shape(v) for k, v in env.items()})
    return d, time.perf_counter() - start


def run_problem(p: Problem, n: int, args: argparse.Namespace, rep: Report,
                hessians: bool) -> None:
    rng = np.random.default_rng(0)
    env = p.point(n, rng)
    names = list(env)
    tol = 1e-6
    print(f"\n{p.name} {p.expr} by {p.wrt}, n = {n}", flush=True)

    def timed(label: str, fn: Callable[[], Any], expected: Array, cf: float | None,
              check: Callable[[Any], Array] = lambda v: v) -> float | None:
        try:
            err = agree(check(fn()), expected)
        except Exception as e:  # report, keep going
            rep.failures.append(f"{p.name} n={n} {label}: {type(e).__name__}: {e}")
            print(f"    {label:34s} FAILED ({type(e).__name__}: {e})")
            return None
        if err > tol:
            rep.failures.append(f"{p.name} n={n} {label}: relative error {err:.1e}")
        t = median_time(fn, args.budget)
        ratio = f"{t / cf:8.2f}x CF" if cf else ""
        flag = "" if err <= tol else f"  DISAGREES ({err:.1e})"
        print(f"    {label:34s} {t * 1e3:12.4f} ms  {ratio}{flag}", flush=True)
        return t

    # gradients
    g_cf = p.grad_cf(**env)
    d, t_make = produce_time(p, 1, env)
    print(f"  gradient  (matdiff produced it in {t_make * 1e3:.1f} ms: {d.text})")
    rep.target(f"{p.name} n={n} producing the gradient {t_make * 1e3:.1f} ms < 50 ms",
               t_make < 0.05)
    cf = timed("hand-written NumPy closed form", lambda: p.grad_cf(**env), g_cf, None)
    grad_np = d.compile("numpy")
    t_g = timed("matdiff generated NumPy", lambda: grad_np(**env), g_cf, cf)
    if n == 1000 and t_g and cf:
        rep.target(f"{p.name} n={n} gradient / CF {t_g / cf:.2f} <= 1.10", t_g / cf <= 1.10)
    if HAVE_JAX:
        jenv = {k: jnp.asarray(v) for k, v in env.items()}
        grad_jx = d.compile("jax")
        timed("matdiff generated JAX (jit)", lambda: grad_jx(**jenv), g_cf, cf)
        jg = jax.jit(jax.grad(lambda *a: p.f_jax(jnp, *a), argnums=names.index(p.wrt)))
        timed("jax.jit(jax.grad)", lambda: jg(*jenv.values()), g_cf, cf)
    if HAVE_TORCH:
        tenv = {k: torch.as_tensor(v) for k, v in env.items()}
        tg = torch.func.grad(lambda *a: p.f_jax(torch, *a), argnums=names.index(p.wrt))
        timed("torch.func.grad", lambda: tg(*tenv.values()), g_cf, cf)
    if not hessians:
        return

    # Hessians
    entries = p.hessian_entries(n)
    h, t_make = produce_time(p, 2, env)
    print(f"  Hessian   (matdiff produced it in {t_make * 1e3:.1f} ms)")
    rep.target(f"{p.name} n={n} producing the Hessian {t_make * 1e3:.1f} ms < 50 ms",
               t_make < 0.05)
    k = len(np.shape(env[p.wrt]))
    t_jh: float | None = None
    if entries > args.max_entries:
        print(f"    dense Hessian skipped: {entries:.1e} entries > --max-entries "
              f"{args.max_entries:.0e}")
        h_cf = None
    else:
        h_cf = p.hess_cf(**env)
        cf = timed("hand-written NumPy closed form", lambda: p.hess_cf(**env), h_cf, None)
        hess_np = h.compile("numpy")
        t_md = timed("matdiff generated NumPy", lambda: hess_np(**env), h_cf, cf)
        autodiff = entries <= args.max_autodiff_entries or n <= 100
        if not autodiff:
            print(f"    autodiff dense Hessians skipped: {entries:.1e} entries > "
                  f"--max-autodiff-entries {args.max_autodiff_entries:.0e} (jax.hessian of "
                  "F3 at n = 1000 asks for 80 GB)")
        if HAVE_JAX:
            hess_jx = h.compile("jax")
            timed("matdiff generated JAX (jit)", lambda: hess_jx(**jenv), h_cf, cf)
        if HAVE_JAX and autodiff:
            jh = jax.jit(jax.hessian(lambda *a: p.f_jax(jnp, *a),
                                     argnums=names.index(p.wrt)))
            t_jh = timed("jax.jit(jax.hessian)", lambda: jh(*jenv.values()), h_cf, cf,
                         check=lambda v: _sym_axes(np.asarray(v), k) if p.declare and
                         "spd" in p.declare[0] else v)
            if t_md and t_jh:
                print(f"    => jax.hessian / matdiff NumPy = {t_jh / t_md:.1f}x")
            if t_md and t_jh and n >= 100:
                want = 20 if p.name in ("F1", "F3", "F4") else 2
                rep.target(f"{p.name} n={n} jax.hessian / matdiff dense "
                           f"{t_jh / t_md:.1f}x >= {want}x", t_jh / t_md >= want)
        if HAVE_TORCH and autodiff:
            th = torch.func.hessian(lambda *a: p.f_jax(torch, *a),
                                    argnums=names.index(p.wrt))
            timed("torch.func.hessian", lambda: th(*tenv.values()), h_cf, cf,
                  check=lambda v: _sym_axes(v.detach().numpy(), k) if p.declare and
                  "spd" in p.declare[0] else v)
    if not p.structured:
        return
    v = rng.normal(size=np.shape(env[p.wrt]))
    if p.name == "F4":
        v = (v + v.T) / 2
    # the reference: the closed-form Hessian times v, else the closed form's HVP
    expected = (np.tensordot(h_cf, v, axes=k) if h_cf is not None
                else np.asarray(p.hvp_cf(v, **env)))
    hvp = h.compile("numpy", hvp=True)
    t_hvp = timed("matdiff HVP, NumPy", lambda: hvp(v, **env), expected, None)
    if h.kronecker is not None:
        fac = h.compile("numpy", factored=True)
        t_fac = timed("matdiff Kronecker factors, NumPy", lambda: fac(**env),
                      h_cf, None) if h_cf is not None else None
        timed("  ... applied to V (A*V*B)", lambda: fac(**env) @ v, expected, None)
    else:
        t_fac = None
        print("    (no Kronecker form for this Hessian: the HVP is the structured form)")
    if HAVE_JAX:
        gfun = jax.grad(lambda *a: p.f_jax(jnp, *a), argnums=names.index(p.wrt))
        i = names.index(p.wrt)

        def jhvp(vv: Array, *a: Array) -> Array:
            return jax.jvp(lambda w: gfun(*a[:i], w, *a[i + 1:]), (a[i],), (vv,))[1]

        jv = jax.jit(jhvp)
        jvv = jnp.asarray(v)
        timed("jax.jit(jvp(grad)) HVP", lambda: jv(jvv, *jenv.values()), expected, None,
              check=lambda r: ((np.asarray(r) + np.asarray(r).T) / 2) if p.name == "F4"
              else r)
    if t_jh and (t_hvp or t_fac):
        best = min(t for t in (t_hvp, t_fac) if t)
        print(f"    => jax.hessian (dense) / matdiff structured = {t_jh / best:,.0f}x")
    if t_jh and (t_hvp or t_fac) and n == 100:
        best = min(t for t in (t_hvp, t_fac) if t)
        rep.target(f"{p.name} n={n} jax.hessian / matdiff structured "
                   f"{t_jh / best:,.0f}x >= 1000x", t_jh / best >= 1000)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: n = 6 and 12, short timings; checks agreement")
    ap.add_argument("--sizes", type=int, nargs="*", default=None,
                    help="override the sizes (Hessians are timed at each size)")
    ap.add_argument("--only", nargs="*", default=None, help="problem names, e.g. F1 F4")
    ap.add_argument("--budget", type=float, default=0.5,
                    help="seconds of timing per measurement (default 0.5)")
    ap.add_argument("--max-entries", type=float, default=1.1e8,
                    help="skip dense Hessians with more entries (default 1.1e8)")
    ap.add_argument("--max-autodiff-entries", type=float, default=2e7,
                    help="skip autodiff dense Hessians with more entries unless n <= 100 "
                         "(default 2e7)")
    args = ap.parse_args(argv)
    if args.quick:
        args.budget = min(args.budget, 0.01)
    print(f"numpy {np.__version__}" + (f", jax {jax.__version__}" if HAVE_JAX else "")
          + (f", torch {torch.__version__}" if HAVE_TORCH else ""))
    for missing, have in (("jax", HAVE_JAX), ("torch", HAVE_TORCH)):
        if not have:
            print(f"skipped: {missing} is not installed (pip install 'matdiff[{missing}]')")
    if HAVE_TORCH:
        torch.set_num_threads(max(1, torch.get_num_threads()))
    grad_only = [] if args.quick or args.sizes else [3000]
    sizes = args.sizes or ([6, 12] if args.quick else [100, 1000])
    matdiff.derivative("x'*x", "x").compile().source(x=(3,))  # warm up imports, grammar
    rep = Report()
    for p in PROBLEMS:
        if args.only and p.name not in args.only:
            continue
        for n in sizes:
            run_problem(p, n, args, rep, hessians=True)
        for n in grad_only:
            run_problem(p, n, args, rep, hessians=False)
    if rep.targets and not args.quick:
        print("\nissue 6 targets (medians of this run):")
        for what, met in rep.targets:
            print(f"  {'met   ' if met else 'MISSED'}  {what}")
    if rep.failures:
        print("\nDISAGREEMENTS / FAILURES:")
        for f in rep.failures:
            print("  " + f)
        return 1
    print("\nall results agree with the hand-written closed forms (relative error < 1e-6)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
