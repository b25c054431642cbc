"""Property-based tests over the whole op table (hypothesis): random well-typed
expressions of every kind (scalar, vector, matrix; square and rectangular; symbolic and
fixed sizes), differentiated once and twice, must agree with central finite differences
(``Derivative.check``), and their values and generated NumPy code have the contract's
shape.  An unsupported case may raise a :class:`MatdiffError` that says so
(:data:`REFUSALS`, with a message) -- never return a wrong answer -- but most examples
(:data:`CHECKED_SHARE`) must actually be checked.  The text of a first derivative's
matrix form must read back to the same value.

The generator is ``tests/expression_strategies.py`` (its docstring lists the domain care
that keeps every drawn function smooth where it is sampled).

The oracle tests compare every numeric surface (``evaluate``, ``.numpy``, ``compile`` for
NumPy and PyTorch, JAX on a sample) with an independent torch translation of the
expression's text differentiated by ``torch.func`` (``tests/oracle.py``,
``tests/oracle_check.py``), over the generator's issue-15 classes too: traces of
``diag`` and of ``eye``-masked matrices, Greek scalars broadcast, constant
subexpressions and variables the expression does not use.  ``scripts/campaign`` runs
the same check on tens of thousands of cases.

Example counts come from a hypothesis profile chosen by the environment variable
``MATDIFF_HYPOTHESIS``: ``matdiff-ci`` (default; derandomized so CI is reproducible,
2,000 examples across the tests below), ``long`` (20,000 examples, random) or
``campaign`` (100,000)::

    MATDIFF_HYPOTHESIS=long .venv/bin/python -m pytest tests/test_properties.py
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import oracle
import oracle_points
import pytest
from expression_strategies import (
    CONSTANT_SCALARS,
    POSITIVE_CONSTANTS,
    RESULT_KINDS,
    SCALAR,
    Case,
    Kind,
    cases,
    expressions,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle_check import options_for, run_case

import matdiff
from matdiff.errors import EvaluationError, LimitError, MatdiffError, UnsupportedError
from matdiff.evaluate import evaluate
from matdiff.ir.ops import OPS
from matdiff.parse import parse
from matdiff.testing import choose_sizes, sample_point

_BASE = settings(deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
settings.register_profile("matdiff-ci", _BASE, max_examples=2_000, derandomize=True)
settings.register_profile("long", _BASE, max_examples=20_000)
settings.register_profile("campaign", _BASE, max_examples=100_000)
PROFILE = settings.get_profile(os.environ.get("MATDIFF_HYPOTHESIS", "matdiff-ci"))
SHARES = {"first": 0.22, "second": 0.22, "round_trip": 0.06,
          "oracle_first": 0.25, "oracle_second": 0.25}
"""How the profile's examples are split between the tests of this module."""

# Failure classes of issue 15 that other parts of the work fix (code generation of
# constant subexpressions, evaluation by an unused variable, text that carries no
# sizes).  While a flag is True the tests below tally that class instead of failing on
# it, and the finite-difference tests leave its forms out; set it to False once the
# fix is merged.
KNOWN_CODEGEN_CONSTANT_FAILURES = False
"""``compile("torch")`` / ``.numpy`` of ``log(2)*x``, ``tanh(4)/sum(W)``, ``norm1(3)``."""
KNOWN_TORCH_NUMBER_INPUTS = False
"""``compile("torch")`` handing a Python or NumPy number (a constant, or a scalar input
such as ``tanh(c)``'s ``c``, or ``relu(c)``'s) to a torch function: "must be Tensor, not
int", "clamp_min() received an invalid combination of arguments", heaviside's dtypes), and
float32 ``torch.ones`` in merged outer products ("expected scalar type Float but found
Double", ``B + tr(arctan(diag(a ./ p)))`` by ``[a, p]``)."""
KNOWN_ABSENT_VARIABLE_FAILURES = False
"""``evaluate`` of a derivative by a variable that does not occur (``sum(sigma)`` by u)."""
KNOWN_UNSIZED_TEXT = False
"""Printed text holding ``eye`` / ``vector(1)`` whose size nothing fixes (round trip)."""
REFUSALS = (UnsupportedError, LimitError, EvaluationError)
"""The errors that say "not supported" (or "too big", or "no point where this is defined
to check it").  Any other MatdiffError from a well-typed expression -- a ShapeError
about an operand the user never wrote -- is an internal error and fails the test."""
CHECKED_SHARE = 0.8
"""At least this share of the examples must be computed and checked, not refused."""
TOLERANCE = 1e-5
"""Of the finite-difference check (its default is 1e-6).  A wrong derivative is off by
a relative error of order 1; the differences' own error stayed below 2e-8 over 20,000
generated examples of orders 1 and 2 (the generator keeps steep functions out, see
expression_strategies.py; before it did, correct derivatives failed at up to 1e-4), so
1e-5 leaves a wide margin without hiding a wrong term."""


