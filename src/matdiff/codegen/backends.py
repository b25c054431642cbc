"""Array-library backends for the code generator: each one is a table of names.

The code generator (:mod:`matdiff.codegen.array_code`) prints calls as
``<module>.<name>(...)``; a backend says what ``<module>`` is and what each function is
called there.  JAX is NumPy's table under ``jnp`` (``jax.numpy`` mirrors NumPy's names).
PyTorch has its own names, and a few calls that must be spelled differently: those are
*templates* (``key -> format string``), formatted with the call's arguments ``{0}``,
``{1}`` ... and ``{ref}``, an input array of the expression.  Torch's constructors
(``torch.eye``, ``torch.ones``, ...) take ``dtype=`` and ``device=`` from ``{ref}``, so
generated torch code runs on whatever device and dtype its inputs have (CPU or CUDA)
and hard-codes neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..errors import UnsupportedError


@dataclass(frozen=True)
class Backend:
    """``name`` as users select it, ``module`` the prefix in generated code, ``names``
    the attribute path of each function under that module, ``templates`` calls that are
    not ``module.name(args)``, ``einsum_optimize`` the keyword argument that asks
    ``einsum`` for a contraction-order search (``""``: the library always does it),
    ``imports`` the import line that puts ``module`` in scope, ``fuses_sums``: the
    library's compiler fuses a sum of ``einsum`` outer products into one pass (XLA), so
    dense higher derivatives keep the einsum form instead of one batched ``matmul``
    (:mod:`.outer`; measured F4 Hessian at n = 100: JAX 340 ms einsum against 440 ms
    matmul, torch 5,081 ms einsum against 244 ms matmul)."""

    name: str
    module: str
    names: Mapping[str, str]
    templates: Mapping[str, str] = field(default_factory=dict)
    einsum_optimize: str = "optimize=True"
    imports: str = ""
    fuses_sums: bool = False
    unreferenced: str = ""
    """What replaces ``, dtype={ref}.dtype, device={ref}.device`` in a template when the
    code has no input to take them from (torch: float64, as the reference evaluator)."""

    def fn(self, key: str) -> str:
        """The qualified function name, e.g. ``fn("det") == "np.linalg.det"``."""
        return f"{self.module}.{self.names[key]}"

    def call(self, key: str, args: tuple[str, ...], ref: str | None = None) -> str:
        """The code calling function ``key`` on ``args`` (``ref``: an input array, for
        templates that take its dtype and device)."""
        template = self.templates.get(key)
        if template is None:
            if key == "scalar":  # a number needs no call where the library takes floats
                return args[0]
            return f"{self.fn(key)}({', '.join(args)})"
        if "{ref}" in template and ref is None:
            template = template.replace(", dtype={ref}.dtype, device={ref}.device",
                                        self.unreferenced)
        return template.format(*args, ref=ref)


FUNCTION_KEYS: tuple[str, ...] = (
    # elementwise functions that every array library spells like NumPy
    "exp", "log", "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "tanh", "abs", "sign",
    # sigmoid, softplus are written with logaddexp (overflow-free for any |u|)
    "logaddexp",
    # everything else the code generator calls
    "maximum", "heaviside", "sum", "norm", "trace", "det", "slogdet", "inv", "diag",
    "outer", "eye", "full", "ones", "zeros", "matrix_power", "solve",
    "kron", "reshape", "pinv",
    # index-form tensors (codegen/einsum.py, codegen/outer.py)
    "einsum", "broadcast_to", "stack", "matmul",
    # reduce: logsumexp(x, axis) and over every entry (axis None), the largest entry (for
    # softmax); a backend may also give a "softmax" template (torch)
    "logsumexp", "logsumexp_all", "max",
)
"""The functions a backend must name (its ``names`` keys)."""

NUMPY_NAMES: Mapping[str, str] = MappingProxyType({
    **{k: k for k in FUNCTION_KEYS},
    "norm": "linalg.norm",
    "det": "linalg.det",
    "slogdet": "linalg.slogdet",
    "inv": "linalg.inv",
    "matrix_power": "linalg.matrix_power",
    "solve": "linalg.solve",
    # reduce: logaddexp folds log(exp(a) + exp(b)) pairwise, each step with the larger
    # term taken out, so it is stable for any finite input (only np in scope)
    "logsumexp": "logaddexp.reduce",
    "logsumexp_all": "logaddexp.reduce",
    "pinv": "linalg.pinv",
})

NUMPY = Backend("numpy", "np", NUMPY_NAMES, imports="import numpy as np")

JAX = Backend("jax", "jnp", NUMPY_NAMES, imports="import jax.numpy as jnp", fuses_sums=True)
"""``jax.numpy``: NumPy's names; the code is pure and shape-static, so ``jax.jit`` and
``jax.vmap`` apply to it."""

_LIKE = ", dtype={ref}.dtype, device={ref}.device"

TORCH = Backend(
    "torch", "torch",
    MappingProxyType({
        **{k: k for k in FUNCTION_KEYS},
        "norm": "linalg.norm",
        "det": "linalg.det",
        "slogdet": "linalg.slogdet",
        "inv": "linalg.inv",
        "matrix_power": "linalg.matrix_power",
        "solve": "linalg.solve",
        "max": "amax",
        "pinv": "linalg.pinv",
    }),
    MappingProxyType({
        # relu is printed as maximum(x, 0); torch.maximum wants two tensors
        "maximum": "torch.clamp_min({0}, {1})",
        # heaviside(x, 0) with step(0) = 0, in x's own dtype (torch.heaviside wants its
        # two arguments of one dtype): max(sign(x), 0) is 1, 0, 0 (nan stays nan)
        "heaviside": "torch.clamp_min(torch.sign({0}), 0)",
        # a number as a function's argument: torch functions take tensors only
        "scalar": "torch.as_tensor({0}" + _LIKE + ")",  # (a tensor passes unchanged)
        "eye": "torch.eye({0}" + _LIKE + ")",
        "ones": "torch.ones({0}" + _LIKE + ")",
        "zeros": "torch.zeros({0}" + _LIKE + ")",
        # the fill value may be a 0-d tensor (a broadcast scalar), which torch.full refuses
        "full": "({1} * torch.ones({0}" + _LIKE + "))",
        # sigmoid: torch's own, exact and overflow-free (softplus is logaddexp(0, u):
        # torch.nn.functional.softplus returns u itself above a threshold)
        "sigmoid": "torch.sigmoid({0})",
        # kron: torch.kron takes views of its operands, which fails on a transposed
        # (non-contiguous) one inside the Hessian's products
        "kron": "torch.kron(({0}).contiguous(), ({1}).contiguous())",
        # reduce: torch's own stable logsumexp and softmax
        "logsumexp": "torch.logsumexp({0}, {1})",
        "logsumexp_all": "torch.logsumexp(({0}).reshape(-1), 0)",
        "softmax": "torch.softmax({0}, {1})",
    }),
    einsum_optimize="",  # torch.einsum orders contractions itself (opt_einsum)
    imports="import torch",
    unreferenced=", dtype=torch.float64",
)
"""PyTorch: device-agnostic (constructors take ``dtype``/``device`` from an input)."""

BACKENDS: Mapping[str, Backend] = MappingProxyType(
    {NUMPY.name: NUMPY, JAX.name: JAX, TORCH.name: TORCH})


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
