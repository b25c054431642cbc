"""Random well-typed expressions in matdiff's input language, for hypothesis (not a test
module; used by ``test_properties.py`` and ``test_random_expressions.py``).

Expressions are generated as *text*, so every example also exercises the parser, and a
failure is reported as a line a user can paste: ``derivative("...", [...], declare=[...])``.

Coverage: every op of :data:`matdiff.ir.ops.OPS` the surface language can write --
``+ - * / ^ .* ./ .^ '``, unary minus, numbers, ``sum norm1 norm2 tr det logdet inv``,
``diag`` of a vector and of a matrix, ``eye``, ``vector(c)``, ``matrix(c)``, scalars
broadcast (``x + a``), integer matrix powers ``X^k`` and every elementwise function of
:data:`~matdiff.ir.ops.ELEMENTWISE_FUNCTIONS` (``tests/test_properties.py`` asserts this).

Issue 15's classes (``extended=True``): traces of ``diag`` and of
``eye``-masked matrices (``tr(diag(D*x))*y``, ``tr(g*(h*h'*R.*eye))``,
``norm2(S.*diag(T*z))``), a Greek scalar ``sigma`` broadcast into matrices, constant
subexpressions (``log(2)*x``, ``x/norm1(3)``; ``constants=False`` leaves them out) and,
with ``absent=True``, a declared variable the expression does not use, to differentiate
by.  One example in four puts such a form at the top (:meth:`ExpressionBuilder.focused`),
where Jacobians and second derivatives differentiate it in index form.

Issue 13's language (``issue13=True``, or :data:`ISSUE13_LANGUAGE` for every strategy):
``sigmoid``, ``softplus``, ``logsumexp`` (all entries, and by dimension 1 or 2),
``softmax`` of a vector or a row and of a matrix by dimension, ``sum``/``mean`` by
dimension and ``mean`` of all entries, ``kron``, ``vec``, ``pinv`` and ``adj`` (of
well-conditioned square matrices), the aliases ``trace`` and ``X.'``, and MATLAB's
implicit expansion of a column or a row beside a matrix in ``+ - .* ./``
(``tests/expression_issue13.py``).  Reductions by a dimension are drawn on
matrices only.

Shapes: two symbolic dimensions ``n`` and ``m`` (each bound, per example, to its own name
or to a fixed size 2 or 3, so square and rectangular products, ``x'*y`` and ``x*z'`` all
occur) and results of every kind (scalar, vector, matrix); row vectors occur inside.

Domain care, so that every drawn function is defined *and smooth* at the points
:func:`matdiff.testing.sample_point` draws (finite differences across a kink or a pole
would fail a correct derivative):

* ``log``, ``sqrt``, ``^0.5``, ``./``, ``/`` and non-integer powers take a :meth:`positive`
  argument (``1 + e.^2``, ``exp(e)``, ``cosh(e)``, a ``positive``-declared variable, ...);
* ``arcsin`` / ``arccos`` / ``tan`` take a :meth:`unit` argument, in ``[-1/2, 1/2]``
  (``tanh(e)/2``, ``e ./ (1 + e.^2)``) -- away from the branch points and from tan's poles;
* ``abs``, ``sign``, ``relu``, ``step``, ``norm1`` take an argument bounded away from 0
  (:meth:`away_from_zero`: ``2 + tanh(e)``, ``-(positive)``, ...), ``norm2`` a nonzero one;
* ``inv``, ``det``, ``logdet`` and negative matrix powers take a :meth:`well_conditioned`
  square matrix with positive determinant (``k*eye + E*E'``, an ``spd`` variable, or a
  square variable directly under the op, which ``sample_point`` draws near the identity);
* ``exp``, ``sinh``, ``cosh``, ``sin``, ``cos`` and variable exponents take a
  :meth:`shallow` argument (one operation deep, no exponential inside): values stay far
  from overflow, and the function does not vary faster than finite differences with a
  step of 1e-3 can follow (``sin(norm2(P)^2*P'*P)``, ``exp(3.^S)`` and ``cos(p.^p)`` did).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from expression_issue13 import Issue13Forms
from hypothesis import assume
from hypothesis import strategies as st

from matdiff.parse import parse

T = TypeVar("T")

ISSUE13_LANGUAGE = True
"""Whether the strategies draw issue 13's language (sigmoid, softmax, logsumexp, sum and
mean by a dimension, kron, vec, pinv, adj, trace, ``.'``, implicit expansion).  matdiff
reads it only once issue 13's branches are merged: set this to True at the merge (then
``test_properties.py``, ``test_random_expressions.py`` and ``scripts/campaign`` draw it
too).  ``issue13=True`` on a strategy turns it on for that strategy alone."""
Slot = str | None
"""One slot of a shape: the dimension ``"n"`` or ``"m"``, or ``None`` (no axis)."""
Kind = tuple[Slot, Slot]
"""(rows, cols) as in :class:`matdiff.shapes.Shape`: scalar ``(None, None)``, vector
``(d, None)``, row vector ``(None, d)``, matrix ``(r, c)``."""

SCALAR: Kind = (None, None)
VEC_N: Kind = ("n", None)
VEC_M: Kind = ("m", None)
MAT_NN: Kind = ("n", "n")
MAT_MN: Kind = ("m", "n")
MAT_MM: Kind = ("m", "m")
RESULT_KINDS: tuple[Kind, ...] = (SCALAR, SCALAR, VEC_N, VEC_M, MAT_NN, MAT_MN)
"""Result kinds of the whole expression (scalars twice: the commonest case in practice)."""

NUMBERS = ("2", "3", "0.5", "1.5", "(-1)", "(-2)", "0.25")
POSITIVE_NUMBERS = ("2", "3", "0.5", "1.5")
CONSTANT_SCALARS = ("log(2)", "tanh(4)", "norm2(2)", "norm1(3)", "sqrt(2)", "exp(0.5)",
                    "abs(-2)", "sum(3)", "tr(2)", "cos(1)", "arctan(1)", "(2^3)",
                    "sign(-2)", "relu(2)", "(-log(3))")
"""Constant subexpressions: every backend must fold or compute them."""
POSITIVE_CONSTANTS = ("log(2)", "norm2(2)", "norm1(3)", "sqrt(2)", "exp(0.5)",
                      "cosh(1)", "tanh(4)")


@dataclass(frozen=True)
class Variable:
    name: str
    kind: Kind
    props: str = ""

    def declaration(self, binding: dict[str, str]) -> str:
        """``"A: matrix(n, 2) spd"`` with the example's binding of ``n`` and ``m``."""
        rows, cols = self.kind
        if rows is None and cols is None:
            text = f"{self.name}: scalar"
        elif cols is None:
            assert rows is not None
            text = f"{self.name}: vector({binding[rows]})"
        else:
            assert rows is not None
            text = f"{self.name}: matrix({binding[rows]}, {binding[cols]})"
        return f"{text} {self.props}".rstrip()


