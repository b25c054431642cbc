"""Constructors for IR nodes, used by the parser, the differentiator and the simplifier.

They only build (and check shapes through :func:`~matdiff.ir.nodes.make`); the one
normalisation they do is associativity — nested sums and products are flattened — so
every layer sees n-ary ``add`` / ``mul`` nodes.  A *scalar-valued* product of non-scalar
factors (``x'*y``) stays grouped inside a larger product: ``A*(x'*y)`` scales ``A`` and
is not the chain ``A*x'*y``.  Everything else (folding, collecting, transposes) is
rewriting, done by ``simplify``.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from ..shapes import SCALAR, Dim, Shape
from ..shapes import multiply as _multiply
from .nodes import Node, make

Number = int | Fraction


def var(name: str, shape: Shape, props: Iterable[str] = ()) -> Node:
    return make("var", (), (name, frozenset(props)), shape)


def differential(name: str, shape: Shape) -> Node:
    """``dX``: the differential of the variable ``X``."""
    return make("differential", (), (name,), shape)


def const(value: Number) -> Node:
    return make("const", (), (Fraction(value),), SCALAR)


def fill(value: Number, shape: Shape) -> Node:
    """A constant of ``shape`` whose entries all equal ``value`` (a scalar stays const)."""
    if shape.is_scalar:
        return const(value)
    return make("fill", (), (Fraction(value),), shape)


def zero(shape: Shape) -> Node:
    return fill(0, shape)


def eye(n: Dim) -> Node:
    return make("eye", (), (), Shape(n, n))


def is_const(node: Node, value: Number | None = None) -> bool:
    """Whether ``node`` is a numeric constant (of any shape), equal to ``value`` if given."""
    if node.op not in ("const", "fill"):
        return False
    return value is None or node.attrs[0] == value


def is_zero(node: Node) -> bool:
    return is_const(node, 0)


def _keeps_grouped(child: Node) -> bool:
    """A scalar product of non-scalar factors must not be spliced into a chain."""
    return child.shape.is_scalar and any(not a.shape.is_scalar for a in child.args)


def add(*terms: Node) -> Node:
    """``t1 + t2 + ...`` (flattened).  One term is returned as is."""
    flat: list[Node] = []
    for t in terms:
        flat.extend(t.args if t.op == "add" else (t,))
    if not flat:
        raise ValueError("add() of nothing: use zero(shape)")
    return flat[0] if len(flat) == 1 else make("add", flat)


def mul(*factors: Node) -> Node:
    """The product ``f1*f2*...`` (matrix product; scalar factors scale), flattened."""
    flat: list[Node] = []
    for f in factors:
        if f.op == "mul" and not _keeps_grouped(f):
            flat.extend(f.args)
        else:
            flat.append(f)
    if not flat:
        raise ValueError("mul() of nothing: use const(1)")
    return flat[0] if len(flat) == 1 else make("mul", flat)


def neg(x: Node) -> Node:
    return mul(const(-1), x)


def sub(a: Node, b: Node) -> Node:
    return add(a, neg(b))


def transpose(x: Node) -> Node:
    return make("transpose", (x,))


def hadamard(*factors: Node) -> Node:
    """Elementwise product; scalars are scaled with ``mul`` instead (same value)."""
    if all(f.shape.is_scalar for f in factors):
        return mul(*factors)
    flat: list[Node] = []
    for f in factors:
        flat.extend(f.args if f.op == "hadamard" else (f,))
    return flat[0] if len(flat) == 1 else make("hadamard", flat)


def ediv(a: Node, b: Node) -> Node:
    """``a ./ b`` elementwise; for scalars ``a * b^-1``."""
    if a.shape.is_scalar and b.shape.is_scalar:
        return mul(a, power(b, const(-1)))
    return make("ediv", (a, b))


def power(base: Node, exponent: Node) -> Node:
    return make("power", (base, exponent))


def matpow(x: Node, k: int) -> Node:
    return make("matpow", (x,), (k,))


def broadcast(s: Node, shape: Shape) -> Node:
    """A scalar used where ``shape`` is needed; constants become ``fill``."""
    if shape.is_scalar:
        return s
    if s.op == "const":
        return fill(s.attrs[0], shape)
    return make("broadcast", (s,), (shape,))


def expand(v: Node, shape: Shape) -> Node:
    """The vector ``v`` repeated to the matrix ``shape``: a column across its columns
    (``v*ones(n)'``), a row down its rows (``ones(m)*v``); constants become ``fill`` and
    a broadcast scalar is broadcast to ``shape`` directly."""
    if v.op == "fill":
        return fill(v.attrs[0], shape)
    if v.op == "broadcast":
        return broadcast(v.args[0], shape)
    return make("expand", (v,), (shape,))


def scaled_expansion(node: Node) -> Node | None:
    """The ``expand`` of a product ``s*t*expand(v)`` of scalars and one expansion, which
    a sum prints as ``s*t*v`` (``X + 2*b``, ``X - b``); else ``None``."""
    if node.op != "mul":
        return None
    arrays = [f for f in node.args if not f.shape.is_scalar]
    return arrays[0] if len(arrays) == 1 and arrays[0].op == "expand" else None


def unexpanded(node: Node, expansion: Node) -> Node:
    """``s*t*v`` for the product ``node = s*t*expand(v)`` (see :func:`scaled_expansion`)."""
    return mul(*(expansion.args[0] if f is expansion else f for f in node.args))


def apply(op: str, x: Node) -> Node:
    """A unary op by name: ``apply("exp", x)``, ``apply("tr", X)``."""
    return make(op, (x,))


def inner(a: Node, b: Node) -> Node:
    """The Frobenius inner product ``<a, b> = sum(a .* b)`` written as a textbook does:
    ``a*b`` (scalars), ``a'*b`` (vectors), ``tr(a'*b)`` (matrices)."""
    kind = a.shape.kind
    if kind == "scalar":
        return mul(a, b)
    if kind == "vector":
        return mul(transpose(a), b)
    if kind == "row":
        return mul(a, transpose(b))
    return apply("tr", mul(transpose(a), b))


# kron, vec, reshape: the constructors fold what is not a Kronecker product or a reshape
def kron(a: Node, c: Node) -> Node:
    """``kron(a, c)``; with a scalar operand it is the product ``a*c`` (Cookbook
    sec. 10.2.1: every block is ``a_ij * c``)."""
    if a.shape.is_scalar or c.shape.is_scalar:
        return mul(a, c)
    # a column with a row is their outer product: kron(u, v') = u*v', kron(u', v) = v*u'
    if a.shape.kind == "vector" and c.shape.kind == "row":
        return mul(a, c)
    if a.shape.kind == "row" and c.shape.kind == "vector":
        return mul(c, a)
    if a.op == "eye" and c.op == "eye":  # I_m (x) I_n = I_mn
        rows = a.shape.rows
        assert rows is not None and c.shape.rows is not None
        return eye(_multiply(rows, c.shape.rows))
    return make("kron", (a, c))


def vec(x: Node) -> Node:
    """``vec(x)``: a column is its own vec, a row's is its transpose, and
    ``vec(reshape(v, m, n)) = v``."""
    kind = x.shape.kind
    if kind == "vector":
        return x
    if kind == "row":
        return transpose(x)
    if x.op == "reshape" and x.args[0].shape.kind == "vector":
        return x.args[0]
    return make("vec", (x,))


def reshape(x: Node, shape: Shape) -> Node:
    """``x``'s entries, column by column, in ``shape`` (the inverse of ``vec``): a vector
    or a row as itself or its transpose, a matrix as ``reshape(u, m, n)``."""
    if shape.kind == "vector":
        return vec(x)
    if shape.kind == "row":
        return transpose(vec(x))
    assert shape.rows is not None and shape.cols is not None
    if x.op == "vec" and x.args[0].shape == shape:
        return x.args[0]
    if x.shape == shape:
        return x
    return make("reshape", (x,), (shape.rows, shape.cols))
