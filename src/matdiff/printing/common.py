"""What the text and LaTeX printers share: the printed-fragment type and number digits.

Each printer turns a node into a :class:`Printed` fragment: its text, the precedence of
its outermost operator (from that printer's own table), and a tag naming the form
(usually the op; ``"negnum"`` for a negative literal such as ``-2`` or ``-0.5``,
``"ratio"`` for ``1/3``), so a parent can decide whether the fragment needs parentheses.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

MAX_DECIMAL_PLACES = 12
"""Longer exact decimals are printed as fractions (``1/4096`` rather than 0.000244140625)."""


class Printed(NamedTuple):
    text: str
    prec: int
    tag: str


def finite_decimal(v: Fraction, max_places: int = MAX_DECIMAL_PLACES) -> str | None:
    """``v`` as an exact decimal string (``2``, ``0.5``, ``-0.25``), or ``None`` when it
    has none (``1/3``) or needs more than ``max_places`` digits after the point.

    A fraction in lowest terms has a finite decimal expansion exactly when its
    denominator has no prime factors other than 2 and 5.
    """
    d, twos, fives = v.denominator, 0, 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    places = max(twos, fives)
    if d != 1 or places > max_places:
        return None
    digits = str(abs(v.numerator) * 10**places // v.denominator).rjust(places + 1, "0")
    sign = "-" if v < 0 else ""
    if not places:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def wrap(p: Printed, ok: bool, left: str = "(", right: str = ")") -> str:
    """``p``'s text, in parentheses unless ``ok``."""
    return p.text if ok else f"{left}{p.text}{right}"
