"""One array-code printer: an expression as ONE Python expression over an array library.

Conventions of the generated code (the NumPy backend; others follow it):

* The only global name it uses is the backend's module (``np``); every variable appears
  by its name, and a differential ``dX`` by the name ``dX``.  A name that is a Python
  keyword, a backend's module name (``np``, ``jnp``, ``torch``) or the module helper
  ``_check_shapes``, followed by any number of underscores, gets one more underscore
  (``lambda`` -> ``lambda_``, ``np`` -> ``np_``, ``np_`` -> ``np__``): one-to-one and the
  same in every backend; :func:`variable_names` gives the mapping.
* A number that is a function's argument is a float of the backend (``np.abs(3.0)``,
  ``torch.tensor(3.0, dtype=x.dtype, device=x.device)``): an integer refuses a negative
  power and torch functions refuse Python numbers.
* Values follow ``shapes.py``: matrices are 2-D arrays, vectors *and* row vectors 1-D
  arrays, scalars Python floats or 0-d arrays.  So a transpose is ``.T`` for a matrix
  and nothing otherwise, and ``tr`` of a scalar is the scalar.
* Products are lowered by :mod:`matdiff.ir.products` (the same plan the reference
  evaluator uses): ``@`` for matrix/vector products, ``np.outer(u, v)`` for a vector
  times a row, ``*`` for scalars, bracketed in the cheapest order (``A @ (B @ x)``).
* Sizes of ``eye``, ``vector(c)`` / ``matrix(c)`` and a broadcast scalar come from the
  ``sizes`` mapping (dimension -> a Python expression such as ``"X.shape[0]"``); an
  integer dimension not in it is written as the integer.
* Numbers are Python literals (``2``, ``0.5``, ``(1/3)``); ``logdet(X)`` is
  ``np.linalg.slogdet(X)[1]`` (``log|det X|``, equal to ``log det X`` where that is
  defined), ``step`` is ``np.heaviside(x, 0.0)``, ``relu`` ``np.maximum(x, 0)``;
  ``sigmoid(x)`` is ``np.exp(-np.logaddexp(0.0, -(x)))`` (or the backend's own
  ``sigmoid`` template: ``torch.sigmoid``), ``softplus(x)`` ``np.logaddexp(0.0, x)``:
  neither overflows for any ``|x|``.

Parentheses follow Python's precedence (``-x ** 2`` is ``-(x ** 2)``, ``x ** -1`` needs
none, ``a - (b + c)``), from one table: :data:`PRECEDENCE`.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import NamedTuple

from ..errors import LimitError, UnsupportedError
from ..ir.build import scaled_expansion, unexpanded
from ..ir.nodes import Node
from ..ir.numbers import finite_decimal
from ..ir.ops import ELEMENTWISE_FUNCTIONS
from ..ir.products import ProductKind, fold_plan, plan_product, split_factors
from ..shapes import SCALAR, Dim, Shape, dim_factors, is_product, show_dim
from .backends import Backend, get_backend

# Python's operator precedence, lowest first (the levels this printer emits).
ADD = 10  # a + b, a - b
MUL = 20  # a * b, a @ b, a / b (left-associative)
UNARY = 30  # -a
POW = 40  # a ** b (right-associative; binds tighter than a unary minus on its left)
ATOM = 50  # names, literals, calls, x.T, x[1], (...)


class Code(NamedTuple):
    text: str
    prec: int
    op: str = ""  # the outermost operator, when it is a binary one


_FUNCTIONS_ATOM = {f: ATOM for f in ELEMENTWISE_FUNCTIONS}

PRECEDENCE: dict[str, int] = {
    "var": ATOM, "differential": ATOM, "const": ATOM, "fill": ATOM, "eye": ATOM,
    "add": ADD, "mul": MUL, "hadamard": MUL, "ediv": MUL, "power": POW,
    "matpow": ATOM, "transpose": ATOM, "broadcast": ATOM,
    "sum": ATOM, "norm1": ATOM, "norm2": ATOM, "tr": ATOM, "det": ATOM, "logdet": ATOM,
    "inv": ATOM, "diagm": ATOM, "diagv": ATOM,
    **_FUNCTIONS_ATOM,
    "logsumexp": ATOM, "softmax": ATOM,  # reduce
    "expand": ATOM,
    # kron, vec, reshape, pinv, adj
    "kron": ATOM, "vec": ATOM, "reshape": ATOM, "pinv": ATOM, "adj": MUL,
}
"""The precedence of the code each op prints.  A row may return a different one for a
special form (a negative number is ``UNARY``; ``x'`` of a vector is ``x`` itself)."""


def _wrap(c: Code, min_prec: int, op: str = "") -> str:
    """``c`` as an operand needing ``min_prec``; also parenthesised when it mixes ``@``
    with ``*`` or ``/`` at the same level (``(A @ x) * y``): legal without, but a reader
    should not need Python's left-to-right rule to see which product is meant."""
    mixed = c.prec == MUL and min_prec == MUL and ("@" in (op, c.op)) and op != c.op
    return c.text if c.prec >= min_prec and not mixed else f"({c.text})"


def _binop(left: Code, op: str, right: Code, prec: int) -> Code:
    """A left-associative binary operator: ``a - (b - c)`` but ``a - b - c``."""
    return Code(f"{_wrap(left, prec, op)} {op} {_wrap(right, prec + 1, op)}", prec, op)


def number(v: Fraction) -> Code:
    """A Python literal for ``v``: ``2``, ``-0.5``, ``(1/3)``."""
    text = finite_decimal(v)
    if text is None:
        return Code(f"({v.numerator}/{v.denominator})", ATOM)
    return Code(text, UNARY if v < 0 else ATOM)


def float_literal(v: Fraction) -> str:
    """``v`` as a float-valued literal (``2.0``, ``0.5``, ``(1/3)``): the fill value of
    ``np.full``, whose dtype would otherwise be integer for ``2``."""
    text = number(v).text
    return text if not text.lstrip("-").isdigit() else text + ".0"


def input_key(leaf: Node) -> str:
    """The name a ``var`` (``X``) or ``differential`` (``dX``) leaf is given by."""
    name: str = leaf.attrs[0]
    return "d" + name if leaf.op == "differential" else name


RESERVED_NAMES: frozenset[str] = frozenset(keyword.kwlist) | {"np", "jnp", "torch",
                                                               "_check_shapes"}
"""Names generated code cannot give an input: Python's keywords (``lambda``, ``None``),
the backends' module names (one set for every backend, so an input has the same name in
NumPy, JAX and torch code) and the shape-check helper of a generated module."""


def python_name(name: str, backend: str | Backend = "numpy") -> str:
    """The Python name of input ``name`` in generated code (the same for every backend).

    A name that is one of :data:`RESERVED_NAMES` followed by any number of underscores
    gets one more underscore: ``lambda -> lambda_``, ``np -> np_``, ``np_ -> np__``;
    every other name is itself.  The mapping is one-to-one, so two inputs never share a
    Python name (``np'*x + np_'*x`` takes ``np_`` and ``np__``)."""
    get_backend(backend)
    return name + "_" if name.rstrip("_") in RESERVED_NAMES else name


def variable_names(node: Node, backend: str | Backend = "numpy") -> dict[str, str]:
    """``input name -> Python name`` for every variable (and ``dX``) in ``node``.

    Raises :class:`~matdiff.errors.UnsupportedError` if a name is not a Python
    identifier or two inputs would get the same Python name.
    """
    be = get_backend(backend)
    names: dict[str, str] = {}
    for leaf in node.walk():
        if leaf.op not in ("var", "differential"):
            continue
        key = input_key(leaf)
        if not key.isidentifier():
            raise UnsupportedError(f"{key!r} is not a valid Python name")
        names[key] = python_name(key, be)
    taken: dict[str, str] = {}
    for key, py in sorted(names.items()):
        if py in taken:
            raise UnsupportedError(
                f"the inputs {taken[py]} and {key} would both be named {py} in code")
        taken[py] = key
    return names


def reference_input(node: Node, names: Mapping[str, str]) -> str | None:
    """The Python name of an input of ``node`` whose dtype and device constructors and
    constants follow (torch): the first non-scalar variable by name, else the first
    scalar one (torch code takes its inputs as tensors); ``None`` if there is none."""
    leaves = {n.attrs[0]: n for n in node.walk() if n.op == "var"}
    arrays = sorted(name for name, n in leaves.items() if not n.shape.is_scalar)
    scalars = sorted(name for name, n in leaves.items() if n.shape.is_scalar)
    chosen = (arrays or scalars or [None])[0]
    return None if chosen is None else names[chosen]


Row = Callable[["Printer", Node], "str | Code"]


def size_code(sizes: Mapping[Dim, str], d: Dim) -> str:
    """The code for dimension ``d``'s size: from ``sizes``, or the integer itself."""
    expr = sizes.get(d)
    if expr is not None:
        return expr
    if isinstance(d, int):
        return str(d)
    if is_product(d):  # kron, vec: the product of the factors' sizes
        return "(" + " * ".join(size_code(sizes, f) for f in dim_factors(d)) + ")"
    raise UnsupportedError(
        f"no size expression for dimension {show_dim(d)}: pass it in sizes, "
        f"e.g. {{{str(d)!r}: 'X.shape[0]'}}")


def shape_code(sizes: Mapping[Dim, str], dims: Sequence[Dim]) -> str:
    """A shape tuple's code: ``(n,)`` or ``(m, n)``."""
    parts = [size_code(sizes, d) for d in dims]
    return f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"


class Printer:
    """Prints nodes by the :data:`ROWS` table, memoised per node.  ``memo`` may be
    seeded with names (``Code("t0", ATOM)``) for nodes computed beforehand: that is how
    :mod:`.program` prints a shared subexpression once.  ``ref`` is an input array that
    constructors take dtype and device from (torch)."""

    def __init__(self, backend: Backend, sizes: Mapping[Dim, str], names: Mapping[str, str],
                 ref: str | None = None):
        self.backend = backend
        self.sizes = sizes
        self.names = names
        self.ref = ref
        self.memo: dict[Node, Code] = {}

    def code(self, node: Node) -> Code:
        done = self.memo.get(node)
        if done is not None:
            return done
        out = ROWS[node.op](self, node)
        result = out if isinstance(out, Code) else Code(out, PRECEDENCE[node.op])
        self.memo[node] = result
        return result

    def fn(self, key: str) -> str:
        return self.backend.fn(key)

    def call(self, key: str, *args: str) -> str:
        return self.backend.call(key, args, self.ref)

    def size(self, d: Dim) -> str:
        return size_code(self.sizes, d)

    def arg(self, node: Node) -> str:
        """The code of ``node`` as an argument of a backend function: a number is a
        float of the backend (``np.abs(3)`` would be an integer, which refuses a negative
        power, and ``torch.log`` refuses a Python number: ``torch.tensor(3.0, ...)``)."""
        if node.op == "const":
            return self.backend.call("scalar", (float_literal(node.attrs[0]),), self.ref)
        text = self.code(node).text
        if node.shape.is_scalar and not node.variables():
            # a constant part such as 2 ** 0.5 is a Python float: torch.abs refuses it
            return self.backend.call("scalar", (text,), self.ref)
        return text

    def shape(self, s: Shape) -> str:
        return shape_code(self.sizes, s.dims)

    def combine(self, kind: ProductKind, left: Code, right: Code) -> Code:
        if kind == "matmul":
            return _binop(left, "@", right, MUL)
        if kind == "outer":
            return Code(self.call("outer", left.text, right.text), ATOM)
        return _binop(left, "*", right, MUL)

    def product(self, node: Node, negate: bool = False) -> Code:
        """``coefficient * numerator / divisors``; ``negate`` flips the coefficient's sign
        (used by ``add`` to print ``a - 2 * b``)."""
        f = split_factors(node.args)
        coef = f.coefficient
        if negate:
            coef = -(coef if coef is not None else Fraction(1))
        leaves: list[Code] = []
        shapes: list[Shape] = []
        minus = coef == -1 and bool(f.numerator)
        if coef is not None and coef != 1 and not minus:
            leaves.append(number(coef))
            shapes.append(SCALAR)
        for factor in f.numerator:
            leaves.append(self.code(factor))
            shapes.append(factor.shape)
        body = fold_plan(plan_product(shapes), leaves, self.combine) if leaves else (
            Code("1", ATOM))
        if minus:
            body = Code("-" + _wrap(body, POW), UNARY)
        for d in f.divisors:
            body = _binop(body, "/", self.code(d), MUL)
        return body

    def negated(self, node: Node, bare: bool = False) -> Code | None:
        """The code of ``-node`` if ``node`` is a negative number or has a negative
        coefficient, else ``None``; ``bare`` as in :meth:`operand`."""
        if (node.op == "const" or (bare and node.op == "fill")) and node.attrs[0] < 0:
            return number(-node.attrs[0])
        e = scaled_expansion(node) if bare else None
        if e is not None:  # A - 2*b: (2 * b)[:, None]
            neg = self.negated(unexpanded(node, e))
            return None if neg is None else _expanded(e, neg)
        if node.op == "mul" and node.args[0].op == "const" and node.args[0].attrs[0] < 0:
            return self.product(node, negate=True)
        if bare and node.op == "broadcast":
            return self.negated(node.args[0])
        if bare and node.op == "expand":
            inner = self.negated(node.args[0])
            return None if inner is None else _expanded(node, inner)
        return None

    def operand(self, node: Node, bare: bool) -> Code:
        """``node``, or where ``bare`` and it is ``vector(c)`` / ``matrix(c)`` / a
        broadcast scalar, just the scalar (NumPy broadcasts it)."""
        if bare and node.op == "fill":
            return number(node.attrs[0])
        if bare and node.op == "broadcast":
            return self.code(node.args[0])
        if bare and node.op == "expand":
            return _expanded(node, self.code(node.args[0]))
        e = scaled_expansion(node) if bare else None
        if e is not None:
            return _expanded(e, self.code(unexpanded(node, e)))
        return self.code(node)


def bare_operands(node: Node) -> list[bool]:
    """Which operands of an elementwise op (``+ * / **``) may print as bare scalars:
    every constant/broadcast one except, when all are, the first (NumPy broadcasting
    needs one full-shaped operand to give the result its shape).  An expanded vector is
    bare too (``b[:, None]``, a row as itself), anchored the same way."""
    filler = [a.op in ("fill", "broadcast", "expand") or scaled_expansion(a) is not None
              for a in node.args]
    anchor = filler.index(False) if False in filler else 0
    return [f and i != anchor for i, f in enumerate(filler)]


# --- rows ----------------------------------------------------------------------------

def _leaf_name(p: Printer, node: Node) -> str:
    return p.names[input_key(node)]


def _fill(p: Printer, node: Node) -> str:
    value: Fraction = node.attrs[0]
    shape = p.shape(node.shape)
    if value == 1:
        return p.call("ones", shape)
    if value == 0:
        return p.call("zeros", shape)
    return p.call("full", shape, float_literal(value))


def _add(p: Printer, node: Node) -> Code:
    bare = bare_operands(node)
    text = _wrap(p.operand(node.args[0], bare[0]), ADD)
    for term, b in zip(node.args[1:], bare[1:], strict=True):
        neg = p.negated(term, b)
        if neg is not None:
            text += " - " + _wrap(neg, ADD + 1)
        else:
            text += " + " + _wrap(p.operand(term, b), ADD + 1)
    return Code(text, ADD, "+")


def _hadamard(p: Printer, node: Node) -> Code:
    codes = [p.operand(a, b) for a, b in zip(node.args, bare_operands(node), strict=True)]
    acc = codes[0]
    for c in codes[1:]:
        acc = _binop(acc, "*", c, MUL)
    return acc


def _ediv(p: Printer, node: Node) -> Code:
    left, right = (p.operand(a, b)
                   for a, b in zip(node.args, bare_operands(node), strict=True))
    return _binop(left, "/", right, MUL)


def _power(p: Printer, node: Node) -> str:
    base, exponent = (p.operand(a, b)
                      for a, b in zip(node.args, bare_operands(node), strict=True))
    return f"{_wrap(base, ATOM)} ** {_wrap(exponent, UNARY)}"


def _expanded(node: Node, vector: Code) -> Code:
    """A vector where NumPy broadcasting expands it: a column as ``b[:, None]`` (a 1-D
    array broadcasts along the last axis, as a row), a row as itself."""
    if node.args[0].shape.kind == "vector":
        return Code(_wrap(vector, ATOM) + "[:, None]", ATOM)
    return vector


def _expand(p: Printer, node: Node) -> str:
    """``np.broadcast_to(b[:, None], (m, n))``: the expanded matrix itself."""
    return p.call("broadcast_to", _expanded(node, p.code(node.args[0])).text,
                  p.shape(node.shape))


def _transpose(p: Printer, node: Node) -> Code:
    child = p.code(node.args[0])
    if node.shape.kind != "matrix":
        return child  # 1-D and 0-d values are their own transpose
    return Code(_wrap(child, ATOM) + ".T", ATOM)


def _tr(p: Printer, node: Node) -> Code:
    child = p.code(node.args[0])
    if node.args[0].shape.is_scalar:
        return child
    return Code(p.call("trace", child.text), ATOM)


def _sigmoid(p: Printer, node: Node) -> str:
    """``sigmoid(u) = exp(-log(1 + exp(-u)))``: no ``exp`` of a large positive number."""
    u = p.arg(node.args[0])
    if "sigmoid" in p.backend.templates:
        return p.call("sigmoid", u)
    minus_u = f"-{u}" if u.isidentifier() else f"-({u})"
    return p.call("exp", "-" + p.call("logaddexp", p.call("scalar", "0.0"), minus_u))


def _softplus(p: Printer, node: Node) -> str:
    """``softplus(u) = log(exp(0) + exp(u))``, overflow-free."""
    return p.call("logaddexp", p.call("scalar", "0.0"), p.arg(node.args[0]))


def _call(key: str, *extra: str) -> Row:
    return lambda p, node: p.call(key, p.arg(node.args[0]), *extra)


ROWS: dict[str, Row] = {
    "var": _leaf_name,
    "differential": _leaf_name,
    "const": lambda p, node: number(node.attrs[0]),
    "fill": _fill,
    "eye": lambda p, node: p.call("eye", p.size(node.shape.dims[0])),
    "add": _add,
    "mul": lambda p, node: p.product(node),
    "hadamard": _hadamard,
    "ediv": _ediv,
    "power": _power,
    "matpow": lambda p, node: p.call("matrix_power", p.arg(node.args[0]),
                                     str(node.attrs[0])),
    "transpose": _transpose,
    "broadcast": lambda p, node: p.call("full", p.shape(node.shape), p.arg(node.args[0])),
    "sum": _call("sum"),
    "norm1": lambda p, node: p.call("sum", p.call("abs", p.arg(node.args[0]))),
    "norm2": _call("norm"),
    "tr": _tr,
    "det": _call("det"),
    "logdet": lambda p, node: p.call("slogdet", p.arg(node.args[0])) + "[1]",
    "inv": _call("inv"),
    "diagm": _call("diag"),
    "diagv": _call("diag"),
    **{f: _call(f) for f in ELEMENTWISE_FUNCTIONS
       if f not in ("relu", "step", "sigmoid", "softplus")},
    "relu": _call("maximum", "0"),
    "step": _call("heaviside", "0.0"),
    # sigmoid, softplus
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    # implicit expansion
    "expand": _expand,
    # kron, vec, reshape, pinv, adj
    "kron": lambda p, node: _kron(p, node),
    "vec": lambda p, node: _vec_code(p, node.args[0]),
    "reshape": lambda p, node: _wrap(Code(p.call("reshape", _vec_code(p, node.args[0]), (
        f"({p.size(node.attrs[1])}, {p.size(node.attrs[0])})")), ATOM), ATOM) + ".T",
    "pinv": _call("pinv"),
    # det(X)*inv(X) (Cookbook sec. 1.1); the evaluator's cofactors also take a singular X
    "adj": lambda p, node: Code(f"{p.call('det', p.arg(node.args[0]))} * "
                                f"{p.call('inv', p.arg(node.args[0]))}", MUL),
}


def _vec_code(p: Printer, x: Node) -> str:
    """vec(X), column-major: the rows of X' one after another (a 1-D value is itself)."""
    code = p.code(x)
    if x.shape.kind != "matrix":
        return code.text
    return p.call("reshape", _wrap(code, ATOM) + ".T", "(-1,)")


def _kron(p: Printer, node: Node) -> str:
    """kron: two 1-D values of one kind are kron'd as they are (a column or a row
    again); otherwise a 1-D operand is made the column or row it stands for."""
    a, c = node.args
    if a.shape.kind == c.shape.kind and a.shape.kind in ("vector", "row"):
        return p.call("kron", p.arg(a), p.arg(c))

    def two_d(x: Node) -> str:
        kind = x.shape.kind
        if kind == "matrix":
            return p.arg(x)
        return p.call("reshape", p.arg(x), "(-1, 1)" if kind == "vector" else "(1, -1)")
    return p.call("kron", two_d(a), two_d(c))
"""``op -> row(printer, node)``: the code of one node; one row per op in ``ir.ops.OPS``."""


def _reduce_axis(node: Node) -> str:
    """reduce: the array axis of dimension 1 (0: down the columns) or 2 (1: along the
    rows); a vector's (dim 0) only axis is 0."""
    dim: int = node.attrs[0]
    return "0" if dim == 0 else str(dim - 1)


def _logsumexp(p: Printer, node: Node) -> str:
    if node.attrs[0] == 0 and node.args[0].shape.kind == "matrix":
        return p.call("logsumexp_all", p.arg(node.args[0]), "None")
    return p.call("logsumexp", p.arg(node.args[0]), _reduce_axis(node))


def _softmax(p: Printer, node: Node) -> Code:
    """The backend's softmax, or ``e / sum(e)`` with ``e = exp(z - max(z))``: the largest
    entry taken out, so every ``exp`` is at most 1 and the quotient is accurate to the
    last bits even in float32 (``exp(z - logsumexp(z))`` loses ``|z|*eps``)."""
    z, axis = p.arg(node.args[0]), _reduce_axis(node)
    if "softmax" in p.backend.templates:
        return Code(p.call("softmax", z, axis), ATOM)
    if node.attrs[0] == 0:
        e = p.call("exp", f"{z} - {p.call('max', z)}")
        return Code(f"{e} / {p.call('sum', e)}", MUL, "/")
    e = p.call("exp", f"{z} - {p.call('max', z, axis, 'keepdims=True')}")
    return Code(f"{e} / {p.call('sum', e, axis, 'keepdims=True')}", MUL, "/")


ROWS.update({"logsumexp": _logsumexp, "softmax": _softmax})


def to_array_code(node: Node, sizes: Mapping[Dim, str] | None = None,
                  backend: str | Backend = "numpy") -> str:
    """``node`` as one Python expression over ``backend`` (see the module doc).

    ``sizes`` maps each symbolic dimension that an ``eye``, ``vector(c)``,
    ``matrix(c)`` or broadcast needs to a Python expression for its size; one that is
    missing raises :class:`~matdiff.errors.UnsupportedError` naming it.
    """
    be = get_backend(backend)
    names = variable_names(node, be)
    printer = Printer(be, sizes or {}, names, reference_input(node, names))
    try:
        for n in node.walk():  # children first, so the recursion below stays shallow
            printer.code(n)
        return printer.code(node).text
    except RecursionError:
        raise LimitError("the expression is too deeply nested to generate code") from None
