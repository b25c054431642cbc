"""The public pipeline: parse, differentiate, simplify, lay out, print.

``derivative(expr, wrt, declare=None, layout="mixed", symmetric_gradient="symmetrized",
order=None)`` returns a :class:`Derivative`.  Every kind (scalar, vector or matrix
expressions by scalar, vector or matrix variables) and every order (``wrt`` a list:
``["x", "x"]`` is the Hessian) goes through one representation, the index-form tensor
of :mod:`matdiff.ir.tensor`, and is shown as a matrix expression when one exists, else
in index (Einstein) notation, with a Kronecker form when that is unambiguous.

Conventions (DESIGN.md, seed 003):

- layout ``mixed`` (default, JAX's ``jacobian``): the derivative of ``f`` by ``V1, V2,
  ...`` has axes ``f.shape + V1.shape + V2.shape ...``; a scalar's gradient has the
  variable's shape and ``d(A*x)/dx = A``.
- ``numerator``: ``f``'s axes, then each variable's axes reversed (``V'``): a scalar by a
  vector is a row, ``dy/dX`` has the shape of ``X'``, vector by vector is m x n, vector
  by scalar a column.  ``denominator``: all axes of the numerator layout reversed (for
  two axes, its transpose).  Index forms are the same in every layout; only the order of
  the array axes changes.
- a symmetric (or spd) variable gets ``sym(G) = (G + G')/2`` (``"symmetrized"``, the
  gradient on the space of symmetric matrices) or The Matrix Cookbook's
  ``G + G' - diag(G)`` (``"cookbook"``, eq. 141), on its axes at every order; a diagonal
  variable gets ``diag(diag(G))``.
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import arguments as arg
from . import explain, testing
from .codegen import get_backend, python_name, to_array_code, to_einsum_code
from .compiled import Compiled, direction_tensor, factored, module_source
from .diff import differentiate_tensor
from .diff import gradient as raw_gradient
from .errors import EvaluationError, MatdiffError, OptionError, UndefinedError
from .evaluate import check_point, dimension_sizes, evaluate, evaluate_tensor
from .ir import build as b
from .ir.cse import WhereForm, where_form
from .ir.layout import axes_groups, layout_permutation, matrix_slots
from .ir.matrix_form import contract, kronecker_form, to_matrix
from .ir.nodes import Node
from .ir.tensor import (
    KroneckerForm,
    KroneckerTerm,
    Tensor,
    from_node,
    normalize,
    symmetrize,
)
from .parse import MAX_LENGTH, Parsed, Variables, parse
from .parse.declarations import HINT_STYLES, hint_style
from .printing import (
    IndexHeader,
    index_latex,
    index_text,
    kronecker_latex,
    kronecker_text,
    to_latex,
    to_text,
)
from .printing.conditions import matrix_function_conditions
from .printing.expansions import expansion_notes
from .printing.mathml import (
    equation_mathml,
    index_mathml,
    kronecker_mathml,
    math,
    where_mathml,
)
from .properties import check_properties
from .shapes import Dim, Shape, show_dim
from .simplify import Rewrite, check_defined, present, recognise_logistic, simplify

Layout = Literal["mixed", "numerator", "denominator"]
SymmetricGradient = Literal["symmetrized", "cookbook"]
Declarations = Mapping[str, str] | Sequence[str] | None

LAYOUTS: tuple[str, ...] = get_args(Layout)
SYMMETRIC_GRADIENTS: tuple[str, ...] = get_args(SymmetricGradient)
MAX_ORDER = 8
"""Orders above this are refused: each order multiplies the terms, and no one reads an
8th-order tensor."""


@dataclass(frozen=True)
class Options:
    """How a derivative is presented (every output states these)."""

    layout: Layout = "mixed"
    symmetric_gradient: SymmetricGradient = "symmetrized"

    def __post_init__(self) -> None:
        arg.choice(*LAYOUTS)("layout", self.layout)
        arg.choice(*SYMMETRIC_GRADIENTS)("symmetric_gradient", self.symmetric_gradient)


def _structure(variable: Node, options: Options) -> testing.Structure:
    props: frozenset[str] = variable.attrs[1]
    if "diagonal" in props and variable.shape.kind == "matrix":
        return "diagonal"
    if props & {"symmetric", "spd"} and variable.shape.kind == "matrix":
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
    """A computed derivative of any kind and order; printable forms are computed on
    first use.  ``tensors[k]`` is the ``(k+1)``-th derivative in mixed layout."""

    source: str
    function: Node
    wrt_variables: tuple[Node, ...]
    variables: dict[str, Node]
    tensors: tuple[Tensor, ...]
    options: Options
    gradient: Node | None  # first order of a scalar: G of df = tr(G' dX), mixed layout
    differential: Node | None
    rewrites: list[Rewrite] = field(default_factory=list, repr=False)
    notes: tuple[str, ...] = ()  # how the text was read (X^T as the transpose)
    _derivations: dict[tuple[str, str], explain.Derivation] = field(
        default_factory=dict, repr=False, compare=False)

    # --- what was differentiated -------------------------------------------------------
    @property
    def variable(self) -> Node:
        return self.wrt_variables[-1]

    @property
    def wrt(self) -> str:
        """The variable name (first order) or the names joined by commas."""
        return ", ".join(str(v.attrs[0]) for v in self.wrt_variables)

    @property
    def order(self) -> int:
        return len(self.wrt_variables)

    @property
    def layout(self) -> str:
        return self.options.layout

    @property
    def kind(self) -> str:
        """``"scalar by matrix"``, ``"vector by vector"``, ... (first variable)."""
        return f"{self.function.shape.kind} by {self.wrt_variables[0].shape.kind}"

    @cached_property
    def _groups(self) -> list[list[int]]:
        return axes_groups(self.function, self.wrt_variables)

    @cached_property
    def permutation(self) -> list[int]:
        """Array axes of this layout as positions of the mixed-layout axes."""
        return layout_permutation(self.options.layout, self._groups)

    @cached_property
    def tensor(self) -> Tensor:
        """The derivative in index form, axes in this layout's order."""
        return self.tensors[-1].permuted(self.permutation)

    @cached_property
    def result(self) -> Node | None:
        """The matrix form in this layout, or ``None`` when there is none (order 3 and
        above, and 4th-order derivatives such as d(A*X*B)/dX)."""
        t = self.tensor
        if t.rank > 2:
            return None
        rows, cols = matrix_slots(t, self.options.layout, self._groups, self.function)
        node = to_matrix(t, rows, cols)
        if node is None:
            return None
        return present(simplify(node, record=self.rewrites), record=self.rewrites)

    @cached_property
    def kronecker(self) -> KroneckerForm | None:
        """``d vec(F)/d vec(X)'`` as a sum of Kronecker products, when unambiguous: for a
        first derivative of a non-scalar ``F`` or a Hessian of a scalar, with three or
        more axes (below that the matrix form says it all)."""
        mixed = self.tensors[-1]
        if mixed.rank < 3 or self.order > 2:
            return None
        if self.order == 1:
            f_shape, first = self.function.shape, 0
        elif self.function.shape.is_scalar:
            f_shape, first = self.wrt_variables[0].shape, 0
        else:
            return None
        v_shape = self.variable.shape
        nf = len(f_shape.dims)
        f_idx = list(mixed.indices[first:first + nf])
        v_idx = list(mixed.indices[first + nf:])
        f_slots = (f_idx.pop(0) if f_shape.rows is not None else None,
                   f_idx.pop(0) if f_shape.cols is not None else None)
        v_slots = (v_idx.pop(0) if v_shape.rows is not None else None,
                   v_idx.pop(0) if v_shape.cols is not None else None)
        form = kronecker_form(mixed, f_slots, v_slots)
        if form is None:
            return None
        return KroneckerForm(tuple(
            KroneckerTerm(k.coefficient, present(simplify(k.left)), present(simplify(k.right)))
            for k in form.terms))

    @cached_property
    def _header(self) -> IndexHeader:
        return IndexHeader(self.function, self.wrt_variables)

    # --- printed forms -----------------------------------------------------------------
    @cached_property
    def index_text(self) -> str:
        """The index (Einstein) form: ``d(A*X*B)_ij / dX_kl = A_ik B_lj``."""
        return index_text(self.tensors[-1], self._header)

    @cached_property
    def index_latex(self) -> str:
        return index_latex(self.tensors[-1], self._header)

    @cached_property
    def kronecker_text(self) -> str | None:
        k = self.kronecker
        return None if k is None else kronecker_text(k, self._kron_function, self.variable)

    @cached_property
    def kronecker_latex(self) -> str | None:
        k = self.kronecker
        return None if k is None else kronecker_latex(k, self._kron_function, self.variable)

    @property
    def _kron_function(self) -> Node:
        return self.function if self.order == 1 else self._first_gradient

    @property
    def _first_gradient(self) -> Node:
        assert self.gradient is not None
        return self.gradient

    @cached_property
    def where(self) -> WhereForm | None:
        """The matrix form with what repeats named (``X'*(P - Y)  where P = ...``);
        ``None`` when there is no matrix form.  See :func:`matdiff.ir.cse.where_form`."""
        return None if self.result is None else where_form(self.result, set(self.variables))

    @cached_property
    def text(self) -> str:
        """The matrix form in the input language, with a ``where`` list naming what
        repeats (``inline_text`` is the one expression), else the index form."""
        if self.where is None:
            return self.index_text
        defs = "; ".join(f"{name} = {to_text(node)}" for name, node in self.where.definitions)
        return to_text(self.where.main) + (f"  where {defs}" if defs else "")

    @cached_property
    def inline_text(self) -> str:
        """The matrix form as one expression of the input language (it parses back),
        else the index form."""
        return to_text(self.result) if self.result is not None else self.index_text

    @cached_property
    def latex(self) -> str:
        """The matrix form in LaTeX with its ``where`` list, else the index form."""
        if self.where is None:
            return self.index_latex
        defs = r",\; ".join(f"{name} = {to_latex(node)}"
                            for name, node in self.where.definitions)
        return to_latex(self.where.main) + (rf"\quad\text{{where }} {defs}" if defs else "")

    @cached_property
    def mathml(self) -> str:
        """A ``<math>`` element: the matrix form with its ``where`` list, else the
        index-form equation."""
        if self.where is not None:
            return math(where_mathml(self.where.main, self.where.definitions))
        return index_mathml(self.tensors[-1], self._header)

    @cached_property
    def equation_mathml(self) -> str:
        """``∂f/∂X = ...`` as a ``<math>`` element (the index form carries its own)."""
        if self.where is None:
            return self.mathml
        return equation_mathml(self.function, self.wrt_variables, self.where.main,
                               definitions=self.where.definitions)

    @cached_property
    def kronecker_mathml(self) -> str | None:
        k = self.kronecker
        return None if k is None else kronecker_mathml(k, self._kron_function, self.variable)

    @cached_property
    def numpy(self) -> str:
        """One NumPy expression: variables by name, only ``np`` in scope, vectors 1-D,
        sizes from the arrays; its value has this layout's shape (``np.einsum`` when
        there is no matrix form)."""
        if self.result is not None:
            return to_array_code(self.result, self.sizes, backend="numpy")
        return to_einsum_code(self.tensor, self.sizes, backend="numpy")

    @arg.entry_point(backend=arg.text)
    def code(self, backend: str = "numpy") -> str:
        """One expression in ``backend`` (``numpy``: the same as :attr:`numpy`; ``jax``:
        ``jnp``; ``torch``): variables by name, only the backend module in scope; its
        value has this layout's shape."""
        if self.result is not None:
            return to_array_code(self.result, self.sizes, backend=backend)
        return to_einsum_code(self.tensor, self.sizes, backend=backend)

    @arg.entry_point(backend=arg.text, hvp=arg.flag, factored=arg.flag)
    def compile(self, backend: str = "numpy", *, hvp: bool = False,
                factored: bool = False) -> Compiled:
        """A fast callable (generated code, see :mod:`matdiff.compiled`) taking every
        variable by name and returning the derivative's value in this layout.

        ``hvp=True``: ``c(dV, **variables)`` is the derivative along ``dV`` in the last
        variable (for a Hessian, the Hessian-vector product ``H[dV]``, shaped like the
        variable; ``c.at(**variables)`` is ``dV -> H[dV]``), never forming ``H``.
        ``factored=True``: a :class:`~matdiff.compiled.Factored` (the Kronecker factors
        of :attr:`kronecker`, applied as ``A*V*B``; ``.dense()`` materialises).
        """
        get_backend(backend)  # an unknown backend is refused now, not at the first call
        return _compile(self, backend, hvp, factored)

    @cached_property
    def sizes(self) -> dict[Dim, str]:
        """For each dimension, an expression giving its size from the input arrays."""
        sizes: dict[Dim, str] = {}
        for name, v in self.variables.items():
            for axis, d in enumerate(v.shape.dims):
                sizes.setdefault(d, f"{python_name(name)}.shape[{axis}]")
        for d in self.shape:
            if isinstance(d, int):
                sizes.setdefault(d, str(d))
        return sizes

    @property
    def shape(self) -> tuple[Dim, ...]:
        """The dimensions of the result as NumPy gives them, in this layout."""
        return self.tensor.dims

    @property
    def result_shape(self) -> Shape:
        """The shape of the matrix form (``Shape`` slots; rows/columns matter)."""
        if self.result is not None:
            return self.result.shape
        raise MatdiffError(f"this derivative has {len(self.shape)} axes and no matrix form")

    # --- numbers -----------------------------------------------------------------------
    @arg.entry_point(env=arg.mapping, sizes=arg.sizes)
    def evaluate(self, env: Mapping[str, ArrayLike],
                 sizes: Mapping[Dim, int] | None = None) -> NDArray[np.float64]:
        """The value at a point (``env``: variable name -> array-like; vectors 1-D), with
        this layout's axes.  A variable the expression does not contain (the derivative
        is then zero) fixes its dimensions like any other.  Where the value is not finite
        (``1/x`` by ``x`` at 0) it is undefined: an :class:`~matdiff.errors.UndefinedError`
        names the part, never NaN or inf."""
        arrays, known = self._point(env, sizes)
        value = self._value(arrays, known)
        if not np.all(np.isfinite(value)):
            roots = [self.result] if self.result is not None else list(self.tensor.nodes())
            why = testing.undefined_part(roots, arrays, known) or "its value is not finite"
            raise UndefinedError(f"the derivative has no finite value at this point: {why}")
        return value

    def _point(self, env: Mapping[str, ArrayLike], sizes: Mapping[Dim, int] | None = None
               ) -> tuple[dict[str, ArrayLike], dict[Dim, int]]:
        """The values as real arrays and every dimension's size, bounded before anything
        is allocated."""
        arrays = {name: arg.real_array(name, value) if name in self.variables else value
                  for name, value in env.items()}
        known = dimension_sizes(self.function, arrays, sizes)
        for name, v in self.variables.items():  # a variable f does not contain fixes its own
            if name in arrays:
                known = dimension_sizes(v, arrays, known)
        nodes = [self.result] if self.result is not None else list(self.tensor.nodes())
        arg.bounded_sizes(known, [self.shape, *(n.shape.dims for root in nodes
                                                for n in root.walk())], show_dim)
        return arrays, dict(known)

    def _value(self, arrays: Mapping[str, ArrayLike],
               known: Mapping[Dim, int]) -> NDArray[np.float64]:
        """The value at a point, NaN and inf included (the numerical check needs them)."""
        if self.result is not None:
            value = evaluate(self.result, arrays, known)
            return value.reshape(tuple(known[d] for d in self.shape))
        return evaluate_tensor(self.tensor, arrays, known)

    @arg.entry_point(values=arg.optional_mapping)
    def at(self, values: Mapping[str, ArrayLike] | None = None, /,
           **kwargs: ArrayLike) -> NDArray[np.float64]:
        """The value at a point, given as a dict and/or keywords: ``d.at(x=1, y=-2, z=5)``,
        ``d.at({"X": X, "w": w})``.  Every variable of the expression needs a value; a
        missing one, an unknown name, a value of the wrong shape, a value that is not real
        numbers or not finite is an :class:`EvaluationError` naming it (``x: expected a
        vector of length 3, got shape (2,)``); so is a point where the derivative is
        undefined (nan or inf), which is never returned as a value."""
        env = {**(values or {}), **kwargs}
        unknown = [n for n in env if n not in self.variables]
        if unknown:
            raise EvaluationError(f"{', '.join(unknown)}: not a variable of "
                                  f"{self.source.strip()} (its variables: "
                                  f"{', '.join(self.variables)})")
        arrays = {name: arg.real_array(name, value) for name, value in env.items()}
        check_point(self.variables, arrays)
        check_properties(self.variables, arrays)  # 2*A*x is the gradient only at a symmetric A
        point, known = self._point(arrays)
        with np.errstate(all="ignore"):
            f = evaluate(self.function, point, known)
        if not np.all(np.isfinite(f)):  # 0^a at a = -1: no function, no derivative
            why = testing.undefined_part([self.function], point, known) or \
                "its value is not finite"
            raise UndefinedError(f"the function has no finite value at this point: {why}")
        self._check_conditions(point, known)
        return self.evaluate(point, known)

    def _mixed(self, order: int) -> testing.Value:
        """The value of the ``order``-th derivative in mixed layout."""
        if order == self.order:
            inverse = list(np.argsort(self.permutation))
            return lambda env, sizes: np.transpose(self._value(env, sizes), inverse)
        t = self.tensors[order - 1]
        return lambda env, sizes: evaluate_tensor(t, env, sizes)

    @arg.entry_point(seed=arg.integer(0, arg.MAX_SEED), points=arg.integer(1, arg.MAX_POINTS),
                     tolerance=arg.positive_real)
    def check(self, seed: int = 0, points: int = 3,
              tolerance: float = 1e-6) -> testing.CheckResult:
        """Compare every order with central finite differences of the order below (of
        the function for the first) on random inputs that respect the declarations;
        see :func:`matdiff.testing.check_chain`."""
        stages: list[testing.Stage] = [
            (str(v.attrs[0]), _structure(v, self.options), self._mixed(k + 1))
            for k, v in enumerate(self.wrt_variables)]
        nodes = [n for t in self.tensors for n in t.nodes()]
        if self.result is not None:
            nodes.append(self.result)
        return testing.check_chain(self.function, stages, self.variables, nodes, seed=seed,
                                   points=points, tolerance=tolerance)

    # --- descriptions ------------------------------------------------------------------
    @cached_property
    def _zero_powers(self) -> tuple[tuple[Node, Node], ...]:
        """The powers ``0^p`` whose exponent depends on a variable differentiated by."""
        names = {v.attrs[0] for v in self.wrt_variables}
        out: dict[tuple[Node, Node], None] = {}
        for n in self.function.walk():
            if n.op == "power" and b.is_zero(n.args[0]) and names & set(n.args[1].variables()):
                out[(n, n.args[1])] = None
        return tuple(out)

    @cached_property
    def conditions(self) -> tuple[str, ...]:
        """Where the domain decides the result: ``0^a`` by ``a`` is differentiated where
        it is defined and differentiable, ``a > 0`` (its derivative is 0 there)."""
        out: dict[str, None] = {}
        for n, p in self._zero_powers:
            power, exponent = to_text(n), to_text(p)
            out[f"valid for {exponent} > 0, where {power} = 0 ({power} is undefined "
                f"for {exponent} < 0)"] = None
        return tuple(out) + self._matrix_function_conditions

    @cached_property
    def _matrix_function_conditions(self) -> tuple[str, ...]:
        """pinv and adj are differentiable only where their differentials hold: pinv
        where the rank of X is constant (Golub & Pereyra 1973, eq. 4.12), adj (by its
        rule through inv) where X is invertible."""
        return matrix_function_conditions(self.function, self.wrt_variables)

    def _check_conditions(self, env: Mapping[str, ArrayLike],
                          known: Mapping[Dim, int]) -> None:
        """A point outside :attr:`conditions` (``0^a`` at ``a = 0``, where it jumps from 1
        to 0) has no derivative: an :class:`UndefinedError`, not the value beside it."""
        for n, p in self._zero_powers:
            if np.any(np.asarray(evaluate(p, env, known)) <= 0):
                raise UndefinedError(f"{to_text(n)} has no derivative here: it is "
                                     f"differentiable only where {to_text(p)} > 0")

    @property
    def warnings(self) -> tuple[str, ...]:
        """Default types the expression leaves ambiguous, each with the declaration that
        would settle it (``n`` in ``n/2*logdet(S)``: a vector by its letter)."""
        types = getattr(self.variables, "warnings", ())
        return tuple(str(w) for w in types)

    def describe_variables(self) -> str:
        """``"X matrix (capital letter), mu vector (used as x - mu; ...)"``: the type each
        undeclared variable was given and why ("" when all are declared)."""
        return self.variables.describe() if isinstance(self.variables, Variables) else ""

    def variable_types(self) -> list[dict[str, object]]:
        """Each variable's name, kind, why it has that kind, and whether it was declared."""
        return self.variables.to_json() if isinstance(self.variables, Variables) else []

    def describe(self) -> str:
        """One line naming the derivative, its shape and layout (and its conditions)."""
        dims = " x ".join(show_dim(d) for d in self.shape) or "scalar"
        what = "derivative" if self.order == 1 else f"order-{self.order} derivative"
        conditions = "".join(f"; {c}" for c in (*self.conditions, *self.notes))
        return (f"{what} of {self.source.strip()} by {self.wrt}: {self.kind}, "
                f"{dims} ({self.options.layout} layout){conditions}"
                + "".join(f"; {e}" for e in self.expansions))

    @cached_property
    def expansions(self) -> tuple[str, ...]:
        """What implicit expansion did: ``("b expanded across the columns of W*X",)``."""
        return expansion_notes(self.function)

    def _repr_latex_(self) -> str:
        """Jupyter: the derivative as an equation (the index form carries its own)."""
        note = f"\\qquad\\text{{({self.options.layout} layout)}}"
        if self.result is None:
            return f"${self.latex}{note}$"
        k = self.order
        top = "\\partial" if k == 1 else f"\\partial^{{{k}}}"
        bottom = " ".join(f"\\partial {to_latex(v)}" for v in self.wrt_variables)
        f = to_latex(self.function)
        f = f if self.function.is_leaf else f"\\left({f}\\right)"
        return f"$\\frac{{{top} {f}}}{{{bottom}}} = {self.latex}{note}$"

    def _repr_html_(self) -> str:
        """Jupyter (HTML, preferred over LaTeX by the front ends): the result as MathML,
        which browsers render natively, the layout, and the steps folded in <details>."""
        head = "" if self.result is None else html.escape(  # an index form is an equation
            f"d({self.source.strip()}) / d{self.wrt.replace(', ', ' d')} =")
        try:
            steps = "".join(f"<li><code>{html.escape(s.text)}</code> "
                            f"<small>{html.escape(s.justification())}</small></li>"
                            for s in self.derivation().steps)
        except (MatdiffError, RuntimeError):  # no derivation for this one: no fold
            steps = ""
        fold = (f"<details><summary>steps</summary><ol>{steps}</ol></details>"
                if steps else "")
        return (f"<div class='matdiff'>{head} {self.mathml} "
                f"<small>({self.options.layout} layout)</small>{fold}</div>")

    def __str__(self) -> str:
        return self.text

    # --- step by step (explain.py) -------------------------------------------------------
    @arg.entry_point(method=arg.text, lang=arg.text)
    def derivation(self, method: str = "differential",
                   lang: str = "en") -> explain.Derivation:
        """The derivation, step by step, each step checked numerically (issue 5):
        ``method`` ``"differential"`` (seeds 001-002) or ``"limit"`` (seed 000), ``lang``
        ``"en"`` or ``"zh"``.  Cached per (method, lang)."""
        key = explain.validate(method, lang)
        if key not in self._derivations:
            self._derivations[key] = explain.derive(self, method, lang)
        return self._derivations[key]

    @property
    def steps(self) -> explain.Derivation:
        """The default derivation: ``self.derivation()``."""
        return self.derivation()

    def to_json(self) -> dict[str, Any]:
        return {
            "expression": self.source,
            "wrt": [str(v.attrs[0]) for v in self.wrt_variables],
            "order": self.order,
            "kind": self.kind,
            "text": self.text,
            "inline_text": self.inline_text,
            "latex": self.latex,
            "index": self.index_text,
            "kronecker": self.kronecker_text,
            "numpy": self.numpy,
            "shape": [str(d) for d in self.shape],
            "layout": self.options.layout,
            "conditions": list(self.conditions),
            "notes": list(self.notes),
            "expansions": list(self.expansions),
            "variables": self.variable_types(),
            "warnings": list(self.warnings),
        }


