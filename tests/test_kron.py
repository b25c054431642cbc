"""kron, vec, reshape, pinv and adj (issue 13): derivatives against finite differences at
orders 1 and 2 through every numeric surface, the dimension products of the shape system,
the ⊗ operator, the notes on where pinv's and adj's derivatives hold, the refusals, and
the matrix functions the language does not have.

Sources: The Matrix Cookbook (Petersen & Pedersen, 2012) sec. 10.2.1 (kron), 10.2.2 (vec),
eq. 520 (vec(AXB) = (B' (x) A) vec(X)), sec. 1.1 (the adjugate); Golub & Pereyra (1973),
eq. 4.12 (the differential of the pseudo-inverse where the rank is constant).
"""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.errors import ParseError, ShapeError, UnsupportedError
from matdiff.evaluate import evaluate
from matdiff.parse import parse
from matdiff.testing import choose_sizes, sample_point

# (expression, variables, declarations): first derivatives, every surface
FIRST: list[tuple[str, str, dict[str, str]]] = [
    ("vec(X)'*A*vec(X)", "X", {}),
    ("tr(kron(A, X))", "X", {}),
    ("norm2(kron(A, B)*vec(X) - y)^2", "X", {}),
    ("kron(a, x)", "x", {}),
    ("kron(a, x)", "x", {"a": "vector"}),  # Jacobian kron(a, I) (mixed-product rule)
    ("kron(x, a)", "x", {"a": "vector"}),
    ("kron(a', x')", "x", {"a": "vector"}),
    ("sum(kron(X, A).*C)", "X", {}),
    ("sum(kron(A, X).*C)", "X", {}),
    ("norm2(kron(A, X))^2", "X", {}),
    ("tr(kron(A, X)*kron(B, C))", "X", {}),
    ("x'*kron(A, B)*x", "x", {}),
    ("tr(C'*kron(x, y'))", "x", {}),
    ("norm2(kron(x, y))^2", "y", {}),
    ("sum(reshape(x, rows(A), cols(A)).*A)", "x", {}),
    ("y'*vec(A*X*B)", "X", {}),
    ("kron(A + c*B, C + c*D)", "c", {"c": "scalar"}),
    ("vec(A + c*B)", "c", {"c": "scalar"}),
    ("u'*pinv(X)*y", "X", {"X": "matrix(5,3)"}),  # tall
    ("u'*pinv(X)*y", "X", {"X": "matrix(3,5)"}),  # wide
    ("u'*pinv(X)*y", "X", {"X": "matrix(n,n)"}),  # square
    ("tr(adj(X)*A)", "X", {}),
    ("logdet(adj(X)'*adj(X))", "X", {}),
]

SECOND: list[tuple[str, list[str], dict[str, str]]] = [
    ("x'*kron(A, B)*x", ["x", "x"], {}),
    ("norm2(kron(A, B)*x - y)^2", ["x", "x"], {}),
    ("norm2(kron(x, y))^2", ["y", "y"], {}),
    ("norm2(kron(a, x) - y)^2", ["x", "x"], {"a": "vector"}),
    ("x'*kron(A + c*B, C)*x", ["c", "c"], {"c": "scalar"}),
    ("u'*pinv(X)*y", ["X", "X"], {"X": "matrix(4,2)"}),
    ("u'*pinv(X)*y", ["X", "X"], {"X": "matrix(2,4)"}),
    ("tr(adj(X)*A)", ["X", "X"], {}),
]


def _point(d: matdiff.Derivative, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = choose_sizes([d.function, *d.variables.values()], rng)
    return sample_point(d.function, d.variables, sizes, rng)


@pytest.mark.parametrize(("expr", "wrt", "declare"), FIRST,
                         ids=[f"{e} by {w}" for e, w, _ in FIRST])
def test_first_derivatives_on_every_surface(expr: str, wrt: str, declare: dict[str, str]) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare)
    for seed in (0, 1):
        assert d.check(seed=seed).ok, d.text
    env = _point(d, 3)
    want = np.asarray(d.evaluate(env), dtype=float)  # checked against differences above
    names = {matdiff.codegen.python_name(k): v for k, v in env.items()}
    np.testing.assert_allclose(eval(d.numpy, {"np": np}, names), want,  # our generated code
                               rtol=1e-8, atol=1e-10)
    for backend in ("numpy", "jax", "torch"):
        got = np.asarray(d.compile(backend)(**env), dtype=float)
        tol = 1e-4 if backend == "jax" else 1e-7  # jax computes in float32 by default
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 1e-2, err_msg=backend)
    assert d.steps.steps  # every equation shown is checked numerically as it is made


