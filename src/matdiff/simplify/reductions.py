"""Rewrites that speak the vocabulary of softmax and log-sum-exp (rows of ``rules.py``).

With ``E = exp(Z)`` (Bishop, PRML eq. 4.104 and 4.106; Boyd & Vandenberghe sec. 3.1.5):

* ``exp(x)/sum(exp(x)) = softmax(x)``, and a product ``exp(x)*exp(x)'/sum(exp(x))^2``
  (every ``exp(x)``, ``exp(x)'`` or ``diag(exp(x))`` factor against one power of the sum)
  ``= softmax(x)*softmax(x)'``;
* the row normalisation ``E .* ((1 ./ (E*1))*1')`` = ``E ./ ((E*1)*1')`` =
  ``diag(1 ./ (E*1))*E`` = ``softmax(Z, 2)``; the column one ``E .* (1*(1 ./ (1'*E)))`` =
  ``E ./ (1*(1'*E))`` = ``softmax(Z, 1)``;
* ``log(sum(exp(x))) = logsumexp(x)``, ``log(exp(X)*1) = logsumexp(X, 2)``,
  ``log(1'*exp(X)) = logsumexp(X, 1)``;
* ``log(softmax(z)) = z - logsumexp(z)`` (by rows ``Z - logsumexp(Z, 2)*1'``);
* ``1*1' = matrix(1)`` (the outer product of ones vectors).
"""

from __future__ import annotations

from ..ir import Node, make
from ..ir import build as b
from ..ir import reductions as r


def _ones(node: Node, kind: str) -> bool:
    return node.op == "fill" and node.attrs[0] == 1 and node.shape.kind == kind


def _sums(node: Node) -> tuple[Node, int] | None:
    """``(E, 2)`` for ``E*1`` (E a matrix: its row sums), ``(E, 1)`` for ``1'*E``."""
    if node.op != "mul" or len(node.args) != 2:
        return None
    left, right = node.args
    if _ones(right, "vector") and left.shape.kind == "matrix":
        return left, 2
    if _ones(left, "row") and right.shape.kind == "matrix":
        return right, 1
    return None


def _reciprocal(node: Node) -> Node | None:
    """``v`` for ``1 ./ v`` or ``v.^-1``."""
    if node.op == "ediv" and b.is_const(node.args[0], 1):
        return node.args[1]
    if node.op == "power" and b.is_const(node.args[1], -1):
        return node.args[0]
    return None


def _exp_matrix(node: Node) -> Node | None:
    return node.args[0] if node.op == "exp" and node.shape.kind == "matrix" else None


def _spread_reciprocal(node: Node) -> tuple[Node, int] | None:
    """``(E, 2)`` for ``(1 ./ (E*1))*1'``, ``(E, 1)`` for ``1*(1 ./ (1'*E))``: the
    reciprocal sums of ``E`` repeated to its shape."""
    if node.op != "mul" or len(node.args) != 2:
        return None
    left, right = node.args
    if _ones(right, "row"):
        inner = _reciprocal(left)
        found = None if inner is None else _sums(inner)
        return found if found is not None and found[1] == 2 else None
    if _ones(left, "vector"):
        inner = _reciprocal(right)
        found = None if inner is None else _sums(inner)
        return found if found is not None and found[1] == 1 else None
    return None


def _spread_sums(node: Node) -> tuple[Node, int] | None:
    """``(E, 2)`` for ``E*1*1'`` (``E*matrix(1)``: each row's sum in every entry of the
    row), ``(E, 1)`` for ``1*1'*E`` (``matrix(1)*E``)."""
    if node.op != "mul":
        return None
    args = node.args
    if len(args) == 3:
        a, m, c = args
        if _ones(m, "vector") and _ones(c, "row") and a.shape.kind == "matrix":
            return a, 2
        if _ones(a, "vector") and _ones(m, "row") and c.shape.kind == "matrix":
            return c, 1
    if len(args) == 2:
        a, c = args
        if _ones(c, "matrix") and a.shape.kind == "matrix":
            return a, 2
        if _ones(a, "matrix") and c.shape.kind == "matrix":
            return c, 1
    return None


