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
from dataclasses import dataclass
from fractions import Fraction

from ..shapes import SCALAR
from .nodes import Node, make


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


# --- where lists: naming what repeats, for the printed form ---------------------------

NAME_SIZE = 7
"""A repeated subexpression is named when it has at least this many nodes
(``A + c*B + c^2*C`` is; ``X'*A*X`` and ``x - mu`` stay inline, as the Cookbook writes
them)."""

NAMED_FUNCTIONS = frozenset({
    # sigmoid: the logistic s of X'*diag(s.*(1 - s))*X
    "sigmoid",
    # reduce: a repeated softmax is p (P), as textbooks name it
    "softmax",
})
"""Functions whose repeated value is named itself (not the product around it)."""

# Names tried in order, by kind: the letters textbooks use for such quantities.
_NAMES: dict[str, tuple[str, ...]] = {
    "scalar": ("c", "k", "r", "t"),
    "vector": ("s", "p", "q", "r", "u", "v"),
    "row": ("s", "p", "q", "r", "u", "v"),
    "matrix": ("P", "Q", "R", "M", "N", "Z"),
}


@dataclass(frozen=True)
class WhereForm:
    """``main  where name1 = definition1, ...``: ``main`` and later definitions use the
    names as variables (``var`` leaves); a definition uses only the names before it."""

    main: Node
    definitions: tuple[tuple[str, Node], ...]


def _occurrence_paths(root: Node, target: Node) -> list[tuple[int, ...]]:
    """The tree positions of ``target`` in ``root`` (child-index paths), at most 64."""
    found: list[tuple[int, ...]] = []
    stack: list[tuple[Node, tuple[int, ...]]] = [(root, ())]
    while stack and len(found) < 64:
        node, path = stack.pop()
        if node is target:
            found.append(path)
            continue
        if target.size < node.size:
            stack.extend((a, (*path, i)) for i, a in enumerate(node.args))
    return found


def _at(root: Node, path: tuple[int, ...]) -> Node:
    for i in path:
        root = root.args[i]
    return root


def _common_ancestor(root: Node, target: Node) -> Node:
    """The smallest subtree holding every occurrence of ``target``."""
    paths = _occurrence_paths(root, target)
    prefix: list[int] = []
    for step in zip(*paths, strict=False):
        if len(set(step)) != 1:
            break
        prefix.append(step[0])
    return _at(root, tuple(prefix))


def _fresh(options: tuple[str, ...], used: set[str]) -> str:
    """The first of ``options`` not in ``used``, else the first with a number."""
    return next((n for n in options if n not in used),
                next(f"{options[0]}{i}" for i in range(1, 10_000)
                     if f"{options[0]}{i}" not in used))


def where_form(root: Node, taken: set[str]) -> WhereForm:
    """Name what repeats in ``root``: a repeated subexpression of at least
    :data:`NAME_SIZE` nodes, or, when the repetition sits inside one elementwise
    quotient or product below the root that has it as an operand (the logistic
    ``s = exp(z)./(1 + exp(z))``, the softmax ``P = exp(Z).*...``), that quantity (but a
    repeated ``sigmoid(z)`` itself: :data:`NAMED_FUNCTIONS`); and
    first a normalized column (:func:`normalized_form`).  ``taken`` are names in use (the
    expression's variables); new names avoid them."""
    used = set(taken)
    definitions: list[tuple[str, Node]] = []
    p_name = _fresh(_NAMES["vector"][1:], used)  # p, as in the softmax p
    normalized = normalized_form(root, p_name)
    if normalized is not None:
        used.add(p_name)
        definitions.append((p_name, normalized[0]))
        root = normalized[1]
    chosen: list[Node] = []
    for node in shared_subexpressions([root], lambda n: n.size >= 3 or n.op == "softmax"):
        ancestor = _common_ancestor(root, node)
        if node.op in NAMED_FUNCTIONS:
            pick = node  # s = sigmoid(X*w): the quantity itself, as textbooks name it
        elif (ancestor is not root and ancestor.op in ("hadamard", "ediv")
                and node in ancestor.args):
            pick = ancestor
        elif node.size >= NAME_SIZE:
            pick = node
        else:
            continue
        if pick not in chosen and not any(pick.contains(c) or c.contains(pick)
                                          for c in chosen):
            chosen.append(pick)
    chosen.sort(key=lambda n: n.size)
    names: dict[Node, Node] = {}
    for node in chosen:
        options = _NAMES[node.shape.kind]
        if node.op == "sigmoid":  # the logistic s (S for a matrix), as textbooks write it
            options = ("S" if node.shape.kind == "matrix" else "s", *options)
        elif node.op == "softmax" and node.shape.kind != "matrix":
            options = options[1:]  # p, as in the softmax p
        name = _fresh(options, used)
        used.add(name)
        definitions.append((name, node.substitute(names)))
        names[node] = make("var", (), (name, frozenset()), node.shape)
    return WhereForm(root.substitute(names), tuple(definitions))


