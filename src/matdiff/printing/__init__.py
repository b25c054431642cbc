"""L2: printing — an expression as text in the input language, and as LaTeX.

Each printer is one table with a row per op (``ROWS``) and one precedence table
(``PRECEDENCE``), dispatching on ``node.op``.  :mod:`.index` prints index-form tensors
(derivatives of any order) and Kronecker forms with those printers.
"""

from .index import (
    IndexHeader,
    index_latex,
    index_names,
    index_text,
    kronecker_latex,
    kronecker_text,
)
from .latex import to_latex
from .text import to_text

__all__ = [
    "IndexHeader",
    "index_latex",
    "index_names",
    "index_text",
    "kronecker_latex",
    "kronecker_text",
    "to_latex",
    "to_text",
]
