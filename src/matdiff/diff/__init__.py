"""L2: derivative rules (differentials and their transposes) and the engine."""

from .differentials import DIFFERENTIALS
from .elementwise import ELEMENTWISE_DERIVATIVES
from .engine import Gradient, differential, gradient, transpose_linear
from .transpose import TRANSPOSES

__all__ = ["DIFFERENTIALS", "ELEMENTWISE_DERIVATIVES", "TRANSPOSES", "Gradient",
           "differential", "gradient", "transpose_linear"]
