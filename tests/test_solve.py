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
    # (a'*w is a scalar since issue 13: a transposed name is a vector)
    assert main(["solve", "c*w", "--for", "w"]) == 2
    assert "scalar function" in capsys.readouterr().err


# --- issue 15: never a wrong equation, vec form or solution -------------------------------

import itertools  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import zlib  # noqa: E402

from matdiff.errors import EvaluationError, UnsupportedError  # noqa: E402
from matdiff.evaluate import evaluate  # noqa: E402
from matdiff.parse import parse  # noqa: E402

DECLARE = ["X: matrix(m,n)", "A: matrix(p,m)", "C: matrix(p,n)", "B: matrix(n,q)",
           "E: matrix(m,q)", "F: matrix(m,m)", "G: matrix(n,n)", "H: matrix(p,q)",
           "D: matrix(m,n)", "T: matrix(n,m)", "W: matrix(m,n)", "lam: scalar"]
SIZES = {"m": 3, "n": 4, "p": 5, "q": 6}
SHAPES = {"X": "mn", "A": "pm", "C": "pn", "B": "nq", "E": "mq", "F": "mm", "G": "nn",
          "H": "pq", "D": "mn", "T": "nm", "W": "mn"}
TERMS = ["norm2(A*X - C)^2", "norm2(X*B - E)^2", "norm2(A*X*B - H)^2",
         "norm2(F*X + X*G - D)^2", "lam*norm2(X)^2", "tr(D'*X)", "norm2(X' - T)^2",
         "sum(W.*W.*X.*X)", "3*norm2(X)^2", "norm2(F*X - D)^2/2"]