def _settings(test: str) -> settings:
    return settings(PROFILE, max_examples=max(1, round(SHARES[test] * PROFILE.max_examples)))


@dataclass
class Tally:
    """What happened to each example: checked, or refused with a MatdiffError."""

    checked: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    kinds: Counter[str] = field(default_factory=Counter)
    """Checked examples by kind: "vector by matrix by scalar" (function, then wrt)."""
    skipped: Counter[str] = field(default_factory=Counter)
    """Examples neither checked nor refused, by reason (a Jacobian without matrix form)."""

    def check(self, kind: str) -> None:
        self.checked += 1
        self.kinds[kind] += 1

    def refuse(self, case: Case, err: MatdiffError) -> None:
        if not isinstance(err, REFUSALS):
            raise AssertionError(f"{case}\n  raised {type(err).__name__}, which is not a "
                                 f"refusal:\n{err}") from err
        # A refusal must say why: a bare exception class is not a clear message.
        message = str(err).strip()
        assert message, f"{case}: {type(err).__name__} without a message"
        key = f"{type(err).__name__}: {message.splitlines()[0][:100]}"
        self.refused[key] += 1
        self.examples.setdefault(key, str(case))

    def check_mostly_checked(self) -> None:
        total = self.checked + sum(self.refused.values())
        assert total > 0
        share = self.checked / total
        listing = "\n".join(f"  {count} x {key}\n      e.g. {self.examples[key]}"
                            for key, count in self.refused.most_common(12))
        # Shown with pytest -s (or -rP): what was checked, what was refused.
        print(f"{self.checked} checked, {sum(self.refused.values())} refused, "
              f"{dict(self.skipped)} skipped; checked kinds: {dict(self.kinds)}\n{listing}")
        assert share > CHECKED_SHARE, (
            f"only {self.checked} of {total} examples were checked ({share:.0%}); "
            f"refusals:\n{listing}")


def _run(strategy: st.SearchStrategy[Case], test: str,
         body: Callable[[Case, Tally], None]) -> Tally:
    """Run ``body`` on the profile's share of examples; count checks and refusals."""
    tally = Tally()

    @_settings(test)
    @given(strategy)
    def run(case: Case) -> None:
        body(case, tally)

    run()
    return tally


