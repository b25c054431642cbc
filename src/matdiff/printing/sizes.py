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

An expanded vector (``expand``) is decided the same way: in ``+ - .* ./ .^`` it prints
bare (``W*X + b``) when the parser, folding the operands left to right as it does,
expands it again to the same matrix; otherwise (``b + c`` both expanded, a column with
a row) it is in the returned set and prints its expansion (``b*ones(n)'``).
"""

from __future__ import annotations

import re

from ..ir.build import scaled_expansion
from ..ir.nodes import Node
from ..ir.ops import apply_shape_rule
from ..ir.reductions import size_of
from ..shapes import SCALAR, Dim, DimConflict, DimVar, Shape, ShapeMismatch, Unifier

CONSTANTS = frozenset({"fill", "eye", "broadcast"})
EXPANDED = "expand"
"""Implicit expansion: bare in the operators that expand (operands of ``BARE_OPERANDS``
and ``hadamard``), explicit elsewhere or where bare would not read back."""
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


def size_call(d: Dim) -> str | None:
    """``rows(X)``, ``cols(X)``, ``len(x)`` when ``d`` is so named (the size scalars the
    parser reads in an expression), else ``None``."""
    text = dim_text(d)
    return text if text is not None and _SIZE_CALL.fullmatch(text) else None


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
    constants = [n for n in root.walk()
                 if (n.op in CONSTANTS and can_size(n)) or n.op == EXPANDED]
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
            self.open[n] = (n.op in CONSTANTS and n not in self.sized and can_size(n)) or (
                n.op == EXPANDED and n not in self.sized) or any(
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
        if not self.open[node] or size_of(node) is not None:
            return node.shape  # reduce: a size scalar prints its size itself (rows(X))
        op = node.op
        if op == EXPANDED:
            return self._expanded(node, bare)
        if op in CONSTANTS:
            if op == "broadcast":
                self.shape(node.args[0], False)
            if node in self.sized or not can_size(node):  # s*ones(n): its own size
                return node.shape
            if op != "eye" and bare:
                return SCALAR
            return self.fresh(node)
        bare_args = op in BARE_OPERANDS
        shapes = [self._operand(a, bare_args or (op == "hadamard" and a.op == EXPANDED),
                                op == "add") for a in node.args]
        if bare_args or op == "hadamard":
            printed = self._broadcasting(node, shapes)
        else:
            printed = apply_shape_rule(op, shapes, node.attrs, self.unify)
        if printed.kind != node.shape.kind:
            self._blame(node, shapes)
            return node.shape
        return printed

    def _operand(self, a: Node, bare: bool, term: bool) -> Shape:
        e = scaled_expansion(a) if term else None
        if e is not None and e not in self.sized:  # W*X - 2*b: prints as the vector 2*b
            for f in a.args:
                if f is not e:
                    self.shape(f, False)
            return self.shape(e.args[0], False)
        inner = negated_broadcast(a) if term else None
        if inner is not None and inner not in self.sized and can_size(inner):
            self.shape(inner.args[0], False)  # x - a: a negated broadcast prints bare
            return SCALAR
        return self.shape(a, bare)

    def _expanded(self, node: Node, bare: bool) -> Shape:
        """An expansion: bare, the vector's printed shape (the enclosing operator expands
        it); explicit (``b*ones(n)'``), the vector's length with the printed count."""
        inner = self.shape(node.args[0], False)
        if bare and node not in self.sized:
            return inner
        if inner.kind == "vector":
            return Shape(inner.rows, node.shape.cols)
        return Shape(node.shape.rows, inner.cols)

    def _broadcasting(self, node: Node, shapes: list[Shape]) -> Shape:
        """``+``, ``.*``, ``./``, ``.^`` as the parser reads them, left to right: scalars
        broadcast to the others, a vector against a matrix is expanded.  When that fails,
        the first operand printed as a bare expansion is to print its expansion."""
        op = node.op
        try:
            acc = shapes[0]
            for s in shapes[1:]:
                acc = self._combine(op, acc, s)
            return acc
        except (DimConflict, ShapeMismatch):
            for a, s in zip(node.args, shapes, strict=True):
                e = (scaled_expansion(a) if op == "add" else None) or a
                if e.op == EXPANDED and e not in self.sized and s.kind != "matrix":
                    self.culprits.add(e)
                    return node.shape
            raise

    def _combine(self, op: str, acc: Shape, s: Shape) -> Shape:
        if acc.is_scalar or s.is_scalar:
            return s if acc.is_scalar else acc
        kinds = (acc.kind, s.kind)
        if "matrix" in kinds and kinds != ("matrix", "matrix"):
            vec, mat = (acc, s) if acc.kind != "matrix" else (s, acc)
            if vec.kind == "vector":
                assert vec.rows is not None and mat.rows is not None
                self.unify(vec.rows, mat.rows)
            else:
                assert vec.cols is not None and mat.cols is not None
                self.unify(vec.cols, mat.cols)
            return mat
        return apply_shape_rule(op, [acc, s], (), self.unify)

    def _blame(self, node: Node, shapes: list[Shape]) -> None:
        """``node`` printed with the wrong kind: only bare scalars can cause that, so the
        first constant operand printed as a scalar for a non-scalar value prints its size."""
        for a, s in zip(node.args, shapes, strict=True):
            if (a.op in ("fill", "broadcast") and s.is_scalar and not a.shape.is_scalar
                    and a not in self.sized and can_size(a)):
                self.culprits.add(a)
                return
            e = (scaled_expansion(a) if node.op == "add" else None) or a
            if e.op == EXPANDED and s.kind != "matrix" and e not in self.sized:
                self.culprits.add(e)  # b + c both expanded: b prints b*ones(n)'
                return
        raise _Unsolvable
