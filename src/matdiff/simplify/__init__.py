"""L2: the simplifier — rewrite rules as data (:data:`RULES`) and one engine (:func:`simplify`).

``simplify(expr, record=..., budget=...)`` returns an equal-valued canonical expression;
``record`` receives one :class:`Rewrite` per rule application, in order, for step-by-step
derivations.  ``present(expr)`` is the last pass, the canonical form as a textbook prints it
(:data:`PRESENTATION_RULES`).  ``check_defined(expr, sources, text)`` refuses a part that
simplifies to an undefined constant (``1/(a - a)``) at its column.  See :mod:`.rules` for
the table, :mod:`.patterns` for the pattern language.  ``recognise_logistic(expr)`` writes
``1 ./ (1 + exp(-z))`` and ``log(1 + exp(z))`` as ``sigmoid(z)``, ``softplus(z)``
(differentiated in that form, the results read as textbooks print them).
"""

from .domain import check_defined
from .engine import Simplifier, present, simplify
from .logistic import recognise as recognise_logistic
from .rule import Rewrite, Rule
from .rules import PRESENTATION_RULES, RULES

__all__ = ["PRESENTATION_RULES", "RULES", "Rewrite", "Rule", "Simplifier", "check_defined",
           "present", "recognise_logistic", "simplify"]
