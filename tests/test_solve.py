"""Solving df = 0 (seed 003): closed forms checked against NumPy on random data."""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.cli import main

RNG = np.random.default_rng(7)


def test_least_squares_normal_equation_and_lstsq() -> None:
    s = matdiff.solve("norm2(X*w - y)^2", "w")
    assert s.kind == "closed form"
    assert s.equation == "X'*X*w = X'*y"
    assert s.solution_text == "w = inv(X'*X)*X'*y"
    assert s.condition == "X'*X invertible"
    X, y = RNG.standard_normal((30, 5)), RNG.standard_normal(30)
    np.testing.assert_allclose(s.at(X=X, y=y), np.linalg.lstsq(X, y, rcond=None)[0])
    assert max(s.checks) < 1e-8


def test_ridge_against_a_direct_solve() -> None:
    s = matdiff.solve("norm2(X*w - y)^2 + lam*norm2(w)^2", "w")
    assert s.solution_text == "w = inv(X'*X + lam*eye)*X'*y"
    X, y, lam = RNG.standard_normal((12, 4)), RNG.standard_normal(12), 0.7
    direct = np.linalg.solve(X.T @ X + lam * np.eye(4), X.T @ y)
    np.testing.assert_allclose(s.at(X=X, y=y, lam=lam), direct)


def test_matrix_least_squares_against_lstsq() -> None:
    s = matdiff.solve("norm2(A*X - B)^2", "X")
    assert s.equation == "A'*A*X = A'*B"
    A, B = RNG.standard_normal((10, 3)), RNG.standard_normal((10, 4))
    np.testing.assert_allclose(s.at(A=A, B=B), np.linalg.lstsq(A, B, rcond=None)[0])


def test_right_and_two_sided_factors() -> None:
    right = matdiff.solve("norm2(X*A - B)^2", "X")
    A, B = RNG.standard_normal((3, 8)), RNG.standard_normal((2, 8))
    np.testing.assert_allclose(right.at(A=A, B=B),
                               np.linalg.lstsq(A.T, B.T, rcond=None)[0].T)
    both = matdiff.solve("norm2(A*X*C - B)^2", "X")
    A, C, B = RNG.standard_normal((6, 3)), RNG.standard_normal((2, 5)), \
        RNG.standard_normal((6, 5))
    X = both.at(A=A, B=B, C=C)
    np.testing.assert_allclose(A.T @ (A @ X @ C - B) @ C.T, 0, atol=1e-9)


def test_sylvester_is_said_and_not_inverted() -> None:
    s = matdiff.solve("norm2(A*X - B)^2 + norm2(X*C - D)^2", "X")
    assert s.kind == "sylvester" and s.solution is None
    assert s.equation == "A'*A*X + X*C*C' = A'*B + D*C'"
    assert "Sylvester" in s.note
    # the printed equation is G = 0: solve its vec form and check the gradient vanishes
    A, B, C, D = (RNG.standard_normal(sh) for sh in [(5, 3), (5, 4), (4, 6), (3, 6)])
    M = np.kron(np.eye(4), A.T @ A) + np.kron(C @ C.T, np.eye(3))
    X = np.linalg.solve(M, (A.T @ B + D @ C.T).reshape(-1, order="F")).reshape(3, 4,
                                                                              order="F")
    grad = matdiff.derivative("norm2(A*X - B)^2 + norm2(X*C - D)^2", "X")
    np.testing.assert_allclose(grad.at(A=A, B=B, C=C, D=D, X=X), 0, atol=1e-9)


def test_nonlinear_is_refused_clearly() -> None:
    s = matdiff.solve("sum(exp(X*w)) - y'*X*w", "w")
    assert s.kind == "nonlinear" and s.solution is None
    assert s.equation == "X'*(exp(X*w) - y) = 0"
    assert "not linear in w" in s.note


def test_steps_follow_seed_003_and_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "norm2(X*w - y)^2", "--for", "w", "--steps"]) == 0
    out = capsys.readouterr().out
    for line in ["stationary condition: X'*X*w = X'*y",
                 "solution: w = inv(X'*X)*X'*y    (if X'*X invertible)",
                 "df/dw = 2*X'*(X*w - y)", "2*X'*X*w = 2*X'*y", "w = inv(X'*X)*X'*y"]:
        assert line in out
    assert main(["solve", "a'*w", "--for", "w"]) == 2
    assert "scalar function" in capsys.readouterr().err
