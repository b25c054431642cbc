"""Every operation's derivative against central finite differences.

The corpus below must use every op of the op table (``test_corpus_covers_every_op``), so
adding an op fails here until it has a numerically checked derivative.  Each case is
checked at several random points with random sizes for the symbolic dimensions
(``Derivative.check``), and the generated NumPy expression is evaluated and compared with
the same finite differences' reference, the evaluator.
"""

from __future__ import annotations

import numpy as np
import pytest
from ir_fixtures import free_dims

import matdiff
from matdiff.evaluate import evaluate
from matdiff.ir.nodes import Node
from matdiff.ir.ops import OPS
from matdiff.parse import parse
from matdiff.printing import to_text
from matdiff.simplify import present, simplify
from matdiff.testing import choose_sizes, sample_point

S = {"S": "matrix(n,n) spd"}
CORPUS: list[tuple[str, str, dict[str, str]]] = [
    # products, sums, transposes, constants
    ("x'*A*x", "x", {}),
    ("x'*A*x", "A", {}),
    ("a*x'*y + b", "a", {}),
    ("3*a^2 - a/b + 2", "b", {"b": "scalar positive"}),
    ("(x'*y)*(y'*A*x)", "x", {}),
    ("tr(A*X*B*X'*C)", "X", {}),
    ("tr(X'*A')", "X", {}),
    ("x'*X'*X*x", "X", {"X": "matrix(m,n)"}),
    ("a*b*tr(X)", "a", {}),
    # elementwise product, division, power
    ("sum(x.*y.*x)", "x", {}),
    ("sum(X.*Y)", "X", {}),
    ("sum(x./y)", "x", {"y": "vector positive"}),
    ("sum(x./y)", "y", {"y": "vector positive"}),
    ("sum(1 ./ x)", "x", {"x": "vector positive"}),
    ("sum(x.^3)", "x", {}),
    ("a^b", "b", {"a": "scalar positive"}),
    ("a^b", "a", {"a": "scalar positive"}),
    ("sum(x.^y)", "y", {"x": "vector positive"}),
    ("sum(x.^y)", "x", {"x": "vector positive"}),
    ("sum(2.^x)", "x", {}),
    ("sqrt(a)", "a", {"a": "scalar positive"}),
    # matrix powers
    ("tr(X^3)", "X", {}),
    ("tr(X^-2)", "X", {}),
    ("u'*X^2*v", "X", {}),
    # broadcasting, fills, identity
    ("sum(a + x)", "a", {}),
    ("sum(exp(a - X))", "a", {}),
    ("sum(exp(a - X))", "X", {}),
    ("vector(1)'*x + sum(matrix(2).*X)", "X", {}),
    ("vector(1)'*tanh(x)", "x", {}),
    ("tr(X + eye)^2", "X", {}),
    ("x'*(A + eye)*x", "A", {}),
    # reductions and norms
    ("norm1(X*w)", "w", {}),
    ("norm2(x)", "x", {}),
    ("norm2(X)^2", "X", {}),
    ("norm2(A*X*B)", "X", {}),
    ("norm2(X*w-y)^2", "w", {}),
    ("norm2(X - U*V')^2", "U", {}),
    ("norm2(X - U*V')^2", "V", {}),
    ("sum(X*y)", "y", {}),
    # traces, determinants, inverses
    ("det(X)", "X", {}),
    ("log(det(X))", "X", {}),
    ("logdet(X)", "X", {}),
    ("det(A*X*B)", "X", {"X": "matrix(n,n)", "A": "matrix(n,n)", "B": "matrix(n,n)"}),
    ("logdet(X'*S*X)", "X", S),
    ("tr(inv(X)*A)", "X", {}),
    ("a'*inv(X)*b", "X", {"a": "vector(n)", "b": "vector(n)"}),
    ("logdet(X) + tr(S*inv(X))", "X", {**S, "X": "matrix(n,n) spd"}),
    # diagonals
    ("x'*diag(y)*x", "y", {}),
    ("x'*diag(y)*x", "x", {}),
    ("tr(diag(x)*A)", "x", {}),
    ("diag(X)'*y", "X", {}),
    ("sum(diag(X*Y))", "X", {}),
    # every elementwise function
    ("sum(exp(A*x))", "x", {}),
    ("sum(log(x))", "x", {"x": "vector positive"}),
    ("sum(sqrt(X))", "X", {"X": "matrix positive"}),
    ("sum(sin(A*x))", "x", {}),
    ("sum(cos(A*x))", "A", {}),
    ("sum(tan(0.3*x))", "x", {}),
    ("sum(arcsin(tanh(x)))", "x", {}),
    ("sum(arccos(0.5*tanh(x)))", "x", {}),
    ("sum(arctan(X*w))", "w", {}),
    ("sum(sinh(x))", "x", {}),
    ("sum(cosh(x))", "x", {}),
    ("norm2(W2*tanh(W1*x) - y)^2", "W1", {}),
    ("sum(abs(A*x))", "x", {}),
    ("sum(sign(x).*x.^2)", "x", {}),
    ("sum(relu(A*x))", "x", {}),
    ("sum(step(x).*x)", "x", {}),
    ("sum(log(1 + exp(-y.*(X*w))))", "w", {}),
    ("-y'*log(exp(X*w)/sum(exp(X*w)))", "w", {}),
    # sigmoid, softplus: logistic regression, an MLP layer, scalar and matrix arguments
    ("-sum(t.*log(sigmoid(X*w)) + (1 - t).*log(1 - sigmoid(X*w)))", "w", {}),
    ("sum(softplus(X*w)) - t'*X*w", "w", {}),
    ("norm2(V*sigmoid(W*x) - y)^2", "W", {}),
    ("norm2(V*softplus(W*x) - y)^2", "x", {}),
    ("log(sigmoid(a))", "a", {}),
    ("softplus(a*b) + sigmoid(-a)", "a", {}),
    ("sum(softplus(A*X*B))", "X", {}),
    ("-sum(t.*log(1 ./ (1 + exp(-X*w))) + (1 - t).*log(1 - 1 ./ (1 + exp(-X*w))))", "w", {}),
    # symmetric variables (both conventions are checked by test_symmetric_conventions)
    ("tr(A*S)", "S", {"S": "matrix(n,n) symmetric"}),
    ("x'*S*x", "S", {"S": "matrix(n,n) symmetric"}),
    ("tr(A*D)", "D", {"D": "matrix(n,n) diagonal"}),
    # reduce: sums and means by dimension, logsumexp, softmax (every dimension and kind)
    ("sum(logsumexp(X*W, 2)) - tr(Y'*X*W)", "W", {}),
    ("-sum(Y.*log(softmax(X*W, 2)))", "W", {}),
    ("logsumexp(x) - y'*x", "x", {}),
    ("-y'*log(softmax(z))", "z", {}),
    ("u'*softmax(A*x)", "x", {}),
    ("sum(softmax(X, 1).*Y)", "X", {}),
    ("logsumexp(X)", "X", {}),
    ("logsumexp(X, 1)*y", "X", {}),
    ("u'*logsumexp(X, 2)", "X", {}),
    ("sum(mean(X, 1).^2) + mean(X)^2", "X", {}),
    ("norm2(mean(X, 2) - y)^2", "X", {}),
    ("sum(sum(X, 1)) + u'*sum(A*X, 2)", "X", {}),
    ("softmax(x')*v + sum(x, 1)*mean(x)", "x", {}),
    ("tr(softmax(Q*K', 2)*V*B)", "K", {}),
    ("a*logsumexp(3*x')", "x", {}),
    # implicit expansion: a batched layer (one example per column, per row), a 2-layer MLP,
    # elementwise operators with a row and a column (b, c, s: vectors, not a-g scalars)
    *[("norm2(W*X + b - Y)^2", v, {"b": "vector"}) for v in ("W", "b")],
    *[("norm2(X*W + b' - Y)^2", v, {"b": "vector"}) for v in ("W", "b")],
    *[("norm2(V*tanh(W*X + b) + c - Y)^2", v, {"b": "vector", "c": "vector"})
      for v in ("W", "b", "V", "c")],
    ("sum(exp(X .* w'))", "w", {}),
    ("sum(X ./ s)", "s", {"s": "vector positive"}),
    ("sum(log(s + X))", "s", {"s": "vector positive", "X": "matrix positive"}),
    ("sum(X .^ s)", "s", {"X": "matrix positive"}),
    ("sum(s .^ X)", "s", {"s": "vector positive"}),
    ("tr(A*(W*X + b))", "b", {"b": "vector"}),
    # kron, vec, reshape, pinv (tall, wide, square), adj
    ("x'*kron(A, B)*x", "x", {}),
    ("norm2(kron(A, B)*x - y)^2", "x", {}),
    ("sum(reshape(x, 2, 3).*A)", "x", {"A": "matrix(2,3)"}),
    ("tr(pinv(X)*A)", "X", {"X": "matrix(5,3)"}),
    ("tr(pinv(X)*A)", "X", {"X": "matrix(3,5)"}),
    ("norm2(pinv(X) - A)^2", "X", {"X": "matrix(n,n)"}),
    ("tr(adj(X)*A)", "X", {}),
]
IDS = [f"d({e})/d{w}" for e, w, _ in CORPUS]


