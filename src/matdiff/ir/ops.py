"""The closed set of operations: one :class:`OpSpec` row per op.

Every other table in matdiff (differential rules, transpose rules, printers, codegen
backends, the evaluator, simplification) is keyed by the names in :data:`OPS`, and
``tests/test_op_tables.py`` fails until each table has a row for each op.

Shape rules take the operand shapes, the node's attributes and a :data:`Unify`
function: the parser passes a solving unifier (so ``A*x`` infers ``len(x) = cols(A)``),
the IR passes :func:`~matdiff.shapes.strict_unify` so a node can never be built with
inconsistent shapes.  A rule raises :class:`~matdiff.shapes.ShapeMismatch` with a message
naming the shapes; a :class:`~matdiff.shapes.DimConflict` from ``unify`` is turned into
such a message by :func:`apply_shape_rule`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from ..shapes import (
    SCALAR,
    Dim,
    DimConflict,
    DimProduct,
    DimVar,
    Shape,
    ShapeMismatch,
    Unify,
    multiply,
    same_slot,
    show_dim,
)

ShapeRule = Callable[[Sequence[Shape], tuple[object, ...], Unify], Shape]
Linearity = Literal["none", "all", "each", "first"]
"""How an op is linear: ``all`` jointly in its operands (add, transpose, tr, ...),
``each`` in every operand separately with the others fixed (mul, hadamard),
``first`` in the first operand only (``ediv``: ``u ./ v`` is linear in ``u``)."""


@dataclass(frozen=True)
class OpSpec:
    """One row of the op table.

    ``arity`` is the number of operands (``-1``: two or more); ``surface`` is the name a
    user writes (``None`` for operators and internal ops); ``formula`` states what the op
    computes, for docs and error messages.
    """

    name: str
    arity: int
    shape_rule: ShapeRule
    formula: str
    linear: Linearity = "none"
    elementwise: bool = False
    leaf: bool = False
    surface: str | None = None


def _fmt(s: Shape) -> str:
    return s.describe(show_dim)


# --- shape rules -------------------------------------------------------------------

def _leaf(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
    raise AssertionError("leaf shapes are given, not computed")  # pragma: no cover


def _same(opname: str) -> ShapeRule:
    def rule(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
        first = shapes[0]
        for other in shapes[1:]:
            ok = same_slot(first.rows, other.rows, unify) and same_slot(
                first.cols, other.cols, unify)
            if not ok:
                raise ShapeMismatch(
                    f"{opname} needs operands of the same shape, got {_fmt(first)} "
                    f"and {_fmt(other)}")
        return first
    return rule


def _mul(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
    """Matrix product chain; a scalar operand scales (``(a,b)*(c,d)`` needs ``b == c``)."""
    acc: Shape | None = None
    for s in shapes:
        if s.is_scalar:
            continue
        if acc is None:
            acc = s
            continue
        if not same_slot(acc.cols, s.rows, unify):
            hint = ""
            if acc.kind == "vector" and s.kind == "vector":
                hint = " (for an inner product write x'*y, elementwise x.*y)"
            elif acc.kind == "vector" and s.kind == "matrix":
                hint = " (a column vector times a matrix; did you mean x'*A?)"
            elif acc.kind == "matrix" and s.kind == "row":
                hint = " (a matrix times a row vector; did you mean A*x?)"
            raise ShapeMismatch(
                f"matrix product of {_fmt(acc)} and {_fmt(s)}: the left operand has "
                f"{_cols_text(acc)} but the right has {_rows_text(s)}{hint}")
        acc = Shape(acc.rows, s.cols)
    return acc if acc is not None else SCALAR


def _cols_text(s: Shape) -> str:
    return "one column" if s.cols is None else f"{show_dim(s.cols)} columns"


def _rows_text(s: Shape) -> str:
    return "one row" if s.rows is None else f"{show_dim(s.rows)} rows"


def _square(opname: str, allow_scalar: bool = False) -> Callable[[Shape, Unify], None]:
    def check(s: Shape, unify: Unify) -> None:
        if s.is_scalar and allow_scalar:
            return
        if s.kind != "matrix":
            extra = " or a scalar" if allow_scalar else ""
            raise ShapeMismatch(f"{opname} needs a square matrix{extra}, got {_fmt(s)}")
        assert s.rows is not None and s.cols is not None
        try:
            unify(s.rows, s.cols)
        except DimConflict as e:
            raise ShapeMismatch(
                f"{opname} needs a square matrix, got {_fmt(s)} "
                f"({show_dim(e.a)} rows, {show_dim(e.b)} columns)") from None
    return check


def _to_scalar(check: Callable[[Shape, Unify], None] | None) -> ShapeRule:
    def rule(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
        if check is not None:
            check(shapes[0], unify)
        return SCALAR
    return rule


def _keep(check: Callable[[Shape, Unify], None] | None) -> ShapeRule:
    def rule(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
        if check is not None:
            check(shapes[0], unify)
        return shapes[0]
    return rule


def _transpose(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
    return shapes[0].T


def _broadcast(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
    if not shapes[0].is_scalar:
        raise ShapeMismatch(f"only a scalar can be broadcast, got {_fmt(shapes[0])}")
    target = attrs[0]
    assert isinstance(target, Shape)
    return target


def _expand(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
    """A column repeated across a matrix's columns, or a row down its rows (MATLAB's
    implicit expansion): the vector's length is the matching dimension of the target."""
    s, target = shapes[0], attrs[0]
    assert isinstance(target, Shape)
    if target.kind != "matrix" or s.kind not in ("vector", "row"):
        raise ShapeMismatch(f"only a vector can be expanded to a matrix, got {_fmt(s)} to "
                            f"{_fmt(target)}")
    mine, theirs = (s.rows, target.rows) if s.kind == "vector" else (s.cols, target.cols)
    assert mine is not None and theirs is not None
    unify(mine, theirs)
    return target


