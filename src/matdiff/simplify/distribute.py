"""Distributing a commutative product over sums when the expanded sum is shorter.

``s.*(1 - t) - t.*(1 - s) = s - t``: the gradient of a cross-entropy reaches the
textbook's ``sigmoid(X*w) - t`` only once both products are multiplied out and the
``s.*t`` terms cancel.  Multiplying out in general makes expressions longer, so this
rule expands a sum of elementwise products (``.*``, or products of scalars), collects
the monomials and keeps the result only when it has fewer nodes than the sum it
replaces (algebra: distributivity and commutativity of ``.*`` and of scalar products).
"""

from __future__ import annotations

from fractions import Fraction

from ..ir import Node
from ..ir import build as b
from ..shapes import SCALAR, Shape
from .numeric import numeric_value, split_power

MAX_MONOMIALS = 32
"""An expansion with more monomials than this is not tried (it would not be shorter)."""

Monomial = frozenset[tuple[Node, Fraction]]
Poly = dict[Monomial, Fraction]


class _TooLarge(Exception):
    pass


def _product(a: Poly, c: Poly) -> Poly:
    out: Poly = {}
    for ma, ka in a.items():
        for mc, kc in c.items():
            powers: dict[Node, Fraction] = dict(ma)
            for base, e in mc:
                powers[base] = powers.get(base, Fraction(0)) + e
            key = frozenset((x, e) for x, e in powers.items() if e != 0)
            out[key] = out.get(key, Fraction(0)) + ka * kc
            if len(out) > MAX_MONOMIALS:
                raise _TooLarge
    return out


def _atom(x: Node, seen: dict[Node, int]) -> Poly:
    base, e = split_power(x)
    seen.setdefault(base, len(seen))  # factors are rebuilt in the order first seen
    return {frozenset({(base, e)}): Fraction(1)}


def _poly(x: Node, seen: dict[Node, int], depth: int = 0) -> Poly:
    """``x`` as a polynomial in its factors (a sum of coefficient * monomial)."""
    value = numeric_value(x)
    if value is not None:
        return {frozenset(): value}
    if x.op == "add" and depth < 3:
        out: Poly = {}
        for t in x.args:
            for m, k in _poly(t, seen, depth + 1).items():
                out[m] = out.get(m, Fraction(0)) + k
        return out
    if x.op == "mul" and (all(a.shape.is_scalar for a in x.args) or (
            sum(not a.shape.is_scalar for a in x.args) == 1 and x.args[-1].shape == x.shape)):
        factors: tuple[Node, ...] = x.args  # scalars scale entrywise: c*s*(A .* B)
    elif x.op == "hadamard":
        factors = x.args
    elif x.op == "ediv":
        num, den = x.args
        inverse: Poly = {frozenset(): Fraction(1)}
        for f in den.args if den.op == "hadamard" else (den,):
            base, e = split_power(f)
            seen.setdefault(base, len(seen))
            inverse = _product(inverse, {frozenset({(base, -e)}): Fraction(1)})
        return _product(_poly(num, seen, depth), inverse)
    else:
        return _atom(x, seen)
    out = {frozenset(): Fraction(1)}
    for f in factors:
        out = _product(out, _poly(f, seen, depth))
    return out


def _build(poly: Poly, node: Node, seen: dict[Node, int]) -> Node:
    shape = node.shape
    terms: list[Node] = []
    for monomial, k in poly.items():
        if k == 0:
            continue
        ordered = sorted(monomial, key=lambda p: seen[p[0]])
        if not ordered:
            terms.append(b.fill(k, shape))
            continue
        if shape.is_scalar:
            core = _times([_power(x, e) for x, e in ordered], shape)
        else:  # scalings first, then the numerator ./ the denominator
            scalings = [_power(x, e) for x, e in ordered if x.shape.is_scalar]
            up = [_power(x, e) for x, e in ordered if e > 0 and not x.shape.is_scalar]
            down = [_power(x, -e) for x, e in ordered if e < 0 and not x.shape.is_scalar]
            if not up and not down:
                core = b.broadcast(_times(scalings, SCALAR), shape)
            else:
                core = _times(up, shape, hadamard=True)
                if down:
                    core = b.ediv(core, _times(down, shape, hadamard=True))
                if scalings:
                    core = b.mul(*scalings, core)
        terms.append(core if k == 1 else b.mul(b.const(k), core))
    return b.add(*terms) if terms else b.zero(shape)


def _power(x: Node, e: Fraction) -> Node:
    return x if e == 1 else b.power(x, b.fill(e, x.shape))


def _times(factors: list[Node], shape: Shape, hadamard: bool = False) -> Node:
    if not factors:
        return b.fill(1, shape)
    if len(factors) == 1:
        return factors[0]
    return b.hadamard(*factors) if hadamard else b.mul(*factors)


def add_distribute(node: Node) -> Node | None:
    """``A.*(B + C) + D = A.*B + A.*C + D`` (and for scalars), collected, when shorter."""
    scalar = node.shape.is_scalar
    if not any(_has_sum_factor(t, scalar) for t in node.args):
        return None
    seen: dict[Node, int] = {}
    try:
        poly = _poly(node, seen)
    except _TooLarge:
        return None
    expanded = _build(_sigmoid_derivatives(poly, seen), node, seen)
    return expanded if expanded.size < node.size else None


def _sigmoid_derivatives(poly: Poly, seen: dict[Node, int]) -> Poly:
    """``c*M.*s.^a - c*M.*s.^(a+1) = c*M.*s.^a.*(1 - s)`` for ``s = sigmoid(z)``: the
    logistic derivative kept in its textbook form (Bishop, PRML eq. 4.88)."""
    out = dict(poly)
    for m, k in poly.items():
        for x, e in m:
            if x.op != "sigmoid" or out.get(m) != k:
                continue
            rest = {y: f for y, f in m if y is not x}
            higher = frozenset({*rest.items(), (x, e + 1)})
            if out.get(higher) != -k:
                continue
            one_minus = b.sub(b.fill(1, x.shape), x)
            seen.setdefault(one_minus, len(seen))
            rest[one_minus] = rest.get(one_minus, Fraction(0)) + 1
            key = frozenset({*rest.items(), (x, e)})
            del out[m], out[higher]
            out[key] = out.get(key, Fraction(0)) + k
            break
    return out


def _has_sum_factor(t: Node, scalar: bool) -> bool:
    if not scalar and t.op == "mul" and t.args[-1].shape == t.shape:
        if any(f.op == "add" for f in t.args):
            return True
        t = t.args[-1]
    if t.op == "ediv":
        return t.args[0].op == "add" or _has_sum_factor(t.args[0], scalar)
    if t.op == "hadamard" or (scalar and t.op == "mul"):
        return any(f.op == "add" or (f.op == "ediv" and _has_sum_factor(f, scalar))
                   for f in t.args)
    return False
