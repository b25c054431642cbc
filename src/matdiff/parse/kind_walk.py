"""The kind pass of :mod:`.name_types`: one walk over the syntax tree that computes each
subexpression's kind (scalar ``S``, column ``C``, row ``R``, matrix ``M``) for a typing of
the names, counts kind conflicts, and collects the evidence the rules of
:mod:`.name_types` read (transposed default scalars, terms of sums, last factors of
products) and the uses they warn about.

Kinds follow the brief's semantics: ``*`` scales when a side is a scalar and is otherwise
the matrix product (``C*R = M``, ``R*C = S``, ``M*C = C``, ``R*M = R``); in ``+ - .* ./
.^`` a scalar is broadcast and a column or a row with a matrix is expanded (MATLAB's
implicit expansion); a function's kind comes from the op table's shape rule
(:func:`~matdiff.ir.ops.apply_shape_rule` on a representative shape), so a new op needs no
row here.  A call this pass does not know (several operands) has an unknown kind: no
evidence passes through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from ..ir.ops import OPS, apply_shape_rule
from ..shapes import DimVar, Shape, ShapeMismatch, Unifier
from .syntax import Call, Chain, Expr, Name, Neg, Num, Power, Transpose, Where
from .syntax_tools import walk

K = Literal["S", "C", "R", "M"] | None
"""A kind: scalar, column vector, row vector, matrix; ``None`` unknown or ill formed."""

_SIZED = frozenset({"eye", "ones", "zeros"})
_SHORT = 40  # a use longer than this is described, not quoted


@cache
def _unary(op: str, k: K) -> K:
    """The kind of ``op(u)`` for an operand of kind ``k``, by the op table's shape rule
    on a representative shape (``None``: the rule refuses it)."""
    shape = {"S": Shape(None, None), "C": Shape(DimVar("r"), None),
             "R": Shape(None, DimVar("c")), "M": Shape(DimVar("r"), DimVar("c"))}[k or "S"]
    try:
        out = apply_shape_rule(op, [shape], (), Unifier().unify)
    except ShapeMismatch:
        return None
    return _kind_of(out)


def _kind_of(s: Shape) -> K:
    if s.rows is None:
        return "S" if s.cols is None else "R"
    return "C" if s.cols is None else "M"


_T: dict[K, K] = {"S": "S", "C": "R", "R": "C", "M": "M", None: None}
_MUL: dict[tuple[K, K], K] = {("C", "R"): "M", ("R", "C"): "S", ("R", "M"): "R",
                              ("M", "C"): "C", ("M", "M"): "M"}


def _mul(a: K, b: K) -> K:
    if a == "S":
        return b
    if b == "S":
        return a
    return _MUL.get((a, b))


def _elementwise(a: K, b: K) -> K:
    """``+ - .* ./ .^``: a scalar is broadcast; a column or a row with a matrix is
    expanded (MATLAB's implicit expansion); a column with a row is ill formed."""
    if a == "S" or a == b:
        return b
    if b == "S":
        return a
    if "M" in (a, b):
        return "M"
    return None


@dataclass(frozen=True)
class _Term:
    """What rules 2 and 3 may change in one term of a sum: the name, and the kind the
    term would have if the name were a vector."""

    name: str
    becomes: K


class Walker:
    """One pass over the syntax tree computing kinds for a typing ``kinds`` (``soft``:
    the default scalars not yet promoted), counting kind conflicts (``errors``) and
    collecting evidence (``candidates``), ambiguous uses and scale-only uses."""

    def __init__(self, text: str, kinds: Mapping[str, K], soft: set[str],
                 caret: bool = False):
        self.text = text
        self.caret = caret  # X^T is the transpose (syntax_tools.caret_transpose)
        self.kinds = dict(kinds)
        self.soft = soft
        self.errors = 0
        self.candidates: list[tuple[str, str]] = []
        self.independent: set[str] = set()  # candidates whose evidence no promotion moves
        self.ambiguous: list[tuple[str, str]] = []
        self.counts: dict[str, int] = {}
        self.scaled: dict[str, int] = {}  # name -> occurrences that only scale scalars
        self.occurrences: list[tuple[str, int]] = []
        self.bound: dict[str, K] = {}
        self.last_factor: dict[int, _Term] = {}  # id(product) -> its default-scalar end
        self.root: Expr | None = None

    def errors_with(self, change: Mapping[str, K]) -> int:
        """The number of kind conflicts with ``change`` applied to this typing."""
        assert self.root is not None
        w = Walker(self.text, {**self.kinds, **change}, set(), self.caret)
        w.kind(self.root)
        return w.errors

    def _src(self, e: Expr) -> str:
        """``e`` as written, without the parentheses around it."""
        src = self.text[e.span.start:e.span.end].strip()
        while src.startswith("(") and src.endswith(")") and _balanced(src[1:-1]):
            src = src[1:-1].strip()
        return src

    def _conflict(self, *operands: K) -> K:
        if all(k is not None for k in operands):
            self.errors += 1
        return None

    def kind(self, e: Expr) -> K:
        if self.root is None:
            self.root = e
            k, carried = self._kind(e)
            for name, scaled in carried:
                if scaled:
                    self.scaled[name] = self.scaled.get(name, 0) + 1
            return k
        return self._kind(e)[0]

    def _kind(self, e: Expr) -> tuple[K, tuple[tuple[str, bool], ...]]:
        """The kind of ``e`` and the occurrences of default non-scalars it carries only
        through scalings (with whether a scale factor other than a number was met)."""
        if isinstance(e, Num):
            return "S", ()
        if isinstance(e, Name):
            return self._name(e)
        if isinstance(e, Neg):
            return self._kind(e.operand)
        if isinstance(e, Transpose) or (
                self.caret and isinstance(e, Power) and not e.elementwise
                and isinstance(e.exponent, Name) and e.exponent.name == "T"):
            inner = e.operand if isinstance(e, Transpose) else e.base
            if isinstance(inner, Name) and inner.name in self.soft:
                self.candidates.append((inner.name, f"transposed: {self._src(e)}"))
            return _T[self._kind(inner)[0]], ()
        if isinstance(e, Power):
            return self._power(e)
        if isinstance(e, Call):
            return self._call(e)
        if isinstance(e, Where):
            for binding in e.bindings:
                self.bound[binding.name] = self._kind(binding.value)[0]
            return self._kind(e.main)
        if e.rest and e.rest[0].op in ("+", "-"):
            return self._sum(e)
        return self._product(e)

    def _name(self, e: Name) -> tuple[K, tuple[tuple[str, bool], ...]]:
        name = e.name
        if name in self.bound:
            return self.bound[name], ()
        if name == "eye":
            return "M", ()
        self.counts[name] = self.counts.get(name, 0) + 1
        self.occurrences.append((name, e.span.start))
        k = self.kinds.get(name)
        return k, ((name, False),) if k in ("C", "M") else ()

    def _power(self, e: Power) -> tuple[K, tuple[tuple[str, bool], ...]]:
        b, carried = self._kind(e.base)
        x = self._kind(e.exponent)[0]
        if e.elementwise:
            k = _elementwise(b, x)
            if k is None:
                return self._conflict(b, x), ()
            return k, carried if x == "S" else ()
        if x != "S" or b not in ("S", "M"):
            return self._conflict(b, x), ()
        return b, ()

    def _call(self, e: Call) -> tuple[K, tuple[tuple[str, bool], ...]]:
        name, args = e.name, e.args
        if name in _SIZED:  # sizes, not operands; len(mu) says mu is a vector
            for a in args:
                if (isinstance(a, Call) and a.name == "len" and len(a.args) == 1
                        and isinstance(a.args[0], Name) and a.args[0].name in self.soft):
                    self.candidates.append((a.args[0].name, f"its length is used: "
                                                            f"{self._src(a)}"))
            return ("M" if name == "eye" or len(args) == 2 else "C"), ()
        if name in ("vector", "matrix") and len(args) == 1:
            return ("C" if name == "vector" else "M"), ()
        inner = [self._kind(a) for a in args]
        if len(args) != 1:
            return None, ()  # a function of several operands: no evidence through it
        k, carried = inner[0]
        if k is None:
            return None, ()
        if name == "diag":
            made: K = "M" if k == "C" else "C" if k == "M" else self._conflict(k)
            return made, ()
        spec = OPS.get(name)
        if spec is None or spec.surface != name or spec.arity != 1:
            return None, ()
        out = _unary(name, k)
        if out is None:
            return self._conflict(k), ()
        return out, carried if spec.elementwise else ()

    def _product(self, e: Chain) -> tuple[K, tuple[tuple[str, bool], ...]]:
        factors = [e.first, *(s.operand for s in e.rest)]
        results = [self._kind(f) for f in factors]
        acc = results[0][0]
        prefix = acc
        for step, (k, _) in zip(e.rest, results[1:], strict=True):
            prefix = acc
            if step.op == "*":
                acc = _mul(acc, k) if acc is not None and k is not None else None
                if acc is None:
                    self._conflict(prefix, k)
            elif step.op == "/":
                acc = prefix if k == "S" else self._conflict(prefix, k)
            else:  # .* ./
                acc = _elementwise(prefix, k) if prefix is not None and k is not None else None
                if acc is None:
                    self._conflict(prefix, k)
        last = factors[-1]
        if (e.rest[-1].op == "*" and isinstance(last, Name) and last.name in self.soft
                and prefix in ("M", "R")):
            self.last_factor[id(e)] = _Term(last.name, "C" if prefix == "M" else "S")
            self.ambiguous.append((last.name, f"{self._src(e)} scales a "
                                   f"{'matrix' if prefix == 'M' else 'row'}"))
        non_scalar = [r for r in results if r[0] != "S"]
        if len(non_scalar) == 1 and acc is not None:
            # scaling a reduction (logdet(S), tr(X), y'*y): the name may be the number
            reduction = any(r[0] == "S" and self._reduces(f)
                            for f, r in zip(factors, results, strict=True))
            return acc, tuple((n, s or reduction) for n, s in non_scalar[0][1])
        return acc, ()

    def _sum(self, e: Chain) -> tuple[K, tuple[tuple[str, bool], ...]]:
        terms = [e.first, *(s.operand for s in e.rest)]
        results = [self._kind(t) for t in terms]
        kinds = [r[0] for r in results]
        acc = kinds[0]
        for k in kinds[1:]:
            joined = _elementwise(acc, k) if acc is not None and k is not None else None
            if joined is None:
                self._conflict(acc, k)
            acc = joined
        use = self._src(e)
        handles = [self._handle(t) for t in terms]
        # terms without default scalars keep their kinds whatever is promoted
        firm = [h is None and not any(isinstance(n, Name) and n.name in self.soft
                                      for n in walk(t)) for t, h in zip(terms, handles,
                                                                        strict=True)]
        for i, term in enumerate(handles):
            if term is None:
                continue
            others = [k for j, k in enumerate(kinds) if j != i and k is not None]
            if term.becomes == "C" and kinds[i] == "S":  # rule 2
                if ("C" in others or "M" in others) and "R" not in others:
                    self.candidates.append((term.name, self._used_as(use, others)))
                    if any(f and kinds[j] in ("C", "M") for j, f in enumerate(firm)):
                        self.independent.add(term.name)
                elif any(k != "S" for k in others):
                    self.ambiguous.append((term.name, f"it is broadcast in {use}"))
            elif term.becomes == "C" and kinds[i] == "M":  # rule 3, a column is needed
                if "C" in others and not {"M", "R"} & set(others):
                    self.candidates.append((term.name, self._used_as(use, others)))
                    if any(f and kinds[j] == "C" for j, f in enumerate(firm)):
                        self.independent.add(term.name)
            elif (term.becomes == "S" and kinds[i] == "R"  # rule 3, a scalar is needed
                  and others and all(k == "S" for k in others)):
                self.candidates.append((term.name, self._used_as(use, others)))
        non_scalar = [r for r in results if r[0] != "S"]
        if len(non_scalar) == 1 and acc is not None:
            return acc, non_scalar[0][1]
        return acc, ()

    def _reduces(self, e: Expr) -> bool:
        """Whether the scalar ``e`` is computed from vectors or matrices."""
        return any(isinstance(n, Name) and self.kinds.get(n.name) in ("C", "M")
                   for n in walk(e))

    def _used_as(self, use: str, others: Sequence[K]) -> str:
        if len(use) <= _SHORT:
            return f"used as {use}"
        return f"added to a {'matrix' if 'M' in others else 'vector'}"

    def _handle(self, t: Expr) -> _Term | None:
        """The default scalar rules 2 and 3 may make a vector in the term ``t``."""
        while isinstance(t, Neg):
            t = t.operand
        if isinstance(t, Name):
            return _Term(t.name, "C") if t.name in self.soft else None
        if not isinstance(t, Chain) or t.rest[0].op in ("+", "-"):
            return None
        if id(t) in self.last_factor:
            return self.last_factor[id(t)]
        # a default scalar scaled by numbers: 2*mu, mu/2, -0.5*mu
        factors = [t.first, *(s.operand for s in t.rest)]
        ops = ["*", *(s.op for s in t.rest)]
        names = [(f, op) for f, op in zip(factors, ops, strict=True) if _number(f) is None]
        if (len(names) == 1 and isinstance(names[0][0], Name) and names[0][1] == "*"
                and names[0][0].name in self.soft and all(op in ("*", "/") for op in ops)):
            return _Term(names[0][0].name, "C")
        return None


def _balanced(s: str) -> bool:
    depth = 0
    for c in s:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


def _number(e: Expr) -> object | None:
    while isinstance(e, Neg):
        e = e.operand
    return e.value if isinstance(e, Num) else None
