"""Symbolic dimensions, the four shape kinds, and dimension unification.

A shape has two slots, ``rows`` and ``cols``; an empty slot (``None``) is a dimension of
extent one that is *not* an axis of the value:

=============  ======  ======  ==============  =================
kind           rows    cols    NumPy value     example
=============  ======  ======  ==============  =================
scalar         None    None    ``()``          ``a``, ``x'*y``
vector         n       None    ``(n,)``        ``x``, ``A*x``
row vector     None    n       ``(n,)``        ``x'``
matrix         m       n       ``(m, n)``      ``X``, ``x*y'``
=============  ======  ======  ==============  =================

With this encoding the matrix product is one rule for every kind: ``(a, b) * (c, d)``
needs ``b == c`` (both empty, or the same dimension) and gives ``(a, d)``; transpose
swaps the slots.  DESIGN.md: "Vectors are columns; ``x'`` is a row; a 1x1 result is a
scalar."

Dimensions are ``int`` (a fixed size), ``str`` (a symbolic name the user declared) or a
:class:`DimVar` (an unknown introduced by the parser and solved by :class:`Unifier`).
Shapes inside the IR hold only solved dimensions (``int`` or ``str``; an unconstrained
unknown is turned into a ``str`` such as ``"rows(X)"``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Kind = Literal["scalar", "vector", "row", "matrix"]


class DimVar:
    """An unknown dimension; ``label`` names where it came from, e.g. ``rows(X)``."""

    __slots__ = ("label", "order")
    _counter = itertools.count()

    def __init__(self, label: str):
        self.label = label
        self.order = next(DimVar._counter)

    def __repr__(self) -> str:
        return self.label


@dataclass(frozen=True, slots=True)
class DimProduct:
    """The product of dimensions of which at least one is still unknown (a
    :class:`DimVar`), as the parser's shape rules make it: ``kron`` of m x n and p x q
    is ``(m*p) x (n*q)``, ``vec`` of m x n an ``(m*n)``-vector (The Matrix Cookbook,
    sec. 10.2).  :class:`Unifier` solves it to the product of its factors' solutions;
    solved products are ``str`` dimensions such as ``"rows(A)*rows(B)"`` (see
    :func:`multiply`)."""

    factors: tuple[int | str | DimVar, ...]

    def __repr__(self) -> str:  # as the product will print once solved: 2*rows(B)
        shown = multiply(*(f.label if isinstance(f, DimVar) else f for f in self.factors))
        return str(shown)


Dim = int | str | DimVar | DimProduct


# The parser names the size of a constant by its column (``size(eye@4)``): unique, but
# not something a user can read or type.
_CONSTANT_SIZE = re.compile(r"\b(size|len|rows|cols)\((eye|vector|matrix)@(\d+)\)")


def show_dim(d: Dim) -> str:
    """A dimension as messages name it: ``n``, ``rows(X)``, ``size(eye at column 4)``."""
    text = d.label if isinstance(d, DimVar) else repr(d) if isinstance(d, DimProduct) else str(d)
    return _CONSTANT_SIZE.sub(lambda m: f"{m[1]}({m[2]} at column {m[3]})", text)


@dataclass(frozen=True, slots=True)
class Shape:
    """A value's shape: two slots, each a dimension or ``None`` (see the module doc)."""

    rows: Dim | None
    cols: Dim | None

    @property
    def kind(self) -> Kind:
        if self.rows is None:
            return "scalar" if self.cols is None else "row"
        return "vector" if self.cols is None else "matrix"

    @property
    def is_scalar(self) -> bool:
        return self.rows is None and self.cols is None

    @property
    def T(self) -> Shape:
        return Shape(self.cols, self.rows)

    @property
    def dims(self) -> tuple[Dim, ...]:
        """The axes of the NumPy value, in order (``()`` for a scalar)."""
        return tuple(d for d in (self.rows, self.cols) if d is not None)

    def describe(self, show: Callable[[Dim], str] = show_dim) -> str:
        """``scalar``, ``vector(n)``, ``row vector(n)`` or ``matrix(m, n)``."""
        k = self.kind
        if k == "scalar":
            return "scalar"
        if k == "vector":
            assert self.rows is not None
            return f"vector({show(self.rows)})"
        if k == "row":
            assert self.cols is not None
            return f"row vector({show(self.cols)})"
        assert self.rows is not None and self.cols is not None
        return f"matrix({show(self.rows)}, {show(self.cols)})"

    def __str__(self) -> str:
        return self.describe()

    def map(self, f: Callable[[Dim], Dim]) -> Shape:
        return Shape(None if self.rows is None else f(self.rows),
                     None if self.cols is None else f(self.cols))