def _check_case(case: Case, tally: Tally) -> None:
    """``derivative(...)``'s finite-difference check passes and its value has the shape
    of the contract (mixed layout: ``f.shape + v1.shape + v2.shape ...``); or a
    MatdiffError is raised."""
    try:
        d = matdiff.derivative(case.expr, list(case.wrt), declare=list(case.declare))
        result = d.check(seed=case.seed, points=2, tolerance=TOLERANCE)
    except MatdiffError as err:
        tally.refuse(case, err)
        return
    assert result.ok, f"{case}\n  gives {d.text}\n  {result}"
    parsed = parse(case.expr, list(case.declare))
    wrt = [parsed.variables[name] for name in case.wrt]
    tally.check(" by ".join(node.shape.kind for node in (parsed.expr, *wrt)))
    dims = parsed.expr.shape.dims
    for variable in wrt:
        dims += variable.shape.dims
    assert tuple(d.shape) == dims, f"{case}: shape {d.shape}, expected {dims}"
    rng = np.random.default_rng(case.seed)
    sizes = choose_sizes([parsed.expr, *parsed.variables.values()], rng)
    env = sample_point(parsed.expr, parsed.variables, sizes, rng)
    value = np.asarray(d.evaluate(env))
    assert value.shape == tuple(sizes[x] for x in dims), (
        f"{case}: value of shape {value.shape} at sizes {sizes}, expected {dims}")
    # The generated NumPy expression (only np and the variables in scope) agrees.
    with np.errstate(all="ignore"):
        generated = np.asarray(eval(d.numpy, {"np": np}, dict(env)), dtype=float)
    scale = max(1.0, float(np.max(np.abs(value)))) if value.size else 1.0
    assert generated.shape == value.shape and np.allclose(
        generated, value, rtol=1e-8, atol=1e-10 * scale), (
        f"{case}\n  .numpy = {d.numpy}\n  gives {generated}\n  .evaluate gives {value}")


_CONSTANTS = not KNOWN_CODEGEN_CONSTANT_FAILURES


def test_first_derivatives_match_finite_differences() -> None:
    strategy = cases(order=1, extended=True, constants=_CONSTANTS)
    _run(strategy, "first", _check_case).check_mostly_checked()


def test_second_derivatives_match_finite_differences() -> None:
    strategy = cases(order=2, extended=True, constants=_CONSTANTS)
    _run(strategy, "second", _check_case).check_mostly_checked()


def _known_failure(case: Case, status: str, detail: str) -> str | None:
    """The flag under which this failure is a known class, or None."""
    surface = status.split(":")[1].strip() if ":" in status else ""
    constant = any(c in case.expr for c in (*CONSTANT_SCALARS, *POSITIVE_CONSTANTS))
    if (KNOWN_CODEGEN_CONSTANT_FAILURES and constant
            and surface in ("numpy", "compile-numpy", "compile-torch", "compile-jax")):
        return "KNOWN_CODEGEN_CONSTANT_FAILURES"
    torch_numbers = ("must be Tensor", "invalid combination of arguments",
                     "heaviside is not yet implemented for tensors with different dtypes",
                     "expected scalar type")  # torch.ones() without dtype in outer products
    if (KNOWN_TORCH_NUMBER_INPUTS and status.startswith("crash: compile-torch")
            and any(m in detail for m in torch_numbers)):
        return "KNOWN_TORCH_NUMBER_INPUTS"
    variables = {n.attrs[0] for n in parse(case.expr, list(case.declare)).expr.walk()
                 if n.op == "var"}
    if (KNOWN_ABSENT_VARIABLE_FAILURES and status.startswith(("error: evaluate",
                                                              "crash: evaluate"))
            and any(v not in variables for v in case.wrt)):
        return "KNOWN_ABSENT_VARIABLE_FAILURES"
    return None


def _oracle_case(case: Case, tally: Tally) -> None:
    """Every numeric surface agrees with the independent oracle (or derivative refuses)."""
    out = run_case(case.expr, case.wrt, case.declare, case.seed,
                   jax=case.seed % 50 == 0, **options_for(case.seed))
    if out.status == "checked":
        parsed = parse(case.expr, list(case.declare))
        wrt_kinds = [parsed.variables[v].shape.kind if v in parsed.variables else "absent"
                     for v in case.wrt]
        tally.check(" by ".join((parsed.expr.shape.kind, *wrt_kinds)))
        return
    if out.status == "refused":
        tally.refused[out.detail[:100]] += 1
        tally.examples.setdefault(out.detail[:100], str(case))
        return
    if out.status == "unsupported":
        tally.skipped[f"oracle: {out.detail[:60]}"] += 1
        return
    for failure in (out, *out.others):
        flag = _known_failure(case, failure.status, failure.detail)
        if flag is None:
            raise AssertionError(f"{case}\n  {failure.status}: {failure.detail}")
        tally.skipped[f"{flag}: {failure.status}"] += 1


