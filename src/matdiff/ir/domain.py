"""Where constants are undefined: the values of constant subexpressions and the domains
of the ops, so that ``1/0``, ``log(0)``, ``sqrt(-1)``, ``(-1)^0.5``, ``arcsin(2)``,
``x ./ vector(0)`` or ``inv(matrix(0))`` are refused where they are written instead of
being folded, multiplied by zero or printed.

The value of a constant array is described by its entries (:class:`Entries`): all equal
(``vector(c)``, ``matrix(c)``, a broadcast number) or, for a square matrix, one value on
the diagonal and one off it (``eye``, ``2*eye + 1``).  Elementwise ops act on the two
classes of entries separately, so the description is exact; products, traces and sums
of constants whose value depends on a symbolic size are not described (``None``: no
claim, nothing is refused).  Numbers are exact :class:`~fractions.Fraction` where the
rational operations keep them so, else float (``log(2)``); only an exact 0 is a zero,
and a float near 0 (:data:`FLOAT_MARGIN`) or one that overflows is "not described", so
rounding never makes an error.

Domains (the real-valued semantics of NumPy, :mod:`matdiff.evaluate`): ``u ./ v`` and
``u^k`` with ``k < 0`` need ``v, u != 0``; ``u^p`` with a non-integer ``p`` needs
``u >= 0``; ``log`` needs ``u > 0``, ``sqrt`` ``u >= 0``, ``arcsin``/``arccos``
``|u| <= 1``; ``inv``, ``logdet`` and ``X^-k`` need a nonsingular (for ``logdet``:
positive-determinant) matrix.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from ..spans import Span
from .nodes import Node
from .numbers import finite_decimal

Scalar = Fraction | float

MAX_EXACT_EXPONENT = 64
"""``c^k`` is computed exactly for integers ``|k| <= 64`` (and bounded sizes), else in
floating point (a description, not a printed value)."""

_MAX_BITS = 4096


@dataclass(frozen=True)
class Entries:
    """A constant's entries: ``on`` everywhere, or (``off`` given: a square matrix) ``on``
    on the diagonal and ``off`` elsewhere."""

    on: Scalar
    off: Scalar | None = None

    def values(self) -> list[tuple[str, Scalar]]:
        """``(which entries, value)`` for each class of entries."""
        if self.off is None:
            return [("every entry", self.on)]
        return [("the diagonal entries", self.on), ("the off-diagonal entries", self.off)]

    @property
    def uniform(self) -> Scalar | None:
        return self.on if self.off is None or self.off == self.on else None


@dataclass(frozen=True)
class SourceMap:
    """Where the parser built each IR node, for errors at the column of the undefined
    part: ``spans`` (an interned node's first occurrence) and ``divisions`` (the nodes
    written with ``/`` or ``./``: ``b^-1`` of ``a/b``, ``a ./ b``) -> the divisor's span."""

    spans: dict[Node, Span] = field(default_factory=dict)
    divisions: dict[Node, Span] = field(default_factory=dict)


class Undefined(Exception):
    """A node whose operands are outside its domain.

    ``status``: ``undefined`` or ``not real``; ``reason``: the rule (``log needs a
    positive argument``); ``operand``: which operand breaks it; ``which`` and ``value``:
    its offending entries (``every entry``, 0); ``node``: the node (set by :func:`check`).
    """

    def __init__(self, status: str, reason: str, operand: int, which: str, value: Scalar):
        super().__init__(reason)
        self.status, self.reason, self.operand = status, reason, operand
        self.which, self.value = which, value
        self.node: Node | None = None


def show_number(v: Scalar) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    text = finite_decimal(v)
    return text if text is not None else str(v)


def message(u: Undefined, node_text: str, operand_text: str, *, division: bool,
            scalar: bool, identically: bool = False) -> str:
    """The error message for ``u`` (source texts of the node and of the bad operand):
    ``division by zero: (1-1) is 0``, ``log(0) is undefined: log needs a positive
    argument``, ``log(eye) is undefined: ... (the off-diagonal entries of eye are 0)``."""
    value = show_number(u.value)
    ident = "identically " if identically else ""
    if scalar:
        what = f"{operand_text} is {ident}{value}"
    else:
        verb = "is" if u.which == "every entry" else "are"
        what = f"{u.which} of {operand_text} {verb} {ident}{value}"
    literal = scalar and not identically and _bare(operand_text) == value
    if division:
        return "division by zero" if literal else f"division by zero: {what}"
    head = f"{node_text} is {u.status}: {u.reason}"
    return head if literal else f"{head} ({what})"


