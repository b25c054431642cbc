r"""The LaTeX printer: textbook notation (The Matrix Cookbook's, and the seeds').

Products are juxtaposed with a space (``2 X^{\top} \left(X w - y\right)``; a factor
that starts with a digit or a fraction gets ``\cdot``); ``A^{\top}``, ``X^{-1}`` for
``inv``, ``X^{-\top}`` for ``inv(X)'``; ``\odot`` / ``\oslash`` for ``.*`` / ``./``;
``x^{\circ 2}`` for an elementwise power; ``I`` for the identity; ``\mathbf{1}`` for a
vector or matrix of ones (``c \mathbf{1}`` for ``vector(c)``); fractions ``\frac{a}{b}``
for scalar divisors and non-integer numbers; ``\mathrm{d}X`` for a differential.

Parentheses are ``\left( ... \right)`` and follow the text printer's logic, with one
more rule: a superscript (power, transpose, inverse) needs an atomic base, because
``A^{\top}^{\top}`` is not LaTeX.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from fractions import Fraction

from ..ir.nodes import Node
from ..ir.numbers import integer_text
from ..ir.ops import ELEMENTWISE_FUNCTIONS
from ..ir.reductions import size_of
from ..shapes import Dim
from .common import ADD, ATOM, FRAC, MUL, NEG, SUP, Printed, TypesetPrinter, print_sum
from .sizes import size_parts

_STANDARD_FUNCTIONS = ("exp", "log", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
                       "sinh", "cosh", "tanh")

PRECEDENCE: dict[str, int] = {
    "var": ATOM, "differential": ATOM, "const": ATOM, "fill": ATOM, "eye": ATOM,
    "add": ADD, "mul": MUL, "hadamard": MUL, "ediv": MUL, "power": SUP, "matpow": SUP,
    "transpose": SUP, "broadcast": MUL,
    "sum": ATOM, "norm1": ATOM, "norm2": ATOM, "tr": ATOM, "det": ATOM, "logdet": ATOM,
    "inv": SUP, "diagm": ATOM, "diagv": ATOM,
    **{f: ATOM for f in ELEMENTWISE_FUNCTIONS},
    "logsumexp": ATOM, "softmax": ATOM,  # reduce
    "expand": MUL,
    # kron, vec, reshape, pinv, adj
    "kron": (ADD + MUL) // 2, "vec": ATOM, "reshape": ATOM, "pinv": SUP, "adj": ATOM,
}
"""The precedence of what each op prints; rows override it for special forms (a
negative number is ``NEG``, ``\\frac{1}{3}`` is ``FRAC``, ``c \\mathbf{1}`` is ``MUL``)."""

_GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau",
    "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda",
    "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
})
_NAME = re.compile(r"([A-Za-z]+)(?:_?([0-9]+)|_([A-Za-z0-9_]+))?")


def latex_name(name: str) -> str:
    r"""A variable name in LaTeX: ``x``, ``\alpha``, ``W_{1}`` (``W1``, ``W_1``),
    ``x_{\mathit{hat}}`` (``x_hat``), ``\mathit{loss}``."""
    m = _NAME.fullmatch(name)
    if m is None:
        return r"\mathit{" + name.replace("_", r"\_") + "}"
    stem, digits, word = m.groups()
    if len(stem) == 1:
        out = stem
    elif stem in _GREEK:
        out = "\\" + stem
    else:
        out = r"\mathit{" + stem + "}"
    if digits is not None:
        return f"{out}_{{{digits}}}"
    if word is not None:
        return f"{out}_{{{latex_name(word)}}}"
    return out


def paren(text: str) -> str:
    return rf"\left({text}\right)"


def wrap(p: Printed, ok: bool) -> str:
    return p.text if ok else paren(p.text)


def _fraction(numerator: str, denominator: str) -> str:
    return rf"\frac{{{numerator}}}{{{denominator}}}"


def _integer(n: int) -> str:
    r"""``12``, or ``1.5 \times 10^{20}`` for a long one with trailing zeros."""
    text = integer_text(n)
    mantissa, e, exponent = text.partition("e")
    if not e:
        return text
    return (mantissa + r" \times " if mantissa != "1" else "") + f"10^{{{exponent}}}"


def number(v: Fraction) -> Printed:
    r"""``2``, ``-2``, ``\frac{1}{3}``, ``-\frac{1}{2}``."""
    sign = "-" if v < 0 else ""
    a = abs(v)
    if a.denominator == 1:
        text, prec, tag = _integer(a.numerator), ATOM, "const"
    else:
        text, prec, tag = _fraction(_integer(a.numerator), _integer(a.denominator)), FRAC, \
            "ratio"
    if sign:
        return Printed(sign + text, NEG, "negnum")
    return Printed(text, prec, tag)


def juxtapose(pieces: Sequence[str]) -> str:
    r"""Factors side by side; ``\cdot`` before one that starts with a number."""
    out = pieces[0]
    for piece in pieces[1:]:
        numeric = piece[:1].isdigit() or piece.startswith(r"\frac")
        out += (r" \cdot " if numeric else " ") + piece
    return out


class _LatexPrinter(TypesetPrinter):
    minus = "-"

    @staticmethod
    def lead(n: int) -> str:
        return _integer(n)

    @staticmethod
    def group(*parts: str) -> str:
        return "".join(parts)

    @staticmethod
    def paren(text: str) -> str:
        return paren(text)

    @staticmethod
    def juxtapose(pieces: Sequence[str]) -> str:
        return juxtapose(pieces)

    @staticmethod
    def fraction(numerator: str, denominator: str) -> str:
        return _fraction(numerator, denominator)


# --- rows ----------------------------------------------------------------------------

Row = Callable[[_LatexPrinter, Node, bool], "str | Printed"]

def _dim(d: Dim) -> str:
    if isinstance(d, str) and "*" in d:  # a product of sizes (kron, vec)
        return r" \cdot ".join(_dim(int(f) if f.isdigit() else f) for f in d.split("*"))
    parts = size_parts(d)
    if isinstance(parts, tuple):
        return rf"\operatorname{{{parts[0]}}}({latex_name(parts[1])})"
    return parts if parts[0].isdigit() else latex_name(parts)


def _ones(pr: _LatexPrinter, node: Node, zero: bool = False) -> str:
    r"""``\mathbf{1}``, or with its size where the context does not fix it
    (``\mathbf{1}_{n}``, ``\mathbf{0}_{m \times n}``, ``\mathbf{1}_{n}^{\top}``)."""
    one = r"\mathbf{0}" if zero else r"\mathbf{1}"
    if node in pr.sized:
        one += "_{" + r" \times ".join(_dim(d) for d in node.shape.dims) + "}"
    return one + r"^{\top}" if node.shape.kind == "row" else one


def _fill(pr: _LatexPrinter, node: Node, bare: bool) -> str | Printed:
    v: Fraction = node.attrs[0]
    if bare:
        return number(v)
    kind = node.shape.kind
    if v in (0, 1):
        return Printed(_ones(pr, node, v == 0), SUP if kind == "row" else ATOM, "fill")
    c = number(v)
    return Printed(f"{c.text} {_ones(pr, node)}", MUL, "fill")


def _add(pr: _LatexPrinter, node: Node, bare: bool) -> Printed:
    return print_sum(pr, node, ADD, wrap)


def _operand(p: Printed, op: str, first: bool) -> str:
    if first:
        return wrap(p, p.prec > MUL or (p.prec == MUL and p.tag == op))
    return wrap(p, p.prec > NEG)


def _hadamard(pr: _LatexPrinter, node: Node, bare: bool) -> str:
    parts = [_operand(pr.p(a, a.op == "expand"), "hadamard", i == 0)
             for i, a in enumerate(node.args)]
    return r" \odot ".join(parts)


def _ediv(pr: _LatexPrinter, node: Node, bare: bool) -> str:
    left = _operand(pr.p(node.args[0], bare=True), "ediv", True)
    right = _operand(pr.p(node.args[1], bare=True), "ediv", False)
    return rf"{left} \oslash {right}"


def _base(p: Printed) -> str:
    return wrap(p, p.prec >= ATOM)


def _power(pr: _LatexPrinter, node: Node, bare: bool) -> str:
    base = _base(pr.p(node.args[0], bare=True))
    exponent = pr.p(node.args[1], bare=True).text
    if node.shape.is_scalar:
        return f"{base}^{{{exponent}}}"
    return rf"{base}^{{\circ {exponent}}}"


def _transpose(pr: _LatexPrinter, node: Node, bare: bool) -> str:
    child = node.args[0]
    if child.op == "inv":
        return _base(pr.p(child.args[0])) + r"^{-\top}"
    return _base(pr.p(child)) + r"^{\top}"


def _broadcast(pr: _LatexPrinter, node: Node, bare: bool) -> Printed:
    s = pr.p(node.args[0])
    if bare:
        return s
    first = wrap(s, s.prec > MUL or (s.prec == MUL and s.tag == "mul"))
    return Printed(f"{first} {_ones(pr, node)}", MUL, "broadcast")


def _expand(pr: _LatexPrinter, node: Node, bare: bool) -> Printed:
    r"""Bare where the parser expands it again, else ``b \mathbf{1}_{n}^{	op}`` (a
    column across n columns) or ``\mathbf{1}_{m} r`` (a row down m rows)."""
    v = pr.p(node.args[0])
    if bare:
        return v
    if node.args[0].shape.kind == "vector":
        assert node.shape.cols is not None
        first = wrap(v, v.prec > MUL or (v.prec == MUL and v.tag == "mul"))
        return Printed(rf"{first} \mathbf{{1}}_{{{_dim(node.shape.cols)}}}^{{\top}}", MUL,
                       "mul")
    assert node.shape.rows is not None
    return Printed(rf"\mathbf{{1}}_{{{_dim(node.shape.rows)}}} {wrap(v, v.prec > NEG)}",
                   MUL, "mul")


def _call(command: str) -> Row:
    return lambda pr, node, bare: command + paren(pr.p(node.args[0]).text)


def _around(left: str, right: str) -> Row:
    return lambda pr, node, bare: f"{left}{pr.p(node.args[0]).text}{right}"


ROWS: dict[str, Row] = {
    "var": lambda pr, node, bare: latex_name(node.attrs[0]),
    "differential": lambda pr, node, bare: r"\mathrm{d}" + latex_name(node.attrs[0]),
    "const": lambda pr, node, bare: number(node.attrs[0]),
    "fill": _fill,
    "eye": lambda pr, node, bare: f"I_{{{_dim(node.shape.dims[0])}}}" if node in pr.sized
    else "I",
    "add": _add,
    "mul": lambda pr, node, bare: pr.product(node),
    "hadamard": _hadamard,
    "ediv": _ediv,
    "power": _power,
    "matpow": lambda pr, node, bare: f"{_base(pr.p(node.args[0]))}^{{{node.attrs[0]}}}",
    "transpose": _transpose,
    "broadcast": _broadcast,
    "sum": _call(r"\operatorname{sum}"),
    "norm1": _around(r"\left\| ", r" \right\|_1"),
    "norm2": _around(r"\left\| ", r" \right\|_2"),
    "tr": _call(r"\operatorname{tr}"),
    "det": _call(r"\det"),
    "logdet": _call(r"\log\det"),
    "inv": lambda pr, node, bare: _base(pr.p(node.args[0])) + "^{-1}",
    "diagm": _call(r"\operatorname{diag}"),
    "diagv": _call(r"\operatorname{diag}"),
    **{f: _call("\\" + f) for f in _STANDARD_FUNCTIONS},
    "sqrt": _around(r"\sqrt{", "}"),
    "abs": _around(r"\left| ", r" \right|"),
    "sign": _call(r"\operatorname{sign}"),
    "relu": _call(r"\operatorname{relu}"),
    "step": _call(r"\operatorname{step}"),
    # sigmoid, softplus: the logistic sigma of Bishop, PRML eq. 4.59
    "sigmoid": _call(r"\sigma"),
    "softplus": _call(r"\operatorname{softplus}"),
    # implicit expansion
    "expand": _expand,
    # kron, vec, reshape, pinv, adj: A \otimes B (looser than a product, as the Cookbook
    # writes AC \otimes BD), \operatorname{vec}(X), X^{+} (the Cookbook's pseudo-inverse)
    "kron": lambda pr, node, bare: " \\otimes ".join(
        wrap(q, q.prec > ADD) for q in (pr.p(a) for a in node.args)),
    "vec": _call(r"\operatorname{vec}"),
    "reshape": lambda pr, node, bare: r"\operatorname{reshape}" + paren(
        f"{pr.p(node.args[0]).text}, {_dim(node.attrs[0])}, {_dim(node.attrs[1])}"),
    "pinv": lambda pr, node, bare: _base(pr.p(node.args[0])) + "^{+}",
    "adj": _call(r"\operatorname{adj}"),
}
"""``op -> row(printer, node, bare)``; one row per op in ``ir.ops.OPS``."""


def _by_dimension(command: str) -> Row:
    r"""reduce: ``\operatorname{softmax}\left(X, 2\right)`` (the dimension as in the text)."""
    def row(pr: _LatexPrinter, node: Node, bare: bool) -> str:
        dim = node.attrs[0]
        inner = pr.p(node.args[0]).text
        return command + paren(inner if dim == 0 else f"{inner}, {dim}")
    return row


def _sum(pr: _LatexPrinter, node: Node, bare: bool) -> str:
    r"""reduce: the size scalar ``sum(ones(n))`` prints as the size (``n``, ``rows(X)``)."""
    d = size_of(node)
    if d is not None:
        return _dim(d)
    return r"\operatorname{sum}" + paren(pr.p(node.args[0]).text)


ROWS.update({"logsumexp": _by_dimension(r"\operatorname{logsumexp}"),
             "softmax": _by_dimension(r"\operatorname{softmax}"), "sum": _sum})


_LatexPrinter.rows = ROWS
_LatexPrinter.precedence = PRECEDENCE
_LatexPrinter.number = number


def to_latex(node: Node) -> str:
    r"""``node`` in LaTeX, e.g. ``A^{\top} C^{\top} X B^{\top} + C A X B``."""
    return _LatexPrinter().render(node)
