"""The page's menu of examples: one row each, grouped as the menu shows them.

Sources: the seed notes (``/seeds``, the identities they derive), The Matrix Cookbook
(chapter 2, equation numbers as in the 2012 edition) and logistic regression (the
loss, its gradient and its Hessian ``X'*diag(p.*(1-p))*X``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Example:
    group: str
    title: str
    expression: str
    wrt: tuple[str, ...]
    declare: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["wrt"], d["declare"] = list(self.wrt), list(self.declare)
        return d


SEEDS = "Seed notes"
COOKBOOK = "Matrix Cookbook"
ML = "Machine learning"

EXAMPLES: tuple[Example, ...] = (
    Example(SEEDS, "tr(A X B X' C) (Cookbook eq. 118)", "tr(A*X*B*X'*C)", ("X",)),
    Example(SEEDS, "Quadratic form x'Ax", "x'*A*x", ("x",)),
    Example(SEEDS, "Quadratic form, A symmetric", "x'*A*x", ("x",),
            ("A: matrix(n,n) symmetric",)),
    Example(SEEDS, "Hessian of x'Ax", "x'*A*x", ("x", "x")),
    Example(SEEDS, "Least squares (CS229 normal equation)", "norm2(X*w - y)^2", ("w",)),
    Example(COOKBOOK, "(eq. 69) a'x", "a'*x", ("x",), ("a: vector(n)",)),
    Example(SEEDS, "Jacobian of A x", "A*x", ("x",)),
    Example(COOKBOOK, "(eq. 100) tr(X A)", "tr(X*A)", ("X",)),
    Example(COOKBOOK, "(eq. 49) det(X)", "det(X)", ("X",)),
    Example(COOKBOOK, "(eq. 57) log det(X)", "logdet(X)", ("X",)),
    Example(COOKBOOK, "(eq. 124) tr(A inv(X) B)", "tr(A*inv(X)*B)", ("X",)),
    Example(COOKBOOK, "(eq. 108) tr(X' B X)", "tr(X'*B*X)", ("X",)),
    Example(COOKBOOK, "(eq. 106) tr(X^2)", "tr(X^2)", ("X",)),
    Example(COOKBOOK, "(eq. 132) norm2(X)^2", "norm2(X)^2", ("X",)),
    Example(COOKBOOK, "(eq. 520) A X B: a 4th-order derivative", "A*X*B", ("X",)),
    Example(COOKBOOK, "(eq. 139) tr(A X), X symmetric", "tr(A*X)", ("X",),
            ("X: matrix(n,n) symmetric",)),
    Example(ML, "Logistic regression loss", "sum(log(1 + exp(-y.*(X*w))))", ("w",)),
    Example(ML, "Logistic regression Hessian", "sum(log(1 + exp(-y.*(X*w))))", ("w", "w")),
    # sigmoid: the cross-entropy of a sigmoid (Bishop, PRML eq. 4.90)
    Example(ML, "Cross-entropy of a sigmoid",
            "-sum(t.*log(sigmoid(X*w)) + (1 - t).*log(1 - sigmoid(X*w)))", ("w",)),
    Example(ML, "Ridge regression", "norm2(X*w - y)^2 + lambda*norm2(w)^2", ("w",)),
    Example(ML, "Two-layer network", "norm2(W2*tanh(W1*x) - y)^2", ("W1",)),
    Example(ML, "Gaussian log-likelihood", "-logdet(S)/2 - (x - m)'*inv(S)*(x - m)/2",
            ("S",), ("S: matrix(n,n) spd",)),
)
