"""matdiff: derivatives of matrix expressions, as a textbook prints them.

>>> import matdiff
>>> matdiff.derivative("tr(A*X*B*X'*C)", "X").text
"A'*C'*X*B' + C*A*X*B"
"""

from . import arguments as _arg
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
)
from .applications import gradient as _gradient
from .applications import solve as _solve
from .applications import tangent as _tangent
from .applications import to_sympy as _to_sympy
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
from .explain import identity as _identity
from .testing import CheckResult

# The public functions check their arguments at this boundary (matdiff/arguments.py): a
# wrong type, keyword or value is an OptionError naming the argument, never a TypeError.
_seed = _arg.integer(0, _arg.MAX_SEED)
identity = _arg.entry_point(
    lhs=_arg.expression, rhs=_arg.expression, declare=_arg.declarations, seed=_seed,
    points=_arg.integer(1, _arg.MAX_POINTS), strict=_arg.flag)(_identity)
gradient = _arg.entry_point(
    expr=_arg.expression, wrt=_arg.name_list, declare=_arg.declarations,
    layout=_arg.choice(*LAYOUTS),
    symmetric_gradient=_arg.choice(*SYMMETRIC_GRADIENTS), strict=_arg.flag)(_gradient)
solve = _arg.entry_point(
    expr=_arg.expression, wrt=_arg.text, declare=_arg.declarations, seed=_seed,
    strict=_arg.flag)(_solve)
tangent = _arg.entry_point(
    equation=_arg.expression, at=_arg.point, declare=_arg.declarations,
    coordinates=_arg.optional_names, strict=_arg.flag)(_tangent)
to_sympy = _arg.entry_point(expr=_arg.expression, declare=_arg.declarations,
                            strict=_arg.flag)(_to_sympy)

__all__ = [
    "LAYOUTS", "SYMMETRIC_GRADIENTS", "CheckResult", "DeclarationError", "Derivative",
    "EvaluationError", "Gradient", "LimitError", "MatdiffError", "OptionError", "Options",
    "ParseError", "ShapeError", "Solution", "Tangent", "TangentError", "UnsupportedError",
    "codegen", "derivative", "from_sympy", "generate_module", "gradient", "identity", "solve",
    "tangent",
    "to_sympy",
]
__version__ = "0.1.0"
