"""The index-aware representation of derivatives of any order (DESIGN.md, "higher orders").

A :class:`Tensor` is a sum of :class:`Term` s in Einstein form, exactly what
``np.einsum`` computes: ``T[o...] = sum_t c_t * prod_f F_f[idx_f]`` where every index that
is not an output index is summed.  Factors are ordinary IR nodes (scalars, vectors,
matrices) with one index per non-empty shape slot, so a 3rd- or 4th-order derivative
lives in the same node system as everything else — no second expression language:

- ``d(A*X*B)_ij / dX_kl = A_ik B_lj`` is one term with factors ``A[i,k]``, ``B[l,j]``;
- the Kronecker delta is the factor ``eye[i,k]``; ``dX/dX = eye[i,k] eye[j,l]``;
- an all-ones factor (``fill(1)``) carries an output index nothing else depends on
  (``d sum(X)/dX = 1_kl``).

The output indices are the axes of the derivative in mixed layout: the expression's
slots, then each variable's slots (``f.shape + V1.shape + V2.shape ...``).  Indices are
unique objects made by :func:`fresh`; only their identity matters.

:func:`normalize` puts a tensor in its canonical form (deltas on summed indices
contracted, constant factors folded into coefficients, like terms merged); it takes the
node simplifier as a parameter because the simplifier is a sibling of the users of this
module, not a dependency of the IR.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..shapes import Dim, Shape
from . import build as b
from .nodes import Node

_COUNTER = itertools.count()


@dataclass(frozen=True, eq=False)
class Index:
    """One tensor index ranging over ``dim``; equality is identity."""

    dim: Dim
    serial: int

    def __repr__(self) -> str:
        return f"i{self.serial}:{self.dim}"


def fresh(dim: Dim) -> Index:
    """A new index over ``dim``, distinct from every other index."""
    return Index(dim, next(_COUNTER))


def slot_dims(shape: Shape) -> tuple[Dim, ...]:
    """The dimensions of ``shape``'s non-empty slots: the axes a node contributes."""
    return shape.dims


def fresh_for(shape: Shape) -> tuple[Index, ...]:
    """Fresh indices for each axis of ``shape``."""
    return tuple(fresh(d) for d in slot_dims(shape))


@dataclass(frozen=True)
class Factor:
    """``node[indices]``: one index per axis of the node (none for a scalar)."""

    node: Node
    indices: tuple[Index, ...]

    def __post_init__(self) -> None:
        dims = slot_dims(self.node.shape)
        if len(dims) != len(self.indices):
            raise ValueError(f"factor {self.node!r} of shape {self.node.shape} needs "
                             f"{len(dims)} indices, got {len(self.indices)}")
        if any(i.dim != d for i, d in zip(self.indices, dims, strict=True)):
            raise ValueError(f"index dimensions {self.indices} do not fit {self.node.shape}")

    def rename(self, mapping: Mapping[Index, Index]) -> Factor:
        return Factor(self.node, tuple(mapping.get(i, i) for i in self.indices))

    @property
    def is_delta(self) -> bool:
        return self.node.op == "eye"


def delta(i: Index, j: Index) -> Factor:
    """The Kronecker delta ``δ_ij`` as the factor ``eye[i, j]``."""
    return Factor(b.eye(i.dim), (i, j))


def ones(indices: Sequence[Index]) -> Factor | None:
    """An all-ones factor over one or two indices (``None`` for no indices)."""
    if not indices:
        return None
    if len(indices) == 1:
        return Factor(b.fill(1, Shape(indices[0].dim, None)), tuple(indices))
    if len(indices) == 2:
        return Factor(b.fill(1, Shape(indices[0].dim, indices[1].dim)), tuple(indices))
    raise ValueError("ones() takes one or two indices")


@dataclass(frozen=True)
class Term:
    """``coefficient * prod(factors)``, summed over indices not in the output."""

    coefficient: Fraction
    factors: tuple[Factor, ...]

    def rename(self, mapping: Mapping[Index, Index]) -> Term:
        if not mapping:
            return self
        return Term(self.coefficient, tuple(f.rename(mapping) for f in self.factors))

    def scaled(self, c: Fraction | int) -> Term:
        return Term(self.coefficient * c, self.factors)

    def times(self, other: Term) -> Term:
        return Term(self.coefficient * other.coefficient, self.factors + other.factors)

    def indices(self) -> list[Index]:
        """Every index of the term, in order of first appearance."""
        seen: dict[Index, None] = {}
        for f in self.factors:
            for i in f.indices:
                seen.setdefault(i)
        return list(seen)


def term(*factors: Factor | None, coefficient: Fraction | int = 1) -> Term:
    return Term(Fraction(coefficient), tuple(f for f in factors if f is not None))


