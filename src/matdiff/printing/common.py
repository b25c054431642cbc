"""What the printers share: the printed-fragment type, the dispatch, and the product logic
of the typeset printers (LaTeX, MathML).

Each printer turns a node into a :class:`Printed` fragment: its text, the precedence of
its outermost operator (from that printer's own table), and a tag naming the form
(usually the op; ``"negnum"`` for a negative literal such as ``-2`` or ``-0.5``,
``"ratio"`` for ``1/3``), so a parent can decide whether the fragment needs parentheses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import ClassVar, NamedTuple

from ..errors import LimitError
from ..ir.build import scaled_expansion, unexpanded
from ..ir.nodes import Node
from ..ir.products import split_factors
from .sizes import negated_broadcast, sized_constants


class Printed(NamedTuple):
    text: str
    prec: int
    tag: str


def wrap(p: Printed, ok: bool, left: str = "(", right: str = ")") -> str:
    """``p``'s text, in parentheses unless ``ok``."""
    return p.text if ok else f"{left}{p.text}{right}"


class PrinterBase:
    """Memoised dispatch on the op through a printer's ``ROWS`` and ``PRECEDENCE`` tables
    (the IR is a DAG: each node prints once), and the minus-sign logic both share.

    A subclass sets ``rows``, ``precedence`` and ``number`` and defines ``product``.
    """

    rows: ClassVar[Mapping[str, Callable[..., str | Printed]]]
    precedence: ClassVar[Mapping[str, int]]
    number: ClassVar[Callable[[Fraction], Printed]]

    def __init__(self) -> None:
        self.memo: dict[tuple[Node, bool], Printed] = {}
        self.sized: frozenset[Node] = frozenset()  # constants printed with their size

    def p(self, node: Node, bare: bool = False) -> Printed:
        """Print ``node``; ``bare``: a constant/broadcast scalar may print as a scalar
        and an expanded vector as the vector (unless it is one that must print its size
        or its expansion, :mod:`.sizes`)."""
        key = (node, bare and node.op in ("fill", "broadcast", "expand")
               and node not in self.sized)
        done = self.memo.get(key)
        if done is not None:
            return done
        out = self.rows[node.op](self, node, key[1])
        result = out if isinstance(out, Printed) else Printed(
            out, self.precedence[node.op], node.op)
        self.memo[key] = result
        return result

    def term(self, node: Node) -> Printed:
        """``node`` as a term of a sum: bare, and a scaled expansion ``s*expand(v)`` as
        the product ``s*v`` (``X + 2*b``; the parser expands it again)."""
        e = scaled_expansion(node)
        if e is not None and e not in self.sized:
            return self.p(unexpanded(node, e))
        return self.p(node, bare=True)

    def negated(self, node: Node, bare: bool) -> Printed | None:
        """``-node`` when ``node`` prints with a leading minus sign, else ``None``."""
        if node in self.sized:
            return self.negated_sized(node)
        if node.op == "const" or (node.op == "fill" and bare):
            v: Fraction = node.attrs[0]
            return type(self).number(-v) if v < 0 else None
        inner = negated_broadcast(node)
        if inner is not None and inner not in self.sized and bare:
            return self.p(inner.args[0])  # x - a, not x - a*vector(1)
        e = scaled_expansion(node) if bare else None
        if e is not None and e not in self.sized:  # X - 2*b
            return self.negated(unexpanded(node, e), bare=False)
        if node.op == "mul" and node.args[0].op == "const" and node.args[0].attrs[0] < 0:
            return self.product(node, negate=True)
        if node.op in ("broadcast", "expand") and bare:
            return self.negated(node.args[0], bare=False)
        return None

    def negated_sized(self, node: Node) -> Printed | None:
        """``-node`` for a constant printed with its size (``- ones(n)`` in a sum)."""
        return None

    def product(self, node: Node, negate: bool = False) -> Printed:
        raise NotImplementedError

    def render(self, node: Node) -> str:
        """``node`` printed whole; a :class:`LimitError` when too deep to print."""
        self.sized = sized_constants(node)
        try:
            for n in node.walk():  # children first, so the recursion below stays shallow
                self.p(n)
            return self.p(node).text
        except RecursionError:
            raise LimitError("the expression is too deeply nested to print") from None


def print_sum(pr: PrinterBase, node: Node, add_prec: int,
              wrap: Callable[[Printed, bool], str]) -> Printed:
    """``t1 + t2 - t3``: a term printing with a leading minus becomes a subtraction.
    Constants and broadcasts print bare (the parser broadcasts scalars in ``+``)."""
    text = pr.term(node.args[0]).text  # nothing binds looser than +
    for term in node.args[1:]:
        neg = pr.negated(term, bare=True)
        if neg is not None:
            text += " - " + wrap(neg, neg.prec > add_prec)
        else:
            tp = pr.term(term)
            text += " + " + wrap(tp, tp.prec > add_prec)
    return Printed(text, add_prec, "add")