def _compile(d: Derivative, backend: str, hvp: bool, as_factors: bool) -> Compiled:
    """See :meth:`Derivative.compile`."""
    if hvp and as_factors:
        raise OptionError("choose hvp=True or factored=True, not both")
    name = "hvp" if hvp else "derivative"
    if as_factors:
        form = d.kronecker
        if form is None:
            raise OptionError(f"{d.describe()} has no Kronecker form; use hvp=True for "
                              "products with a direction, or the dense value")
        f_dims = (d.function if d.order == 1 else d.wrt_variables[0]).shape.dims
        return factored(form, d.variables, backend, d.sizes, f_dims, d.variable.shape.dims,
                        "factors")
    if hvp:
        root, direction = direction_tensor(d.tensors[-1], d.variable)
        return Compiled((root,), d.variables, backend, d.sizes, direction,
                        lambda out, dims: out[0], name)
    root_: Node | Tensor = d.result if d.result is not None else d.tensor
    return Compiled((root_,), d.variables, backend, d.sizes, None,
                    lambda out, dims: out[0], name)


def _options(layout: str, symmetric_gradient: str) -> Options:
    if layout not in LAYOUTS:
        raise OptionError(f"unknown layout {layout!r}; valid layouts are: {', '.join(LAYOUTS)}")
    if symmetric_gradient not in SYMMETRIC_GRADIENTS:
        raise OptionError(f"unknown symmetric_gradient {symmetric_gradient!r}; valid values "
                          f"are: {', '.join(SYMMETRIC_GRADIENTS)}")
    return Options(layout, symmetric_gradient)  # type: ignore[arg-type]


