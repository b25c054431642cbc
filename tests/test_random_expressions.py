"""Random well-typed expressions (hypothesis) never give a wrong derivative, and their
text form reads back as the same expression."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matdiff
from matdiff.parse import parse
from matdiff.simplify import simplify

DECLARE = ["a: scalar", "b: scalar", "x: vector(n)", "y: vector(n)",
           "A: matrix(n,n)", "B: matrix(n,n)", "X: matrix(n,n)"]
LEAVES = {"s": ["a", "b", "2", "0.5"], "v": ["x", "y"], "m": ["A", "B", "X"]}


def _build(draw: st.DrawFn, kind: str, depth: int) -> str:
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(LEAVES[kind]))

    def sub(k: str) -> str:
        return _build(draw, k, depth - 1)

    options = {
        "s": [lambda: f"({sub('s')} + {sub('s')})", lambda: f"({sub('s')}*{sub('s')})",
              lambda: f"({sub('v')}'*{sub('v')})", lambda: f"({sub('v')}'*{sub('m')}*{sub('v')})",
              lambda: f"tr({sub('m')})", lambda: f"sum({sub('v')})",
              lambda: f"sin({sub('s')})", lambda: f"tanh({sub('s')})",
              lambda: f"norm2({sub('v')})^2", lambda: f"sum({sub('m')}.*{sub('m')})",
              lambda: f"log(1 + {sub('s')}^2)", lambda: f"({sub('s')} - {sub('s')})"],
        "v": [lambda: f"({sub('m')}*{sub('v')})", lambda: f"({sub('v')} + {sub('v')})",
              lambda: f"({sub('s')}*{sub('v')})", lambda: f"({sub('v')}.*{sub('v')})",
              lambda: f"tanh({sub('v')})", lambda: f"diag({sub('m')})",
              lambda: f"({sub('m')}'*{sub('v')})", lambda: f"sin({sub('v')})"],
        "m": [lambda: f"({sub('m')}*{sub('m')})", lambda: f"{sub('m')}'",
              lambda: f"({sub('m')} - {sub('m')})", lambda: f"({sub('s')}*{sub('m')})",
              lambda: f"({sub('v')}*{sub('v')}')", lambda: f"({sub('m')}.*{sub('m')})",
              lambda: f"diag({sub('v')})", lambda: f"inv(3*eye + {sub('m')}*{sub('m')}')"],
    }[kind]
    return draw(st.sampled_from(options))()


@st.composite
def scalar_expressions(draw: st.DrawFn) -> tuple[str, str]:
    expr = _build(draw, "s", 3)
    names = [v for v in ("a", "b", "x", "y", "A", "B", "X") if v in parse(expr, DECLARE).variables]
    wrt = draw(st.sampled_from(names)) if names else "x"
    return expr, wrt


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scalar_expressions())
def test_random_gradient_matches_finite_differences(case: tuple[str, str]) -> None:
    expr, wrt = case
    d = matdiff.derivative(expr, wrt, declare=DECLARE)
    check = d.check(points=2, tolerance=1e-5)
    assert check.ok, f"d({expr})/d{wrt} = {d.text}: {check}"


@settings(max_examples=60, deadline=None)
@given(scalar_expressions())
def test_random_text_round_trips(case: tuple[str, str]) -> None:
    expr, wrt = case
    d = matdiff.derivative(expr, wrt, declare=DECLARE)
    again = parse(d.text, DECLARE, shape=d.result.shape).expr
    assert simplify(again) is d.result, f"{d.text} reads back differently"
    original = parse(expr, DECLARE).expr
    from matdiff.printing import to_text
    assert simplify(parse(to_text(original), DECLARE).expr) is simplify(original)
