"""L2: derivative rules (differentials, their transposes, their index forms) and the
engine."""

from .differentials import DIFFERENTIALS
from .elementwise import ELEMENTWISE_DERIVATIVES
from .engine import Gradient, differential, gradient, transpose_linear
from .tensor import TENSOR_RULES, differentiate_tensor, linear_tensor
from .transpose import TRANSPOSES

__all__ = ["DIFFERENTIALS", "ELEMENTWISE_DERIVATIVES", "TENSOR_RULES", "TRANSPOSES",
           "Gradient", "differential", "differentiate_tensor", "gradient", "linear_tensor",
           "transpose_linear"]
