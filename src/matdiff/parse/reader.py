"""From text to syntax tree: the lark parser, the size and depth limits, and lark's
errors turned into :class:`~matdiff.errors.ParseError` messages in human words.

Order of work (nothing before the depth check may recurse on the input's nesting):

1. length limit (:data:`MAX_LENGTH` characters), checked before lark sees the text
   (reported as a depth error instead when its first 10,000 characters already nest
   parentheses too deeply: :func:`check_parenthesis_depth`);
2. lark's LALR parser (an explicit state stack, no recursion) builds a parse tree;
3. the tree's depth is measured with an explicit stack (:data:`MAX_DEPTH`);
4. only then does the (recursive) transformer build the syntax tree.
"""

from __future__ import annotations

import functools
import importlib.resources
from typing import Literal

from lark import Lark, Token, Tree
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from ..errors import DeclarationError, LimitError, MatdiffError, ParseError
from ..spans import Span
from .syntax import Expr, ToSyntax

MAX_LENGTH = 10_000
MAX_DEPTH = 100

Context = Literal["expression", "declaration"]


@functools.cache
def lark_parser() -> Lark:
    """The LALR parser for grammar.lark (both start rules), built once per process."""
    grammar = importlib.resources.files(__package__).joinpath("grammar.lark").read_text()
    return Lark(grammar, parser="lalr", propagate_positions=True,
                start=["expr", "decl"], maybe_placeholders=False)


def read_expression(text: str) -> Expr:
    """Parse ``text`` into the syntax tree, enforcing every limit of the language."""
    if len(text) > MAX_LENGTH:
        check_parenthesis_depth(text, MAX_LENGTH)
        raise LimitError(
            f"expression too long ({len(text)} characters; the limit is {MAX_LENGTH})",
            Span(MAX_LENGTH, MAX_LENGTH + 1), text)
    if not text.strip():
        raise ParseError("empty expression", Span(0, len(text)), text)
    tree = parse_tree(text, "expression")
    check_depth(tree, text)
    try:
        return ToSyntax().transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, MatdiffError):
            raise e.orig_exc.with_source(text) from None
        raise


def parse_tree(text: str, context: Context) -> Tree[Token]:
    """lark's parse tree of ``text`` (start rule by ``context``), or a readable error."""
    start = "expr" if context == "expression" else "decl"
    try:
        return lark_parser().parse(text, start=start)
    except UnexpectedInput as e:
        raise syntax_error(e, text, context) from None
    except LarkError as e:  # pragma: no cover - lark raises only the above on input
        error = ParseError if context == "expression" else DeclarationError
        raise error(f"cannot read the {context}: {e}", Span(0, len(text)), text) from None


# --- depth ------------------------------------------------------------------------

_LEAVES = frozenset({"name", "number"})


def check_depth(tree: Tree[Token], text: str, limit: int = MAX_DEPTH) -> None:
    """Refuse trees nested deeper than ``limit``.

    The depth counts every tree node on a path except the leaves (names, numbers), so
    ``x`` has depth 0 and ``((x))``, ``--x``, ``x''``, ``exp(exp(x))`` have depth 2.  The
    span points at the operator token of the first node beyond the limit (the 101st
    ``(``, ``-``, ``'``, ...), the place where the limit is crossed.
    """
    root = 0 if tree.data in _LEAVES else 1
    stack: list[tuple[Tree[Token], int]] = [(tree, root)]
    deepest = root
    crossing: Tree[Token] | None = None
    while stack:
        node, depth = stack.pop()
        for child in node.children:
            if isinstance(child, Tree) and child.data not in _LEAVES:
                d = depth + 1
                if d > limit and crossing is None:
                    crossing = child
                deepest = max(deepest, d)
                stack.append((child, d))
    if crossing is not None:
        raise LimitError(
            f"expression nested too deeply (depth {deepest}; the limit is {limit})",
            _operator_span(crossing), text)


