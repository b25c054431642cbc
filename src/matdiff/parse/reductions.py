"""The calls that take a dimension: ``sum(X, d)``, ``mean(U)``, ``mean(X, d)``,
``logsumexp(U)``, ``logsumexp(X, d)``, ``softmax(x)``, ``softmax(X, d)``.

MATLAB's convention (see :mod:`matdiff.ir.reductions`): ``d`` is the literal ``1`` (down
each column: an m x n matrix gives a 1 x n row) or ``2`` (across each row: an m x 1
column).  Without ``d`` every entry is reduced, except that ``softmax`` of a matrix must
say which way it normalises.
"""

from __future__ import annotations

from ..errors import ParseError, ShapeError
from ..ir.reductions import REDUCTIONS, reduced_shape
from ..shapes import SCALAR, Shape
from .syntax import Call, Num

SIZES = frozenset({"rows", "cols", "len"})
"""``rows(X)``, ``cols(X)``, ``len(x)`` in an expression: that size as a scalar (the
number of entries ``mean`` divides by, as a result prints it)."""


def takes_dimension(e: Call) -> bool:
    """Whether this call is one of the reductions of this module (``sum(X)`` alone stays
    the plain ``sum`` op)."""
    return e.name in REDUCTIONS and not (e.name == "sum" and len(e.args) == 1)


def _dimension(e: Call, text: str) -> int:
    arg = e.args[1]
    if e.name == "softmax":
        valid = ("the dimension of softmax(X, d) is the number 1 (each column sums to 1) or 2 "
                 "(each row sums to 1)")
    else:
        valid = (f"the dimension of {e.name}(X, d) is the number 1 (down each column, giving "
                 f"a row) or 2 (across each row, giving a column)")
    if not isinstance(arg, Num):
        raise ParseError(f"{valid}; write it as the literal 1 or 2", arg.span, text)
    if arg.value not in (1, 2):
        shown = text[arg.span.start:arg.span.end].strip()
        raise ParseError(f"{valid}, got {shown}", arg.span, text)
    return int(arg.value)


def check_arguments(e: Call, text: str) -> int:
    """The dimension of the call (0: every entry), once its arguments are checked."""
    if len(e.args) not in (1, 2):
        raise ParseError(f"{e.name} takes one argument ({e.name}(U)) or two, the second a "
                         f"dimension ({e.name}(X, 1) or {e.name}(X, 2)), got {len(e.args)}",
                         e.span, text)
    return _dimension(e, text) if len(e.args) == 2 else 0


def plan(e: Call, dim: int, shape: Shape, text: str) -> Shape:
    """The shape of the call with dimension ``dim`` on an operand of ``shape``; a matrix
    without a dimension in softmax is an error that says which to add."""
    if e.name == "softmax":
        if dim == 0 and shape.kind == "matrix":
            raise ShapeError(
                "softmax of a matrix needs a dimension: softmax(X, 1) makes each column sum "
                "to 1, softmax(X, 2) each row", e.span, text)
        return shape
    return SCALAR if dim == 0 else reduced_shape(shape, dim)