# --- typeset printers (LaTeX, MathML): one product logic, the tokens per printer --------

ADD = 10  # a + b, a - b
MUL = 20  # a b (juxtaposition), a ⊙ b, a ⊘ b
NEG = 30  # -a
FRAC = 35  # a fraction: atomic to the eye, but not as the base of a superscript
SUP = 40  # a^b, A^T, X^-1
ATOM = 50  # names, calls, parenthesised


class TypesetPrinter(PrinterBase):
    """Products as textbooks typeset them: ``[-] c f1 f2 ...`` juxtaposed, or one
    fraction ``[-] (p s1 s2 M)/(q d1 d2)`` when there are scalar divisors (the whole
    product over the divisor, as the Cookbook writes ``(x - a)/‖x - a‖``), or
    ``(p/q) M1 M2`` for a fractional coefficient.  A subclass gives the tokens."""

    minus: ClassVar[str]

    @staticmethod
    def lead(n: int) -> str:
        """A leading (integer) number token."""
        raise NotImplementedError

    @staticmethod
    def group(*parts: str) -> str:
        """Pieces printed as one unit (LaTeX: concatenated; MathML: an ``<mrow>``)."""
        raise NotImplementedError

    @staticmethod
    def paren(text: str) -> str:
        raise NotImplementedError

    @staticmethod
    def juxtapose(pieces: Sequence[str]) -> str:
        raise NotImplementedError

    @staticmethod
    def fraction(numerator: str, denominator: str) -> str:
        raise NotImplementedError

    def factors(self, nodes: Sequence[Node], after_sign: bool, lead: Sequence[int] = ()
                ) -> list[Printed]:
        """Juxtaposed factors with the text printer's parenthesis rules."""
        out = [Printed(self.lead(t), ATOM, "const") for t in lead]
        for node in nodes:
            fp = self.p(node)
            if not out and not after_sign:
                ok = fp.prec > MUL or (fp.prec == MUL and fp.tag == "mul")
            else:
                ok = fp.prec > NEG
            out.append(fp if ok else Printed(self.paren(fp.text), ATOM, fp.tag))
        return out

    def braced(self, nodes: Sequence[Node], lead: Sequence[int]) -> str:
        """A fraction's numerator or denominator."""
        if not nodes and not lead:
            return self.lead(1)
        if len(nodes) + len(lead) == 1:
            return self.lead(lead[0]) if lead else self.p(nodes[0]).text
        return self.group(self.juxtapose([x.text for x in self.factors(nodes, True, lead)]))

    def product(self, node: Node, negate: bool = False) -> Printed:
        f = split_factors(node.args)
        coef = f.coefficient
        if coef is not None and negate:
            coef = -coef
        sign = self.minus if coef is not None and coef < 0 else ""
        absc = abs(coef) if coef is not None else None
        keep_coef = absc is not None and not (f.coefficient == -1 and f.numerator)
        if not f.divisors and (absc is None or absc.denominator == 1):
            # a literal 1 is kept by the text printer (it reads back); a textbook drops it
            lead = [absc.numerator] if keep_coef and absc is not None and not (
                absc == 1 and f.numerator) else []
            pieces = self.factors(f.numerator, bool(sign), lead)
            if len(pieces) == 1:
                single = pieces[0]
                return Printed(self.group(sign, single.text), NEG, "neg") if sign else single
            return Printed(self.group(sign, self.juxtapose([x.text for x in pieces])), MUL,
                           "mul")
        scalars = [x for x in f.numerator if x.shape.is_scalar]
        rest = [x for x in f.numerator if not x.shape.is_scalar]
        if f.divisors:  # the textbook's (x - a)/‖x - a‖: the whole product over the divisor
            scalars, rest = scalars + rest, []
        p_lead = [absc.numerator] if keep_coef and absc is not None and (
            absc.numerator != 1 or not scalars) else []
        den_lead = [absc.denominator] if absc is not None and absc.denominator != 1 else []
        frac = self.fraction(self.braced(scalars, p_lead), self.braced(f.divisors, den_lead))
        if not rest:
            if sign:
                return Printed(self.group(sign, frac), NEG, "neg")
            return Printed(frac, FRAC, "ratio")
        tail = self.factors(rest, True)
        return Printed(self.group(sign, self.juxtapose([frac] + [x.text for x in tail])), MUL,
                       "mul")
