"""L2: printing — an expression as text in the input language, and as LaTeX.

Each printer is one table with a row per op (``ROWS``) and one precedence table
(``PRECEDENCE``), dispatching on ``node.op``.
"""

from .latex import to_latex
from .text import to_text

__all__ = ["to_latex", "to_text"]
