"""Derivatives of any kind and order as index-form tensors (:mod:`matdiff.ir.tensor`).

The differential ``dF`` of an expression is linear in ``dV``; :func:`linear_tensor`
writes that linear map as the tensor ``T[f..., v...]`` with ``dF[f...] = T[f..., v...]
dV[v...]``, by one rule per linear op (:data:`TENSOR_RULES`, the index form of the
same ops that have transpose rules).  Each rule receives the indices of its node's axes
and hands indices to its operands:

====================  =============================================================
``dV`` itself         ``δ_{f1 v1} δ_{f2 v2}`` (the identity map)
``U + W``             the terms of both
``L U R`` (product)   ``L[f1, p] U[p, q] R[q, f2]`` (``p``, ``q`` summed)
``C .* U``            ``C[f] U[f]``;  ``U ./ C``: ``(1./C)[f] U[f]``
``U'``                ``U`` with its two indices exchanged
``tr(U)``             ``U[p, p]``;  ``sum(U)``: ``U[p, q]`` (both summed)
``diag(u)``           ``u[i] δ_ij``;  ``diag(U)`` (vector): ``U[i, i]``
broadcast of ``s``    ``s 1[f]``
``v`` expanded         ``v[i] 1[j]`` (a column across the columns); a row: ``1[i] r[j]``
====================  =============================================================

Higher orders apply Leibniz's rule to the factors of every term
(:func:`differentiate_tensor`): ``d(F1 F2 ...) = dF1 F2 ... + F1 dF2 ... + ...``, each
``dF`` written with :func:`linear_tensor` on the factor's own indices and the new
variable's indices appended to the output.  This is the single representation
DESIGN.md asks for: Hessians and 3rd/4th-order derivatives are einsum terms over
ordinary nodes.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import LimitError, UnsupportedError
from ..ir import build as b
from ..ir.nodes import Node
from ..ir.ops import OPS
from ..ir.tensor import Factor, Index, Tensor, Term, delta, fresh, fresh_for, ones, term
from ..shapes import Shape
from .engine import differential

MAX_TERMS = 20_000
"""Bound on the terms of one derivative tensor (each differentiation multiplies them by
the number of factors that depend on the variable)."""

MAX_CONTRACTION_WORK = 40_000
"""Bound on the summed :func:`term_work` of one derivative tensor, checked while its
terms are built (each product charges its factors before building them) and so before
they are contracted into matrix form, which costs about 25 microseconds per unit: the
limit keeps a derivative near a second.  Without it the 500-factor ``X*X*...*X`` passes
every other bound and takes most of a minute, and ``det(X)`` to order 8 many seconds,
before a limit is reached."""

_TOO_LARGE = ("this derivative is too large to compute in about a second (its index form "
              f"passes {MAX_CONTRACTION_WORK:,} units of contraction work); write long "
              "products of the variable as powers (X^k), or ask for a lower order")


def term_work(factors: int) -> float:
    """The contraction cost of a term of ``k`` factors: ``k + k^2/64``.  Contracting its
    summed indices pairs factors one index at a time (``k`` steps, each building a
    node), and each step scans the factors left (``k^2``, cheaper per item); the weights
    are measured on products and on high-order derivatives of ``det``."""
    return factors + factors * factors / 64



class Expand:
    """Expands the nodes of one linear expression into terms (the rules' callback)."""

    def __init__(self, linear: Node, dv: Node, vidx: tuple[Index, ...]):
        self.dv = dv
        self.vidx = vidx
        self.count = 0
        self.work = 0.0
        self.dependent = {dv}
        for n in linear.walk():  # children first, so one pass suffices
            if any(a in self.dependent for a in n.args):
                self.dependent.add(n)

    def charge(self, factors: int) -> None:
        """Count a product that adds ``factors`` factors to its terms, before they are
        built: the charges of a term's products sum to at most its :func:`term_work`,
        so refusing here refuses only what the whole tensor would exceed."""
        self.work += term_work(factors)
        if self.work > MAX_CONTRACTION_WORK:
            raise LimitError(_TOO_LARGE)

    def depends(self, node: Node) -> bool:
        return node in self.dependent

    def __call__(self, node: Node, idx: tuple[Index, ...]) -> list[Term]:
        if node is self.dv:
            self.count += 1
            if self.count > MAX_TERMS:
                raise LimitError(f"this derivative has more than {MAX_TERMS:,} index terms; "
                                 "try a lower order or a smaller expression")
            return [term(*(delta(o, v) for o, v in zip(idx, self.vidx, strict=True)))]
        rule = TENSOR_RULES.get(node.op)
        if rule is None:
            raise UnsupportedError(f"internal: {OPS[node.op].formula} is not linear, yet it "
                                   f"depends on {self.dv!r}")
        return rule(node, idx, self)


TensorRule = Callable[[Node, tuple[Index, ...], Expand], list[Term]]


def _times(left: list[Term], *factors: Factor | None) -> list[Term]:
    extra = tuple(f for f in factors if f is not None)
    return [Term(t.coefficient, t.factors + extra) for t in left]


def chain_indices(shapes: list[Shape], out: tuple[Index, ...],
                  result: Shape) -> list[tuple[Index, ...]]:
    """Indices for the operands of the non-scalar product chain ``shapes``.

    The first operand's rows carry the product's rows and the last one's columns its
    columns; each inner boundary with a dimension gets a fresh summed index.  (With
    slots, a vector boundary has no dimension: ``x*y'`` is an outer product.)
    """
    out_rows = out[0] if result.rows is not None else None
    out_cols = out[-1] if result.cols is not None else None
    per: list[tuple[Index, ...]] = []
    carry: Index | None = None
    for k, s in enumerate(shapes):
        idx: list[Index] = []
        if s.rows is not None:
            row = out_rows if k == 0 else carry
            if row is None:
                raise ValueError(f"chain {shapes} has no index for the rows of operand {k}")
            idx.append(row)
        carry = None
        if s.cols is not None:
            if k == len(shapes) - 1:
                if out_cols is None:
                    raise ValueError(f"chain {shapes} has no index for its columns")
                idx.append(out_cols)
            else:
                carry = fresh(s.cols)
                idx.append(carry)
        per.append(tuple(idx))
    return per


def _mul(node: Node, out: tuple[Index, ...], expand: Expand) -> list[Term]:
    expand.charge(len(node.args) - 1)
    deps = [k for k, a in enumerate(node.args) if expand.depends(a)]
    if len(deps) != 1:
        raise UnsupportedError(f"internal: {node!r} is not linear in the differential")
    scalars = [a for a in node.args if a.shape.is_scalar]
    chain = [a for a in node.args if not a.shape.is_scalar]
    dep = node.args[deps[0]]
    constant_scalars = [Factor(s, ()) for s in scalars if s is not dep]
    if dep.shape.is_scalar:
        rest = Factor(b.mul(*chain), out) if chain else None
        return _times(expand(dep, ()), *constant_scalars, rest)
    per = chain_indices([a.shape for a in chain], out, node.shape)
    factors: list[Factor] = list(constant_scalars)
    body: list[Term] = []
    for a, idx in zip(chain, per, strict=True):
        if a is dep:
            body = expand(a, idx)
        else:
            factors.append(Factor(a, idx))
    return _times(body, *factors)


def _hadamard(node: Node, out: tuple[Index, ...], expand: Expand) -> list[Term]:
    expand.charge(len(node.args) - 1)
    deps = [a for a in node.args if expand.depends(a)]
    if len(deps) != 1:
        raise UnsupportedError(f"internal: {node!r} is not linear in the differential")
    others = [Factor(a, out) for a in node.args if a is not deps[0]]
    return _times(expand(deps[0], out), *others)


def _ediv(node: Node, out: tuple[Index, ...], expand: Expand) -> list[Term]:
    u, c = node.args
    if expand.depends(c):
        raise UnsupportedError("./ is linear only in its numerator")
    return _times(expand(u, out), Factor(b.ediv(b.fill(1, c.shape), c), out))


def _trace(node: Node, out: tuple[Index, ...], expand: Expand) -> list[Term]:
    u = node.args[0]
    if u.shape.is_scalar:
        return expand(u, ())
    assert u.shape.rows is not None
    p = fresh(u.shape.rows)
    return expand(u, (p, p))


def _diagm(node: Node, out: tuple[Index, ...], expand: Expand) -> list[Term]:
    i, j = out
    return _times(expand(node.args[0], (i,)), delta(i, j))


def _diagv(node: Node, out: tuple[Index, ...], expand: Expand) -> list[Term]:
    (i,) = out
    return expand(node.args[0], (i, i))


def _composite(node: Node, out: tuple[Index, ...], expand: Expand) -> list[Term]:
    """``vec``, ``reshape`` and ``kron`` index an entry by a pair of indices folded into
    one (``vec(X)_(i + m*j) = X_ij``), which the index form cannot write.  By a scalar
    variable no index of the variable is needed: the linear map ``dc -> L(dc)`` is the
    value ``L(1)`` itself (``d kron(A + c*B, C)/dc = kron(B, C)``)."""
    if not expand.vidx:
        return [term(Factor(node.substitute({expand.dv: b.const(1)}), out))]
    if node.op == "kron":
        product = _kron_as_product(node, expand)
        if product is not None:
            return _mul(product, out, expand)
    raise UnsupportedError(
        f"the index form of {node.op} of an expression that depends on the variable needs "
        "a composite index (vec(X)_(i+m*j) = X_ij), which matdiff does not support: "
        "gradients of scalar expressions through kron, vec and reshape are supported, "
        "Jacobians and higher orders through them are not (for d vec(F)/d vec(X)' "
        "differentiate F itself: its Kronecker form is printed)")


def _kron_as_product(node: Node, expand: Expand) -> Node | None:
    """kron of two vectors (or two rows) as a product with the dependent one, by the
    mixed-product rule (Cookbook eq. 511): ``kron(a, u) = kron(a, I) u``,
    ``kron(u, a) = kron(I, a) u``, and for rows ``kron(a', u') = u' kron(a', I)``."""
    i = 0 if expand.depends(node.args[0]) else 1
    dep, other = node.args[i], node.args[1 - i]
    if expand.depends(other) or dep.shape.kind != other.shape.kind:
        return None
    kind = dep.shape.kind
    n = dep.shape.rows if kind == "vector" else dep.shape.cols
    if kind not in ("vector", "row") or n is None:
        return None
    eye = b.eye(n)
    if kind == "vector":
        return b.mul(b.kron(other, eye) if i == 1 else b.kron(eye, other), dep)
    return b.mul(dep, b.kron(other, eye) if i == 1 else b.kron(eye, other))


TENSOR_RULES: dict[str, TensorRule] = {
    "add": lambda node, out, expand: [t for a in node.args if expand.depends(a)
                                      for t in expand(a, out)],
    "mul": _mul,
    "hadamard": _hadamard,
    "ediv": _ediv,
    "transpose": lambda node, out, expand: expand(node.args[0], tuple(reversed(out))),
    "broadcast": lambda node, out, expand: _times(expand(node.args[0], ()), ones(out)),
    "tr": _trace,
    "sum": lambda node, out, expand: expand(node.args[0], fresh_for(node.args[0].shape)),
    "diagm": _diagm,
    "diagv": _diagv,
    # implicit expansion
    "expand": lambda node, out, expand: _expand(node, out, expand),
    # kron, vec, reshape: their index forms pair two indices into one (a composite index)
    "kron": lambda node, out, expand: _composite(node, out, expand),
    "vec": lambda node, out, expand: _composite(node, out, expand),
    "reshape": lambda node, out, expand: _composite(node, out, expand),
}


def _expand(node: Node, out: tuple[Index, ...], expand: Expand) -> list[Term]:
    """``expand(v)[i, j] = v[i] 1[j]`` (a column repeated across the columns) or
    ``r[j] 1[i]`` (a row repeated down the rows)."""
    i, j = out
    if node.args[0].shape.kind == "vector":
        return _times(expand(node.args[0], (i,)), ones((j,)))
    return _times(expand(node.args[0], (j,)), ones((i,)))

def linear_tensor(linear: Node, dv: Node, out: tuple[Index, ...],
                  vidx: tuple[Index, ...]) -> list[Term]:
    """The terms of ``T`` with ``linear[out] = T[out, vidx] dV[vidx]``.

    ``linear`` must be linear in the differential ``dv`` (as :func:`differential`
    returns); ``out`` indexes ``linear``'s axes and ``vidx`` ``dv``'s.
    """
    expand = Expand(linear, dv, vidx)
    return expand(linear, out) if expand.depends(linear) else []


def differentiate_tensor(t: Tensor, variable: Node) -> Tensor:
    """``d T / d V``: Leibniz's rule over every term's factors; the variable's axes are
    appended to the output indices (mixed layout)."""
    vidx = fresh_for(variable.shape)
    dv = b.differential(variable.attrs[0], variable.shape)
    cache: dict[Node, Node | None] = {}
    terms: list[Term] = []
    work = 0.0
    for x in t.terms:
        for k, f in enumerate(x.factors):
            if f.node not in cache:
                cache[f.node] = differential(f.node, variable)
            d = cache[f.node]
            if d is None:
                continue
            others = x.factors[:k] + x.factors[k + 1:]
            for sub in linear_tensor(d, dv, f.indices, vidx):
                terms.append(Term(x.coefficient * sub.coefficient, others + sub.factors))
                work += term_work(len(others) + len(sub.factors))
                if work > MAX_CONTRACTION_WORK:
                    raise LimitError(_TOO_LARGE)
                if len(terms) > MAX_TERMS:
                    raise LimitError(
                        f"this derivative has more than {MAX_TERMS:,} index terms; try a "
                        "lower order or a smaller expression")
    return Tensor(t.indices + vidx, tuple(terms))


__all__ = ["MAX_CONTRACTION_WORK", "MAX_TERMS", "TENSOR_RULES", "chain_indices",
           "differentiate_tensor", "linear_tensor", "term_work"]
