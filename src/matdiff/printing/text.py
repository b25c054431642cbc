"""The text printer: an expression in matdiff's input language (DESIGN.md).

The output parses back to the same expression.  Precedence, lowest first (the grammar's,
``parse/grammar.lark``): ``+ -``; ``* / .* ./``; unary minus; ``^ .^`` (right-associative,
tighter than unary minus: ``-x^2`` is ``-(x^2)``); postfix ``'``; atoms.

Textbook conventions on top of the grammar:

* a sum prints a term with a negative coefficient as a subtraction (``X*w - y``);
* a product prints a leading ``-1`` as a unary minus (``-A*x``) and scalar factors
  ``s^-k`` as divisions at its end (``2*x/c``, ``x/norm2(x)``, ``1/a^2``); a grouped
  scalar product inside a longer product is parenthesised (``A*(x'*y)``,
  ``(x'*y)*A``) so it reads as the number it is;
* ``vector(c)`` / ``matrix(c)`` and a broadcast scalar print as the bare scalar where
  the parser broadcasts scalars itself: operands of ``+``, ``./`` and ``.^``
  (``1 + exp(x)``, ``1 ./ x``, ``x.^2``).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from ..ir.nodes import Node
from ..ir.numbers import exact_text, integer_text
from ..ir.ops import ELEMENTWISE_FUNCTIONS, MAX_MATRIX_POWER, OPS
from ..ir.products import divisor
from ..ir.reductions import ones_reduction, size_of, untranspose
from ..shapes import Shape
from .common import Printed, PrinterBase, print_sum, wrap
from .sizes import dim_text, size_call

ADD = 10  # a + b, a - b
MUL = 20  # a*b, a/b, a.*b, a./b
NEG = 30  # -a
POW = 40  # a^b, a.^b, X^k
POSTFIX = 50  # a'
ATOM = 60  # names, numbers, calls, (...)

PRECEDENCE: dict[str, int] = {
    "var": ATOM, "differential": ATOM, "const": ATOM, "fill": ATOM, "eye": ATOM,
    "add": ADD, "mul": MUL, "hadamard": MUL, "ediv": MUL, "power": POW, "matpow": POW,
    "transpose": POSTFIX, "broadcast": MUL,
    "sum": ATOM, "norm1": ATOM, "norm2": ATOM, "tr": ATOM, "det": ATOM, "logdet": ATOM,
    "inv": ATOM, "diagm": ATOM, "diagv": ATOM,
    **{f: ATOM for f in ELEMENTWISE_FUNCTIONS},
    "logsumexp": ATOM, "softmax": ATOM,  # reduce
    "expand": MUL,
    # kron, vec, reshape, pinv, adj
    "kron": ATOM, "vec": ATOM, "reshape": ATOM, "pinv": ATOM, "adj": ATOM,
}
"""The precedence of what each op prints.  Rows override it for special forms: a
negative number is ``NEG``, ``1/3`` is ``MUL``, ``-x`` is ``NEG``, a row vector
``vector(c)'`` is ``POSTFIX``, a bare broadcast scalar is whatever the scalar is."""


def number(v: Fraction) -> Printed:
    """``2``, ``-0.25`` (tag ``negnum`` when negative) or ``1/3`` (a division)."""
    text, single = exact_text(v)
    if not single:
        return Printed(text, MUL, "ratio")
    return Printed(text, NEG, "negnum") if v < 0 else Printed(text, ATOM, "const")


def _is_negative_literal(p: Printed) -> bool:
    return p.tag == "negnum"


def _dot_operator(left: str, op: str, right: str) -> str:
    # "1 ./ x", not "1./x": the grammar reads both alike (a number never ends with a
    # dot), but a reader (or MATLAB habit) sees "1." followed by "/x".
    if left[-1:].isdigit():
        return f"{left} {op} {right}"
    return f"{left}{op}{right}"


