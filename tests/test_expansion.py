"""Implicit expansion, as MATLAB does it (issue 13, part 2): in ``+ - .* ./ .^`` a vector
meets a matrix by being repeated — a column across the columns (``W*X + b``, one example
per column), a row down the rows (``X*W + b'``, one example per row).

Parsing and shapes (with unknown sizes the vector's length is unified with the matching
dimension), values against NumPy broadcasting written here by hand, derivatives of the
practitioner cases against central finite differences of the same hand-written NumPy
functions through every numeric surface (``evaluate``, ``.numpy``, ``compile`` for
NumPy, JAX and torch), Hessians, mixed derivatives, every layout, the steps, and the
note on the kind line.  The derivative by the expanded vector sums over the expanded
axis (backpropagation of a bias: Goodfellow, Bengio and Courville, *Deep Learning*,
2016, section 6.5, algorithm 6.4: ``grad_b J = g`` summed over the minibatch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import matdiff
from matdiff.cli import main
from matdiff.codegen import python_name
from matdiff.evaluate import evaluate
from matdiff.parse import parse
from matdiff.shapes import Shape
from matdiff.testing import choose_sizes, sample_point

jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")
jax.config.update("jax_enable_x64", True)

Fn = Callable[..., Any]

# --- parsing: what is expanded, and the sizes it implies ------------------------------

VALID: list[tuple[str, list[str], str, str]] = [
    # (expression, declarations, the expanded operand as printed, column or row)
    ("W*X + b", ["b: vector"], "b", "vector"),
    ("b + W*X", ["b: vector"], "b", "vector"),
    ("W*X - b", ["b: vector"], "b", "vector"),
    ("X*W + b'", ["b: vector"], "b'", "row"),
    ("X .* w'", [], "w'", "row"),
    ("w' .* X", [], "w'", "row"),
    ("X ./ s", ["s: vector"], "s", "vector"),
    ("s ./ X", ["s: vector"], "s", "vector"),
    ("X .^ s", ["s: vector"], "s", "vector"),
    ("s .^ X", ["s: vector"], "s", "vector"),
    ("A + (x + y)", [], "x + y", "vector"),
    ("A + x'*B", [], "x'*B", "row"),
]


@pytest.mark.parametrize(("expr", "declare", "operand", "kind"), VALID,
                         ids=[v[0] for v in VALID])
def test_a_vector_against_a_matrix_is_expanded(expr: str, declare: list[str], operand: str,
                                                kind: str) -> None:
    p = parse(expr, declare)
    assert p.expr.shape.kind == "matrix"
    expanded = [n for n in p.expr.walk() if n.op == "expand"]
    assert len(expanded) == 1
    (e,) = expanded
    assert e.shape == p.expr.shape
    assert e.args[0].shape.kind == kind
    assert matdiff.printing.to_text(e.args[0]) == operand


def test_unknown_lengths_unify_with_the_matching_dimension() -> None:
    assert parse("W*X + b", ["b: vector"]).variables["b"].shape == Shape("rows(W)", None)
    assert parse("X*W + b'", ["b: vector"]).variables["b"].shape == Shape("cols(W)", None)
    assert parse("X .* w'").variables["w"].shape == Shape("cols(X)", None)
    assert parse("X ./ s", ["s: vector"]).variables["s"].shape == Shape("rows(X)", None)
    fixed = parse("W*X + b", ["W: matrix(3, 4)", "X: matrix(4, 5)", "b: vector"])
    assert fixed.variables["b"].shape == Shape(3, None)
    # the length of a vector fixes the matrix's dimension just as well
    back = parse("W*X + b", ["b: vector(7)"])
    assert back.variables["W"].shape.rows == 7


def test_a_column_with_a_row_and_a_length_that_cannot_match_are_errors() -> None:
    # (each error's message and column: tests/test_parse_errors.py)
    for expr, declare in [("x + y'", []), ("x' .* y", []), ("x + y' + A", []),
                          ("W*X + b", ["W: matrix(3,4)", "X: matrix(4,5)", "b: vector(4)"])]:
        with pytest.raises(matdiff.ShapeError) as info:
            parse(expr, declare)
        assert "expand" in str(info.value) or "repeated" in str(info.value)


ENV = {"W": np.arange(6.0).reshape(2, 3) / 5, "X": np.arange(12.0).reshape(3, 4) / 7 + 0.5,
       "b": np.array([0.3, -1.2]), "w": np.array([0.5, 1.5, 2.0, 3.0]),
       "s": np.array([0.5, 2.0, 4.0])}


@pytest.mark.parametrize(("expr", "expected"), [
    ("W*X + b", lambda W, X, b, **_: W @ X + b[:, None]),
    ("b - W*X", lambda W, X, b, **_: b[:, None] - W @ X),
    ("X' + b'*W", lambda W, X, b, **_: X.T + (b @ W)[None, :]),
    ("X .* w'", lambda X, w, **_: X * w[None, :]),
    ("X ./ s", lambda X, s, **_: X / s[:, None]),
    ("X .^ s", lambda X, s, **_: X ** s[:, None]),
    ("s .^ X", lambda X, s, **_: s[:, None] ** X),
], ids=lambda v: v if isinstance(v, str) else "")
def test_values_are_matlab_s(expr: str, expected: Fn) -> None:
    p = parse(expr, ["b: vector", "s: vector"])
    env = {k: ENV[k] for k in p.variables}
    np.testing.assert_allclose(evaluate(p.expr, env), expected(**env), rtol=1e-12)


# --- derivatives of the practitioner cases, against hand-written NumPy ----------------

def _layer(W: Any, X: Any, b: Any, Y: Any, **_: Any) -> Any:
    return np.sum((W @ X + b[:, None] - Y) ** 2)


def _rows(W: Any, X: Any, b: Any, Y: Any, **_: Any) -> Any:
    return np.sum((X @ W + b[None, :] - Y) ** 2)


def _mlp(V: Any, W: Any, X: Any, b: Any, c: Any, Y: Any, **_: Any) -> Any:
    return np.sum((V @ np.tanh(W @ X + b[:, None]) + c[:, None] - Y) ** 2)


def _scaled(X: Any, w: Any, **_: Any) -> Any:
    return np.sum(np.exp(X * w[None, :]))


def _divided(X: Any, s: Any, **_: Any) -> Any:
    return np.sum((X / s[:, None]) ** 2)


BIAS = {"b": "vector", "c": "vector"}
CASES: list[tuple[str, dict[str, str], Fn, tuple[str, ...]]] = [
    ("norm2(W*X + b - Y)^2", {"b": "vector"}, _layer, ("W", "b")),
    ("norm2(X*W + b' - Y)^2", {"b": "vector"}, _rows, ("W", "b")),
    ("norm2(V*tanh(W*X + b) + c - Y)^2", BIAS, _mlp, ("W", "b", "V", "c")),
    ("sum(exp(X .* w'))", {}, _scaled, ("w", "X")),
    ("norm2(X ./ s)^2", {"s": "vector positive"}, _divided, ("s", "X")),
]
FIRST = [(e, d, f, v) for e, d, f, vs in CASES for v in vs]


def _point(d: matdiff.Derivative, seed: int = 3) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    sizes = choose_sizes([d.function, *d.variables.values()], rng)
    env = sample_point(d.function, d.variables, sizes, rng)
    return {k: np.asarray(v, dtype=float) for k, v in env.items()}


def _fd(f: Fn, env: dict[str, Any], name: str, h: float = 1e-6) -> Any:
    """Central differences of ``f`` by every entry of ``env[name]``: the gradient
    (``f`` scalar) or the Jacobian (axes of ``f``'s value first)."""
    x = env[name]
    cols = []
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h
        up = f(**dict(env, **{name: x + e.reshape(x.shape)}))
        down = f(**dict(env, **{name: x - e.reshape(x.shape)}))
        cols.append((np.asarray(up) - np.asarray(down)) / (2 * h))
    out = np.stack(cols, axis=-1)
    return out.reshape(np.shape(cols[0]) + x.shape)


def _close(actual: Any, expected: Any, tol: float = 1e-6) -> None:
    a = np.asarray(actual.detach().numpy() if hasattr(actual, "detach") else actual,
                   dtype=float)
    e = np.asarray(expected, dtype=float)
    assert a.shape == e.shape
    scale = max(1.0, float(np.max(np.abs(e))))
    assert float(np.max(np.abs(a - e))) <= tol * scale


def _surfaces(d: matdiff.Derivative, env: dict[str, Any]) -> list[Any]:
    """The derivative's value through every numeric surface."""
    names = {python_name(k): v for k, v in env.items()}
    return [d.evaluate(env),
            eval(d.numpy, {"np": np}, names),  # our own generated code
            d.compile("numpy")(**env),
            d.compile("torch")(**{k: torch.as_tensor(v) for k, v in env.items()}),
            np.asarray(d.compile("jax")(**env))]


@pytest.mark.parametrize(("expr", "declare", "f", "wrt"), FIRST,
                         ids=[f"d({e})/d{v}" for e, _, _, v in FIRST])
def test_gradient_on_every_surface_matches_finite_differences(
        expr: str, declare: dict[str, str], f: Fn, wrt: str) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare)
    assert d.check().ok
    env = _point(d)
    reference = _fd(f, env, wrt)
    for value in _surfaces(d, env):
        _close(value, reference)
    d.steps.text()  # every step is checked numerically as it is made
    d.derivation("limit").text()


