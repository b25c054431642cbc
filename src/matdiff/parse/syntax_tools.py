"""Small readers of the syntax tree shared by elaboration: a walk without recursion,
number literals with their signs, the size arguments of the sized constants, and source
fragments grouped for messages."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from fractions import Fraction

from ..errors import ParseError, ShapeError
from ..shapes import Dim, Shape, multiply
from ..spans import Span
from .declarations import default_kind
from .syntax import Call, Chain, Expr, Name, Neg, Num, Power, Transpose, Where

MAX_SIZE_DIGITS = 9  # as a declared dimension: 10**9 is already far beyond any array
_SIZE_OF = {"rows": ("rows", "matrix"), "cols": ("cols", "matrix"), "len": ("rows", "vector")}


def walk(expr: Expr) -> Iterator[Expr]:
    stack = [expr]
    while stack:
        e = stack.pop()
        yield e
        if isinstance(e, Call):
            stack.extend(e.args)
        elif isinstance(e, Neg | Transpose):
            stack.append(e.operand)
        elif isinstance(e, Power):
            stack.extend((e.base, e.exponent))
        elif isinstance(e, Chain):
            stack.append(e.first)
            stack.extend(s.operand for s in e.rest)
        elif isinstance(e, Where):
            stack.append(e.main)
            stack.extend(b.value for b in e.bindings)


def constant(e: Expr) -> Fraction | None:
    """The value of a number literal with optional unary minus signs, else None."""
    sign = 1
    while isinstance(e, Neg):
        sign, e = -sign, e.operand
    return sign * e.value if isinstance(e, Num) else None


def integer_literal(e: Expr) -> int | None:
    value = constant(e)
    if value is None or value.denominator != 1:
        return None
    return int(value)


def group(text: str) -> str:
    """Parenthesise a source fragment unless it is one operand already: a name or a
    number, a call or a parenthesised group, possibly transposed."""
    core = text.rstrip("'")
    if re.fullmatch(r"[A-Za-z0-9_.]+", core):
        return text
    head = re.match(r"[A-Za-z_][A-Za-z0-9_]*", core)
    opening = head.end() if head else 0
    if core.endswith(")") and core[opening:opening + 1] == "(":
        depth = 0
        for i, c in enumerate(core[opening:], start=opening):
            depth += {"(": 1, ")": -1}.get(c, 0)
            if depth == 0:
                return text if i == len(core) - 1 else f"({text})"
    return f"({text})"


def size_argument(e: Expr, shapes: Mapping[str, Shape], text: str) -> Dim:
    """A size argument of ``eye``/``ones``/``zeros`` (``shapes``: the variables'): a
    positive integer, a dimension name (``n``), or ``rows(X)``,
    ``cols(X)``, ``len(x)`` (the sizes of a variable, which is how a dimension that
    nothing names prints)."""
    if isinstance(e, Num):
        v = e.value
        if v.denominator != 1 or not 1 <= v < 10**MAX_SIZE_DIGITS:
            raise ParseError(f"a size must be a positive integer below 10^{MAX_SIZE_DIGITS}, "
                             f"got {_source(text, e.span)}", e.span, text)
        return int(v)
    if isinstance(e, Name):  # any name: a dimension may be called exp or ones
        return e.name
    if isinstance(e, Chain) and all(step.op == "*" for step in e.rest):
        # a product of sizes, as results print kron's and vec's: rows(A)*rows(B)
        return multiply(size_argument(e.first, shapes, text),
                        *(size_argument(step.operand, shapes, text) for step in e.rest))
    if (isinstance(e, Call) and e.name in _SIZE_OF and len(e.args) == 1
            and isinstance(e.args[0], Name)):
        slot, kind = _SIZE_OF[e.name]
        var = e.args[0].name
        shape = shapes.get(var)
        actual = shape.kind if shape is not None else default_kind(var)
        if actual != kind:
            raise ShapeError(f"{e.name}({var}) needs a {kind} {var}, but {var} is a "
                             f"{actual or 'name without a default type'}", e.span,
                             text)
        if shape is None:  # not in the text: the dimension is the one so labelled
            return f"{e.name}({var})"
        dim = shape.rows if slot == "rows" else shape.cols
        assert dim is not None
        return dim
    raise ParseError("a size is a positive integer, a dimension name such as n, "
                     "rows(X), cols(X), len(x), or a product of these (m*n)", e.span, text)


def suggest_power(text: str, e: Power, op: str) -> str:
    """``base op exponent`` from the source, for a message (``(A*B).^2``)."""
    base, exponent = _source(text, e.base.span), _source(text, e.exponent.span)
    if len(base) + len(exponent) > 40:
        return f"A{op}k"
    return f"{group(base)}{op}{group(exponent)}"


def suggest_norm(text: str, e: Power) -> str:
    """``x'*x`` for the base of ``x^2``, for a message."""
    base = _source(text, e.base.span)
    if len(base) > 40:
        return "x'*x"
    base = group(base)
    return f"{base}'*{base}"


def _source(text: str, span: Span) -> str:
    return text[span.start:span.end].strip()


CARET_T_NOTE = ("^T is read as the transpose (no variable T is declared or used otherwise; "
                "declare T to mean a power)")
"""The note a result carries when ``X^T`` was read as ``X'``."""


def caret_transpose(expr: Expr, declared: Collection[str]) -> bool:
    """Whether ``X^T`` means the transpose ``X'`` in ``expr``: every use of the name ``T``
    is a bare ``T`` right after ``^`` (not ``.^``), and ``T`` is neither declared nor
    defined in a where list.  Read as a power, ``X^T`` with an undeclared ``T`` (a
    matrix by its letter) is always an error, so this reading never changes the meaning
    of a valid expression; a declared ``T`` keeps the power."""
    if "T" in declared:
        return False
    exponents = names = 0
    for e in walk(expr):
        if isinstance(e, Where) and any(b.name == "T" for b in e.bindings):
            return False
        if isinstance(e, Name) and e.name == "T":
            names += 1
        if (isinstance(e, Power) and not e.elementwise and isinstance(e.exponent, Name)
                and e.exponent.name == "T" and e.exponent.span.end - e.exponent.span.start == 1):
            exponents += 1
    return exponents > 0 and exponents == names