@pytest.mark.parametrize(("expr", "wrt", "declare"), SECOND,
                         ids=[f"{e} by {w}" for e, w, _ in SECOND])
def test_second_derivatives(expr: str, wrt: list[str], declare: dict[str, str]) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare)
    assert d.check(points=2, tolerance=1e-5).ok, d.text
    env = _point(d, 4)
    want = np.asarray(d.evaluate(env), dtype=float)
    for backend in ("numpy", "jax", "torch"):
        got = np.asarray(d.compile(backend)(**env), dtype=float)
        tol = 1e-4 if backend == "jax" else 1e-7  # jax computes in float32 by default
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 1e-2, err_msg=backend)
    if d.result is not None:
        assert d.steps.steps


# --- textbook forms (written by hand from the sources) --------------------------------

@pytest.mark.parametrize(("expr", "wrt", "declare", "text"), [
    ("tr(kron(A, X))", "X", {}, "tr(A)*eye(rows(X))"),  # Cookbook eq. 105
    ("sum(kron(A, X))", "X", {}, "sum(A)*ones(rows(X), cols(X))"),
    ("kron(a, x)", "x", {}, "a*eye(len(x))"),
    ("kron(a, x)", "x", {"a": "vector"}, "kron(a, eye(len(x)))"),
    ("tr(C'*kron(x, y'))", "x", {}, "C*y"),  # kron(x, y') = x*y'
    ("kron(A + c*B, C + c*D)", "c", {"c": "scalar"},
     "kron(B, C + c*D) + kron(A + c*B, D)"),  # Cookbook eq. 39
    ("vec(X)'*A*vec(X)", "X", {}, "reshape((A + A')*vec(X), rows(X), cols(X))"),
    ("y'*vec(A*X*B)", "X", {}, "A'*reshape(y, rows(A), cols(B))*B'"),
])
def test_textbook_forms(expr: str, wrt: str, declare: dict[str, str], text: str) -> None:
    assert matdiff.derivative(expr, wrt, declare=declare).text == text


def test_latex_forms() -> None:
    d = matdiff.derivative("kron(A + c*B, C + c*D)", "c", declare={"c": "scalar"})
    assert d.latex == (r"B \otimes \left(C + c D\right) + \left(A + c B\right) \otimes D")
    d = matdiff.derivative("vec(X)'*A*vec(X)", "X")
    assert d.latex == (r"\operatorname{reshape}\left(\left(A + A^{\top}\right) "
                       r"\operatorname{vec}\left(X\right), \operatorname{rows}(X), "
                       r"\operatorname{cols}(X)\right)")


# --- the shape system's products ---------------------------------------------------------

def test_products_of_unknown_dimensions_print_and_read_back() -> None:
    d = matdiff.derivative("x'*kron(A, B)*x", "x")
    assert d.shape == ("rows(A)*rows(B)",)
    assert "rows(A)*rows(B)" in d.describe()
    d = matdiff.derivative("sum(kron(A, B) + f)", "f")
    assert d.text == "sum(ones(rows(A)*rows(B), cols(A)*cols(B)))"
    again = parse(d.text).expr  # a product of sizes reads back (the factors are labels)
    env = {"A": np.ones((2, 3)), "B": np.ones((4, 5))}
    sizes = {"rows(A)": 2, "cols(A)": 3, "rows(B)": 4, "cols(B)": 5}
    assert float(evaluate(again, env, sizes)) == 120.0


def test_unknown_factors_pair_as_the_indices_do() -> None:
    """kron(A, B)*vec(X) = vec(B*X*A') (Cookbook eq. 520): X is cols(B) x cols(A)."""
    p = parse("kron(A, B)*vec(X)")
    assert p.variables["X"].shape.dims == ("cols(B)", "cols(A)")
    p = parse("tr(kron(A, X))")  # a square Kronecker product of undeclared factors
    assert p.variables["A"].shape.rows == p.variables["A"].shape.cols
    p = parse("kron(A, B) + X", ["A: matrix(2,2)", "X: matrix(6,6)"])
    assert p.variables["B"].shape.dims == (3, 3)