class _TextPrinter(PrinterBase):
    def negated_sized(self, node: Node) -> Printed | None:
        if node.op == "fill" and node.attrs[0] < 0:
            return _sized_fill(-node.attrs[0], node.shape)
        if node.op == "broadcast":
            neg = self.negated(node.args[0], bare=False)
            if neg is not None:
                first = wrap(neg, neg.prec > MUL or (neg.prec == MUL and neg.tag == "mul"))
                return Printed(f"{first}*{ones(node.shape).text}", MUL, "broadcast")
        return None

    def _sum_by(self, rest: Node, dim: int) -> Printed:
        """``sum(U, dim)``, or ``sum(V, 3 - dim)'`` for ``U = V'`` when no longer (the
        textbook's bias gradient ``sum(P - Y, 1)'``, not ``sum(P' - Y', 2)``)."""
        plain = Printed(f"sum({self.p(rest).text}, {dim})", ATOM, "call")
        inner = untranspose(rest)
        if inner is None:
            return plain
        flipped = Printed(f"sum({self.p(inner).text}, {3 - dim})'", POSTFIX, "transpose")
        return flipped if len(flipped.text) <= len(plain.text) else plain

    def product(self, node: Node, negate: bool = False) -> Printed:
        """``[-]coefficient*factor*.../s^k``: ``s^-k`` factors are written as divisions
        at the end (``x/norm2(x)``, ``2*a/b^2``); scaling commutes and the simplifier
        puts scalar factors in one canonical order, so the text reads back to the same
        simplified expression.  With nothing else, a divisor gets a ``1`` (``1/c``).
        """
        coef: Fraction | None = None
        factors = list(node.args)
        if factors[0].op == "const":
            coef = factors.pop(0).attrs[0]
        sign = coef is not None and (coef > 0 if negate else coef < 0)
        text = ""
        count = 0  # operands printed, for the precedence of the result
        if coef is not None and not (coef == -1 and factors):
            c = number(abs(coef))
            text, count = wrap(c, c.prec > MUL), 1
        last: Printed | None = None
        divisors = [d for d in map(divisor, factors) if d is not None]
        factors = [f for f in factors if divisor(f) is None]
        items: list[Node | Printed] = list(factors)
        found = ones_reduction(factors)
        if found is not None:  # reduce: U*vector(1) is sum(U, 2), vector(1)'*U sum(U, 1)
            before, rest, dim, after = found
            items = [*(f for f in factors if f.shape.is_scalar), *before,
                     self._sum_by(rest, dim), *after]
        for i, item in enumerate(items):
            fp = item if isinstance(item, Printed) else self.p(item)
            if not text and not sign:
                # A grouped scalar product opening a longer product keeps its parentheses:
                # (y'*A*x)*y, not y'*A*x*y (same value, but it reads as a chain).
                alone = i == len(items) - 1
                ok = fp.prec > MUL or (fp.prec == MUL and fp.tag in ("mul", "broadcast")
                                       and alone)
            else:
                ok = fp.prec > NEG
            last = fp if ok else Printed(f"({fp.text})", ATOM, fp.tag)
            text = f"{text}*{last.text}" if text else last.text
            count += 1
        for d in divisors:  # divisions last: x/norm2(x), 2*a/b^2
            dp = self.p(d)
            text = (text or "1") + "/" + wrap(dp, dp.prec > NEG)
            count += 2 if count == 0 else 1
        if sign:
            text = "-" + text
        if count > 1:
            return Printed(text, MUL, "mul")
        if sign:
            return Printed(text, NEG, "neg")
        return last if last is not None else Printed(text, ATOM, "const")


# --- rows ----------------------------------------------------------------------------

Row = Callable[[_TextPrinter, Node, bool], "str | Printed"]


def ones(shape: Shape, zero: bool = False) -> Printed:
    """``ones(n)``, ``ones(n)'``, ``ones(m, n)`` (``zeros``): the sized constant of a shape
    whose every dimension has a name (:func:`.sizes.dim_text`)."""
    dims = [dim_text(d) for d in shape.dims]
    word = "zeros" if zero else "ones"
    text = f"{word}({', '.join(d or '?' for d in dims)})"
    return Printed(text + "'", POSTFIX, "transpose") if shape.kind == "row" else Printed(
        text, ATOM, "call")


def _sized_fill(v: Fraction, shape: Shape) -> Printed:
    """``c`` times ``ones(...)``: ``zeros(n)``, ``-ones(n)``, ``2*ones(m, n)``,
    ``ones(n)/3``."""
    if v == 0:
        return ones(shape, zero=True)
    one = ones(shape)
    if v == 1:
        return one
    body = one.text
    if v.numerator not in (1, -1):
        body = f"{integer_text(abs(v.numerator))}*{body}"
    if v.denominator != 1:
        body = f"{body}/{integer_text(v.denominator)}"
    if v < 0:
        return Printed("-" + body, NEG if body == one.text else MUL, "neg")
    return Printed(body, MUL, "mul")


