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
import oracle_points
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


# --- issue 13's language in the oracle, against NumPy -----------------------------------

M = RNG.normal(size=(4, 3))   # a rectangular matrix: rows and columns differ
N = RNG.normal(size=(2, 5))
r = RNG.normal(size=4)        # a column as long as M's rows
q = RNG.normal(size=3)        # ... and one as long as M's columns
P13 = {"M": M, "N": N, "r": r, "q": q, "A": A, "x": x, "a": 0.7}


def _np_sigmoid(u: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-u))


def _np_softmax(u: np.ndarray, axis: int | None = None) -> np.ndarray:
    e = np.exp(u - np.max(u, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _val(text: str) -> np.ndarray:
    return oracle.value(text, P13).numpy()


@pytest.mark.parametrize(("text", "want"), [
    ("sigmoid(M)", _np_sigmoid(M)),
    ("softplus(M)", np.log1p(np.exp(M))),
    ("sigmoid(-a)", _np_sigmoid(-0.7)),
    ("logsumexp(M)", np.log(np.exp(M).sum())),
    ("logsumexp(M, 1)", np.log(np.exp(M).sum(axis=0))),      # a 1 x n row, 1-D outside
    ("logsumexp(M, 2)", np.log(np.exp(M).sum(axis=1))),      # an m x 1 column
    ("softmax(x)", _np_softmax(x)),
    ("softmax(x')", _np_softmax(x)),                         # a row stays a row (1-D)
    ("softmax(M, 1)", _np_softmax(M, 0)),                    # each column sums to 1
    ("softmax(M, 2)", _np_softmax(M, 1)),                    # each row sums to 1
    ("sum(M, 1)", M.sum(axis=0)),
    ("sum(M, 2)", M.sum(axis=1)),
    ("sum(x, 1)", x.sum()),                                  # MATLAB: a column's sum
    ("sum(x, 2)", x),                                        # ... and its rows unchanged
    ("mean(M)", M.mean()),
    ("mean(M, 1)", M.mean(axis=0)),
    ("mean(M, 2)", M.mean(axis=1)),
    ("kron(M, N)", np.kron(M, N)),
    ("kron(a, M)", 0.7 * M),
    ("kron(r, q')", np.outer(r, q)),
    ("vec(M)", M.T.reshape(-1)),                             # column-stacking
    ("vec(M)'*vec(M)", (M * M).sum()),
    ("pinv(M)", np.linalg.pinv(M)),
    ("pinv(M')", np.linalg.pinv(M.T)),
    ("adj(A)", np.linalg.det(A) * np.linalg.inv(A)),
    ("trace(A)", np.trace(A)),
    ("M.'", M.T),
    ("x.'*A", x @ A),
    ("M.'*r", M.T @ r),
    ("2.'*a", 1.4),
])
def test_oracle_evaluates_issue_13_functions(text: str, want: np.ndarray) -> None:
    got = _val(text)
    assert got.shape == np.shape(want), text
    assert np.allclose(got, want), text


@pytest.mark.parametrize(("text", "want"), [
    ("M + r", M + r[:, None]),                  # a column repeated across the columns
    ("r + M", M + r[:, None]),
    ("M - q'", M - q[None, :]),                 # a row repeated down the rows
    ("q' .* M", M * q[None, :]),
    ("M ./ (1 + r.^2)", M / (1 + r[:, None] ** 2)),
    ("(2 + r.^2) ./ (M.^2 + 1)", (2 + r[:, None] ** 2) / (M ** 2 + 1)),
    ("M + vector(1)", M + 1),                   # vector(1) sized by the rows, expanded
    ("M + vector(2)'", M + 2),
    ("A*A + x", A @ A + x[:, None]),            # square: a column is still a column
    ("A + x'", A + x[None, :]),
])
def test_oracle_expands_as_matlab(text: str, want: np.ndarray) -> None:
    assert np.allclose(_val(text), want), text


@pytest.mark.parametrize("text", [
    "r + q'",            # a column with a row stays an error
    "M + q",             # a column of the wrong length
    "M .^ r",            # .^ does not expand
    "softmax(M)",        # a matrix needs a dimension
    "sum(M, 3)",
    "sum(M, a)",
    "adj(M)",
])
def test_oracle_refuses_what_issue_13_leaves_an_error(text: str) -> None:
    with pytest.raises(oracle.OracleUnsupported):
        oracle.value(text, P13)


def test_oracle_reads_where_lists() -> None:
    """``where`` definitions are substituted, later ones may use earlier ones."""
    got = _val("diag(p) - p*p'  where p = softmax(x)")
    p = _np_softmax(x)
    assert np.allclose(got, np.diag(p) - np.outer(p, p))
    assert np.allclose(_val("u + v  where u = 2*x; v = u .* x"), 2 * x + 2 * x * x)
    assert np.allclose(_val("s'  where s = sigmoid(M*q), t = s"), _np_sigmoid(M @ q))


def test_oracle_differentiates_issue_13_functions() -> None:
    """Closed forms: the softmax Jacobian, the BCE gradient and Hessian, the bias
    gradient of an expanded sum (a sum over the expanded axis), d vec(AXB) = kron."""
    p = _np_softmax(x)
    jac = oracle.derivative("softmax(x)", ["x"], P13)
    assert np.allclose(jac, np.diag(p) - np.outer(p, p))
    t = (RNG.random(4) > 0.5).astype(float)
    bce = ("-sum(t .* log(sigmoid(M*q)) + (1 - t) .* log(1 - sigmoid(M*q)))")
    point = {**P13, "t": t}
    s = _np_sigmoid(M @ q)
    assert np.allclose(oracle.derivative(bce, ["q"], point), M.T @ (s - t))
    assert np.allclose(oracle.derivative(bce, ["q", "q"], point),
                       M.T @ np.diag(s * (1 - s)) @ M)
    Y = RNG.normal(size=(2, 3))
    W = RNG.normal(size=(2, 4))
    b = RNG.normal(size=2)
    point = {"W": W, "M": M, "b": b, "Y": Y}
    g = oracle.derivative("norm2(W*M + b - Y)^2", ["b"], point)
    assert np.allclose(g, 2 * (W @ M + b[:, None] - Y).sum(axis=1))
    g = oracle.derivative("sum(softplus(M' + b))", ["b"], {"M": M, "b": RNG.normal(size=3)})
    assert g.shape == (3,)
    B = RNG.normal(size=(3, 2))
    X = RNG.normal(size=(3, 3))
    j = oracle.derivative("vec(A*X*B)", ["X"], {"A": A, "X": X, "B": B})
    assert np.allclose(j.reshape(6, 9, order="F"), np.kron(B.T, A))
    lse = oracle.derivative("logsumexp(M, 2)", ["M"], P13)  # 4 x (4 x 3)
    assert np.allclose(np.einsum("iij->ij", lse), _np_softmax(M, 1))
    assert np.allclose(oracle.derivative("mean(M, 1)", ["M"], P13).sum(axis=(1, 2)),
                       np.ones(3))


def test_oracle_reads_sizes_of_variables() -> None:
    assert float(oracle.value("rows(M) + 10*cols(M) + 100*len(x)", P13)) == 4 + 30 + 300
    g = oracle.derivative("mean(M*q)", ["q"], P13)
    assert np.allclose(g, M.mean(axis=0))
    with pytest.raises(oracle.OracleUnsupported):
        oracle.value("len(M)", P13)


def test_oracle_differentiates_kron_of_a_transpose() -> None:
    """torch.kron views its operands; a transposed one failed under jacrev."""
    g = oracle.derivative("tr(kron(A', A))", ["A"], P13)  # = tr(A)^2
    assert np.allclose(g, 2 * np.trace(A) * np.eye(3))


def test_oracle_points_follow_declarations_and_defaults() -> None:
    """Kinds from declarations, else by name (a transposed a..g name is a vector);
    sizes unified across the texts; properties respected."""
    rng = np.random.default_rng(4)
    p = oracle_points.point(["a'*x + c*sum(W*X + b)", "lam*norm2(u)"],
                            ["b: vector", "W: matrix(3, n)", "S: symmetric"], rng)
    assert np.ndim(p["c"]) == 0 and np.ndim(p["lam"]) == 0
    assert p["a"].shape == p["x"].shape and p["b"].shape == (3,)
    assert p["W"].shape[0] == 3 and p["X"].shape[0] == p["W"].shape[1]
    p = oracle_points.point(["x'*S*x + logdet(A) + tr(kron(B, C))"],
                            ["S: matrix(n, n) spd", "B: matrix(2, 2)"], rng)
    assert np.allclose(p["S"], p["S"].T) and np.all(np.linalg.eigvalsh(p["S"]) > 0)
    assert np.linalg.det(p["A"]) > 0 and p["B"].shape == (2, 2)
    with pytest.raises(oracle.OracleUnsupported):
        oracle_points.point(["A*x + y"], ["A: matrix(2, 3)", "y: vector(3)"], rng)
