r"""The MathML printer: presentation MathML in the LaTeX printer's notation.

Chromium renders MathML Core natively, so the web page needs no script or font to show
math.  The notation is the LaTeX printer's (The Matrix Cookbook's and the seeds'):
juxtaposed products (``U+2062`` invisible times; ``·`` before a number), ``A^⊤``,
``X^{-1}``, ``X^{-⊤}`` for ``inv(X)'``, ``⊙`` / ``⊘`` for ``.*`` / ``./``, ``x^{∘2}``
for an elementwise power, ``I`` for the identity, a bold ``1`` for ones, fractions
(``<mfrac>``) for scalar divisors and non-integer numbers, ``‖x‖₂``, ``|x|``, ``√x``,
``dX`` for a differential.  Minus signs are ``U+2212``.

Parentheses follow the LaTeX printer exactly (same precedence levels, same rules: a
superscript needs an atomic base), so the two printers agree on structure.  The
dispatch, the memo and the minus-sign logic are shared through
:class:`~matdiff.printing.common.PrinterBase`; index (Einstein) forms and Kronecker
forms reuse :mod:`.index`'s factor printer with a MathML style.

Every function returns a string of well-formed XML; :func:`to_mathml` and friends wrap
it in ``<math xmlns="http://www.w3.org/1998/Math/MathML">``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from fractions import Fraction
from html import escape

from ..ir.nodes import Node
from ..ir.numbers import integer_text
from ..ir.ops import ELEMENTWISE_FUNCTIONS
from ..ir.reductions import size_of
from ..ir.tensor import Index, KroneckerForm, Tensor
from ..shapes import Dim
from .common import ADD, ATOM, FRAC, MUL, NEG, SUP, Printed, TypesetPrinter
from .index import IndexHeader, _factor, _Printed, _split_coefficient, _Style, index_names
from .latex import _GREEK
from .sizes import size_parts

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
"""The precedence of what each op prints (the LaTeX printer's levels)."""

NAMESPACE = "http://www.w3.org/1998/Math/MathML"
MINUS = "\u2212"
TIMES = "\u2062"  # invisible times: juxtaposition, read aloud as a product
APPLY = "\u2061"  # function application: tr(X)

_GREEK_LETTERS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ",
    "varepsilon": "ε", "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι",
    "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ",
    "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "ϕ", "varphi": "φ", "chi": "χ",
    "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ",
    "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ",
    "Omega": "Ω",
}
assert set(_GREEK_LETTERS) == _GREEK, "one Greek table for LaTeX and MathML"
_NAME = re.compile(r"([A-Za-z]+)(?:_?([0-9]+)|_([A-Za-z0-9_]+))?")


# --- token helpers ----------------------------------------------------------------------

def mi(text: str, normal: bool = False) -> str:
    attr = ' mathvariant="normal"' if normal else ""
    return f"<mi{attr}>{escape(text)}</mi>"


def mo(text: str) -> str:
    return f"<mo>{escape(text)}</mo>"


def mn(text: str) -> str:
    return f"<mn>{escape(text)}</mn>"


def mrow(*parts: str) -> str:
    return "<mrow>" + "".join(parts) + "</mrow>"


def fence(text: str, stretchy: bool) -> str:
    return mo(text) if stretchy else f'<mo stretchy="false">{escape(text)}</mo>'


def paren(inner: str, left: str = "(", right: str = ")") -> str:
    """``(inner)``.  The fences stretch only around a fraction: MathML stretches them to
    the height of their contents, so nested parentheses around superscripts would
    otherwise grow at each level (``exp(y ⊙ (X w))`` printed with four sizes)."""
    stretchy = "<mfrac>" in inner
    return mrow(fence(left, stretchy), inner, fence(right, stretchy))


def msup(base: str, sup: str) -> str:
    return f"<msup>{base}{sup}</msup>"


def msub(base: str, sub: str) -> str:
    return f"<msub>{base}{sub}</msub>"


def mfrac(num: str, den: str) -> str:
    return f"<mfrac>{num}{den}</mfrac>"


