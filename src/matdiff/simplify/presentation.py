"""Presentation rules: the last pass, turning the canonical form into the form a textbook
prints.  They run after the canonical rules (``simplify``), never mixed with them: the
canonical form pushes transposes to the leaves (``(A*B)' = B'*A'``) so like terms meet,
while The Matrix Cookbook writes a product or sum whose factors are all transposed with one
transpose outside — ``-(inv(X)*B*A*inv(X))'`` (eq. 63), ``(X*B + B*X)'`` (eq. 107) — which is
shorter.  A rule here fires only when the result has at least two operations fewer, so a
two-factor ``A'*B'`` (eq. 102) and a mixed ``A'*C'*X*B'`` stay as the book prints them.
"""

from __future__ import annotations

from ..ir import Node
from ..ir import build as b
from ..ir.reductions import untranspose

_MIN_SAVING = 2


def _untransposed(f: Node) -> Node | None:
    """``F`` for a factor ``F'`` (``X'^k`` counts as ``(X^k)'``), else ``None``."""
    if f.op == "transpose":
        return f.args[0]
    if f.op == "matpow" and f.args[0].op == "transpose":
        return b.matpow(f.args[0].args[0], f.attrs[0])
    return None


def _untransposed_chain(t: Node) -> tuple[list[Node], list[Node]] | None:
    """``t = s*F1'*...*Fk'`` as (scalars, [Fk, ..., F1]) when every non-scalar factor is
    transposed (a single transposed factor included); ``None`` otherwise."""
    factors = t.args if t.op == "mul" else (t,)
    scalars = [f for f in factors if f.shape.is_scalar]
    chain = [_untransposed(f) for f in reversed(factors) if not f.shape.is_scalar]
    if not chain or any(f is None for f in chain):
        return None
    return scalars, [f for f in chain if f is not None]


def transpose_out_of_product(node: Node) -> Node | None:
    """``s*A'*B'*C' = s*(C*B*A)'`` when every factor is transposed and there are at
    least three (Matrix Cookbook eq. 5, read right to left; the form of eq. 61, 63)."""
    split = _untransposed_chain(node)
    if split is None or len(split[1]) < 1 + _MIN_SAVING:
        return None
    scalars, chain = split
    return b.mul(*scalars, b.transpose(b.mul(*chain)))


def _transposes(t: Node) -> int:
    """Transposes in the tree of ``t`` (a shared subtree counts once per occurrence)."""
    counts: dict[Node, int] = {}
    for n in t.walk():  # children first
        counts[n] = (n.op == "transpose") + sum(counts[a] for a in n.args)
    return counts[t]


def transpose_out_of_sum(node: Node) -> Node | None:
    """``A'*B' + s*C' = (B*A + s*C)'`` when every term is (a scalar times) a transposed
    product or a product of transposed factors, and at least two transposes go (Matrix
    Cookbook eq. 4, read right to left; the form of eq. 107, 122).  An expanded vector
    goes along, transposed (``W'*X' + b - Y' = (X*W + b' - Y)'``), its transpose not
    counted: it prints as the ``b'`` the input wrote."""
    inner: list[Node] = []
    added = 0  # transposes of expanded vectors (b -> b'), not counted against the saving
    for t in node.args:
        scalars = [f for f in (t.args if t.op == "mul" else (t,)) if f.shape.is_scalar]
        rest = [f for f in (t.args if t.op == "mul" else (t,)) if not f.shape.is_scalar]
        if len(rest) == 1 and rest[0].op == "transpose" and rest[0].args[0].op == "mul":
            inner.append(b.mul(*scalars, rest[0].args[0]))
            continue
        if len(rest) == 1 and rest[0].op == "expand":
            v, target = rest[0].args[0], rest[0].attrs[0]
            added += v.op != "transpose"
            v = v.args[0] if v.op == "transpose" else b.transpose(v)
            inner.append(b.mul(*scalars, b.expand(v, target.T)))
            continue
        split = _untransposed_chain(t)
        if split is None:
            return None
        inner.append(b.mul(*split[0], *split[1]))
    result = b.transpose(b.add(*inner))
    if _transposes(node) - (_transposes(result) - added) < _MIN_SAVING:
        return None
    return result


def sum_order(node: Node) -> Node | None:
    """``A' + A = A + A'``: a term written before its own transpose."""
    args = list(node.args)
    for i, t in enumerate(args):
        if t.op == "transpose" and t.args[0] in args[i + 1:]:
            j = args.index(t.args[0])
            args[i], args[j] = args[j], args[i]
            return b.add(*args)
    return None


def transpose_out_of_function(node: Node) -> Node | None:
    """``f(X'*W' + b') = f(W*X + b)'`` for an elementwise ``f`` when the transpose taken
    out of the argument removes more than the one it adds (``f(U)' = f(U')``, entry by
    entry): the textbook writes ``tanh(X*W1)'``, and the same ``f(W*X + b)`` elsewhere in
    the result is then one part a ``where`` list can name (``(V*H - Y)*H'``).  A
    transposed compound argument comes out too (``f((W*X + b)') = f(W*X + b)'``); a
    transposed leaf stays (``exp(x')``)."""
    (arg,) = node.args
    if arg.op == "transpose" and not arg.args[0].is_leaf:
        return b.transpose(b.apply(node.op, arg.args[0]))  # f((W*X + b)') = f(W*X + b)'
    inner = untranspose(arg)
    if inner is None or _transposes(inner) + 1 >= _transposes(arg):
        return None
    return b.transpose(b.apply(node.op, inner))
