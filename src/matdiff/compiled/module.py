"""A standalone, readable Python module for a derivative (``matdiff codegen``,
:func:`matdiff.generate_module`): ``f``, ``grad`` (and ``hessian``) in one backend, each
with its formula in the docstring and shape checks, and a ``check_gradient`` helper that
needs no matdiff.  Inputs are keyword arguments by their Python names
(:func:`matdiff.codegen.python_name`: ``lambda`` is ``lambda_``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ..codegen import Root, get_backend, python_name, to_program
from ..ir.nodes import Node
from ..ir.tensor import Tensor
from ..shapes import Dim, show_dim


class DerivativeLike(Protocol):
    """What :func:`module_source` reads from an :class:`matdiff.api.Derivative`."""

    source: str
    function: Node
    variables: dict[str, Node]
    wrt_variables: tuple[Node, ...]

    @property
    def sizes(self) -> dict[Dim, str]: ...

    @property
    def text(self) -> str: ...

    @property
    def result(self) -> Node | None: ...

    @property
    def tensor(self) -> Tensor: ...

    @property
    def layout(self) -> str: ...


def _root(d: DerivativeLike) -> Root:
    return d.result if d.result is not None else d.tensor


_CHECK = '''

# --- shape checks and a finite-difference check (no matdiff needed) --------------------

_SHAPES = {shapes}
_DECLARED = {declared}
_HAS_HESSIAN = {hessian}


def _check_shapes(**arrays):
    """Each input has the declared number of axes and the dimensions agree."""
    dims = {{}}
    for name, value in arrays.items():
        want = _SHAPES[name]
        got = tuple(getattr(value, "shape", ()))
        if len(got) != len(want):
            raise ValueError(f"{{name}} must have shape ({{', '.join(map(str, want))}}), "
                             f"got an array of shape {{got}}")
        for axis, (d, n) in enumerate(zip(want, got)):
            known = _size(d, dims)
            if known is not None and known != n:
                raise ValueError(f"{{name}}.shape[{{axis}}] is {{n}}, but dimension {{d}} "
                                 f"is {{known}}; {{name}} must have shape "
                                 f"({{', '.join(map(str, want))}})")
            dims.setdefault(d, n)


def _size(d, sizes):
    """A dimension's size: an int, a name's, or a product's (m*n, of kron or vec) from
    its factors; None when a factor is not known yet."""
    if isinstance(d, int):
        return d
    if d in sizes:
        return sizes[d]
    if "*" not in d:
        return None
    total = 1
    for factor in d.split("*"):
        size = int(factor) if factor.isdigit() else sizes.get(factor)
        if size is None:
            return None
        total *= size
    return total


def _sample(rng, sizes):
    """Random inputs that respect the declarations (spd, symmetric, positive, ...)."""
    import numpy
    point = {{}}
    for name, want in _SHAPES.items():
        shape = tuple(_size(d, sizes) for d in want)
        a = rng.normal(size=shape)
        props = _DECLARED.get(name, ())
        if "spd" in props:
            a = a @ a.T + shape[0] * numpy.eye(shape[0])
        elif "symmetric" in props:
            a = (a + a.T) / 2
        if "diagonal" in props:
            a = numpy.diag(numpy.diag(a))
        if "positive" in props:
            a = numpy.abs(a) + 0.5
        point[name] = a
    return point


def check_gradient(seed=0, step=1e-6, tolerance=1e-5):
    """Compare grad (and hessian) along random directions with central finite
    differences of f (of grad) at a random point; raises AssertionError on a mismatch."""
    import numpy
    _prepare()
    rng = numpy.random.default_rng(seed)
    sizes = {{d: 3 + k for k, d in enumerate(sorted({{f for s in _SHAPES.values()
                                                     for d in s if isinstance(d, str)
                                                     for f in d.split("*")
                                                     if not f.isdigit()}}))}}
    point = _sample(rng, sizes)
    direction = _sample(rng, sizes)[{wrt!r}]
    stages = [(f, grad)] + ([(grad, hessian)] if _HAS_HESSIAN else [])
    for low, high in stages:
        def along(t):
            moved = dict(point, **{{{wrt!r}: point[{wrt!r}] + t * direction}})
            return numpy.asarray(_to_numpy(low(**_from_numpy(moved))))
        numeric = (along(step) - along(-step)) / (2 * step)
        value = numpy.asarray(_to_numpy(high(**_from_numpy(point))))
        exact = numpy.tensordot(value, direction, axes=numpy.ndim(direction))
        error = numpy.max(numpy.abs(exact - numeric)) / max(1.0, numpy.max(numpy.abs(numeric)))
        assert error < tolerance, f"{{high.__name__}}: relative error {{error:.2e}}"
    return True


if __name__ == "__main__":
    check_gradient()
    print("gradient check passed" + (" (and hessian)" if _HAS_HESSIAN else ""))
'''

_CONVERT = {
    "numpy": ("def _prepare():\n    pass\n\n\ndef _from_numpy(arrays):\n    return arrays\n\n\n"
              "def _to_numpy(value):\n    return value\n"),
    "jax": ("def _prepare():\n    \"\"\"The check runs in float64.\"\"\"\n"
            "    import jax\n    jax.config.update('jax_enable_x64', True)\n\n\n"
            "def _from_numpy(arrays):\n    return {k: jnp.asarray(v) for k, v in "
            "arrays.items()}\n\n\ndef _to_numpy(value):\n    import numpy\n"
            "    return numpy.asarray(value)\n"),
    "torch": ("def _prepare():\n    pass\n\n\ndef _from_numpy(arrays):\n"
              "    return {k: torch.as_tensor(v) for k, v in arrays.items()}\n\n\n"
              "def _to_numpy(value):\n"
              "    return value.detach().cpu().numpy() if hasattr(value, 'detach') "
              "else value\n"),
}


def _renamed(variables: Mapping[str, Node]) -> list[str]:
    """The docstring line naming the inputs spelled differently in Python."""
    pairs = [f"{n} as {python_name(n)}" for n in variables if python_name(n) != n]
    if not pairs:
        return []
    return ["", f"Inputs whose names Python reserves take a trailing underscore: "
                f"{', '.join(pairs)}."]


def _dim_text(d: Dim) -> str | int:
    return d if isinstance(d, int) else show_dim(d)


def module_source(gradient: DerivativeLike, hessian: DerivativeLike | None,
                  backend: str = "numpy") -> str:
    """A readable, standalone Python module: ``f``, ``grad`` (and ``hessian``), each
    with its formula in the docstring and shape checks, a ``check_gradient`` helper
    (finite differences along random directions) and a ``__main__`` block running it.
    Derivatives are in mixed layout (the gradient has the variable's shape)."""
    be = get_backend(backend)
    variables = dict(gradient.variables)
    params = ", ".join(python_name(n, be) for n in variables)
    wrt = str(gradient.wrt_variables[0].attrs[0])
    pieces = [("f", gradient.function, f"f = {gradient.source.strip()}"),
              ("grad", _root(gradient), f"d f / d {wrt} = {gradient.text}")]
    if hessian is not None:
        pieces.append(("hessian", _root(hessian),
                       f"d^2 f / d {wrt} d {wrt} = {hessian.text}"))
    # keyed by the Python names: the functions' keyword arguments (lambda_ for lambda)
    shapes = {python_name(n): tuple(_dim_text(d) for d in v.shape.dims)
              for n, v in variables.items()}
    declared = {python_name(n): sorted(v.attrs[1]) for n, v in variables.items()
                if v.attrs[1]}
    out = [f'"""Generated by matdiff ({be.name}) from  f = {gradient.source.strip()}',
           "",
           f"Derivatives by {wrt} in mixed layout: the gradient has the shape of {wrt}, "
           f"the Hessian",
           f"has axes {wrt}.shape + {wrt}.shape.  Vectors are 1-D arrays.  Run this file "
           "to check",
           "the gradient against finite differences.", *_renamed(variables), '"""', "",
           be.imports, "", "",
           _CONVERT[be.name].rstrip("\n"), ""]
    checks = ", ".join(f"{python_name(n, be)}={python_name(n, be)}" for n in variables)
    for name, root, doc in pieces:
        program = to_program([root], gradient.sizes, be)
        out += ["", f"def {name}({params}):", f'    """{doc}"""',
                f"    _check_shapes({checks})", *program.body(),
                f"    return {program.outputs[0]}", ""]
    out.append(_CHECK.format(shapes=repr(shapes), declared=repr(declared),
                             wrt=python_name(wrt),
                             hessian=hessian is not None).rstrip("\n"))
    return "\n".join(out) + "\n"


__all__ = ["DerivativeLike", "module_source"]
