"""Types a user can trust (issue 13, part 4): an undeclared name's type comes from its
letter unless the expression gives evidence otherwise (``matdiff.parse.name_types``);
every result says which type each name was given and why, warns where the letter alone
decided an ambiguous use, ``strict`` refuses undetermined names, and shape errors caused
by a letter default say which declaration would remove them.

Derivatives are checked by finite differences (``Derivative.check``) and, where the
answer is known in closed form, against NumPy at a random point -- never against the
printed text."""

from __future__ import annotations

import json

import numpy as np
import pytest

import matdiff
from matdiff import api
from matdiff.cli import main
from matdiff.errors import DeclarationError, OptionError, ShapeError
from matdiff.parse import parse, typed_kinds

RNG = np.random.default_rng(13)


def types(expr: str, declare: list[str] | None = None) -> dict[str, str]:
    return {n: t.kind for n, t in parse(expr, declare).variables.types.items()}


def reason(d: api.Derivative, name: str) -> str:
    return d.variables.types[name].reason


def checked(expr: str, wrt: str | list[str], declare: list[str] | None = None,
            **kw: object) -> api.Derivative:
    d = matdiff.derivative(expr, wrt, declare=declare, **kw)  # type: ignore[arg-type]
    c = d.check()
    assert c.ok, (expr, wrt, c)
    return d


# --- 1. evidence beats the letter ---------------------------------------------------------

def test_a_transposed_name_is_a_vector_and_its_gradient_is_it() -> None:
    d = checked("a'*x", "x")
    assert d.variables.types["a"].kind == "vector"
    assert d.function.shape.is_scalar and d.shape == d.variables["x"].shape.dims
    a, x = RNG.normal(size=4), RNG.normal(size=4)
    assert np.allclose(d.evaluate({"a": a, "x": x}), a)  # d(a'x)/dx = a, not a*eye
    assert reason(d, "a").startswith("transposed: a'")
    assert "a-g names are scalars by default" in reason(d, "a")


def test_a_quadratic_form_in_a_transposed_default_scalar() -> None:
    d = checked("a'*A*a", "a")
    assert types("a'*A*a") == {"a": "vector", "A": "matrix"}
    a, A = RNG.normal(size=3), RNG.normal(size=(3, 3))
    assert np.allclose(d.evaluate({"a": a, "A": A}), (A + A.T) @ a)
    checked("(a)'*A*a", ["a", "a"])


def test_mu_subtracted_from_a_vector_is_a_vector() -> None:
    expr = "(x-mu)'*inv(Sigma)*(x-mu)"
    assert types(expr) == {"x": "vector", "mu": "vector", "Sigma": "matrix"}
    d = checked(expr, "mu")
    x, mu = RNG.normal(size=3), RNG.normal(size=3)
    s = RNG.normal(size=(3, 3))
    sigma = s @ s.T + 3 * np.eye(3)
    inv = np.linalg.inv(sigma)
    assert np.allclose(d.evaluate({"x": x, "mu": mu, "Sigma": sigma}),
                       -(inv + inv.T) @ (x - mu))
    assert reason(d, "mu") == "used as x-mu; Greek names are scalars by default"
    checked(expr, ["x", "x"])


def test_the_order_of_the_text_does_not_matter() -> None:
    for expr in ("mu - x", "x - mu", "-mu + x", "x - 2*mu", "x + mu/2", "(mu - x)'*(x - mu)"):
        assert types(expr)["mu"] == "vector", expr


def test_a_declared_scalar_or_a_number_is_broadcast_as_written() -> None:
    d = checked("norm2(x - mu)^2", "x", declare=["mu: scalar"])
    assert d.variables.types["mu"].reason == "declared" and not d.warnings
    x = RNG.normal(size=4)
    assert np.allclose(d.evaluate({"x": x, "mu": 0.5}), 2 * (x - 0.5))
    assert types("x - 1") == {"x": "vector"}
    assert parse("x - 1").expr.shape.kind == "vector"


def test_a_default_scalar_times_a_matrix_beside_a_vector_is_a_vector() -> None:
    d = checked("norm2(y - X*beta)^2", "beta")
    assert d.variables.types["beta"].kind == "vector"
    X, y, beta = RNG.normal(size=(5, 3)), RNG.normal(size=5), RNG.normal(size=3)
    assert np.allclose(d.evaluate({"X": X, "y": y, "beta": beta}),
                       -2 * X.T @ (y - X @ beta))
    assert "used as y - X*beta" in reason(d, "beta")


