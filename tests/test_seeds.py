"""The seed notes' identities print in textbook form and match finite differences."""

from __future__ import annotations

import pytest

import matdiff
from matdiff.parse import parse

# (expression, wrt, declarations, accepted printed forms)
SEED_IDENTITIES = [
    # seed 003 (denominator/mixed layout forms of its numerator-layout table)
    ("a'*x", "x", {"a": "vector(n)"}, {"a"}),
    ("x'*a", "x", {"a": "vector(n)"}, {"a"}),
    ("x'*x", "x", {}, {"2*x"}),
    ("(x'*a)^2", "x", {"a": "vector(n)"}, {"2*a*a'*x"}),
    ("x'*A*x", "x", {}, {"A*x + A'*x", "A'*x + A*x", "(A + A')*x", "(A' + A)*x"}),
    ("x'*A*x", "x", {"A": "matrix(n,n) symmetric"}, {"2*A*x"}),
    # seed 000, properties 3, 4, 6, 7
    ("tr(A*X)", "X", {}, {"A'"}),
    ("tr(X'*A')", "X", {}, {"A'"}),
    ("tr(A*X*B*X'*C)", "X", {}, {"A'*C'*X*B' + C*A*X*B", "C*A*X*B + A'*C'*X*B'"}),
    ("tr(X*B*X'*C)", "X", {}, {"C'*X*B' + C*X*B", "C*X*B + C'*X*B'"}),
    # seed 003's least squares
    ("norm2(X*w-y)^2", "w", {}, {"2*X'*(X*w - y)"}),
    # Matrix Cookbook (49), (51)
    ("log(det(X))", "X", {}, {"inv(X)'"}),
    ("logdet(X)", "X", {}, {"inv(X)'"}),
    ("det(X)", "X", {}, {"det(X)*inv(X)'"}),
]


@pytest.mark.parametrize(("expr", "wrt", "declare", "forms"), SEED_IDENTITIES,
                         ids=[f"d({e})/d{w}" for e, w, _, _ in SEED_IDENTITIES])
def test_seed_identity(expr: str, wrt: str, declare: dict[str, str], forms: set[str]) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare)
    assert d.text in forms
    check = d.check()
    assert check.ok, f"{d.text}: {check}"
    # the printed form reads back as the same expression
    reparsed = parse(d.inline_text, declare, shape=d.result.shape)
    assert reparsed.expr is d.result or matdiff.api.simplify(reparsed.expr) is d.result


def test_latex_of_least_squares() -> None:
    d = matdiff.derivative("norm2(X*w-y)^2", "w")
    assert d.latex == r"2 X^{\top} \left(X w - y\right)"


def test_shape_is_the_variables() -> None:
    d = matdiff.derivative("tr(A*X*B*X'*C)", "X", declare=["X: matrix(m, n)"])
    assert d.shape == ("m", "n")
    assert matdiff.derivative("x'*x", "x", declare={"x": "vector(3)"}).shape == (3,)
    assert matdiff.derivative("a^2", "a").shape == ()
