"""The reference evaluator against hand-written NumPy: every op, several shapes."""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest
from ir_fixtures import A, M, N, P, S, X, a, c, p, u, x, y, z

from matdiff.errors import EvaluationError
from matdiff.evaluate import IMPLEMENTATIONS, dimension_sizes, evaluate
from matdiff.ir import OPS, Node
from matdiff.ir import build as b
from matdiff.ir import reductions as red
from matdiff.shapes import Dim, matrix, row, vector

RNG = np.random.default_rng(20240611)


T = b.transpose


def _spd(n: int) -> np.ndarray:
    q = RNG.standard_normal((n, n))
    return q @ q.T + n * np.eye(n)


ENV: dict[str, np.ndarray] = {
    "a": np.array(0.7), "c": np.array(-1.3),
    "x": RNG.standard_normal(N), "y": RNG.standard_normal(N), "z": RNG.standard_normal(M),
    "A": RNG.standard_normal((M, N)), "X": RNG.standard_normal((N, N)), "S": _spd(N),
    "P": RNG.uniform(0.5, 2.0, (M, N)), "p": RNG.uniform(0.5, 2.0, N),
    "u": RNG.uniform(-0.9, 0.9, N),
}
E = ENV
I_N = np.eye(N)

# Sizes for leaves that no variable of their expression fixes (``eye``, ``fill``).
SIZES: dict[Dim, int] = {"m": M, "n": N}