def hadamard_softmax(node: Node) -> Node | None:
    """``E .* ((1 ./ (E*1))*1') = softmax(Z, 2)`` (and by columns), among other factors."""
    args = list(node.args)
    for i, f in enumerate(args):
        found = _spread_reciprocal(f)
        if found is None:
            continue
        e, dim = found
        z = _exp_matrix(e)
        if z is None or e not in args:
            continue
        j = args.index(e)
        rest = [a for k, a in enumerate(args) if k not in (i, j)]
        return b.hadamard(*rest, r.softmax(z, dim)) if rest else r.softmax(z, dim)
    return None


def ediv_softmax(node: Node) -> Node | None:
    """``E ./ ((E*1)*1') = softmax(Z, 2)``; ``E ./ (1*(1'*E)) = softmax(Z, 1)``."""
    e, denominator = node.args
    z = _exp_matrix(e)
    found = None if z is None else _spread_sums(denominator)
    if z is None or found is None or found[0] is not e:
        return None
    return r.softmax(z, found[1])


def mul_softmax(node: Node) -> Node | None:
    """``diag(1 ./ (E*1))*E = softmax(Z, 2)``; ``E*diag(1 ./ (E'*1)) = softmax(Z, 1)``
    (``E' = exp(Z')``); and ``exp(x)/sum(exp(x)) = softmax(x)``."""
    args = list(node.args)
    for i in range(len(args) - 1):
        left, right = args[i], args[i + 1]
        new = None
        if left.op == "diagm" and _exp_matrix(right) is not None:
            inner = _reciprocal(left.args[0])
            if inner is not None and _sums(inner) == (right, 2):
                new = r.softmax(right.args[0], 2)
        if right.op == "diagm" and _exp_matrix(left) is not None:
            inner = _reciprocal(right.args[0])
            z = left.args[0]
            if inner is not None and _sums(inner) == (b.apply("exp", b.transpose(z)), 2):
                new = r.softmax(z, 1)
        if new is not None:
            return b.mul(*args[:i], new, *args[i + 2:])
    return _vector_softmax(args)


def _exp_vector(node: Node) -> tuple[Node, str] | None:
    """``(exp(z), how)`` for a factor ``exp(z)`` (how ``""``), ``exp(z)'`` (``"T"``) or
    ``diag(exp(z))`` (``"diag"``), ``z`` a vector or a row."""
    if node.op == "transpose":
        inner = _exp_vector(node.args[0])
        return None if inner is None or inner[1] else (inner[0], "T")
    if node.op == "diagm":
        inner = _exp_vector(node.args[0])
        return None if inner is None or inner[1] else (inner[0], "diag")
    if node.op == "exp" and node.shape.kind in ("vector", "row"):
        return node, ""
    return None


def _vector_softmax(args: list[Node]) -> Node | None:
    for i, f in enumerate(args):
        if f.op != "power" or f.args[0].op != "sum" or not b.is_const(f.args[1]):
            continue
        e, k = f.args[0].args[0], -f.args[1].attrs[0]
        if e.op != "exp" or e.shape.kind not in ("vector", "row") or k <= 0:
            continue
        if k.denominator != 1:
            continue
        p = r.softmax(e.args[0], 0)
        out: list[Node] = []
        left = int(k)
        for j, g in enumerate(args):
            found = _exp_vector(g) if j != i else None
            if left and found is not None and found[0] is e:
                left -= 1
                how = found[1]
                out.append(b.transpose(p) if how == "T" else
                           b.apply("diagm", p) if how == "diag" else p)
            elif j != i:
                out.append(g)
        if left == int(k):
            continue
        if left:
            out.append(b.power(f.args[0], b.const(-left)))
        return b.mul(*out)
    return None


def mul_outer_ones(node: Node) -> Node | None:
    """``vector(c)*vector(d)' = matrix(c*d)`` for adjacent factors."""
    args = list(node.args)
    for i in range(len(args) - 1):
        u, v = args[i], args[i + 1]
        if (u.op == "fill" and u.shape.kind == "vector" and v.op == "fill"
                and v.shape.kind == "row"):
            outer = b.fill(u.attrs[0] * v.attrs[0], b.mul(u, v).shape)
            return b.mul(*args[:i], outer, *args[i + 2:])
    return None


