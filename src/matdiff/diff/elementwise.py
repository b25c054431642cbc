"""Derivatives of the elementwise functions: one row per function, ``f'(u)`` as an IR node.

``d f(U) = f'(U) .* dU`` (seed 002's differential rules; The Matrix Cookbook, sec. 2.8.4
for elementwise functions).  A row returning ``None`` means ``f' = 0`` almost everywhere
(``sign``, ``step``); ``abs' = sign`` and ``relu' = step`` hold away from 0.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from ..ir import build as b
from ..ir.nodes import Node

Derivative = Callable[[Node], Node | None]


def _one(u: Node) -> Node:
    return b.fill(1, u.shape)


def _num(u: Node, c: int | Fraction) -> Node:
    return b.fill(c, u.shape)


def _sq(u: Node) -> Node:
    return b.power(u, _num(u, 2))


ELEMENTWISE_DERIVATIVES: dict[str, Derivative] = {
    "exp": lambda u: b.apply("exp", u),                                   # exp' = exp
    "log": lambda u: b.ediv(_one(u), u),                                  # log' = 1/u
    "sqrt": lambda u: b.ediv(_num(u, Fraction(1, 2)), b.apply("sqrt", u)),  # 1/(2 sqrt u)
    "sin": lambda u: b.apply("cos", u),
    "cos": lambda u: b.neg(b.apply("sin", u)),
    "tan": lambda u: b.add(_one(u), _sq(b.apply("tan", u))),             # 1 + tan^2
    "arcsin": lambda u: b.ediv(_one(u), b.apply("sqrt", b.sub(_one(u), _sq(u)))),
    "arccos": lambda u: b.neg(b.ediv(_one(u), b.apply("sqrt", b.sub(_one(u), _sq(u))))),
    "arctan": lambda u: b.ediv(_one(u), b.add(_one(u), _sq(u))),         # 1/(1 + u^2)
    "sinh": lambda u: b.apply("cosh", u),
    "cosh": lambda u: b.apply("sinh", u),
    "tanh": lambda u: b.sub(_one(u), _sq(b.apply("tanh", u))),           # 1 - tanh^2
    "abs": lambda u: b.apply("sign", u),
    "sign": lambda u: None,
    "relu": lambda u: b.apply("step", u),
    "step": lambda u: None,
    # sigmoid, softplus: sigmoid' = sigmoid .* (1 - sigmoid) (Bishop, PRML eq. 4.88),
    # softplus' = sigmoid (Goodfellow et al., Deep Learning sec. 3.10, eq. 3.31)
    "sigmoid": lambda u: b.hadamard(b.apply("sigmoid", u),
                                    b.sub(_one(u), b.apply("sigmoid", u))),
    "softplus": lambda u: b.apply("sigmoid", u),
}