def _diagm(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
    s = shapes[0]
    if s.kind != "vector":
        raise ShapeMismatch(f"diag of a vector makes a diagonal matrix; got {_fmt(s)}")
    assert s.rows is not None
    return Shape(s.rows, s.rows)


def _reduce_dim(attrs: tuple[object, ...]) -> int:
    dim = attrs[0] if attrs else None
    if dim not in (0, 1, 2):
        raise ShapeMismatch(f"a reduction's dimension is 0 (all entries), 1 or 2, got {dim!r}")
    assert isinstance(dim, int)
    return dim


def _logsumexp(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
    """``logsumexp(U)`` (dim 0) is a scalar; ``logsumexp(X, 1)`` a row (one entry per
    column), ``logsumexp(X, 2)`` a column (one per row) of a matrix ``X``."""
    s, dim = shapes[0], _reduce_dim(attrs)
    if dim == 0:
        if s.is_scalar:
            raise ShapeMismatch("logsumexp needs a vector or a matrix, got a scalar")
        return SCALAR
    if s.kind != "matrix":
        raise ShapeMismatch(f"logsumexp(X, {dim}) needs a matrix, got {_fmt(s)}")
    return Shape(None, s.cols) if dim == 1 else Shape(s.rows, None)


def _softmax(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
    """``softmax(x)`` (dim 0) of a vector or a row; ``softmax(X, 1|2)`` of a matrix."""
    s, dim = shapes[0], _reduce_dim(attrs)
    if dim == 0 and s.kind not in ("vector", "row"):
        raise ShapeMismatch(f"softmax without a dimension needs a vector, got {_fmt(s)}")
    if dim != 0 and s.kind != "matrix":
        raise ShapeMismatch(f"softmax(X, {dim}) needs a matrix, got {_fmt(s)}")
    return s


def _diagv(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
    s = shapes[0]
    _square("diag (of a matrix)")(s, unify)
    return Shape(s.rows, None)


# kron, vec, reshape, pinv, adj: shape rules
def _kron(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
    """kron of m x n and p x q is (m*p) x (n*q) (Cookbook sec. 10.2.1); an empty slot
    is one, so two vectors give a vector and a vector with a row a matrix.  The factors
    are listed fastest-varying first, as ``vec`` lists rows before columns (entry
    ``(i, k)`` of the rows is ``k + p*i``), so that unknown sizes pair as the indices do:
    ``kron(A, B)*vec(X)`` makes X cols(B) x cols(A) (Cookbook eq. 520)."""
    a, c = shapes
    rows = None if a.rows is None and c.rows is None else multiply(c.rows or 1, a.rows or 1)
    cols = None if a.cols is None and c.cols is None else multiply(c.cols or 1, a.cols or 1)
    return Shape(rows, cols)


def entries(s: Shape) -> Dim:
    """The number of entries of a value of shape ``s`` (a product of dimensions)."""
    return multiply(*s.dims) if s.dims else 1


def _vec(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
    s = shapes[0]
    if s.is_scalar:
        raise ShapeMismatch("vec stacks the columns of a vector or matrix; got a scalar "
                            "(a scalar is already its own vec)")
    return Shape(entries(s), None)


def _reshape(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
    s = shapes[0]
    m, n = attrs
    assert isinstance(m, int | str | DimVar | DimProduct)
    assert isinstance(n, int | str | DimVar | DimProduct)
    if s.is_scalar:
        raise ShapeMismatch("reshape needs a vector or matrix, got a scalar")
    try:
        unify(entries(s), multiply(m, n))
    except DimConflict:
        raise ShapeMismatch(
            f"reshape to {show_dim(m)} x {show_dim(n)} needs {show_dim(multiply(m, n))} "
            f"entries, but its operand ({_fmt(s)}) has {show_dim(entries(s))}") from None
    return Shape(m, n)


def _pinv(shapes: Sequence[Shape], attrs: tuple[object, ...], unify: Unify) -> Shape:
    s = shapes[0]
    if s.kind != "matrix":
        raise ShapeMismatch(f"pinv needs a matrix, got {_fmt(s)}")
    return s.T


# --- the table ---------------------------------------------------------------------

ELEMENTWISE_FUNCTIONS: tuple[str, ...] = (
    "exp", "log", "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "tanh", "abs", "sign", "relu", "step",
    # sigmoid, softplus: the logistic family
    "sigmoid", "softplus",
)
"""Unary elementwise functions.  ``step`` (Heaviside: 1 where the argument is positive,
else 0) is matdiff's addition to matrixcalculus.org's language: it is the derivative of
``relu`` and must print and parse back.  ``sigmoid(u) = 1/(1 + exp(-u))`` (the logistic
function, Bishop, PRML eq. 4.59) and ``softplus(u) = log(1 + exp(u))`` (Goodfellow et al.,
Deep Learning sec. 3.10) are the vocabulary of logistic regression and neural networks."""

_ROWS: list[OpSpec] = [
    # leaves: their shape is given when they are made
    OpSpec("var", 0, _leaf, "a variable (attrs: name, properties)", leaf=True),
    OpSpec("differential", 0, _leaf, "dX, the differential of variable X", leaf=True),
    OpSpec("const", 0, _leaf, "a scalar number (exact Fraction)", leaf=True),
    OpSpec("fill", 0, _leaf, "vector(c) / matrix(c): every entry equals c", leaf=True),
    OpSpec("eye", 0, _leaf, "the identity matrix I_n", leaf=True),
    # structure
    OpSpec("add", -1, _same("addition"), "A + B", linear="all"),
    OpSpec("mul", -1, _mul, "A*B (matrix product; a scalar factor scales)", linear="each"),
    OpSpec("hadamard", -1, _same("elementwise product .*"), "A .* B", linear="each",
           elementwise=True),
    OpSpec("ediv", 2, _same("elementwise division ./"), "A ./ B", linear="first",
           elementwise=True),
    OpSpec("power", 2, _same("power ^ / .^"), "A .^ B (a^b for scalars)",
           elementwise=True),
    OpSpec("matpow", 1, _keep(_square("matrix power ^")), "X^k = X*X*...*X (k integer)"),
    OpSpec("transpose", 1, _transpose, "A'", linear="all"),
    OpSpec("broadcast", 1, _broadcast, "a scalar s used as a vector or matrix of s",
           linear="all"),
    # reductions and matrix functions
    OpSpec("sum", 1, _to_scalar(None), "sum of all entries", linear="all", surface="sum"),
    OpSpec("norm1", 1, _to_scalar(None), "sum(abs(A))", surface="norm1"),
    OpSpec("norm2", 1, _to_scalar(None), "sqrt(sum(A.^2)) (Euclidean / Frobenius)",
           surface="norm2"),
    OpSpec("tr", 1, _to_scalar(_square("tr", allow_scalar=True)), "trace, sum_i A_ii",
           linear="all", surface="tr"),
    OpSpec("det", 1, _to_scalar(_square("det")), "determinant", surface="det"),
    OpSpec("logdet", 1, _to_scalar(_square("logdet")), "log(det(X))", surface="logdet"),
    OpSpec("inv", 1, _keep(_square("inv")), "matrix inverse", surface="inv"),
    OpSpec("diagm", 1, _diagm, "diag(v): the diagonal matrix with v on its diagonal",
           linear="all", surface="diag"),
    OpSpec("diagv", 1, _diagv, "diag(A): the vector of A's diagonal", linear="all",
           surface="diag"),
]
_ROWS += [
    OpSpec(f, 1, _keep(None), f"{f} applied to each entry", elementwise=True, surface=f)
    for f in ELEMENTWISE_FUNCTIONS
]
# reduce: logsumexp and softmax; attrs (dim,): 0 all entries, 1 down each column, 2 across
# each row (MATLAB's convention).  sum(X, d) and mean are products with ones (ir/reductions).
_ROWS += [
    OpSpec("logsumexp", 1, _logsumexp,
           "log(sum(exp(U))) over all entries (dim 0), each column (1) or each row (2)",
           surface="logsumexp"),
    OpSpec("softmax", 1, _softmax,
           "exp(U)/sum(exp(U)) over a vector (dim 0), each column (1) or each row (2)",
           surface="softmax"),
]
# implicit expansion (W*X + b, X*W + b')
_ROWS += [
    OpSpec("expand", 1, _expand, "a column v repeated across the columns of a matrix "
           "(v*ones(n)'), or a row r down its rows (ones(m)*r)", linear="all"),
]
# kron, vec, reshape, pinv, adj
_ROWS += [
    OpSpec("kron", 2, _kron, "kron(A, B): the Kronecker product, blocks A_ij*B",
           linear="each", surface="kron"),
    OpSpec("vec", 1, _vec, "vec(X): the columns of X stacked into one vector",
           linear="all", surface="vec"),
    OpSpec("reshape", 1, _reshape, "reshape(U, m, n): U's entries, column by column, "
           "as an m x n matrix (attrs: m, n)", linear="all", surface="reshape"),
    OpSpec("pinv", 1, _pinv, "pinv(X): the Moore-Penrose pseudo-inverse", surface="pinv"),
    OpSpec("adj", 1, _keep(_square("adj")), "adj(X): the adjugate, the transposed "
           "cofactor matrix", surface="adj"),
]

OPS: dict[str, OpSpec] = {row.name: row for row in _ROWS}
assert len(OPS) == len(_ROWS), "duplicate op name"

MAX_MATRIX_POWER = 64
"""Largest ``|k|`` the input language accepts in ``X^k``; the text printer writes a larger
power (products of powers fold beyond it: ``X^40*X^40``) as a product of allowed ones."""

FUNCTION_ALIASES: dict[str, str] = {
    # trace: MATLAB's and NumPy's name of tr (printed as tr)
    "trace": "tr",
}
"""Other names users type for a function: ``alias -> surface name``."""

SURFACE_FUNCTIONS: tuple[str, ...] = tuple(sorted(
    {r.surface for r in _ROWS if r.surface is not None}
    | {"vector", "matrix", "eye", "ones", "zeros", "mean"} | set(FUNCTION_ALIASES)))
"""Every function name the input language accepts (``diag`` covers diagm and diagv; the
constants ``eye``, ``ones(n)``, ``zeros(m, n)``, ``vector(c)``, ``matrix(c)``)."""


def apply_shape_rule(op: str, shapes: Sequence[Shape], attrs: tuple[object, ...],
                     unify: Unify) -> Shape:
    """Run ``op``'s shape rule, turning a dimension conflict into a readable mismatch."""
    spec = OPS[op]
    if spec.arity >= 0 and len(shapes) != spec.arity:
        raise ShapeMismatch(f"{op} takes {spec.arity} operand(s), got {len(shapes)}")
    if spec.arity < 0 and len(shapes) < 2:
        raise ShapeMismatch(f"{op} takes two or more operands, got {len(shapes)}")
    try:
        return spec.shape_rule(shapes, attrs, unify)
    except DimConflict as e:
        listed = " and ".join(_fmt(s) for s in shapes)
        raise ShapeMismatch(
            f"{spec.formula}: dimensions {show_dim(e.a)} and {show_dim(e.b)} must agree "
            f"(operands: {listed})") from None