def _fill(pr: _TextPrinter, node: Node, bare: bool) -> str | Printed:
    c = number(node.attrs[0])
    if bare:
        return c
    if node in pr.sized:
        return _sized_fill(node.attrs[0], node.shape)
    kind = node.shape.kind
    v: Fraction = node.attrs[0]
    if c.tag == "ratio":
        # vector(c) takes a number literal: 1/3 of ones is written vector(1)/3.
        ones = "matrix(1)" if kind == "matrix" else "vector(1)" + ("'" if kind == "row" else "")
        lead = "" if v.numerator == 1 else "-" if v.numerator == -1 else \
            f"{integer_text(v.numerator)}*"
        return Printed(f"{lead}{ones}/{integer_text(v.denominator)}", MUL, "mul")
    if kind == "matrix":
        return f"matrix({c.text})"
    text = f"vector({c.text})"
    return text if kind == "vector" else Printed(text + "'", POSTFIX, "transpose")


def _add(pr: _TextPrinter, node: Node, bare: bool) -> Printed:
    return print_sum(pr, node, ADD, wrap)


def _elementwise_operand(p: Printed, op: str, first: bool) -> str:
    """Operands of ``.*`` / ``./``: parenthesise looser operators, a different operator
    of the same level (``(A*x).*y``) and, after the operator, a leading minus."""
    if first:
        return wrap(p, p.prec > MUL or (p.prec == MUL and p.tag == op))
    return wrap(p, p.prec > NEG)


def _hadamard(pr: _TextPrinter, node: Node, bare: bool) -> str:
    # an expanded vector prints bare (X.*w'); a constant does not (.* with a scalar scales)
    first = node.args[0]
    text = _elementwise_operand(pr.p(first, first.op == "expand"), "hadamard", True)
    for a in node.args[1:]:
        text = _dot_operator(text, ".*", _elementwise_operand(pr.p(a, a.op == "expand"),
                                                              "hadamard", False))
    return text


def _ediv(pr: _TextPrinter, node: Node, bare: bool) -> str:
    left = _elementwise_operand(pr.p(node.args[0], bare=True), "ediv", True)
    right = _elementwise_operand(pr.p(node.args[1], bare=True), "ediv", False)
    return _dot_operator(left, "./", right)


def _exponent(p: Printed) -> str:
    # right-associative: a^b^c; a negative number needs no parentheses (x^-1)
    return wrap(p, p.prec >= POW or _is_negative_literal(p))


def _power(pr: _TextPrinter, node: Node, bare: bool) -> str:
    base = pr.p(node.args[0], bare=True)
    exponent = _exponent(pr.p(node.args[1], bare=True))
    if node.shape.is_scalar:
        return f"{wrap(base, base.prec > POW)}^{exponent}"
    return _dot_operator(wrap(base, base.prec > POW), ".^", exponent)


def _matpow(pr: _TextPrinter, node: Node, bare: bool) -> Printed:
    base = pr.p(node.args[0])
    text, product = _power_text(wrap(base, base.prec > POW), node.attrs[0])
    return Printed(text, MUL, "mul") if product else Printed(text, POW, "matpow")


def _power_text(base: str, k: int) -> tuple[str, bool]:
    """``X^k``, and whether it is written as a product: beyond the parser's limit, a
    product of allowed powers (``X^100`` is ``(X^64)*X^36``, ``X^-128`` is
    ``(X^-64)^2``)."""
    if abs(k) <= MAX_MATRIX_POWER:
        return f"{base}^{k}", False
    sign = 1 if k > 0 else -1
    q, r = divmod(abs(k), MAX_MATRIX_POWER)
    head, product = f"({base}^{sign * MAX_MATRIX_POWER})", False
    if q > 1:
        head, product = _power_text(head, q)
    if r == 0:
        return head, product
    tail = base if sign * r == 1 else f"{base}^{sign * r}"
    return f"{head}*{tail}", True


def _transpose(pr: _TextPrinter, node: Node, bare: bool) -> str:
    child = pr.p(node.args[0])
    return wrap(child, child.prec >= POSTFIX) + "'"


