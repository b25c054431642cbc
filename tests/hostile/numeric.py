"""The numeric check of an ``ok`` case: never a comparison with a string the code made.

- ``derivative``: ``Derivative.check()`` (finite differences of every order) passes, and
  the printed one-line text reads back: parsed with concrete sizes and evaluated at a
  random point it gives the derivative's own value there (a printed formula that loses
  a broadcast scalar, or holds ``vector(1)`` / ``eye`` of no fixed size, fails);
- ``module``: the generated module executes, and its ``grad`` agrees with central
  differences of its own ``f`` computed here;
- ``stationary``: ``solve``'s solution at the request's values makes the gradient (of
  ``matdiff.derivative``, itself checked elsewhere) vanish there.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _derivative(case: dict[str, Any], result: Any) -> Any:
    import matdiff

    if isinstance(result, matdiff.Derivative):
        return result
    r = case["request"]
    return matdiff.derivative(r["expr"], r["wrt"], declare=r.get("declare"),
                              layout=r.get("layout", "mixed"), order=r.get("order"),
                              symmetric_gradient=r.get("symmetric_gradient",
                                                       "symmetrized"))


def _declaration(name: str, node: Any, sizes: dict[Any, int]) -> str:
    dims = [sizes[d] for d in node.shape.dims]
    if not dims:
        return f"{name}: scalar"
    if len(dims) == 1:
        return f"{name}: vector({dims[0]})"
    return f"{name}: matrix({dims[0]}, {dims[1]})"


def roundtrip(d: Any, seed: int = 1) -> str | None:
    """``None`` when ``d.inline_text`` evaluates to ``d``'s value, else what differs."""
    from matdiff import testing
    from matdiff.evaluate import evaluate
    from matdiff.parse import parse

    if d.result is None:
        return None  # index form: no one-line matrix text to read back
    rng = np.random.default_rng(seed)
    sizes = testing.choose_sizes([d.function, d.result, *d.variables.values()], rng)
    env = testing.sample_point(d.function, d.variables, sizes, rng)
    want = np.asarray(d.evaluate(env, sizes), dtype=float)
    text = d.inline_text
    # (a name too long for a declaration keeps its default kind; the values size it)
    declare = [_declaration(n, v, sizes) for n, v in d.variables.items() if len(n) < 900]
    try:
        parsed = parse(text, declare)
        got = np.asarray(evaluate(parsed.expr, env), dtype=float)
    except Exception as e:
        return f"the printed text {text!r} does not read back: {type(e).__name__}: {e}"
    if got.size == 1 and want.size == 1:
        got, want = got.reshape(()), want.reshape(())
    if got.shape != want.shape and got.size == want.size:
        got = got.reshape(want.shape)
    if got.shape != want.shape:
        return f"the printed text {text!r} has shape {got.shape}, the derivative {want.shape}"
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    if not np.allclose(got, want, rtol=1e-7, atol=1e-9 * scale):
        return (f"the printed text {text!r} evaluates to other values "
                f"(max difference {float(np.max(np.abs(got - want))):.3g})")
    return None


def _check_derivative(case: dict[str, Any], result: Any) -> dict[str, Any]:
    import matdiff

    d = _derivative(case, result)
    try:
        c = d.check(tolerance=case.get("tolerance", 1e-6))
    except matdiff.LimitError as e:  # a derivative too large to check: said, not hidden
        return {"ok": True, "detail": f"printed; the check refuses clearly: {e.message}"}
    except matdiff.EvaluationError as e:
        if "too large for floating point" not in e.message:
            raise
        # exp(1000)*x: the exact answer is printed; floats cannot represent it
        return {"ok": True, "detail": f"printed; not checkable in floating point: {e.message}"}
    if c.points < 1 or not np.isfinite(c.max_relative_error) or not c.ok:
        return {"ok": False, "detail": f"Derivative.check(): {c} over {c.points} points"}
    problem = roundtrip(d)
    if problem is not None:
        return {"ok": False, "detail": problem}
    return {"ok": True, "detail": str(c)}


