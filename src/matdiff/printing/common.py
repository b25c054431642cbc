"""What the text and LaTeX printers share: the printed-fragment type and the dispatch.

Each printer turns a node into a :class:`Printed` fragment: its text, the precedence of
its outermost operator (from that printer's own table), and a tag naming the form
(usually the op; ``"negnum"`` for a negative literal such as ``-2`` or ``-0.5``,
``"ratio"`` for ``1/3``), so a parent can decide whether the fragment needs parentheses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import ClassVar, NamedTuple

from ..ir.nodes import Node


class Printed(NamedTuple):
    text: str
    prec: int
    tag: str


def wrap(p: Printed, ok: bool, left: str = "(", right: str = ")") -> str:
    """``p``'s text, in parentheses unless ``ok``."""
    return p.text if ok else f"{left}{p.text}{right}"


class PrinterBase:
    """Memoised dispatch on the op through a printer's ``ROWS`` and ``PRECEDENCE`` tables
    (the IR is a DAG: each node prints once), and the minus-sign logic both share.

    A subclass sets ``rows``, ``precedence`` and ``number`` and defines ``product``.
    """

    rows: ClassVar[Mapping[str, Callable[..., str | Printed]]]
    precedence: ClassVar[Mapping[str, int]]
    number: ClassVar[Callable[[Fraction], Printed]]

    def __init__(self) -> None:
        self.memo: dict[tuple[Node, bool], Printed] = {}

    def p(self, node: Node, bare: bool = False) -> Printed:
        """Print ``node``; ``bare``: a constant/broadcast scalar may print as a scalar."""
        key = (node, bare and node.op in ("fill", "broadcast"))
        done = self.memo.get(key)
        if done is not None:
            return done
        out = self.rows[node.op](self, node, key[1])
        result = out if isinstance(out, Printed) else Printed(
            out, self.precedence[node.op], node.op)
        self.memo[key] = result
        return result

    def negated(self, node: Node, bare: bool) -> Printed | None:
        """``-node`` when ``node`` prints with a leading minus sign, else ``None``."""
        if node.op == "const" or (node.op == "fill" and bare):
            v: Fraction = node.attrs[0]
            return type(self).number(-v) if v < 0 else None
        if node.op == "mul" and node.args[0].op == "const" and node.args[0].attrs[0] < 0:
            return self.product(node, negate=True)
        if node.op == "broadcast" and bare:
            return self.negated(node.args[0], bare=False)
        return None

    def product(self, node: Node, negate: bool = False) -> Printed:
        raise NotImplementedError


def print_sum(pr: PrinterBase, node: Node, add_prec: int,
              wrap: Callable[[Printed, bool], str]) -> Printed:
    """``t1 + t2 - t3``: a term printing with a leading minus becomes a subtraction.
    Constants and broadcasts print bare (the parser broadcasts scalars in ``+``)."""
    text = pr.p(node.args[0], bare=True).text  # nothing binds looser than +
    for term in node.args[1:]:
        neg = pr.negated(term, bare=True)
        if neg is not None:
            text += " - " + wrap(neg, neg.prec > add_prec)
        else:
            tp = pr.p(term, bare=True)
            text += " + " + wrap(tp, tp.prec > add_prec)
    return Printed(text, add_prec, "add")
