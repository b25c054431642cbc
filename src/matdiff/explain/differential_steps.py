"""The differential method, orchestrated: order 1 by the function's kind, then each
further order by differentiating the previous derivative again (seed 001's method
applied to the gradient: ``dG = H dx``), then the layout conversion.

Line by line (scalar ``f`` by a matrix ``X``; ``dx`` for a vector, a scalar alike):

1. ``df = d f``
2. ``= t_1 + t_2 + ...`` — the differential rules that fired (product rule, ...)
3. ``= tr(Q_1*P_1*dX) + ...`` — cyclic property, when a term is a trace with ``dX`` inside
4. ``= tr(G_1'*dX) + ...`` — the trace properties the adjoint rules used
5. ``= tr((G_1 + G_2)'*dX)`` — linearity
6. ``df/dX = G`` — identification (seed 001), ``G`` the simplified gradient
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..diff import differential
from ..ir import build as b
from ..ir.nodes import Node
from ..ir.tensor import KroneckerForm, Tensor
from ..printing import IndexHeader, index_latex, index_text, to_text
from ..shapes import Dim
from ..testing import Array, Structure
from .check import Checker, Env, Value, node_value
from .differential import (
    DerivativeLike,
    Lines,
    check_jacobian,
    d_name,
    d_of,
    differential_rules,
    expand,
    kron_value,
    mixed_matrix,
    pair_terms,
    paired,
    structure_of,
    sum_value,
    tensor_value,
    tidy_terms,
    vec_of,
)
from .steps import Step

_IDENTIFY = {"matrix": "identification", "vector": "identification-vector",
             "row": "identification-vector", "scalar": "identification-scalar"}


def _ratio(order: int, f: tuple[str, str], names: list[str]) -> tuple[str, str]:
    """``df/dX`` or ``d^2f/dxdy`` as text and LaTeX (``f`` = the name after ``d``)."""
    ft, fl = f
    if order == 1:
        return f"d{ft}/d{names[0]}", rf"\frac{{\partial {fl}}}{{\partial {names[0]}}}"
    top_t, top_l = f"d^{order}{ft}", rf"\partial^{{{order}}} {fl}"
    return (top_t + "/" + "".join(f"d{n}" for n in names),
            rf"\frac{{{top_l}}}{{" + " ".join(rf"\partial {n}" for n in names) + "}")


class _Order:
    """One order of differentiation: ``function`` (the previous derivative, a node) by
    ``variable``, whose mixed-layout result is ``tensor``."""

    def __init__(self, lines: Lines, checker: Checker, function: Node, variable: Node,
                 structure: Structure, tensor: Tensor, first: tuple[str, str],
                 result: tuple[str, str], names: list[str]):
        self.lines, self.checker = lines, checker
        self.function, self.variable, self.structure = function, variable, structure
        self.tensor, self.first, self.result, self.names = tensor, first, result, names
        self.dx = b.differential(variable.attrs[0], variable.shape)

    def expansion(self) -> list[Node] | None:
        """Lines 1-2: ``df = d f = terms``; None when ``f`` does not depend on ``X``."""
        trace: list[tuple[str, Node]] = []
        raw = differential(self.function, self.variable, trace)
        self.lines.equation(self.first, d_of(self.function), self._first_rules())
        if raw is None:
            self.lines.equation(None, b.zero(self.function.shape), ["d-constant"])
            return None
        terms = tidy_terms(expand(raw, self.dx), self.dx)
        if not terms:
            self.lines.equation(None, b.zero(self.function.shape),
                                [*differential_rules(trace), "tidy"])
            return None
        self.checker.require_derivative(sum_value(terms), node_value(self.function),
                                        "the differential")
        self.lines.equation(None, b.add(*terms), differential_rules(trace))
        return terms

    def _identify(self) -> str:
        return "identification-hessian" if len(self.names) > 1 else "identification-jacobian"

    def _first_rules(self) -> list[str]:
        return ["hessian"] if len(self.names) > 1 else []

    def scalar(self, gradient: Node | None) -> None:
        """A scalar function: the trace tricks, then the identification."""
        terms = self.expansion()
        dx, check = self.dx, self.checker
        if terms is not None:
            previous = sum_value(terms)
            pairing = pair_terms(terms, dx)
            if pairing.rotated is not None:
                check.require(sum_value(pairing.rotated), previous, "the cyclic property")
                self.lines.equation(None, b.add(*pairing.rotated), ["cyclic"])
            pairs = [paired(g, dx) for g in pairing.gradients]
            check.require(sum_value(pairs), previous, "the trace properties")
            self.lines.equation(None, b.add(*pairs), pairing.rules)
            if len(pairs) > 1:
                collected = paired(b.add(*pairing.gradients), dx)
                check.require(node_value(collected), previous, "collecting terms")
                self.lines.equation(None, collected, ["collect"])
        if gradient is None:
            self._index()
            return
        rules = [_IDENTIFY[self.variable.shape.kind]]
        if self.structure == "symmetrized":
            rules.append("symmetric")
        elif self.structure == "cookbook":
            rules.append("symmetric-cookbook")
        elif self.structure == "diagonal":
            rules.append("diagonal")
        check_jacobian(check, node_value(gradient), node_value(self.function),
                       self.structure, "the gradient")
        self.lines.equation(self.result, self.shown or gradient, rules)

    def jacobian(self, kronecker: KroneckerForm | None,
                 kron_text: tuple[str, str] | None) -> None:
        """A vector- or matrix-valued function: ``dy = J dx``, or the Kronecker form."""
        terms = self.expansion()
        j = mixed_matrix(self.tensor, self.function)
        dx, check = self.dx, self.checker
        if terms is not None and j is not None and self.variable.shape.kind in (
                "scalar", "vector"):
            linear = b.mul(j, dx)
            if self.function.shape.kind == "row":
                linear = b.transpose(linear)
            check.require(node_value(linear), sum_value(terms), "dy = J dx")
            if to_text(linear) != to_text(b.add(*terms)):
                self.lines.equation(None, linear, [self._identify()])
        if j is not None:
            check_jacobian(check, node_value(j), node_value(self.function), self.structure,
                           "the Jacobian")
            self.lines.equation(self.result, self.shown or j, [self._identify()])
            return
        if kronecker is not None and kron_text is not None and terms is not None:
            vec = kron_value(kronecker, "d" + self.names[-1])
            check.require(vec, vec_of(sum_value(terms)), "the Kronecker form")
            name = self.first
            v = self.names[-1]
            self.lines.add(f"vec({name[0]}) = ({kron_text[0]})*vec(d{v})",
                           rf"\operatorname{{vec}}({name[1]}) = \left({kron_text[1]}\right)"
                           rf" \operatorname{{vec}}(\mathrm{{d}}{v})",
                           ["identification-kronecker"])
        self._index()

    def _index(self) -> None:
        """The derivative in index form (no matrix form exists)."""
        header = IndexHeader(self.header_function, self.header_variables)
        check_jacobian(self.checker, tensor_value(self.tensor), self.previous_value,
                       self.structure, "the index form")
        self.lines.add(index_text(self.tensor, header), index_latex(self.tensor, header),
                       ["identification-index"])

    header_function: Node
    header_variables: tuple[Node, ...]
    previous_value: Value
    shown: tuple[str, str] | None = None  # the result as the Derivative prints it


def _kron_body(text: str | None) -> str | None:
    return None if text is None else text.split(" = ", 1)[1]


def derive_differential(d: DerivativeLike, lang: str, seed: int = 0) -> tuple[Step, ...]:
    """The differential method's steps for every kind and order (module docstring)."""
    lines = Lines(lang)
    f = d.function
    names = [str(v.attrs[0]) for v in d.wrt_variables]
    previous: Node | None = f
    previous_value: Value = node_value(f)
    fname = d_name(f)[0][1:]
    for k, (v, t) in enumerate(zip(d.wrt_variables, d.tensors, strict=True), 1):
        structure = structure_of(v, d.options.symmetric_gradient)
        roots = [f] + list(t.nodes()) + ([] if previous is None else [previous])
        checker = Checker(roots, d.variables, v, "d" + names[k - 1], structure, seed=seed + k)
        lines.checker = checker
        if previous is None:  # no matrix form below: Leibniz's rule on the index form
            header = IndexHeader(f, d.wrt_variables[:k])
            check_jacobian(checker, tensor_value(t), previous_value, structure,
                           f"order {k} in index form")
            lines.add(index_text(t, header), index_latex(t, header), ["higher-order"])
            previous_value = tensor_value(t)
            continue
        fn = previous
        first = d_name(fn) if k == 1 else ("dG", r"\mathrm{d}G")
        step = _Order(lines, checker, fn, v, structure, t, first,
                      _ratio(k, (fname, fname), names[:k]), names[:k])
        step.header_function, step.header_variables = f, d.wrt_variables[:k]
        step.previous_value = previous_value
        last = k == d.order
        if last and d.options.layout == "mixed" and d.result is not None:
            step.shown = (d.text, d.latex)  # with its "where" list, as d.text prints it
        if fn.shape.is_scalar:
            gradient = d.gradient if k == 1 else mixed_matrix(t, f)
            step.scalar(gradient)
            current = gradient
        else:
            kf = d.kronecker if last else None
            body = ((_kron_body(d.kronecker_text) or "", _kron_body(d.kronecker_latex) or "")
                    if kf is not None and d.kronecker_text is not None else None)
            step.jacobian(kf, body)
            current = mixed_matrix(t, f)
        previous_value = tensor_value(t)
        previous = current
    _layout(lines, d, checker, fname, names)
    return tuple(lines.steps)


def _layout(lines: Lines, d: DerivativeLike, checker: Checker, fname: str,
            names: list[str]) -> None:
    """The last step states the layout conversion (seed 003), when it changes the form:
    the array of this layout is the mixed layout's with its axes permuted."""
    layout = d.options.layout
    if layout == "mixed" or not lines.steps:
        return
    mixed = mixed_matrix(d.tensors[-1], d.function)
    if mixed is None or to_text(mixed) == d.text:
        return
    t_value = tensor_value(d.tensors[-1])

    def value(env: Env, sizes: Mapping[Dim, int]) -> Array:
        return np.asarray(d.evaluate(env), dtype=float)

    def expected(env: Env, sizes: Mapping[Dim, int]) -> Array:
        return np.transpose(t_value(env, sizes), d.permutation)

    checker.require(value, expected, f"the {layout} layout")
    lhs_t, lhs_l = _ratio(len(d.tensors), (fname, fname), names)
    lines.add(f"{lhs_t} = {d.text}", f"{lhs_l} = {d.latex}", [f"layout-{layout}"])
