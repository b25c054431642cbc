"""The logistic family in the simplifier's vocabulary: ``sigmoid`` and ``softplus``.

The identities (Bishop, PRML sec. 4.2, eqs. 4.59, 4.88; Goodfellow et al., Deep
Learning sec. 3.10, eqs. 3.33-3.41), with ``s = sigmoid(u) = 1/(1 + exp(-u))``:

* ``exp(u)/(1 + exp(u)) = s`` and ``1/(1 + exp(u)) = 1 - s``, so a quotient
  ``exp(u)^m/(1 + exp(u))^k`` (``0 <= m <= k``) is ``s^m .* (1 - s)^(k-m)``: the
  logistic function ``1 ./ (1 + exp(-z)) = sigmoid(z)`` and its derivative
  ``exp(z) ./ (1 + exp(z)).^2 = sigmoid(z) .* (1 - sigmoid(z))``;
* ``sigmoid(-z) = 1 - sigmoid(z)`` (eq. 3.33: terms in ``sigmoid(z)`` collect);
* ``log(1 + exp(z)) = softplus(z)`` (eq. 3.31's definition),
  ``log(sigmoid(z)) = -softplus(-z)`` and ``log(1 - sigmoid(z)) = -softplus(z)``
  (eqs. 3.35-3.36 read with ``1 - sigmoid(z) = sigmoid(-z)``);
* ``softplus(z) - softplus(-z) = z`` (eq. 3.41).

The quotient rule works on any product: ``./`` (elementwise), a scalar product
``a*b^-1`` (``mul`` of scalars) and a lone power ``(1 + exp(a))^-1``.
"""

from __future__ import annotations

from fractions import Fraction

from ..ir import Node, make
from ..ir import build as b
from .numeric import numeric_value, split_power


def negated(u: Node) -> Node | None:
    """``v`` for ``u = -v`` (a product with a negative number in front), else ``None``."""
    if u.op == "mul" and u.args[0].op == "const" and u.args[0].attrs[0] < 0:
        c, rest = -u.args[0].attrs[0], u.args[1:]
        if c == 1:
            return b.mul(*rest) if len(rest) > 1 else rest[0]
        return b.mul(b.const(c), *rest)
    return None


def minus(z: Node) -> Node:
    """``-z`` in canonical form (``-(-v) = v``)."""
    v = negated(z)
    return v if v is not None else b.neg(z)


def _one_plus_exp(x: Node) -> Node | None:
    """``u`` for ``x = 1 + exp(u)`` (either order), else ``None``."""
    if x.op != "add" or len(x.args) != 2:
        return None
    for k, e in enumerate(x.args):
        if e.op == "exp" and numeric_value(x.args[1 - k]) == 1:
            return e.args[0]
    return None


def _one_minus_sigmoid(x: Node) -> Node | None:
    """``z`` for ``x = 1 - sigmoid(z)`` (either order), else ``None``."""
    if x.op != "add" or len(x.args) != 2:
        return None
    for k, t in enumerate(x.args):
        if (numeric_value(x.args[1 - k]) == 1 and t.op == "mul" and len(t.args) == 2
                and numeric_value(t.args[0]) == -1 and t.args[1].op == "sigmoid"):
            return t.args[1].args[0]
    return None


def _power(x: Node, k: Fraction) -> Node:
    return x if k == 1 else b.power(x, b.fill(k, x.shape))


def _sigmoid_pair(u: Node) -> tuple[Node, Node]:
    """``(sigmoid(u), 1 - sigmoid(u))`` written with ``sigmoid`` of a positive argument:
    for ``u = -z`` that is ``(1 - sigmoid(z), sigmoid(z))``."""
    z = negated(u)
    s = b.apply("sigmoid", u if z is None else z)
    one_minus = b.sub(b.fill(1, s.shape), s)
    return (s, one_minus) if z is None else (one_minus, s)


def _positive_integer(k: Fraction) -> bool:
    return k > 0 and k.denominator == 1


def logistic_factors(factors: list[Node]) -> list[Node] | None:
    """The factors of a product in the logistic vocabulary, or ``None`` if nothing
    changes: ``(1 + exp(u))^-k = (1 - sigmoid(u))^k`` (``k`` a positive integer), then
    ``exp(z) * (1 - sigmoid(z)) = sigmoid(z)`` and ``exp(-z) * sigmoid(z) = 1 -
    sigmoid(z)`` as often as the integer powers allow."""
    powers: dict[Node, Fraction] = {}

    def put(base: Node, e: Fraction) -> None:
        powers[base] = powers.get(base, Fraction(0)) + e

    for f in factors:
        put(*split_power(f))
    changed = False
    for base, k in list(powers.items()):
        u = _one_plus_exp(base)
        if u is not None and _positive_integer(-k):
            powers[base] = Fraction(0)
            put(_sigmoid_pair(u)[1], -k)
            changed = True
    for base, m in list(powers.items()):
        if base.op != "exp" or not _positive_integer(m):
            continue
        v = base.args[0]
        z = negated(v)
        s_v = b.apply("sigmoid", v)
        pairs = [(b.sub(b.fill(1, s_v.shape), s_v), s_v)]  # exp(v) * (1 - s(v)) = s(v)
        if z is not None:  # exp(-z) * s(z) = 1 - s(z)
            s_z = b.apply("sigmoid", z)
            pairs.append((s_z, b.sub(b.fill(1, s_z.shape), s_z)))
        for partner, product in pairs:
            k = powers.get(partner, Fraction(0))
            j = min(k, powers[base])
            if not _positive_integer(k) or not _positive_integer(j):
                continue
            j = Fraction(int(j))
            powers[base] -= j
            powers[partner] -= j
            put(product, j)
            changed = True
    if not changed:
        return None
    return [_power(base, e) for base, e in powers.items() if e != 0]