@dataclass(frozen=True)
class Tensor:
    """``sum(terms)`` with free indices ``indices`` (the axes, in mixed layout order)."""

    indices: tuple[Index, ...]
    terms: tuple[Term, ...]

    @property
    def rank(self) -> int:
        return len(self.indices)

    @property
    def dims(self) -> tuple[Dim, ...]:
        return tuple(i.dim for i in self.indices)

    @property
    def is_zero(self) -> bool:
        return not self.terms

    def nodes(self) -> list[Node]:
        """Every factor node (for sizes, variables and printing)."""
        return [f.node for t in self.terms for f in t.factors]

    def map_nodes(self, f: Callable[[Node], Node]) -> Tensor:
        return Tensor(self.indices, tuple(
            Term(t.coefficient, tuple(Factor(f(x.node), x.indices) for x in t.factors))
            for t in self.terms))

    def permuted(self, order: Sequence[int]) -> Tensor:
        """The same tensor with its axes in ``order`` (``np.transpose`` semantics)."""
        if sorted(order) != list(range(self.rank)):
            raise ValueError(f"{order} is not a permutation of {self.rank} axes")
        return Tensor(tuple(self.indices[k] for k in order), self.terms)


def from_node(node: Node, indices: tuple[Index, ...] | None = None) -> Tensor:
    """The tensor ``node[indices]`` (fresh indices by default)."""
    idx = fresh_for(node.shape) if indices is None else indices
    return Tensor(idx, (term(Factor(node, idx)),))


def tensor_sum(indices: tuple[Index, ...], parts: Iterable[Tensor]) -> Tensor:
    """The sum of tensors, each renamed onto the output ``indices``."""
    terms: list[Term] = []
    for p in parts:
        mapping = dict(zip(p.indices, indices, strict=True))
        terms.extend(t.rename(mapping) for t in p.terms)
    return Tensor(indices, tuple(terms))


def swap_axes(t: Tensor, a: int, c: int) -> Tensor:
    """``T`` with the values of axes ``a`` and ``c`` exchanged (the indices stay)."""
    i, j = t.indices[a], t.indices[c]
    return Tensor(t.indices, tuple(x.rename({i: j, j: i}) for x in t.terms))


def symmetrize(t: Tensor, a: int, c: int, convention: str) -> Tensor:
    """Project axes ``(a, c)`` (one symmetric matrix variable) onto symmetric matrices.

    ``"symmetrized"``: ``(T + T^swap)/2`` (the gradient on the space of symmetric
    matrices); ``"cookbook"``: ``T + T^swap - δ_ac T`` (The Matrix Cookbook, eq. 141's
    convention); ``"diagonal"``: ``δ_ac T``.
    """
    i, j = t.indices[a], t.indices[c]
    swapped = swap_axes(t, a, c).terms
    on_diagonal = tuple(Term(x.coefficient, (*x.factors, delta(i, j))) for x in t.terms)
    if convention == "symmetrized":
        half = Fraction(1, 2)
        terms = tuple(x.scaled(half) for x in t.terms) + tuple(x.scaled(half) for x in swapped)
    elif convention == "cookbook":
        terms = t.terms + swapped + tuple(x.scaled(-1) for x in on_diagonal)
    elif convention == "diagonal":
        terms = on_diagonal
    else:
        raise ValueError(f"unknown convention {convention!r}")
    return Tensor(t.indices, terms)


@dataclass(frozen=True)
class KroneckerTerm:
    """``coefficient * (left ⊗ right)``."""

    coefficient: Fraction
    left: Node
    right: Node


@dataclass(frozen=True)
class KroneckerForm:
    """``d vec(F) / d vec(X)' = sum of coefficient * (left ⊗ right)``.

    ``vec`` stacks columns, so ``vec(L dX R) = (R' ⊗ L) vec(dX)`` (Cookbook eq. 520);
    a vector ``F`` or ``X`` is its own ``vec`` and a scalar one is 1 x 1.
    """

    terms: tuple[KroneckerTerm, ...]


# ---------------------------------------------------------------------------------------
# Canonical form