VARIABLES: tuple[Variable, ...] = (
    Variable("a", SCALAR), Variable("b", SCALAR), Variable("c", SCALAR, "positive"),
    Variable("x", VEC_N), Variable("y", VEC_N), Variable("p", VEC_N, "positive"),
    Variable("z", VEC_M),
    Variable("A", MAT_NN), Variable("X", MAT_NN), Variable("S", MAT_NN, "spd"),
    Variable("Y", MAT_NN, "symmetric"), Variable("D", MAT_NN, "diagonal"),
    Variable("B", MAT_MN), Variable("P", MAT_MN, "positive"),
    Variable("sigma", SCALAR),
)
BY_NAME = {v.name: v for v in VARIABLES}
# General variables come first and twice: sampled_from shrinks towards the front, and
# repeated variables make second derivatives' cross terms more frequent.
_LEAVES: dict[Kind, tuple[str, ...]] = {
    SCALAR: ("a", "b", "a", "c", "sigma"),
    VEC_N: ("x", "y", "x", "p"),
    VEC_M: ("z",),
    MAT_NN: ("A", "X", "A", "S", "Y", "D"),
    MAT_MN: ("B", "P", "B"),
}
_POSITIVE_LEAVES: dict[Kind, tuple[str, ...]] = {SCALAR: ("c",), VEC_N: ("p",),
                                                  MAT_MN: ("P",)}
