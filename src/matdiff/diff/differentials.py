"""Differential rules: one row per op, ``d(op(u1..uk))`` from the operands' differentials.

The method of the seed notes (seed 001: ``df = tr((df/dX)' dX)``; seed 002's table of
differential rules) and The Matrix Cookbook, sec. 2.1-2.3:

==============  =====================================================================
``d(U + V)``    ``dU + dV``
``d(U V)``      ``dU V + U dV`` (every factor of an n-ary product in turn)
``d(U .* V)``   ``dU .* V + U .* dV``
``d(U ./ V)``   ``dU ./ V - U .* dV ./ V.^2``
``d(U .^ P)``   ``P .* U.^(P-1) .* dU + log(U) .* U.^P .* dP``
``d(X^k)``      ``sum_j X^j dX X^(k-1-j)`` (Cookbook eq. 2.7 / 91)
``d(U')``       ``(dU)'``
``d tr(U)``     ``tr(dU)`` (Cookbook eq. 2.5)
``d det(X)``    ``det(X) tr(inv(X) dX)`` (Cookbook eq. 2.10 / 46)
``d logdet X``  ``tr(inv(X) dX)`` (Cookbook eq. 2.11 / 50)
``d inv(X)``    ``-inv(X) dX inv(X)`` (Cookbook eq. 2.8 / 59)
``d norm2(U)``  ``<U, dU> / norm2(U)``; ``d norm1(U) = sum(sign(U) .* dU)``
``d f(U)``      ``f'(U) .* dU`` for elementwise ``f`` (see :mod:`.elementwise`)
==============  =====================================================================

A constant base takes the domain into account: ``d(0.^P) = 0`` where ``0.^P`` is
differentiable (``P > 0``; ``log(0) .* 0.^P`` would be NaN), and a negative constant base
to a variable power (real only at integers) has no derivative.

A rule receives the node and its operands' differentials (``None`` where an operand
does not depend on the variable) and returns ``d(node)`` (``None`` if it is zero).
Leaves are constants here; the engine seeds the differentiated variable itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..errors import UndefinedError
from ..ir import build as b
from ..ir import reductions
from ..ir.nodes import Node
from ..ir.ops import ELEMENTWISE_FUNCTIONS
from .elementwise import ELEMENTWISE_DERIVATIVES

Rule = Callable[[Node, Sequence[Node | None]], Node | None]


def _sum(terms: Sequence[Node | None]) -> Node | None:
    present = [t for t in terms if t is not None]
    return b.add(*present) if present else None


def _constant(node: Node, d: Sequence[Node | None]) -> Node | None:
    return None


def _add(node: Node, d: Sequence[Node | None]) -> Node | None:
    return _sum(d)


def _product(combine: Callable[..., Node]) -> Rule:
    """Leibniz: replace one factor at a time by its differential."""
    def rule(node: Node, d: Sequence[Node | None]) -> Node | None:
        terms: list[Node | None] = []
        for i, di in enumerate(d):
            if di is not None:
                terms.append(combine(*node.args[:i], di, *node.args[i + 1:]))
        return _sum(terms)
    return rule


def _ediv(node: Node, d: Sequence[Node | None]) -> Node | None:
    u, v = node.args
    du, dv = d
    terms: list[Node | None] = []
    if du is not None:
        terms.append(b.ediv(du, v))
    if dv is not None:
        terms.append(b.neg(b.ediv(b.hadamard(u, dv), b.power(v, b.fill(2, v.shape)))))
    return _sum(terms)


def _power(node: Node, d: Sequence[Node | None]) -> Node | None:
    u, p = node.args
    du, dp = d
    terms: list[Node | None] = []
    if du is not None:
        lowered = (b.fill(p.attrs[0] - 1, p.shape) if b.is_const(p)
                   else b.sub(p, b.fill(1, p.shape)))
        terms.append(b.hadamard(p, b.power(u, lowered), du))
    if dp is not None:
        c = u.attrs[0] if u.op in ("const", "fill") else None
        if c is not None and c < 0:
            raise UndefinedError(
                f"({c})^p, a negative base to a variable power, is real only where the "
                f"exponent is an integer: it has no derivative with respect to the exponent")
        if c != 0:
            terms.append(b.hadamard(b.apply("log", u), node, dp))
        # 0^p = 0 for p > 0, where it is differentiable, so its derivative is 0 there
        # (log(0)*0^p would be nan); p <= 0 is outside the domain (the api notes it).
    return _sum(terms)


def _matpow(node: Node, d: Sequence[Node | None]) -> Node | None:
    (dx,) = d
    if dx is None:
        return None
    x = node.args[0]
    k: int = node.attrs[0]
    base, dbase = x, dx
    if k < 0:  # X^-m = inv(X)^m,  d inv(X) = -inv(X) dX inv(X)
        base = b.apply("inv", x)
        dbase = b.neg(b.mul(base, dx, base))
        k = -k

    def pw(j: int) -> Node | None:
        if j == 0:
            return None
        return base if j == 1 else b.matpow(base, j)

    terms = []
    for j in range(k):
        parts = [p for p in (pw(j), dbase, pw(k - 1 - j)) if p is not None]
        terms.append(b.mul(*parts))
    return b.add(*terms)


def _unary(f: Callable[[Node, Node], Node]) -> Rule:
    """A rule using only the single operand ``u`` and its differential ``du``."""
    def rule(node: Node, d: Sequence[Node | None]) -> Node | None:
        (du,) = d
        return None if du is None else f(node.args[0], du)
    return rule


def _elementwise(name: str) -> Rule:
    derivative = ELEMENTWISE_DERIVATIVES[name]

    def rule(node: Node, d: Sequence[Node | None]) -> Node | None:
        (du,) = d
        if du is None:
            return None
        fprime = derivative(node.args[0])
        return None if fprime is None else b.hadamard(fprime, du)
    return rule


def _linear(op: str) -> Rule:
    """``d op(U) = op(dU)`` for a linear op."""
    return _unary(lambda u, du: b.apply(op, du))


DIFFERENTIALS: dict[str, Rule] = {
    "var": _constant,
    "differential": _constant,
    "const": _constant,
    "fill": _constant,
    "eye": _constant,
    "add": _add,
    "mul": _product(b.mul),
    "hadamard": _product(b.hadamard),
    "ediv": _ediv,
    "power": _power,
    "matpow": _matpow,
    "transpose": _unary(lambda u, du: b.transpose(du)),
    "broadcast": lambda node, d: (None if d[0] is None
                                  else b.broadcast(d[0], node.attrs[0])),
    "sum": _linear("sum"),
    "tr": _linear("tr"),
    "diagm": _linear("diagm"),
    "diagv": _linear("diagv"),
    "norm1": _unary(lambda u, du: b.apply("sum", b.hadamard(b.apply("sign", u), du))),
    "norm2": _unary(lambda u, du: b.mul(b.inner(u, du),
                                        b.power(b.apply("norm2", u), b.const(-1)))),
    "det": _unary(lambda x, dx: b.mul(b.apply("det", x),
                                      b.apply("tr", b.mul(b.apply("inv", x), dx)))),
    "logdet": _unary(lambda x, dx: b.apply("tr", b.mul(b.apply("inv", x), dx))),
    "inv": _unary(lambda x, dx: b.neg(b.mul(b.apply("inv", x), dx, b.apply("inv", x)))),
    # implicit expansion: d expand(U) = expand(dU) (linear)
    "expand": lambda node, d: None if d[0] is None else b.expand(d[0], node.attrs[0]),
}
DIFFERENTIALS.update({f: _elementwise(f) for f in ELEMENTWISE_FUNCTIONS})


# reduce: logsumexp and softmax (Bishop, PRML eq. 4.106; Magnus & Neudecker, Matrix
# Differential Calculus, ch. 8): with p = softmax(x), d logsumexp(x) = p'*dx and
# d softmax(x) = (diag(p) - p*p')*dx = p.*dx - p*(p'*dx); by rows (P = softmax(Z, 2))
# d logsumexp(Z, 2) = (P.*dZ)*1 and dP = P.*dZ - P.*((P.*dZ)*1*1'); by columns the same
# with 1'*(.) on the left.

def _logsumexp(node: Node, d: Sequence[Node | None]) -> Node | None:
    (dz,) = d
    if dz is None:
        return None
    z, dim = node.args[0], node.attrs[0]
    p = reductions.softmax(z, dim)
    if dim == 0:
        return b.inner(p, dz)
    return reductions.sum_dim(b.hadamard(p, dz), dim)


def _softmax(node: Node, d: Sequence[Node | None]) -> Node | None:
    (dz,) = d
    if dz is None:
        return None
    dim = node.attrs[0]
    weighted = b.hadamard(node, dz)
    if dim == 0:
        return b.sub(weighted, b.mul(node, b.inner(node, dz)))
    spread = reductions.sum_dim(weighted, dim)  # a row (dim 1) or a column (dim 2)
    rows, cols = node.shape.rows, node.shape.cols
    assert rows is not None and cols is not None
    back = (b.mul(reductions.ones(rows), spread) if dim == 1
            else b.mul(spread, reductions.ones(cols, row=True)))
    return b.sub(weighted, b.hadamard(node, back))


DIFFERENTIALS.update({"logsumexp": _logsumexp, "softmax": _softmax})
# kron, vec, reshape, pinv, adj
def _pinv(x: Node, dx: Node) -> Node:
    """Golub & Pereyra (1973), eq. 4.12 (also The Matrix Cookbook, sec. 3.6), valid where
    the rank of X is constant: ``dP = -P dX P + P P' dX' (I - X P) + (I - P X) dX' P' P``."""
    p = b.apply("pinv", x)
    rows, cols = x.shape.rows, x.shape.cols
    assert rows is not None and cols is not None
    dxt, pt = b.transpose(dx), b.transpose(p)
    return b.add(b.neg(b.mul(p, dx, p)),
                 b.mul(p, pt, dxt, b.sub(b.eye(rows), b.mul(x, p))),
                 b.mul(b.sub(b.eye(cols), b.mul(p, x)), dxt, pt, p))


def _adj(x: Node, dx: Node) -> Node:
    """``d adj(X) = adj(X) tr(inv(X) dX) - adj(X) dX inv(X)`` for invertible X: the
    product rule on adj(X) = det(X) inv(X) (Cookbook sec. 1.1, eqs. 46 and 59)."""
    a, inv = b.apply("adj", x), b.apply("inv", x)
    return b.sub(b.mul(a, b.apply("tr", b.mul(inv, dx))), b.mul(a, dx, inv))


DIFFERENTIALS.update({
    "kron": _product(b.kron),  # d kron(A, B) = kron(dA, B) + kron(A, dB) (Cookbook eq. 39)
    "vec": _unary(lambda u, du: b.vec(du)),
    "reshape": lambda node, d: None if d[0] is None else b.reshape(d[0], node.shape),
    "pinv": _unary(_pinv),
    "adj": _unary(_adj),
})