def _data(rng: np.random.Generator, names: set[str]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {"lam": np.asarray(0.5 + rng.random())}
    for name, (r, c) in SHAPES.items():
        if name in names and name != "X":
            out[name] = rng.standard_normal((SIZES[r], SIZES[c]))
    return out


def _grad_fd(expr: str, x: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray:
    """The gradient of ``expr`` at ``x`` by central differences (independent of solve)."""
    node = parse(expr, DECLARE).expr
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = 1e-5
        plus = evaluate(node, {**data, "X": x + e})
        minus = evaluate(node, {**data, "X": x - e})
        g[idx] = (plus - minus) / 2e-5
    return g


def _solve_printed(s: matdiff.applications.solve.Solution,
                   data: dict[str, np.ndarray]) -> np.ndarray:
    """The printed stationary condition, read back from its text and solved as the
    linear system of its own left side (basis images), with lstsq."""
    lhs_text, rhs_text = s.equation.split(" = ")
    lhs = parse(lhs_text, DECLARE).expr
    rhs = evaluate(parse(rhs_text, DECLARE).expr, data) if rhs_text != "0" else 0.0
    shape = (SIZES["m"], SIZES["n"])
    base = evaluate(lhs, {**data, "X": np.zeros(shape)}).reshape(-1)
    cols = []
    for idx in np.ndindex(*shape):
        e = np.zeros(shape)
        e[idx] = 1.0
        cols.append(evaluate(lhs, {**data, "X": e}).reshape(-1) - base)
    r = (np.broadcast_to(rhs, shape).reshape(-1) - base)
    return np.linalg.lstsq(np.stack(cols, 1), r, rcond=None)[0].reshape(shape)


def _top_level(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` outside parentheses."""
    parts, depth, start, k = [], 0, 0, 0
    while k < len(text):
        depth += {"(": 1, ")": -1}.get(text[k], 0)
        if depth == 0 and text.startswith(sep, k):
            parts.append(text[start:k])
            start = k = k + len(sep)
            continue
        k += 1
    return [*parts, text[start:]]


def _solve_vec_note(s: matdiff.applications.solve.Solution,
                    data: dict[str, np.ndarray]) -> np.ndarray:
    """The note's vec form ``(c1 B1 ⊗ A1 + ...) vec(X) = vec(R)``, read back and solved."""
    m, n = SIZES["m"], SIZES["n"]
    body = re.search(r"In vec form: \((.*)\) vec\(X\) = vec\((.*)\) \(Cookbook", s.note)
    assert body is not None, s.note
    total = np.zeros((m * n, m * n))
    for term in _top_level(body.group(1), " + "):
        first, left_t = term.split(" ⊗ ")
        coef, _, right_t = first.rpartition(" ")  # "[coefficient ]B' ⊗ A"
        coef = coef.strip("()")
        c = 1.0 if not coef else float(evaluate(parse(coef, DECLARE).expr, data))

        def value(text: str, size: int) -> np.ndarray:
            node = parse(text, DECLARE).expr
            return np.eye(size) if node.op == "eye" else evaluate(node, data)
        total += c * np.kron(value(right_t, n), value(left_t, m))
    r = evaluate(parse(body.group(2), DECLARE).expr, data)
    return np.linalg.solve(total, r.reshape(-1, order="F")).reshape((m, n), order="F")


def _objectives() -> list[str]:
    out = []
    for k in (1, 2, 3):
        out += [" + ".join(c) for c in itertools.combinations(TERMS, k)]
    return out


@pytest.mark.parametrize("expr", _objectives()[::3])
def test_printed_condition_vec_form_and_solution_make_the_gradient_vanish(expr: str) -> None:
    s = matdiff.solve(expr, "X", declare=DECLARE)
    assert s.kind in ("closed form", "sylvester", "linear", "constant gradient"), s.text
    assert "only G = 0 is printed" not in s.note, s.text  # every claim was verified
    if s.kind == "constant gradient":
        assert expr == "tr(D'*X)"
        return
    names = {n for n in SHAPES if re.search(rf"\b{n}\b", expr)}
    rng = np.random.default_rng(zlib.crc32(expr.encode()))
    data = _data(rng, names)
    if not names & {"C", "D", "E", "T", "W", "F", "G"} and not {"A", "B"} <= names:
        with pytest.raises(EvaluationError, match="size of X"):  # nothing fixes m x n
            s.at(data)
        return
    scale = np.abs(_grad_fd(expr, np.zeros((3, 4)), data)).max() + 1.0
    candidates = {"printed equation": _solve_printed(s, data), ".at()": s.at(data)}
    if s.kind == "sylvester":
        candidates["vec form"] = _solve_vec_note(s, data)
    for what, x in candidates.items():
        g = _grad_fd(expr, x, data)
        assert np.abs(g).max() < 1e-5 * scale * (1 + np.abs(x).max()), (what, s.text)


def test_sylvester_vec_form_has_the_equations_coefficients() -> None:
    s = matdiff.solve("norm2(A*X + X*B - C)^2", "X")
    assert s.kind == "sylvester"
    assert "(eye ⊗ A'*A + B' ⊗ A' + B ⊗ A + B*B' ⊗ eye)" in s.note or \
        "2 " not in s.note.split("In vec form:")[1]
    A, B, C = RNG.standard_normal((3, 3)), RNG.standard_normal((4, 4)), \
        RNG.standard_normal((3, 4))
    X = s.at(A=A, B=B, C=C)
    grad = matdiff.derivative("norm2(A*X + X*B - C)^2", "X")
    np.testing.assert_allclose(grad.at(A=A, B=B, C=C, X=X), 0, atol=1e-9)


def test_one_sided_unknown_with_a_scalar_identity_factor() -> None:
    s = matdiff.solve("norm2(X - U*V')^2 + lam*norm2(U)^2", "U")
    assert s.kind == "closed form", s.text
    assert s.solution_text is not None and "inv(" in s.solution_text
    X, V, lam = RNG.standard_normal((6, 5)), RNG.standard_normal((5, 3)), 0.3
    direct = X @ V @ np.linalg.inv(V.T @ V + lam * np.eye(3))
    np.testing.assert_allclose(s.at(X=X, V=V, lam=lam), direct, rtol=1e-10)
    left = matdiff.solve("norm2(X - V*U)^2 + lam*norm2(U)^2", "U")
    assert left.kind == "closed form", left.text
    X, V = RNG.standard_normal((6, 5)), RNG.standard_normal((6, 3))
    np.testing.assert_allclose(left.at(X=X, V=V, lam=lam),
                               np.linalg.solve(V.T @ V + lam * np.eye(3), V.T @ X))
    scalar = matdiff.solve("lam*norm2(X - D)^2", "X")
    assert scalar.solution_text == "X = D", scalar.text


def test_at_solves_two_sided_equations_and_says_when_singular() -> None:
    s = matdiff.solve("norm2(A*X*B - C)^2 + norm2(X - D)^2", "X")
    assert s.kind == "sylvester"
    A, B, C, D = (RNG.standard_normal(sh) for sh in [(4, 3), (2, 5), (4, 5), (3, 2)])
    X = s.at(A=A, B=B, C=C, D=D)
    grad = matdiff.derivative("norm2(A*X*B - C)^2 + norm2(X - D)^2", "X")
    np.testing.assert_allclose(grad.at(A=A, B=B, C=C, D=D, X=X), 0, atol=1e-9)
    syl = matdiff.solve("norm2(A*X + X*B - C)^2", "X")
    with pytest.raises(EvaluationError, match="singular"):
        syl.at(A=np.eye(2), B=-np.eye(3), C=np.ones((2, 3)))  # A*X + X*B = 0 for all X
    with pytest.raises(EvaluationError):
        syl.at(A=np.eye(2))  # B and C missing
    linear = matdiff.solve("norm2(X' - T)^2 + sum(W.*X.*X)", "X", declare=DECLARE)
    assert linear.kind == "linear", linear.text  # X' and .*: no Kronecker product form
    T, W = RNG.standard_normal((4, 3)), RNG.random((3, 4))
    X = linear.at(T=T, W=W)
    np.testing.assert_allclose(X, T.T / (1 + W))  # 2*(X - T') + 2*W.*X = 0


@pytest.mark.parametrize("expr,var", [
    ("abs(a)", "a"), ("sign(a)*a", "a"), ("relu(a)", "a"), ("step(a)*a^2", "a"),
    ("norm1(x)", "x"), ("norm2(X*w - y)^2 + lam*norm1(w)", "w"), ("relu(x)'*relu(x)", "x"),
    ("a*abs(a)", "a"), ("sum(abs(X))", "X")])
def test_piecewise_gradients_are_not_called_affine(expr: str, var: str) -> None:
    s = matdiff.solve(expr, var)
    assert s.kind in ("piecewise", "nonlinear"), s.text
    assert s.solution is None and "affine" not in s.note
    assert "not linear" in s.note
    with pytest.raises(UnsupportedError):
        s.at()


def test_cli_solve_reproducers() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "matdiff", "solve", *args],
                              capture_output=True, text=True, timeout=60)
    r = run("norm2(X - U*V')^2 + lam*norm2(U)^2", "--for", "U")
    assert r.returncode == 0, r.stderr
    assert "solution: U = " in r.stdout and "no inverse formula" not in r.stdout
    r = run("abs(a)", "--for", "a")
    assert r.returncode == 0 and "affine" not in r.stdout and "not linear" in r.stdout
    r = run("norm2(A*X + X*B - C)^2", "--for", "X", "--steps")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


def test_singular_cases_are_said_never_answered_wrongly() -> None:
    s = matdiff.solve("norm2(X*w - y)^2", "w")
    with pytest.raises(EvaluationError, match="X'\\*X invertible"):
        s.at(X=np.ones((2, 5)), y=np.ones(2))  # X'*X is 5 x 5 of rank 1
    nearly = np.ones((3, 2))
    nearly[0, 1] += 1e-13
    with pytest.raises(EvaluationError, match=r"(?i)singular"):
        s.at(X=nearly, y=[1.0, 2.0, 3.0])
    rank_one = matdiff.solve("(b'*w)^2 + sum(w)", "w", declare=["b: vector(n)"])
    assert rank_one.solution is None and "singular" in rank_one.note, rank_one.text
    with pytest.raises(EvaluationError, match="singular"):
        rank_one.at(b=[1.0, 2.0, 3.0])


def test_no_vacuous_conditions_and_a_clear_error_when_nothing_is_finite() -> None:
    for expr, var in [("tr(X'*X)", "X"), ("a^2 + b*a", "a"), ("sum(X.*X) + tr(A'*X)", "X")]:
        s = matdiff.solve(expr, var)
        assert s.kind == "closed form" and s.condition is None, s.text
        assert "only G = 0" not in s.note
    with pytest.raises(EvaluationError, match="not a finite number"):
        matdiff.solve("norm2(x - 1e300*1e300*y)^2", "x")


VEC_DECLARE = ["w: vector(n)", "X: matrix(m,n)", "y: vector(m)", "A: matrix(n,n)",
               "b: vector(n)", "M: matrix(k,n)", "z: vector(k)", "lam: scalar",
               "S: matrix(n,n) symmetric"]
VEC_TERMS = ["norm2(X*w - y)^2", "lam*norm2(w)^2", "w'*A*w", "b'*w", "norm2(M*w - z)^2",
             "w'*S*w", "sum(w)", "3*w'*w", "norm2(w - b)^2/2", "norm2(w.*b)^2", "(b'*w)^2"]


@pytest.mark.parametrize("expr", [" + ".join(c) for k in (1, 2, 3)
                                  for c in itertools.combinations(VEC_TERMS, k)][::7])
def test_vector_solutions_make_the_gradient_vanish(expr: str) -> None:
    s = matdiff.solve(expr, "w", declare=VEC_DECLARE)
    if s.kind != "closed form":
        assert s.solution is None and s.kind in ("linear", "constant gradient"), s.text
        return
    rng = np.random.default_rng(zlib.crc32(expr.encode()))
    sym = rng.standard_normal((4, 4))
    data = {"X": rng.standard_normal((7, 4)), "y": rng.standard_normal(7),
            "A": rng.standard_normal((4, 4)), "b": rng.standard_normal(4),
            "M": rng.standard_normal((5, 4)), "z": rng.standard_normal(5),
            "lam": np.asarray(0.7), "S": sym + sym.T}
    data = {k: v for k, v in data.items() if k in s.derivative.variables}
    try:
        w = s.at(data)
    except EvaluationError:  # singular here (sum(w) + 3*w'*w: nothing fixes n)
        return
    node = parse(expr, VEC_DECLARE).expr
    grad = np.array([(evaluate(node, {**data, "w": w + e}) - evaluate(node, {**data, "w": w - e}))
                     / 2e-6 for e in np.eye(4) * 1e-6])
    scale = np.abs(np.array([(evaluate(node, {**data, "w": e}) - evaluate(node, {**data, "w": -e}))
                             / 2e-6 for e in np.eye(4) * 1e-6])).max() + 1.0
    assert np.abs(grad).max() < 1e-4 * scale * (1 + np.abs(w).max()), s.text
