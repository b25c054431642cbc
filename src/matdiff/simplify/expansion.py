"""Rules for implicit expansion (``expand``: a column ``v`` repeated across the columns,
``v*1'``, or a row ``r`` down the rows, ``1*r``).

They move an expansion outwards, past what commutes with it, so that it ends as an
operand of ``+ - .* ./ .^`` and prints bare (``X./s.^2``, ``X'*W' + b'``, ``X + 2*b``),
and merge expansions that meet.  Each identity is the definition ``expand(v) = v*1'``
(``1*r``) with associativity of the product and the entrywise nature of ``.*``, ``./``,
``.^`` and of elementwise functions (an entry of ``f(v*1')`` is ``f(v_i)``).
Like :mod:`~matdiff.simplify.structural`, each function is one rule: it gets a node
whose operands are simplified and returns the rewritten node or ``None``.
"""

from __future__ import annotations

from collections.abc import Callable

from ..ir import Node
from ..ir import build as b
from ..shapes import Shape


def _target(node: Node) -> Shape:
    shape = node.attrs[0]
    assert isinstance(shape, Shape)
    return shape


def _column(node: Node) -> bool:
    """Whether an ``expand`` node repeats a column (across the columns)."""
    return node.args[0].shape.kind == "vector"


def expand_const(node: Node) -> Node | None:
    """``expand(vector(c)) = matrix(c)``; ``expand(broadcast(s)) = broadcast(s)``."""
    v = node.args[0]
    if v.op not in ("fill", "broadcast"):
        return None
    return b.expand(v, _target(node))


def transpose_expand(node: Node) -> Node | None:
    """``(v*1')' = 1*v'``: a transposed column expansion is the row expansion of ``v'``."""
    x = node.args[0]
    if x.op != "expand":
        return None
    return b.expand(b.transpose(x.args[0]), _target(x).T)


def expand_scalars_out(node: Node) -> Node | None:
    """``(s*v)*1' = s*(v*1')`` for scalars ``s``: outside, like terms meet
    (``2*W*X + 2*b = 2*(W*X + b)``, ``X + b - b = X``)."""
    x = node.args[0]
    if x.op != "mul":
        return None
    scalars = [f for f in x.args if f.shape.is_scalar]
    if not scalars:
        return None
    core = b.mul(*(f for f in x.args if not f.shape.is_scalar))
    return b.mul(*scalars, b.expand(core, _target(node)))


def product_expand(node: Node) -> Node | None:
    """``A*(v*1') = (A*v)*1'`` (a column expansion as the last factor) and
    ``(1*r)*B = 1*(r*B)`` (a row expansion as the first): associativity.  A scalar
    ``A*v`` or ``r*B`` is broadcast instead (``x'*(v*1') = (x'*v)*1'``); scalar factors
    stay outside."""
    chain = [f for f in node.args if not f.shape.is_scalar]
    scalars = [f for f in node.args if f.shape.is_scalar]
    if len(chain) < 2:
        return None
    last, first = chain[-1], chain[0]
    if last.op == "expand" and _column(last):
        inner = b.mul(*chain[:-1], last.args[0])
        cols = _target(last).cols
    elif first.op == "expand" and not _column(first):
        inner = b.mul(first.args[0], *chain[1:])
        cols = None
    else:
        return None
    if inner.shape.is_scalar:
        return b.mul(*scalars, b.broadcast(inner, Shape(node.shape.rows, node.shape.cols)))
    if cols is not None:
        return b.mul(*scalars, b.expand(inner, Shape(inner.shape.rows, cols)))
    return b.mul(*scalars, b.expand(inner, Shape(node.shape.rows, inner.shape.cols)))


def function_expand(op: str) -> Callable[[Node], Node | None]:
    """``f(v*1') = f(v)*1'`` for an elementwise ``f``."""
    def rule(node: Node) -> Node | None:
        x = node.args[0]
        if x.op != "expand":
            return None
        return b.expand(b.apply(op, x.args[0]), _target(x))

    rule.__name__ = f"function_expand_{op}"
    return rule


def _same_kind(nodes: tuple[Node, ...]) -> bool:
    return all(n.op == "expand" for n in nodes) and len({_column(n) for n in nodes}) == 1


def _expansion(t: Node) -> Node | None:
    """The expansion of a term ``expand(v)`` or ``s*expand(v)``."""
    return t if t.op == "expand" else b.scaled_expansion(t)


def add_expand(node: Node) -> Node | None:
    """``A + s*(u*1') + t*(v*1') = A + (s*u + t*v)*1'``: the expansions of one kind
    among the terms merge into one."""
    groups: dict[bool, list[Node]] = {True: [], False: []}
    for t in node.args:
        e = _expansion(t)
        if e is not None:
            groups[_column(e)].append(t)
    merging = {id(t) for g in groups.values() if len(g) > 1 for t in g}
    if not merging:
        return None
    rest = [t for t in node.args if id(t) not in merging]
    merged = []
    for g in groups.values():
        if len(g) > 1:
            parts = []
            for t in g:
                e = _expansion(t)
                assert e is not None
                parts.append(e.args[0] if t is e else b.unexpanded(t, e))
            merged.append(b.expand(b.add(*parts), node.shape))
    return b.add(*rest, *merged)


def hadamard_expand(node: Node) -> Node | None:
    """``(u*1') .* (v*1') = (u .* v)*1'`` (expansions of one kind merge) and
    ``(u*1') .* (1*r) = u*r`` (a column and a row expansion: the outer product)."""
    columns = [f for f in node.args if f.op == "expand" and _column(f)]
    rows = [f for f in node.args if f.op == "expand" and not _column(f)]
    merged: list[Node] = []
    if columns and rows:
        outer = b.mul(b.hadamard(*(f.args[0] for f in columns)),
                      b.hadamard(*(f.args[0] for f in rows)))
        merged.append(outer)
    elif len(columns) > 1 or len(rows) > 1:
        group = columns or rows
        merged.append(b.expand(b.hadamard(*(f.args[0] for f in group)), node.shape))
    else:
        return None
    rest = [f for f in node.args if f.op != "expand"]
    return b.hadamard(*rest, *merged)


def ediv_expand(node: Node) -> Node | None:
    """``(u*1') ./ (v*1') = (u ./ v)*1'`` (expansions of one kind)."""
    if not _same_kind(node.args):
        return None
    u, v = (t.args[0] for t in node.args)
    return b.expand(b.ediv(u, v), node.shape)


def power_expand(node: Node) -> Node | None:
    """``(u*1').^(v*1') = (u.^v)*1'``; with a constant exponent or base
    ``(u*1').^c = (u.^c)*1'`` (and ``c.^(v*1') = (c.^v)*1'``)."""
    base, exponent = node.args
    if _same_kind(node.args):
        return b.expand(b.power(base.args[0], exponent.args[0]), node.shape)
    if base.op == "expand" and exponent.op == "fill":
        v = base.args[0]
        return b.expand(b.power(v, b.fill(exponent.attrs[0], v.shape)), node.shape)
    if exponent.op == "expand" and base.op == "fill":
        v = exponent.args[0]
        return b.expand(b.power(b.fill(base.attrs[0], v.shape), v), node.shape)
    return None
