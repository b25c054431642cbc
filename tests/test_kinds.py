"""Every kind and order of derivative (issue 3): the nine kinds, Hessians and higher
tensors, the layouts of seed 003, symmetric variables, and the printed forms.

Values are checked against finite differences (``Derivative.check``, which compares each
order with central differences of the order below), and the generated NumPy code is
evaluated and compared with the evaluator at random points.
"""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.errors import OptionError
from matdiff.parse import parse
from matdiff.simplify import present, simplify
from matdiff.testing import choose_sizes, sample_point

M = {"A": "matrix(m,n)", "B": "matrix(p,q)", "x": "vector(n)", "y": "vector(m)",
     "X": "matrix(n,p)", "a": "scalar", "t": "scalar"}
NINE_KINDS: list[tuple[str, str, str]] = [
    # (kind, expression, variable) -- f kind by variable kind
    ("scalar by scalar", "sin(t)*t^2", "t"),
    ("scalar by vector", "y'*A*x", "x"),
    ("scalar by matrix", "y'*A*X*z", "X"),
    ("vector by scalar", "exp(t*x)", "t"),
    ("vector by vector", "A*tanh(x)", "x"),
    ("vector by matrix", "X'*x", "X"),
    ("matrix by scalar", "t*A + t^2*A", "t"),
    ("matrix by vector", "x*x'", "x"),
    ("matrix by matrix", "A*X*X'", "X"),
]


def _numpy_value(d: matdiff.Derivative, seed: int = 1) -> tuple[np.ndarray, np.ndarray, dict]:
    rng = np.random.default_rng(seed)
    sizes = choose_sizes([d.function, *d.variables.values()], rng)
    env = sample_point(d.function, d.variables, sizes, rng)
    code_value = np.asarray(eval(d.numpy, {"np": np, **env}), dtype=float)
    return code_value, d.evaluate(env), sizes


@pytest.mark.parametrize(("kind", "expr", "wrt"), NINE_KINDS, ids=[k[0] for k in NINE_KINDS])
def test_nine_kinds(kind: str, expr: str, wrt: str) -> None:
    d = matdiff.derivative(expr, wrt, declare=M)
    assert d.kind == kind
    check = d.check(points=2)
    assert check.ok, f"d({expr})/d{wrt} = {d.text}: {check}"
    code_value, value, sizes = _numpy_value(d)
    expected_shape = tuple(sizes[x] for x in d.function.shape.dims + d.variable.shape.dims)
    assert value.shape == expected_shape
    assert code_value.shape == expected_shape
    np.testing.assert_allclose(code_value, value, rtol=1e-10, atol=1e-12)


HIGHER: list[tuple[str, list[str], dict[str, str]]] = [
    ("x'*A*x", ["x", "x"], {"A": "matrix(n,n)"}),
    ("sum(log(1 + exp(-y.*(X*w))))", ["w", "w"], {}),
    ("tr(X'*A*X)", ["X", "X"], {}),
    ("log(det(X))", ["X", "X"], {}),
    ("x'*A*y", ["x", "y"], {}),
    ("sum(exp(x))^2", ["x", "x", "x"], {}),
    ("tr(X*X*X)", ["X", "X"], {}),
    ("norm2(W2*tanh(W1*x) - y)^2", ["W1", "W1"], {}),
    ("tanh(A*x)", ["x", "x"], {}),
    ("X*X", ["X", "X"], {}),
    ("a^3*x", ["a", "a", "x"], {}),
    ("sum(sin(x))", ["x", "x", "x", "x"], {}),
    ("tr(inv(X))", ["X", "X"], {"X": "matrix(n,n) spd"}),
    ("x'*S*x", ["S", "x"], {"S": "matrix(n,n) symmetric"}),
]


@pytest.mark.parametrize(("expr", "wrt", "declare"), HIGHER, ids=[f"{e} {w}" for e, w, _ in HIGHER])
def test_higher_orders_match_finite_differences(expr: str, wrt: list[str],
                                                declare: dict[str, str]) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare)
    check = d.check(points=2, tolerance=1e-5)
    assert check.ok, f"{d.text}: {check}"
    code_value, value, sizes = _numpy_value(d)
    dims = d.function.shape.dims + tuple(x for v in d.wrt_variables for x in v.shape.dims)
    assert value.shape == tuple(sizes[x] for x in dims)
    np.testing.assert_allclose(code_value, value, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize(("expr", "wrt", "declare", "expected"), [
    ("A*x", "x", {}, "A"),
    ("x'*A*x", ["x", "x"], {}, "A + A'"),
    ("x'*A*x", ["x", "x"], {"A": "matrix(n,n) symmetric"}, "2*A"),
    ("tanh(x)", "x", {}, "diag(1 - tanh(x).^2)"),
    ("a*x", "a", {}, "x"),
    ("X*b", "b", {}, "X"),
])
def test_matrix_forms(expr: str, wrt: str | list[str], declare: dict[str, str],
                      expected: str) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare)
    assert d.text == expected
    assert d.check(points=1).ok