@pytest.mark.parametrize(("expr", "declare", "f", "wrt"), FIRST,
                         ids=[f"d2({e})/d{v}2" for e, _, _, v in FIRST])
def test_hessian_on_every_surface_matches_finite_differences(
        expr: str, declare: dict[str, str], f: Fn, wrt: str) -> None:
    g = matdiff.derivative(expr, wrt, declare=declare)
    h = matdiff.derivative(expr, [wrt, wrt], declare=declare)
    assert h.check(points=1, tolerance=1e-5).ok
    env = _point(g)
    gradient = g.compile("numpy")
    _close(gradient(**env), _fd(f, env, wrt))  # the gradient itself, then its derivative
    reference = _fd(lambda **v: gradient(**v), env, wrt)
    for value in _surfaces(h, env):
        _close(value, reference, 1e-5)


MIXED = [("norm2(W*X + b - Y)^2", {"b": "vector"}, ("W", "b")),
         ("norm2(W*X + b - Y)^2", {"b": "vector"}, ("b", "W")),
         ("norm2(X*W + b' - Y)^2", {"b": "vector"}, ("b", "W")),
         ("norm2(V*tanh(W*X + b) + c - Y)^2", BIAS, ("W", "b")),
         ("norm2(V*tanh(W*X + b) + c - Y)^2", BIAS, ("c", "V"))]