SCALAR = Shape(None, None)


def vector(n: Dim) -> Shape:
    return Shape(n, None)


def row(n: Dim) -> Shape:
    return Shape(None, n)


def matrix(m: Dim, n: Dim) -> Shape:
    return Shape(m, n)


# --- products of dimensions (kron, vec, reshape) ----------------------------------------

def dim_factors(d: Dim) -> tuple[int | str | DimVar, ...]:
    """The factors of a dimension: a solved product ``"m*rows(B)"`` splits at ``*``
    (no name or label contains one), a :class:`DimProduct` lists its own."""
    if isinstance(d, DimProduct):
        return d.factors
    if isinstance(d, str) and "*" in d:
        return tuple(int(f) if f.isdigit() else f for f in d.split("*"))
    return (d,)


def is_product(d: Dim) -> bool:
    """Whether ``d`` is a product of two or more dimensions."""
    return len(dim_factors(d)) > 1


def multiply(*dims: Dim) -> Dim:
    """The product of dimensions.  A solved product is in a canonical form, so equal
    products compare equal: integers multiplied into one leading coefficient (dropped
    when 1), named factors sorted, as the ``str`` ``"2*m*n"``.  A product with an unknown
    factor is a :class:`DimProduct` of its factors in the order given (fastest-varying
    index first), which :meth:`Unifier.settle` pairs by position."""
    flat = [f for d in dims for f in dim_factors(d) if f != 1]
    if any(isinstance(f, DimVar) for f in flat):
        return flat[0] if len(flat) == 1 else DimProduct(tuple(flat))
    coefficient = 1
    named: list[str] = []
    for f in flat:
        if isinstance(f, int):
            coefficient *= f
        else:
            assert isinstance(f, str)
            named.append(f)
    if not named:
        return coefficient
    named.sort(key=_factor_key)
    return "*".join([*([str(coefficient)] if coefficient != 1 else []), *named])


_SIZE_LABEL = re.compile(r"(rows|len|cols)\((.*)\)")


def _factor_key(name: str) -> tuple[str, int, str]:
    """Named factors in a product: by the variable they size, rows before columns
    (``rows(X)*cols(X)``), plain names alphabetically (``m*n``)."""
    m = _SIZE_LABEL.fullmatch(name)
    if m is None:
        return (name, -1, "")
    return (m[2], 0 if m[1] != "cols" else 1, m[1])


def product_size(d: Dim, sizes: Mapping[Dim, int]) -> int | None:
    """The size of a product dimension from its factors' sizes, or ``None`` when a factor
    has none (``sizes`` maps named dimensions to their sizes)."""
    total = 1
    for f in dim_factors(d):
        if isinstance(f, int):
            total *= f
        elif f in sizes:
            total *= sizes[f]
        else:
            return None
    return total


def complete_sizes(sizes: dict[Dim, int], dims: Iterable[Dim]) -> None:
    """Give each product dimension in ``dims`` its size from its factors (in place);
    a product already sized must agree with its factors (:class:`DimConflict`)."""
    for d in dims:
        if not is_product(d):
            continue
        size = product_size(d, sizes)
        if size is None:
            continue
        if d in sizes and sizes[d] != size:
            raise DimConflict(d, size)
        sizes[d] = size


