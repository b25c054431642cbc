"""The type of each undeclared name: its letter, unless the expression says otherwise.

matrixcalculus.org's letter defaults stay (:func:`.declarations.default_kind`: ``a``..``g``
and Greek names scalars, ``h``..``z`` vectors, capitals matrices), but a default *scalar*
becomes a vector where the expression gives evidence that it is one -- one rule, applied
here and nowhere else, on kinds only (scalar, column, row, matrix; the dimensions are
unified later by :mod:`.elaborate`):

1. it is transposed: ``a'*x``, ``a'*A*a`` (a scalar's transpose is itself: nobody writes
   it), or its length is a size: ``ones(len(mu))`` (as printed results write it);
2. it is a term of a sum whose other terms are vectors or matrices, alone or scaled by
   numbers: ``x - mu``, ``A*x + b``, ``W*X + b`` (with implicit expansion, a column
   repeated across the columns).  A *declared* scalar or a number there is broadcast, as
   written;
3. it is the last factor of a product whose other factors make a matrix or a row, and
   that product is a term of a sum that needs a column (``y - X*beta``) or a scalar
   (``y'*X*beta - sum(...)``).

A promotion is kept only if it does not make any other use of the name ill-formed (the
number of kind conflicts does not grow).  Rule 1 does not depend on the other names'
kinds, so all its names are promoted at once, and so are those of rules 2 and 3 whose
evidence is a term without default scalars (``x`` in ``x - mu``); the others are
promoted one at a time (in the order of the text), the kinds computed again after each
(in ``x'*A*x + b'*x + c``, ``c`` stays a scalar once ``b`` is a vector), until nothing
changes -- at most 8 trials, whatever the size of the text (names left undecided then
keep their letters, with a warning).  Default vectors and matrices are
never demoted: a name whose type is still decided by its letter alone, where its use
leaves the kind open, gets a :class:`TypeWarning` that says how to declare it --

* a default vector or matrix used only to scale a scalar computed from vectors or
  matrices, which makes the result a vector or a matrix (``n`` in ``n/2*logdet(S)``,
  ``x*tr(X)``; not ``exp(c*x)``, where a scalar scales the vector);
* a default scalar broadcast into a sum of vectors where rule 2 cannot make it a vector
  (``x' - c``), or the last factor of ``X*beta`` outside any sum that decides it.

A shape error caused by a letter default gets a hint that names the declaration that
would remove it (:meth:`Typing.hint`); ``strict`` refuses undeclared names whose kind the
expression does not determine (:meth:`Typing.undetermined`: another kind would also be
well formed, and no rule above decided it).  How a declaration is written in a hint
depends on the front end (:func:`.declarations.declare_hint`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..ir.nodes import Node
from .declarations import GREEK, Declaration, DeclKind, declare_hint, default_kind
from .kind_walk import K, Walker
from .syntax import Expr
from .syntax_tools import caret_transpose

_DECL: dict[str, DeclKind] = {"S": "scalar", "C": "vector", "M": "matrix"}
_OF: dict[DeclKind, K] = {"scalar": "S", "vector": "C", "matrix": "M"}


def letter_reason(name: str) -> str:
    """Why the letter gives ``name`` its default kind (``"h-z"``, ``"Greek name"``)."""
    if name in GREEK:
        return "Greek name"
    first = name[:1]
    if "a" <= first <= "g":
        return "a-g"
    if "h" <= first <= "z":
        return "h-z"
    return "capital letter"


def letter_sentence(name: str) -> str:
    kinds = {"Greek name": "Greek names are scalars", "a-g": "a-g names are scalars",
             "h-z": "h-z names are vectors", "capital letter": "capital names are matrices"}
    return f"{kinds[letter_reason(name)]} by default"


@dataclass(frozen=True)
class NameType:
    """The type a variable was given and why.

    ``reason``: ``"declared"``, the letter (``"capital letter"``, ``"h-z"``, ``"a-g"``,
    ``"Greek name"``), or the evidence (``"used as x - mu; Greek names are scalars by
    default"``).  ``by_letter``: nothing but the letter decided it."""

    name: str
    kind: DeclKind
    reason: str
    declared: bool = False
    by_letter: bool = True

    def describe(self) -> str:
        """``"mu vector (used as x - mu; Greek names are scalars by default)"``."""
        return f"{self.name} {self.kind} ({self.reason})"


@dataclass(frozen=True)
class TypeWarning:
    """A default type the expression leaves ambiguous: what was assumed, and the
    declaration that would say otherwise (``"n: scalar"``)."""

    name: str
    message: str
    declaration: str

    def __str__(self) -> str:
        what = self.declaration.partition(": ")[2]
        return (f"{self.message}; if {self.name} is a {what}, declare it: "
                f"{declare_hint([self.declaration])}")


@dataclass
class Typing:
    """The types of an expression's names (:func:`infer`)."""

    types: dict[str, NameType]
    warnings: tuple[TypeWarning, ...]
    _walk: Walker | None = field(default=None, repr=False)

    def kind(self, name: str) -> DeclKind | None:
        t = self.types.get(name)
        return t.kind if t is not None else default_kind(name)

    def letters_only(self) -> Typing | None:
        """This typing with every promotion undone (each gets a warning), for when the
        promoted typing does not elaborate (``Y + b`` where a column cannot be added to
        a matrix); ``None`` if nothing was promoted."""
        undone = [t for t in self.types.values() if not t.declared and not t.by_letter]
        if not undone or self._walk is None:
            return None
        types = dict(self.types)
        warnings = list(self.warnings)
        for t in undone:
            kind = default_kind(t.name)
            assert kind is not None
            types[t.name] = NameType(t.name, kind, letter_reason(t.name))
            use = t.reason.partition("; ")[0]
            warnings.append(TypeWarning(
                t.name, f"{t.name} is a {kind} only by its letter ({letter_sentence(t.name)}):"
                        f" it is {use}, but as a vector it does not fit the expression",
                f"{t.name}: vector"))
        kinds = {n: _OF[t.kind] for n, t in types.items()}
        w = Walker(self._walk.text, kinds, set(), self._walk.caret)
        assert self._walk.root is not None
        w.kind(self._walk.root)
        return Typing(types, tuple(warnings), w)

    def undeclared(self) -> list[NameType]:
        return [t for t in self.types.values() if not t.declared]

    def undetermined(self) -> list[NameType]:
        """Undeclared names whose kind only the letter decided and that another kind
        would also make well formed (``strict`` refuses them).  Each name costs two
        passes: beyond :data:`_MAX_STRICT_NAMES` letter-typed names, all are listed."""
        w = self._walk
        lettered = [t for t in self.undeclared() if t.by_letter]
        if w is None or w.errors_with({}) > 0:  # ill formed anyway: the shape error says why
            return []
        if len(lettered) > _MAX_STRICT_NAMES:
            return lettered
        return [t for t in lettered
                if any(w.errors_with({t.name: alt}) == 0
                       for alt in ("S", "C", "M") if alt != _OF[t.kind])]

    def hint(self, start: int, end: int) -> str:
        """For a shape error between ``start`` and ``end``: the declarations of letter-
        typed names that would remove conflicts, or ``""``."""
        w = self._walk
        if w is None:
            return ""
        base = w.errors_with({})
        near = {n for n, s in w.occurrences if start <= s < end}
        helpful: list[tuple[str, K, bool]] = []
        tried = 0
        # the names at the error first, then the others (a bounded number of passes)
        for t in sorted(self.undeclared(), key=lambda t: t.name not in near):
            if not t.by_letter:
                continue
            tried += 1
            if tried > _MAX_HINT_NAMES:
                break
            for alt in _ALTERNATIVES[_OF[t.kind]]:
                n = w.errors_with({t.name: alt})
                if n < base:
                    helpful.append((t.name, alt, n == 0))
                    break
        if not any(name in near for name, _, _ in helpful):
            return ""
        helpful = helpful[:4]
        decls = [f"{name}: {_DECL[alt]}" for name, alt, _ in helpful if alt is not None]
        names = [name for name, _, _ in helpful]
        letters = "; ".join(sorted({letter_sentence(n) for n in names}))
        alone = [h for h in helpful if h[2]]
        if len(helpful) > 1 and len(alone) == len(helpful):  # any one of them would do
            return (f"{' and '.join(names)} have their types from their letters ({letters}); "
                    f"if one of them is meant otherwise, declare it, e.g. "
                    f"{declare_hint(decls[:1])}")
        if len(names) == 1:
            kind = _DECL[helpful[0][1] or "S"]
            return (f"{names[0]} has its type from its letter ({letters}); if {names[0]} is a "
                    f"{kind}, declare it: {declare_hint(decls)}")
        kinds = {_DECL[h[1] or "S"] for h in helpful}
        what = f"{kinds.pop()}s" if len(kinds) == 1 else "meant otherwise"
        return (f"{' and '.join(names)} have their types from their letters ({letters}); "
                f"if they are {what}, declare them: {declare_hint(decls)}")


_DIRECT = ("transposed", "its length")  # the reasons of rule 1
_MAX_TRIALS = 8  # passes spent deciding promotions (a pass is linear in the text)
_MAX_STRICT_NAMES = 40  # names strict checks one by one
_MAX_HINT_NAMES = 12  # names tried for a hint: each costs a pass over the expression
_ALTERNATIVES: dict[K, tuple[K, ...]] = {"S": ("C", "M"), "C": ("S", "M"), "M": ("S",),
                                        "R": (), None: ()}


def infer(expr: Expr, declarations: Mapping[str, Declaration], names: set[str],
          text: str) -> Typing:
    """The type of every name of ``names`` (the plain names of ``expr``) and of every
    declared one, by the rules of this module."""
    kinds: dict[str, K] = {}
    types: dict[str, NameType] = {}
    soft: set[str] = set()
    for name in sorted(names | set(declarations)):
        d = declarations.get(name)
        if d is not None:
            kinds[name] = _OF[d.kind]
            types[name] = NameType(name, d.kind, "declared", declared=True, by_letter=False)
        elif (kind := default_kind(name)) is not None:
            kinds[name] = _OF[kind]
            types[name] = NameType(name, kind, letter_reason(name))
            if kind == "scalar":
                soft.add(name)
    rejected: dict[str, str] = {}  # name -> the use a vector would not fit

    def promote(name: str, reason: str) -> None:
        kinds[name] = "C"
        soft.discard(name)
        types[name] = NameType(name, "vector", f"{reason}; {letter_sentence(name)}",
                               by_letter=False)

    undecided: dict[str, str] = {}  # left to the letter when the budget ran out
    trials = 0
    while True:
        w = Walker(text, kinds, soft, caret_transpose(expr, declarations))
        w.kind(expr)
        base = w.errors
        found: dict[str, str] = {}  # the first reason of each name, in text order
        for name, reason in w.candidates:
            if name in soft and name not in rejected and name not in undecided:
                found.setdefault(name, reason)
        if not found:
            break
        if trials >= _MAX_TRIALS:  # each trial is a pass: bounded, whatever the input
            undecided.update(found)
            break
        # Rule 1 does not depend on other names' kinds: all its names at once, when they
        # fit together; then those of rules 2 and 3 whose evidence is a term without
        # default scalars.  The others depend on other names (in x'*A*x + b'*x + c, c is
        # a scalar once b is a vector): one name at a time, the kinds computed again.
        trials += 1
        direct = {n: r for n, r in found.items() if r.startswith(_DIRECT)}
        if not direct:  # evidence from terms no promotion can change (x - mu: x is firm)
            direct = {n: r for n, r in found.items() if n in w.independent}
        if direct and w.errors_with(dict.fromkeys(direct, "C")) <= base:
            for name, reason in direct.items():
                promote(name, reason)
            continue
        for name in found:
            if trials >= _MAX_TRIALS:
                break
            trials += 1
            if w.errors_with({name: "C"}) <= base:
                promote(name, found[name])
                break
            rejected[name] = found[name]
    return Typing(types, tuple(_warnings(w, types, rejected, undecided)), w)


def _warnings(w: Walker, types: Mapping[str, NameType], rejected: Mapping[str, str],
              undecided: Mapping[str, str]) -> list[TypeWarning]:
    out: dict[str, TypeWarning] = {}
    for name, use in rejected.items():
        out[name] = TypeWarning(
            name, f"{name} is a scalar only by its letter ({letter_sentence(name)}): it is "
                  f"{use}, but as a vector it would not fit its other uses", f"{name}: vector")
    for name, use in undecided.items():
        out[name] = TypeWarning(
            name, f"{name} is a scalar only by its letter ({letter_sentence(name)}); it is "
                  f"{use}, which suggests a vector, but the expression has too many such "
                  f"names to decide each", f"{name}: vector")
    for name, use in w.ambiguous:
        if name in out or not types[name].by_letter:
            continue
        out[name] = TypeWarning(
            name, f"{name} is a scalar only by its letter ({letter_sentence(name)}), so "
                  f"{use}", f"{name}: vector")
    for name, count in w.scaled.items():
        t = types[name]
        if name in out or not t.by_letter or count != w.counts.get(name):
            continue
        out[name] = TypeWarning(
            name, f"{name} is a {t.kind} only by its letter ({letter_sentence(name)}) and is "
                  f"used only as a scale factor, which makes the result a {t.kind}",
            f"{name}: scalar")
    return list(out.values())


class Variables(dict[str, Node]):
    """A result's variables: name -> the variable's node (its shape, its properties), as
    before, and :attr:`types`: name -> :class:`NameType` (the kind given and why) and
    :attr:`warnings` (default types the expression leaves ambiguous)."""

    types: dict[str, NameType]
    warnings: tuple[TypeWarning, ...]

    def __init__(self, nodes: Mapping[str, Node], types: Mapping[str, NameType],
                 warnings: tuple[TypeWarning, ...] = ()):
        super().__init__(nodes)
        self.types = {n: types[n] for n in nodes if n in types}
        self.warnings = warnings

    def describe(self) -> str:
        """``"X matrix (capital letter), mu vector (used as x - mu; ...)"``: each
        undeclared variable's type and why ("" when every one is declared)."""
        return ", ".join(t.describe() for t in self.types.values() if not t.declared)

    def declarations(self) -> list[str]:
        """``"mu: vector"`` for each undeclared variable: with these added to its own
        declarations, a printed result reads back with the types this one gave (the
        text of ``diag(1 ./ (e.^2 + 1))`` alone would make ``e`` a scalar again)."""
        return [f"{t.name}: {t.kind}" for t in self.types.values() if not t.declared]

    def to_json(self) -> list[dict[str, object]]:
        """Each variable's name, kind, reason and whether it was declared."""
        return [{"name": t.name, "kind": t.kind, "reason": t.reason, "declared": t.declared}
                for t in self.types.values()]