def _wrt_names(wrt: str | Sequence[str], order: int | None) -> list[str]:
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    if not names:
        raise OptionError("wrt must name at least one variable")
    if order is not None:
        if isinstance(order, bool) or not isinstance(order, numbers.Integral) or order < 1:
            raise OptionError(f"order must be a positive integer, got {order!r}")
        if order > MAX_ORDER:
            shown = str(order) if order < 10**12 else f"about 10^{len(str(order)) - 1}"
            raise OptionError(f"order {shown} is too high; matdiff computes up to order "
                              f"{MAX_ORDER}")
        if len(names) != 1:
            raise OptionError("give either one variable and an order, or a list of "
                              f"variables; got wrt={names!r} and order={order}")
        names = names * order
    if len(names) > MAX_ORDER:
        raise OptionError(f"order {len(names)} is too high; matdiff computes up to order "
                          f"{MAX_ORDER}")
    return names


def _variable(parsed: Parsed, wrt: object) -> Node:
    if not isinstance(wrt, str) or not wrt.strip():
        raise OptionError(f"wrt must name a variable of the expression, got {wrt!r}")
    name = wrt.strip()
    found = parsed.variables.get(name) or parsed.declared.get(name)
    if found is None:
        known = ", ".join(parsed.variables) or "none"
        raise OptionError(f"{name} is not a variable of the expression (its variables: "
                          f"{known}); declare it to differentiate with respect to it")
    return found


