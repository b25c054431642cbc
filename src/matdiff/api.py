"""The public pipeline: parse, differentiate, simplify, lay out, print.

``derivative(expr, wrt, declare=None, layout="mixed", symmetric_gradient="symmetrized")``
returns a :class:`Derivative` with ``.text``, ``.latex``, ``.numpy``, ``.shape``,
``.check()``.  Conventions (DESIGN.md):

- layout ``mixed`` (default, JAX's ``jacobian``): the derivative of ``f`` by ``V`` has shape
  ``f.shape + V.shape``; a scalar's gradient has the variable's shape.  ``denominator`` is
  the same for a scalar ``f``; ``numerator`` transposes it (seed 003: ``dy/dx`` of a scalar
  by a column vector is a row, ``dy/dX`` has the transposed shape of ``X``).
- a symmetric (or spd) variable gets ``sym(G) = (G + G')/2`` (``"symmetrized"``, the
  gradient on the space of symmetric matrices) or The Matrix Cookbook's
  ``G + G' - diag(G)`` (``"cookbook"``, eq. 141); a diagonal variable gets ``diag(diag(G))``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any, Literal, get_args

from . import testing
from .codegen import python_name, to_array_code
from .diff import gradient as raw_gradient
from .errors import MatdiffError, OptionError, UnsupportedError
from .ir import build as b
from .ir.nodes import Node
from .parse import Parsed, parse
from .printing import to_latex, to_text
from .shapes import Dim, Shape
from .simplify import Rewrite, simplify

Layout = Literal["mixed", "numerator", "denominator"]
SymmetricGradient = Literal["symmetrized", "cookbook"]
Declarations = Mapping[str, str] | Sequence[str] | None

LAYOUTS: tuple[str, ...] = get_args(Layout)
SYMMETRIC_GRADIENTS: tuple[str, ...] = get_args(SymmetricGradient)


@dataclass(frozen=True)
class Options:
    """How a derivative is presented (every output states these)."""

    layout: Layout = "mixed"
    symmetric_gradient: SymmetricGradient = "symmetrized"


def _structure(variable: Node, options: Options) -> testing.Structure:
    props: frozenset[str] = variable.attrs[1]
    if "diagonal" in props:
        return "diagonal"
    if props & {"symmetric", "spd"}:
        return options.symmetric_gradient
    return "general"


def _constrain(g: Node, structure: testing.Structure, record: list[Rewrite]) -> Node:
    """The gradient on the variable's matrix space (symmetric / diagonal).

    When ``G`` is already symmetric (``G' = G`` after simplification), ``(G + G')/2 = G``
    and the Cookbook's form is ``2*G - diag(diag(G))``: written so, not expanded.
    """
    if structure in ("symmetrized", "cookbook"):
        gt = simplify(b.transpose(g), record=record)
        twice = b.mul(b.const(2), g) if gt is g else b.add(g, gt)
        if structure == "symmetrized":
            return g if gt is g else b.mul(b.const(Fraction(1, 2)), twice)
        return b.add(twice, b.neg(b.apply("diagm", b.apply("diagv", g))))
    if structure == "diagonal":
        return b.apply("diagm", b.apply("diagv", g))
    return g


@dataclass
class Derivative:
    """A computed derivative; printable forms are computed on first use."""

    source: str
    function: Node
    variable: Node
    variables: dict[str, Node]
    gradient: Node  # mixed layout, simplified
    result: Node  # in the requested layout
    options: Options
    differential: Node | None
    rewrites: list[Rewrite] = field(default_factory=list, repr=False)

    @property
    def wrt(self) -> str:
        return str(self.variable.attrs[0])

    @property
    def layout(self) -> str:
        return self.options.layout

    @cached_property
    def text(self) -> str:
        """The derivative in the input language (parses back to the same expression)."""
        return to_text(self.result)

    @cached_property
    def latex(self) -> str:
        return to_latex(self.result)

    @cached_property
    def numpy(self) -> str:
        """One NumPy expression: variables by name, only ``np`` in scope, vectors 1-D,
        sizes from the arrays (``np.eye(X.shape[0])``); value shape ``f.shape + wrt.shape``
        in mixed layout."""
        return to_array_code(self.result, self.sizes, backend="numpy")

    @cached_property
    def sizes(self) -> dict[Dim, str]:
        """For each dimension, an expression giving its size from the input arrays."""
        sizes: dict[Dim, str] = {}
        for name, v in self.variables.items():
            for axis, d in enumerate(v.shape.dims):
                sizes.setdefault(d, f"{python_name(name)}.shape[{axis}]")
        for d in self.result.shape.dims:
            if isinstance(d, int):
                sizes.setdefault(d, str(d))
        return sizes

    @property
    def shape(self) -> tuple[Dim, ...]:
        """The dimensions of the result (``()`` for a scalar), as NumPy would give them."""
        return self.result.shape.dims

    @property
    def result_shape(self) -> Shape:
        return self.result.shape

    def check(self, seed: int = 0, points: int = 3,
              tolerance: float = 1e-6) -> testing.CheckResult:
        """Compare with central finite differences on random inputs that respect the
        declarations; see :func:`matdiff.testing.check_gradient`."""
        return testing.check_gradient(
            self.function, self.gradient, self.variable, self.variables,
            _structure(self.variable, self.options), seed=seed, points=points,
            tolerance=tolerance)

    def describe(self) -> str:
        """One line naming the derivative, its shape and layout."""
        return (f"d/d{self.wrt} of {self.source}: {self.result.shape} "
                f"({self.options.layout} layout)")

    def _repr_latex_(self) -> str:
        return f"$\\frac{{\\partial}}{{\\partial {self.wrt}}} = {self.latex}$"

    def __str__(self) -> str:
        return self.text

    def to_json(self) -> dict[str, Any]:
        return {
            "expression": self.source,
            "wrt": self.wrt,
            "text": self.text,
            "latex": self.latex,
            "numpy": self.numpy,
            "shape": [str(d) for d in self.shape],
            "kind": self.result.shape.kind,
            "layout": self.options.layout,
        }


def _options(layout: str, symmetric_gradient: str) -> Options:
    if layout not in LAYOUTS:
        raise OptionError(f"unknown layout {layout!r}; valid layouts are: {', '.join(LAYOUTS)}")
    if symmetric_gradient not in SYMMETRIC_GRADIENTS:
        raise OptionError(f"unknown symmetric_gradient {symmetric_gradient!r}; valid values "
                          f"are: {', '.join(SYMMETRIC_GRADIENTS)}")
    return Options(layout, symmetric_gradient)  # type: ignore[arg-type]


def _variable(parsed: Parsed, wrt: str | Sequence[str]) -> Node:
    if not isinstance(wrt, str):
        names = list(wrt)
        if len(names) != 1:
            raise UnsupportedError(
                "derivatives with respect to several variables (higher orders) are not "
                f"supported yet; got wrt={names!r}")
        wrt = names[0]
    if not isinstance(wrt, str) or not wrt.strip():
        raise OptionError("wrt must name a variable of the expression")
    wrt = wrt.strip()
    found = parsed.variables.get(wrt) or parsed.declared.get(wrt)
    if found is None:
        known = ", ".join(parsed.variables) or "none"
        raise OptionError(f"{wrt} is not a variable of the expression (its variables: "
                          f"{known}); declare it to differentiate with respect to it")
    return found


def derivative(expr: str, wrt: str | Sequence[str], declare: Declarations = None,
               layout: str = "mixed",
               symmetric_gradient: str = "symmetrized") -> Derivative:
    """The derivative of the scalar expression ``expr`` with respect to ``wrt``.

    >>> derivative("tr(A*X*B*X'*C)", "X").text
    "A'*C'*X*B' + C*A*X*B"
    """
    options = _options(layout, symmetric_gradient)
    parsed = parse(expr, declare)
    variable = _variable(parsed, wrt)
    if not parsed.expr.shape.is_scalar:
        raise UnsupportedError(
            f"{expr.strip()} is a {parsed.expr.shape}; derivatives of non-scalar expressions "
            "(Jacobians and beyond) are not supported yet — differentiate a scalar such as "
            "sum(...), tr(...) or a norm")
    raw = raw_gradient(parsed.expr, variable)
    rewrites: list[Rewrite] = []
    g = simplify(raw.gradient, record=rewrites)
    g = simplify(_constrain(g, _structure(variable, options), rewrites), record=rewrites)
    result = g if options.layout != "numerator" else simplify(b.transpose(g), record=rewrites)
    df = None if raw.df is None else simplify(raw.df)
    variables = dict(parsed.variables)
    variables.setdefault(str(variable.attrs[0]), variable)
    return Derivative(expr, parsed.expr, variable, variables, g, result, options, df, rewrites)


__all__ = ["LAYOUTS", "SYMMETRIC_GRADIENTS", "Derivative", "MatdiffError", "Options",
           "derivative"]
