"""Reductions by dimension, logsumexp and softmax (issue 13): MATLAB's dimension
convention, the errors, the textbook results, finite differences through every numeric
surface (evaluate, ``.numpy``, compile for NumPy, JAX and torch) at orders 1 and 2 over
random shapes, and extreme inputs (entries up to 1e3 in size) in float32 and float64.

Expected values here are written from the definitions (Bishop, PRML eq. 4.104-4.106),
with NumPy by hand, never taken from matdiff's own output."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import matdiff
from matdiff.errors import ParseError, ShapeError
from matdiff.evaluate import evaluate
from matdiff.parse import parse
from matdiff.testing import choose_sizes, sample_point

jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")
jax.config.update("jax_enable_x64", True)

RNG = np.random.default_rng(13)
Xv = RNG.standard_normal((3, 4))
xv = RNG.standard_normal(4)


def _lse(z: np.ndarray, axis: int | None = None) -> np.ndarray:
    return np.log(np.sum(np.exp(z), axis=axis))


def _value(expr: str, **env: Any) -> np.ndarray:
    return np.asarray(evaluate(parse(expr).expr, env))


# --- meaning: MATLAB's dimensions --------------------------------------------------------

@pytest.mark.parametrize(("expr", "expected"), [
    ("sum(X, 1)", lambda: Xv.sum(axis=0)),  # a row: one sum per column
    ("sum(X, 2)", lambda: Xv.sum(axis=1)),  # a column: one sum per row
    ("mean(X)", lambda: Xv.mean()),
    ("mean(X, 1)", lambda: Xv.mean(axis=0)),
    ("mean(X, 2)", lambda: Xv.mean(axis=1)),
    ("logsumexp(X)", lambda: _lse(Xv)),
    ("logsumexp(X, 1)", lambda: _lse(Xv, 0)),
    ("logsumexp(X, 2)", lambda: _lse(Xv, 1)),
    ("softmax(X, 1)", lambda: np.exp(Xv) / np.exp(Xv).sum(axis=0)),
    ("softmax(X, 2)", lambda: np.exp(Xv) / np.exp(Xv).sum(axis=1, keepdims=True)),
    ("softmax(x)", lambda: np.exp(xv) / np.exp(xv).sum()),
    ("softmax(x')", lambda: np.exp(xv) / np.exp(xv).sum()),  # a row: over its entries
    ("logsumexp(x)", lambda: _lse(xv)),
    # a dimension of extent one: sum(x, 1) of a column is its sum, sum(x, 2) is x
    ("sum(x, 1)", lambda: xv.sum()),
    ("sum(x, 2)", lambda: xv),
    ("sum(x', 1)", lambda: xv),
    ("sum(x', 2)", lambda: xv.sum()),
    ("mean(x, 1)", lambda: xv.mean()),
    ("logsumexp(x, 2)", lambda: xv),
    ("softmax(x, 2) + 0*x", lambda: np.ones(4)),  # over one entry: every entry is 1
    ("softmax(x, 1)", lambda: np.exp(xv) / np.exp(xv).sum()),
    ("rows(X) + 10*cols(X) + 100*len(x) + 0*sum(X) + 0*sum(x)", lambda: 3 + 40 + 400),
])
def test_meaning(expr: str, expected: Any) -> None:
    np.testing.assert_allclose(_value(expr, X=Xv, x=xv), expected(), rtol=1e-12)


def test_shapes_follow_matlab() -> None:
    kinds = {e: parse(e, ["X: matrix(m, n)"]).expr.shape.describe() for e in (
        "sum(X, 1)", "sum(X, 2)", "logsumexp(X, 1)", "logsumexp(X, 2)", "mean(X)",
        "softmax(X, 1)")}
    assert kinds == {"sum(X, 1)": "row vector(n)", "sum(X, 2)": "vector(m)",
                     "logsumexp(X, 1)": "row vector(n)", "logsumexp(X, 2)": "vector(m)",
                     "mean(X)": "scalar", "softmax(X, 1)": "matrix(m, n)"}


# --- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize(("expr", "error", "column", "words"), [
    ("softmax(X)", ShapeError, 1, "softmax(X, 1) makes each column sum to 1"),
    ("1 + softmax(A*B)", ShapeError, 5, "softmax(X, 2) each row"),
    ("sum(X, 3)", ParseError, 8, "1 (down each column"),
    ("softmax(X, 0)", ParseError, 12, "1 (each column sums to 1) or 2"),
    ("logsumexp(X, n)", ParseError, 14, "write it as the literal 1 or 2"),
    ("mean(X, 1 + 1)", ParseError, 9, "literal"),
    ("sum(X, 1.5)", ParseError, 8, "got 1.5"),
    ("mean(X, 1, 2)", ParseError, 1, "takes one argument"),
    ("softmax()", ParseError, 1, "takes one argument"),
    ("rows(x)", ShapeError, 1, "needs a matrix x"),
])
def test_errors_point_at_the_problem(expr: str, error: type, column: int, words: str) -> None:
    with pytest.raises(error) as e:
        parse(expr)
    assert words in str(e.value)
    assert f"(column {column})" in str(e.value)


# --- the textbook results (the CLI's text) ---------------------------------------------------

@pytest.mark.parametrize(("expr", "wrt", "text"), [
    ("exp(x)/sum(exp(x))", "x", "diag(p) - p*p'  where p = softmax(x)"),
    ("exp(x)./sum(exp(x))", "x", "diag(p) - p*p'  where p = softmax(x)"),
    ("softmax(x)", "x", "diag(p) - p*p'  where p = softmax(x)"),
    ("softmax(q)", "q", "diag(p) - p*p'  where p = softmax(q)"),
    ("logsumexp(x) - y'*x", "x", "softmax(x) - y"),
    ("logsumexp(x)", ["x", "x"], "diag(p) - p*p'  where p = softmax(x)"),
    ("logsumexp(A*u) - v'*A*u", "u", "A'*(softmax(A*u) - v)"),
    # -y'*log(softmax(z)) = -y'*z + sum(y)*logsumexp(z): sum(y) = 1 (one-hot) is not known
    ("-y'*log(softmax(z))", "z", "sum(y)*softmax(z) - y"),
    ("sum(logsumexp(X*W, 2)) - tr(Y'*X*W)", "W", "X'*(softmax(X*W, 2) - Y)"),
    ("sum(log(exp(X*W)*vector(1))) - tr(Y'*X*W)", "W", "X'*(softmax(X*W, 2) - Y)"),
    ("sum(logsumexp(H*V, 1)) - tr(T'*H*V)", "H", "(softmax(H*V, 1) - T)*V'"),
    # the rows of Y sum to 1 for one-hot labels, which the engine is not told: Y*matrix(1)
    ("-sum(Y.*log(softmax(X*W, 2)))", "W", "X'*((Y*matrix(1)).*softmax(X*W, 2) - Y)"),
    ("log(sum(exp(x)))", "x", "softmax(x)"),
    ("sum(X, 2)'*u", "X", "u*ones(cols(X))'"),
    ("mean(X)", "X", "ones(rows(X), cols(X))/(rows(X)*cols(X))"),
])
def test_textbook_results(expr: str, wrt: str | list[str], text: str) -> None:
    d = matdiff.derivative(expr, wrt)
    assert d.text == text
    assert d.check(points=2).ok


def test_bias_gradients_print_as_sums_by_dimension() -> None:
    """The bias of softmax regression (written with an explicit ones vector here): the
    gradient is the column sums of P - Y, as the textbook prints it."""
    d = matdiff.derivative("sum(logsumexp(X*W + vector(1)*b', 2)) - tr(Y'*(X*W + vector(1)*b'))",
                           "b", declare=["b: vector"])
    assert d.text == "sum(softmax(X*W + vector(1)*b', 2) - Y, 1)'"
    assert d.check(points=2).ok
    d = matdiff.derivative("norm2(W*X + b*vector(1)' - Y)^2", "b", declare=["b: vector"])
    assert d.text == "2*sum(W*X + b*vector(1)' - Y, 2)"
    assert d.check(points=2).ok


def test_normalisations_are_recognised() -> None:
    forms = {
        "exp(Z).*((1 ./ (exp(Z)*vector(1)))*vector(1)')": "softmax(Z, 2)",
        "diag(1 ./ (exp(Z)*vector(1)))*exp(Z)": "softmax(Z, 2)",
        "exp(Z)./(exp(Z)*matrix(1))": "softmax(Z, 2)",
        "exp(Z)./(vector(1)*(vector(1)'*exp(Z)))": "softmax(Z, 1)",
        "exp(Z)*diag((1 ./ (vector(1)'*exp(Z)))')": "softmax(Z, 1)",
        "log(exp(X)*vector(1))": "logsumexp(X, 2)",
        "log(vector(1)'*exp(X))": "logsumexp(X, 1)",
        "log(softmax(X, 2))": "X - logsumexp(X, 2)*vector(1)'",
        "log(softmax(z))": "z - logsumexp(z)",
        "softmax(X', 2)": "softmax(X, 1)'",
    }
    for expr, text in forms.items():
        assert matdiff.derivative(f"a*({expr})", "a").text == text, expr


def test_a_ones_product_prints_as_a_sum_by_dimension() -> None:
    assert matdiff.derivative("a*X*Y*vector(1)", "a").text == "sum(X*Y, 2)"
    assert matdiff.derivative("a*vector(1)'*(X - Y)", "a").text == "sum(X - Y, 1)"
    assert matdiff.derivative("a*(X'*vector(1))", "a").text == "sum(X, 1)'"
    assert matdiff.derivative("norm2(W*X - Y)^2", "X").text == "2*W'*(W*X - Y)"


# --- finite differences through every numeric surface, orders 1 and 2 -----------------------

SURFACE_CASES = [
    ("sum(logsumexp(X*W, 2)) - tr(Y'*X*W)", "W"),
    ("-sum(Y.*log(softmax(X*W, 1)))", "W"),
    ("logsumexp(x) + u'*softmax(A*x)", "x"),
    ("logsumexp(X) + sum(mean(X, 1).^2) + mean(X, 2)'*u", "X"),
    ("u'*logsumexp(X, 2) + logsumexp(X, 1)*v", "X"),
    ("norm2(softmax(x') - v')^2", "x"),
]


def _point(d: matdiff.Derivative, seed: int) -> tuple[dict[str, Any], dict[Any, int]]:
    rng = np.random.default_rng(seed)
    sizes = choose_sizes([d.function, *d.variables.values()], rng)
    return sample_point(d.function, d.variables, sizes, rng), sizes


def _fd(d: matdiff.Derivative, env: dict[str, Any], direction: np.ndarray,
        order: int) -> np.ndarray:
    """Central differences along ``direction`` of the function (order 1) or of the
    reference evaluator's gradient (order 2)."""
    name = d.wrt_variables[0].attrs[0]
    node = d.function if order == 1 else matdiff.derivative(
        d.source, name).result
    h = 1e-6

    def at(t: float) -> np.ndarray:
        return np.asarray(evaluate(node, dict(env, **{name: env[name] + t * direction})))

    return (at(h) - at(-h)) / (2 * h)


