"""The independent oracle (``tests/oracle.py``) against closed forms computed here with
NumPy, and the wrong numbers it found (issue 15), checked numerically on every surface.

The regressions: a Kronecker delta ``δ_pp`` whose index also occurs in another factor
was contracted to ``tr(eye)`` (= n) instead of 1, so Jacobians, Hessians and mixed
derivatives of traces of ``diag`` and of ``eye``-masked matrices came out n times too
large (``tr(diag(D*x))*y`` by x printed ``tr(eye)*y*vector(1)'*D``).
"""

from __future__ import annotations

import numpy as np
import oracle
import pytest
from oracle_check import run_case

import matdiff

TRACE_OF_DIAG_CASES = [
    ("tr(diag(D*x))*y", ["x"], []),
    ("tr(diag(v./f)) + h", ["f"], []),
    ("tr(diag(f*v))*y", ["f"], []),
    ("tr(arctan(diag(Q*z)))", ["z", "z"], []),
    ("norm2(S.*diag(T*z))", ["z", "z"], []),
    ("tr(g*(h*h'*R.*eye))", ["g", "h"], []),
    ("tr(diag(x))*A", ["x"], []),
    ("tr(diag(x))*tr(diag(y))*z", ["x", "y"], []),
    ("diag(diag(A .* eye))*x", ["A"], []),
    ("sum(diag(X .* eye))*y", ["X", "X"], []),
    ("tr(diag(x.*y))*x", ["x", "y"], ["x: vector(3)"]),
    ("tr(diag(S*x))*x", ["x", "S"], ["S: symmetric"]),
]


@pytest.mark.parametrize(("expr", "wrt", "declare"), TRACE_OF_DIAG_CASES)
def test_traces_of_diag_have_no_spurious_dimension_factor(
        expr: str, wrt: list[str], declare: list[str]) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare)
    result = d.check(seed=3, points=2)
    assert result.ok, f"{expr} by {wrt}: {d.text}\n{result}"
    for seed in (1, 2):
        out = run_case(expr, wrt, declare, seed, jax=seed == 1)
        assert out.status == "checked", f"{expr} by {wrt}: {out.status} {out.detail}"


def test_a_delta_alone_still_sums_to_the_dimension() -> None:
    """The contraction still sums a lone ``δ_pp`` (``tr(eye .* A)`` by A is ``eye``;
    ``sum(eye .* A)*x`` by A has ``δ`` entries)."""
    for expr, wrt in (("tr(eye .* A)", "A"), ("sum(eye .* A)*x", "A"),
                      ("tr((A .* eye)*(eye .* A))*x", "A"), ("tr(eye*A)*x", "x")):
        assert run_case(expr, [wrt], [], 5).status == "checked", expr


# --- the oracle itself ----------------------------------------------------------------

RNG = np.random.default_rng(0)
A = RNG.normal(size=(3, 3))
B = RNG.normal(size=(2, 3))
x = RNG.normal(size=3)
z = RNG.normal(size=2)
POINT = {"A": A, "B": B, "x": x, "z": z, "a": 0.7}


def test_oracle_reads_precedence_as_the_language_does() -> None:
    """``-a^2`` is ``-(a^2)``; ``^`` is right-associative; ``2.*x`` is ``2 .* x``;
    ``'`` binds tighter than ``^``; ``x'*A*x`` is a scalar."""
    assert float(oracle.value("-a^2", POINT)) == pytest.approx(-0.49)
    assert float(oracle.value("2^a^2", POINT)) == pytest.approx(2 ** 0.49)
    assert np.allclose(oracle.value("2.*x", POINT).numpy(), 2 * x)
    assert np.allclose(oracle.value("2^-a", POINT).numpy(), 2 ** -0.7)
    assert np.allclose(oracle.value("A'^2", POINT).numpy(), A.T @ A.T)
    assert oracle.value("x'*A*x", POINT).dim() == 0
    assert np.allclose(oracle.value("B*x + vector(1)", POINT).numpy(), B @ x + 1)
    assert np.allclose(oracle.value("vector(1)'*B", POINT).numpy(), B.sum(axis=0))
    assert np.allclose(oracle.value("(2*eye - A)*x", POINT).numpy(), 2 * x - A @ x)


def test_oracle_derivatives_match_closed_forms() -> None:
    """Gradients, Jacobians and Hessians in mixed layout, with known closed forms."""
    g = oracle.derivative("x'*A*x", ["x"], POINT)
    assert np.allclose(g, (A + A.T) @ x)
    assert np.allclose(oracle.derivative("x'*A*x", ["x", "x"], POINT), A + A.T)
    jac = oracle.derivative("B*x", ["x"], POINT)
    assert jac.shape == (2, 3) and np.allclose(jac, B)
    t = oracle.derivative("B*A", ["A"], POINT)  # d(BA)_ij/dA_kl = B_ik δ_jl
    assert t.shape == (2, 3, 3, 3)
    assert np.allclose(t, np.einsum("ik,jl->ijkl", B, np.eye(3)))
    mixed = oracle.derivative("z'*B*x*a", ["x", "a"], POINT)
    assert np.allclose(mixed, B.T @ z)
    assert np.allclose(oracle.derivative("logdet(A*A' + eye)", ["A"], POINT),
                       2 * np.linalg.inv(A @ A.T + np.eye(3)) @ A)
    absent = oracle.derivative("sum(x)", ["z"], POINT)
    assert absent.shape == (2,) and not absent.any()


def test_oracle_projects_structured_variables() -> None:
    """A symmetric variable's gradient is ``(G + G')/2``, a diagonal one's
    ``diag(diag(G))`` (the README's conventions)."""
    s = A + A.T
    point = {**POINT, "S": s}
    g = np.outer(x, z @ B)  # d(x'*S*B'*z)/dS, unconstrained
    got = oracle.derivative("x'*S*B'*z", ["S"], point, ["S: symmetric"])
    assert np.allclose(got, (g + g.T) / 2)
    d = np.diag(np.diag(s))
    got = oracle.derivative("x'*S*B'*z", ["S"], {**point, "S": d}, ["S: diagonal"])
    assert np.allclose(got, np.diag(np.diag(g)))


def test_oracle_refuses_what_it_cannot_size() -> None:
    with pytest.raises(oracle.OracleUnsupported):
        oracle.value("sum(vector(1))", POINT)
