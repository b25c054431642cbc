"""The calls of the Kronecker/vec family that are not one operand of one op: ``kron(A, B)``
(two operands), ``reshape(U, m, n)`` (an operand and two sizes), and the hint for the
matrix functions the language does not have (``expm``, ``logm``, ``sqrtm``, ``funm``).

``kron`` is the Kronecker product (The Matrix Cookbook, sec. 10.2.1), ``vec`` stacks the
columns (sec. 10.2.2) and ``reshape`` is MATLAB's column-major reshape, its inverse
(``reshape(vec(X), rows(X), cols(X)) = X``), which the gradients through ``vec`` print.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ParseError, ShapeError
from ..ir import build as b
from ..ir.nodes import Node
from ..shapes import Shape
from ..spans import Span
from .syntax import Call
from .syntax_tools import size_argument

if TYPE_CHECKING:  # the elaborator calls this module; the types only name it
    from .elaborate import Elaborator, Plan

CALLS = frozenset({"kron", "reshape"})

MATRIX_FUNCTIONS = {"expm": "exponential", "logm": "logarithm", "sqrtm": "square root",
                    "funm": "function"}
"""MATLAB's matrix functions: a user who types one must not be sent to the elementwise
function of a similar name (``exp(X)`` is not the matrix exponential)."""


def matrix_function_hint(name: str) -> str | None:
    """The message for ``expm``/``logm``/``sqrtm``/``funm``, or ``None``."""
    what = MATRIX_FUNCTIONS.get(name)
    if what is None:
        return None
    return (f"{name} (the matrix {what}) is not in the language; exp, log and sqrt apply "
            "to each entry (exp(X) is the elementwise exponential, not the matrix "
            "exponential)")


def call(el: Elaborator, e: Call, plan: type[Plan]) -> Plan:
    """``kron(A, B)`` or ``reshape(U, m, n)`` as a plan (shapes through the unifier)."""
    if e.name == "kron":
        if len(e.args) != 2:
            raise ParseError(f"kron takes two arguments, kron(A, B), got {len(e.args)}",
                             e.span, el.text)
        left, right = (el.infer(a) for a in e.args)
        shape = el._rule("kron", [left.shape, right.shape], (), e.span)
        return plan("kron", (left, right), (), shape)
    if len(e.args) != 3:
        raise ParseError(f"reshape takes a vector or matrix and two sizes, reshape(U, m, n), "
                         f"got {len(e.args)} arguments", e.span, el.text)
    inner = el.infer(e.args[0])
    m, n = (size_argument(a, el.shapes, el.text) for a in e.args[1:])
    shape = el._rule("reshape", [inner.shape], (m, n), e.span)
    return plan("reshape", (inner,), (m, n), Shape(shape.rows, shape.cols))


def build(op: str, args: list[Node], shape: Shape) -> Node:
    """The IR of a ``kron`` or ``reshape`` plan (``shape``: the plan's, solved)."""
    return b.kron(*args) if op == "kron" else b.reshape(args[0], shape)


def settle_products(el: Elaborator) -> None:
    """Close the equations between products of unknown sizes (kron, vec) that the text
    left open (:meth:`~matdiff.shapes.Unifier.settle`), or say which sizes to declare."""
    for left, right in el.unifier.settle():
        raise ShapeError(f"the sizes {left} and {right} must be equal, which does not fix "
                         "the factors; declare the sizes of the kron or vec operands",
                         Span(0, len(el.text)), el.text)
