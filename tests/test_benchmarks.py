"""The textbook-length benchmark (benchmarks/textbook_length.py): its operation count on
hand-counted expressions, and that it measures every textbook case of the corpus.
Nothing here is timed."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path

import pytest
from corpus_support import textbook_length

from matdiff.parse import parse

ROOT = Path(__file__).resolve().parent.parent


tl = textbook_length()


@pytest.mark.parametrize(("text", "count"), [
    # + (1); three products in each chain (6); three transposes (3)
    ("A'*C'*X*B' + C*A*X*B", 10),
    # unary minus (1), three products (3), three transposes (3), two inv (2)
    ("-inv(X)'*a*b'*inv(X)'", 9),
    # a subtraction is one operation, like a sum; so is a negated term after the first
    ("A - B", 1),
    ("A - 2*B", 2),
    ("-A + B", 2),
    # a division: / and norm2 (the ^-1 of the divisor is the /)
    ("x/norm2(x)", 2),
    # x^-1 alone is a power; s + x broadcasts s for free
    ("a^-1", 1),
    ("a + x", 1),
    # elementwise: ./ (1), .* (1), exp (1), +(1)
    ("exp(x) ./ (x .* y + 1)", 4),
])
def test_count_ops_by_hand(text: str, count: int) -> None:
    declare = ["a: scalar", "x: vector(n)", "y: vector(n)"]
    assert tl.count_ops(parse(text, declare).expr) == count


def test_count_ops_of_a_leaf_is_zero() -> None:
    assert tl.count_ops(parse("X").expr) == 0
    assert tl.count_ops(parse("2").expr) == 0


def test_textbook_where_definitions_count_once() -> None:
    """A textbook ``where`` list is counted as matdiff's printed one is: the main
    expression and each definition once (the module docstring's 4 + 4)."""
    declare = ["x: vector(n)"]
    shape = parse("x*x'", declare).expr.shape
    assert tl.textbook_count("diag(p) - p*p'  where p = exp(x)/sum(exp(x))", declare,
                             shape) == 8
    assert tl.textbook_count("diag(exp(x)/sum(exp(x))) - exp(x)/sum(exp(x))*"
                             "(exp(x)/sum(exp(x)))'", declare, shape) == 16
    # a definition using an earlier one; ',' or ';' between definitions, not inside calls
    vector = parse("x", declare).expr.shape
    assert tl.textbook_count("q + q  where p = exp(x); q = p .* p", declare, vector) == 3
    assert tl.textbook_count("q + q  where p = exp(x), q = p .* norm2(p)", declare,
                             vector) == 4
    assert tl.textbook_count("norm2(x)*x", declare, vector) == 2


def test_both_corpora_are_measured_by_default() -> None:
    assert tl.CORPORA == (ROOT / "tests" / "corpus" / "cookbook.toml",
                          ROOT / "tests" / "corpus" / "practitioner.toml")


def test_run_measures_every_textbook_case() -> None:
    with (ROOT / "tests" / "corpus" / "cookbook.toml").open("rb") as f:
        cases = tomllib.load(f)["case"]
    expected = sum("textbook" in c for c in cases)
    # The Cookbook alone: the practitioner corpus (issue 13's language) is measured by
    # tests/test_practitioner_corpus.py, case by case.
    summary = tl.run([ROOT / "tests" / "corpus" / "cookbook.toml"])
    assert summary.total == expected == len(summary.rows)
    assert 0 <= summary.no_longer <= summary.total
    assert summary.line == f"no longer than textbook: {summary.no_longer}/{expected}"
    ratios = [r.ratio for r in summary.rows]
    assert ratios == sorted(ratios, reverse=True)  # worst first
    assert all(r.ratio == tl.ratio(r.matdiff_ops, r.textbook_ops) for r in summary.rows)
    assert min(ratios) <= summary.geometric_mean <= max(ratios)


def test_autodiff_benchmark_quick_mode_agrees() -> None:
    """benchmarks/autodiff.py --quick (tiny n): every method agrees with the closed forms
    (timings are printed, never asserted)."""
    pytest.importorskip("jax")
    pytest.importorskip("torch")
    path = ROOT / "benchmarks" / "autodiff.py"
    spec = importlib.util.spec_from_file_location("autodiff_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    assert module.main(["--quick", "--sizes", "5", "--budget", "0.002"]) == 0