def test_a_row_times_a_default_scalar_beside_a_scalar_is_a_dot_product() -> None:
    expr = "y'*X*beta - sum(log(1 + exp(X*beta)))"  # the logistic log-likelihood
    d = checked(expr, "beta")
    assert d.function.shape.is_scalar and types(expr)["beta"] == "vector"
    X, y, beta = RNG.normal(size=(6, 2)), RNG.integers(0, 2, 6) * 1.0, RNG.normal(size=2)
    p = 1 / (1 + np.exp(-X @ beta))
    assert np.allclose(d.evaluate({"X": X, "y": y, "beta": beta}), X.T @ (y - p))
    checked(expr, ["beta", "beta"])


def test_an_affine_map_plus_a_default_scalar_is_a_vector() -> None:
    d = checked("norm2(A*x + b)^2", "b")
    assert d.variables.types["b"].kind == "vector"
    checked("x'*A*x + b'*x + c", "x")
    assert types("x'*A*x + b'*x + c")["c"] == "scalar"  # a scalar term of a scalar sum


def test_a_bias_added_to_a_matrix_is_a_column_when_expansion_allows_it() -> None:
    """``W*X + b``: with MATLAB's implicit expansion ``b`` is a column of ``rows(W)``
    entries repeated across the columns; where a column cannot be added to a matrix,
    ``b`` keeps its letter (a broadcast scalar), with a warning that says so."""
    try:
        parse("W*X + b", ["b: vector"])
        expands = True
    except ShapeError:
        expands = False
    d = checked("sum(W*X + b)", "b")
    if expands:
        assert d.variables.types["b"].kind == "vector" and not d.warnings
        W, X, b = RNG.normal(size=(3, 2)), RNG.normal(size=(2, 4)), RNG.normal(size=3)
        assert np.allclose(d.evaluate({"W": W, "X": X, "b": b}), 4 * np.ones(3))
    else:
        assert d.variables.types["b"].kind == "scalar"
        assert any('declare=["b: vector"]' in w for w in d.warnings), d.warnings


def test_a_promotion_that_breaks_another_use_is_not_made() -> None:
    # c is subtracted from a vector, but c*A*x needs c to be a scalar
    assert types("c*A*x - c")["c"] == "scalar"
    d = matdiff.derivative("c*A*x - c", "x")
    assert d.variables.types["c"].reason == "a-g"
    assert any("c: vector" in w for w in d.warnings)


def test_default_vectors_and_matrices_keep_their_letters() -> None:
    assert types("exp(c*x)") == {"c": "scalar", "x": "vector"}
    assert types("tr(A*X)") == {"A": "matrix", "X": "matrix"}
    assert types("norm2(X*w - y)^2 + lam*norm2(w)^2")["lam"] == "scalar"


# --- 2. every result says what each name is and why; warnings ---------------------------

def test_letter_reasons() -> None:
    d = matdiff.derivative("norm2(X*w - y)^2 + lam*norm2(w)^2 + c", "w")
    assert d.describe_variables() == ("X matrix (capital letter), w vector (h-z), y vector "
                                      "(h-z), lam scalar (Greek name), c scalar (a-g)")
    assert not d.warnings
    entries = {v["name"]: v for v in d.to_json()["variables"]}
    assert entries["lam"] == {"name": "lam", "kind": "scalar", "reason": "Greek name",
                              "declared": False}


def test_declared_names_say_so_and_are_left_out_of_the_line() -> None:
    d = matdiff.derivative("x'*A*x", "x", declare=["A: matrix(n, n)"])
    assert d.variables.types["A"].declared and d.variables.types["A"].reason == "declared"
    assert d.describe_variables() == "x vector (h-z)"
    assert d.variables["x"].shape.dims == ("n",)  # still the variables' nodes


def test_a_vector_used_only_to_scale_a_reduction_is_warned_about() -> None:
    d = matdiff.derivative("n/2*logdet(S) + tr(inv(S)*C)", "S")
    assert d.function.shape.kind == "vector"
    assert len(d.warnings) == 1
    w = d.warnings[0]
    assert w.startswith("n is a vector only by its letter (h-z names are vectors by default)")
    assert w.endswith('declare it: declare=["n: scalar"]')
    assert d.to_json()["warnings"] == [w]
    fixed = checked("n/2*logdet(S) - tr(inv(S)*C)", "S", declare=["n: scalar"])
    assert fixed.function.shape.is_scalar and not fixed.warnings


