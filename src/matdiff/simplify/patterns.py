"""A small pattern language for fixed-arity rewrite rules.

A rule is written as one line, ``PATTERN -> TEMPLATE [if CONDITION]``::

    T(T(X)) -> X
    tr(S) -> S if S is scalar
    inv(T(X)) -> T(inv(X))
    T(matpow{K}(X)) -> matpow{K}(T(X))
    power(X, 0) -> 1

Terms:

- ``op(t1, ..., tk)`` matches a node of that op with exactly ``k`` operands (``T`` is
  short for ``transpose``); ``op{K}(...)`` also binds the node's attributes to ``K`` so
  the template can rebuild the op with them.
- ``X`` (a name starting with a capital letter) matches any node; a name used twice must
  match the same node (nodes are interned, so this is identity).  ``E:eye`` matches only
  nodes of op ``eye`` — the way to name a leaf op, whose shape the template then reuses.
- A number (``0``, ``-1``, ``1/2``) matches a numeric constant of any shape: ``const`` for
  scalars, ``fill`` for vectors and matrices.  In a template, a number that *is* the whole
  template stands for that value in the shape of the rewritten node (so ``exp(0) -> 1``
  is right for ``exp(vector(0))``); a number nested inside a template is a scalar ``const``.

Conditions are ``X is P`` or ``X is not P`` joined by ``and``; ``P`` names a predicate in
:data:`PREDICATES` (shape kinds, ``symmetric``, ``number``, ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from ..ir import OPS, Node, make
from ..ir import build as b
from .numeric import numeric_value

# --- predicates used in conditions ---------------------------------------------------

_SYMMETRIC_PROPS = frozenset({"symmetric", "spd", "diagonal"})
_SAME_SHAPE_OPS = frozenset({"add", "hadamard", "ediv", "power"})


def is_symmetric(node: Node) -> bool:
    """Whether ``node`` is a square matrix equal to its transpose, provably from structure.

    A var declared symmetric/spd/diagonal, ``eye``, ``diag(v)``, a square ``fill`` or
    ``broadcast``; the inverse, integer power, transpose or an elementwise function of a
    symmetric matrix; a sum, ``.*``, ``./`` or ``.^`` of symmetric matrices; a sum whose
    terms pair up with their transposes (``A + A'``); a palindromic product
    ``s*F1*...*Fk*M*Fk'*...*F1'`` with ``M`` symmetric or absent (``X'*X``, ``A*S*A'``).
    Evaluated bottom-up with an explicit stack (no recursion, whatever the depth).
    """
    known: dict[Node, bool] = {}
    stack = [node]
    while stack:
        top = stack[-1]
        if top in known:
            stack.pop()
            continue
        todo = [c for c in _consulted(top) if c not in known]
        if todo:
            stack.extend(todo)
            continue
        known[top] = _symmetric_here(top, known)
        stack.pop()
    return known[node]


def _is_square(node: Node) -> bool:
    s = node.shape
    return s.kind == "matrix" and s.rows == s.cols


def _consulted(node: Node) -> tuple[Node, ...]:
    """The operands whose symmetry decides ``node``'s."""
    if not _is_square(node) or node.op in ("var", "eye", "diagm", "fill", "broadcast"):
        return ()
    if node.op == "mul":
        return tuple(a for a in node.args if not a.shape.is_scalar)
    return node.args


def _symmetric_here(node: Node, known: dict[Node, bool]) -> bool:
    if not _is_square(node):
        return False
    op = node.op
    if op == "var":
        return bool(_SYMMETRIC_PROPS & node.attrs[1])
    if op in ("eye", "diagm", "fill", "broadcast"):
        return True
    if op in ("inv", "matpow", "transpose") or (OPS[op].elementwise and len(node.args) == 1):
        return known[node.args[0]]
    if op == "add" and _closed_under_transpose(node.args, known):
        return True
    if op in _SAME_SHAPE_OPS:
        return all(known[a] for a in node.args)
    if op == "mul":
        big = [a for a in node.args if not a.shape.is_scalar]
        half, odd = divmod(len(big), 2)
        return (all(_transposes(big[i], big[-1 - i], known) for i in range(half))
                and (not odd or known[big[half]]))
    return False


def _transposes(p: Node, q: Node, known: dict[Node, bool]) -> bool:
    """Whether ``q = p'`` is evident: one is the transpose of the other, or ``p`` is ``q``
    and symmetric."""
    if (q.op == "transpose" and q.args[0] is p) or (p.op == "transpose" and p.args[0] is q):
        return True
    return p is q and known.get(p, False)


def _closed_under_transpose(terms: tuple[Node, ...], known: dict[Node, bool]) -> bool:
    """``A + A'`` (and ``A + B + A' + B'``): each term's transpose is another term."""
    unmatched = list(terms)
    while unmatched:
        t = unmatched.pop()
        if known.get(t, False):
            continue
        mate = next((i for i, u in enumerate(unmatched) if _transposes(t, u, known)), None)
        if mate is None:
            return False
        unmatched.pop(mate)
    return True


def _is_integer(node: Node) -> bool:
    v = numeric_value(node)
    return v is not None and v.denominator == 1


PREDICATES: dict[str, Callable[[Node], bool]] = {
    "scalar": lambda n: n.shape.kind == "scalar",
    "vector": lambda n: n.shape.kind == "vector",
    "row": lambda n: n.shape.kind == "row",
    "matrix": lambda n: n.shape.kind == "matrix",
    "square": lambda n: n.shape.kind == "matrix" and n.shape.rows == n.shape.cols,
    "symmetric": is_symmetric,
    "number": lambda n: numeric_value(n) is not None,
    "integer": _is_integer,
    "var": lambda n: n.op == "var",
}
"""Condition predicates by name; a later rule may need a new one: add it here."""


# --- the pattern syntax tree --------------------------------------------------------

@dataclass(frozen=True)
class PVar:
    """A pattern variable; ``op`` restricts it to nodes of one op (``E:eye``)."""

    name: str
    op: str | None = None


@dataclass(frozen=True)
class PNum:
    value: Fraction


@dataclass(frozen=True)
class POp:
    op: str
    args: tuple[Term, ...]
    attrs: str | None = None  # name bound to the node's attrs tuple


Term = PVar | PNum | POp


@dataclass(frozen=True)
class Condition:
    var: str
    predicate: str
    negated: bool = False

    def holds(self, node: Node) -> bool:
        return PREDICATES[self.predicate](node) != self.negated


@dataclass
class Bindings:
    nodes: dict[str, Node] = field(default_factory=dict)
    attrs: dict[str, tuple[object, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Pattern:
    """A parsed ``PATTERN -> TEMPLATE [if CONDITION]`` line."""

    text: str
    lhs: POp
    rhs: Term
    conditions: tuple[Condition, ...]
    # The op the root's first operand must have, if the pattern fixes it: a cheap
    # pre-check that skips most rows of an op with many (transpose has ~30).
    _first_op: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        first = self.lhs.args[0]
        object.__setattr__(self, "_first_op",
                           first.op if isinstance(first, POp | PVar) else None)

    @property
    def op(self) -> str:
        return self.lhs.op

    def apply(self, node: Node) -> Node | None:
        """The rewritten node, or ``None`` when the pattern or a condition fails."""
        want = self._first_op
        if want is not None and node.args[0].op != want:
            return None
        env = Bindings()
        if not _match(self.lhs, node, env):
            return None
        if not all(c.holds(env.nodes[c.var]) for c in self.conditions):
            return None
        if isinstance(self.rhs, PNum):  # a bare number takes the rewritten node's shape
            return b.fill(self.rhs.value, node.shape)
        return _build(self.rhs, env)


def _match(p: Term, node: Node, env: Bindings) -> bool:
    if isinstance(p, PVar):
        if p.op is not None and node.op != p.op:
            return False
        bound = env.nodes.get(p.name)
        if bound is None:
            env.nodes[p.name] = node
            return True
        return bound is node
    if isinstance(p, PNum):
        return numeric_value(node) == p.value
    if node.op != p.op or len(node.args) != len(p.args):
        return False
    if p.attrs is not None:
        env.attrs[p.attrs] = node.attrs
    return all(_match(sub, arg, env) for sub, arg in zip(p.args, node.args, strict=True))


def _build(t: Term, env: Bindings) -> Node:
    if isinstance(t, PVar):
        return env.nodes[t.name]
    if isinstance(t, PNum):
        return b.const(t.value)
    args = [_build(a, env) for a in t.args]
    if t.op == "add":
        return b.add(*args)
    if t.op == "mul":
        return b.mul(*args)
    if t.op == "hadamard":
        return b.hadamard(*args)
    attrs = env.attrs[t.attrs] if t.attrs is not None else ()
    return make(t.op, args, attrs)


# --- parsing ------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<num>-?\d+(?:/\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<punct>[(),{}:]))")
_ALIASES = {"T": "transpose"}


class PatternSyntaxError(ValueError):
    """A malformed rule line (a programming error in the rule table)."""


class _Parser:
    def __init__(self, text: str, where: str):
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise PatternSyntaxError(f"{where}: cannot read {text[pos:]!r}")
            kind = m.lastgroup
            assert kind is not None
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0
        self.where = where

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise PatternSyntaxError(f"{self.where}: expected {value or 'a term'}, got {tok}")
        self.i += 1
        return tok

    def term(self) -> Term:
        kind, text = self.take()
        if kind == "num":
            return PNum(Fraction(text))
        if kind != "name":
            raise PatternSyntaxError(f"{self.where}: unexpected {text!r}")
        nxt = self.peek()
        if nxt is not None and nxt[1] in ("(", "{"):
            return self.operation(_ALIASES.get(text, text))
        if nxt is not None and nxt[1] == ":":
            self.take(":")
            op = self.take()[1]
            if op not in OPS:
                raise PatternSyntaxError(f"{self.where}: unknown op {op!r}")
            return PVar(self._var_name(text), op)
        return PVar(self._var_name(text))

    def _var_name(self, text: str) -> str:
        if not text[0].isupper():
            raise PatternSyntaxError(
                f"{self.where}: {text!r} is neither a variable (Capitalised) nor an "
                f"op applied to operands (write a leaf op as a typed variable, E:eye)")
        return text

    def operation(self, op: str) -> POp:
        spec = OPS.get(op)
        if spec is None or spec.leaf:
            raise PatternSyntaxError(f"{self.where}: {op!r} is not an op with operands")
        attrs = None
        if self.peek() == ("punct", "{"):
            self.take("{")
            attrs = self._var_name(self.take()[1])
            self.take("}")
        self.take("(")
        args = [self.term()]
        while self.peek() == ("punct", ","):
            self.take(",")
            args.append(self.term())
        self.take(")")
        if (spec.arity >= 0 and len(args) != spec.arity) or (spec.arity < 0 and len(args) < 2):
            raise PatternSyntaxError(f"{self.where}: {op} with {len(args)} operand(s)")
        return POp(op, tuple(args), attrs)

    def done(self) -> None:
        if self.peek() is not None:
            raise PatternSyntaxError(f"{self.where}: trailing {self.peek()}")


def _names(t: Term, nodes: set[str], attrs: set[str]) -> None:
    if isinstance(t, PVar):
        nodes.add(t.name)
    elif isinstance(t, POp):
        if t.attrs is not None:
            attrs.add(t.attrs)
        for a in t.args:
            _names(a, nodes, attrs)


def parse_pattern(text: str) -> Pattern:
    """Parse ``PATTERN -> TEMPLATE [if X is P and Y is not Q ...]``, checking that every
    template and condition variable is bound by the pattern."""
    head, sep, tail = text.partition("->")
    if not sep:
        raise PatternSyntaxError(f"{text!r}: no '->'")
    body, _, cond_text = tail.partition(" if ")
    p = _Parser(head, text)
    lhs = p.term()
    p.done()
    if not isinstance(lhs, POp):
        raise PatternSyntaxError(f"{text!r}: a pattern must be an op (its root is dispatched)")
    p = _Parser(body, text)
    rhs = p.term()
    p.done()
    conditions: list[Condition] = []
    for part in cond_text.split(" and ") if cond_text.strip() else []:
        words = part.split()
        negated = len(words) == 4 and words[2] == "not"
        if len(words) != (4 if negated else 3) or words[1] != "is":
            raise PatternSyntaxError(f"{text!r}: bad condition {part!r}")
        if words[-1] not in PREDICATES:
            raise PatternSyntaxError(f"{text!r}: unknown predicate {words[-1]!r}")
        conditions.append(Condition(words[0], words[-1], negated))
    bound_nodes: set[str] = set()
    bound_attrs: set[str] = set()
    _names(lhs, bound_nodes, bound_attrs)
    used_nodes: set[str] = {c.var for c in conditions}
    used_attrs: set[str] = set()
    _names(rhs, used_nodes, used_attrs)
    unbound = (used_nodes - bound_nodes) | (used_attrs - bound_attrs)
    if unbound:
        raise PatternSyntaxError(f"{text!r}: unbound variable(s) {sorted(unbound)}")
    return Pattern(text, lhs, rhs, tuple(conditions))