# Square variables safe directly under inv/det/logdet/^-1: sample_point draws a square
# variable that appears under those ops as I + 0.3*Z/sqrt(n) (det > 0, well-conditioned),
# and an spd one as Z*Z'/n + I.
_CONDITIONED_LEAVES = ("S", "X", "A")


def transposed(kind: Kind) -> Kind:
    return (kind[1], kind[0])


def is_scalar(kind: Kind) -> bool:
    return kind == SCALAR


@dataclass(frozen=True)
class Case:
    """One drawn derivative: ``matdiff.derivative(expr, list(wrt), declare=list(declare))``;
    ``seed`` seeds the finite-difference check's random points."""

    expr: str
    declare: tuple[str, ...]
    wrt: tuple[str, ...]
    kind: Kind
    seed: int

    def __str__(self) -> str:
        return (f"derivative({self.expr!r}, {list(self.wrt)!r}, "
                f"declare={list(self.declare)!r})  # check seed {self.seed}")


class ExpressionBuilder(Issue13Forms):
    """Draws one expression (text) of a requested kind; records the variables it uses."""

    def __init__(self, draw: st.DrawFn, extended: bool = False, constants: bool = True,
                 issue13: bool | None = None):
        self._draw = draw
        self.issue13 = ISSUE13_LANGUAGE if issue13 is None else issue13
        """Also draw issue 13's language (:meth:`issue13_options`)."""
        self.extended = extended
        """Also draw the classes of issue 15 (:meth:`extended_options`)."""
        self.constants = constants
        """Among those, constant subexpressions (``log(2)*x``)."""
        self.used: set[str] = set()
        self.tame = False
        """Inside the argument of exp, sinh, cosh, sin, cos or of an exponent: no
        exponential growth below (see :meth:`shallow`)."""

    # --- drawing helpers ------------------------------------------------------------

    def pick(self, options: Sequence[T]) -> T:
        return self._draw(st.sampled_from(options))

    def one_of(self, *options: Callable[[], str]) -> str:
        """Draw one production and build it (only the chosen one draws further)."""
        return self.pick(options)()

    def variable(self, name: str) -> str:
        self.used.add(name)
        return name

    def number(self) -> str:
        return self.pick(NUMBERS)

    def fill(self, kind: Kind) -> str:
        """``vector(c)`` / ``matrix(c)`` (a row: ``vector(c)'``); its size comes from the
        expression it is combined with."""
        c = self.pick(("1", "2", "0.5", "-1.5"))
        if kind[1] is None:
            return f"vector({c})"
        return f"vector({c})'" if kind[0] is None else f"matrix({c})"

    # --- leaves -----------------------------------------------------------------------

    def leaf(self, kind: Kind) -> str:
        if kind == SCALAR:
            return self.one_of(lambda: self.variable(self.pick(_LEAVES[SCALAR])),
                               lambda: self.variable(self.pick(_LEAVES[SCALAR])),
                               self.number)
        if kind in _LEAVES:
            return self.variable(self.pick(_LEAVES[kind]))
        if transposed(kind) in _LEAVES:
            return self.variable(self.pick(_LEAVES[transposed(kind)])) + "'"
        # (m, m): no variable has this shape; a product of two stands for one.  In a
        # shallow argument it is bounded (tanh), as a variable's entries are: products
        # of such leaves there stay of degree 2 (sin((z*z') .* (z*z')) is too steep).
        product = self.one_of(
            lambda: f"({self.variable('z')}*z')",
            lambda: "({0}*{0}')".format(self.variable(self.pick(("B", "P")))),
            lambda: f"({self.variable('P')}*{self.variable('B')}')",
        )
        return f"tanh{product}" if self.tame else product

    # --- general expressions ----------------------------------------------------------

    def expr(self, kind: Kind, depth: int) -> str:
        """Any real-valued expression of ``kind`` (defined everywhere it is drawn)."""
        if depth <= 0:
            return self.leaf(kind)
        d = depth - 1
        g: Callable[[Kind], str] = lambda k: self.expr(k, d)  # noqa: E731
        options: list[Callable[[], str]] = [
            lambda: self.leaf(kind),
            lambda: f"({g(kind)} + {g(kind)})",
            lambda: f"({g(kind)} - {g(kind)})",
            lambda: f"(-{g(kind)})",
            lambda: f"({self.one_of(self.number, lambda: g(SCALAR))}*{g(kind)})",
            lambda: f"({g(kind)}/{self.positive(SCALAR, d)})",
            lambda: self.product(kind, d),
            lambda: self.product(kind, d),
            lambda: self.smooth(kind, d),
            lambda: f"{self.pick(('log', 'sqrt'))}({self.positive(kind, d)})",
            lambda: f"{self.pick(('arcsin', 'arccos', 'tan'))}({self.unit(kind, d)})",
            lambda: (f"{self.pick(('abs', 'sign', 'relu', 'step'))}"
                     f"({self.away_from_zero(kind, d)})"),
            lambda: self.power(kind, d),
        ]
        if not is_scalar(kind):
            options += [
                lambda: f"{g(transposed(kind))}'",
                lambda: f"({g(kind)} .* {g(kind)})",
                lambda: f"({g(kind)} ./ {self.positive(kind, d)})",
                lambda: f"({g(SCALAR)} ./ {self.positive(kind, d)})",
                lambda: f"({g(kind)} + {self.fill(kind)})",
                lambda: f"({self.fill(kind)} .* {g(kind)})",
                lambda: f"({g(kind)} + {g(SCALAR)})",
                lambda: f"({g(SCALAR)} - {g(kind)})",
            ]
        if kind == SCALAR:
            options += [
                lambda: f"sum({g(self.any_kind())})",
                lambda: f"norm1({self.away_from_zero(self.any_kind(), d)})",
                lambda: f"norm2({self.nonzero(self.any_kind(), d)})",
                lambda: f"(norm2({g(self.any_kind())})^2)",
                lambda: f"tr({g(self.pick((MAT_NN, MAT_NN, SCALAR)))})",
                lambda: f"{self.pick(('det', 'logdet'))}({self.well_conditioned(d)})",
            ]
        if kind == VEC_N:
            options.append(lambda: f"diag({g(MAT_NN)})")
        if self.extended:
            options += self.extended_options(kind, d)
        if self.issue13:
            options += self.issue13_options(kind, d)
        if kind == MAT_NN:
            options += [
                lambda: f"diag({g(VEC_N)})",
                lambda: f"inv({self.well_conditioned(d)})",
                lambda: f"({g(kind)}^{self.pick(('2', '3'))})",
                lambda: f"({self.well_conditioned(d)}^{self.pick(('-1', '-2'))})",
                lambda: f"({g(kind)} + eye)",
                lambda: f"({self.number()}*eye - {g(kind)})",
            ]
        return self.pick(options)()

    def extended_options(self, kind: Kind, d: int) -> list[Callable[[], str]]:
        """Forms that once gave wrong numbers or crashes (issue 15): traces of ``diag``
        and ``eye``-masked matrices (a spurious ``tr(eye)`` factor in Jacobians and
        mixed derivatives), constant subexpressions (``log(2)*x``, ``tanh(4)/sum(W)``,
        ``norm2(2)``, which the torch backend failed on) and, through ``sigma``, a Greek
        scalar broadcast into matrices (``v'*(sigma - H + (2 + H))*k``)."""
        g: Callable[[Kind], str] = lambda k: self.expr(k, d)  # noqa: E731
        options: list[Callable[[], str]] = []
        if self.constants:
            options += [
                lambda: f"({self.pick(CONSTANT_SCALARS)}*{g(kind)})",
                lambda: f"({g(kind)}/{self.pick(POSITIVE_CONSTANTS)})",
            ]
        if kind == SCALAR:
            options += [
                lambda: f"tr(diag({g(VEC_N)}))",
                lambda: f"(tr(diag({g(VEC_N)}))*{g(SCALAR)})",
                lambda: f"tr({self.pick(('arctan', 'tanh', 'sin'))}(diag({g(VEC_N)})))",
                lambda: (f"norm2({self.nonzero(MAT_NN, d)} .* "
                         f"diag({self.nonzero(VEC_N, d)}))"),
                lambda: f"tr({g(SCALAR)}*({g(MAT_NN)} .* eye))",
                lambda: f"sum(diag({g(MAT_NN)} .* eye))",
            ]
        if kind == MAT_NN:
            options += [
                lambda: f"({g(kind)} .* eye)",
                lambda: f"diag(diag({g(kind)}))",
                lambda: f"(tr(diag({g(VEC_N)}))*{g(kind)})",
            ]
        if kind == VEC_N:
            options += [
                lambda: f"(diag({g(VEC_N)})*{g(VEC_N)})",
                lambda: f"(tr(diag({g(VEC_N)}))*{g(kind)})",
            ]
        return options

    def focused(self, kind: Kind, depth: int) -> str:
        """An expression of ``kind`` built around one of the issue-15 forms at the top,
        where Jacobians and second derivatives reach it (nested deep inside a random
        expression it is rarely differentiated in index form)."""
        d = max(depth - 1, 1)
        g: Callable[[Kind], str] = lambda k: self.expr(k, d)  # noqa: E731
        # Drawn only where used: a drawn form records its variables as used.
        scalar: Callable[[], str] = lambda: self.one_of(  # noqa: E731
            lambda: f"tr(diag({g(VEC_N)}))",
            lambda: f"tr({self.pick(('arctan', 'tanh', 'sin'))}(diag({g(VEC_N)})))",
            lambda: (f"norm2({self.nonzero(MAT_NN, d)} .* "
                     f"diag({self.nonzero(VEC_N, d)}))"),
            lambda: f"tr({g(SCALAR)}*({g(MAT_NN)} .* eye))",
            lambda: f"sum(diag({g(MAT_NN)} .* eye))",
            lambda: f"tr(diag({g(VEC_N)} ./ {self.positive(SCALAR, d)}))",
        )
        if kind == SCALAR:
            return self.one_of(scalar, lambda: f"({scalar()}*{g(SCALAR)})",
                               lambda: f"({scalar()} + {g(SCALAR)})")
        if kind == MAT_NN:
            options: list[Callable[[], str]] = [
                lambda: f"({scalar()}*{g(kind)})",
                lambda: f"({g(kind)} .* eye)",
                lambda: f"(({g(SCALAR)} - {g(kind)}) + ({self.number()} + {g(kind)}))",
            ]
            return self.pick(options)()
        return self.one_of(
            lambda: f"({scalar()}*{g(kind)})",
            lambda: f"({g(kind)} + {scalar()})",
            lambda: f"(({g(SCALAR)} - {g(kind)}) + ({self.number()} + {g(kind)}))",
        )

    def any_kind(self) -> Kind:
        return self.pick((VEC_N, MAT_NN, SCALAR, VEC_M, MAT_MN, (None, "n")))

    def product(self, kind: Kind, d: int) -> str:
        """A matrix product through a random inner dimension (an inner ``None`` makes an
        outer product, or a scaling)."""
        inner = self.pick((None, "n", "m"))
        return f"({self.expr((kind[0], inner), d)}*{self.expr((inner, kind[1]), d)})"

    def shallow(self, kind: Kind, d: int) -> str:
        """An argument for exp, sinh, cosh, sin, cos, or a variable exponent: at most one
        operation deep, without exponential growth inside.  Their derivatives grow with
        the argument's: exp(exp(exp(x'*A*x))) overflows, and sin(norm2(P)^2*P'*P),
        exp(3.^S) or sin(P.^P) vary too fast for finite differences (step 1e-3 of the
        entries) to follow -- a correct derivative would fail the check."""
        saved, self.tame = self.tame, True
        try:
            return self.expr(kind, min(d, 1))
        finally:
            self.tame = saved

    def smooth(self, kind: Kind, d: int) -> str:
        """Functions defined and smooth everywhere; only the saturating ones (tanh,
        arctan, sigmoid) take an argument of any depth."""
        growing = () if self.tame else ("exp", "sinh", "cosh")
        fn = self.pick(("sin", "cos", "tanh", "arctan", "sigmoid", "softplus", *growing))
        saturating = ("tanh", "arctan", "sigmoid")
        arg = self.expr(kind, d) if fn in saturating else self.shallow(kind, d)
        return f"{fn}({arg})"

    def power(self, kind: Kind, d: int) -> str:
        """``^`` of scalars, ``.^`` otherwise: integer powers of anything, other powers of
        positive bases, a constant base to a variable power.  Parenthesised, so that the
        result can be transposed or raised to a power again."""
        op = "^" if is_scalar(kind) else ".^"
        g: Callable[[], str] = lambda: self.expr(kind, d)  # noqa: E731
        pos: Callable[[], str] = lambda: self.positive(kind, d)  # noqa: E731
        # A variable exponent stays small (a leaf, or bounded by tanh/sin): b^e grows
        # like exp(e*log(b)), and cos(p.^p) or 1.5^sum(exp(2*X)) vary too fast for
        # finite differences of their gradients to resolve.
        small: Callable[[Kind], str] = lambda k: self.one_of(  # noqa: E731
            lambda: self.leaf(k), lambda: self.unit(k, d))
        options: list[Callable[[], str]] = [
            lambda: f"({g()}{op}{self.pick(('2', '3'))})",
            lambda: f"({pos()}{op}{self.pick(('0.5', '-1', '1.5'))})",
        ]
        if not self.tame:
            options += [
                lambda: f"({pos()}{op}{small(self.pick((kind, SCALAR)))})",
                lambda: f"({self.pick(POSITIVE_NUMBERS)}{op}{self.shallow(kind, d)})",
            ]
        return self.pick(options)()

    # --- expressions with a restricted range (domain care) ----------------------------

    def positive(self, kind: Kind, depth: int) -> str:
        """An expression whose entries are all > 0 at every point."""
        if kind[0] is None and kind[1] is not None:  # a row: the transpose of a column
            return f"{self.positive(transposed(kind), depth)}'"
        d = depth - 1
        plain = self.pick(POSITIVE_NUMBERS) if is_scalar(kind) else None
        leaf_options = [*(_POSITIVE_LEAVES.get(kind, ())), *([plain] if plain else [])]
        if depth <= 0:
            if leaf_options:
                name = self.pick(leaf_options)
                return self.variable(name) if name in BY_NAME else name
            # Not exp(leaf): a positive leaf may sit in a shallow argument (cos(norm2(.)))
            # where exp(S)'s entries, up to e^5, would make it oscillate too fast.
            return f"(1 + {self.leaf(kind)}.^2)"
        sq = "^2" if is_scalar(kind) else ".^2"
        options: list[Callable[[], str]] = [
            lambda: self.positive(kind, 0),
            lambda: f"(1 + {self.expr(kind, d)}{sq})",
            lambda: f"({self.positive(kind, d)} + {self.positive(kind, d)})",
            lambda: f"({self.positive(kind, d)} .* {self.positive(kind, d)})",
            lambda: f"({self.positive(kind, d)} ./ {self.positive(kind, d)})",
            lambda: f"sqrt({self.positive(kind, d)})",
            lambda: f"({self.positive(kind, d)}{'^' if is_scalar(kind) else '.^'}0.5)",
            lambda: f"{self.pick(('abs', 'relu'))}({self.positive(kind, d)})",
            lambda: f"({self.pick(POSITIVE_NUMBERS)}*{self.positive(kind, d)})",
        ]
        if not self.tame:
            options += [lambda: f"exp({self.shallow(kind, d)})",
                        lambda: f"cosh({self.shallow(kind, d)})"]
        if self.issue13:
            options += self.issue13_positive(kind, d)
        if is_scalar(kind):
            options += [
                lambda: f"det({self.well_conditioned(d)})",
                lambda: f"sum({self.positive(self.pick((VEC_N, MAT_MN)), d)})",
                lambda: f"(1 + norm2({self.expr(self.any_kind(), d)})^2)",
            ]
        return self.pick(options)()

    def nonzero(self, kind: Kind, depth: int) -> str:
        """Not the zero vector/matrix (norm2 has a kink there): a random vector or matrix
        variable, or a positive expression (``x - x`` would be zero; a scalar variable
        falls within a step 1e-3 of zero at one point in a thousand)."""
        if is_scalar(kind):
            return self.positive(kind, depth)
        return self.one_of(lambda: self.leaf(kind), lambda: self.positive(kind, depth))

    def unit(self, kind: Kind, depth: int) -> str:
        """Entries in [-1/2, 1/2]: inside arcsin/arccos's domain and away from tan's poles."""
        d = max(depth - 1, 0)
        div = "/" if is_scalar(kind) else "./"
        sq = "^2" if is_scalar(kind) else ".^2"
        g: Callable[[], str] = lambda: self.expr(kind, d)  # noqa: E731
        shallow: Callable[[], str] = lambda: self.shallow(kind, d)  # noqa: E731
        return self.one_of(
            lambda: f"(tanh({g()})/2)",
            lambda: f"(sin({shallow()})/2)",
            lambda: f"(0.5*cos({shallow()}))",
            lambda: "({0} {1} (1 + {0}{2}))".format(g(), div, sq),
        )

    def away_from_zero(self, kind: Kind, depth: int) -> str:
        """Entries bounded away from 0 (abs, sign, relu, step and norm1 have kinks there)."""
        d = max(depth - 1, 0)
        return self.one_of(
            lambda: self.positive(kind, d),
            lambda: f"(-{self.positive(kind, d)})",
            lambda: f"(2 + tanh({self.expr(kind, d)}))",
            lambda: f"(tanh({self.expr(kind, d)}) - 2)",
            lambda: f"(1.5 + cos({self.shallow(kind, d)}))",
        )

    def well_conditioned(self, depth: int) -> str:
        """A square (n, n) matrix with positive determinant and a moderate condition
        number: safe under inv, det, logdet and negative matrix powers."""
        d = depth - 1
        if depth <= 0:
            return self.variable(self.pick(_CONDITIONED_LEAVES))

        def gram(transpose_first: bool) -> str:
            inner = self.pick((None, "n", "m"))
            e = (self.expr((inner, "n"), min(d, 1)) if transpose_first
                 else self.expr(("n", inner), min(d, 1)))
            k = self.pick(("1", "2", "3"))
            return f"({k}*eye + {e}'*{e})" if transpose_first else f"({k}*eye + {e}*{e}')"

        return self.one_of(
            lambda: self.well_conditioned(0),
            lambda: gram(False),
            lambda: gram(True),
            lambda: f"inv({self.well_conditioned(d)})",
            lambda: f"{self.well_conditioned(d)}'",
            lambda: f"({self.well_conditioned(d)}*{self.well_conditioned(d)})",
            lambda: f"({self.pick(POSITIVE_NUMBERS)}*{self.well_conditioned(d)})",
            lambda: f"({self.well_conditioned(d)}^2)",
            lambda: f"(diag({self.positive(VEC_N, d)}) + {self.well_conditioned(0)})",
            lambda: f"(diag({self.positive(VEC_N, d)}) + 3*eye)",
        )