def test_ambiguous_default_scalars_are_warned_about() -> None:
    d = matdiff.derivative("norm2(X*beta)^2", "X")
    assert [w.split(";")[0] for w in d.warnings] == [
        "beta is a scalar only by its letter (Greek names are scalars by default), so "
        "X*beta scales a matrix"]
    d = matdiff.derivative("sum(x' - c)", "x")
    assert "broadcast in x' - c" in d.warnings[0]
    assert not matdiff.derivative("exp(c*x)", "x").warnings


def test_the_cli_prints_the_types_and_the_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "(x - mu)'*inv(Sigma)*(x - mu)", "--wrt", "x"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[1] == ("variables: x vector (h-z), mu vector (used as x - mu; Greek names are "
                      "scalars by default), Sigma matrix (capital letter)")
    assert main(["diff", "n/2*logdet(S)", "--wrt", "S"]) == 0
    err = capsys.readouterr().err
    assert "variables: n vector (h-z), S matrix (capital letter)" in err
    assert 'warning: n is a vector only by its letter' in err
    assert err.rstrip().endswith('declare it: --declare "n: scalar"')
    assert main(["diff", "x'*A*x", "--wrt", "x", "--declare", "x: vector",
                 "--declare", "A: matrix"]) == 0
    assert "variables:" not in capsys.readouterr().err  # nothing undeclared


def test_the_json_payload_holds_the_types(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "a'*x", "--wrt", "x", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["variables"][0]["name"] == "a"
    assert payload["variables"][0]["kind"] == "vector"
    assert payload["warnings"] == []


def test_describe_expression_gives_the_reasons() -> None:
    info = api.describe_expression("x - mu")
    assert {v.name: (v.kind, v.reason) for v in info.variables} == {
        "x": ("vector", "h-z"),
        "mu": ("vector", "used as x - mu; Greek names are scalars by default")}


# --- 3. strict ----------------------------------------------------------------------------

def test_strict_refuses_undetermined_names() -> None:
    with pytest.raises(DeclarationError) as e:
        matdiff.derivative("x'*A*x", "x", strict=True)
    assert e.value.message == (
        "strict: the expression does not determine the type of x (h-z names are vectors by "
        "default), A (capital names are matrices by default); declare them: "
        'declare=["x: vector", "A: matrix"]')
    assert e.value.span is not None and e.value.span.start == 0
    d = matdiff.derivative("x'*A*x", "x", declare=["x: vector", "A: matrix"], strict=True)
    assert d.function.shape.is_scalar


def test_strict_accepts_what_the_expression_determines() -> None:
    # a is a vector by evidence (it is transposed), mu too (subtracted from x)
    d = matdiff.derivative("a'*x", "x", declare=["x: vector"], strict=True)
    assert d.variables.types["a"].kind == "vector"
    matdiff.derivative("x - mu", "x", declare=["x: vector"], strict=True)
    with pytest.raises(DeclarationError, match="type of b"):
        matdiff.derivative("b*x", "x", declare=["x: vector"], strict=True)


@pytest.mark.parametrize("call", [
    lambda: matdiff.generate_module("x'*A*x", "x", strict=True),
    lambda: matdiff.gradient("x^2 + c*y", "x,y", declare=["x: scalar", "y: scalar"],
                             strict=True),
    lambda: matdiff.identity("tr(A*B)", "tr(B*A)", strict=True),
    lambda: matdiff.solve("norm2(X*w - y)^2", "w", strict=True),
    lambda: matdiff.to_sympy("tr(A*X)", strict=True),
    lambda: api.describe_expression("x'*A*x", strict=True),
])
def test_every_entry_point_with_declare_takes_strict(call: object) -> None:
    with pytest.raises(DeclarationError, match="strict: the expression does not determine"):
        call()  # type: ignore[operator]


def test_strict_tangent_is_typed_by_its_point() -> None:
    # every name of a tangent has a value, and a value declares its name's kind
    t = matdiff.tangent("x^2 + y^2 + z^2 = 14", [1, 2, 3], strict=True)
    assert t.coordinates == ["x", "y", "z"] and [int(v) for v in t.normal] == [2, 4, 6]
    assert main(["tangent", "x^2 + y^2 + z^2 = 14", "--at", "1,2,3", "--strict"]) == 0


def test_strict_must_be_a_flag() -> None:
    with pytest.raises(OptionError, match="strict"):
        matdiff.derivative("x'*x", "x", strict="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("command", [
    ["diff", "x'*A*x", "--wrt", "x", "--strict"],
    ["codegen", "x'*A*x", "--wrt", "x", "--strict"],
    ["identity", "tr(A*B)", "tr(B*A)", "--strict"],
    ["solve", "norm2(X*w - y)^2", "--for", "w", "--strict"],
])
def test_cli_strict_exits_2_with_the_declarations(command: list[str],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith("declaration error: strict: the expression does not determine")
    assert '--declare "' in err


def test_cli_strict_passes_when_everything_is_declared(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "x'*A*x", "--wrt", "x", "--strict", "--declare", "x: vector",
                 "--declare", "A: matrix"]) == 0
    assert capsys.readouterr().out.strip() in {"A*x + A'*x", "(A + A')*x", "A'*x + A*x"}