@pytest.mark.parametrize(("expr", "wrt"), SURFACE_CASES)
@pytest.mark.parametrize("order", [1, 2])
def test_every_surface_matches_finite_differences(expr: str, wrt: str, order: int) -> None:
    d = matdiff.derivative(expr, [wrt] * order)
    assert d.check(points=2, tolerance=1e-5).ok
    for seed in (1, 2):
        env, _ = _point(d, seed)
        direction = np.random.default_rng(seed + 10).standard_normal(np.shape(env[wrt]))
        fd = _fd(d, env, direction, order)
        scale = max(1.0, float(np.max(np.abs(fd))))
        values = {
            "evaluate": d.evaluate(env),
            "numpy": eval(d.numpy, {"np": np}, dict(env)),  # our own generated code
            "compile numpy": d.compile("numpy")(**env),
            "compile jax": np.asarray(d.compile("jax")(**env)),
            "compile torch": d.compile("torch")(
                **{k: torch.as_tensor(v) for k, v in env.items()}).numpy(),
        }
        for surface, value in values.items():
            # mixed layout: the gradient has the variable's axes, the Hessian them twice;
            # contracting the last ones with the direction gives the directional change
            along = np.tensordot(np.asarray(value, dtype=float), direction,
                                 axes=np.ndim(direction))
            assert float(np.max(np.abs(along - fd))) <= 1e-5 * scale, (surface, d.text)


