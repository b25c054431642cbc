"""A small sign analysis of IR nodes: is every entry provably positive / nonnegative?

Code generation uses it where a faster spelling is valid only for nonnegative values:
``X'*diag(d)*X`` as ``Z.T @ Z`` with ``Z = sqrt(d)[:, None] * X`` (a BLAS ``syrk``,
1.3-1.7x faster in NumPy, /work/shared/notes/performance-facts.md) needs ``d >= 0``.

The rules are entrywise and conservative (``UNKNOWN`` unless a rule proves more); each
is a fact of real arithmetic:

* numbers and ``vector(c)`` / ``matrix(c)`` by their value; ``I`` is nonnegative;
  a variable declared ``positive`` is positive (nonnegative when also ``diagonal``: its
  off-diagonal entries are zero);
* ``exp``, ``cosh``, ``sigmoid``, ``softplus``, ``softmax`` > 0; ``abs``, ``relu``,
  ``step``, ``sqrt``, ``norm1``, ``norm2`` >= 0 (``sqrt`` of a positive is positive);
  ``tanh``, ``sinh``, ``arctan`` keep the sign of their argument (odd, increasing, zero at zero);
* ``a.^k`` with ``k`` an even integer is >= 0 (> 0 when ``a`` > 0); a positive base
  gives a positive power, a nonnegative base with a positive exponent a nonnegative one;
* sums, elementwise and matrix products of nonnegatives are nonnegative, of positives
  positive; a sum with one positive term and the rest nonnegative is positive
  (``1 + exp(z)``); ``c - sigmoid(z)`` with ``c >= 1`` is positive (sigmoid lies in
  (0, 1)); ``a ./ b`` with ``b`` > 0 has ``a``'s sign;
* transposes, broadcasts, ``sum``, ``tr``, ``diag`` keep what they can (a diagonal
  matrix from a positive vector is only nonnegative).
"""

from __future__ import annotations

from enum import IntEnum
from fractions import Fraction

from ..ir.nodes import Node

__all__ = ["Sign", "nonnegative", "positive", "sign"]


class Sign(IntEnum):
    """Ordered: a positive value is also nonnegative."""

    UNKNOWN = 0
    NONNEGATIVE = 1
    POSITIVE = 2


_POSITIVE_FUNCTIONS = frozenset({"exp", "cosh",
                                 # sigmoid, softplus: 1/(1 + exp(-u)), log(1 + exp(u)) > 0
                                 "sigmoid", "softplus",
                                 "softmax"})  # reduce: softmax > 0
_NONNEGATIVE_FUNCTIONS = frozenset({"abs", "relu", "step", "norm1", "norm2"})
_SIGN_KEEPING = frozenset({"tanh", "sinh", "arctan", "transpose", "broadcast", "sum", "tr",
                           "diagv",
                           "expand"})  # implicit expansion repeats the entries


def _number(value: Fraction) -> Sign:
    return Sign.POSITIVE if value > 0 else Sign.NONNEGATIVE if value == 0 else Sign.UNKNOWN


def _even_integer(node: Node) -> bool:
    if node.op not in ("const", "fill"):  # y.^2 has the exponent vector(2)
        return False
    value: Fraction = node.attrs[0]
    return value.denominator == 1 and value.numerator % 2 == 0


def _one_minus_sigmoid(node: Node) -> bool:
    """``c - sigmoid(z)`` with ``c >= 1`` (sigmoid's values lie in (0, 1))."""
    if len(node.args) != 2:
        return False
    for k, t in enumerate(node.args):
        c = node.args[1 - k]
        if (c.op in ("const", "fill") and c.attrs[0] >= 1 and t.op == "mul"
                and len(t.args) == 2 and t.args[0].op == "const" and t.args[0].attrs[0] == -1
                and t.args[1].op == "sigmoid"):
            return True
    return False


def _rule(node: Node, signs: list[Sign]) -> Sign:
    op = node.op
    if op in ("const", "fill"):
        return _number(node.attrs[0])
    if op == "eye":
        return Sign.NONNEGATIVE
    if op == "var":
        props = node.attrs[1]
        if "positive" in props:
            return Sign.NONNEGATIVE if "diagonal" in props else Sign.POSITIVE
        return Sign.UNKNOWN
    if op in _POSITIVE_FUNCTIONS:
        return Sign.POSITIVE
    if op in _NONNEGATIVE_FUNCTIONS:
        return Sign.NONNEGATIVE
    if op == "sqrt":
        return max(Sign.NONNEGATIVE, signs[0])
    if op in _SIGN_KEEPING:
        return signs[0]
    if op == "diagm":
        return min(signs[0], Sign.NONNEGATIVE)
    if op == "power":
        base, exponent = signs[0], node.args[1]
        if base == Sign.POSITIVE:
            return Sign.POSITIVE
        if _even_integer(exponent):
            return Sign.NONNEGATIVE
        if base == Sign.NONNEGATIVE and signs[1] == Sign.POSITIVE:
            return Sign.NONNEGATIVE
        return Sign.UNKNOWN
    if op == "add" and _one_minus_sigmoid(node):
        return Sign.POSITIVE
    if op == "add":
        if min(signs) == Sign.UNKNOWN:
            return Sign.UNKNOWN
        return max(signs)
    if op in ("hadamard", "mul"):
        return min(signs)
    if op == "ediv":
        return signs[0] if signs[1] == Sign.POSITIVE else Sign.UNKNOWN
    return Sign.UNKNOWN


def sign(node: Node) -> Sign:
    """What is provable about every entry of ``node`` (see the module doc)."""
    memo: dict[Node, Sign] = {}
    for n in node.walk():  # children first
        if n not in memo:
            memo[n] = _rule(n, [memo[a] for a in n.args])
    return memo[node]


def nonnegative(node: Node) -> bool:
    """Whether every entry of ``node`` is provably >= 0."""
    return sign(node) >= Sign.NONNEGATIVE


def positive(node: Node) -> bool:
    """Whether every entry of ``node`` is provably > 0."""
    return sign(node) == Sign.POSITIVE
