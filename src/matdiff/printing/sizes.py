"""Which constants must print their size so that a printed result is self-contained.

A constant (``fill``, ``eye``, a ``broadcast`` scalar) prints without its size where the
parser recovers the size from the context (``A + eye``, ``X'*vector(1)``, ``1 + exp(x)``)
and with it otherwise (``cos(f)*ones(rows(B), cols(B))``, ``eye(n)``): the printed text,
read back with the same declarations, has the result's shape and value.

The decision re-runs the parser's own shape inference on the expression *as the printers
write it* (:func:`sized_constants`): every unsized constant gets unknown dimensions (or,
in a position where the printers write it as a bare scalar -- operands of ``+``, ``./``,
``.^`` -- the scalar shape, which the parser broadcasts), the op table's shape rules
unify them with what surrounds them, and a constant whose unknowns stay unsolved, or
that makes an operation come out with the wrong kind (``(sigma + 2)`` standing for a
broadcast matrix, ``e.^2 + 1`` for a vector), is printed with its size; repeat until
nothing changes.  The same rules as the parser's, so the decision cannot drift from it.
"""

from __future__ import annotations

import re

from ..ir.nodes import Node
from ..ir.ops import apply_shape_rule
from ..shapes import SCALAR, Dim, DimConflict, DimVar, Shape, ShapeMismatch, Unifier

CONSTANTS = frozenset({"fill", "eye", "broadcast"})
BARE_OPERANDS = frozenset({"add", "ediv", "power"})
"""Ops whose operands the printers write bare: a constant or broadcast scalar there prints
as the scalar itself (``1 + exp(x)``, ``1 ./ x``, ``x.^2``)."""

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PRINTABLE = re.compile(rf"{_NAME}|(?:rows|cols|len)\({_NAME}\)")
_SIZE_CALL = re.compile(rf"(rows|cols|len)\(({_NAME})\)")
_BUDGET = 50_000  # occurrences visited per pass; beyond, every constant prints its size


def dim_text(d: Dim) -> str | None:
    """A dimension as the input language writes a size (``3``, ``n``, ``rows(X)``), or
    ``None`` for one it cannot name (the unconstrained size of a bare ``eye``)."""
    if isinstance(d, int):
        return str(d)
    if isinstance(d, str) and all(f.isdigit() or _PRINTABLE.fullmatch(f)
                                  for f in d.split("*")):
        return d  # a product of sizes (kron, vec) prints as it reads: rows(A)*rows(B)
    return None


def size_parts(d: Dim) -> tuple[str, str] | str:
    """A printable size as ``("rows", "X")`` for ``rows(X)``, else its text (``n``, ``3``;
    ``n`` for one nothing names)."""
    text = dim_text(d) or "n"
    m = _SIZE_CALL.fullmatch(text)
    return (m[1], m[2]) if m else text


def negated_broadcast(node: Node) -> Node | None:
    """The ``broadcast`` in a term ``-1*broadcast(s)``, which a sum prints as ``- s``
    (``x - a``), else ``None``."""
    if (node.op == "mul" and len(node.args) == 2 and node.args[0].op == "const"
            and node.args[0].attrs[0] == -1 and node.args[1].op == "broadcast"):
        return node.args[1]
    return None


def can_size(node: Node) -> bool:
    return all(dim_text(d) is not None for d in node.shape.dims)


class _Unsolvable(Exception):
    """The inference met a case it does not model: size every constant."""


def sized_constants(root: Node) -> frozenset[Node]:
    """The constant nodes of ``root`` that must print with their size (see the module
    docstring).  Conservative on a DAG: a node shared by several places prints its size
    everywhere when one place needs it."""
    constants = [n for n in root.walk() if n.op in CONSTANTS and can_size(n)]
    if not constants:
        return frozenset()
    sized: set[Node] = set()
    for _ in range(len(constants) + 1):
        try:
            more = _Pass(sized).run(root)
        except (_Unsolvable, DimConflict, ShapeMismatch):
            return frozenset(constants)
        if not more:
            return frozenset(sized)
        sized |= more
    return frozenset(constants)  # pragma: no cover - each pass adds a constant