# (expression, hand-written NumPy value)
CASES: list[tuple[str, Node, Callable[[], object]]] = [
    ("var scalar", a, lambda: E["a"]),
    ("var matrix", A, lambda: E["A"]),
    ("const", b.const(Fraction(-3, 4)), lambda: -0.75),
    ("fill vector", b.fill(2, vector("n")), lambda: np.full(N, 2.0)),
    ("fill row", b.fill(Fraction(1, 3), row("m")), lambda: np.full(M, 1 / 3)),
    ("fill matrix", b.fill(-1, matrix("m", "n")), lambda: -np.ones((M, N))),
    ("eye", b.eye("n"), lambda: I_N),
    ("add", b.add(x, y, p), lambda: E["x"] + E["y"] + E["p"]),
    ("add matrices", b.sub(A, P), lambda: E["A"] - E["P"]),
    ("mul scalar*scalar", b.mul(a, c), lambda: E["a"] * E["c"]),
    ("mul matrix*vector", b.mul(A, x), lambda: E["A"] @ E["x"]),
    ("mul row*matrix", b.mul(T(z), A), lambda: E["z"] @ E["A"]),
    ("mul row*vector", b.mul(T(x), y), lambda: E["x"] @ E["y"]),
    ("mul vector*row (outer)", b.mul(z, T(x)), lambda: np.outer(E["z"], E["x"])),
    ("mul chain", b.mul(T(A), A, X, x), lambda: E["A"].T @ E["A"] @ E["X"] @ E["x"]),
    ("mul scaled chain", b.mul(b.const(2), a, A, X), lambda: 2 * E["a"] * E["A"] @ E["X"]),
    ("mul x'*y*z' (scalar inside)", b.mul(T(x), y, T(z)),
     lambda: (E["x"] @ E["y"]) * E["z"]),
    ("mul x*y'*X (outer then product)", b.mul(x, T(y), X),
     lambda: np.outer(E["x"], E["y"]) @ E["X"]),
    ("mul grouped scalar", b.mul(A, b.mul(T(x), y)), lambda: E["A"] * (E["x"] @ E["y"])),
    ("hadamard", b.hadamard(A, P, A), lambda: E["A"] * E["P"] * E["A"]),
    ("ediv", b.ediv(x, p), lambda: E["x"] / E["p"]),
    ("power scalar", b.power(a, b.const(3)), lambda: E["a"] ** 3),
    ("power elementwise", b.power(p, b.fill(Fraction(1, 2), vector("n"))),
     lambda: np.sqrt(E["p"])),
    ("power elementwise both", b.power(P, b.ediv(A, P)), lambda: E["P"] ** (E["A"] / E["P"])),
    ("power negative", b.power(a, b.const(-2)), lambda: E["a"] ** -2.0),
    ("matpow", b.matpow(X, 3), lambda: E["X"] @ E["X"] @ E["X"]),
    ("matpow negative", b.matpow(S, -2), lambda: np.linalg.inv(E["S"] @ E["S"])),
    ("transpose matrix", T(A), lambda: E["A"].T),
    ("transpose vector", T(x), lambda: E["x"]),
    ("transpose row", T(T(x)), lambda: E["x"]),
    ("broadcast vector", b.broadcast(b.mul(a, c), vector("n")),
     lambda: np.full(N, E["a"] * E["c"])),
    ("broadcast matrix", b.broadcast(a, matrix("m", "n")), lambda: np.full((M, N), E["a"])),
    ("sum vector", b.apply("sum", x), lambda: E["x"].sum()),
    ("sum matrix", b.apply("sum", A), lambda: E["A"].sum()),
    ("norm1 vector", b.apply("norm1", x), lambda: np.abs(E["x"]).sum()),
    ("norm1 matrix", b.apply("norm1", A), lambda: np.abs(E["A"]).sum()),
    ("norm2 vector", b.apply("norm2", x), lambda: np.sqrt((E["x"] ** 2).sum())),
    ("norm2 matrix (Frobenius)", b.apply("norm2", A), lambda: np.sqrt((E["A"] ** 2).sum())),
    ("norm2 scalar", b.apply("norm2", c), lambda: abs(E["c"])),
    ("tr", b.apply("tr", X), lambda: sum(E["X"][i, i] for i in range(N))),
    ("tr of scalar", b.apply("tr", a), lambda: E["a"]),
    ("det", b.apply("det", S), lambda: np.prod(np.linalg.eigvalsh(E["S"]))),
    ("logdet", b.apply("logdet", S), lambda: np.log(np.linalg.det(E["S"]))),
    ("inv", b.apply("inv", S), lambda: np.linalg.solve(E["S"], I_N)),
    ("diagm", b.apply("diagm", x), lambda: E["x"] * I_N),
    ("diagv", b.apply("diagv", X), lambda: np.array([E["X"][i, i] for i in range(N)])),
    ("exp", b.apply("exp", A), lambda: np.exp(E["A"])),
    ("log", b.apply("log", P), lambda: np.log(E["P"])),
    ("sqrt", b.apply("sqrt", p), lambda: E["p"] ** 0.5),
    ("sin", b.apply("sin", x), lambda: np.sin(E["x"])),
    ("cos", b.apply("cos", x), lambda: np.cos(E["x"])),
    ("tan", b.apply("tan", u), lambda: np.sin(E["u"]) / np.cos(E["u"])),
    ("arcsin", b.apply("arcsin", u), lambda: np.arcsin(E["u"])),
    ("arccos", b.apply("arccos", u), lambda: np.pi / 2 - np.arcsin(E["u"])),
    ("arctan", b.apply("arctan", x), lambda: np.arctan(E["x"])),
    ("sinh", b.apply("sinh", x), lambda: (np.exp(E["x"]) - np.exp(-E["x"])) / 2),
    ("cosh", b.apply("cosh", x), lambda: (np.exp(E["x"]) + np.exp(-E["x"])) / 2),
    ("tanh", b.apply("tanh", A), lambda: np.tanh(E["A"])),
    ("abs", b.apply("abs", x), lambda: np.where(E["x"] < 0, -E["x"], E["x"])),
    ("sign", b.apply("sign", x), lambda: np.where(E["x"] > 0, 1.0, -1.0)),
    ("relu", b.apply("relu", A), lambda: np.where(E["A"] > 0, E["A"], 0.0)),
    ("step", b.apply("step", A), lambda: (E["A"] > 0).astype(float)),
    # sigmoid, softplus: the textbook formulas (finite at these inputs)
    ("sigmoid", b.apply("sigmoid", A), lambda: 1 / (1 + np.exp(-E["A"]))),
    ("softplus", b.apply("softplus", x), lambda: np.log(1 + np.exp(E["x"]))),
    ("differential", b.mul(A, b.differential("x", vector("n"))), lambda: E["A"] @ E["dx"]),
    # reduce: by hand, the definitions (MATLAB's dims: 1 down each column, 2 along each row)
    ("logsumexp", red.logsumexp(x, 0), lambda: np.log(np.sum(np.exp(E["x"])))),
    ("logsumexp all", red.logsumexp(A, 0), lambda: np.log(np.sum(np.exp(E["A"])))),
    ("logsumexp 1", red.logsumexp(A, 1), lambda: np.log(np.exp(E["A"]).sum(axis=0))),
    ("logsumexp 2", red.logsumexp(A, 2), lambda: np.log(np.exp(E["A"]).sum(axis=1))),
    ("softmax", red.softmax(x, 0), lambda: np.exp(E["x"]) / np.exp(E["x"]).sum()),
    ("softmax 1", red.softmax(A, 1), lambda: np.exp(E["A"]) / np.exp(E["A"]).sum(axis=0)),
    ("softmax 2", red.softmax(A, 2),
     lambda: np.exp(E["A"]) / np.exp(E["A"]).sum(axis=1)[:, None]),
    ("mean 1", red.mean(A, 1), lambda: E["A"].mean(axis=0)),
    ("mean 2", red.mean(A, 2), lambda: E["A"].mean(axis=1)),
    ("mean", red.mean(A, 0), lambda: E["A"].mean()),
    # implicit expansion: a column across the columns, a row down the rows
    ("expand column", b.expand(z, matrix("m", "n")),
     lambda: np.tile(E["z"].reshape(M, 1), (1, N))),
    ("expand row", b.add(A, b.expand(T(x), matrix("m", "n"))),
     lambda: E["A"] + np.tile(E["x"], (M, 1))),
    # kron, vec, reshape, pinv, adj (Cookbook secs. 10.2.1, 10.2.2, 3.6, 1.1)
    ("kron", b.apply("tr", b.kron(X, S)), lambda: np.trace(np.kron(E["X"], E["S"]))),
    ("vec", b.mul(T(b.vec(A)), b.vec(P)), lambda: np.sum(E["A"] * E["P"])),
    ("reshape", b.reshape(b.vec(A), matrix("n", "m")),
     lambda: np.array([[E["A"].T.flatten()[i + N * j] for j in range(M)] for i in range(N)])),
    ("pinv", b.apply("pinv", A), lambda: np.linalg.solve(E["A"].T @ E["A"], E["A"].T)
     if M >= N else E["A"].T @ np.linalg.inv(E["A"] @ E["A"].T)),
    ("adj", b.apply("adj", X), lambda: np.linalg.det(E["X"]) * np.linalg.inv(E["X"])),
]
ENV["dx"] = RNG.standard_normal(N)


