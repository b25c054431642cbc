"""The error types every layer raises.

All user-facing failures derive from :class:`MatdiffError`, which carries a message, an
optional source :class:`~matdiff.spans.Span` and the source text, so the CLI and the web
page can show the column with a caret without knowing where the error came from.
Anything else escaping the library is a bug.
"""

from __future__ import annotations

from .spans import Span, printable, render_caret


class MatdiffError(Exception):
    """Base class: a problem with the user's input or request."""

    kind = "error"

    def __init__(self, message: str, span: Span | None = None, source: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.source = source

    def with_source(self, source: str) -> MatdiffError:
        """Attach the text the span refers to (kept if already set)."""
        if self.source is None:
            self.source = source
        return self

    @property
    def column(self) -> int | None:
        return self.span.column if self.span is not None else None

    def render(self) -> str:
        """The message, and where a span is known, the column with a caret under it."""
        head = printable(f"{self.kind}: {self.message}", keep_newlines=True)  # no raw ESC
        if self.span is None or self.source is None:
            return head
        return f"{head}\n{render_caret(self.source, self.span)}\n  (column {self.span.column})"

    def __str__(self) -> str:
        return self.render()


class ParseError(MatdiffError):
    """The text is not in the input language (syntax, unknown name, bad literal)."""

    kind = "parse error"


class ShapeError(MatdiffError):
    """Operand shapes do not fit an operation; the message names both shapes."""

    kind = "shape error"


class DeclarationError(MatdiffError):
    """A ``--declare`` / ``declare=`` entry is malformed or contradicts the expression."""

    kind = "declaration error"


class LimitError(MatdiffError):
    """The input exceeds a size, depth or exponent limit that keeps matdiff responsive."""

    kind = "limit exceeded"


class UnsupportedError(MatdiffError):
    """A well-formed request that matdiff does not (yet) compute; never a wrong answer."""

    kind = "unsupported"


class EvaluationError(MatdiffError):
    """A numeric evaluation failed (missing value, wrong array shape, undefined point)."""

    kind = "evaluation error"


class UndefinedError(MatdiffError):
    """A value that is undefined or not a real number: a constant (``1/0``, ``log(-1)``,
    ``(-1)^0.5``) or a part that is identically such (``1/(a - a)``) at its column, or a
    result that is not finite at a given point.  Never printed as an answer."""

    kind = "undefined"


class OptionError(MatdiffError):
    """An argument of the API or CLI has a value outside its valid set."""

    kind = "invalid option"
