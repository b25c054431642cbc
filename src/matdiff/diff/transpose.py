"""Transpose rules: one row per linear op (the adjoint of the op in one operand).

For a scalar ``df`` that is linear in ``dX``, reverse accumulation of these adjoints
gives the ``G`` of ``df = tr(G' dX)`` (seed 001; the "transpose" half of JAX's
JVP-plus-transpose).  A row gets the node, the index ``i`` of the operand that depends on
``dX`` and the cotangent ``ct`` (an expression of the node's shape) and returns the
cotangent of operand ``i`` (an expression of that operand's shape), i.e. the adjoint
``L*`` with ``<ct, L(U_i)> = <L*(ct), U_i>`` for the Frobenius inner product
``<A, B> = tr(A' B)`` (seed 000, property 5):

====================  ===========================================================
``U + V``             ``ct``
``L U R`` (product)   ``L' ct R'`` (trace cyclic property); scalar ``U``: ``<ct, L R>``
``C .* U``            ``C .* ct``
``U ./ C``            ``ct ./ C``
``U'``                ``ct'``
``tr(U)``             ``ct I``
``sum(U)``            ``ct 1 1'`` (``ct*matrix(1)``)
``diag(v)``           ``diag(ct)`` (and the other way round)
broadcast of ``s``    ``sum(ct)``
``v`` expanded         ``ct*1`` (a column repeated across the columns: summed over them);
                      ``1'*ct`` (a row repeated down the rows)
``vec(U)``            ``reshape(ct, rows(U), cols(U))`` (and the other way round)
``kron(U, B)``        ``kron(I, 1_p') (ct .* kron(1, B)) kron(I, 1_q)`` for B p x q
``kron(A, U)``        ``kron(1_m', I) (ct .* kron(A, 1)) kron(1_n, I)`` for A m x n
====================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import UnsupportedError
from ..ir import build as b
from ..ir.nodes import Node
from ..shapes import Dim, Shape

Adjoint = Callable[[Node, int, Node], Node]


def _mul(node: Node, i: int, ct: Node) -> Node:
    factor = node.args[i]
    others = node.args[:i] + node.args[i + 1:]
    if factor.shape.is_scalar:
        # <ct, s*P> = s*<ct, P>: the cotangent of a scalar factor is an inner product.
        return b.inner(ct, b.mul(*others))
    parts: list[Node] = []
    if i > 0:
        parts.append(b.transpose(b.mul(*node.args[:i])))
    parts.append(ct)
    if i + 1 < len(node.args):
        parts.append(b.transpose(b.mul(*node.args[i + 1:])))
    return b.mul(*parts)


def _hadamard(node: Node, i: int, ct: Node) -> Node:
    return b.hadamard(ct, *(node.args[:i] + node.args[i + 1:]))


def _ediv(node: Node, i: int, ct: Node) -> Node:
    if i != 0:
        raise UnsupportedError("./ is linear only in its numerator")
    return b.ediv(ct, node.args[1])


def _tr(node: Node, i: int, ct: Node) -> Node:
    u = node.args[0]
    if u.shape.is_scalar:
        return ct
    assert u.shape.rows is not None
    return b.mul(ct, b.eye(u.shape.rows))


def _sum(node: Node, i: int, ct: Node) -> Node:
    u = node.args[0]
    return ct if u.shape.is_scalar else b.mul(ct, b.fill(1, u.shape))


def _kron(node: Node, i: int, ct: Node) -> Node:
    """The adjoint of ``U -> kron(U, B)``: each entry of ``U`` scales one block, so its
    cotangent is the block of ``ct`` weighted by ``B`` and summed,
    ``G_ij = sum_kl ct[(i,k),(j,l)] B_kl``; the mask ``kron(ones, B)`` weights the blocks
    and the products with ``kron(I, 1')`` and ``kron(I, 1)`` sum them (likewise for the
    second operand with the roles of the factors exchanged)."""
    u, other = node.args[i], node.args[1 - i]
    special = _kron_structured(u, other, i, ct)
    if special is not None:
        return special
    ones_u = b.fill(1, u.shape)
    weighted = b.hadamard(ct, b.kron(ones_u, other) if i == 0 else b.kron(other, ones_u))

    def summing(mine: Dim | None, theirs: Dim | None, left: bool) -> Node | None:
        if theirs is None:  # the other operand has no such axis: nothing to sum
            return None
        ones = b.fill(1, Shape(theirs, None))
        if left:
            ones = b.transpose(ones)
        keep = b.const(1) if mine is None else b.eye(mine)
        return b.kron(keep, ones) if i == 0 else b.kron(ones, keep)

    left = summing(u.shape.rows, other.shape.rows, True)
    right = summing(u.shape.cols, other.shape.cols, False)
    return b.mul(*(f for f in (left, weighted, right) if f is not None))


def _square(n: Node) -> bool:
    return n.shape.kind == "matrix" and n.shape.rows == n.shape.cols


def _kron_structured(u: Node, other: Node, i: int, ct: Node) -> Node | None:
    """The block sums in closed form for the cotangents ``tr`` and ``sum`` pass on and
    for a Kronecker cotangent: ``<c I, kron(U, B)> = c tr(U) tr(B)`` (square U, B; the
    Cookbook's tr(A (x) B) = tr(A) tr(B)), ``<c 1, kron(U, B)> = c sum(U) sum(B)``,
    ``<kron(P, Q), kron(U, B)> = <P, U> <Q, B>``."""
    scalars = [f for f in (ct.args if ct.op == "mul" else (ct,)) if f.shape.is_scalar]
    cores = [f for f in (ct.args if ct.op == "mul" else (ct,)) if not f.shape.is_scalar]
    if len(cores) > 1:  # U*I = U: tr's cotangent c*I reaches a product as U*(c*I)
        cores = [f for f in cores if f.op != "eye"]
    if len(cores) != 1:
        return None
    core, scale = cores[0], scalars
    while core.op == "transpose" and core.args[0].op == "transpose":  # (U')' = U
        core = core.args[0].args[0]
    if core.op == "transpose" and core.args[0].op == "kron":  # kron(P, Q)' = kron(P', Q')
        core = b.kron(*(b.transpose(f) for f in core.args[0].args))
    if core.op == "eye" and _square(u) and _square(other):
        assert u.shape.rows is not None
        return b.mul(*scale, b.apply("tr", other), b.eye(u.shape.rows))
    if core.op == "fill":
        return b.mul(*scale, b.const(core.attrs[0]), b.apply("sum", other),
                     b.fill(1, u.shape))
    if core.op == "kron" and core.args[i].shape == u.shape:
        mine, theirs = core.args[i], core.args[1 - i]
        if theirs.shape == other.shape:
            return b.mul(*scale, b.inner(theirs, other), mine)
    return None


TRANSPOSES: dict[str, Adjoint] = {
    "add": lambda node, i, ct: ct,
    "mul": _mul,
    "hadamard": _hadamard,
    "ediv": _ediv,
    "transpose": lambda node, i, ct: b.transpose(ct),
    "broadcast": lambda node, i, ct: b.apply("sum", ct),
    "tr": _tr,
    "sum": _sum,
    "diagm": lambda node, i, ct: b.apply("diagv", ct),
    "diagv": lambda node, i, ct: b.apply("diagm", ct),
    # implicit expansion
    "expand": lambda node, i, ct: _expand(node, ct),
    # kron, vec, reshape
    "kron": _kron,
    "vec": lambda node, i, ct: b.reshape(ct, node.args[0].shape),
    "reshape": lambda node, i, ct: b.reshape(ct, node.args[0].shape),
}


def _expand(node: Node, ct: Node) -> Node:
    """``<ct, v*1'> = <ct*1, v>`` for a column ``v`` repeated across the columns, and
    ``<ct, 1*r> = <1'*ct, r>`` for a row repeated down the rows: the adjoint of the
    expansion sums over the expanded axis (the sum of the repeated entries' cotangents)."""
    rows, cols = node.shape.rows, node.shape.cols
    assert rows is not None and cols is not None
    if node.args[0].shape.kind == "vector":
        return b.mul(ct, b.fill(1, Shape(cols, None)))
    return b.mul(b.transpose(b.fill(1, Shape(rows, None))), ct)