class _Pass:
    """One inference over the tree as printed, with ``sized`` constants printing sizes."""

    def __init__(self, sized: set[Node]):
        self.sized = sized
        self.unifier = Unifier()
        self.visits = 0
        self.unknowns: list[tuple[Node, Shape]] = []  # unsized constants' printed shapes
        self.culprits: set[Node] = set()
        self.open: dict[Node, bool] = {}  # whether a subtree holds an unsized constant

    def run(self, root: Node) -> set[Node]:
        for n in root.walk():
            self.open[n] = (n.op in CONSTANTS and n not in self.sized and can_size(n)) or any(
                self.open[a] for a in n.args)
        self.shape(root, False)
        if self.culprits:
            return self.culprits
        for node, printed in self.unknowns:
            for mine, true in zip(printed.dims, node.shape.dims, strict=True):
                if self.unifier.canonical(mine) != true:
                    self.culprits.add(node)
        return self.culprits

    def unify(self, a: Dim, b: Dim) -> None:
        self.unifier.unify(a, b)

    def fresh(self, node: Node) -> Shape:
        s = node.shape
        printed = Shape(None if s.rows is None else DimVar("r"),
                        None if s.cols is None else DimVar("c"))
        if node.op == "eye":
            assert printed.rows is not None and printed.cols is not None
            self.unify(printed.rows, printed.cols)
        self.unknowns.append((node, printed))
        return printed

    def shape(self, node: Node, bare: bool) -> Shape:
        """The shape the parser gives ``node``'s printed text (``bare``: in a position
        where a constant prints as a scalar)."""
        self.visits += 1
        if self.visits > _BUDGET:
            raise _Unsolvable
        if not self.open[node]:
            return node.shape
        op = node.op
        if op in CONSTANTS:
            if op == "broadcast":
                self.shape(node.args[0], False)
            if node in self.sized or not can_size(node):  # s*ones(n): its own size
                return node.shape
            if op != "eye" and bare:
                return SCALAR
            return self.fresh(node)
        bare_args = op in BARE_OPERANDS
        shapes = [self._operand(a, bare_args, op == "add") for a in node.args]
        if bare_args:
            printed = self._broadcasting(op, shapes, node.attrs)
        else:
            printed = apply_shape_rule(op, shapes, node.attrs, self.unify)
        if printed.kind != node.shape.kind:
            self._blame(node, shapes)
            return node.shape
        return printed

    def _operand(self, a: Node, bare: bool, term: bool) -> Shape:
        inner = negated_broadcast(a) if term else None
        if inner is not None and inner not in self.sized and can_size(inner):
            self.shape(inner.args[0], False)  # x - a: a negated broadcast prints bare
            return SCALAR
        return self.shape(a, bare)

    def _broadcasting(self, op: str, shapes: list[Shape], attrs: tuple[object, ...]) -> Shape:
        """``+``, ``./``, ``.^`` as the parser reads them: scalars broadcast to the others."""
        arrays = [s for s in shapes if not s.is_scalar]
        if not arrays:
            return SCALAR
        if len(arrays) == 1:
            return arrays[0]
        return apply_shape_rule(op, arrays, attrs, self.unify)

    def _blame(self, node: Node, shapes: list[Shape]) -> None:
        """``node`` printed with the wrong kind: only bare scalars can cause that, so the
        first constant operand printed as a scalar for a non-scalar value prints its size."""
        for a, s in zip(node.args, shapes, strict=True):
            if (a.op in ("fill", "broadcast") and s.is_scalar and not a.shape.is_scalar
                    and a not in self.sized and can_size(a)):
                self.culprits.add(a)
                return
        raise _Unsolvable
