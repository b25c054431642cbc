"""Procedures for the n-ary canonical forms of ``mul`` and ``add``.

Each function is one rule of :data:`~matdiff.simplify.rules.RULES`: it takes a node whose
operands are already simplified and returns the rewritten node, or ``None`` when it does
not apply.  Each does one thing, so the record names the step a textbook would name.

Canonical product (``mul``): one leading numeric coefficient (none if 1); then the other
scalar factors in their original order — plain ones, then grouped scalar products such
as ``x'*y``, then divisors ``s^-k`` — with equal bases collected into powers; then the
matrix chain, with identities dropped, equal neighbours collected into ``X^k``, and every
scalar-valued segment grouped as a scalar factor.  Canonical sum (``add``): like terms
collected with exact coefficients, in first-appearance order, the numeric term last.
"""

from __future__ import annotations

from fractions import Fraction

from ..ir import Node
from ..ir import build as b
from .numeric import numeric_value, split_power


def _is_number(node: Node) -> bool:
    """A scalar numeric constant (a ``fill`` is a vector/matrix, not a number)."""
    return node.op == "const"


def _is_grouped(f: Node) -> bool:
    """A scalar-valued product of non-scalar factors kept as one factor (``x'*y``)."""
    return f.op == "mul" and f.shape.is_scalar and any(not a.shape.is_scalar for a in f.args)


def _inner_of_vars(f: Node) -> tuple[Node, Node] | None:
    """``(u, v)`` if ``f`` is the grouped inner product ``u'*v`` of two vector vars."""
    if f.op != "mul" or len(f.args) != 2 or not f.shape.is_scalar:
        return None
    left, v = f.args
    if left.op != "transpose":
        return None
    u = left.args[0]
    if u.op == "var" and v.op == "var" and u.shape.kind == v.shape.kind == "vector":
        return u, v
    return None


# --- mul ----------------------------------------------------------------------------

def mul_zero(node: Node) -> Node | None:
    """``0*A = 0``: a zero factor (``0`` or ``vector(0)``/``matrix(0)``) zeroes the product."""
    if any(numeric_value(f) == 0 for f in node.args):
        return b.zero(node.shape)
    return None


def mul_constants(node: Node) -> Node | None:
    """``a*A*b*B = (a*b)*A*B`` and ``1*A = A``: one leading coefficient, none if it is 1."""
    numbers = [f for f in node.args if _is_number(f)]
    if not numbers:
        return None
    if len(numbers) == 1 and node.args[0] is numbers[0] and numbers[0].attrs[0] != 1:
        return None
    coef = Fraction(1)
    for f in numbers:
        coef *= f.attrs[0]
    rest = [f for f in node.args if not _is_number(f)]
    if not rest:
        return b.const(coef)
    return b.mul(*rest) if coef == 1 else b.mul(b.const(coef), *rest)


def mul_fill(node: Node) -> Node | None:
    """``c*matrix(d) = matrix(c*d)``: a number times a constant vector/matrix."""
    if len(node.args) == 2 and _is_number(node.args[0]) and node.args[1].op == "fill":
        return b.fill(node.args[0].attrs[0] * node.args[1].attrs[0], node.shape)
    return None


def mul_eye(node: Node) -> Node | None:
    """``A*I = I*A = A``: identities are dropped from a chain with another matrix factor."""
    big = [f for f in node.args if not f.shape.is_scalar]
    eyes = [f for f in big if f.op == "eye"]
    if not eyes or (len(eyes) == 1 and len(big) == 1):
        return None
    keep_one = len(eyes) == len(big)  # I*I = I: one identity stays
    out: list[Node] = []
    for f in node.args:
        if f.op != "eye":
            out.append(f)
        elif keep_one:
            out.append(f)
            keep_one = False
    return b.mul(*out)


def _split_matpow(f: Node) -> tuple[Node, int]:
    """A chain factor as ``F^k`` with ``k >= 1`` (``F`` is ``F^1``)."""
    if f.op == "matpow" and f.attrs[0] >= 1:
        return f.args[0], int(f.attrs[0])
    return f, 1


