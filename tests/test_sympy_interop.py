"""SymPy interop: round trips evaluated numerically, unsupported constructs named."""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.applications.sympy_interop import sympy_declarations
from matdiff.evaluate import evaluate
from matdiff.parse import parse

sp = pytest.importorskip("sympy")

CASES = ["tr(A*X*B*X'*C)", "x'*A*x", "log(det(X))", "norm2(X*w - y)^2", "inv(X) + eye",
         "X.*Y + exp(X)", "a*x'*x + 2", "X^3 - 2*X", "det(X)*tr(inv(X))", "x.^2",
         "sin(a)/b", "X./Y - log(Y)",
         # implicit expansion: v*OneMatrix(1, n), OneMatrix(m, 1)*r
         "W*X + u - Y", "X*W + u'"]
# SymPy's own subs().doit() cannot evaluate these with numbers (Identity(n) after n := 3
# hits a KeyError in MatAdd, HadamardPower recurses in evalf, so does OneMatrix once its
# size is a number): round trip only.
SYMPY_CANNOT_EVALUATE = {"inv(X) + eye", "x.^2", "X./Y - log(Y)", "W*X + u - Y", "X*W + u'"}


def _env(names: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {k: (np.eye(s[0]) + 0.3 * rng.standard_normal(s) if len(s) == 2 and s[0] == s[1]
                else np.abs(rng.standard_normal(s)) + 0.5) for k, s in names.items()}


@pytest.mark.parametrize("expr", CASES)
def test_round_trip_and_sympy_value(expr: str) -> None:
    node = parse(expr).expr
    shapes = {n: tuple(3 for _ in v.shape.dims) for n, v in node.variables().items()}
    env = _env(shapes)
    want = evaluate(node, env)
    e = matdiff.to_sympy(expr)
    back = matdiff.from_sympy(e)
    got = evaluate(parse(back, sympy_declarations(e)).expr, env)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    if expr in SYMPY_CANNOT_EVALUATE:
        return
    # SymPy's own value, with the symbols replaced by the same numbers
    subs = {}
    for s in e.free_symbols:
        if isinstance(s, sp.MatrixSymbol):
            v = env[s.name]
            subs[s] = sp.ImmutableMatrix(v.reshape(v.shape[0], -1))
        elif str(s) in env:
            subs[s] = sp.Float(float(env[str(s)]))
        else:
            subs[s] = 3  # a size
    val = e.subs(subs).doit()
    arr = np.array(sp.N(val).tolist() if hasattr(val, "tolist") else float(val), dtype=float)
    np.testing.assert_allclose(arr.reshape(np.shape(want)), want, rtol=1e-8)


def test_unsupported_constructs_are_named() -> None:
    with pytest.raises(matdiff.UnsupportedError, match="sum"):
        matdiff.to_sympy("sum(x)")
    n = sp.Symbol("n")
    X = sp.MatrixSymbol("X", n, n)
    with pytest.raises(matdiff.UnsupportedError, match="Adjoint"):
        matdiff.from_sympy(sp.Adjoint(X))
    with pytest.raises(matdiff.UnsupportedError, match="matrix element"):
        matdiff.from_sympy(X[0, 1])
