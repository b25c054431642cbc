"""Procedures that cancel a matrix against its inverse in a product chain.

``inv(X)*X = X*inv(X) = I`` (and transposed, ``inv(X)'*X' = I``), more generally
``inv(X^j)*X^k = X^(k-j)``: every chain factor is read as a power ``B^k`` of a base ``B``
(``k < 0`` for an inverse), possibly transposed, and adjacent powers of one base add up.
This holds wherever the expression is defined: ``inv(X^j)`` exists only if ``X`` is
invertible.  The inverse of a product of *square* factors is the reversed product of
their inverses (Matrix Cookbook eq. 1, ``inv(A*B) = inv(B)*inv(A)``; each factor of an
invertible product of square matrices is invertible): it is expanded only when that lets
factors cancel and the chain gets shorter
(``A'*inv(A*X*B)'*B' = inv(X)'``, Cookbook eq. 51's form).
"""

from __future__ import annotations

from fractions import Fraction

from ..ir import Node
from ..ir import build as b

Power = tuple[Node, int, bool]  # base, exponent (non-zero), transposed


def _as_power(f: Node) -> Power:
    """``f`` as ``B^k`` or ``(B^k)'`` with ``B`` not a transpose, inverse or power."""
    transposed = f.op == "transpose"
    if transposed:
        f = f.args[0]
    sign = 1
    if f.op == "inv":
        sign, f = -1, f.args[0]
    k = 1
    if f.op == "matpow" and f.attrs[0] >= 1:
        k, f = int(f.attrs[0]), f.args[0]
    if f.op == "transpose" and f.args[0].op not in ("inv", "matpow"):
        # (X')^k with a plain base: the transpose is outside in effect ((X')^k = (X^k)').
        transposed, f = not transposed, f.args[0]
    return f, sign * k, transposed


def _from_power(base: Node, k: int, transposed: bool) -> Node:
    core = base if abs(k) == 1 else b.matpow(base, abs(k))
    if k < 0:
        core = b.apply("inv", core)
    return b.transpose(core) if transposed else core


def _cancel(chain: list[Node]) -> tuple[list[Node], bool]:
    """Adjacent powers of one base (at least one an inverse) multiplied out; whether any
    were.  A stack, so ``A*B*inv(B)*inv(A)`` cancels completely."""
    out: list[Power] = []
    cancelled = False
    for f in chain:
        p = _as_power(f)
        if out and out[-1][0] is p[0] and out[-1][2] == p[2] and min(out[-1][1], p[1]) < 0:
            base, k, transposed = out.pop()
            cancelled = True
            if k + p[1] != 0:
                out.append((base, k + p[1], transposed))
            continue
        out.append(p)
    return [_from_power(*p) for p in out], cancelled


def _rebuild(node: Node, scalars: list[Node], chain: list[Node]) -> Node:
    if not chain:
        rows = node.shape.rows
        assert rows is not None and rows == node.shape.cols
        chain = [b.eye(rows)]
    return b.mul(*scalars, *chain)


def mul_cancel_inverse(node: Node) -> Node | None:
    """``inv(X)*X = I``, ``X'*inv(X)' = I``, ``inv(X^3)'*X'^2 = inv(X)'``: a matrix and
    its inverse cancel where they meet in a chain."""
    scalars = [f for f in node.args if f.shape.is_scalar]
    chain = [f for f in node.args if not f.shape.is_scalar]
    if not any(f.op == "inv" or (f.op == "transpose" and f.args[0].op == "inv")
               for f in chain):
        return None
    new_chain, cancelled = _cancel(chain)
    return _rebuild(node, scalars, new_chain) if cancelled else None


def _inverse(f: Node) -> Node:
    """``inv(f)`` with the transpose outside (``inv(X')`` is written ``inv(X)'``)."""
    if f.op == "transpose":
        return b.transpose(_inverse(f.args[0]))
    if f.op == "inv":
        return f.args[0]
    return b.apply("inv", f)


def _transpose(f: Node) -> Node:
    return f.args[0] if f.op == "transpose" else b.transpose(f)


def _expand(f: Node) -> tuple[list[Node], list[Node]] | None:
    """The factor ``inv(s*F1*...*Fk)`` (or its transpose), all ``Fi`` square, as scalar
    factors ``s^-1`` and the chain ``inv(Fk)*...*inv(F1)`` (transposed: reversed and each
    factor transposed)."""
    transposed = f.op == "transpose"
    inner = f.args[0] if transposed else f
    if inner.op != "inv" or inner.args[0].op != "mul":
        return None
    product = inner.args[0]
    factors = [a for a in product.args if not a.shape.is_scalar]
    if len(factors) < 2 or any(a.shape.rows != a.shape.cols or a.shape.rows is None
                               for a in factors):
        return None
    scalars = [b.const(1 / a.attrs[0]) if a.op == "const" else b.power(a, b.const(-1))
               for a in product.args if a.shape.is_scalar]
    if any(a.op == "const" and a.attrs[0] == Fraction(0) for a in product.args):
        return None
    chain = [_inverse(a) for a in reversed(factors)]
    if transposed:
        chain = [_transpose(a) for a in reversed(chain)]
    return scalars, chain


def mul_inverse_of_product(node: Node) -> Node | None:
    """``A'*inv(A*X*B)'*B' = inv(X)'`` for square ``A``, ``X``, ``B``: the inverse of a
    product of square matrices is expanded (``inv(A*X*B) = inv(B)*inv(X)*inv(A)``) when
    its pieces then cancel against their neighbours and the product gets smaller."""
    scalars = [f for f in node.args if f.shape.is_scalar]
    chain = [f for f in node.args if not f.shape.is_scalar]
    for i, f in enumerate(chain):
        expanded = _expand(f)
        if expanded is None:
            continue
        more, pieces = expanded
        new_chain, cancelled = _cancel(chain[:i] + pieces + chain[i + 1:])
        if not cancelled:
            continue
        result = _rebuild(node, scalars + more, new_chain)
        if result.size < node.size:
            return result
    return None
