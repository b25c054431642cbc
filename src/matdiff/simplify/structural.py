"""Procedures for the rules a fixed-arity pattern cannot state: n-ary transposes, rules
that rebuild a leaf's shape attribute, and exact numeric folding.

Like :mod:`~matdiff.simplify.canonical`, each function is one rule: it gets a node whose
operands are simplified and returns the rewritten node or ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from ..ir import ELEMENTWISE_FUNCTIONS, Node, make
from ..ir import build as b
from ..shapes import Shape
from .numeric import EXACT_FUNCTIONS, exact_power, numeric_value


def _target(node: Node) -> Shape:
    shape = node.attrs[0]
    assert isinstance(shape, Shape)
    return shape


# --- transposes pushed to the leaves ------------------------------------------------

def transpose_product(node: Node) -> Node | None:
    """``(A*B*C)' = C'*B'*A'``; scalar factors are their own transposes and stay in front
    (Matrix Cookbook eq. 5-6)."""
    x = node.args[0]
    if x.op != "mul":
        return None
    scalars = [f for f in x.args if f.shape.is_scalar]
    chain = [b.transpose(f) for f in reversed(x.args) if not f.shape.is_scalar]
    return b.mul(*scalars, *chain)


def _stays_transposed(t: Node) -> bool:
    """Whether ``t'`` of a column ``t`` is its canonical form (a variable, an elementwise
    function of a vector, ``diag(X)``, or a number times one of those)."""
    if t.op == "mul" and len(t.args) == 2 and t.args[0].op == "const":
        t = t.args[1]
    return t.op in ("var", "differential", "diagv") or t.op in ELEMENTWISE_FUNCTIONS


def transpose_sum(node: Node) -> Node | None:
    """``(A + B)' = A' + B'`` (Matrix Cookbook eq. 4) — except a column sum whose terms
    would all stay transposed: ``(x - mu)'`` is kept, as textbooks write it (the inverse
    of :func:`add_of_rows`)."""
    x = node.args[0]
    if x.op != "add":
        return None
    if x.shape.kind == "vector" and all(_stays_transposed(t) for t in x.args):
        return None
    return b.add(*(b.transpose(t) for t in x.args))


def transpose_hadamard(node: Node) -> Node | None:
    """``(A .* B)' = A' .* B'`` (entrywise operations commute with transposition)."""
    x = node.args[0]
    if x.op != "hadamard":
        return None
    return b.hadamard(*(b.transpose(f) for f in x.args))


def transpose_fill(node: Node) -> Node | None:
    """``matrix(c)' = matrix(c)`` of the transposed shape."""
    x = node.args[0]
    if x.op != "fill":
        return None
    return b.fill(x.attrs[0], x.shape.T)


def transpose_broadcast(node: Node) -> Node | None:
    """``broadcast(s)' = broadcast(s)`` of the transposed shape."""
    x = node.args[0]
    if x.op != "broadcast":
        return None
    return b.broadcast(x.args[0], _target(x).T)


def scalars_out(op: str) -> Callable[[Node], Node | None]:
    """The procedure for ``op(s*A) = s*op(A)``, ``op`` linear (tr, sum, diag)."""

    def pull(node: Node) -> Node | None:
        x = node.args[0]
        if x.op != "mul" or x.shape.is_scalar:
            return None
        scalars = [f for f in x.args if f.shape.is_scalar]
        if not scalars:
            return None
        core = b.mul(*(f for f in x.args if not f.shape.is_scalar))
        return b.mul(*scalars, make(op, (core,)))

    pull.__name__ = f"{op}_scalars_out"
    return pull


def add_linear(op: str) -> Callable[[Node], Node | None]:
    """The procedure for ``s*op(U) + t*op(V) = op(s*U + t*V)``, ``op`` linear (diag):
    two or more such terms of a sum become one (``diag(u) - diag(v) = diag(u - v)``)."""

    def split(t: Node) -> tuple[list[Node], Node] | None:
        if t.op == op:
            return [], t.args[0]
        if t.op == "mul":
            inner = [f for f in t.args if not f.shape.is_scalar]
            if len(inner) == 1 and inner[0].op == op:
                return [f for f in t.args if f.shape.is_scalar], inner[0].args[0]
        return None

    def combine(node: Node) -> Node | None:
        parts = [(t, split(t)) for t in node.args]
        hits = [(t, p) for t, p in parts if p is not None]
        if len(hits) < 2:
            return None
        inside = b.add(*(b.mul(*scalars, u) if scalars else u for _, (scalars, u) in hits))
        rest = [t for t, p in parts if p is None]
        return b.add(make(op, (inside,)), *rest)

    combine.__name__ = f"add_{op}"
    return combine


