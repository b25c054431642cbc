"""Source positions and the caret renderer used by every error message.

A :class:`Span` is a half-open range of character offsets ``[start, end)`` into the
text the user typed.  ``render_caret`` prints the offending line with ``^^^`` under the
span and the (1-based) column, the way lark's own examples report errors.
"""

from __future__ import annotations

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


def render_caret(source: str, span: Span) -> str:
    """Two lines: the source (windowed if long) and carets under ``span``.

    >>> print(render_caret("tr(x)", Span(3, 4)))
      tr(x)
         ^
    """
    line_start = source.rfind("\n", 0, span.start) + 1
    line_end = source.find("\n", span.start)
    if line_end == -1:
        line_end = len(source)
    line = source[line_start:line_end]
    start = span.start - line_start
    end = max(start + 1, min(span.end - line_start, len(line) + 1))
    offset = 0
    prefix = suffix = ""
    if len(line) > 2 * _WINDOW:
        lo = max(0, start - _WINDOW // 2)
        # A long span is cut at the window's end: the caret marks where it starts.
        end = min(end, start + _WINDOW)
        hi = min(len(line), end + _WINDOW // 2)
        prefix = "..." if lo > 0 else ""
        suffix = "..." if hi < len(line) else ""
        line = line[lo:hi]
        offset = lo - len(prefix)
        end = min(end, hi + 1)
    shown = prefix + line + suffix
    carets = " " * (start - offset) + "^" * max(1, min(end, len(shown) + offset + 1) - start)
    return f"  {shown}\n  {carets}"