def _first_order(f: Node, variable: Node, options: Options,
                 rewrites: list[Rewrite]) -> tuple[Tensor, Node | None, Node | None]:
    """The first derivative as a tensor, and for a scalar ``f`` its gradient ``G`` (from
    ``df = tr(G' dX)``, the seeds' method, which gives textbook forms) and ``df``."""
    if f.shape.is_scalar:
        raw = raw_gradient(f, variable)
        g = simplify(raw.gradient, record=rewrites)
        g = simplify(_constrain(g, _structure(variable, options), rewrites), record=rewrites)
        df = None if raw.df is None else simplify(raw.df)
        return from_node(g), g, df
    t = differentiate_tensor(from_node(f), variable)
    return _finish(t, variable, options), None, None


def _finish(t: Tensor, variable: Node, options: Options) -> Tensor:
    """Apply the variable's structure to its (last) axes, then the canonical form."""
    structure = _structure(variable, options)
    if structure != "general":
        t = symmetrize(t, t.rank - 2, t.rank - 1, structure)
    return normalize(contract(normalize(t, simplify)), simplify)


@contextmanager
def hints_for(style: str) -> Iterator[None]:
    """Within the block, messages write a declaration to add as ``style`` takes it:
    ``"python"`` (``declare=[...]``, the default), ``"cli"`` (``--declare "..."``) or
    ``"web"`` (the variables table)."""
    if style not in HINT_STYLES:
        raise OptionError(f"unknown hint style {style!r}; valid: {', '.join(HINT_STYLES)}")
    token = hint_style.set(style)
    try:
        yield
    finally:
        hint_style.reset(token)