def mul_matpow(node: Node) -> Node | None:
    """``F^j * F^k = F^(j+k)`` for adjacent equal factors of a chain (``X*X = X^2``)."""
    out: list[tuple[Node, int]] = []
    merged = False
    for f in node.args:
        base, k = _split_matpow(f)
        if out and not f.shape.is_scalar and out[-1][0] is base:
            out[-1] = (base, out[-1][1] + k)
            merged = True
        else:
            out.append((base, k))
    if not merged:
        return None
    return b.mul(*(base if k == 1 else b.matpow(base, k) for base, k in out))


def _is_divisor(f: Node) -> bool:
    """``s^-k`` with a number ``k > 0``: a factor a textbook writes under a fraction bar."""
    if f.op != "power" or not f.shape.is_scalar:
        return False
    e = numeric_value(f.args[1])
    return e is not None and e < 0


def _scalar_rank(f: Node) -> int:
    if not f.shape.is_scalar:
        return 4
    if _is_number(f):
        return 0
    if _is_divisor(f):
        return 3
    return 2 if _is_grouped(f) else 1


def mul_scalars_first(node: Node) -> Node | None:
    """``A*s*B = s*A*B``: scaling commutes, so scalar factors lead — numbers, then the
    other scalars, then grouped scalar products (``x'*y``, wherever reassociation put
    them), then divisors ``s^-k`` (as ``2*a/b`` reads) — each group in its original
    order."""
    def rank(f: Node) -> int:
        return _scalar_rank(f)
    ordered = sorted(node.args, key=rank)  # stable
    if all(x is y for x, y in zip(ordered, node.args, strict=True)):
        return None
    return b.mul(*ordered)


def _closes(segment: list[Node]) -> bool:
    """Whether a run of chain factors multiplies to a scalar (starts with a row, ends
    with a column)."""
    return segment[0].shape.rows is None and segment[-1].shape.cols is None


def mul_splice_groups(node: Node) -> Node | None:
    """``(s*x'*y)*B = s*(x'*y)*B``: a grouped scalar factor holds only its chain; its own
    scalar factors join the outer product."""
    if not any(_is_grouped(f) and any(a.shape.is_scalar for a in f.args) for f in node.args):
        return None
    out: list[Node] = []
    for f in node.args:
        if _is_grouped(f):
            out += [a for a in f.args if a.shape.is_scalar]
            f = b.mul(*(a for a in f.args if not a.shape.is_scalar))
        out.append(f)
    return b.mul(*out)


def mul_group_scalars(node: Node) -> Node | None:
    """``x'*y*B = (x'*y)*B``: a chain is cut, left to right, wherever its running product
    is a scalar, and each such segment becomes one scalar factor — the grouping a
    left-to-right reading of ``x'*y*x'*A*x`` gives.  A last segment that is the whole
    rest of the chain stays a chain, unless it is one of several segments or stands
    beside a non-numeric scalar factor (``s*x'*y = s*(x'*y)``; ``2*x'*y`` stays)."""
    scalars = [f for f in node.args if f.shape.is_scalar]
    segments: list[list[Node]] = [[]]
    for f in node.args:
        if not f.shape.is_scalar:
            segments[-1].append(f)
            if _closes(segments[-1]):
                segments.append([])
    if not segments[-1]:
        segments.pop()
    if not segments or not _closes(segments[0]):
        return None
    last_alone = len(segments) == 1 and all(_is_number(s) for s in scalars)
    # ``x'*a*a'`` reads as seed 003 writes d(x'a)^2/dx (numerator layout): an inner
    # product followed by one row vector stays a chain, like ``a*a'*x`` (mul_outer).
    row_outer = (len(segments) == 2 and len(segments[0]) == 2 and len(segments[1]) == 1
                 and segments[1][0].op == "transpose"
                 and segments[1][0].args[0] is segments[0][1])
    if last_alone or row_outer:
        return None
    groups: list[Node] = []
    rest: list[Node] = []
    for seg in segments:
        if _closes(seg):
            groups.append(b.mul(*seg))
        else:
            rest += seg
    return b.mul(*scalars, *groups, *rest)


