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
from collections.abc import Callable
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


Dim = int | str | DimVar


# The parser names the size of a constant by its column (``size(eye@4)``): unique, but
# not something a user can read or type.
_CONSTANT_SIZE = re.compile(r"\b(size|len|rows|cols)\((eye|vector|matrix)@(\d+)\)")


def show_dim(d: Dim) -> str:
    """A dimension as messages name it: ``n``, ``rows(X)``, ``size(eye at column 4)``."""
    text = d.label if isinstance(d, DimVar) else str(d)
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
    """

    def __init__(self) -> None:
        self._parent: dict[Dim, Dim] = {}

    def find(self, d: Dim) -> Dim:
        root = d
        while root in self._parent:
            root = self._parent[root]
        while d in self._parent and self._parent[d] is not root:  # path compression
            self._parent[d], d = root, self._parent[d]
        return root

    @staticmethod
    def _rank(d: Dim) -> tuple[int, int]:
        if isinstance(d, int):
            return (0, 0)
        if isinstance(d, str):
            return (1, 0)
        return (2, d.order)

    def unify(self, a: Dim, b: Dim) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if not isinstance(ra, DimVar) and not isinstance(rb, DimVar):
            raise DimConflict(ra, rb)
        if self._rank(rb) < self._rank(ra):
            ra, rb = rb, ra
        self._parent[rb] = ra

    def show(self, d: Dim) -> str:
        return show_dim(self.find(d))

    def solve(self, d: Dim) -> int | str:
        """The solved dimension: an int, a declared name, or the unknown's label."""
        r = self.find(d)
        return r.label if isinstance(r, DimVar) else r

    def solve_shape(self, s: Shape) -> Shape:
        return s.map(self.solve)