MAX_EXPRESSION_LENGTH = MAX_LENGTH
"""The longest expression the parser accepts (characters)."""


@dataclass(frozen=True)
class VariableInfo:
    """A variable of an expression as the parser inferred or the user declared it."""

    name: str
    kind: str  # scalar | vector | row | matrix
    dims: tuple[str, ...]
    properties: tuple[str, ...]
    used: bool  # False: declared but not in the expression
    reason: str = "declared"  # why it has this kind: "h-z", "used as x - mu; ..."


@dataclass(frozen=True)
class ExpressionInfo:
    """An expression's own type and its variables (for a front end's variable table)."""

    source: str
    kind: str
    shape: tuple[str, ...]
    variables: tuple[VariableInfo, ...]
    warnings: tuple[str, ...] = ()


@arg.entry_point(expr=arg.expression, declare=arg.declarations, strict=arg.flag)
def describe_expression(expr: str, declare: Declarations = None, *,
                        strict: bool = False) -> ExpressionInfo:
    """Parse ``expr`` (never evaluate it) and report its shape and its variables with
    their inferred types, why (``reason``) and dimensions, declared ones included."""
    parsed = parse(expr, declare, strict=strict)
    types = parsed.typing.types
    rows = [VariableInfo(name, node.shape.kind, tuple(str(d) for d in node.shape.dims),
                         tuple(sorted(node.attrs[1])), used,
                         types[name].reason if name in types else "declared")
            for used, table in ((True, parsed.variables), (False, parsed.declared))
            for name, node in table.items()]
    shape = parsed.expr.shape
    return ExpressionInfo(parsed.source, shape.kind, tuple(str(d) for d in shape.dims),
                          tuple(rows), tuple(str(w) for w in parsed.typing.warnings))