def check_parenthesis_depth(text: str, prefix: int, limit: int = MAX_DEPTH) -> None:
    """On a text too long to parse, report parentheses nested beyond ``limit`` within its
    first ``prefix`` characters: the more specific of the two errors (10,000 nested
    parentheses are too long *because* they are too deep).  Every '(' opens a node of
    the syntax tree inside the enclosing ones, so this never reports a depth that
    :func:`check_depth` would accept.  Bounded work: the prefix only."""
    depth = deepest = 0
    crossing = -1
    for i, c in enumerate(text[:prefix]):
        if c == "(":
            depth += 1
            if depth > deepest:
                deepest = depth
                if depth == limit + 1:
                    crossing = i
        elif c == ")":
            depth = max(0, depth - 1)
    if crossing >= 0:
        shown = f"at least {deepest}" if len(text) > prefix else str(deepest)
        raise LimitError(
            f"expression nested too deeply (depth {shown}; the limit is {limit})",
            Span(crossing, crossing + 1), text)


def _operator_span(node: Tree[Token]) -> Span:
    for child in node.children:
        if isinstance(child, Token) and child.start_pos is not None:
            return Span(child.start_pos, child.end_pos or child.start_pos + 1)
    return Span(node.meta.start_pos, node.meta.end_pos)  # pragma: no cover


# --- lark errors in human words ---------------------------------------------------

_OPERAND = "an operand (a number, a name, a function call or '(')"
_OPERATOR = "an operator (+ - * / .* ./ ^ .^ or the transpose ' or .')"
_OPERATOR_TERMINALS = frozenset(
    {"ADD", "SUB", "MUL", "DIV", "EMUL", "EDIV", "POW", "EPOW", "QUOTE", "DOTQUOTE", "KRON"})
_DECL_HINT = " (a declaration reads like 'x: vector(n)' or 'S: matrix(n, n) symmetric')"
_CHAR_HINTS = {
    ".": " (numbers are written 2, 2.5 or .5; the elementwise operators are .* ./ .^, "
         "the transpose ' or .')",
    "[": " (group with parentheses)",
    "]": " (group with parentheses)",
    "{": " (group with parentheses)",
    "}": " (group with parentheses)",
    "=": " (write only the expression, not an equation)",
}


def syntax_error(e: UnexpectedInput, text: str, context: Context) -> MatdiffError:
    if context == "declaration":
        return _declaration_syntax_error(e, text)
    if isinstance(e, UnexpectedCharacters):
        pos = e.pos_in_stream or 0
        char = text[pos] if pos < len(text) else ""
        expected = _expected_words(e.allowed or set(), text, pos)
        return ParseError(f"unexpected character {char!r}: expected {expected}"
                          f"{_CHAR_HINTS.get(char, '')}", Span(pos, pos + 1), text)
    if isinstance(e, UnexpectedToken):
        tok = e.token
        at_end = tok.type == "$END"
        pos = len(text.rstrip()) if at_end else (tok.start_pos or 0)
        span = Span(pos, pos + 1) if at_end else Span(pos, tok.end_pos or pos + 1)
        opened = _open_parens(text, pos)
        if tok.type == "RPAR" and not opened:
            return ParseError("unmatched ')': there is no '(' before it to close", span, text)
        accepts = _accepts(e)
        if at_end and opened and not (accepts & {"NAME", "NUMBER"}):
            return ParseError(f"unexpected end of input: expected ')' to close the '(' at "
                              f"column {opened[-1] + 1}", span, text)
        message = f"unexpected {_describe(tok)}: expected {_expected_words(accepts, text, pos)}"
        return ParseError(message + _token_hint(tok, accepts, text, pos), span, text)
    pos = e.pos_in_stream or 0  # pragma: no cover - UnexpectedEOF is Earley-only
    return ParseError("unexpected end of input", Span(pos, pos + 1), text)  # pragma: no cover


def _accepts(e: UnexpectedToken) -> set[str]:
    """The terminals that would really advance the parser (lark's ``accepts`` replays
    them on a copy of the state; ``expected`` has LALR's merged lookaheads)."""
    try:
        accepts = e.accepts
    except LarkError:  # pragma: no cover - defensive: fall back to the raw set
        accepts = None
    return set(accepts) if accepts else set(e.expected)