def mul_ungroup(node: Node) -> Node | None:
    """``2*(x'*y) = 2*x'*y``: a lone grouped factor beside numbers only is the chain
    itself (the inverse of :func:`mul_group_scalars` there)."""
    grouped = [f for f in node.args if _is_grouped(f)]
    if len(grouped) != 1 or not all(_is_number(f) or f is grouped[0] for f in node.args):
        return None
    return b.mul(*(f for f in node.args if f is not grouped[0]), *grouped[0].args)


def mul_collect_powers(node: Node) -> Node | None:
    """``s^a * s^b = s^(a+b)`` for scalar factors with numeric exponents, where defined
    (``s*s = s^2``, ``s*s^-1 = 1``, ``det(X)^-1*det(X) = 1``)."""
    totals: dict[Node, Fraction] = {}
    counts: dict[Node, int] = {}
    for f in node.args:
        if f.shape.is_scalar and not _is_number(f):
            base, e = split_power(f)
            totals[base] = totals.get(base, Fraction(0)) + e
            counts[base] = counts.get(base, 0) + 1
    if all(c == 1 for c in counts.values()):
        return None
    out: list[Node] = []
    done: set[Node] = set()
    for f in node.args:
        if not f.shape.is_scalar or _is_number(f):
            out.append(f)
            continue
        base = split_power(f)[0]
        if base in done:
            continue
        done.add(base)
        e = totals[base]
        if e == 1:
            out.append(base)
        elif e != 0:
            out.append(b.power(base, b.const(e)))
    return b.mul(*out) if out else b.const(1)


def mul_orient_inner(node: Node) -> Node | None:
    """``x'*a = a'*x`` (a scalar is its own transpose): in a chain, an inner product of two
    vector variables transposes the one whose name sorts first."""
    out: list[Node] = []
    changed = False
    for f in node.args:
        uv = _inner_of_vars(f)
        if uv is not None and uv[0].attrs[0] > uv[1].attrs[0]:
            u, v = uv
            f = b.mul(b.transpose(v), u)
            changed = True
        out.append(f)
    return b.mul(*out) if changed else None


def mul_outer(node: Node) -> Node | None:
    """``(u'*v)*w = w*u'*v``: a vector scaled by an inner product becomes a chain, as the
    Matrix Cookbook writes ``d(x'a)^2/dx = 2*a*a'*x``; for a row, ``(a'*x)*a' = x'*a*a'``
    (seed 003's numerator layout), the inner product turned to end in the row's vector."""
    big = [f for f in node.args if not f.shape.is_scalar]
    if len(big) != 1 or big[0].shape.kind not in ("vector", "row"):
        return None
    inner = next((f for f in node.args if _inner_of_vars(f) is not None), None)
    uv = None if inner is None else _inner_of_vars(inner)
    if inner is None or uv is None:
        return None
    scalars = [f for f in node.args if f.shape.is_scalar and f is not inner]
    if big[0].shape.kind == "vector":
        return b.mul(*scalars, big[0], *inner.args)
    u, v = uv
    if big[0].op != "transpose" or big[0].args[0] not in (u, v):
        return None
    if big[0].args[0] is u:
        u, v = v, u
    return b.mul(*scalars, b.transpose(u), v, big[0])


# --- add ----------------------------------------------------------------------------

def add_zero(node: Node) -> Node | None:
    """``A + 0 = A``; a sum of zeros is the zero of its shape."""
    terms = [t for t in node.args if numeric_value(t) != 0]
    if len(terms) == len(node.args):
        return None
    return b.add(*terms) if terms else b.zero(node.shape)