# --- extreme inputs: stable in evaluate and in compiled code, float32 and float64 ---------

EXTREME = np.array([[1000.0, -1000.0, 999.0], [-999.5, 998.0, 0.0]])


def _lse_stable(z: np.ndarray, axis: int | None) -> np.ndarray:
    m = np.max(z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out.reshape(()) if axis is None else np.squeeze(out, axis=axis)


@pytest.mark.parametrize(("expr", "axis"), [
    ("logsumexp(X)", None), ("logsumexp(X, 1)", 0), ("logsumexp(X, 2)", 1),
    ("softmax(X, 1)", 0), ("softmax(X, 2)", 1),
])
def test_extreme_inputs_are_finite_and_right(expr: str, axis: int | None) -> None:
    if expr.startswith("logsumexp"):
        want = _lse_stable(EXTREME, axis)
    else:
        e = np.exp(EXTREME - np.max(EXTREME, axis=axis, keepdims=True))
        want = e / e.sum(axis=axis, keepdims=True)
    f = parse(expr).expr
    np.testing.assert_allclose(evaluate(f, {"X": EXTREME}), want, rtol=1e-12)
    d = matdiff.derivative(f"a*{expr}", "a")  # the function itself, compiled
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        X = EXTREME.astype(dtype)
        outs = [d.compile("numpy")(a=dtype(1), X=X),
                np.asarray(d.compile("jax")(a=dtype(1), X=X)),
                d.compile("torch")(a=torch.tensor(1, dtype=torch.float64 if dtype is np.float64
                                                  else torch.float32),
                                   X=torch.as_tensor(X)).numpy()]
        for out in outs:
            assert np.all(np.isfinite(out))
            np.testing.assert_allclose(np.asarray(out, dtype=float), want, rtol=tol)


def test_extreme_gradients_are_finite() -> None:
    z = np.array([1000.0, -1000.0, 999.0])
    y = np.array([0.0, 0.0, 1.0])
    d = matdiff.derivative("logsumexp(z) - y'*z", "z")
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    for value in (d.evaluate({"z": z, "y": y}), d.compile("numpy")(z=z, y=y),
                  np.asarray(d.compile("jax")(z=z, y=y)),
                  d.compile("torch")(z=torch.as_tensor(z), y=torch.as_tensor(y)).numpy()):
        np.testing.assert_allclose(value, p - y, atol=1e-12)
