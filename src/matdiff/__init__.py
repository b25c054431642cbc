"""matdiff: derivatives of matrix expressions, as a textbook prints them.

>>> import matdiff
>>> matdiff.derivative("tr(A*X*B*X'*C)", "X").text
"A'*C'*X*B' + C*A*X*B"
"""

from .api import (
    LAYOUTS,
    SYMMETRIC_GRADIENTS,
    Derivative,
    Options,
    derivative,
    generate_module,
)
from .applications import (
    Gradient,
    Solution,
    Tangent,
    TangentError,
    from_sympy,
    gradient,
    solve,
    tangent,
    to_sympy,
)
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
from .explain import identity
from .testing import CheckResult

__all__ = [
    "LAYOUTS", "SYMMETRIC_GRADIENTS", "CheckResult", "DeclarationError", "Derivative",
    "EvaluationError", "Gradient", "LimitError", "MatdiffError", "OptionError", "Options",
    "ParseError", "ShapeError", "Solution", "Tangent", "TangentError", "UnsupportedError",
    "codegen", "derivative", "from_sympy", "generate_module", "gradient", "identity", "solve",
    "tangent",
    "to_sympy",
]
__version__ = "0.1.0"
