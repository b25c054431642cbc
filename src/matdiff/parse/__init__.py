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

from dataclasses import dataclass, field

from ..ir.domain import SourceMap
from ..ir.nodes import Node
from ..shapes import Shape
from .declarations import Declare, read_declarations
from .elaborate import FUNCTIONS, Elaborator
from .matrix_calls import settle_products
from .reader import MAX_DEPTH, MAX_LENGTH, read_expression

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "Parsed", "parse"]


@dataclass(frozen=True)
class Parsed:
    """The result of :func:`parse`.

    ``expr``: the IR; ``variables``: every variable of the expression (``var`` nodes) in
    order of first appearance; ``declared``: variables declared but not used (still
    typed, in declaration order); ``source``: the text; ``sources``: where each IR node
    was written (for errors at a column after parsing); ``notes``: readings a result
    must state (``X^T`` taken as the transpose).
    """

    expr: Node
    variables: dict[str, Node] = field(hash=False)
    declared: dict[str, Node] = field(hash=False)
    source: str
    sources: SourceMap = field(default_factory=SourceMap, hash=False, compare=False)
    notes: tuple[str, ...] = ()


def parse(text: str, declare: Declare = None, shape: Shape | None = None) -> Parsed:
    """Read ``text`` with the declarations ``declare``: a list of ``"NAME: TYPE PROPS"``
    strings (or one such string), or a mapping ``{"NAME": "TYPE PROPS"}``.

    ``shape``, if given, is the shape the whole expression must have: it fixes sizes the
    text leaves open (``vector(0)`` or ``2*eye`` written alone).  Printed results need
    none: they carry their sizes (``zeros(n)``, ``2*eye(n)``) and ``where`` lists."""
    if not isinstance(text, str):
        raise TypeError(f"parse() needs the expression as a str, got {type(text).__name__}")
    syntax = read_expression(text)
    declarations = read_declarations(declare, FUNCTIONS)
    elaborator = Elaborator(text, declarations)
    elaborator.prepare(syntax)
    plan = elaborator.infer(syntax)
    if shape is not None:
        elaborator.expect(plan, shape)
    settle_products(elaborator)
    expr = elaborator.build(plan)
    elaborator.check_constants(expr)
    variables = {name: elaborator.variable(name) for name in elaborator.used}
    return Parsed(expr, variables, elaborator.unused_declared(), text, elaborator.sources,
                  tuple(elaborator.notes))
