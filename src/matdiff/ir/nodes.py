"""Immutable, hash-consed expression nodes.

A :class:`Node` is ``(op, args, attrs, shape)``.  Nodes are interned: building the same
structure twice returns the same object, so equality is identity, hashing is O(1), and
a dictionary keyed by nodes is a cheap common-subexpression table.  Shapes are checked
when a node is made (:func:`make`); no node with inconsistent shapes can exist.

Source spans are *not* part of a node (one interned ``X`` stands for every occurrence);
the parser keeps spans on its syntax tree and reports errors from there.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Any

from ..errors import ShapeError
from ..shapes import DimVar, Shape, ShapeMismatch, strict_unify
from .ops import OPS, apply_shape_rule


class Node:
    """One interned expression node.  Build with :func:`make`, never directly."""

    __slots__ = ("__weakref__", "args", "attrs", "op", "shape", "size")

    op: str
    args: tuple[Node, ...]
    attrs: tuple[Any, ...]
    shape: Shape
    size: int  # number of nodes in the tree (with repetition); bounds work per input

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Node is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (make, (self.op, self.args, self.attrs, self.shape if self.is_leaf else None))

    @property
    def is_leaf(self) -> bool:
        return not self.args

    @property
    def spec(self) -> Any:
        return OPS[self.op]

    def __repr__(self) -> str:
        if self.op == "var":
            return str(self.attrs[0])
        if self.op == "differential":
            return f"d{self.attrs[0]}"
        if self.op == "const":
            return str(self.attrs[0])
        inner = ", ".join(repr(a) for a in self.args)
        extra = ", ".join(repr(a) for a in self.attrs)
        body = ", ".join(p for p in (inner, extra) if p)
        return f"{self.op}({body})"

    def walk(self) -> Iterator[Node]:
        """Every distinct node of the DAG, children before parents (iterative)."""
        seen: set[int] = set()
        stack: list[tuple[Node, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in seen:
                continue
            if expanded:
                seen.add(id(node))
                yield node
                continue
            stack.append((node, True))
            for a in reversed(node.args):
                if id(a) not in seen:
                    stack.append((a, False))

    def contains(self, target: Node) -> bool:
        return any(n is target for n in self.walk())

    def variables(self) -> dict[str, Node]:
        """The ``var`` leaves by name."""
        return {n.attrs[0]: n for n in self.walk() if n.op == "var"}

    def substitute(self, mapping: Mapping[Node, Node]) -> Node:
        """This expression with every occurrence of a key of ``mapping`` replaced by its
        value (shapes agree)."""
        done: dict[Node, Node] = {}
        for n in self.walk():  # children first
            if n in mapping:
                done[n] = mapping[n]
            elif n.is_leaf:
                done[n] = n
            else:
                args = [done[a] for a in n.args]
                same = all(x is y for x, y in zip(args, n.args, strict=True))
                done[n] = n if same else make(n.op, args, n.attrs)
        return done[self]


_TABLE: weakref.WeakValueDictionary[tuple[Any, ...], Node] = weakref.WeakValueDictionary()


def make(op: str, args: Sequence[Node] = (), attrs: tuple[Any, ...] = (),
         shape: Shape | None = None) -> Node:
    """Intern the node ``op(args; attrs)``, checking shapes.

    Leaves (``var``, ``differential``, ``const``, ``fill``, ``eye``) need ``shape``; for
    the other ops it is computed by the op's shape rule and must not be given.
    Raises :class:`~matdiff.errors.ShapeError` if the operands do not fit.
    """
    spec = OPS[op]  # KeyError for an unknown op is a programming error
    args = tuple(args)
    if spec.leaf:
        if args or shape is None:
            raise ValueError(f"leaf op {op} takes no operands and needs a shape")
        _check_solved(shape)
        _check_leaf_attrs(op, attrs, shape)
    else:
        if shape is not None:
            raise ValueError(f"the shape of {op} is computed, not given")
        try:
            shape = apply_shape_rule(op, [a.shape for a in args], attrs, strict_unify)
        except ShapeMismatch as e:
            raise ShapeError(e.message) from None
    key = (op, tuple(id(a) for a in args), attrs, shape)
    node = _TABLE.get(key)
    if node is not None:
        return node
    node = object.__new__(Node)
    object.__setattr__(node, "op", op)
    object.__setattr__(node, "args", args)
    object.__setattr__(node, "attrs", attrs)
    object.__setattr__(node, "shape", shape)
    object.__setattr__(node, "size", 1 + sum(a.size for a in args))
    _TABLE[key] = node
    return node


def _check_solved(shape: Shape) -> None:
    for d in shape.dims:
        if isinstance(d, DimVar):
            raise ValueError(f"unsolved dimension {d!r} in an IR shape")


def _check_leaf_attrs(op: str, attrs: tuple[Any, ...], shape: Shape) -> None:
    if op == "var":
        ok = len(attrs) == 2 and isinstance(attrs[0], str) and isinstance(attrs[1], frozenset)
    elif op == "differential":
        ok = len(attrs) == 1 and isinstance(attrs[0], str)
    elif op == "const":
        ok = len(attrs) == 1 and isinstance(attrs[0], Fraction) and shape.is_scalar
    elif op == "fill":
        ok = len(attrs) == 1 and isinstance(attrs[0], Fraction) and not shape.is_scalar
    elif op == "eye":
        ok = not attrs and shape.kind == "matrix" and shape.rows == shape.cols
    else:  # pragma: no cover - the leaf list is closed
        ok = False
    if not ok:
        raise ValueError(f"bad attributes {attrs!r} for leaf {op} of shape {shape}")
