"""The parser: shapes, meaning (checked numerically against NumPy), dimension inference,
variables, and the IR's structure where the brief fixes it.

Values are checked by evaluating the parsed IR with a small NumPy evaluator written
here (independent of matdiff.evaluate) and comparing with the same formula written
directly in NumPy.  Column vectors are (n, 1) arrays in both, so x*y' and x'*y differ.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matdiff.errors import MatdiffError
from matdiff.ir import build as b
from matdiff.ir.nodes import Node
from matdiff.parse import Parsed, parse
from matdiff.shapes import Shape

Array = Any
Env = dict[str, Array]

# --- a reference evaluator for the ops the parser produces ------------------------

_UNARY: dict[str, Callable[[Array], Array]] = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "abs": np.abs, "sign": np.sign,
    "relu": lambda v: np.maximum(v, 0.0), "step": lambda v: (np.asarray(v) > 0) * 1.0,
    "sigmoid": lambda v: 1 / (1 + np.exp(-np.asarray(v))),
    "softplus": lambda v: np.log1p(np.exp(np.asarray(v))),
    "sum": np.sum, "norm1": lambda v: np.sum(np.abs(v)),
    "norm2": lambda v: np.sqrt(np.sum(np.square(v))),
    "tr": lambda v: np.trace(v) if np.ndim(v) else v,
    "det": np.linalg.det, "logdet": lambda v: np.log(np.linalg.det(v)),
    "inv": np.linalg.inv, "transpose": lambda v: np.transpose(v),
    "diagm": lambda v: np.diag(np.ravel(v)), "diagv": lambda v: np.diag(v).reshape(-1, 1),
}


def _dims(shape: Shape, sizes: Mapping[object, int]) -> tuple[int, int]:
    def size(d: object) -> int:
        return d if isinstance(d, int) else sizes[d]
    return (1 if shape.rows is None else size(shape.rows),
            1 if shape.cols is None else size(shape.cols))


def evaluate(node: Node, env: Env, sizes: Mapping[object, int]) -> Array:
    """The value of ``node``: a float for scalars, else a 2-D array (vectors (n, 1))."""
    args = [evaluate(a, env, sizes) for a in node.args]
    op = node.op
    if op == "var":
        value = env[node.attrs[0]]
    elif op == "const":
        value = float(node.attrs[0])
    elif op in ("fill", "broadcast"):
        fill = float(node.attrs[0]) if op == "fill" else args[0]
        value = np.full(_dims(node.shape, sizes), fill)
    elif op == "eye":
        value = np.eye(_dims(node.shape, sizes)[0])
    elif op == "add":
        value = sum(args[1:], args[0])
    elif op == "mul":
        value = args[0]
        for a in args[1:]:
            value = value * a if np.ndim(value) == 0 or np.ndim(a) == 0 else value @ a
    elif op == "hadamard":
        value = args[0]
        for a in args[1:]:
            value = value * a
    elif op == "ediv":
        value = args[0] / args[1]
    elif op == "power":
        value = np.power(args[0], args[1])
    elif op == "matpow":
        value = np.linalg.matrix_power(args[0], node.attrs[0])
    else:
        value = _UNARY[op](args[0])
    if node.shape.is_scalar:
        return float(np.asarray(value).reshape(()))
    assert np.shape(value) == _dims(node.shape, sizes), (node, np.shape(value))
    return value


def sample(parsed: Parsed, seed: int = 0) -> tuple[Env, dict[object, int]]:
    """Random values for every variable, respecting declared properties."""
    rng = np.random.default_rng(seed)
    sizes: dict[object, int] = {}
    for v in parsed.variables.values():
        for d in v.shape.dims:
            if not isinstance(d, int) and d not in sizes:
                sizes[d] = int(rng.integers(2, 5))
    for n in parsed.expr.walk():  # eye / vector(c) / matrix(c) of unconstrained size
        for d in n.shape.dims:
            if not isinstance(d, int) and d not in sizes:
                sizes[d] = int(rng.integers(2, 5))
    env: Env = {}
    for name, v in parsed.variables.items():
        props = v.attrs[1]
        r, c = _dims(v.shape, sizes)
        value = rng.normal(size=(r, c))
        if "symmetric" in props:
            value = (value + value.T) / 2
        if "spd" in props:
            value = value @ value.T + r * np.eye(r)
        if "diagonal" in props:
            value = np.diag(np.diag(value))
        if "positive" in props:
            value = np.abs(value) + 0.5
        env[name] = float(value[0, 0]) if v.shape.is_scalar else value
    return env, sizes


SPD = "matrix spd"
# (expression, declarations, the same formula in NumPy on (n, 1) column vectors)
CASES: list[tuple[str, dict[str, str], Callable[[Env], Array]]] = [
    # DESIGN.md and the brief's list
    ("tr(A*X*B*X'*C)", {}, lambda v: np.trace(v["A"] @ v["X"] @ v["B"] @ v["X"].T @ v["C"])),
    ("x'*A*x", {}, lambda v: v["x"].T @ v["A"] @ v["x"]),
    ("norm2(X*w-y)^2", {}, lambda v: np.sum((v["X"] @ v["w"] - v["y"]) ** 2)),
    ("log(det(X))", {"X": SPD}, lambda v: np.log(np.linalg.det(v["X"]))),
    ("sum(log(1 + exp(-y.*(X*w))))", {},
     lambda v: np.sum(np.log(1 + np.exp(-v["y"] * (v["X"] @ v["w"]))))),
    ("exp(x)/sum(exp(x))", {}, lambda v: np.exp(v["x"]) / np.sum(np.exp(v["x"]))),
    ("norm2(X - U*V')^2", {}, lambda v: np.sum((v["X"] - v["U"] @ v["V"].T) ** 2)),
    ("logdet(X) + tr(S*inv(X))", {"X": SPD},
     lambda v: np.log(np.linalg.det(v["X"])) + np.trace(v["S"] @ np.linalg.inv(v["X"]))),
    ("norm2(W2*tanh(W1*x) - y)^2", {},
     lambda v: np.sum((v["W2"] @ np.tanh(v["W1"] @ v["x"]) - v["y"]) ** 2)),
    ("x.^2", {}, lambda v: v["x"] ** 2),
    ("2.^x", {}, lambda v: 2.0 ** v["x"]),
    ("X^-1", {}, lambda v: np.linalg.inv(v["X"])),
    ("-x^2", {"x": "scalar"}, lambda v: -(v["x"] ** 2)),
    ("diag(x)*A", {}, lambda v: np.diag(v["x"].ravel()) @ v["A"]),
    ("diag(A)", {}, lambda v: np.diag(v["A"]).reshape(-1, 1)),
    ("vector(1)'*x", {}, lambda v: np.sum(v["x"])),
    ("eye*X", {}, lambda v: v["X"]),
    ("a/b", {}, lambda v: v["a"] / v["b"]),
    ("x/a", {}, lambda v: v["x"] / v["a"]),
    # precedence and associativity
    ("a - b - c", {}, lambda v: v["a"] - v["b"] - v["c"]),
    ("a/b/c", {}, lambda v: v["a"] / v["b"] / v["c"]),
    ("a/b*c", {}, lambda v: v["a"] / v["b"] * v["c"]),
    ("a - b*c + d", {}, lambda v: v["a"] - v["b"] * v["c"] + v["d"]),
    ("-a^2 + -b", {}, lambda v: -(v["a"] ** 2) - v["b"]),
    ("a^b^c", {"a": "scalar positive", "b": "scalar positive"},
     lambda v: v["a"] ** (v["b"] ** v["c"])),
    ("a^-b^2", {"a": "scalar positive"}, lambda v: v["a"] ** (-(v["b"] ** 2))),
    ("2^-a", {}, lambda v: 2.0 ** -v["a"]),
    ("a - -b", {}, lambda v: v["a"] + v["b"]),
    ("+a*-b", {}, lambda v: -v["a"] * v["b"]),
    ("(A*B)'", {}, lambda v: (v["A"] @ v["B"]).T),
    ("A*B'", {}, lambda v: v["A"] @ v["B"].T),
    ("X''*x", {}, lambda v: v["X"] @ v["x"]),
    ("exp(x)'*y", {}, lambda v: np.exp(v["x"]).T @ v["y"]),
    ("x'*y*z", {}, lambda v: (v["x"].T @ v["y"]).item() * v["z"]),
    ("x*y'*z", {}, lambda v: v["x"] @ v["y"].T @ v["z"]),
    ("x'*y*z'*w", {}, lambda v: (v["x"].T @ v["y"]).item() * (v["z"].T @ v["w"])),
    ("A*(x'*y)", {}, lambda v: v["A"] * (v["x"].T @ v["y"]).item()),
    ("-x'*A*x/2", {}, lambda v: -(v["x"].T @ v["A"] @ v["x"]) / 2),
    # elementwise operators and broadcasting of scalars
    ("1 + exp(x)", {}, lambda v: 1 + np.exp(v["x"])),
    ("x + 1", {}, lambda v: v["x"] + 1),
    ("2 - X", {}, lambda v: 2 - v["X"]),
    ("a - x + b", {}, lambda v: v["a"] - v["x"] + v["b"]),
    ("1 + 2 + x", {}, lambda v: 3 + v["x"]),
    ("x .* y", {}, lambda v: v["x"] * v["y"]),
    ("a .* x", {}, lambda v: v["a"] * v["x"]),
    ("2.*x", {}, lambda v: 2 * v["x"]),
    ("x.*y.*z", {}, lambda v: v["x"] * v["y"] * v["z"]),
    ("x ./ y", {}, lambda v: v["x"] / v["y"]),
    ("1 ./ x", {}, lambda v: 1 / v["x"]),
    ("a ./ X", {}, lambda v: v["a"] / v["X"]),
    ("x ./ 2", {}, lambda v: v["x"] / 2),
    ("a ./ b", {}, lambda v: v["a"] / v["b"]),
    ("x.^y", {"x": "vector positive"}, lambda v: v["x"] ** v["y"]),
    ("a.^x", {"a": "scalar positive"}, lambda v: v["a"] ** v["x"]),
    ("x.^a", {"x": "vector positive"}, lambda v: v["x"] ** v["a"]),
    ("a.^b", {"a": "scalar positive"}, lambda v: v["a"] ** v["b"]),
    ("X.^.5", {"X": "matrix positive"}, lambda v: np.sqrt(v["X"])),
    ("matrix(2).*X", {}, lambda v: 2 * v["X"]),
    ("vector(-1.5)'*x", {}, lambda v: -1.5 * np.sum(v["x"])),
    ("x'*(A + eye)*x", {}, lambda v: v["x"].T @ (v["A"] + np.eye(len(v["A"]))) @ v["x"]),
    ("eye() + 1", {}, lambda v: None),  # only the shape is checked (size unconstrained)
    # matrix powers
    ("X^3", {}, lambda v: v["X"] @ v["X"] @ v["X"]),
    ("X^-2", {}, lambda v: np.linalg.inv(v["X"] @ v["X"])),
    ("X^1", {}, lambda v: v["X"]),
    ("X^0 + X", {}, lambda v: np.eye(len(v["X"])) + v["X"]),
    ("X^(2)", {}, lambda v: v["X"] @ v["X"]),
    # functions
    ("sum(X)", {}, lambda v: np.sum(v["X"])),
    ("norm1(x)", {}, lambda v: np.sum(np.abs(v["x"]))),
    ("norm2(X)", {}, lambda v: np.linalg.norm(v["X"])),
    ("tr(a)", {}, lambda v: v["a"]),
    ("det(X)", {}, lambda v: np.linalg.det(v["X"])),
    ("inv(3*eye + A*A')", {}, lambda v: np.linalg.inv(3 * np.eye(len(v["A"]))
                                                      + v["A"] @ v["A"].T)),
    ("relu(x) + step(x) + sign(x) + abs(x)", {},
     lambda v: np.maximum(v["x"], 0) + (v["x"] > 0) + np.sign(v["x"]) + np.abs(v["x"])),
    ("sigmoid(x) + softplus(W*x) + trace(W).*x.'*x", {"W": "matrix(n, n)"},
     lambda v: (1 / (1 + np.exp(-v["x"])) + np.log1p(np.exp(v["W"] @ v["x"]))
                + np.trace(v["W"]) * (v["x"].T @ v["x"]))),
    ("sin(x) + cos(x) + tan(x) + sinh(x) + cosh(x)", {},
     lambda v: sum(f(v["x"]) for f in (np.sin, np.cos, np.tan, np.sinh, np.cosh))),
    ("arcsin(tanh(x)) + arccos(tanh(x)) + arctan(x)", {},
     lambda v: np.arcsin(np.tanh(v["x"])) + np.arccos(np.tanh(v["x"])) + np.arctan(v["x"])),
    ("sqrt(x) + log(x)", {"x": "vector positive"}, lambda v: np.sqrt(v["x"]) + np.log(v["x"])),
    ("diag(diag(x))", {}, lambda v: v["x"]),
    ("diag(X)'*y", {}, lambda v: np.diag(v["X"]) @ v["y"]),
    # numbers
    ("0.5*a + .25 + 1e2 + 2.5E-1", {}, lambda v: 0.5 * v["a"] + 0.25 + 100 + 0.25),
    ("3*a^2 - a/b + 2", {}, lambda v: 3 * v["a"] ** 2 - v["a"] / v["b"] + 2),
    # Greek names are scalars; whitespace is ignored
    ("lambda*x + mu", {}, lambda v: v["lambda"] * v["x"] + v["mu"]),
    (" x ' *\tA\n* x ", {}, lambda v: v["x"].T @ v["A"] @ v["x"]),
]


@pytest.mark.parametrize(("text", "declare", "reference"), CASES, ids=[c[0] for c in CASES])
def test_value_matches_numpy(text: str, declare: dict[str, str],
                             reference: Callable[[Env], Array]) -> None:
    parsed = parse(text, declare)
    for seed in (0, 1):
        env, sizes = sample(parsed, seed)
        got = evaluate(parsed.expr, env, sizes)
        expected = reference(env)
        if expected is None:
            continue
        np.testing.assert_allclose(np.ravel(got), np.ravel(expected), rtol=1e-10)
        assert np.size(got) == np.size(expected)


# --- shapes -----------------------------------------------------------------------

SHAPES: list[tuple[str, dict[str, str], str]] = [
    ("tr(A*X*B*X'*C)", {}, "scalar"),
    ("x'*A*x", {}, "scalar"),
    ("norm2(X*w-y)^2", {}, "scalar"),
    ("log(det(X))", {}, "scalar"),
    ("sum(log(1 + exp(-y.*(X*w))))", {}, "scalar"),
    ("exp(x)/sum(exp(x))", {}, "vector(len(x))"),
    ("norm2(X - U*V')^2", {}, "scalar"),
    ("logdet(X) + tr(S*inv(X))", {}, "scalar"),
    ("norm2(W2*tanh(W1*x) - y)^2", {}, "scalar"),
    ("x.^2", {}, "vector(len(x))"),
    ("2.^x", {}, "vector(len(x))"),
    ("X^-1", {}, "matrix(rows(X), rows(X))"),
    ("-x^2", {"x": "scalar"}, "scalar"),
    ("-a^2", {}, "scalar"),
    ("diag(x)*A", {}, "matrix(rows(A), cols(A))"),
    ("diag(A)", {}, "vector(rows(A))"),
    ("vector(1)'*x", {}, "scalar"),
    ("eye*X", {}, "matrix(rows(X), cols(X))"),
    ("a/b", {}, "scalar"),
    ("x/a", {}, "vector(len(x))"),
    ("x'", {}, "row vector(len(x))"),
    ("x*y'", {}, "matrix(len(x), len(y))"),
    ("x'*y", {}, "scalar"),
    ("A*x", {"A": "matrix(m, n)"}, "vector(m)"),
    ("x'*A", {"A": "matrix(m, n)"}, "row vector(n)"),
    ("A*B*C", {"A": "matrix(2, k)", "C": "matrix(j, 3)"}, "matrix(2, 3)"),
    ("tr(X)", {"X": "matrix(n, n)"}, "scalar"),
    ("X*Y", {"X": "matrix(m, n)", "Y": "matrix(n, p)"}, "matrix(m, p)"),
    ("x + y", {"y": "vector(4)"}, "vector(4)"),
    ("sum(x) + 1", {}, "scalar"),
    ("exp(X)", {}, "matrix(rows(X), cols(X))"),
    ("x'*y*z", {}, "vector(len(z))"),
    ("matrix(0)", {}, "matrix(rows(matrix at column 1), cols(matrix at column 1))"),
    ("2*vector(3)", {}, "vector(len(vector at column 3))"),
    ("eye", {}, "matrix(size(eye at column 1), size(eye at column 1))"),
    ("x + eye()*x", {}, "vector(len(x))"),
    ("S", {"S": "symmetric"}, "matrix(rows(S), rows(S))"),
    ("q", {"q": "vector"}, "vector(len(q))"),
    ("a", {"a": "matrix(3, 3) spd"}, "matrix(3, 3)"),
]


@pytest.mark.parametrize(("text", "declare", "shape"), SHAPES, ids=[c[0] for c in SHAPES])
def test_shape(text: str, declare: dict[str, str], shape: str) -> None:
    assert str(parse(text, declare).expr.shape) == shape


def test_dimension_inference_through_a_product() -> None:
    p = parse("A*x", ["A: matrix(m,n)"])
    assert p.variables["x"].shape == Shape("n", None)
    assert p.expr.shape == Shape("m", None)


def test_inferred_dimension_holds_at_every_occurrence() -> None:
    # x is used before A fixes its length: pass 2 builds with the solved dimension.
    p = parse("x'*A*x + sum(x)", ["A: matrix(n,n)"])
    assert p.variables["x"].shape == Shape("n", None)
    assert {n.shape for n in p.expr.walk() if n.op == "var" and n.attrs[0] == "x"} == {
        Shape("n", None)}


def test_unconstrained_dimensions_keep_their_labels() -> None:
    p = parse("X*y")
    assert p.variables["X"].shape == Shape("rows(X)", "cols(X)")
    assert p.variables["y"].shape == Shape("cols(X)", None)
    assert parse("trace_free").variables["trace_free"].shape == Shape("len(trace_free)", None)


def test_labels_do_not_depend_on_the_order_of_the_text() -> None:
    # A printed derivative mentions the variables in another order; it must read back
    # to the same interned nodes.
    first = parse("x'*A*x").variables
    again = parse("A*x + A'*x").variables
    assert first["x"] is again["x"] and first["A"] is again["A"]


def test_unrelated_unknowns_do_not_share_a_label() -> None:
    p = parse("vector(1)'*vector(2)")  # both lengths unified, one label survives
    assert p.expr.shape.is_scalar
    q = parse("eye + 0*eye")
    assert q.expr.shape.rows == "size(eye@1)"
    sizes = {n.shape.rows for n in parse("sum(eye) + sum(eye)").expr.walk() if n.op == "eye"}
    assert sizes == {"size(eye@5)", "size(eye@16)"}


# --- structure fixed by the brief -------------------------------------------------

def test_flat_sums_and_products() -> None:
    assert len(parse("a + b + c - d").expr.args) == 4
    assert parse("A*B*C*D").expr.op == "mul" and len(parse("A*B*C*D").expr.args) == 4
    assert parse("x.*y.*z").expr.op == "hadamard" and len(parse("x.*y.*z").expr.args) == 3


def test_unary_minus_binds_looser_than_power() -> None:
    e = parse("-a^2").expr
    assert e.op == "mul" and e.args[0] is b.const(-1) and e.args[1].op == "power"


def test_negative_literals_are_numbers() -> None:
    assert parse("-2").expr is b.const(-2)
    assert parse("--2").expr is b.const(2)
    p = parse("a^-1")
    assert p.expr is b.power(p.variables["a"], b.const(-1))


def test_matrix_power_and_its_special_exponents() -> None:
    x = parse("X^-1").variables["X"]
    assert parse("X^-1").expr is b.matpow(x, -1)
    assert parse("X^1").expr is x
    assert parse("X^0").expr is b.eye("rows(X)")
    assert parse("X^16").expr.attrs == (16,)


def test_log_det_is_not_rewritten() -> None:
    e = parse("log(det(X))").expr
    assert e.op == "log" and e.args[0].op == "det"


def test_diag_dispatches_on_the_kind() -> None:
    assert parse("diag(x)").expr.op == "diagm"
    assert parse("diag(A)").expr.op == "diagv"


def test_division_and_broadcasting_use_the_builders() -> None:
    p = parse("x/a")
    x, a = p.variables["x"], p.variables["a"]
    assert p.expr is b.mul(x, b.power(a, b.const(-1)))
    assert parse("x.^2").expr is b.power(x, b.fill(2, x.shape))
    assert parse("1 + x").expr is b.add(b.fill(1, x.shape), x)
    # a declared scalar is broadcast as written (an undeclared a would be a vector there)
    assert parse("a + x", ["a: scalar"]).expr is b.add(b.broadcast(a, x.shape), x)
    assert parse("x - a", ["a: scalar"]).expr is b.sub(x, b.broadcast(a, x.shape))
    assert parse("a .* x").expr is b.mul(a, x)


def test_numbers_are_exact() -> None:
    assert parse("0.5").expr is b.const(Fraction(1, 2))
    assert parse(".1").expr is b.const(Fraction(1, 10))
    assert parse("1.25e-1").expr is b.const(Fraction(1, 8))
    assert parse("1E2").expr is b.const(100)
    big = "9" * 100
    assert parse(big).expr is b.const(int(big))
    assert parse("1e300").expr is b.const(10 ** 300)
    assert parse("1e-300").expr is b.const(Fraction(1, 10 ** 300))
    assert parse("1e" + "0" * 5000 + "1").expr is b.const(10)  # leading zeros are no size


def test_variables_in_order_of_first_appearance() -> None:
    p = parse("y'*B*x + a*sum(y) + tr(B)")
    assert list(p.variables) == ["y", "B", "x", "a"]
    assert all(v.op == "var" for v in p.variables.values())
    assert p.source == "y'*B*x + a*sum(y) + tr(B)"
    assert p.declared == {}


def test_properties_go_into_the_variable() -> None:
    p = parse("x'*S*x + sum(D) + sum(y)",
              {"S": "matrix(n,n) spd", "D": "diagonal positive", "y": "vector(n)"})
    assert p.variables["S"].attrs[1] == frozenset({"spd", "symmetric"})
    assert p.variables["D"].attrs[1] == frozenset({"diagonal", "positive"})
    assert p.variables["D"].shape.rows == p.variables["D"].shape.cols
    assert p.variables["y"].attrs[1] == frozenset()
    assert p.variables["x"].shape == Shape("n", None)


def test_parse_is_interned() -> None:
    assert parse("x'*A*x").expr is parse(" x' * A * x ").expr
    assert parse("(x'*A)*x").expr is parse("x'*(A*x)").expr  # products are flattened


def test_long_flat_input_is_fast() -> None:
    parse("x")
    text = "x'*x + " * 1400 + "a"
    assert len(text) < 10_000
    start = time.perf_counter()
    e = parse(text).expr
    assert time.perf_counter() - start < 10.0  # a bound against blow-ups, not a speed goal
    assert e.op == "add" and len(e.args) == 1401
    start = time.perf_counter()
    e = parse("A*" * 4000 + "A").expr
    assert time.perf_counter() - start < 10.0
    assert e.op == "mul" and len(e.args) == 4001


def test_long_scalar_product_chain_keeps_grouping() -> None:
    # x'*y*z*... is ((x'*y)*z)*...: each scalar product stays one grouped factor.
    text = "x'*y*" * 300 + "a"
    p = parse(text)
    env, sizes = sample(p)
    expected = (env["x"].T @ env["y"]).item() ** 300 * env["a"]
    assert evaluate(p.expr, env, sizes) == pytest.approx(expected)


def test_nesting_up_to_the_limit_parses() -> None:
    assert parse("(" * 100 + "x" + ")" * 100).expr is parse("x").expr
    assert parse("-" * 100 + "a").expr.shape.is_scalar
    assert parse("exp(" * 100 + "x" + ")" * 100).expr.op == "exp"
    assert parse("x" + "'" * 100).expr.shape.kind == "vector"
    assert parse("a" + "^a" * 100).expr.op == "power"
    mixed = "(-exp(" * 33 + "x" + "))" * 33  # depth 99
    assert parse(mixed).expr.shape.kind == "vector"


# --- flat chains build exactly what pairwise builder calls build ------------------

_CHAIN_DECLARE = ["a: scalar", "b: scalar", "x: vector(n)", "y: vector(n)", "A: matrix(n, n)",
                  "B: matrix(n, n)"]
_FACTORS = ["a", "2", "x", "y", "x'", "y'", "A", "B'", "(x'*y)", "(x*y')", "(a*b)", "(A*B)"]


def _read(text: str) -> Node | type[Exception]:
    try:
        return parse(text, _CHAIN_DECLARE).expr
    except MatdiffError as e:
        return type(e)


_LEVEL = st.sampled_from([["*", "/", ".*", "./"], ["+", "-"]])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_flat_chain_equals_pairwise_building(data: st.DataObject) -> None:
    # "a op b op c" (one flat chain, folded in linear time) against "((a op b) op c)"
    # (nested chains of two operands: one builder call each): the same interned IR, or
    # the same kind of error.
    operators = data.draw(_LEVEL)
    operands = data.draw(st.lists(st.sampled_from(_FACTORS), min_size=2, max_size=8))
    ops = data.draw(st.lists(st.sampled_from(operators), min_size=len(operands) - 1,
                             max_size=len(operands) - 1))
    steps = list(zip(ops, operands[1:], strict=True))
    flat = operands[0] + "".join(f" {op} {o}" for op, o in steps)
    nested = "(" * len(steps) + operands[0] + "".join(f" {op} {o})" for op, o in steps)
    assert _read(flat) is _read(nested), (flat, nested)
