"""The second pass of fast generated code (issue 6): the sign analysis and the syrk form
it guards, dense higher derivatives as one batched matmul (codegen/outer.py), shared
tensor factors computed once, and the per-shape cache of input checks.  Values are
checked against the reference evaluator and finite differences, never against strings
the generator produced (the needles only say which path was taken)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import matdiff
from matdiff.codegen.outer import split_terms
from matdiff.codegen.sign import Sign, sign
from matdiff.errors import OptionError, ShapeError
from matdiff.evaluate import evaluate
from matdiff.parse import parse
from matdiff.testing import choose_sizes, sample_point

jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")
jax.config.update("jax_enable_x64", True)


def _close(actual: Any, expected: Any, tol: float = 1e-8) -> None:
    a = np.asarray(actual.detach().numpy() if hasattr(actual, "detach") else actual)
    e = np.asarray(expected, dtype=float)
    assert a.shape == e.shape
    scale = max(1.0, float(np.max(np.abs(e))))
    assert float(np.max(np.abs(a - e))) <= tol * scale


# --- the sign analysis -------------------------------------------------------------------

SIGNS = [
    ("exp(x)", None, Sign.POSITIVE),
    ("x.^2", None, Sign.NONNEGATIVE),
    ("x.^3", None, Sign.UNKNOWN),
    ("1 + exp(x)", None, Sign.POSITIVE),
    ("(1 + exp(x)).^2", None, Sign.POSITIVE),
    ("exp(x)./(exp(x) + 1).^2", None, Sign.POSITIVE),
    ("y.^2 .* exp(x)./(exp(x) + 1).^2", None, Sign.NONNEGATIVE),
    ("exp(x) - 1", None, Sign.UNKNOWN),  # a negative term: unknown
    ("x./exp(x)", None, Sign.UNKNOWN),
    ("abs(x) + tanh(abs(y))", None, Sign.NONNEGATIVE),
    ("tanh(x)", None, Sign.UNKNOWN),
    ("sqrt(exp(x))", None, Sign.POSITIVE),
    ("u .* exp(x)", ["u: vector(n) positive"], Sign.POSITIVE),
    ("A*u", ["A: matrix(n, n) positive", "u: vector(n) positive"], Sign.POSITIVE),
    ("A*x", ["A: matrix(n, n) positive"], Sign.UNKNOWN),
    ("D*u", ["D: matrix(n, n) diagonal positive", "u: vector(n) positive"],
     Sign.NONNEGATIVE),
    ("diag(exp(x))", None, Sign.NONNEGATIVE),
    ("sum(x.^2) + norm2(y)", None, Sign.NONNEGATIVE),
    ("X'*X", None, Sign.UNKNOWN),  # a Gram matrix has negative entries
    ("relu(x) .* step(y)", None, Sign.NONNEGATIVE),
    # sigmoid, softplus: values in (0, 1) and (0, inf)
    ("sigmoid(x)", None, Sign.POSITIVE),
    ("softplus(x)", None, Sign.POSITIVE),
    ("sigmoid(x).*(1 - sigmoid(x))", None, Sign.POSITIVE),
    ("2 - sigmoid(x)", None, Sign.POSITIVE),
    ("0.5 - sigmoid(x)", None, Sign.UNKNOWN),
    ("1 - softplus(x)", None, Sign.UNKNOWN),
]


@pytest.mark.parametrize(("expr", "declare", "expected"), SIGNS)
def test_sign_analysis(expr: str, declare: list[str] | None, expected: Sign) -> None:
    parsed = parse(expr, declare)
    f, variables = parsed.expr, parsed.variables
    assert sign(f) == expected
    # what the analysis proves holds at random points (each declaration respected)
    rng = np.random.default_rng(0)
    for _ in range(5):
        sizes = choose_sizes([f, *variables.values()], rng)
        value = np.asarray(evaluate(f, sample_point(f, variables, sizes, rng)))
        if expected >= Sign.NONNEGATIVE:
            assert np.all(value >= 0)
        if expected == Sign.POSITIVE:
            assert np.all(value > 0)


def test_syrk_only_for_provably_nonnegative_weights() -> None:
    """X'*diag(d)*X: a square root of d only where d >= 0 is proved; values agree."""
    rng = np.random.default_rng(1)
    X, y, w = rng.normal(size=(30, 8)), rng.choice([-1.0, 1.0], 30), rng.normal(size=8)
    cases = {"sum(log(1 + exp(-y.*(X*w))))": True, "sum((X*w).^3)": False,
             "sum(y.*exp(X*w))": False, "sum(exp(X*w))": True}
    for expr, syrk in cases.items():
        h = matdiff.derivative(expr, ["w", "w"])
        env = {k: v for k, v in {"X": X, "y": y, "w": w}.items() if k in h.variables}
        c = h.compile("numpy")
        assert ("np.sqrt(" in c.source(**{k: np.shape(v) for k, v in env.items()})) == syrk
        _close(c(**env), h.evaluate(env))
        _close(h.compile("jax")(**env), h.evaluate(env))  # JAX keeps the plain product


