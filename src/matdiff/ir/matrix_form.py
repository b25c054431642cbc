"""Index form to matrix form: ``A_ik B_kj -> A*B``, ``s_k X_ki X_kj -> X'*diag(s)*X``.

A term of a :class:`~matdiff.ir.tensor.Tensor` whose output has at most two indices is a
matrix expression when its factors can be contracted pairwise.  :func:`to_matrix`
reduces the term's factor graph with five rewrites until only the output is left
(the Ricci-calculus-to-matrix translation of Laue, Mitterreiter and Giesen,
"Computing higher order derivatives of matrix and tensor expressions", NeurIPS 2018):

1. a summed index on exactly two factors is a product: ``F[a, p] G[p, b] = (F*G)[a, b]``
   (operands transposed as needed; a vector on the left is a row, ``u'*G``);
2. a summed index twice on one factor is a trace: ``F[p, p] = tr(F)``;
3. two factors over the same indices are a Hadamard product: ``F[a,b] G[a,b] = (F.*G)[a,b]``;
4. a factor over one index twice is its diagonal: ``F[a, a] = diag(F)[a]``;
5. a vector on an index shared three or more ways becomes a diagonal matrix:
   ``u[a] F[a, b] G[a, c] = diag(u)[a, a'] F[a', b] G[a, c]`` (then rule 1 applies);
6. an index summed in one factor only is a sum: ``F[a, p] = (F*vector(1))[a]``,
   ``F[p, q] = sum(F)``.

What remains must be the output: one matrix, one vector, an outer product ``u*v'`` of
two vectors, or a scalar; anything else (a genuine 3-way contraction) has no matrix form
and :func:`to_matrix` returns ``None`` — the derivative is then shown in index form.
:func:`kronecker_form` uses the same reduction on the two halves of a term that
separates as ``L[i, k] R[l, j]`` to give ``d vec(F)/d vec(X)' = R' ⊗ L``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..shapes import Shape
from . import build as b
from .nodes import Node
from .tensor import Factor, Index, KroneckerForm, KroneckerTerm, Tensor, Term, fresh


@dataclass
class _Item:
    node: Node
    indices: tuple[Index, ...]


def _column(node: Node) -> Node:
    """A one-index node as a column vector."""
    return b.transpose(node) if node.shape.kind == "row" else node


def _oriented(item: _Item, first: Index, second: Index) -> Node:
    """A two-index item as the matrix with rows ``first`` and columns ``second``."""
    if item.indices == (first, second):
        return item.node
    return b.transpose(item.node)


def _counts(items: list[_Item], out: tuple[Index, ...]) -> dict[Index, int]:
    counts: dict[Index, int] = {i: 1 for i in out}
    for it in items:
        for i in it.indices:
            counts[i] = counts.get(i, 0) + 1
    return counts


def _contract(f: _Item, g: _Item, p: Index) -> _Item:
    """Rule 1: ``F[.., p] G[p, ..]``."""
    f_rest = tuple(i for i in f.indices if i is not p)
    g_rest = tuple(i for i in g.indices if i is not p)
    left = b.transpose(_column(f.node)) if not f_rest else _oriented(f, f_rest[0], p)
    right = _column(g.node) if not g_rest else _oriented(g, p, g_rest[0])
    return _Item(b.mul(left, right), f_rest + g_rest)


def _hadamard(f: _Item, g: _Item) -> _Item:
    """Rule 3: two factors over the same indices."""
    if len(f.indices) == 1:
        return _Item(b.hadamard(_column(f.node), _column(g.node)), f.indices)
    a, c = f.indices
    return _Item(b.hadamard(f.node, _oriented(g, a, c)), f.indices)


def _step(items: list[_Item], scalars: list[Node], out: tuple[Index, ...],
          diagonals: bool = True) -> bool:
    """Apply one rewrite; ``False`` when none applies.  Without ``diagonals`` only rules
    1-3 run (no ``diag`` is introduced: index forms keep ``x_i δ_ij``)."""
    for k, it in enumerate(items):
        if not it.indices:
            scalars.append(it.node)
            del items[k]
            return True
    counts = _counts(items, out)
    for k, it in enumerate(items):  # rules 2 and 4
        if len(it.indices) == 2 and it.indices[0] is it.indices[1]:
            p = it.indices[0]
            if counts[p] == 2 and p not in out:
                scalars.append(b.apply("tr", it.node))
                del items[k]
            elif diagonals:
                items[k] = _Item(b.apply("diagv", it.node), (p,))
            else:
                continue
            return True
    for p, n in counts.items():  # rule 1
        if n != 2 or p in out:
            continue
        holders = [k for k, it in enumerate(items) if p in it.indices]
        k1, k2 = holders
        merged = _contract(items[k1], items[k2], p)
        items[k1] = merged
        del items[k2]
        return True
    for k, it in enumerate(items):  # rule 6: an index summed in one factor only
        alone = [i for i in it.indices if counts[i] == 1 and i not in out]
        if not alone:
            continue
        if len(alone) == len(it.indices):
            scalars.append(b.apply("sum", it.node))
            del items[k]
        else:
            (p,) = alone
            (keep,) = (i for i in it.indices if i is not p)
            ones = b.fill(1, Shape(p.dim, None))
            items[k] = _Item(b.mul(_oriented(it, keep, p), ones), (keep,))
        return True
    for k1 in range(len(items)):  # rule 3
        for k2 in range(k1 + 1, len(items)):
            a, c = items[k1], items[k2]
            if len(a.indices) == len(c.indices) and set(a.indices) == set(c.indices):
                items[k1] = _hadamard(a, c)
                del items[k2]
                return True
    for k, it in enumerate(items):  # rule 5
        if not diagonals:
            break
        if len(it.indices) != 1 or counts[it.indices[0]] < 3:
            continue
        p = it.indices[0]
        other = next((j for j, x in enumerate(items) if j != k and p in x.indices), None)
        if other is None:
            continue
        q = fresh(p.dim)
        items[k] = _Item(b.apply("diagm", _column(it.node)), (p, q))
        x = items[other]
        pos = x.indices.index(p)
        items[other] = _Item(x.node, (*x.indices[:pos], q, *x.indices[pos + 1:]))
        return True
    return False


def _finish(items: list[_Item], rows: Index | None, cols: Index | None) -> Node | None:
    """The remaining items as a node with rows ``rows`` and columns ``cols``."""
    def vector_over(i: Index) -> Node:
        found = [it for it in items if it.indices == (i,)]
        return _column(found[0].node) if found else b.fill(1, Shape(i.dim, None))

    want = tuple(i for i in (rows, cols) if i is not None)
    if any(i not in want for it in items for i in it.indices):
        return None
    if rows is not None and cols is not None:
        if len(items) == 1 and len(items[0].indices) == 2:
            return _oriented(items[0], rows, cols)
        if any(len(it.indices) != 1 for it in items) or len(items) > 2:
            return None
        return b.mul(vector_over(rows), b.transpose(vector_over(cols)))
    if len(items) > 1:
        return None
    if rows is not None:
        return vector_over(rows)
    if cols is not None:
        return b.transpose(vector_over(cols))
    return b.const(1) if not items else None


def term_to_matrix(t: Term, rows: Index | None, cols: Index | None) -> Node | None:
    """One term as a node of shape ``(rows.dim, cols.dim)`` (an empty slot for ``None``)."""
    out = tuple(i for i in (rows, cols) if i is not None)
    items = [_Item(f.node, f.indices) for f in t.factors]
    scalars: list[Node] = []
    while _step(items, scalars, out):
        pass
    core = _finish(items, rows, cols)
    if core is None:
        return None
    parts = [x for x in scalars]
    if t.coefficient != 1:
        parts.insert(0, b.const(t.coefficient))
    return b.mul(*parts, core) if parts else core


def to_matrix(t: Tensor, rows: Index | None, cols: Index | None) -> Node | None:
    """The tensor as one matrix expression with the given row and column indices (which
    must be its output indices), or ``None`` when some term has no matrix form."""
    if set(t.indices) != {i for i in (rows, cols) if i is not None} or t.rank > 2:
        return None
    shape = Shape(rows.dim if rows is not None else None, cols.dim if cols is not None else None)
    if t.is_zero:
        return b.zero(shape)
    nodes: list[Node] = []
    for x in t.terms:
        node = term_to_matrix(x, rows, cols)
        if node is None:
            return None
        nodes.append(node)
    return b.add(*nodes)


def contract(t: Tensor) -> Tensor:
    """Every term with its summed index pairs multiplied out, traces taken and factors
    over the same indices merged (rules 1-3): ``inv(X)_pk S_qp inv(X)_jq`` becomes
    ``(inv(X)*S'*inv(X)')_jk``-like single factors, for index forms and for the next
    differentiation alike."""
    terms: list[Term] = []
    for x in t.terms:
        items = [_Item(f.node, f.indices) for f in x.factors]
        scalars: list[Node] = []
        while _step(items, scalars, t.indices, diagonals=False):
            pass
        factors = [Factor(s, ()) for s in scalars] + [Factor(it.node, it.indices)
                                                        for it in items]
        terms.append(Term(x.coefficient, tuple(factors)))
    return Tensor(t.indices, tuple(terms))


def _components(factors: tuple[Factor, ...]) -> list[list[Factor]]:
    """Factors grouped by shared indices (union-find over the factor graph)."""
    parent = list(range(len(factors)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    owner: dict[Index, int] = {}
    for k, f in enumerate(factors):
        for i in f.indices:
            if i in owner:
                parent[find(k)] = find(owner[i])
            else:
                owner[i] = k
    groups: dict[int, list[Factor]] = {}
    for k, f in enumerate(factors):
        groups.setdefault(find(k), []).append(f)
    return list(groups.values())


def kronecker_form(t: Tensor, f_slots: tuple[Index | None, Index | None],
                   v_slots: tuple[Index | None, Index | None]) -> KroneckerForm | None:
    """``d vec(F)/d vec(X)' = sum c (R' ⊗ L)`` when every term is ``c L[i, k] R[l, j]``.

    ``f_slots`` are the (row, column) indices of ``F`` and ``v_slots`` those of ``X``
    (``None`` for an empty slot).  ``vec(L dX R) = (R' ⊗ L) vec(dX)`` (Cookbook eq. 520).
    Terms with ``dX'`` (a commutation matrix) or a Hadamard coupling have no such form.
    """
    (i, j), (k, l) = f_slots, v_slots
    left_set = {x for x in (i, k) if x is not None}
    right_set = {x for x in (l, j) if x is not None}
    terms: list[KroneckerTerm] = []
    for x in t.terms:
        left: list[Factor] = []
        right: list[Factor] = []
        scalar: list[Factor] = []
        for comp in _components(x.factors):
            outs = {idx for f in comp for idx in f.indices if idx in left_set | right_set}
            if not outs:
                scalar.extend(comp)
            elif outs <= left_set:
                left.extend(comp)
            elif outs <= right_set:
                right.extend(comp)
            else:
                return None
        lnode = term_to_matrix(Term(Fraction(1), tuple(left + scalar)), i, k)
        rnode = term_to_matrix(Term(Fraction(1), tuple(right)), l, j)
        if lnode is None or rnode is None:
            return None
        terms.append(KroneckerTerm(x.coefficient, b.transpose(rnode), lnode))
    return KroneckerForm(tuple(terms)) if terms else None


__all__ = ["contract", "kronecker_form", "term_to_matrix", "to_matrix"]
