"""The rewrite engine: bottom-up, memoised, to a fixed point, within a budget.

``simplify(e)`` simplifies the operands of every node before the node itself (post-order,
with an explicit stack: no Python recursion, whatever the depth), rebuilds the node on
its simplified operands, and tries the rules of its op in table order.  When one fires,
its result — which may contain new, unsimplified nodes — is simplified the same way and
becomes the node's result; when none fires the node is in normal form.  Nodes are
interned, so a dict keyed by node is the memo table: a shared subexpression is simplified
once.

Every firing counts against ``budget``; when it is spent no rule fires any more and the
traversal just finishes rebuilding, so the result is the current (equal-valued)
expression.  A rule set that cycles (a rewrite whose result is a node still being
simplified) cannot loop: such a rewrite is refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..ir import Node, make
from ..ir import build as b
from .rule import Rewrite, Rule
from .rules import PRESENTATION_RULES, RULES


def _rebuild(node: Node, args: list[Node]) -> Node:
    """``node`` on new operands; sums and products are re-flattened by the builders."""
    if all(x is y for x, y in zip(args, node.args, strict=True)):
        return node
    if node.op == "add":
        return b.add(*args)
    if node.op == "mul":
        return b.mul(*args)
    if node.op == "hadamard":
        return b.hadamard(*args)
    return make(node.op, args, node.attrs)


class Simplifier:
    """A rule set dispatched by op; :func:`simplify` uses the one built from RULES."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules: tuple[Rule, ...] = tuple(rules)
        by_op: dict[str, list[Rule]] = {}
        for rule in self.rules:
            by_op.setdefault(rule.op, []).append(rule)
        self.by_op: dict[str, tuple[Rule, ...]] = {k: tuple(v) for k, v in by_op.items()}

    def simplify(self, expr: Node, *, record: list[Rewrite] | None = None,
                 budget: int = 20_000, memo: dict[Node, Node] | None = None) -> Node:
        """``expr`` in normal form; ``memo`` (node -> normal form) may be shared by calls
        on related expressions, so a common part is simplified once."""
        memo = {} if memo is None else memo  # node -> its normal form
        entered: set[Node] = set()  # operands pushed (finished once in memo)
        waiting: dict[Node, tuple[Node, Node]] = {}  # node -> (rebuilt, rewrite result)
        fired = 0
        stack = [expr]
        while stack:
            node = stack[-1]
            if node in memo:
                stack.pop()
                continue
            if node in waiting:  # its rewrite has been simplified: that is its result
                rebuilt, result = waiting.pop(node)
                memo[node] = memo[rebuilt] = memo.get(result, result)
                stack.pop()
                continue
            if node not in entered:
                entered.add(node)
                todo = [a for a in node.args if a not in memo]
                if any(a in entered for a in todo):  # a cycle made by rewriting: stop here
                    memo[node] = node
                    stack.pop()
                    continue
                if todo:
                    stack.extend(reversed(todo))
                    continue
            rebuilt = _rebuild(node, [memo[a] for a in node.args])
            done = memo.get(rebuilt)
            if done is None and rebuilt is not node and rebuilt in entered:
                done = rebuilt  # rebuilt is being simplified further up: a cycle
            if done is not None:
                memo[node] = done
                stack.pop()
                continue
            found = self._rewrite(rebuilt) if fired < budget else None
            if found is not None:
                rule, result = found
                if result in entered and result not in memo:
                    found = None  # rewriting into a node in progress would cycle
            if found is None:
                memo[node] = memo[rebuilt] = rebuilt
                stack.pop()
                continue
            fired += 1
            if record is not None:
                record.append(Rewrite(rule.name, rebuilt, result))
            if result in memo:
                memo[node] = memo[rebuilt] = memo[result]
                stack.pop()
                continue
            waiting[node] = (rebuilt, result)
            stack.append(result)
        return memo[expr]

    def _rewrite(self, node: Node) -> tuple[Rule, Node] | None:
        for rule in self.by_op.get(node.op, ()):
            result = rule.apply(node)
            if result is not None and result is not node:
                return rule, result
        return None


DEFAULT = Simplifier(RULES)
PRESENTATION = Simplifier(PRESENTATION_RULES)


def simplify(expr: Node, *, record: list[Rewrite] | None = None,
             budget: int = 20_000) -> Node:
    """An expression equal in value to ``expr`` wherever ``expr`` is defined, in canonical
    form (transposes at the leaves, like terms collected, constants folded exactly).

    Every rule application is appended to ``record`` (if given) as a
    :class:`~matdiff.simplify.rule.Rewrite`, in order.  At most ``budget`` rules fire; the
    expression reached by then is returned.
    """
    return DEFAULT.simplify(expr, record=record, budget=budget)


def present(expr: Node, *, record: list[Rewrite] | None = None) -> Node:
    """``expr`` (in canonical form) as a textbook prints it: the presentation rules of
    :data:`~matdiff.simplify.rules.PRESENTATION_RULES`, which only shorten."""
    return PRESENTATION.simplify(expr, record=record)