# --- strategies -----------------------------------------------------------------------

@st.composite
def bindings(draw: st.DrawFn) -> dict[str, str]:
    """What ``n`` and ``m`` stand for in one example: their own names (symbolic, sized by
    the check), or fixed distinct sizes 2 and 3."""
    n = draw(st.sampled_from(("n", "n", "2", "3")))
    m = draw(st.sampled_from(("m", "m", "3" if n == "2" else "2")))
    return {"n": n, "m": m}


@st.composite
def expressions(draw: st.DrawFn, kinds: Sequence[Kind] = RESULT_KINDS,
                max_depth: int = 3, extended: bool = False, constants: bool = True,
                absent: bool = False,
                issue13: bool | None = None) -> tuple[str, tuple[str, ...], Kind]:
    """``(text, declarations, kind)``: a random expression of a random kind among
    ``kinds``, at most ``max_depth`` operations deep, with a declaration for each of its
    variables.  ``extended``: also the forms of :meth:`ExpressionBuilder.extended_options`
    (``constants``: with constant subexpressions); ``absent``: in one example out of six
    the declaration of a variable the expression does not use (differentiating by it
    must give zeros, not a crash); ``issue13``: issue 13's language (default
    :data:`ISSUE13_LANGUAGE`)."""
    binding = draw(bindings())
    kind = draw(st.sampled_from(kinds))
    depth = draw(st.integers(min(2, max_depth), max_depth))
    builder = ExpressionBuilder(draw, extended, constants, issue13)
    if extended and draw(st.integers(0, 3)) == 0:
        text = builder.focused(kind, depth)
    else:
        text = builder.expr(kind, depth)
    assume(builder.used)
    used = [v for v in VARIABLES if v.name in builder.used]
    unused = [v for v in VARIABLES if v.name not in builder.used]
    if absent and unused and draw(st.integers(0, 5)) == 0:
        used.append(draw(st.sampled_from(unused)))
    declare = tuple(v.declaration(binding) for v in used)
    return text, declare, kind