@pytest.mark.parametrize(("name", "expr", "expected"), CASES, ids=[c[0] for c in CASES])
def test_matches_hand_written_numpy(name: str, expr: Node, expected: Callable[[], object]
                                    ) -> None:
    value = evaluate(expr, ENV, SIZES)
    want = np.asarray(expected(), dtype=float)
    assert isinstance(value, np.ndarray) and value.dtype == np.float64
    assert value.shape == want.shape == tuple(
        {"m": M, "n": N}[str(d)] for d in expr.shape.dims)
    np.testing.assert_allclose(value, want, rtol=1e-12, atol=1e-12)


def test_every_op_is_in_the_table_and_covered() -> None:
    assert set(IMPLEMENTATIONS) == set(OPS)
    covered = {n.op for _, e, _ in CASES for n in e.walk()}
    assert covered == set(OPS), f"no numeric case for {set(OPS) - covered}"


def test_other_sizes() -> None:
    """The same expressions with other sizes (1x1, 1-element vectors, larger)."""
    expr = b.add(b.mul(T(A), A, x), b.mul(b.apply("tr", X), b.apply("diagv", X)))
    for m, n in [(1, 1), (2, 5), (6, 2)]:
        env = {"A": RNG.standard_normal((m, n)), "x": RNG.standard_normal(n),
               "X": RNG.standard_normal((n, n))}
        want = env["A"].T @ env["A"] @ env["x"] + np.trace(env["X"]) * np.diag(env["X"])
        np.testing.assert_allclose(evaluate(expr, env), want, rtol=1e-12)


def test_scalars_come_back_as_0d_arrays_and_results_do_not_alias_inputs() -> None:
    s = evaluate(b.mul(T(x), y), ENV)
    assert s.shape == () and isinstance(float(s), float)
    out = evaluate(T(A), ENV)
    out[0, 0] += 1.0
    assert out[0, 0] != ENV["A"][0, 0]
    assert evaluate(a, {"a": 2}).dtype == np.float64  # Python numbers are accepted


def test_sizes_come_from_the_inputs() -> None:
    expr = b.add(b.mul(A, b.eye("n"), x), b.fill(1, vector("m")))
    assert dimension_sizes(expr, ENV) == {"m": M, "n": N}
    np.testing.assert_allclose(evaluate(expr, ENV), E["A"] @ E["x"] + 1.0)
    # An integer dimension that no input fixes is its own size.
    fixed = b.add(b.fill(2, vector(3)), b.broadcast(a, vector(3)))
    assert dimension_sizes(fixed, ENV) == {3: 3}
    np.testing.assert_allclose(evaluate(fixed, ENV), np.full(3, 2.0 + E["a"]))


