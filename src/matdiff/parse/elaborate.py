"""Elaboration: the syntax tree -> shapes -> IR, in two passes.

Pass 1 (:meth:`Elaborator.infer`) walks the syntax tree once, infers every shape with a
:class:`~matdiff.shapes.Unifier` and the op table's shape rules
(:func:`~matdiff.ir.ops.apply_shape_rule`), and decides what each operator means for the
kinds of its operands (the brief's semantics: ``*`` scales or multiplies, ``^`` is a
scalar or a matrix power, ``diag`` makes or takes a diagonal, scalars are broadcast in
``+ - ./ .^``).  Its result is a :class:`Plan`: the IR to build, with unsolved shapes.
Pass 2 (:meth:`Elaborator.build`) builds the IR with :mod:`matdiff.ir.build` once every
dimension is solved, so ``x'*A*x`` with ``A: matrix(n,n)`` gives ``x`` the shape
``vector(n)`` everywhere, not only after its first use.

Sized constants (``eye(n)``, ``ones(m, n)``, ``zeros(n)``) take their sizes from their
arguments: a positive integer, a dimension name, or ``rows(X)``/``cols(X)``/``len(x)``,
which is the unknown of that variable (or, for a variable not in the text, the dimension
so labelled: how a printed result names it).  A ``where`` list is substituted: each name
stands for its definition's plan.

Unknown dimensions are :class:`~matdiff.shapes.DimVar` labelled ``rows(X)``, ``cols(X)``
(matrix ``X``), ``len(x)`` (vector ``x``), and ``size(eye@7)``, ``len(vector@7)``,
``rows(matrix@7)`` for the constants at column 7.  Variables' unknowns are created in
the order of their names (not of their first use): the unifier names a class after its
oldest unknown, so the same variables give the same labels whatever the order of the
text — a printed derivative reads back to the very same (interned) IR.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..errors import LimitError, ParseError, ShapeError, UndefinedError
from ..ir import build as b
from ..ir import domain
from ..ir.nodes import Node
from ..ir.ops import (
    ELEMENTWISE_FUNCTIONS,
    FUNCTION_ALIASES,
    MAX_MATRIX_POWER,
    OPS,
    SURFACE_FUNCTIONS,
    apply_shape_rule,
)
from ..ir.reductions import BUILDERS as reduce_by
from ..shapes import (
    SCALAR,
    Dim,
    DimConflict,
    DimVar,
    Shape,
    ShapeMismatch,
    Unifier,
    show_dim,
)
from ..spans import Span
from . import matrix_calls, reductions
from .accumulate import Accumulator
from .declarations import GREEK, Declaration, DeclKind, default_kind
from .syntax import Call, Chain, Expr, Name, Neg, Num, Power, Transpose, Where
from .syntax_tools import (
    CARET_T_NOTE,
    caret_transpose,
    constant,
    integer_literal,
    size_argument,
    suggest_norm,
    suggest_power,
    walk,
)

SIZED_CONSTANTS = frozenset({"eye", "ones", "zeros"})

# Unary functions that are one IR op of the same name (sum, tr, exp, ...).
APPLY_FUNCTIONS = frozenset(name for name, spec in OPS.items() if spec.surface == name)
assert set(ELEMENTWISE_FUNCTIONS) <= APPLY_FUNCTIONS
FUNCTIONS = frozenset(SURFACE_FUNCTIONS)
_VARIABLE_LIKE = re.compile(r"[A-Za-z][0-9_]*")  # x, X1, W_2: a call of these is a typo

_OPERATION = {"+": "addition", "-": "subtraction", "*": "matrix product", "/": "division",
              ".*": "elementwise product", "./": "elementwise division",
              "⊗": "Kronecker product"}


@dataclass(frozen=True, slots=True)
class Plan:
    """An IR node to build once dimensions are solved.

    ``op`` is an IR op name or one of ``neg``, ``apply`` (attrs: the op), ``chain``
    (args: the operands of a flat sum or product; attrs: one :class:`Recipe` per
    operator).  ``shape`` may hold unsolved :class:`DimVar`.
    """

    op: str
    args: tuple[Plan, ...]
    attrs: tuple[object, ...]
    shape: Shape


@dataclass(frozen=True, slots=True)
class Recipe:
    """How one operator of a chain combines the value so far with the next operand.

    ``op``: add, sub, mul, div (``a*s^-1``), hadamard, ediv.  ``broadcast``: which side
    is a scalar to broadcast or a vector to expand (``left`` = the value so far).
    ``shape``: the result's.
    """

    op: str
    broadcast: str | None
    shape: Shape


class Elaborator:
    """Both passes over one expression (one :class:`Unifier` per expression)."""

    def __init__(self, text: str, declarations: Sequence[Declaration]):
        self.text = text
        self.unifier = Unifier()
        self.declarations = {d.name: d for d in declarations}
        self.shapes: dict[str, Shape] = {}
        self.properties: dict[str, frozenset[str]] = {}
        self.used: dict[str, None] = {}  # variables in order of first appearance
        self.plain_names: set[str] = set()
        self.sources = domain.SourceMap()  # IR node -> span, for undefined constants
        self._plan_spans: dict[int, tuple[Plan, Span]] = {}  # keeps the plans alive
        self.bound: dict[str, Plan] = {}  # names of a where list, by their definitions
        self.pending: set[str] = set()  # names of a where list not yet defined
        self.caret_t = False  # X^T is the transpose (syntax_tools.caret_transpose)
        self.notes: list[str] = []  # readings the result must state
        # the declarations that would remove a shape error at a span (parse sets it)
        self.type_hint: Callable[[Span], str] = lambda span: ""

    # --- variables ---------------------------------------------------------------

    def prepare(self, expr: Expr,
                kind_of: Callable[[str], DeclKind | None] = default_kind) -> None:
        """Give every variable its shape, creating unknowns in the order of the names;
        an undeclared name has the kind ``kind_of`` gives (:mod:`.name_types`)."""
        self.caret_t = caret_transpose(expr, self.declarations)
        if self.caret_t:
            self.notes.append(CARET_T_NOTE)
        for node in walk(expr):
            if isinstance(node, Name) and node.name not in FUNCTIONS:
                self.plain_names.add(node.name)
        if self.caret_t:
            self.plain_names.discard("T")
        for name in sorted(self.plain_names | set(self.declarations)):
            d = self.declarations.get(name)
            if d is not None:
                self.shapes[name] = self._declared_shape(d)
                self.properties[name] = d.props
            elif (kind := kind_of(name)) is not None:
                self.shapes[name] = self._new_shape(name, kind)
                self.properties[name] = frozenset()

    def _new_shape(self, name: str, kind: str) -> Shape:
        """An undeclared (or size-less declared) variable's shape: unknowns by name."""
        if kind == "scalar":
            return SCALAR
        if kind == "vector":
            return Shape(DimVar(f"len({name})"), None)
        return Shape(DimVar(f"rows({name})"), DimVar(f"cols({name})"))

    def _declared_shape(self, d: Declaration) -> Shape:
        if d.kind == "vector" and d.rows is not None:
            return Shape(d.rows, None)
        if d.kind == "matrix" and d.rows is not None and d.cols is not None:
            return Shape(d.rows, d.cols)
        shape = self._new_shape(d.name, d.kind)
        if d.square:  # S: symmetric -- one unknown size, shown as rows(S)
            assert shape.rows is not None and shape.cols is not None
            self.unifier.unify(shape.rows, shape.cols)
        return shape

    def variable(self, name: str) -> Node:
        return b.var(name, self.unifier.solve_shape(self.shapes[name]), self.properties[name])

    def unused_declared(self) -> dict[str, Node]:
        return {n: self.variable(n) for n in self.declarations if n not in self.used}

    # --- pass 1: shapes and meaning ------------------------------------------------

    def infer(self, e: Expr) -> Plan:
        plan = self._infer(e)
        self._plan_spans.setdefault(id(plan), (plan, e.span))
        return plan

    def _infer(self, e: Expr) -> Plan:
        if isinstance(e, Num):
            return Plan("const", (), (e.value,), SCALAR)
        if isinstance(e, Name):
            return self._name(e)
        if isinstance(e, Call):
            return self._call(e)
        if isinstance(e, Neg):
            inner = self.infer(e.operand)
            if inner.op == "const":  # -2 is the number -2 (and prints back as -2)
                value = inner.attrs[0]
                assert isinstance(value, Fraction)
                return Plan("const", (), (-value,), SCALAR)
            return Plan("neg", (inner,), (), inner.shape)
        if isinstance(e, Transpose):
            inner = self.infer(e.operand)
            return Plan("transpose", (inner,), (), inner.shape.T)
        if isinstance(e, Power):
            return self._power(e)
        if isinstance(e, Where):
            return self._where(e)
        return self._chain(e)

    def _where(self, e: Where) -> Plan:
        """``main where P = ..., Q = ...``: each name stands for its definition's plan
        (so the IR is the expression with the definitions substituted)."""
        self.pending = {b.name for b in e.bindings}
        for binding in e.bindings:
            name = binding.name
            if name in FUNCTIONS:
                raise ParseError(f"{name} is a function and cannot be defined in a where "
                                 "list", binding.name_span, self.text)
            if name in self.bound:
                raise ParseError(f"{name} is defined twice in the where list",
                                 binding.name_span, self.text)
            self.bound[name] = self.infer(binding.value)
            self.pending.discard(name)
        return self.infer(e.main)

    def _name(self, e: Name) -> Plan:
        if e.name in self.bound:
            return self.bound[e.name]
        if e.name in self.pending:
            raise ParseError(f"{e.name} is defined later in the where list: a definition may "
                             "use only the names before it", e.span, self.text)
        if e.name == "eye":
            return self._eye(e.span)
        if e.name in FUNCTIONS:
            raise ParseError(f"{e.name} is a function; write {e.name}(...)", e.span, self.text)
        if e.name not in self.shapes:
            raise ParseError(
                f"{e.name} has no default type (names starting with '_' have none); declare "
                f"it, e.g. declare=['{e.name}: vector(n)']", e.span, self.text)
        self.used.setdefault(e.name, None)
        return Plan("var", (), (e.name,), self.shapes[e.name])

    def _eye(self, span: Span) -> Plan:
        n = DimVar(f"size(eye@{span.column})")
        return Plan("eye", (), (), Shape(n, n))

    def _chain(self, e: Chain) -> Plan:
        first = self.infer(e.first)
        args = [first]
        recipes: list[Recipe] = []
        shape = first.shape
        for step in e.rest:
            operand = self.infer(step.operand)
            span = Span(e.first.span.start, step.operand.span.end)
            recipe = self._combine(step.op, shape, operand.shape, span)
            args.append(operand)
            recipes.append(recipe)
            shape = recipe.shape
        return Plan("chain", tuple(args), tuple(recipes), shape)

    def _combine(self, op: str, ls: Shape, rs: Shape, span: Span) -> Recipe:
        """What ``left op right`` means for these shapes (the brief's table; a vector
        against a matrix is expanded, :meth:`_expansion`)."""
        what = _OPERATION[op]
        side = self._expansion(ls, rs, span, what) if op != "*" and op != "/" else None
        if op in ("+", "-"):
            ir = "add" if op == "+" else "sub"
            if ls.is_scalar != rs.is_scalar:  # exactly one scalar: broadcast it
                return Recipe(ir, "left", rs) if ls.is_scalar else Recipe(ir, "right", ls)
            if side is not None:
                return Recipe(ir, side, rs if side == "left" else ls)
            return Recipe(ir, None, self._rule("add", [ls, rs], (), span, what))
        if op == "*":
            return Recipe("mul", None, self._rule("mul", [ls, rs], (), span, what))
        if op == "⊗":
            return Recipe("kron", None, self._rule("kron", [ls, rs], (), span))
        if op == "/":
            if not rs.is_scalar:
                raise ShapeError(
                    f"/ divides by a scalar; for elementwise division use ./ (the divisor is "
                    f"{self._show(rs)})", span, self.text)
            return Recipe("div", None, ls)
        if op == ".*":
            if ls.is_scalar or rs.is_scalar:
                return Recipe("mul", None, self._rule("mul", [ls, rs], (), span, what))
            if side is not None:
                return Recipe("hadamard", side, rs if side == "left" else ls)
            return Recipe("hadamard", None, self._rule("hadamard", [ls, rs], (), span, what))
        assert op == "./"
        if ls.is_scalar and rs.is_scalar:
            return Recipe("ediv", None, SCALAR)
        if ls.is_scalar:
            return Recipe("ediv", "left", rs)
        if rs.is_scalar:
            return Recipe("div", None, ls)
        if side is not None:
            return Recipe("ediv", side, rs if side == "left" else ls)
        return Recipe("ediv", None, self._rule("ediv", [ls, rs], (), span, what))

    def _expansion(self, ls: Shape, rs: Shape, span: Span, what: str) -> str | None:
        """Which side of an elementwise operator is a vector to expand against a matrix
        (MATLAB's implicit expansion: a column is repeated across the matrix's columns,
        its length unified with the rows; a row down the rows), or ``None``.  A column
        with a row is an error (no outer broadcasting), as is a length that cannot
        match."""
        kinds = (ls.kind, rs.kind)
        if set(kinds) == {"vector", "row"}:
            raise ShapeError(
                f"{what} of {self._show(ls)} and {self._show(rs)}: a column and a row are not"
                f" expanded against each other; a vector is expanded only against a matrix "
                f"(a vector(m) across the columns of a matrix(m, n), a row vector(n) down "
                f"its rows), and the operators apply left to right, so write the matrix "
                f"first (M + u + v'); for the matrix of every pair write "
                f"u*ones(n)' + ones(m)*v' explicitly", span, self.text)
        if "matrix" not in kinds or not {"vector", "row"} & set(kinds):
            return None
        side = "left" if ls.kind != "matrix" else "right"
        vec, mat = (ls, rs) if side == "left" else (rs, ls)
        length = vec.rows if vec.kind == "vector" else vec.cols
        target = mat.rows if vec.kind == "vector" else mat.cols
        assert length is not None and target is not None
        try:
            self.unifier.unify(length, target)
        except DimConflict:
            assert mat.rows is not None and mat.cols is not None
            which = ("a column is repeated across the columns, so its length must be the "
                     "number of rows" if vec.kind == "vector" else
                     "a row is repeated down the rows, so its length must be the number of "
                     "columns")
            raise ShapeError(
                f"{what} of {self._show(ls)} and {self._show(rs)}: {which} "
                f"({self.unifier.show(target)}); valid are vector"
                f"({self.unifier.show(mat.rows)}) (across the columns), row vector"
                f"({self.unifier.show(mat.cols)}) (down the rows) or "
                f"{self._show(mat)}", span, self.text) from None
        return side

    def _power(self, e: Power) -> Plan:
        if (self.caret_t and not e.elementwise and isinstance(e.exponent, Name)
                and e.exponent.name == "T"):
            return self.infer(Transpose(e.span, e.base))  # X^T = X'
        base = self.infer(e.base)
        bs = base.shape
        if e.elementwise:
            exponent = self.infer(e.exponent)
            es = exponent.shape
            if bs.is_scalar and not es.is_scalar:
                base = Plan("broadcast", (base,), (), es)
            elif es.is_scalar and not bs.is_scalar:
                exponent = Plan("broadcast", (exponent,), (), bs)
            elif not bs.is_scalar:
                what = "elementwise power .^"
                side = self._expansion(bs, es, e.span, what)
                if side == "left":
                    base = Plan("expand", (base,), (), es)
                elif side == "right":
                    exponent = Plan("expand", (exponent,), (), bs)
                else:
                    self._rule("power", [bs, es], (), e.span, what)
            return Plan("power", (base, exponent), (), base.shape)
        if bs.is_scalar:
            exponent = self.infer(e.exponent)
            if not exponent.shape.is_scalar:
                raise ShapeError(
                    f"^ of a scalar needs a scalar exponent, got {self._show(exponent.shape)};"
                    f" for an elementwise power write {suggest_power(self.text, e, '.^')}", e.span,
                    self.text)
            return Plan("power", (base, exponent), (), SCALAR)
        elementwise = f"for the elementwise power write {suggest_power(self.text, e, '.^')}"
        if bs.kind != "matrix":
            extra = ""
            if bs.kind == "vector" and integer_literal(e.exponent) == 2:
                extra = f", for the squared norm {suggest_norm(self.text, e)}"
            declare = self.type_hint(e.span)  # a letter default first: x^2 with x scalar
            raise ShapeError(
                f"^ is the power of a scalar or of a square matrix, but the base is a "
                f"{self._show(bs)}; {declare + '; ' if declare else ''}{elementwise}{extra}",
                e.span, self.text)
        k = integer_literal(e.exponent)
        if k is None:
            raise ParseError(
                f"a matrix power needs an integer exponent such as X^2 or X^-1; "
                f"{elementwise}", e.exponent.span, self.text)
        if abs(k) > MAX_MATRIX_POWER:
            raise LimitError(
                f"matrix power with exponent {k}: the limit is ±{MAX_MATRIX_POWER}",
                e.exponent.span, self.text)
        shape = self._rule("matpow", [bs], (int(k),), e.span, None, hint=elementwise)
        if k == 1:
            return base
        if k == 0:
            assert shape.rows is not None
            return Plan("eye", (), (), Shape(shape.rows, shape.rows))
        return Plan("matpow", (base,), (int(k),), shape)

    def _call(self, e: Call) -> Plan:
        name = FUNCTION_ALIASES.get(e.name, e.name)  # trace(U) is tr(U)
        if name in SIZED_CONSTANTS:
            return self._sizedconstant(e)
        if name in reductions.SIZES:  # rows(X), cols(X), len(x): a size as a scalar
            ones = Plan("fill", (), (Fraction(1),),
                        Shape(size_argument(e, self.shapes, self.text), None))
            return Plan("apply", (ones,), ("sum",), SCALAR)
        if name not in FUNCTIONS:
            raise self._not_a_function(e)
        if reductions.takes_dimension(e):  # sum(X, 2), mean, logsumexp, softmax
            dim = reductions.check_arguments(e, self.text)
            inner = self.infer(e.args[0])
            shape = reductions.plan(e, dim, inner.shape, self.text)
            return Plan("reduce", (inner,), (name, dim), shape)
        if name in matrix_calls.CALLS:
            return matrix_calls.call(self, e, Plan)
        if len(e.args) != 1:
            raise ParseError(f"{name} takes exactly one argument, got {len(e.args)}",
                             e.span, self.text)
        arg = e.args[0]
        if name in ("vector", "matrix"):
            value = constant(arg)
            if value is None:
                raise ParseError(
                    f"{name}(c) is a constant {name} with every entry c, so c must be a "
                    f"number such as {name}(1) or {name}(-0.5)", arg.span, self.text)
            col = e.span.column
            shape = (Shape(DimVar(f"len(vector@{col})"), None) if name == "vector" else
                     Shape(DimVar(f"rows(matrix@{col})"), DimVar(f"cols(matrix@{col})")))
            return Plan("fill", (), (value,), shape)
        inner = self.infer(arg)
        if name == "diag":
            kind = inner.shape.kind
            if kind not in ("vector", "matrix"):
                raise ShapeError(
                    f"diag needs a vector (to make a diagonal matrix) or a square matrix (to "
                    f"take its diagonal), got {self._show(inner.shape)}", e.span, self.text)
            op = "diagm" if kind == "vector" else "diagv"
            return Plan("apply", (inner,), (op,), self._rule(op, [inner.shape], (), e.span))
        return Plan("apply", (inner,), (name,), self._rule(name, [inner.shape], (), e.span))

    def _sizedconstant(self, e: Call) -> Plan:
        """``eye``/``eye(n)``, ``ones(n)``/``ones(m, n)``, ``zeros(n)``/``zeros(m, n)``
        (MATLAB's spelling; one size is a column, as vectors are columns here)."""
        name, count = e.name, len(e.args)
        if name == "eye":
            if count == 0:
                return self._eye(e.name_span)
            if count == 1:
                n = size_argument(e.args[0], self.shapes, self.text)
                return Plan("eye", (), (), Shape(n, n))
            raise ParseError(f"eye takes at most one argument, its size (eye or eye(n)), got "
                             f"{count}", e.span, self.text)
        if count not in (1, 2):
            raise ParseError(
                f"{name} takes one size (a column: {name}(n)) or two ({name}(m, n)), got "
                f"{count}", e.span, self.text)
        dims = [size_argument(a, self.shapes, self.text) for a in e.args]
        shape = Shape(dims[0], dims[1] if count == 2 else None)
        return Plan("fill", (), (Fraction(1 if name == "ones" else 0),), shape)

    def _not_a_function(self, e: Call) -> ParseError:
        name = e.name
        if (name in self.declarations or name in self.plain_names or name in GREEK
                or _VARIABLE_LIKE.fullmatch(name)):
            return ParseError(f"{name} is a variable, not a function (for a product write "
                              f"{name}*(...))", e.name_span, self.text)
        if (hint := matrix_calls.matrix_function_hint(name)) is not None:
            return ParseError(hint, e.name_span, self.text)
        close = difflib.get_close_matches(name, sorted(FUNCTIONS), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        return ParseError(f"unknown function {name}; valid functions are: "
                          f"{', '.join(SURFACE_FUNCTIONS)}{hint}", e.name_span, self.text)

    # --- shape rules and messages --------------------------------------------------

    def _rule(self, op: str, shapes: Sequence[Shape], attrs: tuple[object, ...], span: Span,
              operation: str | None = None, hint: str = "") -> Shape:
        """``op``'s shape rule with the solving unifier; a mismatch becomes a ShapeError.

        For a binary operator (``operation`` given) the message names it and both
        shapes; a function's rule already names the function and its operand's shape.
        Shapes are shown through the unifier (``vector(n)`` once ``len(x)`` is known).
        """
        resolved = [s.map(self.unifier.find) for s in shapes]
        conflicts: list[DimConflict] = []

        def unify(a: Dim, c: Dim) -> None:
            try:
                self.unifier.unify(a, c)
            except DimConflict as e:
                conflicts.append(e)
                raise

        try:
            return apply_shape_rule(op, resolved, attrs, unify)
        except ShapeMismatch as e:
            message = e.message
            if operation is not None:
                # show_dim on the shapes as they were before the rule ran: a rule may have
                # unified some dimensions before it failed (x + A: len(x) = rows(A)).
                left, right = (s.describe(show_dim) for s in resolved)
                if op != "mul":
                    message = (f"{operation} needs operands of the same shape, got {left} "
                               f"and {right}")
                elif conflicts:
                    rows, cols = resolved[1].rows, resolved[0].cols
                    assert rows is not None and cols is not None
                    message = (f"matrix product of {left} and {right}: the left operand has "
                               f"{show_dim(cols)} columns but the right has "
                               f"{show_dim(rows)} rows")
            if hint:
                message = f"{message}; {hint}"
            raise ShapeError(message, span, self.text) from None

    def expect(self, p: Plan, shape: Shape) -> None:
        """Require the whole expression to have ``shape`` (unifying its unknowns)."""
        try:
            if p.shape.kind != shape.kind:
                raise DimConflict(0, 1)
            for mine, given in zip(p.shape.dims, shape.dims, strict=True):
                self.unifier.unify(mine, given)
        except DimConflict:
            raise ShapeError(f"the expression is a {self._show(p.shape)}, expected a "
                             f"{shape.describe(show_dim)}", Span(0, len(self.text)),
                             self.text) from None

    def _show(self, s: Shape) -> str:
        return s.describe(self.unifier.show)

    def _source(self, span: Span) -> str:
        return self.text[span.start:span.end].strip()

    # --- pass 2: the IR ------------------------------------------------------------

    def build(self, p: Plan) -> Node:
        node = self._build(p)
        entry = self._plan_spans.get(id(p))
        if entry is not None:
            self.sources.spans.setdefault(node, entry[1])
        return node

    def check_constants(self, expr: Node) -> None:
        """Refuse a constant part that is undefined or not real (``1/0``, ``log(-1)``,
        ``x ./ vector(0)``) at its column, before anything can fold it or multiply it
        by zero (see :mod:`matdiff.ir.domain`)."""
        try:
            domain.check(expr, {})
        except domain.Undefined as u:
            raise self.undefined(u) from None

    def undefined(self, u: domain.Undefined) -> UndefinedError:
        """The error for ``u`` at the column of the node (of the divisor, for ``/``)."""
        text, span = domain.locate(u, self.sources, self.text)
        return UndefinedError(text, span, self.text)

    def _build(self, p: Plan) -> Node:
        solve = self.unifier.solve_shape
        op = p.op
        if op == "var":
            name = p.attrs[0]
            assert isinstance(name, str)
            return self.variable(name)
        if op in ("const", "fill"):
            value = p.attrs[0]
            assert isinstance(value, Fraction)
            return b.const(value) if op == "const" else b.fill(value, solve(p.shape))
        if op == "eye":
            assert p.shape.rows is not None
            return b.eye(self.unifier.solve(p.shape.rows))
        if op == "chain":
            return self._build_chain(p)
        args = [self.build(a) for a in p.args]
        if op == "broadcast":
            return b.broadcast(args[0], solve(p.shape))
        if op == "expand":
            return b.expand(args[0], solve(p.shape))
        if op == "neg":
            return b.neg(args[0])
        if op == "transpose":
            return b.transpose(args[0])
        if op == "apply":
            name = p.attrs[0]
            assert isinstance(name, str)
            return b.vec(args[0]) if name == "vec" else b.apply(name, args[0])
        if op in matrix_calls.CALLS:
            return matrix_calls.build(op, args, solve(p.shape))
        if op == "power":
            return b.power(args[0], args[1])
        if op == "reduce":
            fn, dim = p.attrs
            assert isinstance(fn, str) and isinstance(dim, int)
            return reduce_by[fn](args[0], dim)
        assert op == "matpow", op
        k = p.attrs[0]
        assert isinstance(k, int)
        return b.matpow(args[0], k)

    def _build_chain(self, p: Plan) -> Node:
        """Fold a flat chain left to right with the same result as pairwise
        ``b.add``/``b.mul``/``b.hadamard`` calls, in linear time (pairwise calls would
        re-flatten the growing n-ary node at every step)."""
        acc = Accumulator(self.build(p.args[0]), p.args[0].shape.is_scalar)
        for recipe, operand in zip(p.attrs, p.args[1:], strict=True):
            assert isinstance(recipe, Recipe)
            right = self.build(operand)
            divisor = self._plan_spans[id(operand)][1]  # this occurrence's span
            if recipe.broadcast == "left":
                acc.reset(_repeat(acc.node(), right.shape))
            elif recipe.broadcast == "right":
                right = _repeat(right, acc.node_shape())
            if recipe.op in ("add", "sub"):
                acc.extend("add", right if recipe.op == "add" else b.neg(right))
            elif recipe.op in ("mul", "div"):
                factor = right if recipe.op == "mul" else self._division(
                    b.power(right, b.const(-1)), divisor)
                acc.extend("mul", factor)
            elif recipe.op == "hadamard":
                acc.extend("hadamard", right)
            elif recipe.op == "kron":
                acc.reset(b.kron(acc.node(), right))
            else:
                assert recipe.op == "ediv"
                acc.reset(self._division(b.ediv(acc.node(), right), divisor))
            acc.scalar = recipe.shape.is_scalar
        return acc.node()

    def _division(self, node: Node, divisor: Span) -> Node:
        """Record ``node`` as written with ``/`` or ``./`` (its errors point at the divisor)."""
        self.sources.divisions.setdefault(node, divisor)
        return node



def _repeat(node: Node, shape: Shape) -> Node:
    """A scalar broadcast, or a vector expanded, to ``shape``."""
    return b.broadcast(node, shape) if node.shape.is_scalar else b.expand(node, shape)