def math(content: str, display: str = "block") -> str:
    """A complete ``<math>`` element around ``content``."""
    return f'<math xmlns="{NAMESPACE}" display="{display}">{content}</math>'


def mathml_name(name: str) -> str:
    """A variable name: ``x``, ``α``, ``W₁`` (``W1``, ``W_1``: a subscript), ``loss``
    (several letters print upright, as MathML does for multi-letter identifiers)."""
    m = _NAME.fullmatch(name)
    if m is None:
        return mi(name)
    stem, digits, word = m.groups()
    base = mi(_GREEK_LETTERS.get(stem, stem))
    if digits is not None:
        return msub(base, mn(digits))
    if word is not None:
        return msub(base, mathml_name(word))
    return base


def _starts_numeric(piece: str) -> bool:
    return piece.startswith(("<mn>", "<mfrac>"))


def juxtapose(pieces: Sequence[str]) -> str:
    """Factors side by side (invisible times); ``·`` before one that starts with a number."""
    out = pieces[0]
    for piece in pieces[1:]:
        out += mo("·" if _starts_numeric(piece) else TIMES) + piece
    return out


def _integer(n: int) -> str:
    """``12``, or ``1.5 × 10^20`` for a long one with trailing zeros."""
    mantissa, e, exponent = integer_text(n).partition("e")
    if not e:
        return mn(mantissa)
    power = msup(mn("10"), mn(exponent))
    return power if mantissa == "1" else mrow(mn(mantissa), mo("×"), power)


def number(v: Fraction) -> Printed:
    """``2``, ``−2``, ``1/3`` as a fraction, ``−1/2``."""
    a = abs(v)
    if a.denominator == 1:
        text, prec, tag = _integer(a.numerator), ATOM, "const"
    else:
        text, prec, tag = mfrac(_integer(a.numerator), _integer(a.denominator)), FRAC, "ratio"
    if v < 0:
        return Printed(mrow(mo(MINUS), text), NEG, "negnum")
    return Printed(text, prec, tag)


def _wrap(p: Printed, ok: bool) -> str:
    return p.text if ok else paren(p.text)


# --- the printer ------------------------------------------------------------------------

class _MathMLPrinter(TypesetPrinter):
    """The LaTeX printer's product logic with MathML tokens."""

    minus = mo(MINUS)

    @staticmethod
    def lead(n: int) -> str:
        return _integer(n)

    @staticmethod
    def group(*parts: str) -> str:
        return mrow(*parts)

    @staticmethod
    def paren(text: str) -> str:
        return paren(text)

    @staticmethod
    def juxtapose(pieces: Sequence[str]) -> str:
        return juxtapose(pieces)

    @staticmethod
    def fraction(numerator: str, denominator: str) -> str:
        return mfrac(numerator, denominator)


Row = Callable[[_MathMLPrinter, Node, bool], "str | Printed"]

_DOT = "\u22c5"
"""Between a number and the bold 1 of ones: side by side they read as one number (20 and
1 as "201"), so the product is written with a dot."""
_BOLD_ONE = '<mn mathvariant="bold">1</mn>'
_BOLD_ZERO = '<mn mathvariant="bold">0</mn>'
_TOP = mi("⊤", normal=True)


def _dim(d: Dim) -> str:
    if isinstance(d, str) and "*" in d:  # a product of sizes (kron, vec)
        return mrow(*_joined([_dim(int(f) if f.isdigit() else f) for f in d.split("*")],
                             mo("⋅")))
    parts = size_parts(d)
    if isinstance(parts, tuple):
        return mrow(mi(parts[0], normal=True), mo("("), mathml_name(parts[1]), mo(")"))
    return mn(parts) if parts[0].isdigit() else mathml_name(parts)


def _size(pr: _MathMLPrinter, node: Node, base: str) -> str:
    """``base`` with the size as a subscript where the context does not fix it
    (``𝟏ₙ``, ``𝟎_{m×n}``, ``I_n``)."""
    if node not in pr.sized:
        return base
    dims = [_dim(d) for d in (node.shape.dims[:1] if node.op == "eye" else node.shape.dims)]
    sub = dims[0] if len(dims) == 1 else mrow(dims[0], mo("×"), dims[1])
    return msub(base, sub)


