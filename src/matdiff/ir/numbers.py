"""Exact numbers as text: shared by every printer and code generator (L1 so that the L2
siblings ``printing`` and ``codegen`` use one implementation)."""

from __future__ import annotations

from fractions import Fraction

MAX_DECIMAL_PLACES = 12
"""Longer exact decimals are printed as fractions (``1/4096`` rather than 0.000244140625)."""


def decimal_places(v: Fraction) -> int | None:
    """The digits after the point of ``v``'s exact decimal expansion, or ``None`` when it
    has none: a fraction in lowest terms has a finite decimal expansion exactly when its
    denominator has no prime factors other than 2 and 5 (then ``max(twos, fives)``)."""
    d, twos, fives = v.denominator, 0, 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    return max(twos, fives) if d == 1 else None


def finite_decimal(v: Fraction, max_places: int = MAX_DECIMAL_PLACES) -> str | None:
    """``v`` as an exact decimal string (``2``, ``0.5``, ``-0.25``), or ``None`` when it
    has none (``1/3``) or needs more than ``max_places`` digits after the point."""
    places = decimal_places(v)
    if places is None or places > max_places:
        return None
    digits = str(abs(v.numerator) * 10**places // v.denominator).rjust(places + 1, "0")
    sign = "-" if v < 0 else ""
    if not places:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


PLAIN_DIGITS = 15
"""Integers up to this many digits print in full (``1000000``); longer ones with trailing
zeros in scientific form (``1e600``, ``1.5e20``), which the parser reads exactly."""


def digits(n: int) -> str:
    """``str(abs(n))`` for any size (``str`` refuses ints over 4300 digits): split by a
    power of ten, recursively."""
    n = abs(n)
    if n.bit_length() < 10_000:
        return str(n)
    half = (n.bit_length() * 3 // 10) // 2  # about half the decimal digits
    high, low = divmod(n, 10**half)
    return digits(high) + digits(low).rjust(half, "0")


def scientific(v: Fraction) -> tuple[str, int] | None:
    """``v = ±mantissa * 10**exponent`` with ``mantissa`` the digits ``d.ddd`` (no
    trailing zeros), when ``v`` is a terminating decimal; else ``None``."""
    places = decimal_places(v)
    if places is None:
        return None
    m = abs(v.numerator) * (10**places // v.denominator)  # v = ±m / 10**places, exactly
    text = digits(m)
    stripped = text.rstrip("0") or "0"
    exponent = len(text) - 1 - places
    mantissa = stripped[0] + ("." + stripped[1:] if len(stripped) > 1 else "")
    return ("-" if v < 0 else "") + mantissa, exponent


def integer_text(n: int) -> str:
    """An integer as the input language writes it exactly: ``12``, ``-3``, ``1e600``."""
    text = digits(n)
    sign = "-" if n < 0 else ""
    if len(text) <= PLAIN_DIGITS or not text.endswith("0"):
        return sign + text
    sci = scientific(Fraction(n))
    assert sci is not None
    return f"{sci[0]}e{sci[1]}"


def exact_text(v: Fraction) -> tuple[str, bool]:
    """``v`` as number literals the parser reads back exactly, and whether that is one
    literal (else it is a quotient ``p/q`` of two): ``2``, ``-0.25``, ``1e600``,
    ``1.5e-20``, ``1/3``, ``1e-400/3``."""
    if v.denominator == 1:
        return integer_text(v.numerator), True
    plain = finite_decimal(v)
    if plain is not None:
        return plain, True
    if len(digits(v.numerator)) + len(digits(v.denominator)) > 2 * PLAIN_DIGITS:
        sci = scientific(v)
        if sci is not None:
            return f"{sci[0]}e{sci[1]}", True
        # 1/(3*10^600) is 1e-600/3: the powers of ten go into the literal, so that the
        # divisor stays small (the simplifier folds 1/3 again; it keeps huge powers)
        rest = v.denominator
        for p in (2, 5):
            while rest % p == 0:
                rest //= p
        sci = scientific(v * rest)
        if rest != v.denominator and sci is not None:
            return f"{sci[0]}e{sci[1]}/{integer_text(rest)}", False
    return f"{integer_text(v.numerator)}/{integer_text(v.denominator)}", False
