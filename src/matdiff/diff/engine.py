"""The differentiation pipeline: differential, then transpose into ``df = tr(G' dX)``.

1. :func:`differential` applies the rule of every op (:mod:`.differentials`) bottom-up
   over the DAG, seeding the variable ``X`` with its differential ``dX``; the result is
   an expression linear in ``dX``.
2. :func:`transpose_linear` runs reverse accumulation over that linear expression with
   the adjoint rules (:mod:`.transpose`): starting from cotangent ``1`` at a scalar
   ``df`` it yields ``G`` with ``df = <G, dX> = tr(G' dX)`` — seed 001's identification,
   and, for a vector variable, ``df = G' dx``.

Both steps are pure and work on interned nodes; simplification is the caller's job
(the API runs ``simplify`` on the results), so this package needs no sibling.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import LimitError, UnsupportedError
from ..ir import build as b
from ..ir.nodes import Node
from ..ir.ops import OPS
from .differentials import DIFFERENTIALS
from .transpose import TRANSPOSES

MAX_WORK = 500_000
"""Bound on the operand slots the differential rules may build.  The product rule
makes an n-factor chain's differential n terms of n factors, so work grows with the
square of the input; this keeps every input under about a second (a 10,000-character
``tr(X*X*...*X)`` would otherwise take a minute)."""


@dataclass(frozen=True)
class Gradient:
    """The raw (unsimplified) pieces of a scalar's gradient.

    ``df`` is the differential (linear in ``dx``, or ``None`` when ``f`` does not depend
    on the variable) and ``gradient`` the ``G`` of ``df = tr(G' dX)``.
    """

    variable: Node
    dx: Node
    df: Node | None
    gradient: Node


Trace = list[tuple[str, Node]]
"""A record of rule applications, ``(op, node)`` in the order they were applied: which
row of :data:`DIFFERENTIALS` (or :data:`TRANSPOSES`) was applied to which node.  The step
by step derivations (``matdiff.explain``) name the rules from it."""


def differential(expr: Node, variable: Node, trace: Trace | None = None) -> Node | None:
    """``d expr`` with respect to ``variable`` (a ``var`` node); ``None`` if it is zero.

    With ``trace``, every applied differential rule is appended as ``(op, node)``."""
    if variable.op != "var":
        raise ValueError("can only differentiate with respect to a variable")
    dx = b.differential(variable.attrs[0], variable.shape)
    memo: dict[Node, Node | None] = {}
    work = 0
    for node in expr.walk():  # children before parents
        if node is variable:
            memo[node] = dx
        elif node.is_leaf:
            memo[node] = None
        else:
            dargs = [memo[a] for a in node.args]
            present = [d for d in dargs if d is not None]
            if not present:
                memo[node] = None
                continue
            # A jointly linear op (add, tr, ...) builds one node; any other builds at most
            # one node of this arity per operand differential (Leibniz's rule).  Children
            # are interned and shared, never copied.
            copies = 1 if OPS[node.op].linear == "all" else len(present)
            work += copies * len(node.args)
            if work > MAX_WORK:
                raise LimitError(
                    f"the differential of this expression is too large to compute (over "
                    f"{MAX_WORK:,} operands); long products of the variable, such as "
                    "X*X*...*X, are better written as powers (X^k)")
            memo[node] = DIFFERENTIALS[node.op](node, dargs)
            if trace is not None:
                trace.append((node.op, node))
    return memo[expr]


def transpose_linear(df: Node, dx: Node, trace: Trace | None = None) -> Node:
    """The ``G`` with ``df = <G, dx>`` for a scalar ``df`` linear in ``dx``.

    With ``trace``, every applied adjoint rule is appended as ``(op, node)``.

    Reverse accumulation: nodes are visited parents-first, each passing its summed
    cotangent to the operands that depend on ``dx`` through the op's adjoint rule.
    """
    if not df.shape.is_scalar:
        raise ValueError("transpose_linear needs a scalar differential")
    order = list(df.walk())  # children before parents
    depends: set[Node] = set()
    for node in order:
        if node is dx or any(a in depends for a in node.args):
            depends.add(node)
    contributions: dict[Node, list[Node]] = {df: [b.const(1)]}
    for node in reversed(order):
        if node not in depends or node not in contributions:
            continue
        parts = contributions.pop(node)
        if node is dx:
            # Reverse accumulation visits later terms of df first; restore df's reading
            # order so d tr(AXBX'C) gives A'C'XB' + CAXB, as seed 000 writes it.
            return b.add(*reversed(parts))
        ct = b.add(*parts)
        adjoint = TRANSPOSES.get(node.op)
        if adjoint is None:
            raise UnsupportedError(
                f"internal: {OPS[node.op].formula} is not linear, yet it depends on {dx!r}")
        if trace is not None:
            trace.append((node.op, node))
        for i, arg in enumerate(node.args):
            if arg in depends:
                contributions.setdefault(arg, []).append(adjoint(node, i, ct))
    return b.zero(dx.shape)  # df does not reach dx


def gradient(expr: Node, variable: Node) -> Gradient:
    """``G = df/dX`` of a scalar ``expr`` (same shape as the variable, mixed layout)."""
    if not expr.shape.is_scalar:
        raise UnsupportedError(
            f"the gradient is defined for scalar expressions; this one is {expr.shape}")
    dx = b.differential(variable.attrs[0], variable.shape)
    df = differential(expr, variable)
    g = b.zero(variable.shape) if df is None else transpose_linear(df, dx)
    return Gradient(variable, dx, df, g)