def test_order_is_a_shorthand_for_repeated_wrt() -> None:
    d = matdiff.derivative("x'*A*x", "x", order=2)
    assert d.order == 2 and d.text == "A + A'"
    with pytest.raises(OptionError, match="positive integer"):
        matdiff.derivative("x'*A*x", "x", order=0)
    with pytest.raises(OptionError, match="either one variable"):
        matdiff.derivative("x'*A*x", ["x", "A"], order=2)
    with pytest.raises(OptionError, match="too high"):
        matdiff.derivative("x'*A*x", "x", order=50)


def test_index_form_of_fourth_order_results() -> None:
    d = matdiff.derivative("A*X*B", "X")
    assert d.result is None
    assert d.index_text == "d(A*X*B)_ij / dX_kl = A_ik B_lj"
    assert d.kronecker_text == "d vec(A*X*B) / d vec(X)' = B' ⊗ A"
    assert d.text == d.index_text
    assert matdiff.derivative("X", "X").index_text.endswith("= δ_ik δ_jl")
    assert matdiff.derivative("X'", "X").index_text.endswith("= δ_il δ_jk")
    assert d.check(points=1).ok


def test_kronecker_form_evaluates_to_the_jacobian_of_vec() -> None:
    """``d vec(F)/d vec(X)'`` from the Kronecker form equals the tensor, reshaped."""
    for expr, declare in [("A*X*B", {}), ("inv(X)", {"X": "matrix(n,n)"}),
                          ("X*a", {"a": "vector(p)"})]:
        d = matdiff.derivative(expr, "X", declare=declare)
        k = d.kronecker
        assert k is not None, expr
        rng = np.random.default_rng(3)
        sizes = choose_sizes([d.function, *d.variables.values()], rng)
        env = sample_point(d.function, d.variables, sizes, rng)
        from matdiff.evaluate import evaluate
        kron = sum(float(t.coefficient) * np.kron(np.atleast_2d(evaluate(t.left, env, sizes)),
                                                  np.atleast_2d(evaluate(t.right, env, sizes)))
                   for t in k.terms)
        value = d.evaluate(env)  # mixed: F axes then X axes
        f_axes = len(d.function.shape.dims)
        # vec stacks columns: reversing each group's axes makes NumPy's row-major
        # flattening column-major.
        rows = value.transpose(tuple(reversed(range(f_axes))) + tuple(
            f_axes + a for a in reversed(range(value.ndim - f_axes))))
        f_size = int(np.prod(value.shape[:f_axes]))
        jac = rows.reshape(f_size, -1)
        np.testing.assert_allclose(kron, jac, rtol=1e-10, atol=1e-12)


SEED_003_NUMERATOR = [
    ("a'*x", "x", "a'"),
    ("x'*x", "x", "2*x'"),
    ("(x'*a)^2", "x", "2*x'*a*a'"),
    ("A*x", "x", "A"),
    ("x'*A", "x", "A'"),
    ("x'*A*x", "x", "x'*(A + A')"),
]


@pytest.mark.parametrize(("expr", "wrt", "expected"), SEED_003_NUMERATOR,
                         ids=[e for e, _, _ in SEED_003_NUMERATOR])
def test_seed_003_table_in_numerator_layout(expr: str, wrt: str, expected: str) -> None:
    declare = {"a": "vector(n)", "x": "vector(n)"}
    d = matdiff.derivative(expr, wrt, declare=declare, layout="numerator")
    assert d.text == expected
    assert d.check(points=1).ok
    back = present(simplify(parse(expected, declare, shape=d.result.shape).expr))
    assert back is d.result


@pytest.mark.parametrize(("expr", "wrt", "declare"), [
    ("a'*x", "x", {"a": "vector(n)"}), ("A*x", "x", {}), ("x'*A*x", "x", {}),
    ("tr(A*X)", "X", {}), ("t*x", "t", {"t": "scalar"}), ("X*a", "X", {"a": "vector(p)"}),
    ("sum(X)", ["X", "X"], {}), ("x'*A*y", ["x", "y"], {}),
])
def test_layouts_are_transposes_of_each_other(expr: str, wrt: str | list[str],
                                              declare: dict[str, str]) -> None:
    forms = {lay: matdiff.derivative(expr, wrt, declare=declare, layout=lay)
             for lay in matdiff.LAYOUTS}
    rng = np.random.default_rng(0)
    mixed = forms["mixed"]
    sizes = choose_sizes([mixed.function, *mixed.variables.values()], rng)
    env = sample_point(mixed.function, mixed.variables, sizes, rng)
    values = {lay: d.evaluate(env) for lay, d in forms.items()}
    num, den = values["numerator"], values["denominator"]
    np.testing.assert_allclose(den, num.transpose(tuple(reversed(range(num.ndim)))))
    perm = forms["numerator"].permutation
    np.testing.assert_allclose(num, values["mixed"].transpose(perm))
    for d in forms.values():
        assert d.layout in d.describe()
        if d.result is not None and len(d.shape) == 1:
            vector_from_f = bool(d.function.shape.dims)
            row = {"numerator": not vector_from_f, "denominator": vector_from_f,
                   "mixed": d.function.shape.kind == "row"}[d.layout]
            assert (d.result.shape.kind == "row") == row, (d.layout, d.text)