def _ones(pr: _MathMLPrinter, node: Node, zero: bool = False) -> str:
    one = _size(pr, node, _BOLD_ZERO if zero else _BOLD_ONE)
    return msup(one, _TOP) if node.shape.kind == "row" else one


def _fill(pr: _MathMLPrinter, node: Node, bare: bool) -> str | Printed:
    v: Fraction = node.attrs[0]
    if bare:
        return number(v)
    kind = node.shape.kind
    if v in (0, 1):
        return Printed(_ones(pr, node, zero=v == 0), SUP if kind == "row" else ATOM, "fill")
    return Printed(mrow(number(v).text, mo(_DOT), _ones(pr, node)), MUL, "fill")


def _add(pr: _MathMLPrinter, node: Node, bare: bool) -> Printed:
    """``t1 + t2 − t3`` (common.print_sum's rule with MathML operators)."""
    parts = [pr.term(node.args[0]).text]
    for term in node.args[1:]:
        neg = pr.negated(term, bare=True)
        if neg is not None:
            parts += [mo(MINUS), _wrap(neg, neg.prec > ADD)]
        else:
            tp = pr.term(term)
            parts += [mo("+"), _wrap(tp, tp.prec > ADD)]
    return Printed(mrow(*parts), ADD, "add")


def _operand(p: Printed, op: str, first: bool) -> str:
    if first:
        return _wrap(p, p.prec > MUL or (p.prec == MUL and p.tag == op))
    return _wrap(p, p.prec > NEG)


def _hadamard(pr: _MathMLPrinter, node: Node, bare: bool) -> str:
    parts = [_operand(pr.p(a, a.op == "expand"), "hadamard", i == 0)
             for i, a in enumerate(node.args)]
    return mrow(mo("⊙").join(parts))


def _ediv(pr: _MathMLPrinter, node: Node, bare: bool) -> str:
    left = _operand(pr.p(node.args[0], bare=True), "ediv", True)
    right = _operand(pr.p(node.args[1], bare=True), "ediv", False)
    return mrow(left, mo("⊘"), right)


def _base(p: Printed) -> str:
    return _wrap(p, p.prec >= ATOM)


def _power(pr: _MathMLPrinter, node: Node, bare: bool) -> str:
    base = _base(pr.p(node.args[0], bare=True))
    exponent = pr.p(node.args[1], bare=True).text
    if node.shape.is_scalar:
        return msup(base, exponent)
    return msup(base, mrow(mo("∘"), exponent))


def _transpose(pr: _MathMLPrinter, node: Node, bare: bool) -> str:
    child = node.args[0]
    if child.op == "inv":
        return msup(_base(pr.p(child.args[0])), mrow(mo(MINUS), _TOP))
    return msup(_base(pr.p(child)), _TOP)


def _broadcast(pr: _MathMLPrinter, node: Node, bare: bool) -> Printed:
    s = pr.p(node.args[0])
    if bare:
        return s
    first = _wrap(s, s.prec > MUL or (s.prec == MUL and s.tag == "mul"))
    times = _DOT if node.args[0].op == "const" else TIMES
    return Printed(mrow(first, mo(times), _ones(pr, node)), MUL, "broadcast")


def _expand(pr: _MathMLPrinter, node: Node, bare: bool) -> Printed:
    """Bare where the parser expands it again, else ``b 𝟏ₙ^⊤`` (a column across n
    columns) or ``𝟏ₘ r`` (a row down m rows)."""
    v = pr.p(node.args[0])
    if bare:
        return v
    if node.args[0].shape.kind == "vector":
        assert node.shape.cols is not None
        first = _wrap(v, v.prec > MUL or (v.prec == MUL and v.tag == "mul"))
        ones = msup(msub(_BOLD_ONE, _dim(node.shape.cols)), _TOP)
        return Printed(mrow(first, mo(TIMES), ones), MUL, "mul")
    assert node.shape.rows is not None
    ones = msub(_BOLD_ONE, _dim(node.shape.rows))
    return Printed(mrow(ones, mo(TIMES), _wrap(v, v.prec > NEG)), MUL, "mul")


