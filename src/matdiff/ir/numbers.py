"""Exact numbers as text: shared by every printer and code generator (L1 so that the L2
siblings ``printing`` and ``codegen`` use one implementation)."""

from __future__ import annotations

from fractions import Fraction

MAX_DECIMAL_PLACES = 12
"""Longer exact decimals are printed as fractions (``1/4096`` rather than 0.000244140625)."""


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