# --- powers ---------------------------------------------------------------------------

def power_fold(node: Node) -> Node | None:
    """``c^k`` of numbers folded when exact and small (``|k| <= 64``, a bounded result)."""
    base, exponent = (numeric_value(a) for a in node.args)
    if base is None or exponent is None:
        return None
    value = exact_power(base, exponent)
    return None if value is None else b.fill(value, node.shape)


def power_of_power(node: Node) -> Node | None:
    """``(x^a)^b = x^(a*b)`` for numbers ``a`` and an integer ``b``, where defined."""
    inner, outer = node.args
    if inner.op != "power":
        return None
    a, k = numeric_value(inner.args[1]), numeric_value(outer)
    if a is None or k is None or k.denominator != 1:
        return None
    return b.power(inner.args[0], b.fill(a * k, node.shape))


# --- broadcasting, folding, matrix powers ------------------------------------

def broadcast_const(node: Node) -> Node | None:
    """``broadcast(c) = matrix(c)``: a broadcast number is a constant fill."""
    c = numeric_value(node.args[0])
    return None if c is None else b.fill(c, node.shape)


def fold_function(op: str) -> Callable[[Node], Node | None]:
    """The procedure folding ``op(c)`` for a number ``c`` where the value is exact."""
    exact = EXACT_FUNCTIONS[op]

    def fold(node: Node) -> Node | None:
        c = numeric_value(node.args[0])
        if c is None:
            return None
        value: Fraction | None = exact(c)
        if value is not None:
            return b.fill(value, node.shape)
        if node.shape.is_scalar:
            return None
        # f(matrix(c)) = broadcast(f(c)): one scalar, so log(vector(2)).*v = log(2)*v.
        return b.broadcast(b.apply(op, b.const(c)), node.shape)

    fold.__name__ = f"fold_{op}"
    return fold


def scalar_of_fill(op: str) -> Callable[[Node], Node | None]:
    """``f(matrix(c)) = broadcast(f(c))`` for an elementwise ``f`` with no exact value
    at ``c`` (``log(vector(2)) .* v`` becomes ``log(2)*v``)."""
    def fold(node: Node) -> Node | None:
        arg = node.args[0]
        if arg.op != "fill":
            return None
        return b.broadcast(b.apply(op, b.const(arg.attrs[0])), node.shape)

    fold.__name__ = f"scalar_of_fill_{op}"
    return fold


def diagm_ones(node: Node) -> Node | None:
    """``diag(vector(1)) = I``."""
    if numeric_value(node.args[0]) != 1:
        return None
    rows = node.shape.rows
    assert rows is not None
    return b.eye(rows)


def matpow_trivial(node: Node) -> Node | None:
    """``X^1 = X`` and ``X^0 = I``."""
    k = node.attrs[0]
    if k == 1:
        return node.args[0]
    if k == 0:
        rows = node.shape.rows
        assert rows is not None
        return b.eye(rows)
    return None


def diag_outer(node: Node) -> Node | None:
    """``diag(x*y') = x .* y`` for vectors ``x``, ``y``: the diagonal of an outer product
    (``diag(diag(x*x'))`` is ``diag(x.^2)``, Matrix Cookbook eq. 142's ``A o I`` form)."""
    x = node.args[0]
    if x.op != "mul" or len(x.args) != 2:
        return None
    u, vt = x.args
    if u.shape.kind != "vector" or vt.shape.kind != "row":
        return None
    v = vt.args[0] if vt.op == "transpose" else b.transpose(vt)
    return b.hadamard(u, v)