def _check_module(case: dict[str, Any], result: Any) -> dict[str, Any]:
    import matdiff

    r = case["request"]
    source = result if isinstance(result, str) else matdiff.generate_module(
        r["expr"], r["wrt"], declare=r.get("declare"))
    namespace: dict[str, Any] = {"__name__": "generated"}
    try:
        exec(compile(source, "generated.py", "exec"), namespace)  # test only: our own output
    except Exception as e:
        return {"ok": False, "detail": f"the generated module fails: {type(e).__name__}: {e}"}
    rng = np.random.default_rng(0)
    sizes = {d: 3 for want in namespace["_SHAPES"].values() for d in want
             if not isinstance(d, int)}
    point = namespace["_sample"](rng, sizes)
    name = r["wrt"]
    if name not in point:  # a name Python reserves takes one more underscore (lambda_)
        name += "_"
    f, grad = namespace["f"], namespace["grad"]

    def call(fn: Any, values: dict[str, Any]) -> Any:
        # by position, in the function's own order: a parameter may be renamed where
        # the name is a Python keyword (lambda -> lambda_), so map it back
        import inspect

        keys = [p if p in values else p.rstrip("_")
                for p in inspect.signature(fn).parameters]
        return fn(*(values[k] for k in keys))

    try:
        g = np.asarray(call(grad, point), dtype=float)
        x0 = np.asarray(point[name], dtype=float)
        f0 = np.asarray(call(f, point), dtype=float)
        fd = np.zeros(f0.shape + x0.shape)  # mixed layout: a Jacobian has f's axes first
        h = 1e-6
        for idx in np.ndindex(x0.shape):
            e = np.zeros_like(x0)
            e[idx] = h
            fd[(..., *idx)] = (np.asarray(call(f, {**point, name: x0 + e}), dtype=float) -
                               np.asarray(call(f, {**point, name: x0 - e}), dtype=float)
                               ) / (2 * h)
    except Exception as e:
        return {"ok": False, "detail": f"the generated functions fail: {type(e).__name__}: {e}"}
    scale = max(1.0, float(np.max(np.abs(fd))))
    if g.shape != fd.shape or not np.allclose(g, fd, rtol=1e-5, atol=1e-6 * scale):
        return {"ok": False, "detail": "the generated grad disagrees with finite differences"}
    return {"ok": True, "detail": "generated grad matches finite differences"}


def _check_stationary(case: dict[str, Any], result: Any) -> dict[str, Any]:
    """The solution at the request's values makes the gradient vanish there."""
    import matdiff

    r = case["request"]
    values = {k: np.asarray(v, dtype=float) for k, v in r["values"].items()}
    solution = result if isinstance(result, matdiff.Solution) else matdiff.solve(
        r["expr"], r["wrt"], declare=r.get("declare"))
    x = np.asarray(solution.at(**values), dtype=float)
    g = matdiff.derivative(r["expr"], r["wrt"], declare=r.get("declare")).at(
        {**values, r["wrt"]: x})
    size = float(np.max(np.abs(g)))
    scale = max(1.0, *(float(np.max(np.abs(v))) for v in values.values()))
    if not np.isfinite(size) or size > 1e-6 * scale ** 3:
        return {"ok": False, "detail": f"the gradient at the solution is {size:.3g}, not 0"}
    return {"ok": True, "detail": f"gradient at the solution {size:.1e}"}


def numeric_check(case: dict[str, Any], outcome: dict[str, Any], result: Any) -> dict[str, Any]:
    """Run the case's ``check`` (only when the run itself succeeded)."""
    succeeded = (outcome.get("rc") == 0 or outcome.get("status") == 200 or
                 (case["surface"] == "api" and outcome.get("raised") is None))
    if not succeeded:
        return {"ok": True, "detail": "not run (the case ended in an error)"}
    kind = case["check"]
    try:
        if kind == "derivative":
            return _check_derivative(case, result)
        if kind == "module":
            return _check_module(case, result)
        if kind == "stationary":
            return _check_stationary(case, result)
    except Exception as e:
        return {"ok": False, "detail": f"the check raised {type(e).__name__}: {e}"}
    raise ValueError(f"unknown check {kind!r}")
