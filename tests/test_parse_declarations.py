"""Declarations: every accepted form, default types, properties, and every error (with a
caret into the declaration's own text)."""

from __future__ import annotations

import pytest

from matdiff.errors import DeclarationError, LimitError, MatdiffError, ShapeError
from matdiff.parse import parse
from matdiff.parse.declarations import default_kind
from matdiff.shapes import SCALAR, Shape


def _var(text: str, declare: object, name: str) -> tuple[Shape, frozenset[str]]:
    p = parse(text, declare)  # type: ignore[arg-type]
    node = p.variables.get(name) or p.declared[name]
    return node.shape, node.attrs[1]


@pytest.mark.parametrize(("decl", "shape", "props"), [
    ("x: vector(n)", Shape("n", None), set()),
    ("x: vector(3)", Shape(3, None), set()),
    ("x: vector", Shape("len(x)", None), set()),
    ("x: scalar", SCALAR, set()),
    ("x: matrix", Shape("rows(x)", "cols(x)"), set()),
    ("x: matrix(m, n)", Shape("m", "n"), set()),
    ("x: matrix(2,3)", Shape(2, 3), set()),
    ("x: vector positive", Shape("len(x)", None), {"positive"}),
    ("x: matrix(n, n) symmetric", Shape("n", "n"), {"symmetric"}),
    ("x: matrix spd", Shape("rows(x)", "rows(x)"), {"spd", "symmetric"}),
    ("x: matrix diagonal positive", Shape("rows(x)", "rows(x)"), {"diagonal", "positive"}),
    ("x: symmetric matrix(4, 4)", Shape(4, 4), {"symmetric"}),  # words in any order
    ("x:", Shape("len(x)", None), set()),  # the default kind of the name
    ("x: positive", Shape("len(x)", None), {"positive"}),
    ("x : vector ( n )", Shape("n", None), set()),  # whitespace is free
])
def test_declaration_forms(decl: str, shape: Shape, props: set[str]) -> None:
    assert _var("x", [decl], "x") == (shape, frozenset(props))
    name, spec = decl.split(":", 1)
    assert _var("x", {name.strip(): spec}, "x") == (shape, frozenset(props))  # mapping form
    assert _var("x", decl, "x") == (shape, frozenset(props))  # one string


def test_omitted_type_uses_the_default_kind_of_the_name() -> None:
    assert _var("S", ["S: symmetric"], "S") == (Shape("rows(S)", "rows(S)"),
                                                frozenset({"symmetric"}))
    assert _var("a", ["a: positive"], "a") == (SCALAR, frozenset({"positive"}))


def test_default_kinds() -> None:
    assert [default_kind(n) for n in "abcdefg"] == ["scalar"] * 7
    assert {default_kind(n) for n in "hijklmnopqrstuvwxyz"} == {"vector"}
    assert {default_kind(chr(c)) for c in range(ord("A"), ord("Z") + 1)} == {"matrix"}
    for greek in ("alpha", "lambda", "lam", "mu", "nu", "xi", "rho", "sigma", "tau", "omega",
                  "theta", "phi", "psi", "chi", "kappa", "iota", "eta", "zeta"):
        assert default_kind(greek) == "scalar", greek
    assert default_kind("_x") is None
    assert default_kind("Sigma") == "matrix"
    assert parse("mu*x").expr.shape.kind == "vector"


def test_declared_dimensions_drive_inference() -> None:
    p = parse("A*x + b", ["x: vector(3)", "A: matrix(2, 3)", "b: vector"])
    assert p.variables["b"].shape == Shape(2, None)
    assert p.expr.shape == Shape(2, None)


def test_declared_but_unused() -> None:
    p = parse("x'*x", ["A: matrix(n, n) spd", "x: vector(n)", "c: scalar"])
    assert list(p.variables) == ["x"]
    assert list(p.declared) == ["A", "c"]
    assert p.declared["A"].shape == Shape("n", "n")
    assert p.declared["A"].attrs[1] == frozenset({"spd", "symmetric"})


def test_underscore_names_work_when_declared() -> None:
    p = parse("_w'*_w", ["_w: vector(k)"])
    assert p.variables["_w"].shape == Shape("k", None)


