"""Index-form tensors: the reference value (``evaluate_tensor``) against explicit NumPy
loops and broadcasting, the generated ``einsum`` code against the reference, and
snapshots of the printed index and Kronecker forms (text and LaTeX)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from ir_fixtures import A, M, N, S, a, c, x, y, z

from matdiff.codegen import Backend, to_einsum_code
from matdiff.codegen.backends import NUMPY
from matdiff.errors import EvaluationError, UnsupportedError
from matdiff.evaluate import evaluate, evaluate_tensor
from matdiff.ir import Node
from matdiff.ir import build as b
from matdiff.ir.tensor import (
    Factor,
    Index,
    KroneckerForm,
    KroneckerTerm,
    Tensor,
    delta,
    fresh,
    ones,
    term,
)
from matdiff.printing import (
    IndexHeader,
    index_latex,
    index_names,
    index_text,
    kronecker_latex,
    kronecker_text,
)
from matdiff.shapes import Dim, matrix, row

R, Q = 5, 2  # with M = 3, N = 4 from ir_fixtures: four distinct sizes
Y = b.var("Y", matrix("n", "r"))
B = b.var("B", matrix("r", "q"))
T = b.transpose

RNG = np.random.default_rng(7)
ENV: dict[str, np.ndarray] = {
    "a": np.array(0.7), "c": np.array(-1.3),
    "x": RNG.standard_normal(N), "y": RNG.standard_normal(N), "z": RNG.standard_normal(M),
    "A": RNG.standard_normal((M, N)), "S": RNG.standard_normal((N, N)),
    "Y": RNG.standard_normal((N, R)), "B": RNG.standard_normal((R, Q)),
}
E = ENV
# Python size expressions for the generated code (its eval namespace holds ENV).
SIZES: dict[Dim, str] = {"m": "A.shape[0]", "n": "A.shape[1]", "r": "B.shape[0]",
                         "q": "B.shape[1]"}
# The evaluator's sizes, for tensors whose factors fix no dimension (δ_ik δ_jl, 1_kl).
SIZE_VALUES: dict[Dim, int] = {"m": M, "n": N, "r": R, "q": Q}


def idx(*dims: Dim) -> tuple[Index, ...]:
    return tuple(fresh(d) for d in dims)


def F(node: Node, *indices: Index) -> Factor:
    return Factor(node, indices)


def loops(shape: tuple[int, ...], entry: Callable[..., float]) -> np.ndarray:
    """A tensor filled entry by entry: the independent reference."""
    out = np.zeros(shape)
    for pos in itertools.product(*(range(s) for s in shape)):
        out[pos] = entry(*pos)
    return out


# --- the cases: (name, tensor, expected value by loops / broadcasting) -------------------

Case = tuple[str, Tensor, Callable[[], Any]]
CASES: list[Case] = []


def case(name: str, t: Tensor, expected: Callable[[], Any]) -> None:
    CASES.append((name, t, expected))


# d(A*Y*B)_ij / dY_kl = A_ik B_lj
i, j, k, l = idx("m", "q", "n", "r")
AYB = Tensor((i, j, k, l), (term(F(A, i, k), F(B, l, j)),))
case("A_ik B_lj", AYB, lambda: E["A"][:, None, :, None] * E["B"].T[None, :, None, :])

# dY/dY = δ_ik δ_jl
i, j, k, l = idx("n", "r", "n", "r")
DYDY = Tensor((i, j, k, l), (term(delta(i, k), delta(j, l)),))
case("δ_ik δ_jl", DYDY, lambda: np.eye(N * R).reshape(N, R, N, R))

# d(Y')/dY = δ_il δ_jk  (Y' is r x n)
i, j, k, l = idx("r", "n", "n", "r")
DYT = Tensor((i, j, k, l), (term(delta(i, l), delta(j, k)),))
case("δ_il δ_jk", DYT, lambda: loops((R, N, N, R), lambda i, j, k, l: (i == l) * (j == k)))

# d(S.*X)/dX = S_ij δ_ik δ_jl
i, j, k, l = idx("n", "n", "n", "n")
HAD = Tensor((i, j, k, l), (term(F(S, i, j), delta(i, k), delta(j, l)),))
case("S_ij δ_ik δ_jl", HAD, lambda: loops(
    (N,) * 4, lambda i, j, k, l: E["S"][i, j] * (i == k) * (j == l)))

# d sum(Y)/dY = 1_kl
k, l = idx("n", "r")
SUMY = Tensor((k, l), (term(ones((k, l))),))
case("1_kl", SUMY, lambda: np.ones((N, R)))

# an output index that no factor carries: T_ij = 2 x_i
i, j = idx("n", "r")
case("uncarried output", Tensor((i, j), (term(F(x, i), coefficient=2),)),
     lambda: 2 * E["x"][:, None] * np.ones((1, R)))

# scalars: 2 tr(S) A_ik - (a + c) A_ik, and a term with no indexed factor at all
i, k = idx("m", "n")
case("scalar factors", Tensor((i, k), (
    term(F(b.apply("tr", S)), F(A, i, k), coefficient=2),
    term(F(b.add(a, c)), F(A, i, k), coefficient=-1),
    term(F(a), coefficient=Fraction(1, 3)))),
    lambda: 2 * np.trace(E["S"]) * E["A"] - (E["a"] + E["c"]) * E["A"]
    + E["a"] / 3 * np.ones((M, N)))

# repeated index within a factor: T_i = S_ii, T_ij = S_ii y_j
i, j = idx("n", "n")
case("S_ii", Tensor((i,), (term(F(S, i, i)),)), lambda: np.diag(E["S"]))
case("S_ii y_j", Tensor((i, j), (term(F(S, i, i), F(y, j)),)),
     lambda: np.diag(E["S"])[:, None] * E["y"][None, :])

# a summed index carried three times: T_i = A_ip x_p y_p
i, p = idx("m", "n")
case("A_ip x_p y_p", Tensor((i,), (term(F(A, i, p), F(x, p), F(y, p)),)),
     lambda: loops((M,), lambda i: sum(E["A"][i, p] * E["x"][p] * E["y"][p]
                                       for p in range(N))))

# transposed factors: A'[k,i] is A_ik; (A*S)'[j,i]; a row vector x'[p]
i, k = idx("m", "n")
case("A'_ki", Tensor((i, k), (term(F(T(A), k, i)),)), lambda: E["A"])
i, j, p = idx("m", "n", "n")
case("(A*S)' and a row vector", Tensor((j, i), (
    term(F(T(b.mul(A, S)), j, i)),
    term(F(T(x), p), F(T(S), p, j), F(z, i), coefficient=-3))),
    lambda: (E["A"] @ E["S"]).T - 3 * np.outer(E["S"] @ E["x"], E["z"]))
i, = idx("n")
case("row vector factor", Tensor((i,), (term(F(T(y), i)),)), lambda: E["y"])

# scalar outputs: a full contraction, δ_pp (the dimension), a constant, zero
p, s = idx("n", "n")
case("x_p S_ps y_s", Tensor((), (term(F(x, p), F(S, p, s), F(y, s)),)),
     lambda: E["x"] @ E["S"] @ E["y"])
case("δ_pp", Tensor((), (term(delta(p, p)),)), lambda: float(N))
case("constant", Tensor((), (term(coefficient=Fraction(-5, 2)),)), lambda: -2.5)
i, j = idx("m", "n")
case("zero", Tensor((i, j), ()), lambda: np.zeros((M, N)))

# fills, broadcasts and a scaled product as factors
i, j = idx("m", "n")
case("fill and broadcast", Tensor((i, j), (
    term(F(b.fill(3, row("n")), j), F(z, i)),
    term(F(b.broadcast(b.mul(a, c), matrix("m", "n")), i, j)),
    term(F(b.mul(b.const(-2), A), i, j)))),
    lambda: 3 * np.outer(E["z"], np.ones(N)) + E["a"] * E["c"] - 2 * E["A"])

# Hessian of x'*S*x: S_ij + S_ji
i, j = idx("n", "n")
HESS = Tensor((i, j), (term(F(S, i, j)), term(F(T(S), i, j))))
case("S_ij + S_ji", HESS, lambda: E["S"] + E["S"].T)


@pytest.mark.parametrize("name, t, expected", CASES, ids=[cs[0] for cs in CASES])
def test_evaluate_tensor_against_loops(name: str, t: Tensor, expected: Callable[[], Any]
                                       ) -> None:
    got = evaluate_tensor(t, ENV, SIZE_VALUES)
    want = np.asarray(expected(), dtype=float)
    assert got.dtype == np.float64
    assert got.shape == want.shape == tuple(SIZE_VALUES[i.dim] for i in t.indices)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, t, expected", CASES, ids=[cs[0] for cs in CASES])
def test_einsum_code_matches_the_evaluator(name: str, t: Tensor, expected: Callable[[], Any]
                                           ) -> None:
    code = to_einsum_code(t, SIZES)
    got = np.asarray(eval(code, {"np": np, **ENV}))
    want = evaluate_tensor(t, ENV, SIZE_VALUES)
    assert got.shape == want.shape, code
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=code)


def test_the_forms_are_the_derivatives() -> None:
    """The hand-built tensors are the derivatives they claim to be (the maps are linear,
    so one basis perturbation per entry of Y is exact)."""
    f = b.mul(A, Y, B)
    got = evaluate_tensor(AYB, ENV)
    for kk, ll in itertools.product(range(N), range(R)):
        e = np.zeros((N, R))
        e[kk, ll] = 1.0
        column = evaluate(f, {**ENV, "Y": e})
        np.testing.assert_allclose(got[:, :, kk, ll], column, atol=1e-12)
    # d(x'*S*x)/dx_i dx_j: the quadratic form of the Hessian is twice x'*S*x
    h = evaluate_tensor(HESS, ENV)
    v = E["x"]
    assert v @ h @ v == pytest.approx(2 * float(evaluate(b.mul(T(x), S, x), ENV)))


def kron_value(k: KroneckerForm, env: dict[str, np.ndarray]) -> np.ndarray:
    """``sum c (L ⊗ R)`` with NumPy (vectors as columns)."""
    def as_matrix(n: Node) -> np.ndarray:
        v = evaluate(n, env)
        return v.reshape(-1, 1) if n.shape.kind == "vector" else np.atleast_2d(v)
    return sum((float(t.coefficient) * np.kron(as_matrix(t.left), as_matrix(t.right))
                for t in k.terms), start=np.zeros((1, 1)))


def test_kronecker_form_is_the_vec_layout_of_the_tensor() -> None:
    """d vec(A*Y*B) / d vec(Y)' = B' ⊗ A (Cookbook eq. 520): the tensor A_ik B_lj with
    both index pairs stacked column-major."""
    k = KroneckerForm((KroneckerTerm(Fraction(1), T(B), A),))
    t = evaluate_tensor(AYB, ENV)
    np.testing.assert_allclose(kron_value(k, ENV), t.reshape(M * Q, N * R, order="F"),
                               atol=1e-12)


# --- printing snapshots --------------------------------------------------------------

def test_index_text_and_latex_snapshots() -> None:
    h = IndexHeader(b.mul(A, Y, B), (Y,))
    assert index_text(AYB, h) == "d(A*Y*B)_ij / dY_kl = A_ik B_lj"
    assert index_latex(AYB, h) == (
        r"\frac{\partial (A Y B)_{ij}}{\partial Y_{kl}} = A_{ik} B_{lj}")
    assert index_text(AYB) == "A_ik B_lj"
    assert index_text(DYDY, IndexHeader(Y, (Y,))) == "dY_ij / dY_kl = δ_ik δ_jl"
    assert index_latex(DYDY) == r"\delta_{ik} \delta_{jl}"
    assert index_text(DYT, IndexHeader(T(Y), (Y,))) == "d(Y')_ij / dY_kl = δ_il δ_jk"
    assert index_text(HAD) == "S_ij δ_ik δ_jl"
    assert index_latex(SUMY, IndexHeader(b.apply("sum", Y), (Y,))) == (
        r"\frac{\partial (\operatorname{sum}\left(Y\right))}{\partial Y_{ij}}"
        r" = \mathbf{1}_{ij}")


def test_second_order_header() -> None:
    f = b.mul(T(x), S, x)
    assert index_text(HESS, IndexHeader(f, (x, x))) == (
        "d^2(x'*S*x) / dx_i dx_j = S_ij + S_ji")
    assert index_latex(HESS, IndexHeader(f, (x, x))) == (
        r"\frac{\partial^2 (x^{\top} S x)}{\partial x_{i} \partial x_{j}} = S_{ij} + S_{ji}")
    assert index_text(HESS, IndexHeader(a, (x, x))) == "d^2 a / dx_i dx_j = S_ij + S_ji"
    assert index_latex(HESS, IndexHeader(a, (x, x))) == (
        r"\frac{\partial^2 a}{\partial x_{i} \partial x_{j}} = S_{ij} + S_{ji}")
    with pytest.raises(ValueError, match="3 axes"):
        index_text(HESS, IndexHeader(f, (x, x, x)))


def test_factor_and_coefficient_printing() -> None:
    i, k, p = idx("m", "n", "n")
    t = Tensor((i, k), (
        term(F(A, i, k), coefficient=2),
        term(F(b.mul(A, S), i, k), coefficient=-1),
        term(F(T(b.mul(S, T(A))), i, k), coefficient=Fraction(1, 2)),
        term(F(b.apply("tr", S)), F(b.add(a, c)), F(A, i, p), F(S, p, k)),
        term(F(b.apply("inv", S), k, p), F(T(A), p, i), coefficient=Fraction(-1, 3)),
        term(F(b.mul(b.const(-2), A), i, k)),
    ))
    assert index_text(t) == (
        "2 A_ij - (A*S)_ij + 1/2 (S*A')_ji + tr(S) (a + c) A_ip S_pj"
        " - 1/3 inv(S)_jp A_ip - 2 A_ij")
    assert index_latex(t) == (
        r"2 A_{ij} - \left(A S\right)_{ij} + \frac{1}{2} \left(S A^{\top}\right)_{ji}"
        r" + \operatorname{tr}\left(S\right) \left(a + c\right) A_{ip} S_{pj}"
        r" - \frac{1}{3} \left(S^{-1}\right)_{jp} A_{ip} - 2 A_{ij}")
    neg = Tensor((i,), (term(F(z, i), coefficient=-1),))
    assert index_text(neg) == "-z_i"
    assert index_text(Tensor((i, k), ())) == "0"
    assert index_latex(Tensor((), ())) == "0"
    assert index_text(Tensor((), (term(coefficient=3),))) == "3"


def test_ones_print_last_and_uncarried_outputs_get_ones() -> None:
    """``1_j`` says the value is constant along j; without it ``2 x_i`` would hide an
    axis of T_ij."""
    named = {name: t for name, t, _ in CASES}
    assert index_text(named["1_kl"]) == "1_ij"
    assert index_text(named["uncarried output"]) == "2 x_i 1_j"
    assert index_text(named["fill and broadcast"]) == "3 z_i 1_j + a*c 1_ij - 2 A_ij"
    assert index_latex(named["fill and broadcast"]) == (
        r"3 z_{i} \mathbf{1}_{j} + a c \mathbf{1}_{ij} - 2 A_{ij}")
    assert index_text(named["δ_pp"]) == "δ_pp"
    assert index_text(named["x_p S_ps y_s"]) == "x_p S_pq y_q"


def test_index_names_skip_output_names_and_never_repeat() -> None:
    outs = idx(*["n"] * 20)
    p1, p2 = idx("n", "n")
    t = Tensor(outs, (term(*(delta(outs[2 * m], outs[2 * m + 1]) for m in range(10)),
                           F(x, p1), F(y, p1)),
                      term(F(x, p2), F(y, p2))))
    names = index_names(t)
    assert [names[o] for o in outs] == [*"ijklmnopqrstuvwxyz", "i1", "i2"]
    assert (names[p1], names[p2]) == ("a", "b")  # p..w and, here, outputs already
    assert len(set(names.values())) == len(names)
    assert "x_a y_a + x_b y_b 1_i,j,k,l," in index_text(t)
    assert r"\delta_{i_{1} i_{2}}" in index_latex(t)
    assert "δ_i1,i2" in index_text(t)


def test_latex_subscripted_names_are_braced() -> None:
    W1 = b.var("W1", matrix("m", "n"))
    i, k = idx("m", "n")
    t = Tensor((i, k), (term(F(W1, i, k)),))
    assert index_latex(t) == r"{W_{1}}_{ij}"
    assert index_text(t) == "W1_ij"


def test_kronecker_snapshots() -> None:
    f = b.mul(A, Y, B)
    k = KroneckerForm((KroneckerTerm(Fraction(1), T(B), A),))
    assert kronecker_text(k, f, Y) == "d vec(A*Y*B) / d vec(Y)' = B' ⊗ A"
    assert kronecker_latex(k, f, Y) == (
        r"\frac{\partial \operatorname{vec}(A Y B)}{\partial \operatorname{vec}(Y)^{\top}}"
        r" = B^{\top} \otimes A")
    two = KroneckerForm((
        KroneckerTerm(Fraction(1), b.eye("n"), b.add(S, T(S))),
        KroneckerTerm(Fraction(-1, 2), b.mul(b.const(2), S), b.mul(S, S)),
    ))
    g = b.mul(S, Y)
    assert kronecker_text(two, g, Y) == (
        "d vec(S*Y) / d vec(Y)' = eye(n) ⊗ (S + S') - S ⊗ (S*S)")
    assert kronecker_latex(two, g, Y).endswith(
        r"= I_{n} \otimes \left(S + S^{\top}\right) - S \otimes \left(S S\right)")
    assert kronecker_text(KroneckerForm(()), g, Y).endswith("= 0")


# --- generated code snapshots and edge cases -----------------------------------------

def test_einsum_code_snapshots() -> None:
    assert to_einsum_code(AYB, SIZES) == "np.einsum('ik,lj->ijkl', A, B)"
    assert to_einsum_code(DYDY, SIZES) == (
        "np.einsum('ik,jl->ijkl', np.eye(A.shape[1]), np.eye(B.shape[0]))")
    assert to_einsum_code(HESS, SIZES) == "S + np.einsum('ji->ij', S)"
    assert to_einsum_code(SUMY, SIZES) == "np.ones((A.shape[1], B.shape[0]))"
    i, j, p = idx("m", "n", "n")
    t = Tensor((i, j), (
        term(F(b.apply("tr", S)), F(A, i, p), F(S, p, j), coefficient=2),
        term(F(A, i, p), F(x, p), F(y, j), F(z, i), coefficient=-1),
        term(F(b.add(a, c)), F(b.fill(1, matrix("m", "n")), i, j))))
    assert to_einsum_code(t, SIZES) == (
        "2 * np.trace(S) * np.einsum('ip,pj->ij', A, S)"
        " - np.einsum('ip,p,j,i->ij', A, x, y, z, optimize=True)"
        " + (a + c) * np.ones((A.shape[0], A.shape[1]))")
    i, j = idx("n", "r")
    assert to_einsum_code(Tensor((i, j), (term(F(x, i)),)), SIZES) == (
        "np.einsum('i,j->ij', x, np.ones((B.shape[0],)))")
    assert to_einsum_code(Tensor((i, j), ()), SIZES) == "np.zeros((A.shape[1], B.shape[0]))"
    assert to_einsum_code(Tensor((), ()), SIZES) == "0.0"
    assert to_einsum_code(Tensor((), (term(coefficient=Fraction(1, 3)),)), SIZES) == "(1/3)"
    assert to_einsum_code(Tensor((i,), (term(F(x, i), coefficient=-1),)), SIZES) == "-x"


def test_einsum_code_uses_the_backend_table() -> None:
    xp = Backend("xp", "xp", NUMPY.names)
    code = to_einsum_code(DYDY, SIZES, backend=xp)
    assert "np." not in code
    np.testing.assert_allclose(eval(code, {"xp": np, **ENV}),
                               evaluate_tensor(DYDY, ENV, SIZE_VALUES))


def test_missing_sizes_are_reported() -> None:
    k, l = idx("k", "k")
    t = Tensor((k, l), (term(delta(k, l)),))
    with pytest.raises(UnsupportedError, match="dimension k"):
        to_einsum_code(t, SIZES)
    with pytest.raises(EvaluationError, match="dimension k"):
        evaluate_tensor(t, ENV, SIZE_VALUES)
    np.testing.assert_array_equal(evaluate_tensor(t, ENV, {"k": 3}), np.eye(3))
    with pytest.raises(EvaluationError, match="no value given for the variable B"):
        evaluate_tensor(AYB, {"A": E["A"]})
    with pytest.raises(EvaluationError, match="B is a matrix"):
        evaluate_tensor(AYB, {**ENV, "B": np.ones((R + 1, Q))}, SIZE_VALUES)
    i, = idx("n")
    with pytest.raises(UnsupportedError, match="repeat"):
        to_einsum_code(Tensor((i, i), ()), SIZES)
    with pytest.raises(EvaluationError, match="distinct"):
        evaluate_tensor(Tensor((i, i), ()), ENV)


def test_vector_dims_shape() -> None:
    """Vector factors are 1-D; a vector-valued tensor has one axis."""
    i, = idx("m")
    t = Tensor((i,), (term(F(b.mul(A, x), i)),))
    assert evaluate_tensor(t, ENV).shape == (M,)
    assert to_einsum_code(t, SIZES) == "A @ x"
    neg = Tensor((i,), (term(F(b.mul(A, x), i), coefficient=-1), term(F(z, i))))
    assert to_einsum_code(neg, SIZES) == "-(A @ x) + z"
