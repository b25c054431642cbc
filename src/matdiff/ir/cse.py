"""Common subexpressions: the parts of an expression worth computing (or naming) once.

Used by the printers (a ``where`` list: ``X'*(s - y)  where s = ...``) and by code generation
(a temporary per shared node).  Nodes are hash-consed, so equal subexpressions are the same
object and counting them is counting identities.

A node is *shared* when it occurs at least twice in the trees of the roots once the shared
nodes chosen before it are treated as names: in ``f(g(x)) + f(g(x))*f(g(x))`` only ``f(g(x))``
is shared, ``g(x)`` is not (it occurs only inside the one definition of ``f(g(x))``), unless it
also occurs elsewhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from .nodes import Node


def _count(roots: Iterable[Node], named: set[Node]) -> Counter[Node]:
    """Occurrences of each node in the trees of ``roots``, not looking inside ``named``
    nodes (each named node's own definition is counted once, as a root)."""
    counts: Counter[Node] = Counter()
    # Memoised per node: the counts of a subtree are added once per occurrence of it.
    below: dict[Node, Counter[Node]] = {}

    def subtree(node: Node) -> Counter[Node]:
        found = below.get(node)
        if found is None:
            found = Counter({node: 1})
            if node not in named:
                for a in node.args:
                    found.update(subtree(a))
            below[node] = found
        return found

    for root in roots:
        counts.update(subtree(root))
    for node in named:
        inner: Counter[Node] = Counter()
        for a in node.args:
            inner.update(subtree(a))
        counts.update(inner)
    return counts


def shared_subexpressions(roots: Sequence[Node],
                          worth: Callable[[Node], bool]) -> list[Node]:
    """The shared nodes of ``roots`` for which ``worth(node)`` holds, each defined before
    any node that uses it (the order a program computes them in).

    Larger candidates are chosen first, so a name covers as much as it can; a smaller one is
    kept only if it still occurs twice outside the chosen ones.
    """
    initial = _count(roots, set())
    candidates = sorted((n for n, k in initial.items() if k >= 2 and not n.is_leaf
                         and worth(n)), key=lambda n: -n.size)
    chosen: set[Node] = set()
    for node in candidates:
        if _count(roots, chosen | {node})[node] >= 2:
            chosen.add(node)
    # Drop a choice that later choices left with a single use (it was only inside them).
    changed = True
    while changed:
        changed = False
        counts = _count(roots, chosen)
        for node in list(chosen):
            if counts[node] < 2:
                chosen.discard(node)
                changed = True
                break
    return sorted(chosen, key=lambda n: n.size)
