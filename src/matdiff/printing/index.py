r"""Index (Einstein) notation for tensors of any order, and the Kronecker/vec form.

DESIGN.md: "Derivatives of order 3 or 4 are shown in index (Einstein) notation, and
also as Kronecker/vec when that is unambiguous".  A :class:`~matdiff.ir.tensor.Tensor`
is ``sum_t c_t prod_f F_f[idx_f]`` with every non-output index summed, so it prints
term by term, factor by factor:

* ``d(A*X*B)_ij / dX_kl = A_ik B_lj`` (LaTeX
  ``\frac{\partial (A X B)_{ij}}{\partial X_{kl}} = A_{ik} B_{lj}``);
* a variable leaf is ``A_ik``, a compound node ``(A*X)_ik`` (``\left(A X\right)_{ik}``;
  a function call needs no parentheses: ``inv(X)_ik``); a transpose is dropped by
  swapping its indices (``A'[i,k]`` is ``A_ki``); the identity is the Kronecker delta
  ``δ_ik`` (``\delta_{ik}``); an all-ones factor ``1_ik`` (``\mathbf{1}_{ik}``); a
  scalar factor has no subscript (``tr(X)``; ``(a + b)`` when it is a sum);
* numbers in front of a factor (``fill(c)``, a constant, a product ``2*A``) are folded
  into the term's coefficient, printed ``2 A_ik``, ``-A_ik``, ``1/2 A_ik``
  (``\frac{1}{2} A_{ik}``); terms are joined with ``+`` / ``-``; no terms is ``0``.

Index names (:func:`index_names`): the output indices ``i, j, k, l``, then ``m, n, o``
and on to ``z``, then ``i1, i2, ...``; summed indices ``p, q, r, s, t, u, v, w``, then
``a, b, c, ...`` (skipping any name an output index has).  One name per index object and
no name twice within one tensor, so an index that two terms share prints alike in both,
and a reader never has to know that dummy indices are scoped by term.

The Kronecker form prints ``d vec(F) / d vec(X)' = B' ⊗ A`` (Cookbook eq. 520's
``vec(A X B) = (B' ⊗ A) vec(X)``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..ir.nodes import Node, make
from ..ir.ops import ELEMENTWISE_FUNCTIONS, OPS
from ..ir.tensor import Index, KroneckerForm, Tensor
from .latex import paren, to_latex
from .text import to_text

__all__ = ["IndexHeader", "index_latex", "index_names", "index_text", "kronecker_latex",
           "kronecker_text"]


@dataclass(frozen=True)
class IndexHeader:
    """The left-hand side ``d^k F / dV1 ... dVk`` of a printed tensor.

    The output indices are split by rank: the first ``len(function.shape.dims)`` are
    the function's, then each variable's ``len(v.shape.dims)``, in order (mixed layout:
    ``F.shape + V1.shape + ...``).
    """

    function: Node
    variables: tuple[Node, ...]

    def split(self, indices: Sequence[Index]) -> list[tuple[Index, ...]]:
        """``indices`` cut into the function's and each variable's."""
        ranks = [len(self.function.shape.dims)] + [len(v.shape.dims) for v in self.variables]
        if sum(ranks) != len(indices):
            raise ValueError(f"the header has {sum(ranks)} axes but the tensor has "
                             f"{len(indices)} output indices")
        out, start = [], 0
        for r in ranks:
            out.append(tuple(indices[start:start + r]))
            start += r
        return out


# --- index names ----------------------------------------------------------------------

_OUTPUT_LETTERS = "ijklmnopqrstuvwxyz"
_SUMMED_LETTERS = "pqrstuvwabcdefghxyz"


def _output_names() -> Iterator[str]:
    yield from _OUTPUT_LETTERS
    for k in itertools.count(1):
        yield f"i{k}"


def _summed_names() -> Iterator[str]:
    yield from _SUMMED_LETTERS
    for k in itertools.count(1):
        for letter in _SUMMED_LETTERS:
            yield f"{letter}{k}"


def index_names(t: Tensor) -> dict[Index, str]:
    """A name for every index of ``t``: outputs ``i j k l m ...``, summed ``p q r ...``
    (then ``a b c ...``), in order of first appearance, none used twice."""
    names: dict[Index, str] = dict(zip(t.indices, _output_names(), strict=False))
    used = set(names.values())
    summed = (n for n in _summed_names() if n not in used)
    for term in t.terms:
        for i in term.indices():
            if i not in names:
                names[i] = next(summed)
    return names


# --- one style per output format ------------------------------------------------------

@dataclass(frozen=True)
class _Style:
    expr: Callable[[Node], str]  # to_text / to_latex
    paren: Callable[[str], str]
    subscript: Callable[[str, Sequence[str], bool], str]  # (base, names, base is a leaf)
    delta: str
    ones: str
    kron: str
    fraction: Callable[[Fraction], str]  # a positive non-integer coefficient
    join: Callable[[Sequence[str]], str]  # factors of one term
    calls: frozenset[str]  # ops that print as f(...) and need no parentheses for _ij


def _text_subscript(base: str, names: Sequence[str], leaf: bool) -> str:
    if not names:
        return base
    if all(len(n) == 1 for n in names):
        return f"{base}_{''.join(names)}"
    return f"{base}_{','.join(names)}"


def _latex_index(name: str) -> str:
    head = name.rstrip("0123456789")
    return name if head == name else f"{head}_{{{name[len(head):]}}}"


def _latex_subscript(base: str, names: Sequence[str], leaf: bool) -> str:
    if not names:
        return base
    if leaf and "_" in base:
        base = "{" + base + "}"  # W_{1} indexed: {W_{1}}_{ik}, not W_{1}_{ik}
    sep = "" if all(len(n) == 1 for n in names) else " "
    return f"{base}_{{{sep.join(_latex_index(n) for n in names)}}}"


def _latex_join(pieces: Sequence[str]) -> str:
    out = pieces[0]
    for piece in pieces[1:]:
        numeric = piece[:1].isdigit() or piece.startswith(r"\frac")
        out += (r" \cdot " if numeric else " ") + piece
    return out


TEXT = _Style(
    expr=to_text, paren=lambda s: f"({s})", subscript=_text_subscript,
    delta="δ", ones="1", kron="⊗",
    fraction=lambda c: f"{c.numerator}/{c.denominator}",
    join=" ".join,
    calls=frozenset(op for op, spec in OPS.items() if spec.surface is not None),
)

LATEX = _Style(
    expr=to_latex, paren=paren, subscript=_latex_subscript,
    delta=r"\delta", ones=r"\mathbf{1}", kron=r"\otimes",
    fraction=lambda c: rf"\frac{{{c.numerator}}}{{{c.denominator}}}",
    join=_latex_join,
    # \exp\left(X\right)_{ik} reads as indexing the call; X^{-1}, \sqrt{X}, |X| do not
    calls=frozenset({"diagm", "diagv", *ELEMENTWISE_FUNCTIONS} - {"sqrt", "abs"}),
)


def _split_coefficient(node: Node) -> tuple[Fraction, Node]:
    """``2*A`` -> ``(2, A)``: scaling commutes with indexing and with ``⊗``."""
    if node.op == "mul" and node.args[0].op == "const":
        rest = node.args[1:]
        return node.args[0].attrs[0], rest[0] if len(rest) == 1 else make("mul", rest)
    return Fraction(1), node


@dataclass
class _Printed:
    """One term's printed factors; all-ones factors go last (``3 z_i 1_j``, not
    ``3 1_j z_i``: they only say which indices the value does not depend on)."""

    coefficient: Fraction
    pieces: list[str]
    ones: list[str]


def _factor(style: _Style, node: Node, names: tuple[str, ...], out: _Printed) -> None:
    """Print ``node[names]`` into ``out`` (numbers in front join its coefficient)."""
    while node.op == "transpose":  # A'[i,k] = A[k,i]
        node, names = node.args[0], names[::-1]
    coefficient, node = _split_coefficient(node)
    out.coefficient *= coefficient
    if node.op in ("const", "fill"):
        value: Fraction = node.attrs[0]
        out.coefficient *= value
        if names:
            out.ones.append(style.subscript(style.ones, names, True))
    elif node.op == "broadcast":  # s used as a matrix: s 1_ik
        _factor(style, node.args[0], (), out)
        out.ones.append(style.subscript(style.ones, names, True))
    elif node.op == "expand":  # v_i 1_j (a column across the columns), 1_i r_j (a row)
        i, j = names
        keep, spread = ((i,), (j,)) if node.args[0].shape.kind == "vector" else ((j,), (i,))
        _factor(style, node.args[0], keep, out)
        out.ones.append(style.subscript(style.ones, spread, True))
    elif node.op == "eye":
        out.pieces.append(style.subscript(style.delta, names, True))
    elif not names:  # a scalar factor
        text = style.expr(node)
        loose = node.op == "add" or text.startswith("-")
        out.pieces.append(style.paren(text) if loose else text)
    elif node.is_leaf:
        out.pieces.append(style.subscript(style.expr(node), names, True))
    else:
        text = style.expr(node)
        if node.op not in style.calls:
            text = style.paren(text)
        out.pieces.append(style.subscript(text, names, False))


def _coefficient(style: _Style, c: Fraction) -> str:
    return str(c.numerator) if c.denominator == 1 else style.fraction(c)


def _signed_sum(style: _Style, terms: Sequence[tuple[Fraction, list[str]]]) -> str:
    """``c1 f f + c2 f - ...``; ``0`` for no (non-zero) terms."""
    out = ""
    for c, pieces in terms:
        if c == 0:
            continue
        head = [_coefficient(style, abs(c))] if abs(c) != 1 or not pieces else []
        body = style.join(head + pieces)
        if not out:
            out = "-" + body if c < 0 else body
        else:
            out += (" - " if c < 0 else " + ") + body
    return out or "0"


def _body(style: _Style, t: Tensor, names: dict[Index, str]) -> str:
    terms: list[tuple[Fraction, list[str]]] = []
    for term in t.terms:
        out = _Printed(term.coefficient, [], [])
        for f in term.factors:
            _factor(style, f.node, tuple(names[i] for i in f.indices), out)
        carried = {i for f in term.factors for i in f.indices}
        missing = tuple(names[i] for i in t.indices if i not in carried)
        if missing:  # an output index no factor carries: the value is constant along it
            out.ones.append(style.subscript(style.ones, missing, True))
        terms.append((out.coefficient, out.pieces + out.ones))
    return _signed_sum(style, terms)


# --- the left-hand side -----------------------------------------------------------------

def _operand(style: _Style, node: Node) -> tuple[str, bool]:
    """``node`` for a header, parenthesised unless a bare name; and whether it is one."""
    if node.op == "var":
        return style.expr(node), True
    return f"({style.expr(node)})", False


def _text_header(h: IndexHeader, parts: list[tuple[str, ...]]) -> str:
    order = len(h.variables)
    f, bare = _operand(TEXT, h.function)
    numerator = TEXT.subscript(f, parts[0], bare)
    if order == 0:
        return numerator
    d = "d" if order == 1 else f"d^{order}"
    numerator = d + (" " if bare and order > 1 else "") + numerator
    denominator = " ".join(
        "d" + TEXT.subscript(_operand(TEXT, v)[0], p, True)
        for v, p in zip(h.variables, parts[1:], strict=True))
    return f"{numerator} / {denominator}"


def _latex_header(h: IndexHeader, parts: list[tuple[str, ...]]) -> str:
    order = len(h.variables)
    f, bare = _operand(LATEX, h.function)
    numerator = LATEX.subscript(f, parts[0], bare)
    if order == 0:
        return numerator
    power = "" if order == 1 else (f"^{order}" if order < 10 else f"^{{{order}}}")
    denominator = " ".join(
        r"\partial " + LATEX.subscript(_operand(LATEX, v)[0], p, True)
        for v, p in zip(h.variables, parts[1:], strict=True))
    return rf"\frac{{\partial{power} {numerator}}}{{{denominator}}}"


def _print(style: _Style, header: Callable[[IndexHeader, list[tuple[str, ...]]], str],
           t: Tensor, lhs: IndexHeader | None) -> str:
    names = index_names(t)
    body = _body(style, t, names)
    if lhs is None:
        return body
    parts = [tuple(names[i] for i in p) for p in lhs.split(t.indices)]
    return f"{header(lhs, parts)} = {body}"


def index_text(t: Tensor, lhs: IndexHeader | None = None) -> str:
    """``t`` in index notation, e.g. ``A_ik B_lj``; with ``lhs`` an equation
    ``d(A*X*B)_ij / dX_kl = A_ik B_lj`` (``d^2 f / dx_i dx_j = ...`` at order 2)."""
    return _print(TEXT, _text_header, t, lhs)


def index_latex(t: Tensor, lhs: IndexHeader | None = None) -> str:
    r"""``t`` in index notation as LaTeX, e.g. ``A_{ik} B_{lj}``; with ``lhs``
    ``\frac{\partial^2 (x^{\top} A x)}{\partial x_{i} \partial x_{j}} = A_{ij} + A_{ji}``."""
    return _print(LATEX, _latex_header, t, lhs)


# --- Kronecker / vec --------------------------------------------------------------------

_KRON_LOOSE = frozenset({"add", "mul", "hadamard", "ediv", "broadcast", "expand"})


def _kron_operand(style: _Style, node: Node) -> str:
    text = style.expr(node)
    loose = node.op in _KRON_LOOSE or text.startswith("-")
    return style.paren(text) if loose else text


def _kron_body(style: _Style, k: KroneckerForm) -> str:
    terms: list[tuple[Fraction, list[str]]] = []
    for term in k.terms:
        c1, left = _split_coefficient(term.left)
        c2, right = _split_coefficient(term.right)
        kron = f"{_kron_operand(style, left)} {style.kron} {_kron_operand(style, right)}"
        c = term.coefficient * c1 * c2
        if style is TEXT and abs(c) != 1:  # 2*B' ⊗ A: reads back as input (⊗ is looser)
            kron, c = f"{_coefficient(style, abs(c))}*{kron}", Fraction(1 if c > 0 else -1)
        terms.append((c, [kron]))
    return _signed_sum(style, terms)


def kronecker_text(k: KroneckerForm, function: Node, variable: Node) -> str:
    """``d vec(A*X*B) / d vec(X)' = B' ⊗ A`` (``vec`` stacks columns)."""
    return (f"d vec({to_text(function)}) / d vec({to_text(variable)})' = "
            f"{_kron_body(TEXT, k)}")


def kronecker_latex(k: KroneckerForm, function: Node, variable: Node) -> str:
    r"""``\frac{\partial \operatorname{vec}(A X B)}{\partial \operatorname{vec}(X)^{\top}}
    = B^{\top} \otimes A``."""
    vec = r"\operatorname{vec}"
    return (rf"\frac{{\partial {vec}({to_latex(function)})}}"
            rf"{{\partial {vec}({to_latex(variable)})^{{\top}}}} = {_kron_body(LATEX, k)}")
