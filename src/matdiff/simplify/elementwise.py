"""Procedures for the elementwise products and quotients, ``hadamard`` (``.*``) and
``ediv`` (``./``).

Canonical form: scalings are pulled out in front (``s*(A .* B)``, like a matrix product's
coefficient), a quotient is one ``./`` with the product of the numerators over the
product of the denominators, equal bases are collected into powers (``x.*x = x.^2``),
and the factors of ``.*`` — which commutes — are in one fixed order, so that ``x.*y``
and ``y.*x`` are the same term and collect.
"""

from __future__ import annotations

from fractions import Fraction

from ..ir import Node
from ..ir import build as b
from .numeric import numeric_value, split_power


def _split_scalars(f: Node) -> tuple[list[Node], Node]:
    """A non-scalar product ``s1*s2*F1*F2`` as ``([s1, s2], F1*F2)``."""
    if f.op != "mul":
        return [], f
    scalars = [a for a in f.args if a.shape.is_scalar]
    if not scalars:
        return [], f
    return scalars, b.mul(*(a for a in f.args if not a.shape.is_scalar))


# --- hadamard ---------------------------------------------------------------------------

def hadamard_zero(node: Node) -> Node | None:
    """``A .* 0 = 0``."""
    if any(numeric_value(f) == 0 for f in node.args):
        return b.zero(node.shape)
    return None


def hadamard_one(node: Node) -> Node | None:
    """``A .* matrix(1) = A``: all-ones factors are dropped."""
    rest = [f for f in node.args if numeric_value(f) != 1]
    if len(rest) == len(node.args):
        return None
    return b.hadamard(*rest) if rest else b.fill(1, node.shape)


def hadamard_scale(node: Node) -> Node | None:
    """``matrix(c) .* A = c*A`` and ``broadcast(s) .* A = s*A``: a factor with all entries
    equal is a scaling."""
    scales: list[Node] = []
    rest: list[Node] = []
    for f in node.args:
        if f.op == "fill":
            scales.append(b.const(f.attrs[0]))
        elif f.op == "broadcast":
            scales.append(f.args[0])
        elif f.shape.is_scalar:
            scales.append(f)
        else:
            rest.append(f)
    if not rest:  # every factor is a scaling: the last one stays as the base
        scales.pop()
        rest.append(node.args[-1])
    if not scales:
        return None
    return b.mul(*scales, b.hadamard(*rest))


def hadamard_scalars_out(node: Node) -> Node | None:
    """``(s*A) .* B = s*(A .* B)``: scalar factors of a product leave the ``.*``."""
    scales: list[Node] = []
    rest: list[Node] = []
    for f in node.args:
        sc, core = _split_scalars(f)
        scales += sc
        rest.append(core)
    return b.mul(*scales, b.hadamard(*rest)) if scales else None


def hadamard_ediv(node: Node) -> Node | None:
    """``(A ./ Y) .* B = (A .* B) ./ Y``: one quotient, the numerators multiplied."""
    i = next((i for i, f in enumerate(node.args) if f.op == "ediv"), None)
    if i is None:
        return None
    num, den = node.args[i].args
    others = node.args[:i] + node.args[i + 1:]
    return b.ediv(b.hadamard(num, *others), den)


def hadamard_collect_powers(node: Node) -> Node | None:
    """``A.^a .* A.^b = A.^(a+b)`` (so ``x.*x = x.^2``), where defined."""
    totals: dict[Node, Fraction] = {}
    for f in node.args:
        base, e = split_power(f)
        totals[base] = totals.get(base, Fraction(0)) + e
    if len(totals) == len(node.args):
        return None
    out: list[Node] = []
    for base, e in totals.items():
        if e == 1:
            out.append(base)
        elif e != 0:
            out.append(b.power(base, b.fill(e, node.shape)))
    return b.hadamard(*out) if out else b.fill(1, node.shape)


def _order_key(f: Node) -> tuple[int, str, str]:
    """Smaller factors first; leaves by name or value; otherwise the given order stays."""
    leaf = str(f.attrs[0]) if f.op in ("var", "differential", "const", "fill") else ""
    return f.size, f.op, leaf


def hadamard_order(node: Node) -> Node | None:
    """``A .* B = B .* A``: the factors of ``.*`` in one canonical order (smaller first,
    leaves by name), so equal products are equal terms."""
    ordered = sorted(node.args, key=_order_key)  # stable
    if all(x is y for x, y in zip(ordered, node.args, strict=True)):
        return None
    return b.hadamard(*ordered)


# --- ediv -----------------------------------------------------------------------------

def ediv_scale(node: Node) -> Node | None:
    """``A ./ matrix(c) = (1/c)*A`` for ``c != 0``, and ``A ./ broadcast(s) = s^-1 * A``."""
    x, d = node.args
    c = numeric_value(d)
    if c is not None and c != 0:
        return b.mul(b.const(1 / c), x)
    if d.op == "broadcast":
        return b.mul(b.power(d.args[0], b.const(-1)), x)
    return None


