"""Sums of outer products as ONE batched matrix product (dense higher derivatives).

A dense Hessian of a matrix variable is, in index form, a sum of outer products such as
``T[i,j,k,l] = sum_t c_t P_t[i,k] Q_t[l,j]`` (``d^2(logdet(X) + tr(S*inv(X)))`` has six).
Written as separate ``einsum`` calls, every term makes its own n^4 temporary (800 MB
each for n = 100) and the sum adds them pass by pass.  Here the whole sum is written
once: split the output axes ``(a_1, ..., a_r)`` into a *batch* prefix, *row* axes and
the last axis ``l``.  In every term the factors carrying ``l`` (with what they share a
summed index with, coefficient and scalar factors) form ``v_t`` over ``(batch, l)``; the
other factors form ``u_t`` over ``(batch, rows)``.  Then

    T[batch, rows, l] = sum_t u_t[batch, rows] v_t[batch, l]
                      = (L @ R)[batch, rows, l],   L[..., t] = u_t,  R[..., t, :] = v_t

one ``matmul`` whose inner size is the number of terms: BLAS writes the output once,
and the axis-swapped twins of a symmetrised Hessian (``P[i,k] Q[l,j]`` and
``P[i,l] Q[k,j]``) are just two more columns.  The batch prefix is the shortest prefix
holding every output index a ``v_t`` carries besides ``l``, and at least the first axis
(F5's ``x_l`` on the right needs none, but see :func:`split_terms`).  Kronecker deltas
stay the small ``eye`` factors of ``u_t`` / ``v_t`` (the size of one factor, never of
the output).

Used (by :func:`to_block_code`) only for rank >= 3 tensors of two or more terms where
every term splits and some row axis remains, and not for backends whose compiler fuses
the sum of einsums itself (JAX: XLA, ``Backend.fuses_sums``); otherwise ``None`` and the
caller prints the ``einsum`` form (:mod:`.einsum`).  Measured (numpy 2.4, 2-core CPU):
the F4 Hessian at n = 100 in 85 ms against 400 ms for the hand-written sum of einsums
(and 4,300 ms for ``jax.jit(jax.hessian)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..ir.nodes import Node
from ..ir.tensor import Factor, Index, Tensor, Term
from ..shapes import Dim
from .array_code import shape_code, size_code
from .backends import Backend, get_backend
from .einsum import _operand, to_einsum_code

__all__ = ["Block", "split_terms", "to_block_code"]


@dataclass(frozen=True)
class Split:
    """One term as ``u[batch, rows] * v[batch, l]`` (``v`` holds the coefficient)."""

    u: tuple[Factor, ...]
    v: tuple[Factor, ...]
    coefficient: Fraction


def _split(x: Term, last: Index, out: set[Index]) -> Split:
    """``v``: factors carrying ``last``, closed under sharing a summed index (and the
    scalar factors); ``u``: the rest."""
    in_v = [last in f.indices or not f.indices for f in x.factors]
    grew = True
    while grew:  # by position: a term may hold two equal factors
        summed = {i for f, v in zip(x.factors, in_v, strict=True) if v
                  for i in f.indices if i not in out}
        grew = False
        for k, f in enumerate(x.factors):
            if not in_v[k] and any(i in summed for i in f.indices):
                in_v[k] = grew = True
    u = [f for f, v in zip(x.factors, in_v, strict=True) if not v]
    v = [f for f, w in zip(x.factors, in_v, strict=True) if w]
    return Split(tuple(u), tuple(v), x.coefficient)


def split_terms(t: Tensor) -> tuple[int, list[Split]] | None:
    """The batch prefix length and each term's split, or ``None`` when the block form
    does not apply (rank < 3, fewer than two terms, or no row axis would remain)."""
    if t.rank < 3 or len(t.terms) < 2:
        return None
    last, out = t.indices[-1], set(t.indices)
    splits = [_split(x, last, out) for x in t.terms]
    position = {i: k for k, i in enumerate(t.indices)}
    prefix = 0
    for s in splits:
        for f in s.v:
            for i in f.indices:
                if i in out and i is not last:
                    prefix = max(prefix, position[i] + 1)
    # At least one batch axis: one tall-skinny GEMM is what OpenBLAS spreads over
    # threads, and next to another threaded runtime in the process (torch imported) it
    # ran 30x slower (8 ms against 0.25 ms for F5 at n = 100); a batch of smaller
    # GEMMs runs as fast either way.
    prefix = max(prefix, 1)
    if prefix >= t.rank - 1:
        return None
    return prefix, splits


def _carried(factors: Sequence[Factor], axes: Sequence[Index]) -> tuple[Index, ...]:
    present = {i for f in factors for i in f.indices}
    return tuple(i for i in axes if i in present)


def _expanded(code: str, carried: Sequence[Index], axes: Sequence[Index]) -> str:
    """``code`` (axes ``carried``) with new length-1 axes where ``axes`` has others."""
    if len(carried) == len(axes):
        return code
    where = ", ".join(":" if i in carried else "None" for i in axes)
    return f"{_operand(code)}[{where}]"


@dataclass(frozen=True)
class Block:
    """``left`` (``L``, the u columns stacked) and ``right`` (``R``, the v rows) as code,
    and ``product``: the result's code with ``{left}`` and ``{right}`` to fill in (names
    of temporaries holding them, or the codes themselves)."""

    left: str
    right: str
    product: str

    def inline(self) -> str:
        """The whole result as one expression."""
        return self.product.format(left=self.left, right=self.right)


def to_block_code(t: Tensor, sizes: Mapping[Dim, str], backend: str | Backend = "numpy",
                  code: Callable[[Node], str] | None = None) -> Block | None:
    """``t`` as one batched ``matmul`` (see the module doc), or ``None`` when the form
    does not apply.  ``sizes`` and ``code`` are as for
    :func:`~matdiff.codegen.einsum.to_einsum_code`."""
    be = get_backend(backend)
    if be.fuses_sums:
        return None
    found = split_terms(t)
    if found is None:
        return None
    prefix, splits = found
    axes = t.indices
    left_axes, right_axes = axes[:-1], (*axes[:prefix], axes[-1])
    left_shape = shape_code(sizes, [i.dim for i in left_axes])
    right_shape = shape_code(sizes, [i.dim for i in right_axes])
    # Terms with the same u (factor for factor) share one column: -t0⊗t0 + t0⊗M is
    # t0⊗(M - t0), one outer product fewer to write.
    merged: dict[tuple[tuple[Node, tuple[Index, ...]], ...], list[Split]] = {}
    for s in splits:
        merged.setdefault(tuple((f.node, f.indices) for f in s.u), []).append(s)
    lefts, rights = [], []
    for group in merged.values():
        u = group[0].u
        carried = _carried(u, left_axes) or tuple(left_axes)
        part = Tensor(carried, (Term(Fraction(1), u),))
        body = _expanded(to_einsum_code(part, sizes, be, code, views=True), carried, left_axes)
        lefts.append(be.call("broadcast_to", (body, left_shape)))
        carried = _carried([f for s in group for f in s.v], right_axes) or tuple(right_axes)
        part = Tensor(carried, tuple(Term(s.coefficient, s.v) for s in group))
        body = _expanded(to_einsum_code(part, sizes, be, code, views=True), carried, right_axes)
        rights.append(be.call("broadcast_to", (body, right_shape)))
    left = be.call("stack", (_listing(lefts), "-1"))
    right = be.call("stack", (_listing(rights), "-2"))
    rows = len(axes) - 1 - prefix
    product = "{left}"
    if rows > 1:  # (batch, rows..., T) -> (batch, rows, T): a free reshape of the stack
        batch = [size_code(sizes, i.dim) for i in axes[:prefix]]
        product += f".reshape({', '.join([*batch, '-1', str(len(lefts))])})"
    product = be.call("matmul", (product, "{right}"))
    if rows > 1:
        product = f"{product}.reshape({shape_code(sizes, [i.dim for i in axes])})"
    return Block(left, right, product)


def _listing(items: Sequence[str]) -> str:
    """A list literal, one item per line (inside a function body: 8 spaces)."""
    return "[\n" + "".join(f"        {item},\n" for item in items) + "    ]"