def test_oracle_first_derivatives_on_every_surface() -> None:
    strategy = cases(order=1, extended=True, absent=True)
    _run(strategy, "oracle_first", _oracle_case).check_mostly_checked()


def test_oracle_second_derivatives_on_every_surface() -> None:
    strategy = cases(order=2, extended=True, absent=True)
    _run(strategy, "oracle_second", _oracle_case).check_mostly_checked()


def _round_trip(case: Case, tally: Tally) -> None:
    """The matrix form's text, read back with the same declarations, has the value of
    ``.evaluate(env)`` at a random point."""
    try:
        d = matdiff.derivative(case.expr, list(case.wrt), declare=list(case.declare))
        text = d.inline_text
    except MatdiffError as err:
        tally.refuse(case, err)
        return
    if d.result is None:
        # A gradient always has a matrix form; a Jacobian may be index-only.
        assert case.kind != SCALAR, f"{case}: a gradient printed without matrix form: {text}"
        tally.skipped["no matrix form"] += 1
        return
    parsed = parse(case.expr, list(case.declare))
    tally.check(f"{parsed.expr.shape.kind} by {parsed.variables[case.wrt[0]].shape.kind}")
    try:
        # shape= fixes the sizes of a result that the text cannot carry (vector(0))
        again = parse(text, list(case.declare), shape=d.result.shape).expr
    except MatdiffError as err:
        if _unsized(text):
            tally.skipped["KNOWN_UNSIZED_TEXT: does not read back"] += 1
            return
        raise AssertionError(f"{case}\n  its text {text} does not read back:\n{err}") from err
    rng = np.random.default_rng(case.seed)
    sizes = choose_sizes([parsed.expr, again, *parsed.variables.values()], rng)
    env = sample_point(parsed.expr, parsed.variables, sizes, rng)
    want = np.asarray(d.evaluate(env))
    with np.errstate(all="ignore"):
        got = np.asarray(evaluate(again, env, sizes))
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    same = got.shape == want.shape and np.allclose(got, want, rtol=1e-9, atol=1e-9 * scale)
    if not same and _unsized(text):
        tally.skipped["KNOWN_UNSIZED_TEXT: reads back to another value"] += 1
        return
    assert same, f"{case}\n  text {text} reads back to a different value:\n  {got}\n  != {want}"


def _unsized(text: str) -> bool:
    """The text holds a constant whose size it may not fix (``sum(vector(1))``), while
    :data:`KNOWN_UNSIZED_TEXT` says printing does not yet give sizes."""
    return KNOWN_UNSIZED_TEXT and re.search(r"\b(vector|matrix)\(|\beye\b", text) is not None


def test_round_trip_text_of_matrix_forms_has_the_same_value() -> None:
    strategy = cases(order=1, kinds=(SCALAR, SCALAR, *RESULT_KINDS), max_result_axes=2,
                     extended=not KNOWN_UNSIZED_TEXT)
    _run(strategy, "round_trip", _round_trip).check_mostly_checked()


# --- the generator itself -------------------------------------------------------------

SURFACE_OPS = frozenset(OPS) - {"differential", "reshape"}
"""Every op the input language can write (``differential`` is internal: dX).  ``reshape(u,
m, n)`` takes dimension names, which the oracle (sizes only from values) cannot read; it
is what gradients through ``vec`` print, and tests/test_kron.py and the round-trip tests
check it by finite differences."""
SURFACE_SYNTAX = (" + ", " - ", "(-", "*", "/", "^", "^-", ".*", "./", ".^", "'", "eye",
                  "vector(", "matrix(", "0.5")
"""Operators and forms of the input language that several ops share or that map to
one op in several ways (``x/c`` and ``-x`` are products, ``^`` and ``.^`` powers)."""