def _call(name: str) -> Row:
    """``name(arg)``: an upright name, function application, parentheses."""
    return lambda pr, node, bare: mrow(mi(name), mo(APPLY), paren(pr.p(node.args[0]).text))


def _around(left: str, right: str, sub: str | None = None) -> Row:
    def row(pr: _MathMLPrinter, node: Node, bare: bool) -> str:
        fenced = paren(pr.p(node.args[0]).text, left, right)
        return msub(fenced, mn(sub)) if sub is not None else fenced
    return row


ROWS: dict[str, Row] = {
    "var": lambda pr, node, bare: mathml_name(node.attrs[0]),
    "differential": lambda pr, node, bare: mrow(mi("d", normal=True),
                                                mathml_name(node.attrs[0])),
    "const": lambda pr, node, bare: number(node.attrs[0]),
    "fill": _fill,
    "eye": lambda pr, node, bare: _size(pr, node, mi("I")),
    "add": _add,
    "mul": lambda pr, node, bare: pr.product(node),
    "hadamard": _hadamard,
    "ediv": _ediv,
    "power": _power,
    "matpow": lambda pr, node, bare: msup(_base(pr.p(node.args[0])),
                                          number(Fraction(node.attrs[0])).text),
    "transpose": _transpose,
    "broadcast": _broadcast,
    "sum": _call("sum"),
    "norm1": _around("‖", "‖", "1"),
    "norm2": _around("‖", "‖", "2"),
    "tr": _call("tr"),
    "det": _call("det"),
    "logdet": lambda pr, node, bare: mrow(mi("log"), mo(APPLY), mi("det"), mo(APPLY),
                                          paren(pr.p(node.args[0]).text)),
    "inv": lambda pr, node, bare: msup(_base(pr.p(node.args[0])), mrow(mo(MINUS), mn("1"))),
    "diagm": _call("diag"),
    "diagv": _call("diag"),
    **{f: _call(f) for f in ELEMENTWISE_FUNCTIONS if f not in ("sqrt", "abs", "sigmoid")},
    "sqrt": lambda pr, node, bare: f"<msqrt>{pr.p(node.args[0]).text}</msqrt>",
    "abs": _around("|", "|"),
    # sigmoid, softplus: the logistic sigma as in the LaTeX form (softplus by name, above)
    "sigmoid": _call("σ"),
    # implicit expansion
    "expand": _expand,
    # kron, vec, reshape, pinv, adj (as the LaTeX printer: A ⊗ B, vec(X), X^+)
    "kron": lambda pr, node, bare: mrow(*_joined(
        [_wrap(q, q.prec > ADD) for q in (pr.p(a) for a in node.args)], mo("⊗"))),
    "vec": _call("vec"),
    "reshape": lambda pr, node, bare: mrow(mi("reshape"), mo(APPLY), paren(mrow(
        pr.p(node.args[0]).text, mo(","), _dim(node.attrs[0]), mo(","),
        _dim(node.attrs[1])))),
    "pinv": lambda pr, node, bare: msup(_base(pr.p(node.args[0])), mo("+")),
    "adj": _call("adj"),
}


def _joined(parts: list[str], sep: str) -> list[str]:
    out = [parts[0]]
    for q in parts[1:]:
        out += [sep, q]
    return out
"""``op -> row(printer, node, bare)``; one row per op in ``ir.ops.OPS``."""


def _by_dimension(name: str) -> Row:
    """reduce: ``softmax(X, 2)``: the name applied to the operand and the dimension."""
    def row(pr: _MathMLPrinter, node: Node, bare: bool) -> str:
        dim = node.attrs[0]
        inner = pr.p(node.args[0]).text
        body = inner if dim == 0 else inner + mo(",") + mn(str(dim))
        return mrow(mi(name), mo(APPLY), paren(body))
    return row


def _sum(pr: _MathMLPrinter, node: Node, bare: bool) -> str:
    """reduce: the size scalar ``sum(ones(n))`` is the size (``n``, ``rows(X)``)."""
    d = size_of(node)
    if d is not None:
        return _dim(d)
    return mrow(mi("sum"), mo(APPLY), paren(pr.p(node.args[0]).text))