@st.composite
def cases(draw: st.DrawFn, order: int = 1, kinds: Sequence[Kind] = RESULT_KINDS,
          max_depth: int = 3, max_result_axes: int | None = None,
          extended: bool = False, constants: bool = True, absent: bool = False,
          issue13: bool | None = None) -> Case:
    """A derivative to compute: an expression and ``order`` variables of it to
    differentiate by (each next one drawn among the expression's variables with the
    previous one counted twice, so ``["x", "x"]`` is common and ``["x", "A"]`` occurs).

    ``max_result_axes`` keeps only variables for which the mixed-layout result has at
    most that many axes (``f.shape + v.shape + ...``): 2 means it has a matrix form."""
    text, declare, kind = draw(expressions(kinds, max_depth, extended, constants, absent,
                                           issue13))
    parsed = parse(text, list(declare))
    names = list(parsed.variables)
    # A declared variable the expression does not use (see expressions()).
    names += [n for n in (d.partition(":")[0] for d in declare) if n not in names]
    result_axes = sum(s is not None for s in kind)
    if max_result_axes is not None:
        names = [v for v in names
                 if result_axes + sum(s is not None for s in BY_NAME[v].kind)
                 <= max_result_axes]
    assume(names)
    wrt = [draw(st.sampled_from(names))]
    for _ in range(order - 1):
        wrt.append(draw(st.sampled_from([wrt[-1], *names])))
    seed = draw(st.integers(0, 2**16))
    return Case(text, declare, tuple(wrt), kind, seed)


__all__ = ["BY_NAME", "ISSUE13_LANGUAGE", "RESULT_KINDS", "SCALAR", "VARIABLES", "Case",
           "ExpressionBuilder", "Variable", "bindings", "cases", "expressions"]
