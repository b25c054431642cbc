"""The independent oracle's reader of the surface text (``tests/oracle.py``; not a test
module): its own tokenizer and recursive-descent parser, nothing of matdiff's."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


class OracleUnsupported(Exception):
    """The oracle cannot evaluate this text (it says why); not a verdict on matdiff."""


# --- reading the text ----------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<num>([0-9]+(\.[0-9]+)?|\.[0-9]+)([eE][+-]?[0-9]+)?)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op>\.\*|\./|\.\^|\.'|[-+*/^'(),=;]))")

Ast = tuple[Any, ...]
"""``("num", float)``, ``("name", str)``, ``("call", name, [args])``, ``("neg", a)``,
``("t", a)`` (transpose), ``("bin", op, a, b)``.  A ``where`` list is substituted
while parsing: ``p*p'  where p = exp(x)`` reads as ``exp(x)*exp(x)'``."""


def tokenize(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise OracleUnsupported(f"cannot read {text[pos:pos + 10]!r}")
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    """Precedence, lowest first: ``+ -`` < ``* / .* ./`` < unary ``- +`` < ``^ .^``
    (right-associative, the exponent a unary) < postfix ``'`` and ``.'`` < atoms; an
    optional ``where name = e; name = e, ...`` list after the whole expression."""

    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.k = 0

    def peek(self) -> str | None:
        return self.tokens[self.k][1] if self.k < len(self.tokens) else None

    def take(self, want: str | None = None) -> tuple[str, str]:
        if self.k >= len(self.tokens):
            raise OracleUnsupported("unexpected end of text")
        tok = self.tokens[self.k]
        if want is not None and tok[1] != want:
            raise OracleUnsupported(f"expected {want!r}, got {tok[1]!r}")
        self.k += 1
        return tok

    def parse(self) -> Ast:
        e = self.sum()
        if self.k < len(self.tokens) and self.tokens[self.k] == ("name", "where"):
            e = self.where(e)
        if self.k != len(self.tokens):
            raise OracleUnsupported(f"trailing {self.tokens[self.k][1]!r}")
        return e

    def where(self, main: Ast) -> Ast:
        """``main  where p = e1; q = e2``: each definition may use the ones before it."""
        self.take("where")
        definitions: dict[str, Ast] = {}
        while True:
            kind, name = self.take()
            if kind != "name":
                raise OracleUnsupported(f"expected a name to define, got {name!r}")
            self.take("=")
            definitions[name] = _substitute(self.sum(), definitions)
            if self.peek() not in (";", ","):
                break
            self.take()
        return _substitute(main, definitions)

    def sum(self) -> Ast:
        e = self.product()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            e = ("bin", op, e, self.product())
        return e

    def product(self) -> Ast:
        e = self.unary()
        while self.peek() in ("*", "/", ".*", "./"):
            op = self.take()[1]
            e = ("bin", op, e, self.unary())
        return e

    def unary(self) -> Ast:
        if self.peek() == "-":
            self.take()
            return ("neg", self.unary())
        if self.peek() == "+":
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> Ast:
        base = self.postfix()
        if self.peek() in ("^", ".^"):
            op = self.take()[1]
            return ("bin", op, base, self.unary())
        return base

    def postfix(self) -> Ast:
        e = self.atom()
        while self.peek() in ("'", ".'"):
            self.take()
            e = ("t", e)
        return e

    def atom(self) -> Ast:
        kind, text = self.take()
        if kind == "num":
            return ("num", float(text))
        if kind == "name":
            if self.peek() == "(":
                self.take("(")
                args: list[Ast] = []
                if self.peek() != ")":
                    args.append(self.sum())
                    while self.peek() == ",":
                        self.take()
                        args.append(self.sum())
                self.take(")")
                return ("call", text, args)
            return ("name", text)
        if text == "(":
            e = self.sum()
            self.take(")")
            return e
        raise OracleUnsupported(f"unexpected {text!r}")


def _substitute(e: Ast, definitions: Mapping[str, Ast]) -> Ast:
    if not definitions:
        return e
    if e[0] == "name":
        return definitions.get(e[1], e)
    if e[0] == "call":
        return ("call", e[1], [_substitute(a, definitions) for a in e[2]])
    if e[0] in ("neg", "t"):
        return (e[0], _substitute(e[1], definitions))
    if e[0] == "bin":
        return ("bin", e[1], _substitute(e[2], definitions), _substitute(e[3], definitions))
    return e


def parse_text(text: str) -> Ast:
    return _Parser(text).parse()


__all__ = ["Ast", "OracleUnsupported", "parse_text", "tokenize"]