def _contract_deltas(t: Term, free: set[Index]) -> Term:
    """Contract every ``δ`` that has a summed index: ``δ_ij A_jk = A_ik``."""
    factors = list(t.factors)
    coefficient = t.coefficient
    changed = True
    while changed:
        changed = False
        for k, f in enumerate(factors):
            if not f.is_delta:
                continue
            i, j = f.indices
            if i is j:
                # Einstein form sums an index once over all its occurrences, so δ_pp is
                # a diagonal entry of eye, 1: Σ_p u_p δ_pp = Σ_p u_p.  Only a summed
                # δ_pp whose index occurs nowhere else is the dimension, tr(eye); a
                # free one alone stays (δ_jj: the all-ones vector over j).
                elsewhere = any(i in x.indices for x in factors[:k] + factors[k + 1:])
                if elsewhere:
                    factors.pop(k)
                elif i in free:
                    continue
                else:
                    factors[k] = Factor(b.apply("tr", f.node), ())
                changed = True
                break
            if j not in free:
                gone, keep = j, i
            elif i not in free:
                gone, keep = i, j
            else:
                continue
            rest = factors[:k] + factors[k + 1:]
            factors = [x.rename({gone: keep}) for x in rest]
            changed = True
            break
    return Term(coefficient, tuple(factors))


def _fold_constants(t: Term, free: set[Index]) -> Term | None:
    """Fold constant factors into the coefficient; ``None`` if the term is zero."""
    coefficient = t.coefficient
    factors: list[Factor] = []
    counts: dict[Index, int] = {}
    for f in t.factors:
        for i in f.indices:
            counts[i] = counts.get(i, 0) + 1
    for f in t.factors:
        node = f.node
        if node.op == "const" or node.op == "fill":
            value: Fraction = node.attrs[0]
            if value == 0:
                return None
            coefficient *= value
            if node.op == "fill":
                # All-ones: dropped only where each of its indices stays paired without
                # it (in another factor and the output, or in two others) — a summed
                # index left alone would hide a sum (Σ_p A_ip printed as A_ip).
                if all(counts[i] - f.indices.count(i) + (i in free) >= 2
                       for i in f.indices):
                    for i in f.indices:
                        counts[i] -= 1
                    continue
                factors.append(Factor(b.fill(1, node.shape), f.indices))
            continue
        factors.append(f)
    if coefficient == 0:
        return None
    return Term(coefficient, tuple(factors))


def _ordered(t: Term, free: Sequence[Index]) -> Term:
    """Scalars first, then the other factors as built (their order is the reading order
    of the expression), then the deltas by the output axes they carry (``δ_ik δ_jl``)."""
    position = {i: k for k, i in enumerate(free)}

    def rank(f: Factor) -> tuple[int, int]:
        if not f.indices:
            return (0, 0)
        if not f.is_delta:
            return (1, 0)
        return (2, min(position.get(i, len(position)) for i in f.indices))

    return Term(t.coefficient, tuple(sorted(t.factors, key=rank)))


def _canonical_key(t: Term, free: Sequence[Index]) -> tuple[object, ...]:
    """Key equal for terms that differ only in coefficient and summed-index names."""
    names: dict[Index, int] = {i: k for k, i in enumerate(free)}
    key: list[object] = []
    for f in t.factors:
        for i in f.indices:
            if i not in names:
                names[i] = len(names)
        idx = tuple(names[i] for i in f.indices)
        key.append((f.node, tuple(sorted(idx)) if f.is_delta else idx))
    return tuple(key)


def _untransposed(f: Factor) -> Factor:
    """``U'[i, j] = U[j, i]``: a transposed factor is its operand with swapped indices
    (one form for like terms to meet in)."""
    node, idx = f.node, f.indices
    while node.op == "transpose":
        node, idx = node.args[0], tuple(reversed(idx))
    return Factor(node, idx) if node is not f.node else f


def normalize(t: Tensor, simplify: Callable[[Node], Node] | None = None) -> Tensor:
    """The canonical form: every factor simplified (when ``simplify`` is given), deltas
    on summed indices contracted, constants folded, like terms merged, zeros dropped."""
    free = set(t.indices)
    merged: dict[tuple[object, ...], Term] = {}
    for raw in t.terms:
        if simplify is not None:
            raw = Term(raw.coefficient, tuple(Factor(simplify(f.node), f.indices)
                                              for f in raw.factors))
        raw = Term(raw.coefficient, tuple(_untransposed(f) for f in raw.factors))
        x = _fold_constants(_contract_deltas(raw, free), free)
        if x is None:
            continue
        x = _ordered(x, t.indices)
        key = _canonical_key(x, t.indices)
        if key in merged:
            old = merged[key]
            merged[key] = Term(old.coefficient + x.coefficient, old.factors)
        else:
            merged[key] = x
    return Tensor(t.indices, tuple(x for x in merged.values() if x.coefficient != 0))


__all__ = ["Factor", "Index", "KroneckerForm", "KroneckerTerm", "Tensor", "Term", "delta",
           "fresh", "fresh_for", "from_node", "normalize", "ones",
           "slot_dims", "swap_axes", "symmetrize", "tensor_sum", "term"]