ROWS.update({"logsumexp": _by_dimension("logsumexp"), "softmax": _by_dimension("softmax"),
             "sum": _sum})

_MathMLPrinter.rows = ROWS
_MathMLPrinter.precedence = PRECEDENCE
_MathMLPrinter.number = number


def mathml_fragment(node: Node) -> str:
    """``node`` as MathML content (no ``<math>`` element), one ``<mrow>`` or token."""
    return _MathMLPrinter().render(node)


def to_mathml(node: Node, display: str = "block") -> str:
    """``node`` as a ``<math>`` element, e.g. for ``A'*C'*X*B' + C*A*X*B``
    ``<msup><mi>A</mi><mi mathvariant="normal">⊤</mi></msup>...``."""
    return math(mathml_fragment(node), display)


def _where_row(definitions: Sequence[tuple[str, Node]]) -> str:
    """``where P = ..., s = ...``."""
    defs = [mrow(mathml_name(name), mo("="), mathml_fragment(node))
            for name, node in definitions]
    joined = [part for k, d in enumerate(defs) for part in ((mo(","), d) if k else (d,))]
    return mrow("<mtext>where</mtext>", '<mspace width="0.5em"/>', *joined)


def _stacked(first: str, definitions: Sequence[tuple[str, Node]]) -> str:
    """``first``, with the ``where`` list on a line of its own below it."""
    if not definitions:
        return first
    rows = "".join(f"<mtr><mtd>{r}</mtd></mtr>" for r in (first, _where_row(definitions)))
    return f'<mtable columnalign="left">{rows}</mtable>'


def where_mathml(main: Node, definitions: Sequence[tuple[str, Node]]) -> str:
    """``main``, then ``where P = ..., s = ...`` below it, as MathML content."""
    return _stacked(mathml_fragment(main), definitions)


def equation_mathml(function: Node, variables: Sequence[Node], result: Node,
                    display: str = "block",
                    definitions: Sequence[tuple[str, Node]] = ()) -> str:
    """``∂f/∂X = result`` (``∂²f/∂x∂x`` for a Hessian), as the page shows a derivative,
    followed by the ``where`` list of named parts."""
    order = len(variables)
    f = mathml_fragment(function)
    atomic = PRECEDENCE[function.op] == ATOM and not f.startswith(f"<mrow><mo>{MINUS}")
    top = f if atomic else paren(f)
    denominator = mrow(*(mrow(mo("∂"), mathml_fragment(v)) for v in variables))
    head = mfrac(mrow(_partial(order), top), denominator)
    return math(_stacked(mrow(head, mo("="), mathml_fragment(result)), definitions), display)


# --- index (Einstein) and Kronecker forms -----------------------------------------------

def _index_token(name: str) -> str:
    """An index name: ``i``, ``i₁`` (``i1``)."""
    head = name.rstrip("0123456789")
    return mi(name) if head == name else msub(mi(head), mn(name[len(head):]))


def _subscript(base: str, names: Sequence[str], leaf: bool) -> str:
    if not names:
        return base
    # a name that already has a subscript (W₁) is grouped first: {W₁}_{ik}
    return msub(mrow(base) if base.startswith("<msub>") else base,
                mrow(*(_index_token(n) for n in names)))


def _join(pieces: Sequence[str]) -> str:
    """One term's factors; a bare number (index.py's coefficient) becomes ``<mn>``."""
    return juxtapose([p if p.startswith("<") else mn(p) for p in pieces])


MATHML = _Style(
    expr=mathml_fragment, paren=paren, subscript=_subscript,
    delta=mi("δ"), ones=_BOLD_ONE, kron=mo("⊗"),
    fraction=lambda c: mfrac(mn(str(c.numerator)), mn(str(c.denominator))),
    join=_join,
    # as in LaTeX: a call reads as indexed (exp(X)_ik); X^{-1}, √X, |X| need parentheses
    calls=frozenset({"diagm", "diagv", *ELEMENTWISE_FUNCTIONS} - {"sqrt", "abs"}),
)


