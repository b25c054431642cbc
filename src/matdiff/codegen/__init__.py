"""L2: code generation — an expression as one array-library expression (NumPy first).

``to_array_code(node, sizes, backend="numpy")`` prints; a backend is a table of names
(:mod:`.backends`), so JAX or PyTorch are new tables, not new printers.
"""

from .array_code import PRECEDENCE, ROWS, python_name, to_array_code, variable_names
from .backends import BACKENDS, NUMPY, Backend, get_backend

__all__ = [
    "BACKENDS",
    "NUMPY",
    "PRECEDENCE",
    "ROWS",
    "Backend",
    "get_backend",
    "python_name",
    "to_array_code",
    "variable_names",
]
