"""NumPy code generation: snapshots of the generated code, and a cross-check of every op:
``eval`` of the code equals the reference evaluator on random, domain-safe inputs."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from ir_fixtures import A, M, N, P, S, X, a, c, p, u, x, y, z

from matdiff.codegen import (
    NUMPY,
    PRECEDENCE,
    ROWS,
    Backend,
    python_name,
    to_array_code,
    variable_names,
)
from matdiff.codegen.backends import FUNCTION_KEYS
from matdiff.errors import UnsupportedError
from matdiff.evaluate import evaluate
from matdiff.ir import OPS, Node
from matdiff.ir import build as b
from matdiff.ir import reductions as red
from matdiff.ir.products import Leaf, Pair, fold_plan, plan_product
from matdiff.shapes import SCALAR, Dim, matrix, row, vector

lam = b.var("lambda", SCALAR)  # a Python keyword
npv = b.var("np", vector("n"))  # the module's name
dX = b.differential("X", matrix("n", "n"))
T, neg, sub = b.transpose, b.neg, b.sub


def k(v: int | Fraction) -> Node:
    return b.const(v)


def f(name: str, arg: Node) -> Node:
    return b.apply(name, arg)


SIZES: dict[Dim, str] = {"n": "x.shape[0]", "m": "z.shape[0]"}

# (expression, the NumPy code expected for it)
SNAPSHOTS: list[tuple[Node, str]] = [
    (b.sub(b.mul(X, x), y), "X @ x - y"),
    (b.add(b.mul(T(A), A, X), b.mul(k(2), T(A), A)), "A.T @ A @ X + (2 * A.T) @ A"),
    (b.mul(T(A), A, x), "A.T @ (A @ x)"),  # the cheap order: two matrix-vector products
    (b.mul(T(z), A, X), "z @ A @ X"),
    (b.mul(k(2), x, T(y)), "np.outer(2 * x, y)"),  # scale the vector, not the outer product
    (b.mul(k(2), X, x), "2 * (X @ x)"),
    (neg(b.mul(A, x)), "-(A @ x)"),
    (neg(x), "-x"),
    (b.mul(k(-2), x), "-2 * x"),
    (b.mul(A, b.mul(T(x), y)), "(x @ y) * A"),
    (b.mul(T(x), y, T(z)), "(x @ y) * z"),
    (b.mul(k(2), x, b.power(c, k(-1))), "2 * x / c"),
    (b.mul(A, x, b.power(c, k(-2))), "(A @ x) / c ** 2"),
    (b.mul(b.power(a, k(-1)), b.power(c, k(-1))), "1 / a / c"),
    (b.mul(x, b.power(b.mul(a, c), k(-1))), "x / (a * c)"),
    (b.sub(a, b.add(c, lam)), "a - (c + lambda_)"),
    (b.add(a, b.mul(k(-1), c)), "a - c"),
    (b.add(a, k(-3)), "a - 3"),
    (b.add(x, b.mul(k(-1), b.add(y, p))), "x - (y + p)"),
    (neg(b.power(a, k(2))), "-a ** 2"),
    (b.power(neg(a), k(2)), "(-a) ** 2"),
    (b.power(a, k(-1)), "a ** -1"),
    (b.power(a, k(Fraction(1, 3))), "a ** (1/3)"),
    (b.power(a, b.power(c, k(2))), "a ** c ** 2"),
    (b.power(b.power(a, c), k(2)), "(a ** c) ** 2"),
    (b.power(b.mul(a, c), k(Fraction(1, 2))), "(a * c) ** 0.5"),
    (b.power(p, b.fill(2, vector("n"))), "p ** 2"),
    (b.ediv(b.fill(1, vector("n")), p), "1 / p"),
    (b.add(b.fill(1, vector("n")), f("exp", x)), "1 + np.exp(x)"),
    (b.add(x, b.broadcast(neg(a), vector("n"))), "x - a"),
    (b.hadamard(b.mul(A, x), z), "(A @ x) * z"),
    (b.ediv(x, b.hadamard(y, p)), "x / (y * p)"),
    (b.fill(2, vector("n")), "np.full((x.shape[0],), 2.0)"),
    (b.fill(Fraction(1, 3), matrix("m", "n")), "np.full((z.shape[0], x.shape[0]), (1/3))"),
    (b.fill(1, row("m")), "np.ones((z.shape[0],))"),
    (b.fill(0, matrix(2, "n")), "np.zeros((2, x.shape[0]))"),
    (b.add(b.fill(1, vector("n")), b.fill(2, vector("n"))), "np.ones((x.shape[0],)) + 2"),
    (b.eye("n"), "np.eye(x.shape[0])"),
    (b.broadcast(a, matrix("m", "n")), "np.full((z.shape[0], x.shape[0]), a)"),
    (T(b.mul(T(A), A)), "(A.T @ A).T"),
    (T(x), "x"),
    (T(f("inv", X)), "np.linalg.inv(X).T"),
    (b.matpow(X, 3), "np.linalg.matrix_power(X, 3)"),
    (f("tr", a), "a"),
    (f("tr", b.mul(T(A), A)), "np.trace(A.T @ A)"),
    (f("logdet", S), "np.linalg.slogdet(S)[1]"),
    (f("det", S), "np.linalg.det(S)"),
    (f("norm1", x), "np.sum(np.abs(x))"),
    (f("norm2", sub(b.mul(X, x), y)), "np.linalg.norm(X @ x - y)"),
    (f("diagm", x), "np.diag(x)"),
    (f("relu", x), "np.maximum(x, 0)"),
    (f("step", x), "np.heaviside(x, 0.0)"),
    # sigmoid, softplus: overflow-free spellings
    (f("sigmoid", x), "np.exp(-np.logaddexp(0.0, -x))"),
    (f("sigmoid", b.mul(A, x)), "np.exp(-np.logaddexp(0.0, -(A @ x)))"),
    (f("softplus", x), "np.logaddexp(0.0, x)"),
    (b.mul(npv, T(npv)), "np.outer(np_, np_)"),
    (b.mul(X, dX), "X @ dX"),
    (b.mul(k(Fraction(-1, 2)), a), "-0.5 * a"),
    (b.mul(k(Fraction(-1, 3)), a), "(-1/3) * a"),
    # reduce: stable with only np in scope
    (red.logsumexp(x, 0), "np.logaddexp.reduce(x, 0)"),
    (red.logsumexp(A, 0), "np.logaddexp.reduce(A, None)"),
    (red.logsumexp(A, 1), "np.logaddexp.reduce(A, 0)"),
    (red.softmax(A, 2),
     "np.exp(A - np.max(A, 1, keepdims=True)) / np.sum(np.exp(A - np.max(A, 1, keepdims=True)), "
     "1, keepdims=True)"),
    (red.softmax(x, 0), "np.exp(x - np.max(x)) / np.sum(np.exp(x - np.max(x)))"),
    # implicit expansion: NumPy broadcasting where an operand anchors the shape
    (b.add(A, b.expand(z, matrix("m", "n"))), "A + z[:, None]"),
    (b.add(A, neg(b.expand(z, matrix("m", "n")))), "A - z[:, None]"),
    (b.hadamard(A, b.expand(T(x), matrix("m", "n"))), "A * x"),
    (b.ediv(b.expand(b.mul(A, x), matrix("m", "n")), P), "(A @ x)[:, None] / P"),
    (b.expand(z, matrix("m", "n")), "np.broadcast_to(z[:, None], (z.shape[0], x.shape[0]))"),
    (b.add(b.expand(z, matrix("m", "n")), b.expand(T(x), matrix("m", "n"))),
     "np.broadcast_to(z[:, None], (z.shape[0], x.shape[0])) + x"),
]


@pytest.mark.parametrize(("expr", "code"), SNAPSHOTS, ids=[s[1] for s in SNAPSHOTS])
def test_snapshot(expr: Node, code: str) -> None:
    assert to_array_code(expr, SIZES) == code


RNG = np.random.default_rng(7)


def _spd(n: int) -> np.ndarray:
    q = RNG.standard_normal((n, n))
    return q @ q.T + n * np.eye(n)


def _env() -> dict[str, Any]:
    return {
        "a": float(RNG.uniform(0.5, 2.0)), "c": float(RNG.uniform(0.5, 2.0)),
        "lambda": float(RNG.uniform(0.5, 2.0)),
        "x": RNG.standard_normal(N), "y": RNG.standard_normal(N), "z": RNG.standard_normal(M),
        "np": RNG.standard_normal(N),
        "A": RNG.standard_normal((M, N)), "X": RNG.standard_normal((N, N)), "S": _spd(N),
        "P": RNG.uniform(0.5, 2.0, (M, N)), "p": RNG.uniform(0.5, 2.0, N),
        "u": RNG.uniform(-0.9, 0.9, N), "dX": RNG.standard_normal((N, N)),
    }


# Expressions for the cross-check; together they use every op (checked below).
CORPUS: list[Node] = [expr for expr, _ in SNAPSHOTS] + [
    b.add(b.mul(T(A), z), b.mul(a, x), neg(y)),
    b.mul(z, T(x), X, T(X), y),
    b.mul(x, T(y), X),
    b.mul(k(3), a, z, T(b.mul(A, y)), b.power(c, k(-1))),
    b.hadamard(A, P, b.broadcast(c, matrix("m", "n"))),
    b.ediv(b.broadcast(a, vector("n")), b.fill(2, vector("n"))),
    b.ediv(A, P),
    b.power(P, b.ediv(A, P)),
    b.power(b.fill(2, vector("n")), x),
    b.matpow(S, -2),
    b.matpow(b.add(X, T(X)), 2),
    f("sum", b.hadamard(A, A)),
    f("sum", a),
    f("norm2", A),
    f("norm1", A),
    f("tr", b.mul(f("inv", S), dX)),
    f("diagv", b.mul(X, T(X))),
    f("diagm", f("diagv", X)),
    f("det", b.add(S, b.eye("n"))),
    b.mul(f("logdet", S), b.broadcast(a, matrix("n", "n"))),
    b.add(b.fill(1, vector("n")), b.ediv(b.fill(1, vector("n")), p), b.fill(Fraction(1, 3),
                                                                             vector("n"))),
    *[f(name, u) for name in ("exp", "log", "sqrt", "sin", "cos", "tan", "arcsin",
                              "arccos", "arctan", "sinh", "cosh", "tanh", "abs", "sign",
                              "relu", "step")
      if name not in ("log", "sqrt")],
    f("log", P), f("sqrt", p), f("sqrt", a), f("log", b.mul(a, c)), f("exp", neg(a)),
    f("relu", A), f("step", A), f("abs", A), f("sign", a),
    f("tanh", b.mul(A, x)),
    # sigmoid, softplus
    f("sigmoid", A), f("softplus", b.mul(A, x)), f("sigmoid", neg(a)),
    # reduce: logsumexp and softmax over every entry, each column, each row
    red.logsumexp(x, 0), red.logsumexp(b.add(A, P), 0), red.logsumexp(A, 1),
    red.logsumexp(b.mul(A, X), 2), red.softmax(x, 0), red.softmax(T(z), 0),
    red.softmax(A, 1), red.softmax(b.sub(A, P), 2),
    b.mul(k(3), red.mean(A, 0)), red.sum_dim(b.mul(A, X), 2),
    b.power(P, b.expand(b.mul(A, x), matrix("m", "n"))),
    b.mul(T(A), b.expand(z, matrix("m", "n"))),
    b.add(b.expand(z, matrix("m", "n")), b.expand(z, matrix("m", "n"))),
    # kron, vec, reshape, pinv, adj
    b.kron(A, X), b.kron(x, T(z)), b.kron(z, A), b.kron(T(x), X), b.kron(x, z),
    b.vec(A), b.reshape(b.vec(A), matrix("n", "m")), b.mul(b.kron(A, X), b.vec(X)),
    f("pinv", A), f("adj", S),
]


def _run(code: str, env: dict[str, Any], backend: Backend = NUMPY) -> np.ndarray:
    scope = {python_name(name, backend): value for name, value in env.items()}
    return np.asarray(eval(code, {backend.module: np, "__builtins__": {}}, scope),
                      dtype=float)


def test_the_corpus_uses_every_op() -> None:
    used = {n.op for e in CORPUS for n in e.walk()}
    assert used == set(OPS), f"add cases for {set(OPS) - used}"


@pytest.mark.parametrize("expr", CORPUS, ids=[repr(e)[:60] for e in CORPUS])
def test_generated_code_equals_the_reference_evaluator(expr: Node) -> None:
    code = to_array_code(expr, SIZES)
    for _ in range(2):
        env = _env()
        want = evaluate(expr, env, {"m": M, "n": N, 2: 2})
        got = _run(code, env)
        assert got.shape == want.shape, code
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=code)


def test_another_backend_is_a_table_of_names() -> None:
    """A backend with another module prefix: no row hard-codes ``np``."""
    xp = Backend("xp", "xp", NUMPY.names)
    env = _env()
    for expr in CORPUS:
        code = to_array_code(expr, SIZES, backend=xp)
        assert "np." not in code
        want = evaluate(expr, env, {"m": M, "n": N, 2: 2})
        np.testing.assert_allclose(_run(code, env, xp), want, rtol=1e-10,
                                   atol=1e-12, err_msg=code)


def test_every_op_has_a_row_and_a_precedence() -> None:
    assert set(ROWS) == set(OPS)
    assert set(PRECEDENCE) == set(OPS)
    assert set(NUMPY.names) == set(FUNCTION_KEYS)


def test_unknown_backend_and_incomplete_backend() -> None:
    with pytest.raises(UnsupportedError, match="unknown code generation backend 'cupy'"):
        to_array_code(x, SIZES, backend="cupy")
    with pytest.raises(UnsupportedError, match="does not name"):
        to_array_code(x, SIZES, backend=Backend("tiny", "t", {"exp": "exp"}))


def test_missing_size_names_the_dimension() -> None:
    with pytest.raises(UnsupportedError, match="dimension k"):
        to_array_code(b.eye("k"), SIZES)
    assert to_array_code(b.fill(1, vector(3)), {}) == "np.ones((3,))"


def test_names() -> None:
    assert python_name("lambda") == "lambda_"
    assert python_name("np") == "np_"
    assert python_name("x") == "x"
    assert variable_names(b.add(b.mul(X, dX), X)) == {"X": "X", "dX": "dX"}
    # one-to-one: np_ (a legal name) is np__, so np and np_ stay apart
    assert python_name("np_") == "np__"
    assert python_name("None") == "None_"
    assert to_array_code(b.add(npv, b.var("np_", vector("n"))), SIZES) == "np_ + np__"
    with pytest.raises(UnsupportedError, match="not a valid Python name"):
        to_array_code(b.var("two words", SCALAR), SIZES)


def test_plan_orders_a_chain_by_cost() -> None:
    sx, sa, sr = vector("n"), matrix("n", "n"), row("n")
    # A*B*x: matrix-vector twice, not matrix-matrix
    plan = plan_product([sa, sa, sx])
    assert plan == Pair("matmul", Leaf(0, sa), Pair("matmul", Leaf(1, sa), Leaf(2, sx), sx), sx)
    # x'*A*B: left to right
    plan = plan_product([sr, sa, sa])
    assert isinstance(plan, Pair) and isinstance(plan.left, Pair) and plan.left.kind == "matmul"
    # equal costs keep the reading order: (A*B)*C
    plan = plan_product([sa, sa, sa])
    assert isinstance(plan, Pair) and isinstance(plan.left, Pair)


def test_long_chain_falls_back_to_left_to_right() -> None:
    mats = [RNG.standard_normal((3, 3)) / 2 for _ in range(30)]
    shapes = [matrix(3, 3)] * 30
    plan = plan_product(shapes)
    got = fold_plan(plan, mats,
                    lambda kind, l, r: l @ r if kind == "matmul" else l * r)
    want = mats[0]
    for m_ in mats[1:]:
        want = want @ m_
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


def test_deep_expression_generates_without_deep_recursion() -> None:
    e = x
    for _ in range(3000):
        e = f("sin", b.mul(k(2), e))
    assert to_array_code(e, SIZES) == "np.sin(2 * " * 3000 + "x" + ")" * 3000