@pytest.mark.parametrize(("expr", "declare", "message"), [
    ("vec(a)", [], "vec stacks the columns of a vector or matrix; got a scalar"),
    ("kron(A, B) + X", ["A: matrix(2,2)", "X: matrix(3,3)"],
     "matrix(2*rows(B), 2*cols(B)) and matrix(3, 3)"),
    ("kron(A, B) + X", ["X: matrix(n,n)"], "declare the sizes of the kron or vec operands"),
    ("reshape(x, 2, 3)", ["x: vector(5)"], "reshape to 2 x 3 needs 6 entries"),
    ("kron(A)", [], "kron takes two arguments"),
    ("reshape(X, 2)", [], "reshape takes a vector or matrix and two sizes"),
    ("pinv(x)", [], "pinv needs a matrix"),
    ("adj(X)", ["X: matrix(2,3)"], "adj needs a square matrix"),
])
def test_shape_errors(expr: str, declare: list[str], message: str) -> None:
    with pytest.raises((ShapeError, ParseError)) as e:
        matdiff.derivative(expr, "a" if expr == "vec(a)" else "A", declare=declare)
    assert message in str(e.value)


# --- refusals ---------------------------------------------------------------------------

@pytest.mark.parametrize(("expr", "wrt"), [
    ("vec(A*X*B)", "X"), ("kron(A, X)", "X"), ("vec(X)'*A*vec(X)", ["X", "X"]),
])
def test_no_index_form_through_composite_indices(expr: str, wrt: str | list[str]) -> None:
    with pytest.raises(UnsupportedError, match="composite index"):
        matdiff.derivative(expr, wrt)


# --- ⊗: the Kronecker forms read back ------------------------------------------------

@pytest.mark.parametrize("expr", ["A*X*B", "A*X*B + C*X*D", "-X*B + 2*A*X", "X/3"])
def test_kronecker_form_reads_back(expr: str) -> None:
    """The right side of d vec(F)/d vec(X)' = ... parses to the Jacobian of vec(F) by
    vec(X), computed here by finite differences (column-major vec)."""
    d = matdiff.derivative(expr, "X", declare=["X: matrix(3,3)", "A: matrix(3,3)",
                                               "B: matrix(3,3)", "C: matrix(3,3)",
                                               "D: matrix(3,3)"])
    assert d.kronecker_text is not None
    rhs = d.kronecker_text.split(" = ", 1)[1]
    rng = np.random.default_rng(0)
    env = {k: rng.standard_normal((3, 3)) for k in "ABCDX"}
    f = parse(expr, ["X: matrix(3,3)"]).expr
    jac = np.zeros((9, 9))
    for k in range(9):
        e = np.zeros(9)
        e[k] = 1e-6
        step = e.reshape(3, 3, order="F")
        hi = evaluate(f, {**env, "X": env["X"] + step})
        lo = evaluate(f, {**env, "X": env["X"] - step})
        jac[:, k] = ((hi - lo) / 2e-6).flatten(order="F")
    got = evaluate(parse(rhs, ["X: matrix(3,3)"]).expr, env)
    np.testing.assert_allclose(got, jac, rtol=1e-6, atol=1e-6)


def test_kron_operator_precedence() -> None:
    """⊗ binds looser than * and tighter than + (Cookbook eq. 511: AC ⊗ BD)."""
    rng = np.random.default_rng(1)
    env = {k: rng.standard_normal((2, 2)) for k in "ABCD"}
    cases = {"A*C ⊗ B*D": np.kron(env["A"] @ env["C"], env["B"] @ env["D"]),
             "A ⊗ B + C ⊗ D": np.kron(env["A"], env["B"]) + np.kron(env["C"], env["D"]),
             "A' ⊗ B": np.kron(env["A"].T, env["B"]),
             "-A ⊗ B": -np.kron(env["A"], env["B"])}
    for text, want in cases.items():
        node = parse(text, [f"{k}: matrix(2,2)" for k in "ABCD"]).expr
        np.testing.assert_allclose(evaluate(node, env), want, err_msg=text)


