"""L2: the simplifier — rewrite rules as data (:data:`RULES`) and one engine (:func:`simplify`).

``simplify(expr, record=..., budget=...)`` returns an equal-valued canonical expression;
``record`` receives one :class:`Rewrite` per rule application, in order, for step-by-step
derivations.  See :mod:`.rules` for the table, :mod:`.patterns` for the pattern language.
"""

from .engine import Simplifier, simplify
from .rule import Rewrite, Rule
from .rules import RULES

__all__ = ["RULES", "Rewrite", "Rule", "Simplifier", "simplify"]