@pytest.mark.parametrize(("expr", "declare", "wrt"), MIXED,
                         ids=[f"{e} by {', '.join(w)}" for e, _, w in MIXED])
def test_mixed_derivatives_match_finite_differences(expr: str, declare: dict[str, str],
                                                    wrt: tuple[str, str]) -> None:
    g = matdiff.derivative(expr, wrt[0], declare=declare)
    h = matdiff.derivative(expr, list(wrt), declare=declare)
    assert h.check(points=1, tolerance=1e-5).ok
    env = _point(g)
    gradient = g.compile("numpy")
    reference = _fd(lambda **v: gradient(**v), env, wrt[1])
    for value in _surfaces(h, env):
        _close(value, reference, 1e-5)


@pytest.mark.parametrize("layout", ["numerator", "denominator"])
@pytest.mark.parametrize(("expr", "declare", "f", "wrt"), FIRST[:4],
                         ids=[f"d({e})/d{v}" for e, _, _, v in FIRST[:4]])
def test_every_layout(expr: str, declare: dict[str, str], f: Fn, wrt: str,
                      layout: str) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare, layout=layout)
    assert d.check().ok
    env = _point(d)
    reference = _fd(f, env, wrt)
    if layout == "numerator":  # the transpose of the gradient: a row, or X's transpose
        reference = reference.T
    for value in _surfaces(d, env)[:3]:
        _close(value, reference)
    h = matdiff.derivative(expr, [wrt, wrt], declare=declare, layout=layout)
    assert h.check(points=1, tolerance=1e-5).ok


def test_jacobians_of_expanded_expressions() -> None:
    for expr, wrt, f in [
        ("W*X + b", "b", lambda W, X, b, **_: W @ X + b[:, None]),
        ("X*W + b'", "b", lambda W, X, b, **_: X @ W + b[None, :]),
        ("X .* w'", "w", lambda X, w, **_: X * w[None, :]),
        ("tanh(W*X + b)", "W", lambda W, X, b, **_: np.tanh(W @ X + b[:, None])),
    ]:
        d = matdiff.derivative(expr, wrt, declare={"b": "vector"})
        assert d.check(points=2).ok
        env = _point(d)
        reference = _fd(f, env, wrt)
        for value in _surfaces(d, env):
            _close(value, reference)


