"""What a rewrite rule is, and the record of one application.

A :class:`Rule` is one row of the rule table: a name, the op of the nodes it applies to,
the identity it states, where that identity comes from, and *how* it rewrites — either a
:class:`~matdiff.simplify.patterns.Pattern` (a fixed-arity structural rewrite written in
the pattern language) or a *procedure*, a typed function ``Node -> Node | None`` for the
n-ary canonicalisations.  The engine treats both alike: it calls :meth:`Rule.apply` on a
node whose operands are already simplified, and a result (not ``None``, not the node
itself) means the rule fired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..ir import OPS, Node
from .patterns import Pattern, parse_pattern

Procedure = Callable[[Node], Node | None]


@dataclass(frozen=True)
class Rewrite:
    """One rule application: ``before`` (operands already simplified) became ``after``."""

    rule: str
    before: Node
    after: Node


@dataclass(frozen=True)
class Rule:
    """One row of :data:`~matdiff.simplify.rules.RULES`.

    Exactly one of ``pattern`` and ``procedure`` is set.  ``identity`` states the equation
    the rule applies (left side to right side), ``source`` where it is from ("algebra",
    "Matrix Cookbook (eq. 6)", "seed 000, trace property 1", ...).
    """

    name: str
    op: str
    identity: str
    source: str
    pattern: Pattern | None = None
    procedure: Procedure | None = None

    def __post_init__(self) -> None:
        if (self.pattern is None) == (self.procedure is None):
            raise ValueError(f"rule {self.name}: give a pattern or a procedure (one of them)")
        if self.op not in OPS:
            raise ValueError(f"rule {self.name}: unknown op {self.op!r}")
        if self.pattern is not None and self.pattern.op != self.op:
            raise ValueError(f"rule {self.name}: pattern root {self.pattern.op} != {self.op}")

    @property
    def how(self) -> str:
        """The pattern line, or the procedure's name."""
        if self.pattern is not None:
            return self.pattern.text
        assert self.procedure is not None
        return f"procedure {self.procedure.__name__}"

    def apply(self, node: Node) -> Node | None:
        if self.pattern is not None:
            return self.pattern.apply(node)
        assert self.procedure is not None
        return self.procedure(node)


def pattern_rule(name: str, text: str, identity: str, source: str) -> Rule:
    """A rule from a pattern line; its op is the pattern's root op."""
    pattern = parse_pattern(text)
    return Rule(name, pattern.op, identity, source, pattern=pattern)


def procedure_rule(name: str, op: str, procedure: Procedure, identity: str,
                   source: str) -> Rule:
    return Rule(name, op, identity, source, procedure=procedure)