def _signed_sum(terms: Sequence[tuple[Fraction, list[str]]]) -> str:
    """``c1 f f + c2 f − ...``; ``0`` for no (non-zero) terms (index.py's rule)."""
    out: list[str] = []
    for c, pieces in terms:
        if c == 0:
            continue
        head = [MATHML.fraction(abs(c)) if abs(c).denominator != 1 else mn(str(abs(c)))
                ] if abs(c) != 1 or not pieces else []
        body = _join(head + pieces)
        if out or c < 0:
            out.append(mo(MINUS if c < 0 else "+"))
        out.append(body)
    return mrow(*out) if out else mn("0")


def _index_body(t: Tensor, names: dict[Index, str]) -> str:
    terms: list[tuple[Fraction, list[str]]] = []
    for term in t.terms:
        out = _Printed(term.coefficient, [], [])
        for f in term.factors:
            _factor(MATHML, f.node, tuple(names[i] for i in f.indices), out)
        carried = {i for f in term.factors for i in f.indices}
        missing = tuple(names[i] for i in t.indices if i not in carried)
        if missing:
            out.ones.append(_subscript(_BOLD_ONE, missing, True))
        terms.append((out.coefficient, out.pieces + out.ones))
    return _signed_sum(terms)


def _operand_of_header(node: Node) -> tuple[str, bool]:
    if node.op == "var":
        return mathml_fragment(node), True
    return paren(mathml_fragment(node)), False


def _partial(order: int) -> str:
    return mo("∂") if order == 1 else msup(mo("∂"), mn(str(order)))


def index_mathml(t: Tensor, lhs: IndexHeader | None = None, display: str = "block") -> str:
    """``t`` in index notation, as ``∂(A X B)_{ij} / ∂X_{kl} = A_{ik} B_{lj}`` with
    ``lhs`` (the same equation as :func:`~matdiff.printing.index.index_latex`)."""
    names = index_names(t)
    body = _index_body(t, names)
    if lhs is None:
        return math(body, display)
    parts = [tuple(names[i] for i in p) for p in lhs.split(t.indices)]
    f, bare = _operand_of_header(lhs.function)
    numerator = _subscript(f, parts[0], bare)
    order = len(lhs.variables)
    if order == 0:
        return math(mrow(numerator, mo("="), body), display)
    denominator = mrow(*(
        mrow(mo("∂"), _subscript(_operand_of_header(v)[0], p, True))
        for v, p in zip(lhs.variables, parts[1:], strict=True)))
    head = mfrac(mrow(_partial(order), numerator), denominator)
    return math(mrow(head, mo("="), body), display)


def _kron_operand(node: Node) -> str:
    text = mathml_fragment(node)
    loose = node.op in ("add", "mul", "hadamard", "ediv", "broadcast")
    return paren(text) if loose or text.startswith(f"<mrow><mo>{MINUS}") else text


def kronecker_mathml(k: KroneckerForm, function: Node, variable: Node,
                     display: str = "block") -> str:
    """``∂vec(A X B) / ∂vec(X)^⊤ = B^⊤ ⊗ A`` (Cookbook eq. 520)."""
    terms: list[tuple[Fraction, list[str]]] = []
    for term in k.terms:
        c1, left = _split_coefficient(term.left)
        c2, right = _split_coefficient(term.right)
        terms.append((term.coefficient * c1 * c2,
                      [mrow(_kron_operand(left), MATHML.kron, _kron_operand(right))]))
    vec = mi("vec")
    head = mfrac(mrow(mo("∂"), vec, mo(APPLY), paren(mathml_fragment(function))),
                 mrow(mo("∂"), vec, mo(APPLY), msup(paren(mathml_fragment(variable)), _TOP)))
    return math(mrow(head, mo("="), _signed_sum(terms)), display)


__all__ = ["MATHML", "NAMESPACE", "PRECEDENCE", "ROWS", "equation_mathml", "index_mathml",
           "kronecker_mathml", "mathml_fragment", "mathml_name", "to_mathml"]
