"""Bad input: every error is a MatdiffError with the right class, a message that says
what is wrong, a caret at the right column, and it comes back fast.  Nothing else
escapes (no lark exception, no RecursionError), whatever the input (hypothesis)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matdiff.errors import (
    DeclarationError,
    LimitError,
    MatdiffError,
    ParseError,
    ShapeError,
)
from matdiff.parse import parse

OPERAND = "expected an operand (a number, a name, a function call or '(')"

# (text, declarations, error class, message fragment, 1-based column of the caret)
BAD: list[tuple[str, list[str], type[MatdiffError], str, int]] = [
    # unbalanced parentheses, both directions
    ("(x'*x", [], ParseError, "expected ')' to close the '(' at column 1", 6),
    ("x'*x)", [], ParseError, "unmatched ')'", 5),
    ("x*(A*(x + y)", [], ParseError, "expected ')' to close the '(' at column 3", 13),
    ("(a + b))*c", [], ParseError, "unmatched ')'", 8),
    ("(x y)", [], ParseError, "')' to close the '(' at column 1", 4),
    (")", [], ParseError, "unmatched ')'", 1),
    ("()", [], ParseError, "(empty parentheses)", 2),
    # shapes
    ("A*x", ["A: matrix(m,n)", "x: vector(k)"], ShapeError,
     "matrix product of matrix(m, n) and vector(k): the left operand has n columns but "
     "the right has k rows", 1),
    ("a + A*x", ["A: matrix(m,n)", "x: vector(k)"], ShapeError, "matrix product", 5),
    ("tr(x)", [], ShapeError, "tr needs a square matrix or a scalar, got vector(len(x))", 1),
    # implicit expansion: a vector only against a matrix, of the matching length
    ("x + A", ["x: vector(3)", "A: matrix(4, 5)"], ShapeError,
     "addition of vector(3) and matrix(4, 5): a column is repeated across the columns, so "
     "its length must be the number of rows (4); valid are vector(4) (across the "
     "columns), row vector(5) (down the rows) or matrix(4, 5)", 1),
    ("a + x - A", ["x: vector(n)", "A: matrix(m, m)"], ShapeError,
     "subtraction of vector(n) and matrix(m, m): a column is repeated", 1),
    ("A + x'", ["x: vector(m)", "A: matrix(m, n)"], ShapeError,
     "addition of matrix(m, n) and row vector(m): a row is repeated down the rows, so its "
     "length must be the number of columns (n); valid are vector(m)", 1),
    ("W*X + b", ["W: matrix(3, 4)", "X: matrix(4, 5)", "b: vector(5)"], ShapeError,
     "addition of matrix(3, 5) and vector(5)", 1),
    ("x + y'", [], ShapeError, "addition of vector(len(x)) and row vector(len(y)): a column "
     "and a row are not expanded against each other", 1),
    ("x + y' + A", [], ShapeError, "a column and a row are not expanded", 1),
    ("x' .* y", [], ShapeError, "elementwise product of row vector(len(x)) and "
     "vector(len(y)): a column and a row", 1),
    ("x'*A*y + x'*y*x", ["A: matrix(n, m)", "y: vector(m)"], ShapeError, "vector(m)", 10),
    ("x*y", [], ShapeError, "for an inner product write x'*y", 1),
    ("x .* A", ["A: matrix(m, n)", "x: vector(n)"], ShapeError,
     "elementwise product of vector(n) and matrix(m, n): a column is repeated across the "
     "columns, so its length must be the number of rows (m); valid are vector(m) (across "
     "the columns), row vector(n) (down the rows)", 1),
    ("x ./ y'", [], ShapeError, "elementwise division of vector(len(x)) and row "
     "vector(len(y))", 1),
    ("B ./ x'", ["B: matrix(2, 3)", "x: vector(2)"], ShapeError,
     "elementwise division of matrix(2, 3) and row vector(2)", 1),
    ("x .^ A", ["x: vector(2)", "A: matrix(3, 3)"], ShapeError,
     "elementwise power .^ of vector(2) and matrix(3, 3)", 1),
    ("x .^ y'", [], ShapeError, "elementwise power .^ of vector(len(x)) and row", 1),
    ("x + y", ["x: vector(2)", "y: vector(3)"], ShapeError,
     "addition needs operands of the same shape", 1),
    ("diag(X)", ["X: matrix(m,n)"], ShapeError, "needs a square matrix, got matrix(m, n)", 1),
    ("diag(a)", [], ShapeError, "diag needs a vector", 1),
    ("det(x)", [], ShapeError, "det needs a square matrix", 1),
    ("A/B", [], ShapeError, "/ divides by a scalar; for elementwise division use ./", 1),
    ("x^2", [], ShapeError, "x.^2", 1),
    ("x^2", [], ShapeError, "x'*x", 1),
    ("(A*x)'^3", [], ShapeError, "for the elementwise power write (A*x)'.^3", 1),
    ("X^2", ["X: matrix(m,n)"], ShapeError, "matrix power ^ needs a square matrix", 1),
    ("2^x", [], ShapeError, "write 2.^x", 1),
    # names and functions
    ("foo(x)", [], ParseError, "unknown function foo; valid functions are: abs, ", 1),
    ("expp(x)", [], ParseError, "did you mean exp?", 1),
    ("x(2)", [], ParseError, "x is a variable, not a function", 1),
    ("a + W1(x)", [], ParseError, "W1 is a variable, not a function", 5),
    ("exp + x", [], ParseError, "exp is a function; write exp(...)", 1),
    ("x'*vector", [], ParseError, "vector is a function; write vector(...)", 4),
    ("exp(x, y)", [], ParseError, "exp takes exactly one argument, got 2", 1),
    ("tr()", [], ParseError, "tr takes exactly one argument, got 0", 1),
    ("eye(2, 3)", [], ParseError, "eye takes at most one argument", 1),
    ("P + Q  where P = Q, Q = X", [], ParseError, "Q is defined later in the where list", 18),
    ("P  where P = X; P = Y", [], ParseError, "P is defined twice", 17),
    ("X  where tr = X", [], ParseError, "tr is a function and cannot be defined", 10),
    ("x = y", [], ParseError, "not an equation; a where list reads", 3),
    ("P  where P = ", [], ParseError, "unexpected end of input", 13),
    ("ones(0)", [], ParseError, "a size must be a positive integer", 6),
    ("ones(n, n, n)", [], ParseError, "ones takes one size", 1),
    ("zeros(x + 1)", [], ParseError, "a size is a positive integer, a dimension name", 7),
    ("ones(rows(x))", [], ShapeError, "rows(x) needs a matrix x", 6),
    ("vector(a)", [], ParseError, "must be a number such as vector(1)", 8),
    ("X^a", [], ParseError, "a matrix power needs an integer exponent", 3),
    ("X^0.5", [], ParseError, "integer exponent", 3),
    ("_q + 1", [], ParseError, "_q has no default type", 1),
    # empty input
    ("", [], ParseError, "empty expression", 1),
    ("   ", [], ParseError, "empty expression", 1),
    # syntax
    ("$", [], ParseError, "unexpected character '$': " + OPERAND, 1),
    ("x + $y", [], ParseError, "unexpected character '$'", 5),
    ("x +", [], ParseError, "unexpected end of input: " + OPERAND, 4),
    ("x +   ", [], ParseError, "unexpected end of input", 4),
    ("* x", [], ParseError, "unexpected operator '*': " + OPERAND, 1),
    ("2..3", [], ParseError, "unexpected character '.'", 2),
    ("x**2", [], ParseError, "for a power write ^", 3),
    ("2x", [], ParseError, "a product needs an explicit '*'", 2),
    ("x y", [], ParseError, "or the end of the expression", 3),
    ("f(x,", [], ParseError, "unexpected end of input: " + OPERAND, 5),
    ("x, y", [], ParseError, "unexpected ','", 2),
    ("x = 1", [], ParseError, "not an equation", 3),
    ("x²", [], ParseError, "unexpected character '²'", 2),
    # limits
    ("1e999999", [], LimitError, "number too large", 1),
    ("1e-999999", [], LimitError, "number too large", 1),
    ("a*1e4001", [], LimitError, "number too large", 3),
    ("1" * 1001, [], LimitError, "number too large: 1001 digits", 1),
    ("1e" + "9" * 5000, [], LimitError, "number too large", 1),
    ("X^100", [], LimitError, "the limit is ±64", 3),
    ("X^-65", [], LimitError, "the limit is ±64", 3),
    ("x'*x+" * 20_000, [], LimitError,
     "expression too long (100000 characters; the limit is 10000)", 10_001),
    # too long *and* too deep: the nesting is the more specific error
    ("(" * 10_000 + "x" + ")" * 10_000, [], LimitError,
     "expression nested too deeply (depth at least 10000; the limit is 100)", 101),
    ("x + " * 2_600 + "(" * 101 + "x" + ")" * 101, [], LimitError, "too long", 10_001),
    ("-" * 10_000 + "x", [], LimitError, "expression too long", 10_001),
    ("(" * 4_000 + "x" + ")" * 4_000, [], LimitError,
     "expression nested too deeply (depth 4000; the limit is 100)", 101),
    ("(" * 101 + "x" + ")" * 101, [], LimitError, "(depth 101; the limit is 100)", 101),
    ("-" * 9_000 + "x", [], LimitError, "nested too deeply (depth 9000", 101),
    ("x" + "'" * 5_000, [], LimitError, "nested too deeply (depth 5000", 4_901),
    ("exp(" * 101 + "x" + ")" * 101, [], LimitError, "nested too deeply", 401),
    ("a" + "^a" * 101, [], LimitError, "nested too deeply", 202),
    ("(" * 5_000, [], ParseError, "unexpected end of input", 5_001),  # syntax comes first
]


def _id(case: tuple[str, list[str], type[MatdiffError], str, int]) -> str:
    text = case[0]
    return text if len(text) <= 30 else f"{text[:12]}...({len(text)} chars)"


@pytest.fixture(scope="module", autouse=True)
def _warm_up() -> None:
    parse("x")  # build the LALR tables once, outside the timed calls


@pytest.mark.parametrize(("text", "declare", "cls", "fragment", "column"), BAD,
                         ids=[_id(c) for c in BAD])
def test_bad_input(text: str, declare: list[str], cls: type[MatdiffError], fragment: str,
                   column: int) -> None:
    start = time.perf_counter()
    with pytest.raises(MatdiffError) as info:
        parse(text, declare)
    elapsed = time.perf_counter() - start
    err = info.value
    assert type(err) is cls, str(err)
    assert fragment in err.message, str(err)
    assert err.column == column, str(err)
    assert err.source == text
    rendered = str(err)
    assert "^" in rendered and f"(column {column})" in rendered
    assert elapsed < 5.0  # nothing hangs: a bound, not a speed goal


def test_deep_but_unclosed_parentheses_report_the_missing_parenthesis() -> None:
    with pytest.raises(ParseError) as info:
        parse("(" * 50 + "x")
    assert "expected ')' to close the '(' at column 50" in info.value.message


def test_shape_error_covers_the_offending_subexpression() -> None:
    text = "a*sum(x) + tr(B*x*y')"
    with pytest.raises(ShapeError) as info:
        parse(text, ["B: matrix(m, n)", "x: vector(k)"])
    span = info.value.span
    assert span is not None and text[span.start:span.end] == "B*x"


def test_inferred_dimensions_show_in_messages() -> None:
    # x's length is n once A*x is read; the conflict with y names n, not len(x).
    with pytest.raises(ShapeError) as info:
        parse("y'*A*x + x'*y", ["A: matrix(m, n)", "y: vector(m)"])
    assert "row vector(n) and vector(m)" in info.value.message


def test_non_string_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse(42)  # type: ignore[arg-type]


# --- nothing but MatdiffError, ever ----------------------------------------------

TOKENS = ["x", "y", "A", "X", "a", "b", "S", "_u", "lambda", "2", "0.5", ".5", "1e3", "1e999",
          "exp", "tr", "diag", "vector", "matrix", "eye", "sum", "inv", "det", "foo",
          "+", "-", "*", "/", ".*", "./", "^", ".^", "'", "(", ")", "(", ")", ",", " ",
          "$", ".", "..", "**", "x'*x", "X^-1", "X^2", "2.^", "\t"]
DECLARATIONS = ["x: vector(n)", "A: matrix(n, n)", "S: spd", "X: matrix(m, n)", "_u: vector",
                "a: scalar positive", "y: vector(3)", "b: vector(n)"]


def _check_error(err: MatdiffError, text: str) -> None:
    assert err.span is not None and err.source is not None, repr(err.message)
    assert err.source == text or isinstance(err, DeclarationError)
    assert "^" in str(err)


@settings(max_examples=400, deadline=1000)
@given(st.lists(st.sampled_from(TOKENS), max_size=25),
       st.lists(st.sampled_from(DECLARATIONS), max_size=3, unique=True))
def test_token_soup_raises_only_matdiff_errors(tokens: list[str], declare: list[str]) -> None:
    text = "".join(tokens)
    try:
        parsed = parse(text, declare)
    except MatdiffError as err:
        _check_error(err, text)
    else:
        assert set(parsed.variables).isdisjoint(parsed.declared)


@settings(max_examples=200, deadline=1000)
@given(st.text(max_size=40))
def test_arbitrary_text_raises_only_matdiff_errors(text: str) -> None:
    try:
        parse(text)
    except MatdiffError as err:
        _check_error(err, text)


@settings(max_examples=100, deadline=1000)
@given(st.text(max_size=30))
def test_arbitrary_declarations_raise_only_matdiff_errors(decl: str) -> None:
    try:
        parse("x", [decl])
    except MatdiffError as err:
        assert isinstance(err, DeclarationError | LimitError)
        assert err.span is not None and err.source is not None
        assert "^" in str(err)