def _open_parens(text: str, pos: int) -> list[int]:
    """Offsets of the '(' still open at ``pos`` (the language has no strings, so every
    parenthesis character before a syntax error is a token)."""
    stack: list[int] = []
    for i, c in enumerate(text[:pos]):
        if c == "(":
            stack.append(i)
        elif c == ")" and stack:
            stack.pop()
    return stack


def _expected_words(accepts: set[str], text: str, pos: int) -> str:
    if accepts & {"NAME", "NUMBER"}:
        return _OPERAND
    words = [_OPERATOR] if accepts & _OPERATOR_TERMINALS else []
    opened = _open_parens(text, pos)
    if opened:
        words.append(f"')' to close the '(' at column {opened[-1] + 1}")
    elif "$END" in accepts or not words:
        words.append("the end of the expression")
    return " or ".join(words)


def _describe(tok: Token) -> str:
    if tok.type == "$END":
        return "end of input"
    if tok.type == "NAME":
        return f"name '{tok}'"
    if tok.type == "NUMBER":
        return f"number {tok}"
    if tok.type == "QUOTE":
        return "transpose '"
    if tok.type == "DOTQUOTE":
        return "transpose .'"
    if tok.type in _OPERATOR_TERMINALS:
        return f"operator '{tok}'"
    return f"'{tok}'"


def _token_hint(tok: Token, accepts: set[str], text: str, pos: int) -> str:
    before = text[:pos].rstrip()
    if tok.type == "MUL" and before.endswith("*"):
        return " (for a power write ^, not **)"
    operand_position = bool(accepts & {"NAME", "NUMBER"})
    if not operand_position and tok.type in ("NAME", "NUMBER", "LPAR"):
        return " (a product needs an explicit '*', as in 2*x)"
    if tok.type == "RPAR" and before.endswith("("):
        return " (empty parentheses)"
    if tok.type == "EQ":
        return (" (write only the expression, not an equation; a where list reads "
                "'A*P*B  where P = X*X')")
    if tok.type == "COMMA" and not operand_position:
        return " (a ',' separates the arguments of a function call)"
    return ""


_DECL_WORDS = {
    "COLON": "':' after the variable's name",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "$END": "the end of the declaration",
}
_DECL_NAME_AFTER_COLON = ("a type or a property (scalar, vector, matrix, symmetric, spd, "
                          "diagonal, positive)")


def _declaration_syntax_error(e: UnexpectedInput, text: str) -> DeclarationError:
    pos = e.pos_in_stream or 0
    if isinstance(e, UnexpectedCharacters):
        char = text[pos] if pos < len(text) else ""
        return DeclarationError(f"unexpected character {char!r}{_DECL_HINT}",
                                Span(pos, pos + 1), text)
    if isinstance(e, UnexpectedToken):
        tok = e.token
        at_end = tok.type == "$END"
        if at_end:
            pos = len(text.rstrip())
        span = Span(pos, pos + 1) if at_end else Span(pos, tok.end_pos or pos + 1)
        accepts = _accepts(e)
        in_parens = bool(_open_parens(text, pos))
        words: list[str] = []
        if "NAME" in accepts or "NUMBER" in accepts:
            if in_parens:
                words.append("a dimension (a name or a positive integer)")
            elif ":" in text[:pos]:
                words.append(_DECL_NAME_AFTER_COLON)
            else:
                words.append("a variable name")
        words += [_DECL_WORDS[t] for t in sorted(accepts) if t in _DECL_WORDS]
        hint = _DECL_HINT
        if tok.type == "COMMA" and not in_parens:
            hint = " (give one declaration per entry, as in ['x: vector(n)', 'A: matrix(m, n)'])"
        expected = " or ".join(words) if words else "something else"
        return DeclarationError(f"unexpected {_describe(tok)}: expected {expected}{hint}",
                                span, text)
    return DeclarationError(f"cannot read the declaration{_DECL_HINT}",  # pragma: no cover
                            Span(pos, pos + 1), text)
