"""Constant subexpressions in generated code, every op x every backend.

``log(2)*x``, ``tanh(4)/sum(W)``, ``norm2(2)``, ``A*x/norm1(3)``: a function of a number
must be a float of the backend (NumPy's ``np.abs(3)`` is an integer, which refuses a
negative power; torch functions refuse Python numbers), and ``relu``/``step`` of a
scalar must keep the input's dtype.  Each compiled value (and each one-expression
``d.code``) is compared with the reference evaluator (``d.at``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import matdiff
from matdiff.ir.ops import ELEMENTWISE_FUNCTIONS

torch = pytest.importorskip("torch")

OPS = [*ELEMENTWISE_FUNCTIONS, "sum", "norm1", "norm2", "tr", "det", "logdet", "inv"]
CONSTANTS = ["0.5", "3", "1/3", "2^0.5", "(1 + 3^0.5)/2"]  # numbers and constant parts
TEMPLATES = [  # (expression with {op}({c}), variable)
    ("{op}({c})*x", "x"),
    ("A*x/{op}({c})", "A"),
    ("{op}({c})*x'*x", ["x", "x"]),
    ("a*{op}({c}) + {op}(a)", "a"),
    ("sum({op}({c}*x))", "x"),
    ("tr({op}({c})*X)", "X"),
    # constant matrices (det, logdet, inv take square matrices): sizes from X
    ("tr(X*{op}({c}*eye + matrix(1)))", "X"),
    ("{op}({c}*eye + matrix(1) + 0*X)*sum(X)", "X"),
    ("x'*{op}({c}*eye + matrix(1))*x", ["x", "x"]),
]


def _point(d: matdiff.Derivative) -> dict[str, Any]:
    env: dict[str, Any] = {}
    for name, v in d.variables.items():
        k = len(v.shape.dims)
        env[name] = 0.3 if k == 0 else np.full((3,) * k, 0.3) + (np.eye(3) if k == 2 else 0)
    return env


def _cases(op: str) -> list[tuple[matdiff.Derivative, dict[str, Any], np.ndarray]]:
    out = []
    for c in CONSTANTS:
        for template, wrt in TEMPLATES:
            expr = template.format(op=op, c=c)
            try:
                d = matdiff.derivative(expr, wrt)
                env = _point(d)
                value = d.at(env)
            except matdiff.MatdiffError:  # not in the language, or undefined there
                continue
            out.append((d, env, value))
    return out


@pytest.mark.parametrize("op", OPS)
def test_constant_subexpressions_in_every_backend(op: str) -> None:
    cases = _cases(op)
    assert cases, f"no expression of {op} of a constant was accepted"
    for k, (d, env, value) in enumerate(cases):
        for backend in ("numpy", "torch") if k else ("numpy", "torch", "jax"):
            out = np.asarray(d.compile(backend)(**env))
            assert np.allclose(out, value, rtol=1e-5, atol=1e-6), (backend, d.source)
        numpy_value = eval(d.code("numpy"), {"np": np, **env})  # our own generated code
        assert np.allclose(numpy_value, value), d.code("numpy")
        tensors = {n: torch.as_tensor(np.asarray(v, dtype=np.float64)) for n, v in env.items()}
        torch_value = eval(d.code("torch"), {"torch": torch, **tensors})
        assert np.allclose(np.asarray(torch_value), value), d.code("torch")


def test_the_reported_constants() -> None:
    d = matdiff.derivative("A*x/norm1(3)", "A")
    assert "np.abs(3.0)" in d.numpy
    assert "torch.as_tensor(2.0" in matdiff.derivative("log(2)*x", "x").code("torch")
    for backend in ("numpy", "jax", "torch"):
        relu = matdiff.derivative("relu(a)", "a").compile(backend)
        assert float(np.asarray(relu(a=0.7))) == 1.0
        assert float(np.asarray(relu(a=-0.7))) == 0.0
    r32 = matdiff.derivative("relu(a)", "a").compile("torch")(a=torch.tensor(0.5))
    assert r32.dtype == torch.float32  # the input's dtype, not float64 from a constant
