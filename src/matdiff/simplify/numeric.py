"""Exact arithmetic on the numeric constants of an expression.

Folding must never change a value and never hang: a power is folded only when its
result is an exact rational of bounded size (``2^1000000`` stays a power), and an
elementwise function only where its value at a rational is rational (``exp(0) = 1``,
``sqrt(9/4) = 3/2``, ``abs``, ``sign``, ``relu``, ``step``).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from ..ir import Node

MAX_EXPONENT = 64
"""Largest ``|k|`` folded in ``c^k`` (and largest root degree in ``c^(p/q)``)."""

MAX_BITS = 1024
"""Largest numerator/denominator (in bits, about 300 digits) a fold may produce."""


def numeric_value(node: Node) -> Fraction | None:
    """The value of a numeric constant of any shape (``const`` or ``fill``), else ``None``."""
    if node.op in ("const", "fill"):
        value = node.attrs[0]
        assert isinstance(value, Fraction)
        return value
    return None


def split_power(f: Node) -> tuple[Node, Fraction]:
    """A factor as ``base^exponent`` with a numeric exponent (``s`` is ``s^1``), for
    collecting equal bases (``s*s = s^2``, ``x.*x = x.^2``)."""
    if f.op == "power":
        e = numeric_value(f.args[1])
        if e is not None:
            return f.args[0], e
    return f, Fraction(1)


def iroot(n: int, q: int) -> int | None:
    """The exact integer ``q``-th root of ``n >= 0``, or ``None`` if there is none.

    Integer Newton iteration from an upper bound (it decreases monotonically to
    ``floor(n ** (1/q))``), so it is exact for any size of ``n``.
    """
    if n < 2:
        return n
    x = 1 << -(-n.bit_length() // q)  # 2^ceil(bits/q) >= the root
    while True:
        y = ((q - 1) * x + n // x ** (q - 1)) // q
        if y >= x:
            break
        x = y
    return x if x**q == n else None


def exact_power(base: Fraction, exponent: Fraction) -> Fraction | None:
    """``base ** exponent`` when it is an exact rational of bounded size, else ``None``.

    Integer exponents ``|k| <= 64``; ``p/q`` exponents only for ``base >= 0`` whose ``q``-th
    root is rational (a negative base has no real fractional power: NumPy gives nan).
    ``0^k`` with ``k < 0`` is undefined and is not folded.
    """
    p, q = exponent.numerator, exponent.denominator
    if abs(p) > MAX_EXPONENT or q > MAX_EXPONENT:
        return None
    if base == 0:
        return None if p < 0 else Fraction(0 if p > 0 else 1)
    if q != 1:
        if base < 0:
            return None
        if max(base.numerator.bit_length(), base.denominator.bit_length()) > MAX_BITS:
            return None
        num, den = iroot(base.numerator, q), iroot(base.denominator, q)
        if num is None or den is None:
            return None
        base = Fraction(num, den)
    bits = max(base.numerator.bit_length(), base.denominator.bit_length())
    if bits * abs(p) > MAX_BITS:
        return None
    return base**p


def _sign(c: Fraction) -> Fraction:
    return Fraction((c > 0) - (c < 0))


EXACT_FUNCTIONS: dict[str, Callable[[Fraction], Fraction | None]] = {
    "abs": abs,
    "sign": _sign,
    "relu": lambda c: max(c, Fraction(0)),
    "step": lambda c: Fraction(1 if c > 0 else 0),
    "sqrt": lambda c: exact_power(c, Fraction(1, 2)),
}
"""Elementwise functions with a rational value at every rational they are folded at
(``None``: not exactly representable, keep the call)."""