def test_corpus_covers_every_op() -> None:
    used: set[str] = set()
    for expr, wrt, declare in CORPUS:
        used |= {n.op for n in parse(expr, declare).expr.walk()}
        used |= {n.op for n in matdiff.derivative(expr, wrt, declare=declare).result.walk()}
    missing = set(OPS) - used - {"differential"}
    assert not missing, f"no derivative test uses: {sorted(missing)}"


@pytest.mark.parametrize(("expr", "wrt", "declare"), CORPUS, ids=IDS)
def test_matches_finite_differences(expr: str, wrt: str, declare: dict[str, str]) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare)
    for seed in (0, 1):
        check = d.check(seed=seed)
        assert check.ok, f"{d.text}: {check}"


@pytest.mark.parametrize(("expr", "wrt", "declare"), CORPUS, ids=IDS)
def test_numpy_code_matches_evaluator(expr: str, wrt: str, declare: dict[str, str]) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare)
    rng = np.random.default_rng(7)
    sizes = choose_sizes([d.function, d.result, *d.variables.values()], rng)
    env = sample_point(d.function, d.variables, sizes, rng)
    expected = np.asarray(evaluate(d.result, env, sizes), dtype=float)
    names = {matdiff.codegen.python_name(k): v for k, v in env.items()}
    got = np.asarray(eval(d.numpy, {"np": np}, names), dtype=float)  # our own generated code
    assert got.shape == expected.shape == tuple(sizes[k] for k in d.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("convention", ["symmetrized", "cookbook"])
@pytest.mark.parametrize("expr", ["tr(A*S)", "x'*S*x", "logdet(S)", "tr(S*B*S)"])
def test_symmetric_conventions(expr: str, convention: str) -> None:
    d = matdiff.derivative(expr, "S", declare={"S": "matrix(n,n) spd"},
                           symmetric_gradient=convention)
    assert d.check().ok
    rng = np.random.default_rng(3)
    sizes = choose_sizes([d.function, *d.variables.values()], rng)
    env = sample_point(d.function, d.variables, sizes, rng)
    g = np.asarray(evaluate(d.result, env, sizes))
    np.testing.assert_allclose(g, g.T, atol=1e-12)  # a symmetric gradient


@pytest.mark.parametrize(("layout", "transposed"),
                         [("mixed", False), ("denominator", False), ("numerator", True)])
def test_layouts_of_a_gradient(layout: str, transposed: bool) -> None:
    mixed = matdiff.derivative("tr(A*X)", "X", declare={"X": "matrix(m,n)"})
    d = matdiff.derivative("tr(A*X)", "X", declare={"X": "matrix(m,n)"}, layout=layout)
    assert d.layout == layout
    assert d.shape == (("n", "m") if transposed else ("m", "n"))
    assert d.check().ok  # the check is of the underlying gradient
    rng = np.random.default_rng(0)
    sizes = choose_sizes([d.function, *d.variables.values()], rng)
    env = sample_point(d.function, d.variables, sizes, rng)
    g = np.asarray(evaluate(d.result, env, sizes))
    m = np.asarray(evaluate(mixed.result, env, sizes))
    np.testing.assert_allclose(g, m.T if transposed else m)


def test_row_gradient_in_numerator_layout() -> None:
    d = matdiff.derivative("x'*x", "x", layout="numerator")
    assert d.result_shape.kind == "row"
    assert d.text == "2*x'"


def test_gradient_of_a_constant_is_zero() -> None:
    d = matdiff.derivative("a'*b", "x", declare=["x: vector(n)", "a: vector(n)",
                                                 "b: vector(n)"])
    assert d.text == "zeros(n)"  # its size: nothing else in the text says it
    assert d.check().ok


@pytest.mark.parametrize(("expr", "wrt", "declare"), CORPUS, ids=IDS)
def test_text_round_trips(expr: str, wrt: str, declare: dict[str, str]) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare)
    again = present(simplify(parse(d.inline_text, declare, shape=d.result_shape).expr))
    if free_dims(d.result):
        # sum(vector(1)) is the size n: no text of the language carries which n, so the
        # reparsed node has a fresh dimension there; it must still print the same.
        assert to_text(again) == d.inline_text
    else:
        assert again is d.result, f"{d.inline_text} reads back as {to_text(again)}"
    function = parse(expr, declare).expr
    assert simplify(parse(to_text(function), declare).expr) is simplify(function)