def ediv_scalars_out(node: Node) -> Node | None:
    """``(s*A) ./ B = s*(A ./ B)``, ``A ./ (s*B) = s^-1*(A ./ B)`` and
    ``matrix(c) ./ B = c*(1 ./ B)``: scalings leave the quotient."""
    num, den = node.args
    c = numeric_value(num)
    if c is not None and c not in (0, 1):
        return b.mul(b.const(c), b.ediv(b.fill(1, node.shape), den))
    up, num_core = _split_scalars(num)
    down, den_core = _split_scalars(den)
    if (not up and not down) or any(numeric_value(s) == 0 for s in down):
        return None
    inverted = [b.const(1 / s.attrs[0]) if s.op == "const" else b.power(s, b.const(-1))
                for s in down]
    return b.mul(*up, *inverted, b.ediv(num_core, den_core))


def ediv_of_ediv(node: Node) -> Node | None:
    """``(A ./ B) ./ C = A ./ (B .* C)`` and ``A ./ (B ./ C) = (A .* C) ./ B``."""
    num, den = node.args
    if num.op == "ediv":
        return b.ediv(num.args[0], b.hadamard(num.args[1], den))
    if den.op == "ediv":
        return b.ediv(b.hadamard(num, den.args[1]), den.args[0])
    return None


def hadamard_sign_abs(node: Node) -> Node | None:
    """``sign(A) .* A = abs(A)`` (entrywise, true everywhere)."""
    args = list(node.args)
    for i, f in enumerate(args):
        if f.op == "sign" and f.args[0] in args:
            j = args.index(f.args[0])
            args[i] = b.apply("abs", f.args[0])
            del args[j]
            return b.hadamard(*args)
    return None


def ediv_logistic(node: Node) -> Node | None:
    """``(A .* exp(u)) ./ (exp(u) + c) = A ./ (1 + c*exp(-u))`` (numerator and denominator
    divided by ``exp(u)``): the logistic function as textbooks write it,
    ``exp(z) ./ (1 + exp(z)) = 1 ./ (1 + exp(-z))``; one ``exp`` instead of two."""
    num, den = node.args
    if den.op != "add" or len(den.args) != 2:
        return None
    terms = list(den.args)
    for k, e in enumerate(terms):
        c = numeric_value(terms[1 - k])
        if e.op != "exp" or c is None or c == 0:
            continue
        factors = list(num.args) if num.op == "hadamard" else [num]
        if e not in factors:
            continue
        factors.remove(e)
        rest = b.hadamard(*factors) if factors else b.fill(1, node.shape)
        flipped = b.apply("exp", b.neg(e.args[0]))
        return b.ediv(rest, b.add(b.fill(1, node.shape), b.mul(b.const(c), flipped)))
    return None


def _negated(u: Node) -> Node | None:
    """``v`` for ``u = -v`` (a product with a negative number in front), else ``None``."""
    if u.op == "mul" and u.args[0].op == "const" and u.args[0].attrs[0] < 0:
        return b.mul(b.const(-u.args[0].attrs[0]), *u.args[1:])
    return None


def ediv_logistic_square(node: Node) -> Node | None:
    """``(A .* exp(-v)) ./ (exp(-v) + c).^2 = (A .* exp(v)) ./ (1 + c*exp(v)).^2``
    (numerator and denominator times ``exp(2v)``): the logistic derivative
    ``s .* (1 - s)`` written with ``exp(v)``, not ``exp(-v)``."""
    num, den = node.args
    if den.op != "power" or numeric_value(den.args[1]) != 2 or den.args[0].op != "add":
        return None
    base = den.args[0]
    if len(base.args) != 2:
        return None
    for k, e in enumerate(base.args):
        c = numeric_value(base.args[1 - k])
        v = _negated(e.args[0]) if e.op == "exp" else None
        factors = list(num.args) if num.op == "hadamard" else [num]
        if v is None or c is None or e not in factors:
            continue
        factors[factors.index(e)] = b.apply("exp", v)
        flipped = b.add(b.fill(1, base.shape), b.mul(b.const(c), b.apply("exp", v)))
        return b.ediv(b.hadamard(*factors), b.power(flipped, den.args[1]))
    return None


def _powers(x: Node) -> dict[Node, Fraction]:
    """``A.^a .* B.^b`` as {A: a, B: b} (numeric exponents; a bare factor has 1)."""
    out: dict[Node, Fraction] = {}
    for f in x.args if x.op == "hadamard" else (x,):
        base, k = split_power(f)
        out[base] = out.get(base, Fraction(0)) + k
    return out


def ediv_cancel(node: Node) -> Node | None:
    """``(A .* B) ./ (A .* C) = B ./ C`` and ``A.^3 ./ A = A.^2``: a factor of both the
    numerator and the denominator cancels, where defined."""
    num, den = (_powers(x) for x in node.args)
    common = [f for f in num if f in den and numeric_value(f) is None]
    if not common:
        return None
    for f in common:
        k = min(num[f], den[f])
        num[f] -= k
        den[f] -= k

    def rebuild(powers: dict[Node, Fraction]) -> Node:
        factors = [f if k == 1 else b.power(f, b.fill(k, f.shape))
                   for f, k in powers.items() if k != 0]
        return b.hadamard(*factors) if factors else b.fill(1, node.shape)

    return b.ediv(rebuild(num), rebuild(den))