def _factors(x: Node) -> list[Node]:
    return list(x.args) if x.op == "hadamard" else [x]


def ediv_sigmoid(node: Node) -> Node | None:
    """``(A .* exp(u).^m) ./ (B .* (1 + exp(u)).^k) = (A .* sigmoid(u).^m .*
    (1 - sigmoid(u)).^(k-m)) ./ B``."""
    num, den = node.args
    inverted = [_power(base, -e) for base, e in map(split_power, _factors(den))]
    new = logistic_factors(_factors(num) + inverted)
    if new is None:
        return None
    ups = [f for f in new if split_power(f)[1] > 0]
    downs = [_power(base, -e) for base, e in map(split_power, new) if e < 0]
    top = b.hadamard(*ups) if ups else b.fill(1, node.shape)
    return b.ediv(top, b.hadamard(*downs)) if downs else top


def hadamard_sigmoid(node: Node) -> Node | None:
    """``exp(z) .* (1 - sigmoid(z)) = sigmoid(z)``, ``exp(-z) .* sigmoid(z) = 1 -
    sigmoid(z)`` among the factors of ``.*``."""
    new = logistic_factors(list(node.args))
    if new is None:
        return None
    return b.hadamard(*new) if len(new) > 1 else new[0] if new else b.fill(1, node.shape)


def mul_sigmoid(node: Node) -> Node | None:
    """The scalar ``exp(a)^m/(1 + exp(a))^k`` in a product of scalars, as ``ediv_sigmoid``
    (``1/(1 + exp(-a)) = sigmoid(a)``)."""
    if not all(a.shape.is_scalar for a in node.args):
        return None
    new = logistic_factors(list(node.args))
    if new is None:
        return None
    return b.mul(*new) if len(new) > 1 else new[0] if new else b.const(1)


def power_sigmoid(node: Node) -> Node | None:
    """``(1 + exp(u)).^-k = (1 - sigmoid(u)).^k``."""
    new = logistic_factors([node])
    if not new:
        return None
    if node.shape.is_scalar:
        return b.mul(*new) if len(new) > 1 else new[0]
    return b.hadamard(*new) if len(new) > 1 else new[0]


def sigmoid_of_negated(node: Node) -> Node | None:
    """``sigmoid(-z) = 1 - sigmoid(z)``."""
    z = negated(node.args[0])
    if z is None:
        return None
    return b.sub(b.fill(1, node.shape), b.apply("sigmoid", z))


def log_softplus(node: Node) -> Node | None:
    """``log(1 + exp(z)) = softplus(z)``; ``log(sigmoid(z)) = -softplus(-z)``;
    ``log(1 - sigmoid(z)) = -softplus(z)``."""
    x = node.args[0]
    u = _one_plus_exp(x)
    if u is not None:
        return b.apply("softplus", u)
    if x.op == "sigmoid":
        return b.neg(b.apply("softplus", minus(x.args[0])))
    z = _one_minus_sigmoid(x)
    if z is not None:
        return b.neg(b.apply("softplus", z))
    return None


def softplus_difference(node: Node) -> Node | None:
    """``c*softplus(z) - c*softplus(-z) = c*z`` in a sum (Goodfellow et al., eq. 3.41)."""
    coefficients: dict[Node, tuple[int, Fraction]] = {}
    for i, t in enumerate(node.args):
        c, core = Fraction(1), t
        if t.op == "mul" and t.args[0].op == "const" and len(t.args) == 2:
            c, core = t.args[0].attrs[0], t.args[1]
        if core.op == "softplus":
            coefficients[core] = (i, c)
    for sp, (i, c) in coefficients.items():
        z = sp.args[0]
        other = coefficients.get(b.apply("softplus", minus(z)))
        if other is None or other[1] != -c or other[0] == i:
            continue
        rest = [t for j, t in enumerate(node.args) if j not in (i, other[0])]
        return b.add(*rest, b.mul(b.const(c), z))
    return None


_RECOGNISERS = {"ediv": ediv_sigmoid, "hadamard": hadamard_sigmoid, "mul": mul_sigmoid,
                "power": power_sigmoid}


def recognise(expr: Node) -> Node:
    """``expr`` with the logistic function and softplus written by name: every
    ``exp(u)^m/(1 + exp(u))^k`` as ``sigmoid(u)^m .* (1 - sigmoid(u))^(k-m)`` and every
    ``log(1 + exp(u))`` as ``softplus(u)``, nothing else changed (equal values).  The
    derivative of a loss written with ``1 ./ (1 + exp(-X*w))`` is then the derivative of
    the sigmoid, which the simplifier prints as textbooks do."""
    done: dict[Node, Node] = {}
    for n in expr.walk():  # children first
        if n in done:
            continue
        args = [done[a] for a in n.args]
        new = n if all(x is y for x, y in zip(args, n.args, strict=True)) else (
            b.add(*args) if n.op == "add" else b.mul(*args) if n.op == "mul" else
            b.hadamard(*args) if n.op == "hadamard" else make(n.op, tuple(args), n.attrs))
        found: Node | None = None
        if new.op in _RECOGNISERS:
            found = _RECOGNISERS[new.op](new)
        elif new.op == "log" and (u := _one_plus_exp(new.args[0])) is not None:
            found = b.apply("softplus", u)
        done[n] = new if found is None else found
    return done[expr]