@pytest.mark.parametrize(("expr", "wrt", "declare"), CORPUS, ids=IDS)
def test_second_derivative_matches_finite_differences(expr: str, wrt: str,
                                                     declare: dict[str, str]) -> None:
    """Every op again at order 2: the Hessian (a 4th-order tensor for a matrix variable)
    against central differences of the gradient, which is itself checked first."""
    d = matdiff.derivative(expr, [wrt, wrt], declare=declare)
    check = d.check(points=1, tolerance=1e-5)
    assert check.ok, f"{d.text}: {check}"


JACOBIANS: list[tuple[str, str, dict[str, str]]] = [
    ("diag(x)*A", "x", {}),
    ("diag(X*Y)", "X", {}),
    ("X.*Y + X./(Y.*Y + 1)", "X", {}),
    ("a + x", "a", {}),
    ("tr(X)*x - sum(X)*y", "X", {}),
    ("(A*X)'*B", "X", {}),
    ("inv(X)*b", "X", {"X": "matrix(n,n) spd"}),
    ("exp(x)/sum(exp(x))", "x", {}),
    ("softmax(X, 2)", "X", {}),  # reduce
    ("softmax(X', 1)", "X", {}),
    ("logsumexp(X, 1)", "X", {}),
    ("mean(X, 2) + sum(X, 2)", "X", {}),
    ("W*X + b", "b", {"b": "vector"}),
    ("X*W + b'", "b", {"b": "vector"}),
    ("X .* w'", "w", {}),
    ("tanh(W*x + b)", "W", {"b": "vector"}),
]