def locate(u: Undefined, sources: SourceMap, text: str,
           identically: bool = False) -> tuple[str, Span]:
    """The message for ``u`` and the span it points at: the node's, or for a division
    the divisor's (the whole text where the parser recorded none)."""
    node = u.node
    assert node is not None
    spans = sources.spans
    operand = node.args[u.operand] if node.args else node
    span = spans.get(node, spans.get(operand, Span(0, len(text))))
    divisor = sources.divisions.get(node)

    def source(s: Span) -> str:
        return text[s.start:s.end].strip()

    node_text = source(span)
    operand_text = source(divisor or spans.get(operand, span))
    return message(u, node_text, operand_text, division=divisor is not None,
                   scalar=operand.shape.is_scalar,
                   identically=identically), divisor or span


def _bare(text: str) -> str:
    """``(-1)`` -> ``-1``: a literal without its parentheses."""
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text


# --- values ----------------------------------------------------------------------------

def _int_dim(d: object) -> int | None:
    return d if isinstance(d, int) else None


def _pairs(values: list[Entries]) -> list[tuple[Scalar, ...]]:
    """The entry classes of same-shaped operands, position by position."""
    ons = tuple(v.on for v in values)
    if all(v.off is None for v in values):
        return [ons]
    offs = tuple(v.on if v.off is None else v.off for v in values)
    return [ons, offs]


def _join(results: list[Scalar]) -> Entries:
    return Entries(results[0]) if len(results) == 1 else Entries(results[0], results[1])


def _power(base: Scalar, p: Scalar) -> Scalar:
    if isinstance(base, Fraction) and isinstance(p, Fraction) and p.denominator == 1:
        bits = max(base.numerator.bit_length(), base.denominator.bit_length())
        if abs(p) <= MAX_EXACT_EXPONENT and bits * abs(p.numerator) <= _MAX_BITS:
            return base ** int(p)
    return math.pow(float(base), float(p))


def _check_power(base: Scalar, p: Scalar, which: str) -> None:
    if base == 0 and p < 0:
        raise Undefined("undefined", "0 to a negative power divides by zero", 0, which,
                        base)
    integer = isinstance(p, Fraction) and p.denominator == 1
    if base < 0 and not integer:
        raise Undefined("not real", f"a negative number has no real power {show_number(p)}",
                        0, which, base)


_DOMAINS: dict[str, tuple[Callable[[Scalar], bool], str, str]] = {
    "log": (lambda c: c > 0, "log needs a positive argument", "undefined"),
    "sqrt": (lambda c: c >= 0, "sqrt needs a nonnegative argument", "not real"),
    "arcsin": (lambda c: _within_one(c), "arcsin needs an argument in [-1, 1]", "not real"),
    "arccos": (lambda c: _within_one(c), "arccos needs an argument in [-1, 1]", "not real"),
}
"""``op -> (in domain, the rule, status outside it)``; log of a negative is not real."""

_EXACT: dict[str, Callable[[Fraction], Scalar]] = {
    "abs": abs,
    "sign": lambda c: Fraction((c > 0) - (c < 0)),
    "relu": lambda c: max(c, Fraction(0)),
    "step": lambda c: Fraction(1 if c > 0 else 0),
}
_FLOAT: dict[str, Callable[[float], float]] = {
    "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "sin": math.sin, "cos": math.cos,
    "tan": math.tan, "arcsin": math.asin, "arccos": math.acos, "arctan": math.atan,
    "sinh": math.sinh, "cosh": math.cosh, "tanh": math.tanh,
    # sigmoid, softplus (overflow-free)
    "sigmoid": lambda v: _sigmoid(v), "softplus": lambda v: _softplus(v),
}


def _sigmoid(v: float) -> float:
    """``1/(1 + exp(-v))`` with ``exp`` of a nonpositive number only."""
    e = math.exp(-abs(v))
    return 1 / (1 + e) if v >= 0 else e / (1 + e)


def _softplus(v: float) -> float:
    """``log(1 + exp(v)) = max(v, 0) + log(1 + exp(-|v|))``."""
    return max(v, 0.0) + math.log1p(math.exp(-abs(v)))


