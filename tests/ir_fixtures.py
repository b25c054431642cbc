"""Variables shared by the evaluator and code-generation tests (not a test module).

Symbolic sizes m = 3, n = 4 are distinct, so a transposed axis cannot pass by accident.
"""

from __future__ import annotations

from matdiff.ir import build as b
from matdiff.ir.nodes import Node
from matdiff.shapes import SCALAR, matrix, vector

M, N = 3, 4
a, c = b.var("a", SCALAR), b.var("c", SCALAR)
x, y = b.var("x", vector("n")), b.var("y", vector("n"))
z = b.var("z", vector("m"))
A = b.var("A", matrix("m", "n"))
X, S = b.var("X", matrix("n", "n")), b.var("S", matrix("n", "n"))
P = b.var("P", matrix("m", "n"))  # positive entries
p = b.var("p", vector("n"))  # positive entries
u = b.var("u", vector("n"))  # entries in (-0.9, 0.9)


def free_dims(node: Node) -> set[object]:
    """Dimensions of ``node`` fixed by none of its variables nor its own shape (the ``n``
    of ``sum(vector(1))``: its printed text reads back with a fresh dimension there)."""
    fixed = set(node.shape.dims)
    for n in node.walk():
        if n.op == "var":
            fixed |= set(n.shape.dims)
    return {d for n in node.walk() for d in n.shape.dims} - fixed