def add_trace(node: Node) -> Node | None:
    """``s*tr(U) + t*tr(V) = tr(s*U + t*V)``: two or more traces of a sum, each alone or
    scaled by scalar factors, become one trace (``tr(inv(Y)*B) + 2*c*tr(inv(Y)*C)`` is
    ``tr(inv(Y)*(B + 2*c*C))`` once the common factor is out)."""
    def split(t: Node) -> tuple[list[Node], Node] | None:
        if t.op == "tr":
            return [], t.args[0]
        if t.op == "mul":
            traces = [f for f in t.args if f.op == "tr"]
            others = [f for f in t.args if f is not traces[0]] if len(traces) == 1 else []
            # Only scalar factors may move inside: x'*A*y*tr(U) is not tr(x'*A*y*U).
            if len(traces) == 1 and all(f.shape.is_scalar for f in others):
                return others, traces[0].args[0]
        return None

    parts = [(t, split(t)) for t in node.args]
    hits = [p for _, p in parts if p is not None]
    if len(hits) < 2 or len({u.shape for _, u in hits}) != 1:
        return None
    inside = b.add(*(b.mul(*scalars, u) for scalars, u in hits))
    rest = [t for t, p in parts if p is None]
    return b.add(b.apply("tr", inside), *rest)


def add_of_rows(node: Node) -> Node | None:
    """``x' - y' = (x - y)'``: a sum of rows is written as a transposed sum of columns
    when every term is a transposed column (``x'``, ``c*x'``), as textbooks write
    ``(x - mu)'`` (one transpose instead of one per term)."""
    if node.shape.kind != "row":
        return None

    def column(t: Node) -> Node | None:
        if t.op == "transpose":
            return t.args[0]
        if t.op == "mul" and len(t.args) == 2 and t.args[0].op == "const" \
                and t.args[1].op == "transpose":
            return b.mul(t.args[0], t.args[1].args[0])
        return None

    columns = [column(t) for t in node.args]
    if any(c is None for c in columns):
        return None
    return b.transpose(b.add(*(c for c in columns if c is not None)))


def trace_orient(node: Node) -> Node | None:
    """``tr(A'*B'*C) = tr(C'*B*A)``: a trace of a product is written with the fewer
    transposed factors (seed 000, trace property 1: ``tr(M') = tr(M)``)."""
    x = node.args[0]
    if x.op != "mul":
        return None
    chain = [f for f in x.args if not f.shape.is_scalar]
    transposed = sum(1 for f in chain if f.op == "transpose")
    if 2 * transposed <= len(chain):
        return None
    scalars = [f for f in x.args if f.shape.is_scalar]
    return b.apply("tr", b.mul(*scalars, *(_toggle(f) for f in reversed(chain))))


def _toggle(f: Node) -> Node:
    return f.args[0] if f.op == "transpose" else b.transpose(f)


def sum_of_hadamard(node: Node) -> Node | None:
    """``sum(a.*b) = a'*b`` for columns (and ``sum(a.*b.*c) = a'*(b.*c)``): the inner
    product as textbooks write it."""
    x = node.args[0]
    if x.op != "hadamard" or x.shape.kind != "vector":
        return None
    first, *rest = x.args
    return b.mul(b.transpose(first), b.hadamard(*rest))


# --- chains: fewer transposes, no diagonal matrix ----------------------------------------

def _transposes_in(chain: tuple[Node, ...] | list[Node]) -> int:
    return sum(1 for f in chain if f.op == "transpose")


def mul_orient_scalar(node: Node) -> Node | None:
    """``x'*A'*y = y'*A*x``: a scalar-valued chain is its own transpose, so it is written
    the way round with fewer transposed factors (``x'*A'*x`` is ``x'*A*x``)."""
    if not node.shape.is_scalar or any(f.shape.is_scalar for f in node.args):
        return None
    flipped = [f.args[0] if f.op == "transpose" else b.transpose(f)
               for f in reversed(node.args)]
    if _transposes_in(flipped) >= _transposes_in(node.args):
        return None
    return b.mul(*flipped)


def mul_diag_vector(node: Node) -> Node | None:
    """``diag(v)*x = v.*x`` for a column ``x``: one operation instead of two, and no
    diagonal matrix (also inside a chain: ``A*diag(v)*x = A*(v.*x)``)."""
    args = list(node.args)
    for k in range(len(args) - 1, 0, -1):
        d, x = args[k - 1], args[k]
        if d.op == "diagm" and x.shape.kind == "vector":
            args[k - 1:k + 1] = [b.hadamard(d.args[0], x)]
            return b.mul(*args)
    return None
