"""The parser's syntax tree: small frozen dataclasses, each with the :class:`Span` of the
text it was read from, built from lark's parse tree by one :class:`lark.Transformer`.

The tree says only what was written; meaning (shapes, broadcasting, which IR op) is
decided by :mod:`.elaborate`.  Parentheses and unary plus leave no node of their own: the
node inside them gets a span that covers them.  Sums and products are flat
(:class:`Chain`), as in the grammar, so a long sum is shallow.

Number literals are converted here, exactly (``Fraction("0.5") == 1/2``), with the limits
of the brief: at most 100 digits and an exponent within ±300, checked on the text before
any big integer is made.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction

from lark import Token, Transformer, v_args
from lark.tree import Meta

from ..errors import LimitError
from ..spans import Span

MAX_DIGITS = 1000
MAX_EXPONENT = 4000
"""Literal limits: far beyond a float's range, because exact constants fold beyond it
(``x*1e300*1e300`` is ``1e600*x``) and a printed result must read back; bounded, so that
reading a literal stays cheap (``1e999999`` is refused without computing it)."""


@dataclass(frozen=True, slots=True)
class Num:
    """A number literal."""

    span: Span
    value: Fraction


@dataclass(frozen=True, slots=True)
class Name:
    """A bare name: a variable, ``eye``, or (an error) a function name without a call."""

    span: Span
    name: str


@dataclass(frozen=True, slots=True)
class Call:
    """``name(arg, ...)``; ``name_span`` covers the name only."""

    span: Span
    name: str
    name_span: Span
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Neg:
    """Unary minus."""

    span: Span
    operand: Expr


@dataclass(frozen=True, slots=True)
class Transpose:
    """Postfix ``'``."""

    span: Span
    operand: Expr


@dataclass(frozen=True, slots=True)
class Power:
    """``base ^ exponent`` or, with ``elementwise``, ``base .^ exponent``."""

    span: Span
    base: Expr
    exponent: Expr
    elementwise: bool
    op_span: Span


@dataclass(frozen=True, slots=True)
class Step:
    """One ``op operand`` of a :class:`Chain`; ``op`` is the operator's text."""

    op: str
    op_span: Span
    operand: Expr


@dataclass(frozen=True, slots=True)
class Chain:
    """``first op1 x1 op2 x2 ...``, left-associative, all operators of one precedence
    level (``+ -``, ``⊗`` or ``* / .* ./``)."""

    span: Span
    first: Expr
    rest: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Binding:
    """``name = value`` in a ``where`` list."""

    name: str
    name_span: Span
    value: Expr


@dataclass(frozen=True, slots=True)
class Where:
    """``main where P = ..., Q = ...``: the names stand for their definitions (a
    definition may use the names before it), as the printers write a result."""

    span: Span
    main: Expr
    bindings: tuple[Binding, ...]


Expr = Num | Name | Call | Neg | Transpose | Power | Chain | Where


def token_span(tok: Token) -> Span:
    start = tok.start_pos if tok.start_pos is not None else 0
    end = tok.end_pos if tok.end_pos is not None else start
    return Span(start, end)


def _meta_span(meta: Meta) -> Span:
    return Span(meta.start_pos, meta.end_pos)


def number_value(text: str, span: Span) -> Fraction:
    """The exact value of a NUMBER token, or a :class:`LimitError` if it is too large.

    The checks read the text, so ``1e999999`` is refused without computing 10**999999,
    and the exponent is applied here (``Fraction`` would parse an exponent of thousands
    of leading zeros with ``int()``, which refuses strings over 4300 digits).
    """
    mantissa, _, exponent = text.lower().partition("e")
    digits = sum(c.isdigit() for c in mantissa)
    if digits > MAX_DIGITS:
        raise LimitError(
            f"number too large: {digits} digits (the limit is {MAX_DIGITS})", span)
    value = Fraction(mantissa)
    if exponent:
        magnitude = exponent.lstrip("+-").lstrip("0") or "0"
        # Compare lengths first: int() of a huge digit string is itself slow.
        if len(magnitude) > len(str(MAX_EXPONENT)) or int(magnitude) > MAX_EXPONENT:
            shown = exponent if len(exponent) <= 12 else f"{exponent[:6]}... ({len(exponent)} " \
                "characters)"
            raise LimitError(
                f"number too large: exponent {shown} is beyond ±{MAX_EXPONENT}", span)
        power = Fraction(10) ** int(magnitude)
        value = value / power if exponent.startswith("-") else value * power
    return value


@v_args(meta=True)
class ToSyntax(Transformer[Token, Expr]):
    """lark parse tree (rule names of grammar.lark) -> :data:`Expr`."""

    def number(self, meta: Meta, children: list[Token]) -> Expr:
        span = _meta_span(meta)
        return Num(span, number_value(str(children[0]), span))

    def name(self, meta: Meta, children: list[Token]) -> Expr:
        return Name(_meta_span(meta), str(children[0]))

    def call(self, meta: Meta, children: list[Token | Expr]) -> Expr:
        head = children[0]
        assert isinstance(head, Token)
        args = tuple(c for c in children[1:] if not isinstance(c, Token))
        return Call(_meta_span(meta), str(head), token_span(head), args)

    def paren(self, meta: Meta, children: list[Token | Expr]) -> Expr:
        inner = children[1]
        assert not isinstance(inner, Token)
        return dataclasses.replace(inner, span=_meta_span(meta))

    def pos(self, meta: Meta, children: list[Token | Expr]) -> Expr:
        inner = children[1]
        assert not isinstance(inner, Token)
        return dataclasses.replace(inner, span=_meta_span(meta))

    def neg(self, meta: Meta, children: list[Token | Expr]) -> Expr:
        inner = children[1]
        assert not isinstance(inner, Token)
        return Neg(_meta_span(meta), inner)

    def transpose(self, meta: Meta, children: list[Token | Expr]) -> Expr:
        inner = children[0]
        assert not isinstance(inner, Token)
        return Transpose(_meta_span(meta), inner)

    def power(self, meta: Meta, children: list[Token | Expr]) -> Expr:
        base, op, exponent = children
        assert isinstance(op, Token)
        assert not isinstance(base, Token) and not isinstance(exponent, Token)
        return Power(_meta_span(meta), base, exponent, op.type == "EPOW", token_span(op))

    def _chain(self, meta: Meta, children: list[Token | Expr]) -> Expr:
        first = children[0]
        assert not isinstance(first, Token)
        steps: list[Step] = []
        for i in range(1, len(children), 2):
            op, operand = children[i], children[i + 1]
            assert isinstance(op, Token) and not isinstance(operand, Token)
            steps.append(Step(str(op), token_span(op), operand))
        return Chain(_meta_span(meta), first, tuple(steps))

    sum = _chain
    kron = _chain
    product = _chain

    def binding(self, meta: Meta, children: list[Token | Expr]) -> Binding:
        name, _, value = children
        assert isinstance(name, Token) and not isinstance(value, Token)
        return Binding(str(name), token_span(name), value)

    def where(self, meta: Meta, children: list[Token | Expr | Binding]) -> Expr:
        main = children[0]
        assert isinstance(main, Num | Name | Call | Neg | Transpose | Power | Chain)
        bindings = tuple(c for c in children if isinstance(c, Binding))
        return Where(_meta_span(meta), main, bindings)
