"""Undefined values are never printed as answers (issue 15, "Wrong or undefined").

Each class through the API and the CLI (a subprocess): undefined or non-real constants
are an :class:`UndefinedError` at the column of the offending part (``0*u`` does not
erase them), parts that simplify to such a constant likewise, ``0^a`` by ``a`` is 0 on its
domain (stated in the output), non-finite numbers from SymPy are refused, a value at a
point that is not finite is an error naming the part, and ``check`` names what is
undefined and refuses to check no point.
"""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matdiff
from matdiff.errors import EvaluationError, OptionError, UndefinedError


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matdiff", *args], capture_output=True,
                          text=True, timeout=60)


# (expression, variable, column of the caret, a fragment of the message)
CONSTANTS = [
    ("0/0*x", "x", 3, "division by zero"),
    ("0*(1/0)*a", "a", 6, "division by zero"),
    ("0*log(0)*a", "a", 3, "log needs a positive argument"),
    ("1/0*x", "x", 3, "division by zero"),
    ("x./vector(0)", "x", 4, "every entry of vector(0) is 0"),
    ("det(X)^(1/0)", "X", 11, "division by zero"),
    ("log(0)*x", "x", 1, "log(0) is undefined"),
    ("log(-1)*x", "x", 1, "log(-1) is not real"),
    ("sqrt(-1)*x", "x", 1, "sqrt(-1) is not real"),
    ("(-1)^0.5*x", "x", 1, "not real"),
    ("arcsin(2)*x", "x", 1, "arcsin needs an argument in [-1, 1]"),
    ("arccos(-3/2)*a", "a", 1, "not real"),
    ("0^-1*a", "a", 1, "0 to a negative power"),
    ("a*1/(1-1)", "a", 5, "(1-1) is 0"),
    ("x + 0*log(1-2)", "x", 7, "log(1-2) is not real"),
    ("sqrt(log(0.5))*a", "a", 1, "sqrt needs a nonnegative argument"),
    ("log(eye)*x", "x", 1, "off-diagonal entries of eye are 0"),
    ("x'*inv(matrix(0))*x", "x", 4, "singular"),
    ("x./(2*vector(1) - vector(2))", "x", 4, "division by zero"),
    ("0*(0^-2)*a", "a", 3, "0 to a negative power"),
    # parts that are undefined only once simplified: never a silent 0
    ("(a-a)/(a-a)", "a", 7, "(a-a) is identically 0"),
    ("1/(x'*x - x'*x)", "x", 3, "identically 0"),
    ("a*log(b - b)", "a", 3, "log(b - b) is undefined"),
    ("x./(y - y)", "x", 4, "identically 0"),
    ("tr(inv(X - X))", "X", 4, "singular"),
    ("0*(2*a - a - a)^-1", "a", 3, "0 to a negative power"),
]


@pytest.mark.parametrize(("expr", "wrt", "column", "fragment"), CONSTANTS)
def test_undefined_part_is_an_error_at_its_column(expr: str, wrt: str, column: int,
                                                  fragment: str) -> None:
    with pytest.raises(UndefinedError) as info:
        matdiff.derivative(expr, wrt)
    assert info.value.column == column, str(info.value)
    assert fragment in info.value.message
    assert info.value.kind == "undefined"


