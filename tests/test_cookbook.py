"""The Matrix Cookbook corpus (tests/corpus/cookbook.toml): chapter 2 and common ML gradients.

For every case, named by its id (so a failure names the equation):

1. matdiff's derivative matches central finite differences (``Derivative.check``: of the
   function for a first derivative, of the order below for higher ones);
2. the ``textbook`` form -- the result as the book prints it, written in matdiff's input
   language in mixed layout -- parsed with the case's declarations and evaluated by the
   reference evaluator equals ``Derivative.evaluate`` at two random points that respect
   the declarations (symmetric, spd, diagonal, positive; well-conditioned under inv/det).

Structure tests keep the data honest: unique ids, at least 120 Cookbook cases, every
section of chapter 2 that the language can express, every ML family, equation numbers
inside their section's range, and a ``textbook`` form exactly where a matrix form exists
(results with at most two axes; ``index`` notes otherwise).  See tests/corpus/README.md.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from corpus_support import load_corpus

import matdiff
from matdiff.evaluate import evaluate
from matdiff.ir.nodes import Node
from matdiff.parse import Parsed, parse
from matdiff.shapes import Dim, Shape
from matdiff.testing import choose_sizes, sample_point

CORPUS = Path(__file__).parent / "corpus" / "cookbook.toml"
REQUIRED = {"id", "source", "section", "expr", "wrt"}
OPTIONAL = {"declare", "textbook", "index", "note", "cookbook_wrong", "symmetric_gradient"}

# The book's own section numbers (version of November 15, 2012) and the equations each
# holds.  "2" is the list of basic rules that opens chapter 2, before section 2.1;
# 2.3 (eigenvalues) is left out: eigenvalues are not in matdiff's language.
COOKBOOK_SECTIONS: dict[str, tuple[int, int]] = {
    "2": (33, 45),
    "2.1": (46, 58),
    "2.2": (59, 64),
    "2.4": (69, 98),
    "2.5": (99, 128),
    "2.6": (129, 131),
    "2.7": (132, 132),
    "2.8": (133, 144),
}
ML_FAMILIES = {
    "ml least squares", "ml ridge regression", "ml logistic regression",
    "ml softmax cross-entropy", "ml matrix factorisation", "ml gaussian log-likelihood",
    "ml tanh layer", "ml jacobians and hessians",
}
MIN_COOKBOOK_CASES = 120
COOKBOOK_ID = re.compile(r"cookbook-(?P<section>2(?:\.\d)?)-eq(?P<eq>\d+)(?:-[a-z0-9]+)*")
COOKBOOK_SOURCE = re.compile(r"Matrix Cookbook eqs?\. \((?P<eq>\d+)\)")
TEXTBOOK_SEEDS = (11, 12)  # two points each, independent of check()'s seed 0


CASES = load_corpus(CORPUS)
BY_ID = {c["id"]: c for c in CASES}
IDS = [c["id"] for c in CASES]
TEXTBOOK_IDS = [c["id"] for c in CASES if "textbook" in c]


@cache
def _derivative(case_id: str) -> matdiff.Derivative:
    case = BY_ID[case_id]
    return matdiff.derivative(case["expr"], case["wrt"], declare=case.get("declare"),
                              symmetric_gradient=case.get("symmetric_gradient",
                                                          "symmetrized"))


def _parsed(case: dict[str, Any]) -> tuple[Parsed, dict[str, Node]]:
    """The function's IR and all its variables (declared-but-unused ones included: a
    derivative by a variable the expression does not contain is zero, eq. 33)."""
    parsed = parse(case["expr"], case.get("declare"))
    return parsed, {**parsed.variables, **parsed.declared}


def _result_dims(parsed: Parsed, variables: dict[str, Node],
                 wrt: list[str]) -> tuple[Dim, ...]:
    """Mixed layout: the function's axes, then each variable's."""
    dims = parsed.expr.shape.dims
    for name in wrt:
        dims += variables[name].shape.dims
    return dims


def _result_shape(parsed: Parsed, variables: dict[str, Node], wrt: list[str]) -> Shape:
    """The matrix form's shape (at most two axes): the function's own shape when every
    variable is a scalar, the variable's for a scalar function's gradient, else rows
    from the first axis and columns from the second."""
    wrt_nodes = [variables[n] for n in wrt]
    if all(v.shape.is_scalar for v in wrt_nodes):
        return parsed.expr.shape
    if parsed.expr.shape.is_scalar and len(wrt_nodes) == 1:
        return wrt_nodes[0].shape
    dims = _result_dims(parsed, variables, wrt)
    assert len(dims) <= 2, "a textbook form needs at most two axes"
    return Shape(dims[0], dims[1] if len(dims) == 2 else None)


# --- the mathematics --------------------------------------------------------------------

@pytest.mark.parametrize("case_id", IDS)
def test_matches_finite_differences(case_id: str) -> None:
    case = BY_ID[case_id]
    d = _derivative(case_id)
    parsed, variables = _parsed(case)
    assert d.shape == _result_dims(parsed, variables, case["wrt"])
    check = d.check()
    assert check.ok, f"{case['expr']} by {case['wrt']}: {d.text}: {check}"


@pytest.mark.parametrize("case_id", TEXTBOOK_IDS)
def test_textbook_form_is_the_derivative(case_id: str) -> None:
    case = BY_ID[case_id]
    d = _derivative(case_id)
    parsed, variables = _parsed(case)
    shape = _result_shape(parsed, variables, case["wrt"])
    # shape= fixes sizes the text cannot carry (eye, matrix(1), a zero).
    textbook = parse(case["textbook"], case.get("declare"), shape=shape).expr
    for seed in TEXTBOOK_SEEDS:
        rng = np.random.default_rng(seed)
        sizes = choose_sizes([parsed.expr, *variables.values()], rng)
        for _ in range(2):
            env = sample_point(parsed.expr, variables, sizes, rng)
            expected = evaluate(textbook, env, sizes)
            actual = np.asarray(d.evaluate(env), dtype=float)
            assert actual.shape == tuple(sizes[x] for x in shape.dims)
            scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
            np.testing.assert_allclose(
                actual, expected, rtol=1e-7, atol=1e-9 * scale,
                err_msg=f"matdiff: {d.text}\ntextbook: {case['textbook']}")


# --- the data ---------------------------------------------------------------------------

def test_ids_are_unique() -> None:
    assert len(set(IDS)) == len(IDS), sorted(i for i in IDS if IDS.count(i) > 1)


@pytest.mark.parametrize("case_id", IDS)
def test_case_fields(case_id: str) -> None:
    case = BY_ID[case_id]
    assert case.keys() >= REQUIRED, f"missing {REQUIRED - case.keys()}"
    assert case.keys() <= REQUIRED | OPTIONAL, f"unknown {case.keys() - REQUIRED - OPTIONAL}"
    for key in case.keys() - {"wrt", "declare"}:
        assert isinstance(case[key], str) and case[key].strip(), key
    assert isinstance(case["wrt"], list) and case["wrt"]
    assert all(isinstance(w, str) for w in case["wrt"])
    assert all(isinstance(s, str) for s in case.get("declare", []))
    assert ("textbook" in case) != ("index" in case), "exactly one of textbook / index"
    if "cookbook_wrong" in case:
        assert "note" in case, "say what is printed and why it is wrong"
        assert case["id"].startswith("cookbook-")


@pytest.mark.parametrize("case_id", IDS)
def test_case_is_well_typed(case_id: str) -> None:
    """The expression and the textbook form parse with the declarations; every ``wrt`` is
    a variable; the textbook uses only the function's variables; a textbook form is
    given exactly when the result has a matrix form (at most two axes)."""
    case = BY_ID[case_id]
    parsed, variables = _parsed(case)
    assert set(case["wrt"]) <= variables.keys()
    rank = len(_result_dims(parsed, variables, case["wrt"]))
    if "textbook" in case:
        assert rank <= 2, "a result with more than two axes has no matrix form: use index"
        shape = _result_shape(parsed, variables, case["wrt"])
        textbook = parse(case["textbook"], case.get("declare"), shape=shape)
        assert textbook.variables.keys() <= variables.keys()
    else:
        assert rank > 2, "a result with at most two axes has a matrix form: give textbook"
    if "symmetric_gradient" in case:
        assert case["symmetric_gradient"] in matdiff.SYMMETRIC_GRADIENTS
        props = set().union(*(variables[w].attrs[1] for w in case["wrt"]))
        assert props & {"symmetric", "spd"}, "symmetric_gradient needs a symmetric wrt"


@pytest.mark.parametrize("case_id", IDS)
def test_case_names_its_source(case_id: str) -> None:
    case = BY_ID[case_id]
    if not case_id.startswith("cookbook-"):
        assert case_id.startswith("ml-") and case["section"] in ML_FAMILIES
        return
    m = COOKBOOK_ID.fullmatch(case_id)
    assert m, f"{case_id} is not cookbook-<section>-eq<N>[-variant]"
    src = COOKBOOK_SOURCE.fullmatch(case["source"])
    assert src, f"source {case['source']!r} is not 'Matrix Cookbook eq. (N)'"
    section, eq = m["section"], int(m["eq"])
    assert int(src["eq"]) == eq
    assert case["section"].split()[0] == section
    low, high = COOKBOOK_SECTIONS[section]
    assert low <= eq <= high, f"eq. ({eq}) is not in section {section} ({low}-{high})"


def test_corpus_covers_the_chapter() -> None:
    cookbook = [c for c in CASES if c["id"].startswith("cookbook-")]
    assert len(cookbook) >= MIN_COOKBOOK_CASES
    sections = {c["section"].split()[0] for c in cookbook}
    assert sections == COOKBOOK_SECTIONS.keys()
    ml = {c["section"] for c in CASES if c["id"].startswith("ml-")}
    assert ml == ML_FAMILIES
    # Both conventions for symmetric variables, Hessians and Jacobians are represented.
    assert any(c.get("symmetric_gradient") == "cookbook" for c in cookbook)
    assert any(len(c["wrt"]) == 2 for c in cookbook)
    assert any("index" in c for c in cookbook)
