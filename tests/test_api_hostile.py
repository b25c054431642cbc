"""Hostile calls of the Python API: every public entry point refuses a bad argument with
matdiff's own error and a message that names the problem (never a TypeError, ValueError,
OverflowError, AttributeError, LinAlgError, MemoryError from below).

The table is generated per entry point x argument x bad value, so a new entry point or
argument is one line.  Each case gives the call and a word the message must contain
(the argument's name, or what is wrong)."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np
import pytest

import matdiff
from matdiff.api import describe_expression
from matdiff.errors import MatdiffError

NAN, INF = float("nan"), float("inf")

# Values no argument of matdiff accepts in place of text, names, flags or numbers.
JUNK: list[Any] = [None, 5, 1.5, True, b"x", object(), {1, 2}, 1j, NAN]
NOT_TEXT: list[Any] = [v for v in JUNK if v is not None] + [["x"], ("x",), {"x": 1}]
NOT_INT: list[Any] = ["a", "2", 1.5, 2.0, True, False, None, [1], NAN, INF, 1j, object()]
NOT_FLAG: list[Any] = [1, 0, "yes", "True", None, 1.0, [True], object()]
NOT_REAL_POSITIVE: list[Any] = [0, -1, 0.0, -1e-9, NAN, INF, -INF, "1e-6", None, True,
                                [1e-6], 1j]
BAD_DECLARE: list[Any] = [5, 1.5, True, object(), [5], [None], ["x: vector(n)", 3],
                          {"x": 5}, {5: "vector(n)"}, {"x": None}, ("x: vector(n)", b"y"),
                          b"x: vector(n)", ["x: vector(n"], ["x: tensor(3)"],
                          ["x: vector(n)", "x: vector(m)"], ["sum: scalar"]]
# Array values that are not real numbers (or not finite): for evaluate/at/compiled calls.
BAD_ARRAYS: list[Any] = ["ab", "1", None, object(), [1, "a"], [[1, 2], [3]], [NAN, 1.0],
                         [INF, 1.0], [1e400, 1.0], np.array([1 + 2j, 1.0]), {"a": 1},
                         np.array(["1", "2"]), [None, 1.0], [10**400, 1], [True, "1"]]
BAD_SIZES: list[Any] = [{"n": -1}, {"n": 0}, {"n": 1.5}, {"n": "3"}, {"n": True},
                        {"n": 10**12}, {"n": 10**30}, {"n": NAN}, 5, "n=3", [3]]


@cache
def quadratic() -> matdiff.Derivative:
    return matdiff.derivative("x'*A*x", "x")


@cache
def hessian() -> matdiff.Derivative:
    return matdiff.derivative("x'*A*x", ["x", "x"])


@cache
def index_form() -> matdiff.Derivative:
    return matdiff.derivative("A*X*B", "X")


@cache
def inverse() -> matdiff.Derivative:
    return matdiff.derivative("sum(inv(X)*x)", "x")


POINT = {"x": np.ones(2), "A": np.eye(2)}

Case = tuple[str, Callable[[], Any], str]
CASES: list[Case] = []


def case(label: str, needle: str = "") -> Callable[[Callable[[], Any]], None]:
    def add(fn: Callable[[], Any]) -> None:
        CASES.append((label, fn, needle))
    return add


def bad(label: str, fn: Callable[[Any], Any], values: list[Any], needle: str = "") -> None:
    """One case per value: ``fn(value)`` must raise a MatdiffError."""
    for k, v in enumerate(values):
        CASES.append((f"{label}[{k}:{type(v).__name__}]", lambda v=v: fn(v), needle))


# --- derivative(expr, wrt, declare, layout, symmetric_gradient, order) ------------------
bad("derivative.expr", lambda v: matdiff.derivative(v, "x"), [*NOT_TEXT, None], "expr")
bad("derivative.wrt", lambda v: matdiff.derivative("x'*x", v),
    [5, None, 1.5, True, b"x", object(), {"x"}, [1], [None], ["x", 2], ("x", None), {"x": 1}],
    "wrt")
bad("derivative.wrt-value", lambda v: matdiff.derivative("x'*x", v),
    ["", "   ", "y", "x y", "sum", [], ["x", "q"], "x,", "X"])
bad("derivative.declare", lambda v: matdiff.derivative("x'*x", "x", declare=v), BAD_DECLARE)
bad("derivative.layout", lambda v: matdiff.derivative("x'*x", "x", layout=v),
    [5, None, [], "Mixed", "row", True, b"mixed", "numerator "], "layout")
bad("derivative.symmetric_gradient",
    lambda v: matdiff.derivative("x'*x", "x", symmetric_gradient=v),
    [5, None, [], "Cookbook", "sym", True], "symmetric_gradient")
bad("derivative.order", lambda v: matdiff.derivative("x'*x", "x", order=v),
    [*(v for v in NOT_INT if v is not None), 0, -1, -(10**30), 9, 10**30,
     99999999999999999999, 2**63], "order")
bad("derivative.order-with-list", lambda v: matdiff.derivative("x'*x", ["x", "x"], order=v),
    [1, 2, 3])
bad("derivative.keyword", lambda v: matdiff.derivative("x'*x", "x", **{v: 1}),
    ["foo", "Layout", "wrt_", "declarations", "variable", "orders", "backend"],
    "unexpected keyword")
bad("derivative.positional", lambda v: matdiff.derivative("x'*x", "x", None, "mixed",
                                                           "symmetrized", None, v),
    [1, "x"], "positional")
case("derivative.no-args", "missing")(lambda: matdiff.derivative())  # type: ignore[call-arg]
case("derivative.no-wrt", "wrt")(lambda: matdiff.derivative("x'*x"))  # type: ignore[call-arg]

# --- describe_expression, generate_module ----------------------------------------------
bad("describe_expression.expr", lambda v: describe_expression(v), NOT_TEXT, "expr")
bad("describe_expression.declare", lambda v: describe_expression("x'*x", v), BAD_DECLARE)
bad("generate_module.expr", lambda v: matdiff.generate_module(v, "x"), NOT_TEXT, "expr")
bad("generate_module.wrt", lambda v: matdiff.generate_module("x'*x", v),
    [5, None, ["x"], ("x",), b"x", object()], "wrt")
bad("generate_module.backend", lambda v: matdiff.generate_module("x'*x", "x", backend=v),
    [5, None, "tensorflow", "NumPy", "", ["numpy"], object()], "backend")
bad("generate_module.hessian", lambda v: matdiff.generate_module("x'*x", "x", hessian=v),
    NOT_FLAG, "hessian")
bad("generate_module.declare",
    lambda v: matdiff.generate_module("x'*x", "x", declare=v), BAD_DECLARE)
bad("generate_module.keyword", lambda v: matdiff.generate_module("x'*x", "x", **{v: 1}),
    ["layout", "order", "hvp", "foo"], "unexpected keyword")

# --- Derivative methods -------------------------------------------------------------------
for name, d in (("quadratic", quadratic), ("hessian", hessian), ("index", index_form)):
    bad(f"{name}.code", lambda v, d=d: d().code(v),
        [5, None, "tensorflow", "", ["numpy"], object(), True], "backend")
    bad(f"{name}.compile.backend", lambda v, d=d: d().compile(v),
        [5, None, "tensorflow", "", ["numpy"], object(), True], "backend")
    bad(f"{name}.compile.hvp", lambda v, d=d: d().compile(hvp=v), NOT_FLAG, "hvp")
    bad(f"{name}.compile.factored", lambda v, d=d: d().compile(factored=v), NOT_FLAG,
        "factored")
    bad(f"{name}.compile.keyword", lambda v, d=d: d().compile(**{v: True}),
        ["jit", "Hvp", "dense"], "unexpected keyword")
    bad(f"{name}.check.seed", lambda v, d=d: d().check(seed=v),
        [*NOT_INT, -1, 2 ** 64, -10 ** 30], "seed")
    bad(f"{name}.check.points", lambda v, d=d: d().check(points=v),
        [*NOT_INT, -1, 10 ** 9, 10 ** 30], "points")
    bad(f"{name}.check.tolerance", lambda v, d=d: d().check(tolerance=v),
        NOT_REAL_POSITIVE, "tolerance")
    bad(f"{name}.check.keyword", lambda v, d=d: d().check(**{v: 1}),
        ["n", "samples", "tol"], "unexpected keyword")
    bad(f"{name}.derivation.method", lambda v, d=d: d().derivation(v),
        [5, None, "foo", "", [], object(), "Limit"], "method")
    bad(f"{name}.derivation.lang", lambda v, d=d: d().derivation(lang=v),
        [5, None, "fr", "", [], object(), "EN"], "lang")
    bad(f"{name}.evaluate.env", lambda v, d=d: d().evaluate(v),
        [5, None, [1, 2], "x", (1, 2), {1: 2}, {None: 1}, object()], "env")
    bad(f"{name}.at.positional", lambda v, d=d: d().at(v),
        [[1, 2], (1, 2), 5, "x", np.ones(2), {1: 2}], "values")

for label, values in (("x", BAD_ARRAYS), ("A", BAD_ARRAYS)):
    bad(f"quadratic.at.{label}", lambda v, k=label: quadratic().at({**POINT, k: v}), values,
        label)
    bad(f"quadratic.evaluate.{label}", lambda v, k=label: quadratic().evaluate({**POINT, k: v}),
        values, label)
    bad(f"quadratic.numpy-call.{label}",
        lambda v, k=label: quadratic().compile("numpy")(**{**POINT, k: v}), values, label)
    bad(f"quadratic.torch-call.{label}",
        lambda v, k=label: quadratic().compile("torch")(**{**POINT, k: v}), values, label)
    bad(f"quadratic.jax-call.{label}",
        lambda v, k=label: quadratic().compile("jax")(**{**POINT, k: v}), values, label)
bad("quadratic.evaluate.sizes", lambda v: quadratic().evaluate(POINT, sizes=v), BAD_SIZES,
    "sizes")
bad("quadratic.at.shapes", lambda v: quadratic().at(x=v, A=np.eye(2)),
    [np.ones(3), np.ones((2, 1)), 1.0, np.ones((2, 2)), [], [[1, 2]]], "x")
bad("quadratic.at.names", lambda v: quadratic().at({**POINT, **v}),
    [{"y": 1}, {"a": 1}, {"X": np.eye(2)}], "not a variable")
case("quadratic.at.missing", "no value")(lambda: quadratic().at(x=np.ones(2)))
bad("quadratic.compiled.shapes", lambda v: quadratic().compile()(x=v, A=np.eye(2)),
    [np.ones(3), np.ones((2, 1)), 1.0, np.ones((2, 2, 2))], "x")
bad("quadratic.compiled.names", lambda v: quadratic().compile()(**{**POINT, **v}),
    [{"y": 1}, {"x_": 1}], "unknown")
bad("quadratic.compiled.positional", lambda v: quadratic().compile()(v, **POINT),
    [1, np.ones(2)], "positional")
bad("quadratic.compiled.source", lambda v: quadratic().compile().source(**v),
    [{"x": (2,)}, {"x": 2, "A": (2, 2)}, {"x": (2,), "A": "a"}, {"x": (2,), "A": (2, -1)},
     {"x": (2,), "A": (2, 2.0)}, {"x": (2,), "A": (2, 3)}, {"x": (2,), "A": (2, 2), "y": ()},
     {"x": (2,), "A": (2, 2, 2)}, {"x": (10**30,), "A": (2, 2)}])
bad("hessian.hvp.direction",
    lambda v: hessian().compile(hvp=True)(v, **POINT), [*BAD_ARRAYS, np.ones(3)], "dx")
for backend in ("numpy", "torch", "jax"):
    case(f"inverse.{backend}.singular", "singular|not defined")(
        lambda be=backend: inverse().compile(be)(x=np.ones(2), X=np.zeros((2, 2))))
case("inverse.at.singular", "undefined|singular")(
    lambda: inverse().at(x=np.ones(2), X=np.zeros((2, 2))))
case("log.at.undefined", "undefined|not defined")(
    lambda: matdiff.derivative("sum(log(x))", "x").at(x=[0.0, 2.0]))
case("log.compiled.undefined", "not defined")(
    lambda: matdiff.derivative("sum(log(x))", "x").compile()(x=np.array([0.0, 2.0])))

bad("Options", lambda v: matdiff.Options(*v),
    [(5,), ("rows",), ("mixed", "sym"), (None, None), ([],)], "layout|symmetric_gradient")
KRON = {"A": np.eye(2), "B": np.eye(3), "X": np.ones((2, 3))}
bad("index.factored.apply",
    lambda v: index_form().compile(factored=True)(**KRON).apply(v),
    [*BAD_ARRAYS, np.ones(5), np.ones((3, 2)), np.ones((2, 3, 1))])

# --- huge sizes: refused before anything is allocated ----------------------------------
for decl in ("x: vector(999999999)", "x: vector(100000)", "X: matrix(100000, 100000)"):
    var = decl[0]
    expr = "x'*x" if var == "x" else "tr(X'*X)"
    bad(f"huge.check[{decl}]", lambda v, e=expr, dd=decl, w=var: matdiff.derivative(
        e, w, declare=[dd]).check(points=v), [1, 3], "limit")
case("huge.hessian-check", "limit")(lambda: matdiff.derivative(
    "x'*A*x", ["x", "x"], declare=["x: vector(5000)"]).check())
case("huge.third-order-evaluate", "entries")(lambda: matdiff.derivative(
    "x'*A*x", ["x", "x", "x"], declare=["x: vector(300)"]).evaluate(
        {"x": np.ones(300), "A": np.ones((300, 300))}))
case("huge.evaluate-sizes", "too large")(
    lambda: matdiff.derivative("sum(x)", "x").evaluate({"x": [1.0, 2.0]}, sizes={"n": 10**9}))

# --- identity, gradient, solve, tangent, to_sympy, from_sympy ----------------------------
bad("identity.lhs", lambda v: matdiff.identity(v, "x"), NOT_TEXT, "lhs")
bad("identity.rhs", lambda v: matdiff.identity("x", v), NOT_TEXT, "rhs")
bad("identity.declare", lambda v: matdiff.identity("x", "x", declare=v), BAD_DECLARE)
bad("identity.seed", lambda v: matdiff.identity("x", "x", seed=v), [*NOT_INT, -1], "seed")
bad("identity.points", lambda v: matdiff.identity("x", "x", points=v),
    [*NOT_INT, 0, -1, 10 ** 9], "points")
bad("identity.keyword", lambda v: matdiff.identity("x", "x", **{v: 1}), ["wrt", "tol"],
    "unexpected keyword")
bad("gradient.expr", lambda v: matdiff.gradient(v, "x"), NOT_TEXT, "expr")
bad("gradient.wrt", lambda v: matdiff.gradient("x'*x", v),
    [5, None, [1], object(), b"x", 1.5], "wrt")
bad("gradient.declare", lambda v: matdiff.gradient("x'*x", "x", declare=v), BAD_DECLARE)
bad("gradient.layout", lambda v: matdiff.gradient("x'*x", "x", layout=v),
    [5, None, "rows", []], "layout")
bad("gradient.at", lambda v: matdiff.gradient("x^2 + y^2", "x,y",
                                              declare=["x: scalar", "y: scalar"]).at(v),
    [[1, 2], 5, "x=1", (1, 2)], "values")
bad("solve.expr", lambda v: matdiff.solve(v, "w"), NOT_TEXT, "expr")
bad("solve.wrt", lambda v: matdiff.solve("norm2(X*w - y)^2", v),
    [5, None, ["w"], object(), b"w", 1.5], "wrt")
bad("solve.declare", lambda v: matdiff.solve("norm2(X*w - y)^2", "w", declare=v),
    BAD_DECLARE)
bad("solve.seed", lambda v: matdiff.solve("norm2(X*w - y)^2", "w", seed=v),
    [*NOT_INT, -1], "seed")
SPHERE = "x^2 + y^2 + z^2 = 30"
bad("tangent.equation", lambda v: matdiff.tangent(v, [1, -2, 5]), NOT_TEXT, "equation")
bad("tangent.at", lambda v: matdiff.tangent(SPHERE, v),
    [None, 5, 1.5, object(), b"1,2,3", [NAN, -2, 5], [INF, -2, 5], [1, -INF, 5],
     [True, -2, 5], [1j, -2, 5], [None, -2, 5], [[1], [2], [3]], [1, object(), 5],
     {"x": NAN, "y": -2, "z": 5}, {1: 1}, "abc", "1,,2"])
bad("tangent.declare", lambda v: matdiff.tangent(SPHERE, [1, -2, 5], declare=v), BAD_DECLARE)
bad("tangent.coordinates", lambda v: matdiff.tangent(SPHERE, [1, -2, 5], coordinates=v),
    ["xyz", 5, [1, 2, 3], [None], object()], "coordinates")
bad("to_sympy.expr", lambda v: matdiff.to_sympy(v), NOT_TEXT, "expr")
bad("to_sympy.declare", lambda v: matdiff.to_sympy("x'*x", v), BAD_DECLARE)
bad("from_sympy.e", lambda v: matdiff.from_sympy(v),
    [5, "x", None, object(), 1.5, [1], Fraction(1, 3)])


def test_the_table_is_large() -> None:
    assert len(CASES) >= 400, len(CASES)


@pytest.mark.parametrize(("label", "call", "needle"), CASES, ids=[c[0] for c in CASES])
def test_hostile_call_raises_matdiff_error(label: str, call: Callable[[], Any],
                                           needle: str) -> None:
    with pytest.raises(MatdiffError) as info:
        call()
    message = info.value.message
    assert len(message) > 15 and "Traceback" not in message, message
    if needle:
        import re
        assert re.search(needle, str(info.value), re.IGNORECASE), (needle, str(info.value))


# --- and the legal calls those errors border on work ---------------------------------------

def test_array_likes_are_accepted_everywhere() -> None:
    """Lists, tuples, ints and NumPy arrays are accepted by .at, .evaluate and every
    compiled backend alike, with the same value."""
    d = quadratic()
    expected = np.array([2.0, 4.0])
    for x, a in (([1, 2], [[1, 0], [0, 1]]), ((1.0, 2.0), ((1, 0), (0, 1))),
                 (np.array([1, 2]), np.eye(2, dtype=int))):
        assert np.allclose(d.at(x=x, A=a), expected)
        assert np.allclose(d.evaluate({"x": x, "A": a}), expected)
        for backend in ("numpy", "jax", "torch"):
            out = d.compile(backend)(x=x, A=a)
            assert np.allclose(np.asarray(out), expected), backend


def test_python_spelling_is_accepted_by_compiled() -> None:
    d = matdiff.derivative("lambda*x'*x", "x")
    c = d.compile()
    x = np.array([1.0, 2.0])
    assert np.allclose(c(x=x, **{"lambda": 3.0}), 6 * x)
    assert np.allclose(c(x=x, lambda_=3.0), 6 * x)


def test_an_absent_variable_has_a_zero_derivative_of_its_shape() -> None:
    for wrt, declare, shape in (("u", ["u: vector(n)"], (4,)),
                                (["u", "u"], ["u: vector(n)"], (4, 4)),
                                ("U", ["U: matrix(m, k)"], (4, 5)),
                                (["sigma", "u"], ["u: vector(n)"], (4,))):
        d = matdiff.derivative("sum(sigma)*sigma", wrt, declare=declare)
        env: dict[str, Any] = {"sigma": 0.5, "u": np.ones(4), "U": np.ones((4, 5))}
        env = {k: v for k, v in env.items() if k in d.variables}
        value = d.at(env)
        assert value.shape == shape
        if wrt != ["sigma", "u"]:
            assert not value.any()
        assert np.array_equal(d.evaluate(env), value)
        for backend in ("numpy", "jax", "torch"):
            assert np.allclose(np.asarray(d.compile(backend)(**env)), value)
        namespace = {"np": np, **env}
        assert np.allclose(eval(d.numpy, namespace), value)
        assert d.check()


def test_a_finite_answer_is_returned_unchanged() -> None:
    d = matdiff.derivative("sum(log(x))", "x")
    assert np.allclose(d.at(x=[1.0, 2.0]), [1.0, 0.5])
    assert math.isfinite(float(matdiff.derivative("a^2", "a").at(a=3)))
