"""The linear map of :mod:`.solve` as terms ``c*s*A*X*B``, read off the Hessian's
Kronecker form (``vec(A X B) = (B' ⊗ A) vec(X)``, Matrix Cookbook eq. 520), with a
factor ``s*eye`` taken out as the scalar ``s``: it commutes with ``X``, so a term
``s*X`` belongs to either side."""

from __future__ import annotations

from fractions import Fraction

from .. import api
from ..ir import build as b
from ..ir.nodes import Node
from ..printing import to_text
from ..shapes import Dim
from ..simplify import simplify
from .solve_linear import LinearTerm


def identity_scalar(node: Node) -> tuple[bool, Node | None]:
    """``(True, s)`` when ``node`` is ``s*eye`` (``s`` None for ``eye`` itself)."""
    if node.op == "eye":
        return True, None
    if node.op == "mul":
        eyes = [a for a in node.args if a.op == "eye"]
        rest = [a for a in node.args if a.op != "eye"]
        if len(eyes) == 1 and rest and all(a.shape.is_scalar for a in rest):
            return True, rest[0] if len(rest) == 1 else simplify(b.mul(*rest))
    return False, None


def linear_terms(hess: api.Derivative) -> list[LinearTerm] | None:
    """The Hessian's Kronecker terms ``c (B' ⊗ A)`` as ``c*s*A*X*B``, a factor ``s*eye``
    taken out as the scalar ``s`` (it commutes with ``X``)."""
    kron = hess.kronecker
    if kron is None:
        return None
    out: list[LinearTerm] = []
    for t in kron.terms:  # vec(A X B) = (B' ⊗ A) vec(X): left = B', right = A
        scalars: list[Node] = []
        sides: list[Node | None] = []
        for f in (t.right, simplify(b.transpose(t.left))):
            ident, s = identity_scalar(f)
            if s is not None:
                scalars.append(s)
            sides.append(None if ident else f)
        scalar = None if not scalars else simplify(b.mul(*scalars))
        out.append(LinearTerm(Fraction(t.coefficient), scalar, sides[0], sides[1]))
    return out


def term_node(t: LinearTerm, v: Node) -> Node:
    factors = [x for x in (t.scalar, t.left, v, t.right) if x is not None]
    return simplify(b.mul(b.const(t.coefficient), *factors))


def divided(terms: list[LinearTerm], factor: Fraction) -> tuple[LinearTerm, ...]:
    return tuple(LinearTerm(t.coefficient / factor, t.scalar, t.left, t.right)
                 for t in terms)


def side_sum(terms: list[LinearTerm], which: str, n: Dim) -> Node:
    """``sum_k c_k s_k M_k`` over one side's factors (an absent factor is ``eye``)."""
    parts = []
    for t in terms:
        m = t.left if which == "left" else t.right
        factors = [x for x in (t.scalar, m if m is not None else b.eye(n)) if x is not None]
        parts.append(b.mul(b.const(t.coefficient), *factors))
    return simplify(b.add(*parts))


def kron_text(t: LinearTerm, v: Node) -> str:
    """``c*s B' ⊗ A`` for the term ``c*s*A*X*B``."""
    scale = simplify(b.mul(b.const(t.coefficient), *([t.scalar] if t.scalar else [])))
    rows, cols = v.shape.rows, v.shape.cols
    assert rows is not None and cols is not None  # a matrix variable
    right = b.eye(cols) if t.right is None else simplify(b.transpose(t.right))
    left = b.eye(rows) if t.left is None else t.left
    text = to_text(scale)
    prefix = "" if b.is_const(scale, 1) else (f"({text}) " if scale.op == "add" else f"{text} ")
    return f"{prefix}{to_text(right)} ⊗ {to_text(left)}"