def add_distribute_number(node: Node) -> Node | None:
    """``c*(A + B) + C = c*A + c*B + C``: a number times a sum, as a term of a sum, is
    expanded so its terms can collect (``-(s - 2) + s - 2 = 0``).  A sum that is a factor
    of anything else stays whole (``-2*(X - U*V')*V``)."""
    def expandable(t: Node) -> bool:
        return (t.op == "mul" and len(t.args) == 2 and _is_number(t.args[0])
                and t.args[1].op == "add")
    if not any(expandable(t) for t in node.args):
        return None
    out: list[Node] = []
    for t in node.args:
        if expandable(t):
            out += [b.mul(t.args[0], u) for u in t.args[1].args]
        else:
            out.append(t)
    return b.add(*out)


def _split_coefficient(t: Node) -> tuple[Fraction, Node]:
    """A term as ``coefficient * rest`` (the leading number of a canonical product)."""
    if t.op == "mul" and _is_number(t.args[0]):
        return t.args[0].attrs[0], b.mul(*t.args[1:])
    return Fraction(1), t


def add_collect(node: Node) -> Node | None:
    """``a*T + b*T = (a+b)*T``: like terms collected with exact coefficients, in the order
    they first appear (``A*x + A*x = 2*A*x``, ``x - x = 0``)."""
    coefs: dict[Node, Fraction] = {}
    counts: dict[Node, int] = {}
    numbers: list[Node] = []
    for t in node.args:
        if numeric_value(t) is not None:
            numbers.append(t)
            continue
        c, rest = _split_coefficient(t)
        coefs[rest] = coefs.get(rest, Fraction(0)) + c
        counts[rest] = counts.get(rest, 0) + 1
    if all(n == 1 for n in counts.values()):
        return None
    out: list[Node] = []
    for rest, c in coefs.items():
        if c == 1:
            out.append(rest)
        elif c != 0:
            out.append(b.mul(b.const(c), rest))
    out += numbers
    return b.add(*out) if out else b.zero(node.shape)


def _negative(t: Node) -> bool:
    value = numeric_value(t)
    if value is not None:
        return value < 0
    return t.op == "mul" and _is_number(t.args[0]) and t.args[0].attrs[0] < 0


def add_constants(node: Node) -> Node | None:
    """``a + A + b = A + (a+b)``: numeric terms (numbers, or fills of the sum's shape)
    summed into one, written last — except that a sum does not open with a minus when
    it has a positive term: ``-tanh(x).^2 + 1`` is written ``1 - tanh(x).^2`` and
    ``-A + B`` is ``B - A`` (terms otherwise keep their order)."""
    numbers = [t for t in node.args if numeric_value(t) is not None]
    total = sum((numeric_value(t) or Fraction(0) for t in numbers), Fraction(0))
    terms = [t for t in node.args if numeric_value(t) is None]
    number = (b.fill(total, node.shape) if numbers and (total != 0 or not terms)
              else None)
    if number is not None:
        terms.append(number)
    if _negative(terms[0]):
        lead = next((t for t in terms if not _negative(t)), None)
        if lead is not None:
            terms.remove(lead)
            terms.insert(0, lead)
    if len(terms) == len(node.args) and all(a is t for a, t in zip(node.args, terms,
                                                                   strict=True)):
        return None
    return b.add(*terms)


def _chain(t: Node) -> list[Node]:
    return list(t.args) if t.op == "mul" else [t]


def _factor_out(node: Node, side: str) -> Node | None:
    """Pull a common non-scalar factor out of several terms on one ``side``."""
    groups: dict[Node, list[tuple[int, Node]]] = {}
    for i, t in enumerate(node.args):
        chain = _chain(t)
        k = -1 if side == "right" else next(
            (j for j, f in enumerate(chain) if not f.shape.is_scalar), 0)
        common = chain[k]
        rest = chain[:-1] if side == "right" else chain[:k] + chain[k + 1:]
        if common.shape.is_scalar or not any(not f.shape.is_scalar for f in rest):
            continue  # the rest must stay a matrix/vector so the sum keeps one shape
        groups.setdefault(common, []).append((i, b.mul(*rest)))
    for common, members in groups.items():
        if len(members) < 2 or len({r.shape for _, r in members}) != 1:
            continue
        inner = b.add(*(r for _, r in members))
        factored = b.mul(inner, common) if side == "right" else b.mul(common, inner)
        first = members[0][0]
        taken = {i for i, _ in members}
        terms = [factored if i == first else t for i, t in enumerate(node.args)
                 if i == first or i not in taken]
        return b.add(*terms)
    return None


