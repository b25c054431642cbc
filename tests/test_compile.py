"""Compiled derivatives (``Derivative.compile``): every backend's gradient and Hessian on
the Cookbook corpus against central finite differences and against each other; the
Hessian-vector product and the Kronecker factors against the dense Hessian; the speed
rewrites (solve, broadcast diagonals, chain order at the actual sizes) give the same
numbers; bad input gets clear errors.

NumPy and torch (CPU) run on every case; JAX (x64) on a representative subset, since
each shape costs a jit compile.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import matdiff
from matdiff.codegen import to_program
from matdiff.errors import OptionError, ShapeError
from matdiff.evaluate import evaluate
from matdiff.testing import choose_sizes, sample_point

jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")
jax.config.update("jax_enable_x64", True)

CORPUS = Path(__file__).parent / "corpus" / "cookbook.toml"
with CORPUS.open("rb") as fh:
    CASES: list[dict[str, Any]] = tomllib.load(fh)["case"]
BY_ID = {c["id"]: c for c in CASES}
IDS = [c["id"] for c in CASES]
JAX_IDS = IDS[::11]  # a spread over every section (jit compile time adds up)
TOL = 1e-6


@cache
def _derivative(case_id: str, order: int) -> matdiff.Derivative:
    c = BY_ID[case_id]
    return matdiff.derivative(c["expr"], c["wrt"] * order, declare=c.get("declare"),
                              symmetric_gradient=c.get("symmetric_gradient", "symmetrized"))


@cache
def _point(case_id: str) -> dict[str, Any]:
    d = _derivative(case_id, 1)
    rng = np.random.default_rng(5)
    sizes = choose_sizes([d.function, *d.variables.values()], rng)
    return sample_point(d.function, d.variables, sizes, rng)


def _close(actual: Any, expected: Any) -> None:
    a = np.asarray(actual.detach().numpy() if hasattr(actual, "detach") else actual)
    e = np.asarray(expected, dtype=float)
    assert a.shape == e.shape
    scale = max(1.0, float(np.max(np.abs(e)))) if e.size else 1.0
    assert float(np.max(np.abs(a - e), initial=0.0)) <= TOL * scale


def _finite_difference(d: matdiff.Derivative, env: dict[str, Any], direction: Any) -> Any:
    """Central difference of the function along ``direction`` in the variable."""
    name = d.wrt_variables[0].attrs[0]
    h = 1e-6

    def at(t: float) -> Any:
        moved = dict(env, **{name: env[name] + t * direction})
        return np.asarray(evaluate(d.function, moved))

    return (at(h) - at(-h)) / (2 * h)


def _direction(d: matdiff.Derivative, env: dict[str, Any], seed: int = 1) -> Any:
    name = d.wrt_variables[-1].attrs[0]
    v = np.random.default_rng(seed).standard_normal(np.shape(env[name]))
    props = d.wrt_variables[-1].attrs[1]
    if {"symmetric", "spd"} & props and v.ndim == 2:
        v = (v + v.T) / 2
    if "diagonal" in props and v.ndim == 2:
        v = np.diag(np.diag(v))
    return v


@pytest.mark.parametrize("case_id", IDS)
def test_gradient_numpy_torch_match_finite_differences(case_id: str) -> None:
    d = _derivative(case_id, 1)
    env = _point(case_id)
    value = d.compile("numpy")(**env)
    _close(d.compile("torch")(**{k: torch.as_tensor(v) for k, v in env.items()}), value)
    _close(value, d.evaluate(env))
    if d.order == 1 and d.options.symmetric_gradient == "symmetrized":  # <G, dX> = df
        v = _direction(d, env)
        k = np.ndim(v)
        mixed = np.transpose(np.asarray(value), np.argsort(d.permutation))
        exact = np.tensordot(mixed, v, axes=k) if k else mixed * v
        fd = _finite_difference(d, env, v)
        scale = max(1.0, float(np.max(np.abs(fd))))
        assert float(np.max(np.abs(exact - fd))) <= 1e-5 * scale


@pytest.mark.parametrize("case_id", IDS)
def test_hessian_and_hvp_agree(case_id: str) -> None:
    """Dense Hessian (numpy, torch) = the reference evaluator (itself checked by finite
    differences in test_cookbook); the HVP = the dense Hessian times a direction."""
    if not _derivative(case_id, 1).function.shape.is_scalar or _derivative(case_id, 1).order > 1:
        pytest.skip("Hessians of scalar functions")
    h = _derivative(case_id, 2)
    env = _point(case_id)
    dense = h.compile("numpy")(**env)
    _close(dense, h.evaluate(env))
    _close(h.compile("torch")(**{k: torch.as_tensor(v) for k, v in env.items()}), dense)
    v = _direction(h, env, seed=2)
    k = np.ndim(v)
    expected = np.tensordot(dense, v, axes=k) if k else dense * v
    _close(h.compile("numpy", hvp=True)(v, **env), expected)
    if h.kronecker is not None:
        fac = h.compile("numpy", factored=True)(**env)
        _close(fac.dense(), dense)
        _close(fac @ v, expected)


@pytest.mark.parametrize("case_id", JAX_IDS)
def test_jax_agrees_with_numpy(case_id: str) -> None:
    env = _point(case_id)
    for order in (1, 2):
        d = _derivative(case_id, order)
        first = _derivative(case_id, 1)
        if order == 2 and (not first.function.shape.is_scalar or first.order > 1):
            continue
        _close(np.asarray(d.compile("jax")(**env)), d.compile("numpy")(**env))


def test_jax_code_jits_and_vmaps() -> None:
    d = matdiff.derivative("norm2(X*w - y)^2", "w")
    c = d.compile("jax")
    fn = c.function(X=(5, 3), y=(5,), w=(3,))
    rng = np.random.default_rng(0)
    X, y, W = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=(4, 3))

    def one(w: Any) -> Any:
        return fn(*({"X": X, "y": y, "w": w}[name] for name in c.inputs))[0]

    batched = jax.jit(jax.vmap(one))(W)
    for row, w in zip(np.asarray(batched), W, strict=True):
        _close(row, 2 * X.T @ (X @ w - y))


def test_torch_code_takes_dtype_and_device_from_inputs() -> None:
    d = matdiff.derivative("x'*A*x + sum(x)", ["x", "x"])
    out = d.compile("torch")(A=torch.eye(3, dtype=torch.float32), x=torch.ones(3,
                                                                              dtype=torch.float32))
    assert out.dtype == torch.float32
    code = d.compile("torch").source(A=(3, 3), x=(3,))
    assert "device=" not in code or "A.device" in code or "x.device" in code
    assert "cuda" not in code and "cpu" not in code


@pytest.mark.parametrize(("expr", "wrt", "declare", "needle"), [
    ("x'*inv(A)*z", "z", None, "solve("),  # inv applied: a solve, no inverse
    ("x'*diag(u)*A*x", "x", None, "u * (A @ x)"),  # a diagonal broadcast, not np.diag
    ("norm2(X - U*V')^2", "U", None, "V.T @ V"),  # distributed: X*V - U*(V'*V)
    # d = y.^2 .* exp(z)./(exp(z) + 1).^2 >= 0 provably: X'*diag(d)*X as a syrk
    ("sum(log(1 + exp(-y.*(X*w))))", ["w", "w"], None, "[:, None] * X).T @ _z0"),
    # d = 6*(X*w) may be negative: no square root, the broadcast product
    ("sum((X*w).^3)", ["w", "w"], None, "X.T * ("),
    ("sum(exp(X*w))", ["w", "w"], None, "[:, None] * X).T @ _z0"),
])
def test_fast_spellings(expr: str, wrt: Any, declare: Any, needle: str) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare)
    rng = np.random.default_rng(3)
    shapes = {"x": (50,), "z": (50,), "u": (50,), "A": (50, 50), "X": (60, 50),
              "U": (60, 4), "V": (50, 4), "y": (60,), "w": (50,)}
    shapes = {k: v for k, v in shapes.items() if k in d.variables}
    if "U" in shapes:
        shapes["X"] = (60, 50)
    env = {k: rng.normal(size=s) + (3 * np.eye(s[0]) if k == "A" else 0)
           for k, s in shapes.items()}
    c = d.compile("numpy")
    assert needle in c.source(**shapes)
    assert "np.diag(" not in c.source(**shapes)
    _close(c(**env), d.evaluate(env))


def test_chain_order_follows_the_actual_sizes() -> None:
    d = matdiff.derivative("A*B*C", "A")  # d/dA is 4th order; use the function itself
    f = d.function
    small = to_program([f], {}, "numpy", {f.args[0].shape.rows: 2, f.args[0].shape.cols: 100,
                                          f.args[1].shape.cols: 2, f.args[2].shape.cols: 100})
    large = to_program([f], {}, "numpy", {f.args[0].shape.rows: 100, f.args[0].shape.cols: 2,
                                          f.args[1].shape.cols: 100, f.args[2].shape.cols: 2})
    assert small.outputs[0] == "A @ B @ C" or small.outputs[0] == "(A @ B) @ C"
    assert large.outputs[0] == "A @ (B @ C)"


def test_shared_subexpressions_are_computed_once() -> None:
    d = matdiff.derivative("logdet(X) + tr(S*inv(X))", "X")
    src = d.compile().source(X=(4, 4), S=(4, 4))
    assert src.count("np.linalg.inv(") == 1


def test_bad_input_gets_clear_errors() -> None:
    c = matdiff.derivative("x'*A*x", "x").compile()
    with pytest.raises(OptionError, match="missing x"):
        c(A=np.eye(3))
    with pytest.raises(OptionError, match="unknown z"):
        c(A=np.eye(3), x=np.ones(3), z=1.0)
    with pytest.raises(ShapeError, match=r"x must be a vector .* got an array of shape \(3, 1\)"):
        c(A=np.eye(3), x=np.ones((3, 1)))
    with pytest.raises(ShapeError, match=r"has size 4 on axis 0|is 4 .from x"):
        c(A=np.eye(3), x=np.ones(4))
    hvp = matdiff.derivative("x'*A*x", ["x", "x"]).compile(hvp=True)
    with pytest.raises(OptionError, match="direction dx"):
        hvp(A=np.eye(3), x=np.ones(3))
    with pytest.raises(ShapeError, match="dx"):
        hvp(np.ones(2), A=np.eye(3), x=np.ones(3))
    with pytest.raises(OptionError, match="no Kronecker form"):
        matdiff.derivative("x'*A*x", ["x", "x"]).compile(factored=True)
    with pytest.raises(matdiff.UnsupportedError, match="unknown code generation backend"):
        matdiff.derivative("x'*A*x", "x").compile("tensorflow")(A=np.eye(2), x=np.ones(2))


def test_code_is_one_expression_per_backend() -> None:
    d = matdiff.derivative("x'*A*x", "x")
    assert d.code() == d.numpy
    assert d.code("jax").startswith("(A + A.T)") or "jnp" not in d.code("jax")
    h = matdiff.derivative("norm2(X - U*V')^2", ["U", "U"])
    assert "torch.eye(X.shape[0], dtype=" in h.code("torch")
    assert "jnp.einsum(" in h.code("jax")
