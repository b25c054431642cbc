"""L2: the input language (DESIGN.md "The input language") read into the IR.

>>> p = parse("x'*A*x", declare=["A: matrix(n, n)"])
>>> p.expr.shape.kind, p.variables["x"].shape
('scalar', Shape(rows='n', cols=None))

Three steps, one module each: :mod:`.reader` (grammar.lark with lark's LALR parser, the
length and depth limits, syntax errors in human words) -> :mod:`.syntax` (a small tree
of frozen dataclasses with a span on every node) -> :mod:`.elaborate` (shapes by
unification, then the IR built with :mod:`matdiff.ir.build`).  Declarations are read by
:mod:`.declarations`.  Every failure is a :class:`~matdiff.errors.MatdiffError` with a
span into the text (or into the declaration) and that text, so ``str(err)`` shows a caret.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import DeclarationError, ShapeError
from ..ir.domain import SourceMap
from ..ir.nodes import Node
from ..shapes import Shape
from ..spans import Span
from .declarations import Declaration, Declare, DeclKind, declare_hint, read_declarations
from .elaborate import FUNCTIONS, Elaborator, Plan
from .matrix_calls import settle_products
from .name_types import NameType, TypeWarning, Typing, Variables, infer, letter_sentence
from .reader import MAX_DEPTH, MAX_LENGTH, read_expression
from .syntax import Expr, Name
from .syntax_tools import walk

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "NameType", "Parsed", "TypeWarning", "Typing",
           "Variables", "parse", "typed_kinds"]


@dataclass(frozen=True)
class Parsed:
    """The result of :func:`parse`.

    ``expr``: the IR; ``variables``: every variable of the expression (``var`` nodes) in
    order of first appearance, with the type each was given and why
    (:class:`~.name_types.Variables`); ``declared``: variables declared but not used
    (still typed, in declaration order); ``source``: the text; ``sources``: where each IR
    node was written (for errors at a column after parsing); ``notes``: readings a result
    must state (``X^T`` taken as the transpose); ``typing``: the names' types and the
    warnings about ambiguous defaults (:mod:`.name_types`).
    """

    expr: Node
    variables: Variables = field(hash=False)
    declared: dict[str, Node] = field(hash=False)
    source: str
    sources: SourceMap = field(default_factory=SourceMap, hash=False, compare=False)
    notes: tuple[str, ...] = ()
    typing: Typing = field(default_factory=lambda: Typing({}, ()), hash=False,
                           compare=False)


def parse(text: str, declare: Declare = None, shape: Shape | None = None,
          strict: bool = False) -> Parsed:
    """Read ``text`` with the declarations ``declare``: a list of ``"NAME: TYPE PROPS"``
    strings (or one such string), or a mapping ``{"NAME": "TYPE PROPS"}``.

    ``shape``, if given, is the shape the whole expression must have: it fixes sizes the
    text leaves open (``vector(0)`` or ``2*eye`` written alone).  Printed results need
    none: they carry their sizes (``zeros(n)``, ``2*eye(n)``) and ``where`` lists.

    Undeclared names are typed by :func:`.name_types.infer` (the letter, unless the
    expression says otherwise); ``strict`` refuses those whose type the expression does
    not determine (a :class:`DeclarationError` listing them and their declarations)."""
    if not isinstance(text, str):
        raise TypeError(f"parse() needs the expression as a str, got {type(text).__name__}")
    syntax = read_expression(text)
    declarations = read_declarations(declare, FUNCTIONS)
    names = {e.name for e in walk(syntax) if isinstance(e, Name) and e.name not in FUNCTIONS}
    typing = infer(syntax, {d.name: d for d in declarations}, names, text)
    try:
        elaborator, plan = _elaborate(syntax, text, declarations, typing)
    except ShapeError as e:
        letters = typing.letters_only()
        if letters is None:
            raise _with_hint(e, typing) from None
        try:  # a promotion that does not fit (Y + b, a column added to a matrix)
            elaborator, plan = _elaborate(syntax, text, declarations, letters)
        except ShapeError:
            raise _with_hint(e, typing) from None
        typing = letters
    if strict:
        _refuse_undetermined(typing, elaborator.used, text)
    if shape is not None:
        elaborator.expect(plan, shape)
    settle_products(elaborator)
    expr = elaborator.build(plan)
    elaborator.check_constants(expr)
    variables = Variables({name: elaborator.variable(name) for name in elaborator.used},
                          typing.types, typing.warnings)
    return Parsed(expr, variables, elaborator.unused_declared(), text, elaborator.sources,
                  tuple(elaborator.notes), typing)


def _elaborate(syntax: Expr, text: str, declarations: list[Declaration],
               typing: Typing) -> tuple[Elaborator, Plan]:
    """Pass 1 of :mod:`.elaborate` with the names typed by ``typing``."""
    elaborator = Elaborator(text, declarations)
    elaborator.prepare(syntax, typing.kind)
    elaborator.type_hint = lambda span: typing.hint(span.start, span.end)
    return elaborator, elaborator.infer(syntax)


def typed_kinds(text: str, declare: Declare = None) -> Callable[[str], DeclKind | None]:
    """name -> the kind an undeclared name of ``text`` is given (its letter unless the
    text says otherwise, as :func:`parse` types it); for front ends that must agree with
    the parser before they parse (the kind a value at a point has to declare)."""
    syntax = read_expression(text)
    declarations = {d.name: d for d in read_declarations(declare, FUNCTIONS)}
    names = {e.name for e in walk(syntax) if isinstance(e, Name) and e.name not in FUNCTIONS}
    return infer(syntax, declarations, names, text).kind


def _with_hint(e: ShapeError, typing: Typing) -> ShapeError:
    """``e`` with the declarations that would remove it, when a letter default caused it
    (a message that already names a declaration is kept as it is)."""
    if e.span is None or "declare" in e.message:
        return e
    hint = typing.hint(e.span.start, e.span.end)
    return ShapeError(f"{e.message}; {hint}", e.span, e.source) if hint else e


def _refuse_undetermined(typing: Typing, used: dict[str, None], text: str) -> None:
    """``strict``: every undeclared variable's type must follow from the expression."""
    order = list(used)
    open_ = sorted((t for t in typing.undetermined() if t.name in used),
                   key=lambda t: order.index(t.name))
    if not open_:
        return
    listed = ", ".join(f"{t.name} ({letter_sentence(t.name)})" for t in open_[:10])
    if len(open_) > 10:
        listed += f" and {len(open_) - 10} more"
    first = open_[0].name
    start = next((m.span for m in walk_names(text, first)), Span(0, len(text)))
    raise DeclarationError(
        f"strict: the expression does not determine the type of {listed}; declare "
        f"{'it' if len(open_) == 1 else 'them'}: "
        f"{declare_hint([f'{t.name}: {t.kind}' for t in open_[:10]])}", start, text)


def walk_names(text: str, name: str) -> list[Name]:
    """The occurrences of ``name`` in ``text``, in order."""
    found = [e for e in walk(read_expression(text)) if isinstance(e, Name) and e.name == name]
    return sorted(found, key=lambda e: e.span.start)
