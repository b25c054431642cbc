"""Declarations (``declare=``) and the default types of undeclared names.

A declaration is ``"NAME: TYPE PROPS..."`` (list form) or ``{"NAME": "TYPE PROPS..."}``
(mapping form, read as the text ``"NAME: TYPE PROPS..."``).  DESIGN.md:

* TYPE: ``scalar``, ``vector``, ``vector(n)``, ``matrix``, ``matrix(m, n)``, or omitted
  (the default kind of the name, below).  Dimensions are names (symbolic) or positive
  integers; unstated ones are inferred by unification and stay symbolic.
* PROPS: ``symmetric``, ``spd`` (symmetric positive definite; implies ``symmetric``),
  ``diagonal``, ``positive`` (every entry > 0).  ``symmetric``/``spd``/``diagonal`` need
  a matrix and make it square.

Default kinds, as matrixcalculus.org: ``a``..``g`` scalars, ``h``..``z`` vectors,
``A``..``Z`` matrices; Greek letter names are scalars; a name starting with ``_`` has no
default and must be declared.  Where the expression gives evidence, it beats the letter
(:mod:`.name_types`).

Declarations are read with the ``decl`` start rule of grammar.lark; the words after the
colon are plain names there and are interpreted here, so a misspelt word is reported
with the valid ones.  Errors are :class:`~matdiff.errors.DeclarationError` with a caret
into the declaration's own text.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

from lark import Token, Tree

from ..errors import DeclarationError, LimitError
from ..spans import Span
from .reader import parse_tree
from .syntax import token_span

DeclKind = Literal["scalar", "vector", "matrix"]
DeclDim = int | str

GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "lam", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
})
TYPES: tuple[DeclKind, ...] = ("scalar", "vector", "matrix")
PROPERTIES = ("symmetric", "spd", "diagonal", "positive")
SQUARE_PROPERTIES = frozenset({"symmetric", "spd", "diagonal"})
MAX_DECLARATION_LENGTH = 1_000
_MAX_DIM_DIGITS = 9  # a dimension is a size: 10**9 is already far beyond any array
_TYPE_LIST = "scalar, vector, vector(n), matrix, matrix(m, n)"


def default_kind(name: str) -> DeclKind | None:
    """The kind an undeclared name has (matrixcalculus.org's convention), or ``None``."""
    if name in GREEK:
        return "scalar"
    first = name[:1]
    if "a" <= first <= "g":
        return "scalar"
    if "h" <= first <= "z":
        return "vector"
    if "A" <= first <= "Z":
        return "matrix"
    return None


HINT_STYLES = ("python", "cli", "web")
hint_style: ContextVar[str] = ContextVar("matdiff_hint_style", default="python")
"""How messages write a declaration the user could add: ``declare=[...]`` (Python),
``--declare "..."`` (the command line) or the web page's variable table."""


def declare_hint(declarations: Sequence[str]) -> str:
    """``declarations`` (``["x: scalar", "y: scalar"]``) as the front end takes them."""
    style = hint_style.get()
    if style == "cli":
        return " ".join(f'--declare "{d}"' for d in declarations)
    if style == "web":
        return f"set {', '.join(declarations)} in the variables table"
    return f"declare={json.dumps(list(declarations))}"


@dataclass(frozen=True)
class Declaration:
    """One declared variable.

    ``rows``/``cols`` are the declared dimensions, ``None`` where unstated (a vector uses
    ``rows`` only); ``square`` says an unstated matrix size is one unknown used for both
    (``S: symmetric``).  ``props`` is complete (``spd`` includes ``symmetric``).  ``span``
    is the name's position in ``source``, the declaration's text.
    """

    name: str
    kind: DeclKind
    rows: DeclDim | None
    cols: DeclDim | None
    square: bool
    props: frozenset[str]
    span: Span
    source: str


Declare = Mapping[str, str] | Sequence[str] | None


def read_declarations(declare: Declare, reserved: Collection[str]) -> list[Declaration]:
    """All declarations, in order; ``reserved`` names (functions, ``eye``) are refused."""
    texts = _declaration_texts(declare)
    seen: dict[str, Declaration] = {}
    for text in texts:
        d = read_declaration(text)
        if d.name in reserved:
            raise DeclarationError(
                f"{d.name} is a function name and cannot be declared as a variable",
                d.span, text)
        if d.name in seen:
            raise DeclarationError(
                f"{d.name} is declared twice (first as '{seen[d.name].source}')",
                d.span, text)
        seen[d.name] = d
    return list(seen.values())


def _declaration_texts(declare: Declare) -> list[str]:
    if declare is None:
        return []
    if isinstance(declare, str):  # one declaration, not a sequence of characters
        return [declare]
    if isinstance(declare, Mapping):
        texts = []
        for name, spec in declare.items():
            if not isinstance(name, str) or not isinstance(spec, str):
                raise TypeError(f"declare mapping entries must be str: str, got {name!r}: "
                                f"{spec!r}")
            texts.append(f"{name}: {spec}")
        return texts
    texts = list(declare)
    for t in texts:
        if not isinstance(t, str):
            raise TypeError(f"a declaration must be a str such as 'x: vector(n)', got {t!r}")
    return texts


def read_declaration(text: str) -> Declaration:
    """One declaration ``"NAME: TYPE PROPS..."``."""
    if len(text) > MAX_DECLARATION_LENGTH:
        raise LimitError(f"declaration too long ({len(text)} characters; the limit is "
                         f"{MAX_DECLARATION_LENGTH})", Span(MAX_DECLARATION_LENGTH, len(text)),
                         text)
    tree = parse_tree(text, "declaration")
    name_tok = tree.children[0]
    assert isinstance(name_tok, Token)
    name, name_span = str(name_tok), token_span(name_tok)
    kind: DeclKind | None = None
    kind_span = name_span
    dims: list[DeclDim] = []
    props: set[str] = set()
    prop_spans: dict[str, Span] = {}
    for word in tree.children[2:]:
        assert isinstance(word, Tree)
        head = word.children[0]
        assert isinstance(head, Token)
        args = [c for c in word.children[1:]
                if isinstance(c, Token) and c.type in ("NAME", "NUMBER")]
        span = Span(word.meta.start_pos, word.meta.end_pos)
        w = str(head)
        if w in TYPES:
            if kind is not None:
                raise DeclarationError(
                    f"{name} is given two types ({kind} and {w}); give one of {_TYPE_LIST}",
                    span, text)
            kind, kind_span = _type_word(w), span
            dims = [_dimension(a, text) for a in args]
            _check_dim_count(kind, len(dims), span, text)
        elif w in PROPERTIES:
            if args:
                raise DeclarationError(f"the property {w} takes no arguments", span, text)
            props.add(w)
            prop_spans.setdefault(w, span)
        else:
            raise DeclarationError(_unknown_word(w), token_span(head), text)
    declared_kind = kind is not None
    if kind is None:
        kind = default_kind(name)
        if kind is None:
            raise DeclarationError(
                f"{name} has no default type (names starting with '_' have none); give a "
                f"type: {_TYPE_LIST}", name_span, text)
    rows: DeclDim | None = dims[0] if dims else None
    cols: DeclDim | None = dims[1] if len(dims) > 1 else None
    square_props = sorted(props & SQUARE_PROPERTIES)
    square = False
    if square_props:
        what = square_props[0]
        if kind != "matrix":
            how = "declared" if declared_kind else "by default"
            raise DeclarationError(
                f"{what} needs a matrix, but {name} is a {kind} ({how}); declare "
                f"'{name}: matrix {what}'", prop_spans[what], text)
        if rows != cols:
            raise DeclarationError(
                f"{what} needs a square matrix, but {name} is declared matrix({rows}, {cols})",
                kind_span, text)
        square = rows is None
    if "spd" in props:
        props.add("symmetric")
    return Declaration(name, kind, rows, cols, square, frozenset(props), name_span, text)


def _type_word(w: str) -> DeclKind:
    for t in TYPES:
        if t == w:
            return t
    raise AssertionError(w)  # pragma: no cover


def _check_dim_count(kind: DeclKind, n: int, span: Span, text: str) -> None:
    if kind == "scalar" and n:
        raise DeclarationError("scalar takes no dimensions", span, text)
    if kind == "vector" and n not in (0, 1):
        raise DeclarationError(f"vector takes one dimension, as in vector(n); got {n}",
                               span, text)
    if kind == "matrix" and n not in (0, 2):
        raise DeclarationError(
            f"matrix takes two dimensions (rows, columns), as in matrix(m, n); got {n}",
            span, text)


def _dimension(tok: Token, text: str) -> DeclDim:
    span = token_span(tok)
    if tok.type == "NAME":
        return str(tok)
    digits = str(tok)
    if not digits.isdigit():
        raise DeclarationError(
            f"a dimension is a name or a positive integer, got {digits}", span, text)
    if len(digits.lstrip("0")) > _MAX_DIM_DIGITS:
        raise LimitError(f"dimension {digits} is too large", span, text)
    value = int(digits)
    if value <= 0:
        raise DeclarationError(f"a dimension must be positive, got {digits}", span, text)
    return value


def _unknown_word(w: str) -> str:
    valid = [*TYPES, *PROPERTIES]
    close = difflib.get_close_matches(w, valid, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return (f"unknown word '{w}' in a declaration; {hint}a declaration gives a type "
            f"({_TYPE_LIST}) and properties ({', '.join(PROPERTIES)})")