def test_no_declarations() -> None:
    for none in (None, [], {}, ()):
        assert parse("x", none).variables["x"].shape == Shape("len(x)", None)


def test_declared_dimensions_that_contradict_the_expression() -> None:
    with pytest.raises(ShapeError) as info:
        parse("A*x", ["A: matrix(2, n)", "x: vector(3)"])
    assert "n columns but the right has 3 rows" in info.value.message


# (declarations, error class, message fragment, column in the offending declaration)
BAD: list[tuple[list[str], type[MatdiffError], str, int]] = [
    (["x vector"], DeclarationError, "expected ':' after the variable's name", 3),
    (["x"], DeclarationError, "expected ':'", 2),
    ([": vector"], DeclarationError, "expected a variable name", 1),
    (["x: vectr"], DeclarationError, "unknown word 'vectr' in a declaration; did you mean "
                                     "vector?", 4),
    (["x: symetric"], DeclarationError, "did you mean symmetric?", 4),
    (["x: vector(n"], DeclarationError, "expected ',' or ')'", 12),
    (["x: vector("], DeclarationError, "expected a dimension (a name or a positive integer)",
     11),
    (["x: vector(0)"], DeclarationError, "a dimension must be positive, got 0", 11),
    (["x: vector(2.5)"], DeclarationError, "a dimension is a name or a positive integer", 11),
    (["x: vector(1e3)"], DeclarationError, "a dimension is a name or a positive integer", 11),
    (["x: vector(99999999999)"], LimitError, "dimension 99999999999 is too large", 11),
    (["x: vector(n, m)"], DeclarationError, "vector takes one dimension", 4),
    (["A: matrix(n)"], DeclarationError, "matrix takes two dimensions", 4),
    (["a: scalar(3)"], DeclarationError, "scalar takes no dimensions", 4),
    (["a: scalar vector"], DeclarationError, "a is given two types (scalar and vector)", 11),
    (["S: matrix(m, n) symmetric"], DeclarationError,
     "symmetric needs a square matrix, but S is declared matrix(m, n)", 4),
    (["S: matrix(3, n) spd"], DeclarationError, "spd needs a square matrix", 4),
    (["x: symmetric"], DeclarationError,
     "symmetric needs a matrix, but x is a vector (by default)", 4),
    (["a: scalar diagonal"], DeclarationError, "diagonal needs a matrix, but a is a scalar "
                                               "(declared)", 11),
    (["x: positive(2)"], DeclarationError, "the property positive takes no arguments", 4),
    (["x: vector", "y: vector", "x: vector(n)"], DeclarationError,
     "x is declared twice (first as 'x: vector')", 1),
    (["exp: scalar"], DeclarationError, "exp is a function name", 1),
    (["eye: matrix"], DeclarationError, "eye is a function name", 1),
    (["vector: vector"], DeclarationError, "vector is a function name", 1),
    (["_z: positive"], DeclarationError, "_z has no default type", 1),
    (["x: vector $"], DeclarationError, "unexpected character '$'", 11),
    (["x: vector(n), A: matrix"], DeclarationError, "give one declaration per entry", 13),
    (["x: " + "positive " * 120], LimitError, "declaration too long", 1001),
]


@pytest.mark.parametrize(("declare", "cls", "fragment", "column"), BAD,
                         ids=[d[0][-1][:30] for d in BAD])
def test_bad_declaration(declare: list[str], cls: type[MatdiffError], fragment: str,
                         column: int) -> None:
    with pytest.raises(MatdiffError) as info:
        parse("x", declare)
    err = info.value
    assert type(err) is cls, str(err)
    assert fragment in err.message, str(err)
    assert err.source == declare[-1]  # the caret is into the declaration, not the expression
    assert err.column == column, str(err)
    assert "^" in str(err)


def test_mapping_form_errors_point_into_the_declaration() -> None:
    with pytest.raises(DeclarationError) as info:
        parse("x", {"x": "vector(n) symetric"})
    assert info.value.source == "x: vector(n) symetric"
    assert info.value.column == 14


def test_declarations_must_be_strings() -> None:
    with pytest.raises(TypeError):
        parse("x", [1])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        parse("x", {"x": 1})  # type: ignore[dict-item]
