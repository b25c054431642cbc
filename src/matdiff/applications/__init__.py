"""L3.5: what the seeds do with derivatives (issue 8).

Values at a point and gradients over several variables (:mod:`.point`), tangent planes and
normal lines of surfaces (:mod:`.tangent`, seed 000), solving ``df = 0`` in closed form
(:mod:`.solve`, seed 003's normal equation) and SymPy interoperability
(:mod:`.sympy_interop`).  Built on :func:`matdiff.api.derivative`; the CLI and the
notebook call these.
"""

from .point import Gradient, gradient, value_at
from .solve import Solution, solve
from .sympy_interop import from_sympy, sympy_declarations, to_sympy
from .tangent import Tangent, TangentError, tangent

__all__ = ["Gradient", "Solution", "Tangent", "TangentError", "from_sympy", "gradient",
           "solve", "sympy_declarations", "tangent", "to_sympy", "value_at"]
