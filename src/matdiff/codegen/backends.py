"""Array-library backends for the code generator: each one is a table of names.

The code generator (:mod:`matdiff.codegen.array_code`) prints calls as
``<module>.<name>(...)``; a backend says what ``<module>`` is and what each function is
called there.  Adding JAX is one more row (``Backend("jax", "jnp", NUMPY_NAMES)``:
``jax.numpy`` mirrors NumPy's names); PyTorch needs its own name table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..errors import UnsupportedError


@dataclass(frozen=True)
class Backend:
    """``name`` as users select it, ``module`` the prefix in generated code, ``names``
    the attribute path of each function under that module."""

    name: str
    module: str
    names: Mapping[str, str]

    def fn(self, key: str) -> str:
        """The qualified function name, e.g. ``fn("det") == "np.linalg.det"``."""
        return f"{self.module}.{self.names[key]}"


FUNCTION_KEYS: tuple[str, ...] = (
    # elementwise functions that every array library spells like NumPy
    "exp", "log", "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "tanh", "abs", "sign",
    # everything else the code generator calls
    "maximum", "heaviside", "sum", "norm", "trace", "det", "slogdet", "inv", "diag",
    "outer", "eye", "full", "ones", "zeros", "matrix_power",
    # index-form tensors (codegen/einsum.py)
    "einsum",
)
"""The functions a backend must name (its ``names`` keys)."""

NUMPY_NAMES: Mapping[str, str] = MappingProxyType({
    **{k: k for k in FUNCTION_KEYS},
    "norm": "linalg.norm",
    "det": "linalg.det",
    "slogdet": "linalg.slogdet",
    "inv": "linalg.inv",
    "matrix_power": "linalg.matrix_power",
})

NUMPY = Backend("numpy", "np", NUMPY_NAMES)

BACKENDS: Mapping[str, Backend] = MappingProxyType({NUMPY.name: NUMPY})


def get_backend(backend: str | Backend) -> Backend:
    """A backend by name (``"numpy"``), or the given :class:`Backend` itself."""
    if isinstance(backend, Backend):
        missing = [k for k in FUNCTION_KEYS if k not in backend.names]
        if missing:
            raise UnsupportedError(
                f"backend {backend.name} does not name {', '.join(missing)}")
        return backend
    try:
        return BACKENDS[backend]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise UnsupportedError(
            f"unknown code generation backend {backend!r} (available: {known})") from None