@arg.entry_point(expr=arg.expression, wrt=arg.name_list, declare=arg.declarations,
                 layout=arg.choice(*LAYOUTS), symmetric_gradient=arg.choice(*SYMMETRIC_GRADIENTS),
                 strict=arg.flag)
def derivative(expr: str, wrt: str | Sequence[str], declare: Declarations = None,
               layout: str = "mixed", symmetric_gradient: str = "symmetrized",
               order: int | None = None, *, strict: bool = False) -> Derivative:
    """The derivative of ``expr`` with respect to ``wrt`` (one name, or a list of names
    for higher orders; ``order=k`` repeats a single name ``k`` times).

    Undeclared names take their types from their letters unless the expression says
    otherwise (``d.variables.types`` says which and why, ``d.warnings`` what is left
    ambiguous); ``strict=True`` refuses undeclared names the expression does not
    determine.

    >>> derivative("tr(A*X*B*X'*C)", "X").text
    "A'*C'*X*B' + C*A*X*B"
    >>> derivative("x'*A*x", ["x", "x"]).text
    "A + A'"
    """
    options = _options(layout, symmetric_gradient)
    names = _wrt_names(wrt, order)
    parsed = parse(expr, declare, strict=strict)
    check_defined(parsed.expr, parsed.sources, parsed.source)  # 1/(a-a): never a value
    wrt_variables = tuple(_variable(parsed, n) for n in names)
    rewrites: list[Rewrite] = []
    # 1 ./ (1 + exp(-z)) is differentiated as sigmoid(z): the result in its vocabulary
    target = recognise_logistic(parsed.expr)
    first, g, df = _first_order(target, wrt_variables[0], options, rewrites)
    tensors = [first]
    for v in wrt_variables[1:]:
        tensors.append(_finish(differentiate_tensor(tensors[-1], v), v, options))
    variables = Variables(parsed.variables, parsed.typing.types, parsed.typing.warnings)
    for v in wrt_variables:
        variables.setdefault(str(v.attrs[0]), v)
    return Derivative(expr, parsed.expr, wrt_variables, variables, tuple(tensors), options,
                      g, df, rewrites, parsed.notes)


@arg.entry_point(expr=arg.expression, wrt=arg.text, backend=arg.text, hessian=arg.flag,
                 declare=arg.declarations, strict=arg.flag)
def generate_module(expr: str, wrt: str, backend: str = "numpy", hessian: bool = False,
                    declare: Declarations = None, *, strict: bool = False) -> str:
    """A standalone Python module for ``expr``: ``f``, ``grad`` and (``hessian=True``)
    ``hessian`` in ``backend``, with shape checks and a ``check_gradient`` helper
    (:func:`matdiff.compiled.module_source`)."""
    g = derivative(expr, wrt, declare=declare, strict=strict)
    h = derivative(expr, [wrt, wrt], declare=declare) if hessian else None
    return module_source(g, h, backend)


__all__ = ["LAYOUTS", "SYMMETRIC_GRADIENTS", "Derivative", "MatdiffError", "Options",
           "derivative", "generate_module", "layout_permutation"]