def _within_one(c: Scalar) -> bool:
    """``|c| <= 1``, with a margin for a rounded float (``2*cos(1)^2 - cos(2)``)."""
    if isinstance(c, Fraction):
        return abs(c) <= 1
    return abs(c) <= 1 + FLOAT_MARGIN


FLOAT_MARGIN = 1e-9
"""A float this close to 0 is not described (it may be a rounded 0 or a rounded 1e-20:
``exp(1e-20) - 1`` is 0.0 in floating point), so no zero test or sign test trusts it."""


def _times(a: Scalar, b: Scalar) -> Scalar:
    """``a*b``, an exact 0 when either is (``0*log(2)`` is 0, not the float 0.0)."""
    if (isinstance(a, Fraction) and a == 0) or (isinstance(b, Fraction) and b == 0):
        return Fraction(0)
    return a * b


def _reliable(e: Entries | None) -> Entries | None:
    """``e``, or None where a float entry is near 0 or not finite (see FLOAT_MARGIN)."""
    if e is None:
        return None
    for _, v in e.values():
        if isinstance(v, float) and not (math.isfinite(v) and abs(v) > FLOAT_MARGIN):
            return None
    return e


def _function(op: str, c: Scalar, which: str) -> Scalar:
    domain = _DOMAINS.get(op)
    if domain is not None and not domain[0](c):
        status = "undefined" if op == "log" and c == 0 else "not real"
        raise Undefined(status, domain[1], 0, which, c)
    if isinstance(c, Fraction):
        if op in _EXACT:
            return _EXACT[op](c)
        if c == 0 and op in _ZERO_AT_ZERO:
            return Fraction(0)
        if c == 0 and op in ("exp", "cos", "cosh"):
            return Fraction(1)
        if c == 0 and op == "sigmoid":
            return Fraction(1, 2)
        if op == "sqrt" and (root := _exact_sqrt(c)) is not None:
            return root
    if op in _EXACT:
        return float(_EXACT[op](Fraction(c)))
    return _FLOAT[op](float(c))


_ZERO_AT_ZERO = frozenset({"sin", "tan", "arcsin", "arctan", "sinh", "tanh", "sqrt"})


def _exact_sqrt(c: Fraction) -> Fraction | None:
    num, den = math.isqrt(c.numerator), math.isqrt(c.denominator)
    return Fraction(num, den) if num * num == c.numerator and den * den == c.denominator \
        else None


def _square_det(e: Entries, n: int | None) -> Scalar | None:
    """``det`` of a constant n x n matrix described by ``e`` (``n`` None: a symbolic size,
    taken as general, so at least 2)."""
    if n == 1:
        return e.on
    if e.uniform is not None:  # matrix(c): rank at most one
        return Fraction(0)
    if e.off == 0:
        if n is not None:
            return _power(e.on, Fraction(n))
        return Fraction(0) if e.on == 0 else None
    return None


def _entries(node: Node, args: list[Entries | None]) -> Entries | None:
    """The entries of ``node`` from its operands' (``None``: not a described constant);
    raises :class:`Undefined` where the node is outside its domain."""
    op = node.op
    if op in ("const", "fill"):
        return Entries(node.attrs[0])
    if op == "eye":
        return Entries(Fraction(1)) if _int_dim(node.shape.rows) == 1 else Entries(
            Fraction(1), Fraction(0))
    if op in ("ediv", "power"):
        _check_partial(node, args)
    if op in ("inv", "logdet", "matpow"):
        _check_matrix(node, args)
    if any(a is None for a in args):
        return _scaled_product(node, args) if op == "mul" else None
    vals = [a for a in args if a is not None]
    if op in ("add", "hadamard", "ediv", "power"):
        combine: Callable[[tuple[Scalar, ...]], Scalar] = {
            "add": lambda t: sum(t[1:], t[0]),
            "hadamard": lambda t: functools.reduce(_times, t),
            "ediv": lambda t: t[0] / t[1],
            "power": lambda t: _power(t[0], t[1]),
        }[op]
        return _join([combine(t) for t in _pairs(vals)])
    if op == "mul":
        return _scaled_product(node, args)
    if op in ("transpose",):
        return vals[0]
    if op == "broadcast":
        return Entries(vals[0].on)
    if op == "expand":  # implicit expansion: the vector's entries, repeated
        return vals[0]
    if op in _FLOAT or op in _EXACT:
        return _join([_function(op, c, w) for w, c in vals[0].values()])
    if op == "diagm" and vals[0].off is None:
        return Entries(vals[0].on, Fraction(0))
    if op == "diagv":
        return Entries(vals[0].on)
    if op in ("sum", "tr", "norm1", "norm2") and vals[0].uniform == 0:
        return Entries(Fraction(0))
    if op == "det":
        det = _square_det(vals[0], _int_dim(node.args[0].shape.rows))
        return None if det is None else Entries(det)
    if op == "inv" and _int_dim(node.shape.rows) == 1:
        return Entries(1 / vals[0].on)
    if op == "inv" and vals[0].off == 0:
        return Entries(1 / vals[0].on, Fraction(0))
    return None


