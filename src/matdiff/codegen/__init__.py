"""L2: code generation — an expression as one array-library expression (NumPy first).

``to_array_code(node, sizes, backend="numpy")`` prints; a backend is a table of names
(:mod:`.backends`), so JAX or PyTorch are new tables, not new printers.
``to_einsum_code(tensor, sizes, backend)`` lowers an index-form tensor (a derivative of
any order) to a sum of ``einsum`` calls over the same printer (:mod:`.einsum`).
``to_program(roots, sizes, backend, dims)`` prints several results as one straight-line
function body that is fast by construction (:mod:`.program`, :mod:`.chain`, :mod:`.lower`).
"""

from .array_code import PRECEDENCE, ROWS, python_name, to_array_code, variable_names
from .backends import BACKENDS, NUMPY, Backend, get_backend
from .einsum import to_einsum_code
from .program import Program, Root, to_program

__all__ = [
    "BACKENDS",
    "NUMPY",
    "PRECEDENCE",
    "ROWS",
    "Backend",
    "Program",
    "Root",
    "get_backend",
    "python_name",
    "to_array_code",
    "to_einsum_code",
    "to_program",
    "variable_names",
]
