"""Inputs that could make matdiff hang get a clear error instead (or a quick answer).

Bounds here are generous (seconds, not milliseconds): they guard against hanging, not
speed; speed is measured by benchmarks.
"""

from __future__ import annotations

import time

import pytest

import matdiff
from matdiff.errors import LimitError, MatdiffError

ABUSE = [
    ("tr(" + "*".join(["X"] * 2000) + ")", "X"),          # n-term product rule
    ("sum(" + ".*".join(["exp(x)"] * 1000) + ")", "x"),    # n-term Leibniz rule
    ("x'*x+" * 1999 + "x'*x", "x"),                         # long flat sum
    ("sum(" + "./".join(["x"] * 1000) + ")", "x"),         # deep IR from a flat chain
    ("2^1000000*a", "a"),                                   # huge constant
    ("a^1000000", "a"),
    ("1e300*a", "a"),
]


@pytest.mark.parametrize(("expr", "wrt"), ABUSE, ids=[e[:30] for e, _ in ABUSE])
def test_answers_or_refuses_quickly(expr: str, wrt: str) -> None:
    start = time.perf_counter()
    try:
        d = matdiff.derivative(expr, wrt)
        assert d.text
    except MatdiffError as e:
        assert e.message
    assert time.perf_counter() - start < 5.0


def test_quadratic_derivative_is_refused_with_advice() -> None:
    with pytest.raises(LimitError, match="powers"):
        matdiff.derivative("tr(" + "*".join(["X"] * 2000) + ")", "X")


def test_long_sum_collects_like_terms() -> None:
    d = matdiff.derivative("x'*A*x+" * 999 + "x'*A*x", "x")
    assert d.text == "1000*(A + A')*x"