def log_logsumexp(node: Node) -> Node | None:
    """``log(sum(exp(x))) = logsumexp(x)``; ``log(exp(X)*1) = logsumexp(X, 2)``;
    ``log(1'*exp(X)) = logsumexp(X, 1)``; ``log(softmax(z)) = z - logsumexp(z)``."""
    u = node.args[0]
    if u.op == "sum" and u.args[0].op == "exp" and not u.args[0].shape.is_scalar:
        return r.logsumexp(u.args[0].args[0], 0)
    found = _sums(u)
    if found is not None:
        z = _exp_matrix(found[0])
        if z is not None:
            return r.logsumexp(z, found[1])
    if u.op == "softmax":
        z, dim = u.args[0], u.attrs[0]
        lse = r.logsumexp(z, dim)
        if dim == 0:
            spread = b.broadcast(lse, z.shape)
        else:
            rows, cols = z.shape.rows, z.shape.cols
            assert rows is not None and cols is not None
            spread = (b.mul(lse, r.ones(cols, row=True)) if dim == 2
                      else b.mul(r.ones(rows), lse))
        return b.sub(z, spread)
    return None


def transposed_operand(node: Node) -> Node | None:
    """``softmax(Z', d) = softmax(Z, 3 - d)'`` (likewise ``logsumexp``); of a row,
    ``softmax(r) = softmax(r')'``: the transpose outside, as ``exp(W*x)'`` is written."""
    z, dim = node.args[0], node.attrs[0]
    if dim == 0 and z.shape.kind == "row":
        if node.op == "logsumexp":
            return make("logsumexp", (b.transpose(z),), (0,))
        return b.transpose(make("softmax", (b.transpose(z),), (0,)))
    if dim != 0 and z.op == "transpose":
        return b.transpose(make(node.op, (z.args[0],), (3 - dim,)))
    return None


def mul_inner_quotient(node: Node) -> Node | None:
    """``x'*(y ./ x) = (y ./ x)'*x = sum(y)`` for columns, where defined (the
    ``d log(softmax(z))`` terms: ``(y ./ p)'*p``)."""
    args = list(node.args)
    for i in range(len(args) - 1):
        left, right = args[i], args[i + 1]
        found = None
        if right.shape.kind == "vector" and left.op == "ediv" and (
                left.args[1] is b.transpose(right)):
            found = b.transpose(left.args[0])
        elif right.shape.kind == "vector" and left.op == "transpose" and (
                left.args[0].op == "ediv" and left.args[0].args[1] is right):
            found = left.args[0].args[0]
        elif left.op == "transpose" and right.op == "ediv" and (
                right.args[1] is left.args[0] and right.shape.kind == "vector"):
            found = right.args[0]
        if found is not None:
            return b.mul(*args[:i], b.apply("sum", found), *args[i + 2:])
    return None


def _quotient_by(term: Node, f: Node) -> bool:
    """Whether ``term`` is ``A ./ f`` or a scalar times it."""
    if term.op == "mul" and len(term.args) == 2 and term.args[0].shape.is_scalar:
        term = term.args[1]
    return term.op == "ediv" and term.args[1] is f


def hadamard_distribute_quotient(node: Node) -> Node | None:
    """``F .* (S - A ./ F) = F .* S - A`` (where defined): ``F`` is multiplied into a sum
    that holds a quotient by ``F``, so the quotient cancels (``P .* (Y*1*1' - Y ./ P)``
    from ``d log(softmax(Z, 2))``)."""
    args = list(node.args)
    for i, s in enumerate(args):
        if s.op != "add":
            continue
        for j, f in enumerate(args):
            if j != i and any(_quotient_by(t, f) for t in s.args):
                rest = [a for k, a in enumerate(args) if k not in (i, j)]
                spread = b.add(*(b.hadamard(f, t) for t in s.args))
                return b.hadamard(*rest, spread) if rest else spread
    return None
