"""Random well-typed expressions (hypothesis) never give a wrong derivative, and their
text form reads back as the same expression.

The expressions come from the shared generator, ``tests/expression_strategies.py``
(scalar expressions over the whole op table, one variable to differentiate by);
``test_properties.py`` runs the same generator at every kind and order.  Derandomized,
so that a run is reproducible; the ``long`` profile of ``test_properties.py`` explores.
"""

from __future__ import annotations

from expression_strategies import SCALAR, Case, cases
from hypothesis import HealthCheck, given, settings
from ir_fixtures import free_dims

import matdiff
from matdiff.parse import parse
from matdiff.printing import to_text
from matdiff.simplify import present, simplify

SCALAR_CASES = cases(order=1, kinds=(SCALAR,))


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(SCALAR_CASES)
def test_random_gradient_matches_finite_differences(case: Case) -> None:
    d = matdiff.derivative(case.expr, list(case.wrt), declare=list(case.declare))
    check = d.check(seed=case.seed, points=2, tolerance=1e-5)
    assert check.ok, f"{case}\n  gives {d.text}: {check}"


@settings(max_examples=60, deadline=None, derandomize=True)
@given(SCALAR_CASES)
def test_random_text_round_trips(case: Case) -> None:
    declare = list(case.declare)
    d = matdiff.derivative(case.expr, list(case.wrt), declare=declare)
    assert d.result is not None, f"{case}: a gradient without matrix form: {d.text}"
    again = parse(d.inline_text, declare, shape=d.result.shape).expr
    if free_dims(d.result):  # sum(eye) is n: the text cannot say which n
        assert to_text(present(simplify(again))) == d.inline_text
    else:
        assert present(simplify(again)) is d.result, (
            f"{case}\n  {d.inline_text} reads back differently")
    original = parse(case.expr, declare).expr
    assert simplify(parse(to_text(original), declare).expr) is simplify(original), (
        f"{case}\n  the expression's own text {to_text(original)} reads back differently")