@pytest.mark.parametrize("convention", ["symmetrized", "cookbook"])
@pytest.mark.parametrize(("expr", "wrt"), [
    ("tr(A*S)", ["S"]), ("x'*S*x", ["S"]), ("log(det(S))", ["S"]), ("S*x", ["S"]),
    ("tr(S*A*S)", ["S", "S"]), ("log(det(S))", ["S", "S"]), ("x'*S*S*x", ["S", "x"]),
])
def test_symmetric_variables_both_conventions(convention: str, expr: str,
                                              wrt: list[str]) -> None:
    """Finite differences that perturb S symmetrically agree with each convention."""
    declare = {"S": "matrix(n,n) spd"}
    d = matdiff.derivative(expr, wrt, declare=declare, symmetric_gradient=convention)
    check = d.check(points=2, tolerance=1e-5)
    assert check.ok, f"{d.text}: {check}"


def test_symmetric_constant_simplifies() -> None:
    d = matdiff.derivative("x'*S*x", "x", declare={"S": "matrix(n,n) symmetric"})
    assert d.text == "2*S*x"
    d = matdiff.derivative("S*x", "x", declare={"S": "matrix(n,n) spd"})
    assert d.text == "S"


def test_json_and_describe_state_order_kind_layout() -> None:
    d = matdiff.derivative("A*X*B", "X", layout="numerator")
    payload = d.to_json()
    assert payload["order"] == 1 and payload["kind"] == "matrix by matrix"
    assert payload["layout"] == "numerator" and payload["kronecker"]
    assert "numerator layout" in d.describe()


def test_hessian_of_matrix_factorisation_is_kronecker_factored() -> None:
    """Summed index pairs are multiplied out: the Hessian of norm2(X - U*V')^2 by U is
    2 (V'V) ⊗ I, never a dense n^2 x n^2 object in the printed form."""
    d = matdiff.derivative("norm2(X - U*V')^2", ["U", "U"])
    assert d.index_text.endswith("= 2 (V'*V)_lj δ_ik")
    assert d.kronecker_text is not None and d.kronecker_text.endswith("= 2*(V'*V) ⊗ eye(rows(U))")
    assert d.check(points=1).ok
    t = matdiff.derivative("tr(X'*A*X)", ["X", "X"])
    assert t.kronecker_text is not None and t.kronecker_text.endswith("= eye(cols(X)) ⊗ (A + A')")


REGRESSIONS: list[tuple[str, list[str]]] = [
    # found by tests/test_properties.py: a dropped all-ones factor lost a factor n
    ("tr(a*matrix(1))*y", ["a"]), ("z + tr(Y + b)", ["b"]), ("sum(a - X)*y", ["a"]),
    ("(P + 2)*(c - y)", ["c"]), ("-A*(x + c)", ["c"]),
    # a vector and a repeated-index matrix were merged as a Hadamard product
    ("diag((x*x') .* A)", ["x"]), ("sin(diag(A.*Y))", ["A"]), ("diag(diag(x .* x))", ["x"]),
    ("det(diag(exp(x)))", ["x", "x"]), ("diag(diag(x)) .* x", ["x", "x"]),
]


@pytest.mark.parametrize(("expr", "wrt"), REGRESSIONS, ids=[r[0] for r in REGRESSIONS])
def test_regressions_found_by_the_property_test(expr: str, wrt: list[str]) -> None:
    d = matdiff.derivative(expr, wrt, declare=["z: vector(m)", "P: matrix(m,n)"])
    check = d.check(points=2)
    assert check.ok, f"{d.text}: {check}"


@pytest.mark.parametrize(("expr", "wrt", "expected"), [
    ("A + a/3", "a", "ones(rows(A), cols(A))/3"), ("sum(x/3)", "x", "ones(len(x))/3"),
    ("sum(-2*x/3)", "x", "-2*ones(len(x))/3"),
])
def test_fractional_fills_print_as_text_that_reads_back(expr: str, wrt: str,
                                                        expected: str) -> None:
    d = matdiff.derivative(expr, wrt, declare=["a: scalar"])  # A + a: a would be a column
    assert d.text == expected
    assert present(simplify(parse(d.text).expr)) is d.result  # self-contained: no shape