# --- pinv and adj -----------------------------------------------------------------------

def test_the_notes_say_where_the_derivatives_hold() -> None:
    d = matdiff.derivative("tr(pinv(X)*A)", "X")
    assert any("rank of X is constant" in c for c in d.conditions)
    assert "rank of X is constant" in d.describe()
    d = matdiff.derivative("tr(adj(X)*A)", "X")
    assert any("X is invertible" in c for c in d.conditions)
    assert not matdiff.derivative("tr(pinv(A)*X)", "X").conditions  # pinv of a constant


def test_adjugate_of_a_singular_matrix_evaluates() -> None:
    """adj by cofactors: adj(X)_ji = (-1)^(i+j) det(X without row i, column j)."""
    x = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]])  # rank 2
    cof = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(x, i, 0), j, 1))
                     for j in range(3)] for i in range(3)])
    got = evaluate(parse("adj(X)", ["X: matrix(3,3)"]).expr, {"X": x})
    np.testing.assert_allclose(got, cof.T, atol=1e-12)


def test_pinv_evaluates_rank_deficient() -> None:
    x = np.outer([1.0, 2.0, 3.0], [1.0, -1.0])  # rank 1
    got = evaluate(parse("pinv(X)", ["X: matrix(3,2)"]).expr, {"X": x})
    np.testing.assert_allclose(x @ got @ x, x, atol=1e-12)  # a Penrose condition


# --- the matrix functions the language does not have -----------------------------------

@pytest.mark.parametrize("name", ["expm", "logm", "sqrtm", "funm"])
def test_matrix_functions_are_not_elementwise_ones(name: str) -> None:
    with pytest.raises(ParseError) as e:
        matdiff.derivative(f"tr({name}(X))", "X")
    message = str(e.value)
    assert "not in the language" in message and "elementwise" in message
    assert "did you mean" not in message


# --- SymPy and generated modules ------------------------------------------------------

def test_sympy_kronecker_product_both_ways() -> None:
    sp = pytest.importorskip("sympy")
    n = sp.Symbol("n")
    a, b = sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("B", n, n)
    assert matdiff.from_sympy(sp.Trace(sp.KroneckerProduct(a, b.T))) == "tr(kron(A, B'))"
    assert matdiff.to_sympy("kron(A, B)") == sp.KroneckerProduct(a, b) or \
        str(matdiff.to_sympy("kron(A, B)")) == "KroneckerProduct(A, B)"


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_generated_module_sizes_products(backend: str) -> None:
    """The standalone module's own finite-difference check draws a product dimension
    (len(y) = rows(A)*rows(B)) from its factors."""
    source = matdiff.generate_module("norm2(kron(A, B)*x - y)^2", "x", backend=backend,
                                     hessian=True)
    scope: dict[str, object] = {"__name__": "generated"}
    exec(compile(source, "generated.py", "exec"), scope)  # our own generated module
    check = scope["check_gradient"]
    assert callable(check) and check() is True


def test_mathml_forms() -> None:
    d = matdiff.derivative("kron(A + c*B, C)", "c", declare={"c": "scalar"})
    assert "<mo>⊗</mo>" in d.mathml
    p = matdiff.derivative("tr(pinv(X)*A)", "X")
    assert "<msup><mi>X</mi><mo>+</mo></msup>" in p.mathml


def test_torch_kron_of_a_transposed_operand() -> None:
    """The campaign's crash: torch.kron takes views, which fails on the transposed
    operand (P'*P) the derivative's code passes it; compiled torch agrees with NumPy."""
    import torch

    d = matdiff.derivative("(sum(kron(adj(X), (P'*P))) ./ (2*(1 + z.^2)))", ["z"],
                           declare=["z: vector(3)", "X: matrix(2, 2)",
                                    "P: matrix(3, 2) positive"])
    rng = np.random.default_rng(65535)
    env = {"z": rng.standard_normal(3), "X": rng.standard_normal((2, 2)),
           "P": rng.uniform(0.1, 1.0, (3, 2))}
    got = d.compile("torch")(**{k: torch.tensor(v) for k, v in env.items()})
    assert np.allclose(np.asarray(got), d.compile("numpy")(**env), rtol=1e-10)