@pytest.mark.parametrize(("expr", "wrt", "column", "fragment"), CONSTANTS[::3])
def test_cli_undefined_exits_2_with_a_caret(expr: str, wrt: str, column: int,
                                            fragment: str) -> None:
    r = run("diff", expr, "--wrt", wrt)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""  # nothing is printed as a result
    assert r.stderr.startswith("undefined: ")
    assert fragment in r.stderr
    caret = next(line for line in r.stderr.splitlines() if "^" in line and line.strip(" ^") == "")
    assert caret.index("^") - 2 == column - 1  # the caret line is indented by two spaces
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("surface", ["identity", "tangent", "solve"])
def test_other_surfaces_refuse_undefined_constants(surface: str) -> None:
    args = {"identity": ("identity", "(a-a)/(a-a)", "0"),
            "tangent": ("tangent", "a/(b-b) + c = 1", "--at", "1,1,1"),
            "solve": ("solve", "a^2*log(0)", "--for", "a")}[surface]
    r = run(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("undefined: ")


def test_defined_constants_are_still_accepted() -> None:
    """The domains are exact: nothing defined is refused."""
    for expr, wrt in [("log(1)*x", "x"), ("sqrt(0)*a + a", "a"), ("0^0*a", "a"),
                      ("(-8)^2*a", "a"), ("x./vector(2)", "x"), ("inv(eye)*x", "x"),
                      ("arcsin(1)*a", "a"), ("exp(100)*a", "a"), ("1/(2-1)*x", "x"),
                      ("log(x - x + vector(1))'*x", "x"), ("sqrt(a - a)", "a")]:
        d = matdiff.derivative(expr, wrt)
        assert d.check().ok, expr


def test_error_names_the_divisor_of_its_own_occurrence() -> None:
    """A constant is interned, so the column is the division's, not the first 0's."""
    with pytest.raises(UndefinedError) as info:
        matdiff.derivative("0*a + a/0", "a")
    assert info.value.column == 9


def test_zero_to_a_variable_power() -> None:
    d = matdiff.derivative("0^a", "a")
    assert d.at(a=2) == 0 and d.at(a=0.5) == 0
    difference = (0.0 ** 2.001 - 0.0 ** 1.999) / 0.002
    assert d.at(a=2) == difference
    assert d.conditions and "a > 0" in d.conditions[0]
    assert "a > 0" in d.describe()
    assert d.check().ok
    with pytest.raises(UndefinedError, match="function has no finite value"):
        d.at(a=-1)  # 0^-1: no function there, so no derivative
    h = matdiff.derivative("0.^x", ["x", "x"])
    assert "x > 0" in h.describe()
    assert float(np.max(np.abs(h.at(x=[1.0, 2.0])))) == 0


def test_zero_to_a_variable_power_cli_states_the_domain() -> None:
    r = run("diff", "0^a", "--wrt", "a", "--at", "a=2")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "0"
    assert "valid for a > 0" in r.stderr
    payload = json.loads(run("diff", "0^a", "--wrt", "a", "--format", "json").stdout)
    assert any("a > 0" in c for c in payload["conditions"])


def test_negative_base_to_a_variable_power_has_no_derivative() -> None:
    with pytest.raises(UndefinedError, match="integer"):
        matdiff.derivative("(-2)^a", "a")
    d = matdiff.derivative("(-2)^a*b", "b")  # by b it is fine
    assert d.at(a=2, b=1) == 4


def test_value_at_a_point_is_never_nan_or_inf() -> None:
    cases = [("1/a", "a", {"a": 0.0}, "division by zero"),
             ("sqrt(a)", "a", {"a": 0.0}, "derivative has no finite value"),
             ("log(a)", "a", {"a": -1.0}, "log of a number that is not positive"),
             ("exp(a)", "a", {"a": 1000.0}, "overflows"),
             ("(-a)^0.5", "a", {"a": 1.0}, "not real"),
             ("x./y", "x", {"x": [1.0, 2.0], "y": [1.0, 0.0]}, "division by zero")]
    for expr, wrt, point, fragment in cases:
        d = matdiff.derivative(expr, wrt)
        with pytest.raises(UndefinedError) as info:
            d.at(point)
        assert fragment in info.value.message, (expr, info.value.message)
    d = matdiff.derivative("sqrt(a)", "a")
    with pytest.raises(UndefinedError, match="sqrt"):
        d.evaluate({"a": 0.0})
    assert d.at(a=4.0) == 0.25  # defined points are unaffected


def test_cli_at_an_undefined_point_exits_2() -> None:
    r = run("diff", "1/a", "--wrt", "a", "--at", "a=0")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "undefined" in r.stderr and "inf" not in r.stdout


def test_from_sympy_refuses_non_finite_numbers() -> None:
    sp = pytest.importorskip("sympy")
    x = sp.Symbol("a")
    with pytest.raises(matdiff.LimitError, match="1e\\+5000"):
        matdiff.from_sympy(sp.Float("1e5000") * x)
    with pytest.raises(matdiff.LimitError):
        matdiff.from_sympy(sp.Float("1e-5000") * x)
    # within the literal range a Float stays exact: never inf, never silently 0*x
    assert matdiff.from_sympy(sp.Float("1e400") * x) == "1e400*a"
    assert matdiff.from_sympy(sp.Float("1e-400") * x) == "1e-400*a"
    for e in (sp.oo * x, sp.zoo * x, sp.nan * x, sp.I * x, sp.Float("inf") * x):
        with pytest.raises(UndefinedError):
            matdiff.from_sympy(e)
    text = matdiff.from_sympy(sp.Float("-2.5e-5") * x)
    value = matdiff.derivative(text, "a").at(a=1.0)  # reads back to the same number
    assert float(value) == -2.5e-5


def test_check_says_what_is_undefined() -> None:
    d = matdiff.derivative("log(-exp(a))", "a")
    with pytest.raises(EvaluationError, match="log of a number that is not positive"):
        d.check()
    r = run("diff", "log(-exp(a))", "--wrt", "a", "--check")
    assert r.returncode == 2 and "log(-exp(a))" in r.stderr


@pytest.mark.parametrize("points", [0, -3, 1.5, "2", True, 10**9])
def test_check_refuses_bad_point_counts(points: object) -> None:
    d = matdiff.derivative("x'*x", "x")
    with pytest.raises((OptionError, matdiff.LimitError), match="points"):
        d.check(points=points)  # type: ignore[arg-type]
    assert d.check(points=1).ok


@pytest.mark.parametrize("expr", ["1/(exp(1e-20) - 1)*a", "1/exp(-1000)*a",
                                  "1/(exp(-500)*exp(-500))*a", "log(exp(1e-20) - 1)*a",
                                  "arcsin(2*cos(1)^2 - cos(2))*a", "1/exp(1000)*a"])
def test_rounding_never_makes_an_error(expr: str) -> None:
    """Only an exact 0 is a zero: a float that rounds to 0 (or past 1) refuses nothing."""
    assert matdiff.derivative(expr, "a").text


def test_huge_exact_numbers_are_not_finite_in_float64_not_a_crash() -> None:
    d = matdiff.derivative("1e300*1e300*a^2", "a")
    assert d.text.startswith("2")  # the exact result is fine
    with pytest.raises(UndefinedError, match="too large for floating point"):
        d.evaluate({"a": 1.0})
    with pytest.raises(UndefinedError, match="no finite value"):
        d.at(a=1.0)


# --- a property: the parser refuses a rational constant exactly when it is undefined --------

Oracle = tuple[str, Fraction | None]  # (text, exact value; None: undefined)


def _combine(op: str, left: Oracle, right: Oracle) -> Oracle:
    (lt, lv), (rt, rv) = left, right
    text = f"({lt}){op}({rt})"
    if lv is None or rv is None:
        return text, None
    if op == "+":
        return text, lv + rv
    if op == "-":
        return text, lv - rv
    if op == "*":
        return text, lv * rv
    return text, None if rv == 0 else lv / rv


def _power(base: Oracle, k: int) -> Oracle:
    text, v = base
    out = f"({text})^({k})"
    if v is None or (v == 0 and k < 0):
        return out, None
    return out, v**k


@st.composite
def _rational_constant(draw: st.DrawFn, depth: int = 0) -> Oracle:
    if depth >= 3 or draw(st.booleans()):
        n = draw(st.integers(-3, 3))
        return str(n), Fraction(n)
    kind = draw(st.sampled_from(["+", "-", "*", "/", "^", "abs"]))
    left = draw(_rational_constant(depth + 1))
    if kind == "^":
        return _power(left, draw(st.integers(-2, 3)))
    if kind == "abs":
        return f"abs({left[0]})", None if left[1] is None else abs(left[1])
    return _combine(kind, left, draw(_rational_constant(depth + 1)))


@settings(max_examples=300, deadline=None)
@given(_rational_constant(), st.sampled_from(["", "log", "sqrt"]))
def test_refused_exactly_when_undefined(constant: Oracle, outer: str) -> None:
    """An independent exact evaluation decides: undefined (a zero divisor, 0 to a negative
    power, log of a nonpositive, sqrt of a negative) <=> UndefinedError, else a value."""
    text, value = constant
    if outer == "log":
        text, value = f"log({text})", None if value is None or value <= 0 else value
    elif outer == "sqrt":
        text, value = f"sqrt({text})", None if value is None or value < 0 else value
    try:
        d = matdiff.derivative(f"({text})*a", "a")
    except UndefinedError:
        assert value is None, text
        return
    assert value is not None, text
    assert np.isfinite(d.at(a=1.0))
