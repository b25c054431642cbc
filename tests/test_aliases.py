"""The names and operators users type for what matdiff already has: ``trace(U)`` is
``tr(U)``, MATLAB's non-conjugate transpose ``X.'`` is ``X'``, and ``X^T`` is the
transpose when no variable ``T`` is declared or used otherwise (the result says so).
Each reads to the very same IR as the canonical spelling, differentiates correctly
(finite differences) and keeps error columns pointing at the right character."""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.errors import MatdiffError, ParseError, ShapeError
from matdiff.evaluate import evaluate
from matdiff.parse import parse
from matdiff.parse.syntax_tools import CARET_T_NOTE

SAME = [
    ("trace(A*X*B*X'*C)", "tr(A*X*B*X'*C)"),
    ("trace(X)", "tr(X)"),
    ("trace(a)", "tr(a)"),
    ("X.'", "X'"),
    ("x.'*A*x", "x'*A*x"),
    ("A.'.*B", "A'.*B"),
    ("(A*B).'", "(A*B)'"),
    ("2.'*x", "2'*x"),           # a number never ends with a dot: 2 .' (a scalar's transpose)
    ("x.'./y'", "x'./y'"),
    ("X.'.^2", "(X').^2"),
    ("x^T*A*x", "x'*A*x"),
    ("A*X^T*B", "A*X'*B"),
    ("(A*B)^T", "(A*B)'"),
    ("trace(X^T*X)", "tr(X'*X)"),
    ("norm2(X^T*y - z)^2", "norm2(X'*y - z)^2"),
    ("a^T", "a'"),
    ("x.^2.'", "x.^2'"),         # the exponent is 2.' as with '

]


@pytest.mark.parametrize(("alias", "canonical"), SAME)
def test_alias_reads_to_the_same_ir(alias: str, canonical: str) -> None:
    assert parse(alias).expr is parse(canonical).expr


def test_printed_as_the_canonical_spelling() -> None:
    assert matdiff.derivative("trace(X.'*X)", "X").text == "2*X"
    d = matdiff.derivative("trace(A*X^T)", "X")
    assert d.text == "A"
    assert "trace" not in str(parse("trace(A*X)").expr)


@pytest.mark.parametrize(("expr", "wrt"), [
    ("trace(A*X*B*X.'*C)", "X"),
    ("x^T*A*x", "x"),
    ("trace(inv(X).'*A)", "X"),
    ("norm2(W^T*x - y)^2", "W"),
    ("sum(sigmoid(X^T*w))", "w"),
])
@pytest.mark.parametrize("order", [1, 2])
def test_alias_derivatives_match_finite_differences(expr: str, wrt: str, order: int) -> None:
    d = matdiff.derivative(expr, [wrt] * order)
    result = d.check(seed=3)
    assert result.ok, (expr, order, result)


def test_caret_t_note_is_carried() -> None:
    d = matdiff.derivative("x^T*A*x", "x")
    assert d.notes == (CARET_T_NOTE,)
    assert CARET_T_NOTE in d.describe()
    assert d.to_json()["notes"] == [CARET_T_NOTE]
    assert matdiff.derivative("x'*A*x", "x").notes == ()
    assert matdiff.derivative("x.'*A*x", "x").notes == ()


def test_a_declared_or_used_t_keeps_the_power() -> None:
    """T declared a scalar: a^T is a power.  T used elsewhere: X^T is not the transpose."""
    env = {"a": np.float64(1.7), "T": np.float64(2.5)}
    p = parse("a^T", ["T: scalar"])
    assert "T" in p.variables
    assert float(evaluate(p.expr, env, {})) == pytest.approx(1.7 ** 2.5)
    with pytest.raises(MatdiffError):  # T is a matrix here, and X^T no transpose
        parse("X^T + T")
    assert "T" in parse("a^T + T", ["T: scalar"]).variables
    with pytest.raises(ParseError, match="integer exponent"):  # T defined: a power
        parse("X^T where T = 2")
    assert parse("X.^T").variables.keys() == {"X", "T"}  # the elementwise power stays


@pytest.mark.parametrize(("text", "column", "kind"), [
    ("trace(x)", 1, ShapeError),            # tr of a vector: the call is underlined
    ("x.' * y + (", 12, ParseError),
    ("trace(x.')", 1, ShapeError),
    ("trace(X, Y)", 1, ParseError),
    ("x^T*y^T*z", 1, ShapeError),
    ("X .. '", 3, ParseError),
])
def test_error_columns(text: str, column: int, kind: type[MatdiffError]) -> None:
    with pytest.raises(kind) as info:
        parse(text)
    assert info.value.span is not None
    assert info.value.span.start + 1 == column, str(info.value)


def test_dot_quote_does_not_clash_with_the_elementwise_operators() -> None:
    x = np.arange(1.0, 4.0)
    env = {"x": x, "y": x + 1}
    cases = {"x.'.*y'": x * (x + 1), "x./y": x / (x + 1), "x.^2": x ** 2,
             "2.*x": 2 * x, "2.^x": 2 ** x, ".5*x.'": 0.5 * x, "x.'*y": x @ (x + 1)}
    for text, want in cases.items():
        np.testing.assert_allclose(evaluate(parse(text).expr, env, {}), want, err_msg=text)
