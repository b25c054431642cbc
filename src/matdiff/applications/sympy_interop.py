"""SymPy interoperability: matdiff expressions to SymPy matrix expressions and back.

:func:`to_sympy` maps matdiff's IR to ``sympy.matrices.expressions``: a matrix variable
is a ``MatrixSymbol`` (symbolic sizes are ``Symbol``s, ``rows(X)`` included), a vector a
``MatrixSymbol`` with one column, a scalar a ``Symbol``; ``'`` is ``Transpose``, ``inv``
``Inverse``, ``tr`` ``Trace``, ``det`` ``Determinant``, ``eye`` ``Identity``, ``.*``
``HadamardProduct``, ``.^`` ``HadamardPower``, ``X^k`` ``MatPow``, an elementwise function
of a matrix ``applyfunc``.  A scalar-valued product such as ``x'*A*x`` is a 1 x 1 matrix
in SymPy; it becomes ``Trace(x'*A*x)`` so that it can be added to scalars.

:func:`from_sympy` goes back to matdiff's input language for the same subset;
:func:`sympy_declarations` gives the declarations its names need (``x: vector(n)``).
Anything else raises :class:`~matdiff.errors.UnsupportedError` naming the construct.
SymPy is an optional extra (``pip install matdiff[sympy]``), imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from functools import reduce
from typing import Any

from ..errors import LimitError, MatdiffError, UndefinedError, UnsupportedError
from ..ir.nodes import Node
from ..ir.reductions import size_of
from ..parse import parse
from ..parse.syntax import MAX_EXPONENT
from ..printing import to_text
from ..shapes import Dim

Declarations = Mapping[str, str] | Sequence[str] | None

ELEMENTWISE = ("exp", "log", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh", "abs",
               "sign", "arcsin", "arccos", "arctan")
"""matdiff elementwise functions SymPy has (``arcsin`` is SymPy's ``asin``, ...)."""


# sigmoid, softplus: SymPy has neither; they go over as their formulas
_BY_FORMULA: dict[str, Callable[[Any], Callable[[Any], Any]]] = {
    "sigmoid": lambda sp: lambda v: 1 / (1 + sp.exp(-v)),   # Bishop, PRML eq. 4.59
    "softplus": lambda sp: lambda v: sp.log(1 + sp.exp(v)),  # Goodfellow et al., sec. 3.10
}
"""matdiff elementwise functions SymPy lacks, as SymPy expressions of their argument."""


def _sympy() -> Any:
    try:
        import sympy  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - sympy is in the dev extras
        raise UnsupportedError("SymPy is not installed (pip install 'matdiff[sympy]')") \
            from None
    return sympy


def _fn_name(name: str) -> str:
    return {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "abs": "Abs"}.get(name, name)


# --- matdiff -> SymPy -----------------------------------------------------------------

def to_sympy(expr: str, declare: Declarations = None, *, strict: bool = False) -> Any:
    """The SymPy expression of ``expr`` (a ``MatrixExpr``, or a scalar ``Expr``);
    ``strict``: refuse undeclared names the expression does not determine."""
    sp = _sympy()
    node = parse(expr, declare, strict=strict).expr
    return _Converter(sp).convert(node)


class _Converter:
    def __init__(self, sp: Any):
        self.sp = sp
        self.memo: dict[Node, Any] = {}

    def dim(self, d: Dim | None) -> Any:
        if d is None:
            return self.sp.Integer(1)
        return self.sp.Integer(d) if isinstance(d, int) else self.sp.Symbol(str(d))

    def scalar(self, e: Any) -> Any:
        """A 1 x 1 SymPy matrix as a scalar (its trace)."""
        return self.sp.Trace(e) if getattr(e, "is_Matrix", False) else e

    def convert(self, node: Node) -> Any:
        for n in node.walk():
            self.memo[n] = self._one(n, [self.memo[a] for a in n.args])
        return self.memo[node]

    def _one(self, n: Node, args: list[Any]) -> Any:
        sp, op, shape = self.sp, n.op, n.shape
        rows, cols = self.dim(shape.rows), self.dim(shape.cols)
        if op == "var":
            name = str(n.attrs[0])
            return sp.Symbol(name) if shape.is_scalar else (
                sp.MatrixSymbol(name, rows, cols) if shape.kind != "row"
                else sp.MatrixSymbol(name, cols, 1).T)
        if op == "const":
            return sp.Rational(n.attrs[0].numerator, n.attrs[0].denominator)
        if op == "fill":
            c = sp.Rational(n.attrs[0].numerator, n.attrs[0].denominator)
            return sp.ZeroMatrix(rows, cols) if c == 0 else c * sp.OneMatrix(rows, cols)
        if op == "eye":
            return sp.Identity(rows)
        if op == "broadcast":
            return args[0] * sp.OneMatrix(rows, cols)
        if op == "expand":  # v*1' (a column across the columns), 1*r (a row down the rows)
            if n.args[0].shape.kind == "vector":
                return args[0] * sp.OneMatrix(1, cols)
            return sp.OneMatrix(rows, 1) * args[0]
        if op == "add":
            out = reduce(lambda a, b: a + b, args)
            return self.scalar(out) if shape.is_scalar else out
        if op == "mul":
            out = reduce(lambda a, b: a * b, args)
            return self.scalar(out) if shape.is_scalar else out
        if op == "transpose":
            return args[0] if shape.is_scalar else args[0].T
        if op == "hadamard":
            return reduce(lambda a, b: a * b, args) if shape.is_scalar else \
                sp.HadamardProduct(*args)
        if op == "ediv":
            return args[0] / args[1] if shape.is_scalar else sp.HadamardProduct(
                args[0], sp.HadamardPower(args[1], -1))
        if op == "power":
            if shape.is_scalar:
                return args[0] ** args[1]
            e = n.args[1]  # a constant exponent is stored broadcast: use the scalar
            exponent = (sp.Rational(e.attrs[0].numerator, e.attrs[0].denominator)
                        if e.op == "fill" else self.memo[e.args[0]] if e.op == "broadcast"
                        else args[1])
            return sp.HadamardPower(args[0], exponent)
        if op == "matpow":
            return sp.MatPow(args[0], n.attrs[0])
        if op == "tr":
            return args[0] if n.args[0].shape.is_scalar else sp.Trace(args[0])
        if op == "det":
            return sp.Determinant(args[0])
        if op == "logdet":
            return sp.log(sp.Determinant(args[0]))
        if op == "inv":
            return sp.Inverse(args[0])
        if op == "norm2":
            a = n.args[0]
            return sp.Abs(args[0]) if a.shape.is_scalar else sp.sqrt(
                sp.Trace(args[0].T * args[0] if a.shape.kind != "row" else args[0] * args[0].T))
        if op == "sum" and size_of(n) is not None:  # reduce: rows(X), len(x): the size
            return self.dim(size_of(n))
        if op == "kron":  # kron (SymPy's KroneckerProduct; vec, pinv, adj have none)
            return sp.KroneckerProduct(*args)
        if op in ELEMENTWISE:
            f = getattr(sp, _fn_name(op))
            return f(args[0]) if shape.is_scalar else args[0].applyfunc(f)
        if op in _BY_FORMULA:  # sigmoid, softplus: SymPy has no such function
            g = _BY_FORMULA[op](sp)
            return g(args[0]) if shape.is_scalar else args[0].applyfunc(g)
        raise UnsupportedError(f"to_sympy: {op} ({n.spec.formula}) has no SymPy matrix-"
                               "expression counterpart in this converter")


# --- SymPy -> matdiff -----------------------------------------------------------------

def from_sympy(e: Any) -> str:
    """matdiff input-language text for a SymPy matrix (or scalar) expression.

    >>> import sympy as sp; n = sp.Symbol("n"); X = sp.MatrixSymbol("X", n, n)
    >>> from_sympy(sp.Trace(X.T * X))
    "tr(X'*X)"
    """
    text = _Back(_sympy()).text(e)
    try:  # printed back through matdiff: its own spacing and parentheses
        return to_text(parse(text, sympy_declarations(e)).expr)
    except MatdiffError:  # log(0)*x: undefined, never returned as text
        raise
    except Exception:  # pragma: no cover - the raw text is still valid input
        return text


def sympy_declarations(e: Any) -> list[str]:
    """Declarations for the symbols of ``e``: ``x: vector(n)``, ``A: matrix(m, n)``,
    ``a: scalar``, so names keep the kinds SymPy gave them."""
    sp = _sympy()
    out: list[str] = []
    for s in sorted(e.free_symbols, key=lambda s: str(s)):
        if isinstance(s, sp.MatrixSymbol):
            r, c = (_dim_text(x) for x in s.shape)
            if c == "1":
                out.append(f"{s.name}: vector" + (f"({r})" if r else ""))
            else:
                out.append(f"{s.name}: matrix" + (f"({r}, {c})" if r and c else ""))
    dims = {str(d) for s in e.free_symbols if isinstance(s, sp.MatrixSymbol) for d in s.shape}
    for s in sorted(e.free_symbols, key=lambda s: str(s)):
        if isinstance(s, sp.Symbol) and not isinstance(s, sp.MatrixSymbol) and \
                str(s) not in dims:
            out.append(f"{s.name}: scalar")
    return out


def _dim_text(d: Any) -> str | None:
    """A dimension as declaration text, or None for one matdiff should infer
    (``rows(X)``, a SymPy expression such as ``n + 1``)."""
    t = str(d)
    return t if t.isdigit() or t.isidentifier() else None


def _constant(c: str, shape: tuple[Any, Any]) -> str:
    """A constant matrix of SymPy's ``shape``: a column ``vector(c)``, a 1 x n row
    ``vector(c)'`` (the ones of an expansion, ``b*ones(n)'``), else ``matrix(c)``."""
    if shape[1] == 1:
        return f"vector({c})"
    return f"vector({c})'" if shape[0] == 1 else f"matrix({c})"


class _Back:
    def __init__(self, sp: Any):
        from sympy.matrices.expressions.matexpr import (  # type: ignore[import-untyped]
            MatrixElement,
        )
        self.sp = sp
        self.rules: list[tuple[Any, Callable[[Any], str]]] = [
            (sp.MatrixSymbol, lambda e: str(e.name)),
            (sp.Identity, lambda e: "eye"),
            (sp.ZeroMatrix, lambda e: _constant("0", e.shape)),
            (sp.OneMatrix, lambda e: _constant("1", e.shape)),
            (sp.Transpose, lambda e: f"({self.text(e.arg)})'"),
            (sp.Inverse, lambda e: f"inv({self.text(e.arg)})"),
            (sp.Trace, lambda e: f"tr({self.text(e.arg)})"),
            (sp.Determinant, lambda e: f"det({self.text(e.arg)})"),
            (sp.MatPow, lambda e: f"({self.text(e.base)})^({self.text(e.exp)})"),
            (sp.HadamardProduct, lambda e: " .* ".join(f"({self.text(a)})" for a in e.args)),
            (sp.HadamardPower, lambda e: f"({self.text(e.base)}).^({self.text(e.exp)})"),
            (sp.MatAdd, self._sum),
            (sp.Add, self._sum),
            (sp.MatMul, self._product),
            (sp.Mul, self._product),
            (sp.Pow, self._pow),
            (sp.Symbol, lambda e: str(e.name)),
            (sp.Rational, self._number),
            (sp.Float, self._float),
            (MatrixElement, self._element),
            # kron
            (sp.KroneckerProduct, lambda e: "kron(" + ", ".join(
                self.text(a) for a in e.args[:1]) + ", " + (self.text(e.args[1]) if len(
                    e.args) == 2 else self.text(sp.KroneckerProduct(*e.args[1:]))) + ")"),
        ]

    def text(self, e: Any) -> str:
        sp = self.sp
        if e in (sp.oo, -sp.oo, sp.zoo, sp.nan) or (getattr(e, "is_number", False)
                                                     and e.is_real is False):
            what = "not a real number" if e.is_finite else "not a finite number"
            raise UndefinedError(f"from_sympy: {e} is {what}; matdiff's values are real "
                                 "and finite")
        for cls, rule in self.rules:
            if isinstance(e, cls):
                return rule(e)
        from sympy.matrices.expressions.applyfunc import (  # type: ignore[import-untyped]
            ElementwiseApplyFunction,
        )
        if isinstance(e, ElementwiseApplyFunction):
            return self._applyfunc(e)
        if isinstance(e, sp.Function) and len(e.args) == 1:
            name = _matdiff_fn(type(e).__name__)
            if name is not None:
                return f"{name}({self.text(e.args[0])})"
        raise UnsupportedError(f"from_sympy: {type(e).__name__} ({e}) is not in the subset "
                               "matdiff converts (+, *, transpose, inverse, trace, "
                               "determinant, Identity, HadamardProduct, MatPow, scalars, "
                               "elementwise functions)")

    def _number(self, e: Any) -> str:
        f = Fraction(int(e.p), int(e.q))
        s = str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"
        return f"({s})" if f < 0 or f.denominator != 1 else s

    def _float(self, e: Any) -> str:
        """A Float as the decimal it prints as (``1e-400`` stays exact, never 0 or inf)."""
        if not e.is_finite:
            raise UndefinedError(f"from_sympy: {e} is not a finite number")
        d = Decimal(str(e)).normalize()
        if d.is_zero():
            return "0"
        if abs(d.adjusted()) > MAX_EXPONENT:
            raise LimitError(f"from_sympy: the number {d:e} is outside the range of matdiff's "
                             f"literals (a decimal exponent within ±{MAX_EXPONENT})")
        text = f"{abs(d):e}".replace("e+", "e").removesuffix("e0")
        return f"(-{text})" if d < 0 else text

    def _sum(self, e: Any) -> str:
        return " + ".join(f"({self.text(a)})" for a in e.args)

    def _product(self, e: Any) -> str:
        return "*".join(f"({self.text(a)})" for a in e.args)

    def _pow(self, e: Any) -> str:
        if e.exp == self.sp.Rational(1, 2):
            return f"sqrt({self.text(e.base)})"
        return f"({self.text(e.base)})^({self.text(e.exp)})"

    def _element(self, e: Any) -> str:
        if tuple(e.parent.shape) == (1, 1):
            return self.text(e.parent)
        raise UnsupportedError(f"from_sympy: the matrix element {e} (matdiff has no "
                               "indexing; only entries of 1 x 1 matrices convert)")

    def _applyfunc(self, e: Any) -> str:
        lam = e.function
        body = getattr(lam, "expr", None)
        variables = getattr(lam, "variables", ())
        if body is not None and len(variables) == 1 and body.args == variables:
            name = _matdiff_fn(type(body).__name__)
            if name is not None:
                return f"{name}({self.text(e.expr)})"
        raise UnsupportedError(f"from_sympy: applyfunc of {lam} (only a single elementwise "
                               f"function such as exp or log converts)")


def _matdiff_fn(sympy_name: str) -> str | None:
    back = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "Abs": "abs"}
    name = back.get(sympy_name, sympy_name)
    return name if name in ELEMENTWISE else None
