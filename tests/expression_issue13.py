"""Issue 13's language for the random expressions of ``tests/expression_strategies.py``
(not a test module): a mixin of :class:`expression_strategies.ExpressionBuilder`, drawn
when its ``issue13`` switch is on (``expression_strategies.ISSUE13_LANGUAGE``).

The forms: ``sigmoid``, ``softplus``, ``logsumexp`` (all entries, and by dimension 1 or
2), ``softmax`` of a vector or a row and of a matrix by dimension, ``sum``/``mean`` by
dimension (on matrices) and ``mean`` of all entries, ``kron``, ``vec``, ``pinv`` and
``adj`` (of well-conditioned square matrices: a rectangular or random square argument
can be nearly rank-deficient at a random point, where finite differences of pinv cannot
be trusted), the aliases ``trace`` and ``X.'``, and MATLAB's implicit expansion of a
column or a row beside a matrix in ``+ - .* ./``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
Kind = tuple[str | None, str | None]
"""(rows, cols), as in ``expression_strategies``."""
SCALAR: Kind = (None, None)
VEC_N: Kind = ("n", None)
VEC_M: Kind = ("m", None)
MAT_NN: Kind = ("n", "n")
MAT_MN: Kind = ("m", "n")
MAT_MM: Kind = ("m", "m")


def _transposed(kind: Kind) -> Kind:
    return (kind[1], kind[0])


class Issue13Forms:
    """What the builder provides (``expr``, ``pick``, ...) is declared here for typing."""

    issue13: bool

    def expr(self, kind: Kind, depth: int) -> str:
        raise NotImplementedError

    def pick(self, options: Sequence[T]) -> T:
        raise NotImplementedError

    def any_kind(self) -> Kind:
        raise NotImplementedError

    def positive(self, kind: Kind, depth: int) -> str:
        raise NotImplementedError

    def well_conditioned(self, depth: int) -> str:
        raise NotImplementedError

    def array_kind(self) -> Kind:
        """A vector, row or matrix kind: the new functions' arguments are arrays (what
        matdiff makes of ``kron(a, X)`` or ``logsumexp(a)`` for a scalar ``a`` is left to
        its own tests)."""
        return self.pick((VEC_N, MAT_NN, VEC_M, MAT_MN, (None, "n")))

    def vec_inner(self, kind: Kind, d: int) -> str:
        """``vec(U)'*vec(V)`` of two matrices of one kind (= ``sum(U .* V)``)."""
        return f"(vec({self.expr(kind, d)})'*vec({self.expr(kind, d)}))"

    def issue13_positive(self, kind: Kind, d: int) -> list[Callable[[], str]]:
        """Positive expressions from the new functions (bounded away from 0)."""
        return [lambda: f"(1 + softplus({self.expr(kind, d)}))",
                lambda: f"(0.5 + sigmoid({self.expr(kind, d)}))"]

    def issue13_options(self, kind: Kind, d: int) -> list[Callable[[], str]]:
        """Issue 13's functions and implicit expansion, at every kind they can give.
        All are smooth everywhere: sigmoid and softmax are bounded, softplus and
        logsumexp grow linearly, so they take arguments of any depth (and are allowed
        in a shallow argument); pinv and adj take a well-conditioned square matrix."""
        g: Callable[[Kind], str] = lambda k: self.expr(k, d)  # noqa: E731
        rows, cols = kind
        dim: Callable[[], str] = lambda: self.pick(("1", "2"))  # noqa: E731
        other: Callable[[], str] = lambda: self.pick(("n", "m"))  # noqa: E731
        options: list[Callable[[], str]] = [
            lambda: f"{self.pick(('sigmoid', 'softplus'))}({g(kind)})",
        ]
        if kind == SCALAR:
            matrices = (MAT_NN, MAT_MN, ("n", "m"))
            options += [
                lambda: f"logsumexp({g(self.array_kind())})",
                lambda: f"mean({g(self.array_kind())})",
                lambda: f"trace({g(self.pick((MAT_NN, MAT_NN, SCALAR)))})",
                lambda: f"sum(kron({g(self.array_kind())}, {g(self.array_kind())}))",
                lambda: f"tr(kron({g(MAT_NN)}, {g(self.pick((MAT_NN, MAT_MM)))}))",
                lambda: self.vec_inner(self.pick(matrices), d),
                lambda: f"tr({self.pick(('pinv', 'adj'))}({self.well_conditioned(d)}))",
            ]
            return options
        options += [
            lambda: f"{g(_transposed(kind))}.'",
        ]
        if cols is None:  # a column
            assert rows is not None
            options += [
                lambda: f"softmax({g(kind)})",
                lambda: f"vec({g(self.pick((kind, _transposed(kind))))})",
                lambda: (f"{self.pick(('sum', 'mean', 'logsumexp'))}"
                         f"({g((rows, other()))}, 2)"),
                # a reduction down the columns, transposed (the bias gradient
                # sum(P - Y, 1)' of softmax regression)
                lambda: (f"{self.pick(('sum', 'mean', 'logsumexp'))}"
                         f"({g((other(), rows))}, 1)'"),
            ]
        elif rows is None:  # a row
            options += [
                lambda: f"softmax({g(kind)})",
                lambda: (f"{self.pick(('sum', 'mean', 'logsumexp'))}"
                         f"({g((other(), cols))}, 1)"),
            ]
        else:  # a matrix: softmax by a dimension, kron, implicit expansion
            column: Kind = (rows, None)
            row: Kind = (None, cols)
            options += [
                lambda: f"softmax({g(kind)}, {dim()})",
                lambda: f"kron({g(column)}, {g(row)})",
                lambda: f"({g(kind)} + {g(column)})",
                lambda: f"({g(column)} - {g(kind)})",
                lambda: f"({g(kind)} - {g(row)})",
                lambda: f"({g(row)} + {g(kind)})",
                lambda: f"({g(self.pick((column, row)))} .* {g(kind)})",
                lambda: f"({g(kind)} ./ {self.positive(self.pick((column, row)), d)})",
                lambda: f"({g(self.pick((column, row)))} ./ {self.positive(kind, d)})",
            ]
            if kind == MAT_NN:
                options += [
                    lambda: f"pinv({self.well_conditioned(d)})",
                    lambda: f"adj({self.well_conditioned(d)})",
                ]
        return options


__all__ = ["Issue13Forms"]
