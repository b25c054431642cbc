"""Legal but awkward variable names in generated code: Python keywords (``lambda``, a
documented Greek name, ``None``, ``if``), the backends' module names (``np``, ``jnp``,
``torch``), builtins, names of the generated helpers and temporaries (``t0``, ``_z0``,
``_check_shapes``, ``f``), and names that collide once mangled (``np`` and ``np_``).

Every generated module must run its own gradient check, every compiled function and
one-expression code must give the reference evaluator's value, with the user's names
as keyword arguments where Python allows them (``lambda`` is spelled ``lambda_``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import matdiff
from matdiff.codegen import python_name

NAMES = ["lambda", "None", "True", "if", "np", "np_", "jnp", "torch", "math", "print",
         "len", "t0", "t1", "_z0", "_check_shapes", "f", "grad", "numpy", "sum_", "x_"]
BACKENDS = ["numpy", "torch", "jax"]


def _exec_module(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "generated"}
    exec(compile(source, "<generated>", "exec"), namespace)  # our own generated code
    return namespace


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", NAMES)
def test_generated_module_runs_with_the_name(name: str, backend: str) -> None:
    if backend == "jax" and name not in ("lambda", "np", "jnp", "t0"):
        pytest.skip("jax: a few names (jit tracing is slow)")
    expr = f"norm2(W*x - y)^2 + {name}*x'*x + sum(exp({name}*x))"
    source = matdiff.generate_module(expr, "x", backend=backend, hessian=True,
                                     declare=[f"{name}: scalar"])
    module = _exec_module(source)
    assert module["check_gradient"]() is True
    assert f"def f(W, x, y, {python_name(name)})" in source or python_name(name) in source


def test_keywords_and_module_names_are_mangled_one_to_one() -> None:
    assert python_name("lambda") == "lambda_"
    assert python_name("np") == "np_" and python_name("np_") == "np__"
    assert python_name("x") == "x" and python_name("t0") == "t0"
    mangled = {python_name(n) for n in NAMES}
    assert len(mangled) == len(NAMES)


def test_np_and_np_underscore_together() -> None:
    d = matdiff.derivative("np'*x + np_'*x", "x")
    env = {"np": np.array([1.0, 2.0]), "np_": np.array([3.0, 4.0]), "x": np.ones(2)}
    expected = d.at(env)
    assert np.allclose(expected, [4.0, 6.0])
    assert np.allclose(eval(d.numpy, {"np": np, "np_": env["np"], "np__": env["np_"]}),
                       expected)
    for backend in BACKENDS:
        assert np.allclose(np.asarray(d.compile(backend)(**env)), expected)
    module = _exec_module(matdiff.generate_module("np'*x + np_'*x", "x"))
    assert module["check_gradient"]() is True
    assert np.allclose(module["grad"](np_=env["np"], np__=env["np_"], x=env["x"]), expected)


def test_temporaries_avoid_input_names() -> None:
    # t0 and _z0 are input names here; the shared subexpressions must not overwrite them
    d = matdiff.derivative("sum(exp(t0*X*w)) + sum(exp(t0*X*w))*_z0", ["w", "w"],
                           declare=["t0: scalar", "_z0: scalar"])
    rng = np.random.default_rng(0)
    env = {"t0": 0.3, "_z0": 0.7, "X": rng.standard_normal((4, 3)),
           "w": rng.standard_normal(3)}
    expected = d.at(env)
    for backend in BACKENDS:
        assert np.allclose(np.asarray(d.compile(backend)(**env)), expected, rtol=1e-5)


def test_ridge_with_lambda_runs() -> None:
    source = matdiff.generate_module("norm2(X*w - y)^2 + lambda*norm2(w)^2", "w",
                                     hessian=True)
    assert "lambda_" in source and "lambda as lambda_" in source
    module = _exec_module(source)
    assert module["check_gradient"]() is True
    rng = np.random.default_rng(1)
    X, y, w = rng.standard_normal((5, 3)), rng.standard_normal(5), rng.standard_normal(3)
    assert np.allclose(module["grad"](X=X, w=w, y=y, lambda_=0.5),
                       2 * (X.T @ (X @ w - y) + 0.5 * w))