def _scaled_product(node: Node, args: list[Entries | None]) -> Entries | None:
    """A product of constants: scalars scale; a zero factor makes it zero; identity
    factors drop out; one remaining array factor is the value."""
    if any(a is not None and a.uniform == 0 for a in args):
        return Entries(Fraction(0))
    if any(a is None for a in args):
        return None
    scale: Scalar = Fraction(1)
    arrays: list[Entries] = []
    for f, a in zip(node.args, args, strict=True):
        assert a is not None
        if f.shape.is_scalar:
            scale = _times(scale, a.on)
        elif not (a.on == 1 and a.off == 0):
            arrays.append(a)
    if len(arrays) > 1:
        return None
    if not arrays:  # scalars only, or identities only
        return Entries(scale) if node.shape.is_scalar else Entries(scale, Fraction(0))
    e = arrays[0]
    return Entries(_times(scale, e.on), None if e.off is None else _times(scale, e.off))


def _check_partial(node: Node, args: list[Entries | None]) -> None:
    """``u ./ v`` needs only ``v``; ``u^p`` needs both (``0^a`` is defined for a > 0)."""
    if node.op == "ediv":
        v = args[1]
        if v is not None:
            for which, c in v.values():
                if c == 0:
                    raise Undefined("undefined", "division by zero", 1, which, c)
        return
    u, p = args
    if u is None or p is None:
        return
    pairs = _pairs([u, p])
    labels = [w for w, _ in u.values()] if u.off is not None else ["every entry"] * 2
    for label, (c, k) in zip(labels, pairs, strict=False):
        _check_power(c, k, label)


def _check_matrix(node: Node, args: list[Entries | None]) -> None:
    x = args[0]
    if x is None or (node.op == "matpow" and node.attrs[0] >= 0):
        return
    det = _square_det(x, _int_dim(node.args[0].shape.rows))
    if det is None:
        return
    if det == 0:
        raise Undefined("undefined", "the matrix is singular", 0,
                        "every entry" if x.off is None else "the diagonal entries", x.on)
    if node.op == "logdet" and det < 0:
        raise Undefined("not real", "logdet needs a positive determinant", 0,
                        "every entry" if x.off is None else "the diagonal entries", x.on)


def check(node: Node, memo: dict[Node, Entries | None]) -> None:
    """Describe every constant of ``node`` (into ``memo``), children first; raise
    :class:`Undefined` (with ``.node`` set) at the first node outside its domain."""
    for n in node.walk():
        if n in memo:
            continue
        try:
            memo[n] = _reliable(_entries(n, [memo[a] for a in n.args]))
        except Undefined as u:
            u.node = n
            raise
        except (OverflowError, ValueError, ZeroDivisionError):
            memo[n] = None  # too large to describe (exp(1000)): no claim


def describe(node: Node, memo: dict[Node, Entries | None]) -> Entries | None:
    """The entries of ``node`` if it is a described constant (never raises: an undefined
    part is not described)."""
    while True:
        try:
            check(node, memo)
        except Undefined as u:
            assert u.node is not None
            memo[u.node] = None  # and go on above it
            continue
        return memo[node]


def check_node(node: Node, operands: list[Entries | None]) -> None:
    """Raise :class:`Undefined` (``.node`` = ``node``) if ``node`` is outside its domain
    for its operands described as ``operands`` (``None``: not a constant)."""
    try:
        _entries(node, operands)
    except Undefined as u:
        u.node = node
        raise
    except (OverflowError, ValueError, ZeroDivisionError):
        pass