def test_differential_sizes_are_matched_too() -> None:
    dX = b.differential("X", matrix("n", "n"))
    expr = b.apply("tr", b.mul(b.apply("inv", S), dX))
    env = {"S": E["S"], "dX": RNG.standard_normal((N, N))}
    np.testing.assert_allclose(evaluate(expr, env),
                               np.trace(np.linalg.solve(E["S"], env["dX"])), rtol=1e-12)
    with pytest.raises(EvaluationError, match=r"dX .*matrix\(n, n\).*\(4, 3\)"):
        evaluate(expr, {"S": E["S"], "dX": np.zeros((N, M))})
    with pytest.raises(EvaluationError, match="differential dX"):
        evaluate(expr, {"S": E["S"]})


def test_missing_variable() -> None:
    with pytest.raises(EvaluationError, match="variable y"):
        evaluate(b.add(x, y), {"x": E["x"]})


def test_wrong_number_of_axes_names_variable_and_shapes() -> None:
    with pytest.raises(EvaluationError) as info:
        evaluate(b.mul(A, x), {"A": E["A"], "x": E["A"]})
    msg = info.value.message
    assert "x" in msg and "vector(n)" in msg and "1-D" in msg and "(3, 4)" in msg


def test_inconsistent_sizes_name_both() -> None:
    with pytest.raises(EvaluationError) as info:
        evaluate(b.add(x, y), {"x": np.zeros(4), "y": np.zeros(5)})
    msg = info.value.message
    assert "y is a vector(n)" in msg and "(5,)" in msg and "n = 4 from x" in msg


def test_integer_dimension_mismatch() -> None:
    v3 = b.var("v", vector(3))
    with pytest.raises(EvaluationError, match=r"v is a vector\(3\).*\(4,\)"):
        evaluate(v3, {"v": np.zeros(4)})


def test_dimension_no_input_fixes() -> None:
    expr = b.add(b.eye("k"), b.fill(1, matrix("k", "k")))
    with pytest.raises(EvaluationError, match="dimension k is not fixed"):
        evaluate(expr, {})
    np.testing.assert_allclose(evaluate(expr, {}, {"k": 2}), [[2.0, 1.0], [1.0, 2.0]])


def test_given_sizes_must_agree_with_the_inputs() -> None:
    assert dimension_sizes(b.mul(A, x), ENV, {"n": N, "k": 7}) == {"m": M, "n": N, "k": 7}
    with pytest.raises(EvaluationError, match="n = 5 from the given sizes"):
        dimension_sizes(b.mul(A, x), ENV, {"n": 5})


def test_non_numeric_input() -> None:
    with pytest.raises(EvaluationError, match="value of a"):
        evaluate(a, {"a": "two"})


def test_undefined_points() -> None:
    singular = np.ones((N, N))
    with pytest.raises(EvaluationError, match="inverse"):
        evaluate(b.apply("inv", X), {"X": singular})
    with pytest.raises(EvaluationError, match="matrix power"):
        evaluate(b.matpow(X, -1), {"X": singular})
    flip = np.diag([-1.0, 1.0, 1.0, 1.0])  # det = -1: log(det) is undefined
    assert np.isnan(evaluate(b.apply("logdet", X), {"X": flip}))
    assert evaluate(b.apply("logdet", X), {"X": singular}) == -np.inf
    assert np.isnan(evaluate(b.apply("log", c), ENV))  # NaN, as NumPy, no warning
    assert evaluate(b.apply("step", a), {"a": 0.0}) == 0.0


def test_shared_subexpressions_are_computed_once() -> None:
    """A DAG whose tree has 2^60 leaves evaluates instantly, to the right value."""
    e = x
    for _ in range(60):
        e = b.mul(b.const(Fraction(1, 2)), b.add(e, e))
    start = time.perf_counter()
    np.testing.assert_allclose(evaluate(e, ENV), E["x"], rtol=1e-12)
    assert time.perf_counter() - start < 10.0  # a bound, not a speed goal


def test_deep_expression_does_not_recurse() -> None:
    e = x
    for _ in range(5000):
        e = b.apply("sin", e)
    want = E["x"]
    for _ in range(5000):
        want = np.sin(want)
    np.testing.assert_allclose(evaluate(e, ENV), want)



def test_long_product_chain() -> None:
    """A chain of 3000 factors (bracketed left to right beyond the cost search)."""
    e = b.mul(*([T(x), y] * 1500))  # (x'*y)^1500
    small = {"x": np.full(N, 0.5), "y": np.full(N, 0.5)}  # where x'*y = 1
    assert evaluate(e, small) == 1.0
