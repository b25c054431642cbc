"""Source positions and the caret renderer used by every error message.

A :class:`Span` is a half-open range of character offsets ``[start, end)`` into the
text the user typed.  ``render_caret`` prints the offending line with ``^^^`` under the
span and the (1-based) column, the way lark's own examples report errors.

User text is shown with :func:`printable`: control and other invisible characters
(``ESC``, ``BEL``, bidirectional overrides, ...) are written as escapes such as ``\x1b``,
so an error message can never drive the terminal (retitle it, hide text, reorder it), and
the carets stay under the characters they mark (wide characters count two columns).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """Half-open character range ``[start, end)`` in a source string."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"invalid span [{self.start}, {self.end})")

    @property
    def column(self) -> int:
        """1-based column of the first character (the input language is one line)."""
        return self.start + 1

    def cover(self, other: Span) -> Span:
        """The smallest span containing both."""
        return Span(min(self.start, other.start), max(self.end, other.end))


# Long inputs are shown as a window around the span so the caret stays readable.
_WINDOW = 60


def escape_char(ch: str) -> str:
    """``ch`` itself when it prints visibly, else its escape (``\x1b``, ``\u202e``)."""
    if ch == " " or ch.isprintable():
        return ch
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str, keep_newlines: bool = False) -> str:
    """``text`` with every non-printing character escaped (newlines kept if asked)."""
    if text.isprintable():
        return text
    return "".join(ch if keep_newlines and ch == "\n" else escape_char(ch) for ch in text)


def _width(shown: str) -> int:
    """Terminal columns of an escaped character's text: wide (CJK) characters take
    two, combining marks none."""
    if len(shown) > 1:
        return len(shown)
    if unicodedata.combining(shown):
        return 0
    return 2 if unicodedata.east_asian_width(shown) in ("W", "F") else 1


def render_caret(source: str, span: Span) -> str:
    """Two lines: the source (windowed if long, non-printing characters escaped) and
    carets under ``span``.

    >>> print(render_caret("tr(x)", Span(3, 4)))
      tr(x)
         ^
    >>> print(render_caret("x\x1b+y", Span(1, 2)))
      x\\x1b+y
       ^^^^
    """
    line_start = source.rfind("\n", 0, span.start) + 1
    line_end = source.find("\n", span.start)
    if line_end == -1:
        line_end = len(source)
    line = source[line_start:line_end]
    start = span.start - line_start
    end = max(start + 1, min(span.end - line_start, len(line) + 1))
    lo, hi = 0, len(line)
    if len(line) > 2 * _WINDOW:
        lo = max(0, start - _WINDOW // 2)
        # A long span is cut at the window's end: the caret marks where it starts.
        end = min(end, start + _WINDOW)
        hi = min(len(line), end + _WINDOW // 2)
    prefix = "..." if lo > 0 else ""
    suffix = "..." if hi < len(line) else ""
    pieces = [escape_char(ch) for ch in line[lo:hi]]
    before = len(prefix) + sum(_width(p) for p in pieces[:max(0, start - lo)])
    marked = pieces[max(0, start - lo):max(0, end - lo)]
    # a span past the end of the line (an unexpected end of input) gets one caret
    width = max(1, sum(_width(p) for p in marked))
    shown = prefix + "".join(pieces) + suffix
    return f"  {shown}\n  {' ' * before}{'^' * width}"