# --- 4. hints ------------------------------------------------------------------------------

def test_a_power_of_default_vectors_suggests_scalars_first() -> None:
    with pytest.raises(ShapeError) as e:
        matdiff.derivative("x^2 + y^2", "x")
    m = e.value.message
    assert 'if they are scalars, declare them: declare=["x: scalar", "y: scalar"]' in m
    assert m.index("declare") < m.index("x.^2")
    assert "h-z names are vectors by default" in m


def test_the_cli_hint_uses_its_own_syntax(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "x^2 + y^2", "--wrt", "x"]) == 2
    err = capsys.readouterr().err
    assert '--declare "x: scalar" --declare "y: scalar"' in err
    assert main(["diff", "x^2 + y^2", "--wrt", "x", "--declare", "x: scalar",
                 "--declare", "y: scalar"]) == 0
    assert capsys.readouterr().out.strip() == "2*x"


def test_other_shape_errors_from_a_default_mention_declaring() -> None:
    with pytest.raises(ShapeError) as e:
        matdiff.derivative("n*x", "x")
    assert 'declare=["n: scalar"]' in e.value.message
    assert "have their types from their letters" in e.value.message


def test_a_declared_type_gets_no_declaration_hint() -> None:
    with pytest.raises(ShapeError) as e:
        matdiff.derivative("x^2", "x", declare=["x: vector"])
    assert "declare" not in e.value.message and "x.^2" in e.value.message


# --- applications agree with the parser -----------------------------------------------------

def test_values_at_a_point_follow_the_inferred_types() -> None:
    assert typed_kinds("a'*x")("a") == "vector"
    assert typed_kinds("a*x")("a") == "scalar"
    g = matdiff.derivative("a'*x", "x").at(a=[1, 2], x=[3, 4])
    assert np.allclose(np.asarray(g, dtype=float), [1, 2])


def test_cli_at_with_an_inferred_vector(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "a'*x", "--wrt", "x", "--at", "a=[1,2],x=[3,4]"]) == 0
    out = capsys.readouterr().out
    assert "[1, 2]" in out.replace(".0", "")


def test_cli_at_and_codegen_state_the_types(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "(x - mu)'*(x - mu)", "--wrt", "x", "--at", "x=[1,2],mu=[0,1]"]) == 0
    err = capsys.readouterr().err
    assert "variables: x vector (h-z), mu vector (used as x - mu;" in err
    assert main(["codegen", "n/2*logdet(S)", "--wrt", "S"]) == 0
    err = capsys.readouterr().err
    assert "variables: n vector (h-z), S matrix (capital letter)" in err
    assert 'declare it: --declare "n: scalar"' in err


def test_a_printed_result_reads_back_with_the_stated_types() -> None:
    d = matdiff.derivative("arctan(e - (z - z))", "e")
    assert d.variables.declarations() == ["e: vector", "z: vector"]
    again = parse(d.text, d.variables.declarations())
    assert again.expr.shape.kind == d.result.shape.kind == "matrix"  # type: ignore[union-attr]
    assert list(parse("ones(len(mu))'*x").variables.types) == ["x"]  # mu: only a size
    assert typed_kinds("ones(len(mu)) - x")("mu") == "vector"


def test_typing_a_long_expression_takes_bounded_passes() -> None:
    import time
    many = "x - " + " - ".join(f"c{i}*A*x - c{i}" for i in range(150))  # each c fits nowhere
    start = time.perf_counter()
    p = parse(many)
    assert time.perf_counter() - start < 10
    assert all(t.kind == "scalar" for n, t in p.variables.types.items() if n.startswith("c"))
    assert len(p.variables.warnings) == 150
    assert all("c" in w.declaration and w.declaration.endswith(": vector")
               for w in p.variables.warnings)
    chain = "x - " + " - ".join(f"b{i}" for i in range(400))  # one firm term: all at once
    assert all(t.kind == "vector" for t in parse(chain).variables.types.values())


def test_strict_lists_at_most_ten_names() -> None:
    expr = " + ".join(f"tr(A{i}*X{i})" for i in range(30))
    with pytest.raises(DeclarationError, match="and 50 more"):
        parse(expr, strict=True)