# --- dense higher derivatives as one batched matmul --------------------------------------

F4 = ("logdet(X) + tr(S*inv(X))", "X", ["X: matrix(n, n) spd", "S: matrix(n, n) symmetric"])
F5 = ("norm2(W2*tanh(W1*x) - y)^2", "W1", ["W1: matrix(h, n)", "W2: matrix(m, h)"])
BLOCK = [F4, F5,
         ("tr(A*X*B*X')", "X", None),
         ("x'*A*x * sum(exp(x))", "x", None)]


def _point(expr: str, wrt: str, declare: list[str] | None, seed: int = 4
           ) -> tuple[matdiff.Derivative, dict[str, Any]]:
    h = matdiff.derivative(expr, [wrt, wrt], declare=declare)
    rng = np.random.default_rng(seed)
    sizes = choose_sizes([h.function, *h.variables.values()], rng)
    return h, sample_point(h.function, h.variables, sizes, rng)


@pytest.mark.parametrize(("expr", "wrt", "declare"), BLOCK)
def test_block_hessians_agree_on_every_backend(expr: str, wrt: str,
                                               declare: list[str] | None) -> None:
    h, env = _point(expr, wrt, declare)
    expected = h.evaluate(env)
    shapes = {k: np.shape(v) for k, v in env.items()}
    src = h.compile("numpy").source(**shapes)
    if h.result is None and split_terms(h.tensor) is not None:
        assert "matmul(" in src
    _close(h.compile("numpy")(**env), expected)
    _close(h.compile("jax")(**env), expected)
    _close(h.compile("torch")(**{k: torch.as_tensor(v) for k, v in env.items()}), expected)


def test_f4_hessian_is_one_product_with_shared_factors() -> None:
    h, env = _point(*F4)
    src = h.compile("numpy").source(**{k: np.shape(v) for k, v in env.items()})
    assert src.count("matmul(") == 1 and "einsum(" not in src and "eye(" not in src
    assert src.count("@ S @") == 1  # inv(X)*S*inv(X) once, named
    # terms sharing a left factor were merged: four columns, not six
    assert src.count("broadcast_to(") == 8
    # XLA fuses the sum of einsums itself: JAX keeps that form
    jax_src = h.compile("jax").source(**{k: np.shape(v) for k, v in env.items()})
    assert "matmul(" not in jax_src and "einsum(" in jax_src


def test_third_derivative_and_vmap() -> None:
    """A rank-3 derivative takes the block form too; JAX's version vmaps."""
    d = matdiff.derivative("sum(exp(A*x))", ["x", "x", "x"])
    rng = np.random.default_rng(2)
    env = {"A": rng.normal(size=(4, 3)) / 2, "x": rng.normal(size=3)}
    _close(d.compile("numpy")(**env), d.evaluate(env))
    c = d.compile("jax")
    fn = c.function(A=(4, 3), x=(3,))
    xs = rng.normal(size=(5, 3))
    batched = jax.vmap(lambda x: fn(*({"A": env["A"], "x": x}[n] for n in c.inputs))[0])(xs)
    for row, x in zip(np.asarray(batched), xs, strict=True):
        _close(row, d.evaluate(dict(env, x=x)))


def test_block_form_does_not_apply_to_one_term_or_low_rank() -> None:
    f3 = matdiff.derivative("norm2(X - U*V')^2", ["U", "U"])
    assert split_terms(f3.tensor) is None  # one term: the einsum is already one pass
    assert split_terms(matdiff.derivative("x'*A*x", "x").tensor) is None  # rank 1


# --- the per-shape cache of input checks ----------------------------------------------------

def test_checked_shapes_are_cached_but_new_shapes_are_checked() -> None:
    c = matdiff.derivative("x'*A*x", "x").compile()
    rng = np.random.default_rng(0)
    A, x = rng.normal(size=(4, 4)), rng.normal(size=4)
    _close(c(A=A, x=x), A @ x + x @ A)
    _close(c(A=A, x=x), A @ x + x @ A)  # the cached path
    with pytest.raises(ShapeError, match="dimension"):
        c(A=A, x=rng.normal(size=5))
    with pytest.raises(OptionError, match="missing x"):
        c(A=A, z=x)
    with pytest.raises(OptionError, match="positional"):
        c(x, A=A, x=x)
    A5, x5 = rng.normal(size=(5, 5)), rng.normal(size=5)
    _close(c(A=A5, x=x5), A5 @ x5 + x5 @ A5)
    hvp = matdiff.derivative("x'*A*x", ["x", "x"]).compile(hvp=True)
    with pytest.raises(OptionError, match="direction"):
        hvp(A=A, x=x)
    _close(hvp(x, A=A, x=x), (A + A.T) @ x)
