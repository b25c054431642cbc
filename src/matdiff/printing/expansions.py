"""What implicit expansion did to an expression, in words: ``b expanded across the
columns of W*X`` (the note on a derivative's kind line, so a default that decided the
answer is stated).

The parser expands a vector when an elementwise operator (``+ - .* ./ .^``) meets it
with a matrix, reading the operators left to right: the matrix it is expanded against
is the value so far (the operands before it), or, for a leading vector, the operand that
follows.  A column is repeated across the matrix's columns, a row down its rows.
"""

from __future__ import annotations

from ..ir import build as b
from ..ir.nodes import Node
from .text import to_text

_JOIN = {"add": b.add, "hadamard": b.hadamard}


def _operand_text(node: Node) -> str:
    text = to_text(node)
    return f"({text})" if " " in text else text


def _partner(parent: Node, i: int) -> Node:
    """The matrix ``parent``'s operand ``i`` is expanded against."""
    args = parent.args
    if parent.op in _JOIN:
        before = args[:i]
        if before:
            return _JOIN[parent.op](*before)
        after = next((a for a in args[i + 1:] if a.op != "expand"), args[i + 1])
        if (after.op == "mul" and after.args[0].op == "const"
                and after.args[0].attrs[0] == -1):  # b - W*X: against W*X
            return b.mul(*after.args[1:])
        return after
    return args[1 - i]  # ediv, power: the other operand


def expansion_notes(expr: Node) -> tuple[str, ...]:
    """One note per expanded vector of ``expr`` (as the parser built it), in order of
    appearance: ``b expanded across the columns of W*X``, ``b' expanded down the rows of
    X*W``."""
    notes: dict[str, None] = {}
    for parent in expr.walk():
        if parent.op not in ("add", "hadamard", "ediv", "power"):
            continue
        for i, a in enumerate(parent.args):
            v = a.args[1] if _negated_expansion(a) else a
            if v.op != "expand":
                continue
            where = ("across the columns" if v.args[0].shape.kind == "vector"
                     else "down the rows")
            notes.setdefault(f"{_operand_text(v.args[0])} expanded {where} of "
                             f"{to_text(_partner(parent, i))}", None)
    return tuple(notes)


def _negated_expansion(node: Node) -> bool:
    """``-1*expand(v)``: how the parser writes ``W*X - b``."""
    return (node.op == "mul" and len(node.args) == 2 and node.args[0].op == "const"
            and node.args[1].op == "expand")
