"""Parts of an expression that are undefined once simplified: ``1/(a - a)``,
``log(x - x)``, ``x ./ (y - y)``, ``inv(X - X)``.

The parser refuses undefined *constants* where they are written (:mod:`matdiff.ir.domain`);
a part that only simplifies to such a constant is found here, before anything else
simplifies the expression — where the simplifier would otherwise fold ``0*(a-a)^-1`` to
``0`` and print a definite answer for a function defined nowhere.  Every operand an op
restricts (a divisor, the argument of ``log``, ...) is simplified (one shared memo) and,
when it is a constant, checked against the op's domain.
"""

from __future__ import annotations

from ..errors import UndefinedError
from ..ir import Node, domain
from .engine import DEFAULT

RESTRICTED = frozenset({"ediv", "power", "log", "sqrt", "arcsin", "arccos", "inv", "logdet",
                        "matpow"})
"""Ops defined on part of their operands' values only (see :mod:`matdiff.ir.domain`)."""


def check_defined(expr: Node, sources: domain.SourceMap, text: str) -> None:
    """Raise :class:`~matdiff.errors.UndefinedError` at the column of the first part of
    ``expr`` (innermost, leftmost) whose operands simplify to constants outside its
    domain (``sources``: where the parser built each node, ``text``: the source)."""
    memo: dict[Node, Node] = {}
    described: dict[Node, domain.Entries | None] = {}
    for n in expr.walk():
        if n.op not in RESTRICTED or (n.op == "matpow" and n.attrs[0] >= 0):
            continue
        operands: list[domain.Entries | None] = []
        for i, a in enumerate(n.args):
            if n.op == "ediv" and i == 0:  # u ./ v is restricted in v only
                operands.append(None)
            elif a.is_leaf:
                operands.append(domain.describe(a, described))
            else:
                s = DEFAULT.simplify(a, memo=memo)
                operands.append(domain.describe(s, described))
        try:
            domain.check_node(n, operands)
        except domain.Undefined as u:
            message, span = domain.locate(u, sources, text, identically=True)
            raise UndefinedError(message, span, text) from None
