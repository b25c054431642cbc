"""Every printed result reads back: ``.text`` (with its ``where`` list) and ``.inline_text``
of a derivative, parsed again with the same declarations and *no* other hint (no expected
shape), have the result's shape and evaluate to the result's numbers (issue 15).

Over the derivative corpus (``tests/corpus/cookbook.toml``) and over random expressions
from the shared generator (``tests/expression_strategies.py``), first and second
derivatives of every result kind that has a matrix form (results with three or four axes
print in index notation, which is not the input language).  A result whose shape holds a
dimension nothing names (``sum(vector(1))``: the text cannot say which ``n``) reads back
with another unknown there; it is checked for its kind only.  Hypothesis example counts
come from the environment variable ``MATDIFF_HYPOTHESIS`` like ``test_properties.py``
(``long`` for a campaign), or ``MATDIFF_ROUND_TRIP_EXAMPLES`` (a count per test).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from expression_strategies import Case, cases
from hypothesis import HealthCheck, given, settings
from ir_fixtures import free_dims

import matdiff
from matdiff.api import Derivative
from matdiff.errors import EvaluationError, LimitError, UnsupportedError
from matdiff.evaluate import evaluate
from matdiff.ir.nodes import Node
from matdiff.parse import parse
from matdiff.printing import to_text
from matdiff.printing.sizes import dim_text
from matdiff.shapes import Dim
from matdiff.simplify import present, simplify
from matdiff.testing import choose_sizes, sample_point

CORPUS = Path(__file__).parent / "corpus" / "cookbook.toml"
with CORPUS.open("rb") as _f:
    CORPUS_CASES: list[dict[str, Any]] = tomllib.load(_f)["case"]

_EXAMPLES = int(os.environ.get("MATDIFF_ROUND_TRIP_EXAMPLES", "0")) or {"long": 20_000}.get(
    os.environ.get("MATDIFF_HYPOTHESIS", ""), 150)
_SETTINGS = settings(max_examples=_EXAMPLES, deadline=None, derandomize=_EXAMPLES < 1000,
                     database=None, suppress_health_check=[HealthCheck.too_slow,
                                                           HealthCheck.filter_too_much])


def _renaming(node: Node, result: Node, variables: dict[str, Node]) -> dict[Dim, Dim]:
    """How the read-back expression's dimensions correspond to the result's: through its
    shape and its variables' shapes (an undeclared ``B`` whose size the original
    expression called ``rows(A)`` reads back with the size ``rows(B)``: the same numbers).
    A function: a dimension of the text that stood for two of the result's would force
    two independent sizes equal.  (The converse is allowed: ``2*X'``, the gradient of
    ``tr(X^2)``, does not say that ``X`` is square; it agrees wherever the result is
    defined.)"""
    pairs = list(zip(node.shape.dims, result.shape.dims, strict=True))
    for name, v in node.variables().items():
        pairs += zip(v.shape.dims, variables[name].shape.dims, strict=True)
    forward: dict[Dim, Dim] = {}
    for mine, theirs in pairs:
        assert forward.setdefault(mine, theirs) == theirs, (
            f"the text makes {forward[mine]} and {theirs} one size {mine}")
    return forward


def reads_back(d: Derivative, expr: str, declare: list[str], seed: int = 0) -> int:
    """Assert that both printed forms of ``d`` read back to its shape and numbers; the
    number of points compared (0 when the result has no point where it is finite, or its
    shape has a dimension nothing names)."""
    result = d.result
    assert result is not None
    # the types the result states (an undeclared e that was a vector by evidence)
    declare = [*declare, *d.variables.declarations()]
    variables = dict(parse(expr, declare).variables)
    texts = {"text": d.text, "inline_text": d.inline_text}
    again: dict[str, tuple[Node, dict[Dim, Dim]]] = {}
    for which, text in texts.items():
        node = parse(text, declare).expr
        assert node.shape.kind == result.shape.kind, (
            f"{expr!r} by {d.wrt}: .{which} {text!r} reads back as a {node.shape}, the "
            f"result is a {result.shape}")
        renaming = _renaming(node, result, variables)
        if any(dim_text(d) is None for d in free_dims(result)):
            continue  # a size nothing names (the n of a bare sum(vector(1)))
        again[which] = node, renaming
    if not again:
        return 0
    rng = np.random.default_rng(seed)
    sizes = choose_sizes([result, *variables.values()], rng)
    try:
        env = sample_point(result, variables, sizes, rng)
    except EvaluationError:
        return 0
    with np.errstate(all="ignore"):
        want = np.asarray(evaluate(result, env, sizes), dtype=float)
        for which, (node, renaming) in again.items():
            own = {d: sizes[renaming.get(d, d)] for n in node.walk() for d in n.shape.dims}
            got = np.asarray(evaluate(node, env, own), dtype=float)
            scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
            assert got.shape == want.shape and np.allclose(got, want, rtol=1e-8,
                                                           atol=1e-10 * scale), (
                f"{expr!r} by {d.wrt}: .{which} {texts[which]!r} reads back to other "
                f"values (max difference {np.max(np.abs(got - want))})")
    return 1


@pytest.mark.parametrize("case", CORPUS_CASES, ids=[c["id"] for c in CORPUS_CASES])
def test_corpus_results_read_back(case: dict[str, Any]) -> None:
    declare = list(case.get("declare", []))
    d = matdiff.derivative(case["expr"], list(case["wrt"]), declare=declare)
    if d.result is None:
        pytest.skip("no matrix form (index notation)")
    reads_back(d, case["expr"], declare)


@pytest.mark.parametrize("case", CORPUS_CASES[::4], ids=[c["id"] for c in CORPUS_CASES[::4]])
def test_corpus_second_derivatives_read_back(case: dict[str, Any]) -> None:
    """One order more (by the first variable again) where that still has a matrix form."""
    declare = list(case.get("declare", []))
    wrt = [*case["wrt"], case["wrt"][0]]
    try:
        d = matdiff.derivative(case["expr"], wrt, declare=declare)
    except LimitError:
        pytest.skip("beyond the engine's limits")
    except UnsupportedError as e:  # kron, vec, reshape of the variable: no index form
        if "composite index" not in str(e):
            raise
        pytest.skip("a Hessian through vec/reshape/kron has no index form")
    if d.result is None:
        pytest.skip("no matrix form (index notation)")
    reads_back(d, case["expr"], declare)


def _random(case: Case) -> None:
    declare = list(case.declare)
    try:
        d = matdiff.derivative(case.expr, list(case.wrt), declare=declare)
    except LimitError:
        return
    except UnsupportedError as e:  # a Hessian through kron/vec/reshape: no index form
        if "composite index" not in str(e):
            raise
        return
    if d.result is not None:
        reads_back(d, case.expr, declare, case.seed)


@_SETTINGS
@given(cases(order=1, max_result_axes=2))
def test_random_first_derivatives_read_back(case: Case) -> None:
    _random(case)


@_SETTINGS
@given(cases(order=2, max_result_axes=2))
def test_random_second_derivatives_read_back(case: Case) -> None:
    _random(case)


# --- the reproducers of issue 15, and the language features they needed ---------------

@pytest.mark.parametrize(("expr", "wrt"), [
    ("sin(f) + B*tr(X)", "f"),  # was cos(f)*matrix(1): no size anywhere
    ("v'*(sigma - H + (2 + H))*k", "k"),  # was (sigma + 2)*v: the broadcast was lost
    ("(c - N./N)*f", "f"),  # was c - 1 for a matrix
    ("arctan(e - (z - z))", "e"),  # was 1 ./ (e.^2 + 1), a scalar, for a vector
    ("z'*(z.*(d + vector(1)))", ["z", "z"]),  # was 2*diag(d + 1), rejected on input
    ("tr(X^40*X^40)", "X"),  # 80*X'^79: beyond the input's power limit
    ("x'*A^20*A^20*x", "x"),
    ("sum(x)*ones(n)", "x"),  # the sized constants themselves
    ("a*eye(3) + A", "a"),
])
def test_issue_reproducers_read_back(expr: str, wrt: str | list[str]) -> None:
    declare = ["A: matrix(3, 3)"] if "A" in expr else []
    d = matdiff.derivative(expr, wrt, declare=declare)
    assert reads_back(d, expr, declare) == 1


# implicit expansion (W*X + b): results print the expansion bare where the parser expands
# it again, and as b*ones(n)' where it would not (a column with a row, both expanded)
_BIAS = ["b: vector", "c: vector", "s: vector positive"]


@pytest.mark.parametrize(("expr", "wrt"), [
    ("norm2(W*X + b - Y)^2", "W"), ("norm2(W*X + b - Y)^2", "b"),
    ("norm2(W*X + b - Y)^2", ["b", "b"]),
    ("norm2(X*W + b' - Y)^2", "W"), ("norm2(X*W + b' - Y)^2", "b"),
    ("norm2(V*tanh(W*X + b) + c - Y)^2", "W"), ("norm2(V*tanh(W*X + b) + c - Y)^2", "b"),
    ("norm2(V*tanh(W*X + b) + c - Y)^2", "V"), ("norm2(V*tanh(W*X + b) + c - Y)^2", "c"),
    ("sum(exp(X .* w'))", "w"), ("sum(exp(X .* w'))", "X"), ("norm2(X ./ s)^2", "s"),
    ("sum(X .^ s)", "X"), ("tr(A*(W*X + b + c'))", "c"), ("(W*X + b)'*u", "b"),
    ("sum(b - W*X + c')", "c"), ("sum((b + W*X).*(c' + Z))", "Z"),
    ("sum((b + W*X).*(c' + Z))", "c"), ("sum((b + W*X).*(c' + Z))", "b"),
])
def test_expansions_read_back(expr: str, wrt: str | list[str]) -> None:
    d = matdiff.derivative(expr, wrt, declare=_BIAS)
    assert reads_back(d, expr, _BIAS) == 1
    parsed = parse(expr, _BIAS).expr  # the expression itself, printed, reads back too
    assert simplify(parse(to_text(parsed), _BIAS).expr) is simplify(parsed)


def test_exact_numbers_beyond_floats_read_back_exactly() -> None:
    # was a 601-digit literal that the parser refused; the value is beyond a float, so
    # the check is exact: the text reads back to the very same (interned) expression
    for expr in ("x*1e300*1e300", "x*1e-300*1e-300", "x/3e300/1e300", "x*2^200*3^100"):
        d = matdiff.derivative(expr, "x")
        assert d.result is not None
        assert present(simplify(parse(d.text).expr)) is d.result, d.text
        assert len(d.text) < 100


def test_sized_constants_mean_what_matlab_means() -> None:
    env = {"x": np.array([1.0, 2.0, 3.0])}
    assert np.array_equal(evaluate(parse("ones(3)").expr, {}), np.ones(3))
    assert np.array_equal(evaluate(parse("zeros(2, 3)").expr, {}), np.zeros((2, 3)))
    assert np.array_equal(evaluate(parse("eye(2)").expr, {}), np.eye(2))
    assert np.array_equal(evaluate(parse("ones(len(x))'*x").expr, env), 6.0)
    got = evaluate(parse("x*ones(n)'", ["x: vector(n)"]).expr, env)
    assert np.array_equal(got, np.outer(env["x"], np.ones(3)))


def test_where_lists_read_back_as_their_substitution() -> None:
    plain = parse("A*(X*X)*B + (X*X)'").expr
    named = parse("A*P*B + P'  where P = X*X").expr
    assert named is plain
    chained = parse("Q  where P = X*X; Q = P*P").expr
    assert chained is parse("(X*X)*(X*X)").expr


# --- reduce: sums and means by dimension, logsumexp, softmax, size scalars ----------------

@pytest.mark.parametrize(("expr", "wrt", "declare"), [
    ("sum(logsumexp(X*W, 2)) - tr(Y'*X*W)", "W", []),
    ("-sum(Y.*log(softmax(X*W, 2)))", "W", []),
    ("y'*log(softmax(A*x)) + logsumexp(B*x)", ["x", "x"], []),
    ("logsumexp(x) - y'*x", ["x", "x"], []),
    ("mean(X)*a + sum(mean(X, 1).^2)", "X", []),
    ("norm2(mean(X, 2) - y)^2", "X", []),
    ("norm2(mean(X, 2) - y)^2", "X", ["X: matrix(m, n)"]),
    ("u'*sum(A*X, 2) + sum(X, 1)*v", "X", []),
    ("softmax(x')*v", "x", []),
    ("tr(softmax(Q*K', 2)*V)", "V", []),
    ("a*rows(X) + len(x)/cols(X)", "a", []),
])
def test_reductions_read_back(expr: str, wrt: str | list[str], declare: list[str]) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare)
    assert reads_back(d, expr, declare) == 1
    function = parse(expr, declare).expr  # the input itself prints and reads back
    assert simplify(parse(matdiff.printing.to_text(function), declare).expr) is simplify(
        function)