@pytest.mark.parametrize(("expr", "wrt", "declare"), JACOBIANS, ids=[j[0] for j in JACOBIANS])
def test_jacobians_match_finite_differences(expr: str, wrt: str,
                                            declare: dict[str, str]) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare)
    check = d.check(points=2)
    assert check.ok, f"{d.text}: {check}"


def test_second_derivatives_expand_every_linear_op(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Hessians of the corpus and the Jacobians run every index rule (diff/tensor.py)
    at least once, so the tests above check each of them numerically."""
    from matdiff.diff import tensor
    used: set[str] = set()

    def recording(op: str, rule: tensor.TensorRule) -> tensor.TensorRule:
        def run(node: Node, out: tuple[tensor.Index, ...], expand: tensor.Expand) -> list:
            used.add(op)
            return rule(node, out, expand)
        return run

    for op, rule in list(tensor.TENSOR_RULES.items()):
        monkeypatch.setitem(tensor.TENSOR_RULES, op, recording(op, rule))
    for expr, wrt, declare in CORPUS:
        matdiff.derivative(expr, [wrt, wrt], declare=declare)
    for expr, wrt, declare in JACOBIANS:
        matdiff.derivative(expr, wrt, declare=declare)
    # kron, vec and reshape have no index form (composite indices): their rules refuse,
    # which tests/test_kron.py checks
    expected = set(tensor.TENSOR_RULES) - {"kron", "vec", "reshape"}
    assert expected <= used, expected - used