class DimConflict(Exception):
    """Two dimensions that must be equal are not (raised by a :data:`Unify`)."""

    def __init__(self, a: Dim, b: Dim):
        super().__init__(f"{show_dim(a)} != {show_dim(b)}")
        self.a = a
        self.b = b


class ShapeMismatch(Exception):
    """Raised by a shape rule; ``message`` explains the problem in the user's terms.

    The IR layer adds the operation and the source position; see ``errors.ShapeError``.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


Unify = Callable[[Dim, Dim], None]
"""Asserts two dimensions are equal: strict in the IR, solving in the parser."""


def strict_unify(a: Dim, b: Dim) -> None:
    """Equality check used when building IR nodes (all dimensions already solved)."""
    if a != b:
        raise DimConflict(a, b)


def same_slot(a: Dim | None, b: Dim | None, unify: Unify) -> bool:
    """Whether two slots agree: both empty, or both dimensions (then unified)."""
    if a is None or b is None:
        return a is None and b is None
    unify(a, b)
    return True


class Unifier:
    """Union-find over dimensions, used while the parser infers shapes.

    The representative of a class is, in order of preference: an ``int``, a declared
    name (``str``), the oldest :class:`DimVar`.  Two different ints, or two different
    declared names, conflict: distinct names are distinct dimensions.

    A :class:`DimProduct` (``rows(A)*rows(B)``) is found through its factors: an unknown
    unified with it is bound to it, and when its factors are all known it is their
    product.  An equation between a product and a dimension that fixes neither side
    (``rows(A)*rows(B) = n``) is kept and checked whenever more is known; one still open
    after inference is reported by :meth:`unresolved`.
    """

    def __init__(self) -> None:
        self._parent: dict[Dim, Dim] = {}
        self._deferred: list[tuple[Dim, Dim]] = []

    def find(self, d: Dim) -> Dim:
        """The representative of ``d``'s class; a product's factors are each found and
        kept in their order (it compares equal to a product of the same factors in any
        order, :meth:`canonical`)."""
        if isinstance(d, DimProduct):
            return self._product(d.factors)
        root: Dim = d
        while root in self._parent:
            root = self._parent[root]
        while d in self._parent and self._parent[d] is not root:  # path compression
            self._parent[d], d = root, self._parent[d]
        if isinstance(root, DimProduct):
            return self._product(root.factors)
        return root

    def _product(self, factors: tuple[int | str | DimVar, ...]) -> Dim:
        flat = [f for g in factors for f in dim_factors(self.find(g)) if f != 1]
        if all(isinstance(f, int) for f in flat):
            return multiply(*flat)
        return flat[0] if len(flat) == 1 else DimProduct(tuple(flat))

    def canonical(self, d: Dim) -> Dim:
        """``find``, with a product of known factors in its canonical form (``"m*n"``)."""
        r = self.find(d)
        return multiply(*r.factors) if isinstance(r, DimProduct) else r

    @staticmethod
    def _key(d: Dim) -> object:
        """Equality up to the order of a product's factors."""
        if not isinstance(d, DimProduct):
            return d
        known = multiply(*(f for f in d.factors if not isinstance(f, DimVar)))
        return (known, tuple(sorted((f for f in d.factors if isinstance(f, DimVar)),
                                    key=lambda v: v.order)))

    @staticmethod
    def _has_unknown(d: Dim) -> bool:
        return isinstance(d, DimVar) or (isinstance(d, DimProduct) and any(
            isinstance(f, DimVar) for f in d.factors))

    @staticmethod
    def _rank(d: Dim) -> tuple[int, int]:
        if isinstance(d, int):
            return (0, 0)
        if isinstance(d, str):
            return (1, 0)
        assert isinstance(d, DimVar)
        return (2, d.order)

    def unify(self, a: Dim, b: Dim) -> None:
        if self._bind(a, b):
            self._recheck()

    def _bind(self, a: Dim, b: Dim) -> bool:
        """Unify without rechecking; whether anything became known."""
        ra, rb = self.find(a), self.find(b)
        if self._key(ra) == self._key(rb):
            return False
        if isinstance(ra, DimProduct) or isinstance(rb, DimProduct):
            if not self._has_unknown(ra) and not self._has_unknown(rb):
                ca, cb = self.canonical(ra), self.canonical(rb)
                if ca != cb:
                    raise DimConflict(ca, cb)
                return False
            return self._unify_product(ra, rb)
        if not isinstance(ra, DimVar) and not isinstance(rb, DimVar):
            raise DimConflict(ra, rb)
        if self._rank(rb) < self._rank(ra):
            ra, rb = rb, ra
        self._parent[rb] = ra
        return True

    def _unify_product(self, ra: Dim, rb: Dim) -> bool:
        if isinstance(rb, DimProduct) and (not isinstance(ra, DimProduct)
                                           or not self._has_unknown(ra)):
            ra, rb = rb, ra
        assert isinstance(ra, DimProduct)
        if isinstance(rb, DimVar):
            if rb in ra.factors:  # n = n*m: only m = 1 would do; refuse it
                raise DimConflict(rb, ra)
            self._parent[rb] = ra
            return True
        unknown = [f for f in ra.factors if isinstance(f, DimVar)]
        known = multiply(*(f for f in ra.factors if not isinstance(f, DimVar)))
        if len(unknown) == 1 and isinstance(rb, int) and isinstance(known, int):
            if rb % known:
                raise DimConflict(ra, rb)
            self._parent[unknown[0]] = rb // known  # 2*rows(A) = 6: rows(A) = 3
            return True
        self._deferred.append((ra, rb))
        return False

    def _recheck(self) -> None:
        """Settle the kept product equations that what is now known decides."""
        progress = True
        while progress and self._deferred:
            progress = False
            pending, self._deferred = self._deferred, []
            for a, b in pending:
                progress = self._bind(a, b) or progress

    def settle(self) -> list[tuple[str, str]]:
        """Close the product equations inference left open, factor by factor in the
        order written, as unification of terms does: ``rows(A)*rows(X) =
        cols(A)*cols(X)`` (``tr(kron(A, X))``) makes ``A`` and ``X`` square.  Returns
        the equations that cannot be closed so (factor counts differ: ``rows(A)*rows(B)
        = n``), as ``(left, right)`` texts, for the caller's error."""
        self._recheck()
        open_, self._deferred = self._deferred, []
        failed: list[tuple[str, str]] = []
        for a, b in open_:
            ra, rb = self.find(a), self.find(b)
            if self._key(ra) == self._key(rb):
                continue
            fa, fb = list(dim_factors(ra)), list(dim_factors(rb))
            if len(fa) != len(fb):
                failed.append((show_dim(ra), show_dim(rb)))
                continue
            # a factor named as the other side names one pairs with it (a printed
            # rows(A)*rows(B) is sorted, so position alone would not say which is which)
            pairs = []
            for x in list(fa):
                match = next((y for y in fb if show_dim(y) == show_dim(x)), None)
                if match is not None:
                    fa.remove(x)
                    fb.remove(match)
                    pairs.append((x, match))
            try:
                for x, y in [*pairs, *zip(fa, fb, strict=True)]:
                    self.unify(x, y)
            except DimConflict:
                failed.append((show_dim(ra), show_dim(rb)))
        return failed

    def show(self, d: Dim) -> str:
        return show_dim(self.canonical(d))

    def solve(self, d: Dim) -> int | str:
        """The solved dimension: an int, a declared name, or the unknown's label (a
        product: the product of its factors' solutions)."""
        r = self.find(d)
        if isinstance(r, DimProduct):
            solved = multiply(*(self.solve(f) for f in r.factors))
            assert isinstance(solved, int | str)
            return solved
        return r.label if isinstance(r, DimVar) else r

    def solve_shape(self, s: Shape) -> Shape:
        return s.map(self.solve)