ISSUE_15_FORMS = ("tr(diag(", " .* eye)", "tr(arctan(diag(", "norm2(", "sigma", "log(2)",
                  "norm2(2)", "tanh(4)", "norm1(3)")
"""Forms of issue 15's wrong numbers and crashes the generator must draw."""


def test_generator_draws_unused_variables_to_differentiate_by() -> None:
    absent: list[Case] = []

    @settings(max_examples=600, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(cases(order=1, extended=True, absent=True))
    def collect(case: Case) -> None:
        variables = parse(case.expr, list(case.declare)).variables
        if case.wrt[0] not in variables:
            absent.append(case)

    collect()
    assert len(absent) >= 10, len(absent)


def test_generator_covers_the_whole_op_table() -> None:
    """The random expressions use every op of the surface language, every result kind,
    symbolic and fixed dimensions, and rectangular matrices."""
    seen_ops: set[str] = set()
    seen_kinds: set[str] = set()
    declared: set[str] = set()
    texts: list[str] = []

    @settings(max_examples=1600, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(expressions(extended=True))
    def collect(drawn: tuple[str, tuple[str, ...], Kind]) -> None:
        text, declare, _ = drawn
        expr = parse(text, list(declare)).expr
        seen_ops.update(node.op for node in expr.walk())
        seen_kinds.add(expr.shape.kind)
        declared.update(declare)
        texts.append(text)

    collect()
    assert SURFACE_OPS - seen_ops == set()
    assert [f for f in ISSUE_15_FORMS if not any(f in t for t in texts)] == []
    assert [s for s in SURFACE_SYNTAX if not any(s in t for t in texts)] == []
    assert {"scalar", "vector", "matrix"} <= seen_kinds
    assert any("matrix(m, n)" in d for d in declared)
    assert any("matrix(2, 3)" in d or "matrix(3, 2)" in d for d in declared)


ISSUE_13_FORMS = ("sigmoid(", "softplus(", "logsumexp(", "softmax(", "mean(", "kron(",
                  "vec(", "pinv(", "adj(", "trace(", ".'", ", 1)", ", 2)", ", 1)'")
"""Issue 13's forms the generator draws when its switch is on."""


def test_issue13_generator_text_reads_in_the_oracle(monkeypatch: pytest.MonkeyPatch) -> None:
    """With issue 13's language on (``issue13=True``; ``ISSUE13_LANGUAGE`` for every
    strategy), the generated text uses every new function and implicit expansion, and
    the independent oracle reads it, evaluates it to a finite value of the drawn kind and
    differentiates it (matdiff reads it once issue 13 is merged)."""
    expanded = 0
    plain = oracle.expandable

    def counting(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
        nonlocal expanded
        found = plain(a, b)
        expanded += found
        return found

    monkeypatch.setattr(oracle, "expandable", counting)
    texts: list[str] = []
    finite = [0, 0]

    @settings(max_examples=1200, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(expressions(extended=True, issue13=True), st.integers(0, 2**16))
    def collect(drawn: tuple[str, tuple[str, ...], Kind], seed: int) -> None:
        text, declare, kind = drawn
        texts.append(text)
        rng = np.random.default_rng(seed)
        point = oracle_points.point([text], list(declare), rng)
        with np.errstate(all="ignore"):
            value = oracle.value(text, point).numpy()
        assert value.ndim == sum(s is not None for s in kind), (text, value.shape, kind)
        finite[0] += bool(np.all(np.isfinite(value)))
        finite[1] += 1
        if seed % 4 == 0:
            wrt = sorted(point)[seed % len(point)]
            jac = oracle.derivative(text, [wrt], point, list(declare))
            assert jac.shape == value.shape + np.shape(point[wrt]), text

    collect()
    assert [f for f in ISSUE_13_FORMS if not any(f in t for t in texts)] == []
    assert expanded > 0
    assert finite[0] >= 0.95 * finite[1], f"{finite[0]} of {finite[1]} finite"