_SCALING = frozenset({"mul", "transpose", "diagm", "hadamard"})
"""Ops through which a factor ``e`` scales the whole (replacing ``e`` by ``e/s`` in a
product or a ``diag`` divides the whole by ``s``; in a sum it would not)."""


def _tree_count(node: Node, target: Node, through: frozenset[str] | None = None) -> int:
    """Occurrences of ``target`` in the tree of ``node``; with ``through``, only those
    reached through those ops from ``node``."""
    counts: dict[Node, int] = {}
    for n in node.walk():  # children first
        if n is target:
            counts[n] = 1
        elif through is None or n.op in through:
            counts[n] = sum(counts[a] for a in n.args)
        else:
            counts[n] = 0
    return counts[node]


def _divisor_power(term: Node, s: Node) -> int:
    """``k`` when ``term = ... * s^-k * ...`` (a scalar factor), else 0."""
    for f in term.args if term.op == "mul" else (term,):
        if f.op == "power" and f.args[0] is s and f.args[1].op == "const":
            k = -f.args[1].attrs[0]
            if k.denominator == 1 and k > 0:
                return int(k)
    return 0


def normalized_form(root: Node, name: str) -> tuple[Node, Node] | None:
    """``diag(e)/s - e*e'/s^2 = diag(p) - p*p'`` with ``p = e/s``: when every term of
    ``root`` divides by ``s^k`` and holds the column ``e`` exactly ``k`` times (and ``s``
    nowhere else), the terms are written with ``p`` (the softmax Jacobian and the
    log-sum-exp Hessian, as textbooks print them).  Returns (``p``'s definition, the new
    root with the variable ``name`` for ``p``)."""
    terms = root.args if root.op == "add" else (root,)
    first = terms[0].args if terms[0].op == "mul" else (terms[0],)
    for s in (f.args[0] for f in first if f.op == "power" and f.args[0].shape.is_scalar):
        ks = [_divisor_power(t, s) for t in terms]
        if not all(ks) or sum(ks) < 2:  # p used once: naming it says nothing
            continue
        rests = [make("mul", tuple(f for f in t.args if not (f.op == "power"
                                                             and f.args[0] is s)))
                 if t.op == "mul" and len(t.args) > 2 else
                 next(f for f in t.args if not (f.op == "power" and f.args[0] is s))
                 for t in terms]
        if any(_tree_count(r, s) for r in rests):
            continue
        for e in (n for n in rests[0].walk() if n.shape.kind == "vector" and not n.is_leaf):
            if all(_tree_count(r, e) == k == _tree_count(r, e, _SCALING)
                   for r, k in zip(rests, ks, strict=True)):
                p = make("var", (), (name, frozenset()), e.shape)
                new = [r.substitute({e: p}) for r in rests]
                body = new[0] if len(new) == 1 else make("add", tuple(new))
                if body is p:
                    return None  # naming the whole result says nothing
                return make("mul", (make("power", (s, _minus_one())), e)), body
    return None


def _minus_one() -> Node:
    return make("const", (), (Fraction(-1),), SCALAR)
