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
====================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import UnsupportedError
from ..ir import build as b
from ..ir.nodes import Node
from ..shapes import Shape

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