def _broadcast(pr: _TextPrinter, node: Node, bare: bool) -> Printed:
    s = pr.p(node.args[0])
    if bare:
        return s
    unsized = {"vector": "vector(1)", "row": "vector(1)'", "matrix": "matrix(1)"}
    spelt = ones(node.shape).text if node in pr.sized else unsized[node.shape.kind]
    first = wrap(s, s.prec > MUL or (s.prec == MUL and s.tag == "mul"))
    return Printed(f"{first}*{spelt}", MUL, "broadcast")


def _expand(pr: _TextPrinter, node: Node, bare: bool) -> Printed:
    """Bare where the parser expands the vector again (``W*X + b``), else the product
    with ones that is its value: ``b*ones(n)'`` (a column across n columns),
    ``ones(m)*r`` (a row down m rows)."""
    v = pr.p(node.args[0])
    if bare:
        return v
    if node.args[0].shape.kind == "vector":
        n = dim_text(node.shape.cols) if node.shape.cols is not None else None
        first = wrap(v, v.prec > MUL or (v.prec == MUL and v.tag == "mul"))
        return Printed(f"{first}*{f'ones({n})' if n else 'vector(1)'}'", MUL, "mul")
    m = dim_text(node.shape.rows) if node.shape.rows is not None else None
    return Printed(f"{f'ones({m})' if m else 'vector(1)'}*{wrap(v, v.prec > NEG)}", MUL,
                   "mul")


def _function(name: str) -> Row:
    return lambda pr, node, bare: f"{name}({pr.p(node.args[0]).text})"


ROWS: dict[str, Row] = {
    "var": lambda pr, node, bare: str(node.attrs[0]),
    "differential": lambda pr, node, bare: f"d{node.attrs[0]}",
    "const": lambda pr, node, bare: number(node.attrs[0]),
    "fill": _fill,
    "eye": lambda pr, node, bare: f"eye({dim_text(node.shape.dims[0])})" if node in pr.sized
    else "eye",
    "add": _add,
    "mul": lambda pr, node, bare: pr.product(node),
    "hadamard": _hadamard,
    "ediv": _ediv,
    "power": _power,
    "matpow": _matpow,
    "transpose": _transpose,
    "broadcast": _broadcast,
    **{op: _function(spec.surface) for op, spec in OPS.items() if spec.surface is not None},
    # implicit expansion
    "expand": _expand,
    # kron, vec, reshape, pinv, adj (vec, pinv, adj print as the one-operand functions)
    "kron": lambda pr, node, bare: (f"kron({pr.p(node.args[0]).text}, "
                                    f"{pr.p(node.args[1]).text})"),
    "reshape": lambda pr, node, bare: (f"reshape({pr.p(node.args[0]).text}, "
                                       f"{dim_text(node.attrs[0]) or 'n'}, "
                                       f"{dim_text(node.attrs[1]) or 'n'})"),
}
"""``op -> row(printer, node, bare)``; one row per op in ``ir.ops.OPS``.  Functions print
by their surface name (``diag`` for both ``diagm`` and ``diagv``)."""


def _by_dimension(name: str) -> Row:
    """reduce: ``logsumexp(U)``, ``logsumexp(X, 2)``; ``softmax(x)``, ``softmax(X, 1)``."""
    def row(pr: _TextPrinter, node: Node, bare: bool) -> str:
        dim = node.attrs[0]
        inner = pr.p(node.args[0]).text
        return f"{name}({inner})" if dim == 0 else f"{name}({inner}, {dim})"
    return row


def _sum(pr: _TextPrinter, node: Node, bare: bool) -> str:
    """reduce: the size scalar ``sum(ones(rows(X)))`` is written ``rows(X)`` (which the
    parser reads back as that size); other sums as ``sum(U)``."""
    d = size_of(node)
    if d is not None:  # sizes.py leaves it out of the sized constants: it names its size
        return size_call(d) or f"sum({ones(node.args[0].shape).text})"
    return f"sum({pr.p(node.args[0]).text})"


ROWS.update({"logsumexp": _by_dimension("logsumexp"), "softmax": _by_dimension("softmax"),
             "sum": _sum})


_TextPrinter.rows = ROWS
_TextPrinter.precedence = PRECEDENCE
_TextPrinter.number = number


def to_text(node: Node) -> str:
    """``node`` in the input language, e.g. ``A'*C'*X*B' + C*A*X*B``."""
    return _TextPrinter().render(node)
