"""Folding a flat chain of the parser (``a + b - c``, ``A*x*y'``) into IR nodes in linear
time, with the same result as pairwise :mod:`matdiff.ir.build` calls."""

from __future__ import annotations

from collections.abc import Callable

from ..ir import build as b
from ..ir.nodes import Node
from ..shapes import Shape

_JOIN: dict[str, Callable[..., Node]] = {"add": b.add, "mul": b.mul, "hadamard": b.hadamard}


class Accumulator:
    """The value of a chain so far, kept as the operand list of a pending n-ary node.

    ``b.add``/``b.hadamard`` splice a child of the same op; ``b.mul`` splices a product
    unless it is a scalar product of non-scalar factors (``x'*y``), which stays grouped
    — so a pending product that has become such a scalar is closed into one node before
    the next factor (``x'*y*z`` is ``(x'*y)*z``, not the chain ``x' y z``).
    """

    def __init__(self, node: Node, scalar: bool):
        self.kind: str | None = None
        self.items: list[Node] = [node]
        self.scalar = scalar  # whether the value so far is a scalar
        self.has_array = False  # whether a pending product has a non-scalar factor

    def node(self) -> Node:
        if self.kind is None:
            return self.items[0]
        node = _JOIN[self.kind](*self.items)
        self.reset(node)
        return node

    def node_shape(self) -> Shape:
        return self.items[0].shape if self.kind != "mul" else self.node().shape

    def reset(self, node: Node) -> None:
        self.kind, self.items, self.has_array = None, [node], False

    def extend(self, kind: str, x: Node) -> None:
        if self.kind == "mul" and kind == "mul" and self.scalar and self.has_array:
            self.reset(self.node())  # close the grouped scalar product
        if self.kind != kind:
            node = self.node()
            self.kind, self.items = kind, _operands(kind, node)
            self.has_array = kind == "mul" and any(not i.shape.is_scalar for i in self.items)
        new = _operands(kind, x)
        self.items.extend(new)
        if kind == "mul":
            self.has_array = self.has_array or any(not i.shape.is_scalar for i in new)


def _operands(kind: str, node: Node) -> list[Node]:
    """What ``b.<kind>`` splices from ``node`` when it is an operand."""
    if node.op != kind:
        return [node]
    if kind == "mul" and node.shape.is_scalar and any(not a.shape.is_scalar
                                                      for a in node.args):
        return [node]
    return list(node.args)
