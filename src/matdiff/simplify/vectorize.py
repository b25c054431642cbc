"""``vec`` and ``reshape`` undo each other (The Matrix Cookbook, sec. 10.2.2: ``vec``
stacks the columns; MATLAB's ``reshape`` fills column by column, so it is its inverse).

``reshape(vec(U), rows(U), cols(U)) = U`` and ``vec(reshape(u, m, n)) = u`` for a vector
``u``: the gradient of ``vec(U)'*A*vec(V)`` through the adjoint of ``vec`` comes back to
the matrix itself.
"""

from __future__ import annotations

from ..ir.nodes import Node


def reshape_of_vec(node: Node) -> Node | None:
    """``reshape(vec(U), m, n) = U`` when ``U`` is ``m x n``."""
    (arg,) = node.args
    if arg.op == "vec" and arg.args[0].shape == node.shape:
        return arg.args[0]
    if arg.op == "reshape" and arg.args[0].shape == node.shape:
        return arg.args[0]  # reshape(reshape(U, ...), shape of U) = U
    return None


def vec_of_reshape(node: Node) -> Node | None:
    """``vec(reshape(u, m, n)) = u`` for a column ``u``."""
    (arg,) = node.args
    if arg.op == "reshape" and arg.args[0].shape == node.shape:
        return arg.args[0]
    return None