def add_factor_right(node: Node) -> Node | None:
    """``A*x + B*x = (A + B)*x``: a common right factor of several terms pulled out
    (always shorter: one product instead of several).  Seed 003: ``x'(A + A')``."""
    return _factor_out(node, "right")


def add_factor_left(node: Node) -> Node | None:
    """``X'*a + X'*b = X'*(a + b)``: a common left factor pulled out."""
    return _factor_out(node, "left")


def add_common_coefficient(node: Node) -> Node | None:
    """``2*A + 2*B = 2*(A + B)``: a number shared by every term is pulled out (not -1:
    ``-A - B`` is as short as ``-(A + B)``)."""
    coefs = {_split_coefficient(t)[0] for t in node.args}
    sizes = {abs(c) for c in coefs}
    if len(sizes) != 1:
        return None
    (size,) = sizes
    if size in (0, 1):
        return None
    # Signs stay inside: 0.5*A - 0.5*B = 0.5*(A - B); a common minus is pulled too.
    c = -size if all(x < 0 for x in coefs) else size
    return b.mul(b.const(c), b.add(*(b.mul(b.const(k / c), r) if k != c else r
                                       for k, r in map(_split_coefficient, node.args))))


def mul_sign_abs(node: Node) -> Node | None:
    """``sign(s)*s = abs(s)`` for a scalar ``s`` (true everywhere, 0 included), so that
    ``sign(det(X))*det(X)/abs(det(X))`` cancels to 1 (Matrix Cookbook eq. 57)."""
    args = list(node.args)
    for i, f in enumerate(args):
        if f.op == "sign" and f.shape.is_scalar and f.args[0] in args:
            j = args.index(f.args[0])
            args[i] = b.apply("abs", f.args[0])
            del args[j]
            return b.mul(*args)
    return None


def add_common_scalar(node: Node) -> Node | None:
    """``s*A + s*B + C = s*(A + B) + C`` for a non-numeric scalar factor ``s`` of two or
    more terms (``det(X)*(2*inv(X) - diag(diag(inv(X))))``, Matrix Cookbook eq. 140's
    form): one product instead of one per term.  The factor shared by the most terms is
    taken (the larger on a tie)."""
    def scalars(t: Node) -> list[Node]:
        if t.op != "mul":
            return []
        return [f for f in t.args if f.shape.is_scalar and not _is_number(f)]

    counts: dict[Node, int] = {}
    for t in node.args:
        for f in set(scalars(t)):
            counts[f] = counts.get(f, 0) + 1
    if not counts:
        return None
    common = max(counts, key=lambda f: (counts[f], f.size))
    if counts[common] < 2:
        return None
    grouped: list[Node] = []
    others: list[Node] = []
    for t in node.args:
        if common not in scalars(t):
            others.append(t)
            continue
        factors = list(t.args)
        factors.remove(common)
        grouped.append(b.mul(*factors))
    return b.add(b.mul(common, b.add(*grouped)), *others)


def mul_negated_sum(node: Node) -> Node | None:
    """``A*(-B - C)*D = -A*(B + C)*D``: a factor of a chain whose terms are all negative
    gives its sign to the chain's coefficient (``-A - B`` alone stays as it is)."""
    for k, f in enumerate(node.args):
        if f.op == "add" and not f.shape.is_scalar and all(_negative(t) for t in f.args):
            flipped = b.add(*(b.mul(b.const(-c), r) for c, r in map(_split_coefficient,
                                                                   f.args)))
            return b.mul(b.const(-1), *node.args[:k], flipped, *node.args[k + 1:])
    return None