# --- the printed forms: what a textbook prints ------------------------------------------

def _either(text: str, *forms: str) -> bool:
    return text in forms


def test_batched_linear_layer() -> None:
    by_w = matdiff.derivative("norm2(W*X + b - Y)^2", "W", declare={"b": "vector"})
    assert by_w.text == "2*(W*X + b - Y)*X'"
    assert by_w.latex == r"2 \left(W X + b - Y\right) X^{\top}"
    by_b = matdiff.derivative("norm2(W*X + b - Y)^2", "b", declare={"b": "vector"})
    # the sum over the examples (the columns): ones, or sum(., 2) once that prints
    assert _either(by_b.text, "2*(W*X + b - Y)*vector(1)", "2*sum(W*X + b - Y, 2)")
    assert by_b.latex.startswith(r"2 ") and r"W X + b - Y" in by_b.latex


def test_one_example_per_row() -> None:
    by_w = matdiff.derivative("norm2(X*W + b' - Y)^2", "W", declare={"b": "vector"})
    assert by_w.text == "2*X'*(X*W + b' - Y)"
    assert by_w.latex == r"2 X^{\top} \left(X W + b^{\top} - Y\right)"
    by_b = matdiff.derivative("norm2(X*W + b' - Y)^2", "b", declare={"b": "vector"})
    assert _either(by_b.text, "2*(X*W + b' - Y)'*vector(1)", "2*sum(X*W + b' - Y, 1)'")


def test_two_layer_mlp() -> None:
    expr, where = "norm2(V*tanh(W*X + b) + c - Y)^2", "  where P = tanh(W*X + b)"
    delta = "2*((1 - P.^2).*(V'*(V*P + c - Y)))"  # backpropagated through tanh' = 1 - P.^2
    assert matdiff.derivative(expr, "W", declare=BIAS).text == f"{delta}*X'{where}"
    assert _either(matdiff.derivative(expr, "b", declare=BIAS).text,
                   f"{delta}*vector(1){where}", f"2*sum((1 - P.^2).*(V'*(V*P + c - Y)), 2)"
                   f"{where}")
    assert _either(matdiff.derivative(expr, "c", declare=BIAS).text,
                   "2*(V*tanh(W*X + b) + c - Y)*vector(1)", "2*sum(V*tanh(W*X + b) + c - Y, 2)")


def test_elementwise_with_a_row_and_a_column() -> None:
    d = matdiff.derivative("norm2(X ./ s)^2", "s", declare={"s": "vector positive"})
    assert _either(d.text, "-2*(X.^2 ./ s.^3)*vector(1)", "-2*sum(X.^2 ./ s.^3, 2)")
    assert matdiff.derivative("sum(exp(X .* w'))", "X").text == "w'.*exp(X.*w')"


# --- the note on the kind line --------------------------------------------------------

def test_the_kind_line_says_what_was_expanded(capsys: pytest.CaptureFixture[str]) -> None:
    d = matdiff.derivative("norm2(V*tanh(W*X + b) + c - Y)^2", "b", declare=BIAS)
    assert d.expansions == ("b expanded across the columns of W*X",
                            "c expanded across the columns of V*tanh(W*X + b)")
    assert d.describe().endswith("; b expanded across the columns of W*X; c expanded "
                                 "across the columns of V*tanh(W*X + b)")
    assert d.to_json()["expansions"] == list(d.expansions)
    rows = matdiff.derivative("norm2(X*W + b' - Y)^2", "W", declare={"b": "vector"})
    assert rows.expansions == ("b' expanded down the rows of X*W",)
    assert matdiff.derivative("sum(b - W*X)", "b", declare={"b": "vector"}).expansions == (
        "b expanded across the columns of W*X",)
    assert matdiff.derivative("sum(X ./ s)", "X", declare={"s": "vector"}).expansions == (
        "s expanded across the columns of X",)
    assert matdiff.derivative("norm2(W*x + b)^2", "W", declare={"b": "vector"}
                              ).expansions == ()
    assert main(["diff", "norm2(W*X + b - Y)^2", "--wrt", "b", "--declare",
                 "b: vector"]) == 0
    err = capsys.readouterr().err
    assert "b expanded across the columns of W*X" in err
