"""``matdiff.identity`` and ``matdiff identity``: seed 000's trace properties are proved
(with the rules named), false look-alikes get a counterexample that is checked here
independently, and a canonical form alone never makes an identity true."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import matdiff
from matdiff.errors import ParseError, ShapeError
from matdiff.evaluate import evaluate
from matdiff.explain import identities as identity_module
from matdiff.ir import build as b
from matdiff.parse import parse

# seed 000, "矩阵迹的各种性质": properties 1-5, and the rule that proves each.
SEED_000 = [
    ("tr(A)", "tr(A')", "trace-transpose"),                      # property 1
    ("tr(A*B)", "tr(B*A)", "trace-cyclic"),                      # property 2
    ("tr(A*B*C)", "tr(C*A*B)", "trace-cyclic"),
    ("tr(A*B*C)", "tr(B*C*A)", "trace-cyclic"),
    ("tr(A*B*C*D)", "tr(D*A*B*C)", "trace-cyclic"),
    ("tr(A*B*C*D)", "tr(C*D*A*B)", "trace-cyclic"),
    ("tr(A*B*C*D)", "tr(B*C*D*A)", "trace-cyclic"),
    ("tr(A + B)", "tr(A) + tr(B)", "trace-split"),               # property 3
    ("tr(a*A)", "a*tr(A)", "trace-scalars-out"),                 # property 4
    ("sum(H .* U)", "tr(H'*U)", "sum-inner-product"),            # property 5
]

# Look-alikes that are false: every one must be refuted with a counterexample.
FALSE = [
    ("tr(A*B*C)", "tr(B*A*C)"),
    ("tr(A*B*C)", "tr(A*C*B)"),
    ("tr(A*B*C)", "tr(C*B*A)"),
    ("tr(A*B*C*D)", "tr(A*C*B*D)"),
    ("tr(A*B*C*D)", "tr(D*C*B*A)"),
    ("tr(A*B)", "tr(A)*tr(B)"),
    ("tr(A*B)", "tr(A*B')"),
    ("tr(A'*B)", "tr(A*B)"),
    ("tr(A + B)", "tr(A) - tr(B)"),
    ("tr(a*A)", "tr(A)"),
    ("tr(a*A)", "a^2*tr(A)"),
    ("sum(H .* U)", "tr(H*U)"),
    ("sum(H .* U)", "sum(H)*sum(U)"),
    ("tr(A)", "sum(A)"),
    ("A*B", "B*A"),
    ("(A*B)'", "A'*B'"),
    ("inv(A*B)", "inv(A)*inv(B)"),
    ("det(A + B)", "det(A) + det(B)"),
    ("x'*A*y", "y'*A*x"),
    ("tr(A*A')", "tr(A*A)"),
    ("norm2(x)^2", "sum(x)^2"),
    ("tr(A^2)", "tr(A)^2"),
    ("exp(tr(A))", "tr(exp(A))"),
    ("tr(A*B*C)", "tr(C'*B'*A)"),
]


@pytest.mark.parametrize(("lhs", "rhs", "rule"), SEED_000)
def test_seed_000_trace_properties_are_proved(lhs: str, rhs: str, rule: str) -> None:
    r = matdiff.identity(lhs, rhs)
    assert r.holds and r.proved, (lhs, rhs, r)
    assert rule in r.rules
    assert r.counterexample is None and r.difference < 1e-9
    assert len(r.identities) == len(r.rules)
    if rule != "trace-scalars-out":  # the new rules name seed 000
        stated = r.identities[r.rules.index(rule)]
        assert "seed 000, property" in stated or "seed 000, trace property" in stated


@pytest.mark.parametrize(("lhs", "rhs"), FALSE)
def test_false_look_alikes_have_counterexamples(lhs: str, rhs: str) -> None:
    r = matdiff.identity(lhs, rhs)
    assert not r.holds and not r.proved, (lhs, rhs)
    assert r.counterexample is not None and r.difference > 1e-6
    # the counterexample, checked here with the reference evaluator: the sides differ
    left, right = parse(lhs).expr, parse(rhs).expr
    env = r.counterexample
    gap = np.max(np.abs(evaluate(left, env) - evaluate(right, env)))
    assert gap > 1e-6
    assert all(np.asarray(v).size <= 9 for v in env.values())  # small: sizes 2..3


def test_declarations_matter() -> None:
    assert not matdiff.identity("tr(S*A)", "tr(S'*A)").holds
    r = matdiff.identity("tr(S*A)", "tr(S'*A)", declare=["S: symmetric"])
    assert r.holds and r.proved and "transpose-symmetric" in r.rules


def test_more_true_identities() -> None:
    for lhs, rhs in [("tr(A*B)", "tr(B'*A')"), ("(A*B)'", "B'*A'"),
                     ("x'*A*x", "x'*A'*x"), ("inv(inv(X))", "X"), ("tr(A*B - B*A)", "0")]:
        r = matdiff.identity(lhs, rhs)
        assert r.holds and r.proved, (lhs, rhs)


def test_canonical_form_alone_never_makes_it_true(monkeypatch: pytest.MonkeyPatch) -> None:
    class Liar:
        def simplify(self, expr: object, **kwargs: object) -> object:
            return b.const(0)  # claims every difference is zero
    monkeypatch.setattr(identity_module, "IDENTITIES", Liar())
    r = identity_module.identity("tr(A*B*C)", "tr(B*A*C)")
    assert r.proved and not r.holds and r.counterexample is not None


def test_bad_input() -> None:
    with pytest.raises(ShapeError, match="different shapes"):
        matdiff.identity("tr(A)", "A")
    with pytest.raises(ShapeError, match="different shapes"):
        matdiff.identity("x", "x'")
    with pytest.raises(ParseError):
        matdiff.identity("tr(A*B", "tr(B*A)")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matdiff", *args], capture_output=True,
                          text=True, timeout=60)


def test_cli_identity() -> None:
    r = run("identity", "tr(A*B*C)", "tr(C*A*B)")
    assert r.returncode == 0 and r.stdout.startswith("true: tr(A*B*C) = tr(C*A*B)")
    assert "trace-cyclic" in r.stdout and "seed 000, property 2" in r.stdout
    r = run("identity", "tr(A*B*C)", "tr(B*A*C)")
    assert r.returncode == 1 and r.stdout.startswith("false:")
    assert "counterexample:" in r.stdout and "\n  A = [[" in r.stdout
    r = run("identity", "tr(S*A)", "tr(S'*A)", "--declare", "S: symmetric")
    assert r.returncode == 0
    r = run("identity", "tr(A*B", "tr(B*A)")
    assert r.returncode == 2 and "^" in r.stderr
    r = run("identity", "tr(A)", "A")
    assert r.returncode == 2 and "different shapes" in r.stderr
