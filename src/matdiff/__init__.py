"""matdiff: derivatives of matrix expressions, as a textbook prints them.

>>> import matdiff
>>> matdiff.derivative("tr(A*X*B*X'*C)", "X").text
"A'*C'*X*B' + C*A*X*B"
"""

from .api import LAYOUTS, SYMMETRIC_GRADIENTS, Derivative, Options, derivative
from .errors import (
    DeclarationError,
    EvaluationError,
    LimitError,
    MatdiffError,
    OptionError,
    ParseError,
    ShapeError,
    UnsupportedError,
)
from .testing import CheckResult

__all__ = [
    "LAYOUTS", "SYMMETRIC_GRADIENTS", "CheckResult", "DeclarationError", "Derivative",
    "EvaluationError", "LimitError", "MatdiffError", "OptionError", "Options", "ParseError",
    "ShapeError", "UnsupportedError", "derivative",
]
__version__ = "0.1.0"
