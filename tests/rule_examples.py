"""One example per simplification rule (``EXAMPLES``, by rule name): an expression the
rule fires on, inside every function's domain.  ``tests/test_simplify.py`` checks that the
table names every rule of ``RULES``, that each example fires its rule and that the value
is kept."""

from __future__ import annotations

from fractions import Fraction

from simplify_support import P_POS, S_SYM, F, T, m, n

from matdiff.ir import ELEMENTWISE_FUNCTIONS, Node, make
from matdiff.ir import build as b
from matdiff.shapes import SCALAR, Shape, matrix, vector
from matdiff.simplify.numeric import EXACT_FUNCTIONS

A, B, C, X = (b.var(name, matrix(n, n)) for name in "ABCX")
x, a, w, y = (b.var(name, vector(n)) for name in "xawy")
S = b.var("S", matrix(n, n), {"symmetric"})

_sv, _tv = b.var("s", SCALAR), b.var("t", SCALAR)
_v = b.var("u", vector(n))
_u, _v, _w = (b.var(name, vector(n)) for name in "uvw")
_M = b.var("M", matrix(m, n))
_q = b.var("q", vector(n))  # entries in (0.2, 0.9): inside every function's domain
_Z = b.zero(matrix(n, n))

EXAMPLES: dict[str, Node] = {
    "transpose-involution": T(T(A)),
    "transpose-scalar": T(_sv),
    "transpose-eye": T(b.eye(n)),
    "transpose-fill": T(b.fill(2, matrix(m, n))),
    "transpose-diag": T(F("diagm", _u)),
    "transpose-symmetric": T(S_SYM),
    "transpose-product": T(b.mul(A, B)),
    "transpose-sum": T(b.add(A, B)),
    "transpose-hadamard": T(b.hadamard(A, B)),
    "transpose-ediv": T(b.ediv(A, P_POS)),
    "transpose-power": T(b.power(P_POS, b.fill(2, matrix(n, n)))),
    "transpose-broadcast": T(b.broadcast(_sv, matrix(m, n))),
    "transpose-matpow": T(b.matpow(A, 2)),
    **{f"transpose-{f}": T(F(f, P_POS)) for f in ELEMENTWISE_FUNCTIONS},
    **{f"{f}-of-row": F(f, T(_q)) for f in ELEMENTWISE_FUNCTIONS},
    "sum-of-rows": b.add(T(_u), b.mul(b.const(-2), T(_v))),
    "inverse-transpose": F("inv", T(A)),
    "inverse-involution": F("inv", F("inv", A)),
    "inverse-eye": F("inv", b.eye(n)),
    "trace-scalar": F("tr", _sv),
    "trace-transpose": F("tr", T(A)),
    "det-transpose": F("det", T(A)),
    "det-eye": F("det", b.eye(n)),
    "logdet-transpose": F("logdet", T(A)),
    "logdet-eye": F("logdet", b.eye(n)),
    "sum-scalar": F("sum", _sv),
    "sum-transpose": F("sum", T(_M)),
    "sum-zero": F("sum", _Z),
    "trace-scalars-out": F("tr", b.mul(b.const(2), _sv, A)),
    "trace-zero": F("tr", _Z),
    "sum-scalars-out": F("sum", b.mul(_sv, _M)),
    "diag-eye": F("diagv", b.eye(n)),
    "diag-zero": F("diagv", _Z),
    "diag-scalars-out": F("diagv", b.mul(_sv, A)),
    "diagm-zero": F("diagm", b.zero(vector(n))),
    "diagm-scalars-out": F("diagm", b.mul(b.const(3), _u)),
    "diagm-ones": F("diagm", b.fill(1, vector(n))),
    "norm1-transpose": F("norm1", T(_M)),
    "norm1-zero": F("norm1", _Z),
    "norm2-transpose": F("norm2", T(_M)),
    "norm2-zero": F("norm2", _Z),
    "diag-transpose": F("diagv", T(A)),
    "diag-outer": F("diagv", b.mul(_u, T(_v))),
    "diag-diag": F("diagv", F("diagm", _u)),
    "mul-zero": b.mul(b.const(0), A),
    "mul-constants": b.mul(b.const(2), A, b.const(3)),
    "mul-fill": b.mul(b.const(2), b.fill(3, vector(n))),
    "mul-eye": b.mul(A, b.eye(n)),
    "mul-scalars-first": b.mul(A, _sv),
    "mul-collect-powers": b.mul(_sv, _sv),
    "mul-cancel-inverse": b.mul(_sv, T(F("inv", b.matpow(A, 3))), b.matpow(T(A), 2), B),
    "mul-inverse-of-product": b.mul(T(A), T(F("inv", b.mul(A, S, B))), T(B)),
    "mul-sign-abs": b.mul(F("sign", F("det", A)), F("det", A), B),
    "mul-orient-inner": b.mul(b.mul(T(_v), _u), A),
    "mul-outer": b.mul(b.mul(T(_u), _v), _w),
    "add-distribute-number": b.add(b.mul(b.const(-1), b.add(A, B)), B),
    "mul-matpow": b.mul(A, A, b.matpow(A, 2)),
    "mul-splice-groups": b.mul(b.mul(b.const(2), T(_u), _v), A),
    "mul-group-scalars": b.mul(T(_u), _v, T(_w), A),
    "mul-ungroup": b.mul(b.const(2), b.mul(T(_u), A, _v)),
    "add-zero": b.add(A, _Z),
    "add-collect": b.add(A, A),
    "add-common-scalar": b.add(b.mul(F("det", S), A), b.mul(b.const(2), F("det", S), B)),
    "mul-orient-scalar": b.mul(T(_u), T(A), _v),
    "mul-diag-vector": b.mul(A, F("diagm", _u), _v),
    "sum-of-hadamard": F("sum", b.hadamard(_u, _v, _w)),
    "present-sum-order": b.add(T(A), A, B),
    "trace-orient": F("tr", b.mul(T(A), T(B), P_POS)),
    "mul-negated-sum": b.mul(A, b.add(b.neg(B), b.mul(b.const(-2), _sv, P_POS)), A),
    "ediv-cancel": b.ediv(b.hadamard(A, P_POS, P_POS), b.hadamard(P_POS, B)),
    "ediv-logistic": b.ediv(b.hadamard(_u, F("exp", _v)),
                            b.add(F("exp", _v), b.fill(2, vector(n)))),
    # sigmoid, softplus
    "ediv-sigmoid": b.ediv(b.hadamard(_u, F("exp", _v)),
                           b.power(b.add(F("exp", _v), b.fill(1, vector(n))),
                                   b.fill(2, vector(n)))),
    "hadamard-sigmoid": b.hadamard(_u, F("exp", b.neg(_v)), F("sigmoid", _v)),
    "mul-sigmoid": b.mul(_sv, F("exp", _tv),
                         b.power(b.add(b.const(1), F("exp", _tv)), b.const(-1))),
    "power-sigmoid": b.power(b.add(F("exp", b.neg(_v)), b.fill(1, vector(n))),
                             b.fill(-1, vector(n))),
    "sigmoid-of-negated": F("sigmoid", b.neg(b.mul(_M, _v))),
    "log-softplus": F("log", b.sub(b.fill(1, vector(n)), F("sigmoid", _u))),
    "add-softplus-difference": b.add(_u, b.mul(b.const(3), F("softplus", _v)),
                                     b.mul(b.const(-3), F("softplus", b.neg(_v)))),
    "add-distribute": b.sub(b.hadamard(F("sigmoid", _u), b.sub(b.fill(1, vector(n)), _v)),
                            b.hadamard(_v, b.sub(b.fill(1, vector(n)), F("sigmoid", _u)))),
    "ediv-logistic-square": b.ediv(
        b.hadamard(_u, F("exp", b.neg(_v))),
        b.power(b.add(F("exp", b.neg(_v)), b.fill(3, vector(n))), b.fill(2, vector(n)))),
    "present-transpose-of-product": b.mul(b.const(-1), T(A), T(B), T(P_POS)),
    "present-transpose-of-sum": b.add(b.mul(T(A), T(B)), b.mul(_sv, T(P_POS), T(A))),
    "add-trace": b.add(F("tr", A), b.mul(_sv, F("tr", b.mul(B, A)))),
    "add-diagm": b.sub(F("diagm", _u), b.mul(_sv, F("diagm", _v))),
    "add-constants": b.add(_sv, b.const(1), b.const(2)),
    "add-common-coefficient": b.add(b.mul(b.const(2), A), b.mul(b.const(2), B)),
    "add-factor-right": b.add(b.mul(A, _v), b.mul(T(A), _v)),
    "add-factor-left": b.add(b.mul(T(A), _v), b.mul(T(A), b.var("w", vector(n)))),
    "hadamard-zero": b.hadamard(A, _Z),
    "hadamard-one": b.hadamard(A, b.fill(1, matrix(n, n))),
    "hadamard-scale": b.hadamard(b.fill(2, matrix(n, n)), A),
    "hadamard-scalars-out": b.hadamard(b.mul(b.const(2), _sv, A), B),
    "hadamard-sign-abs": b.hadamard(_u, F("sign", _u), _v),
    "hadamard-ediv": b.hadamard(A, b.ediv(B, P_POS)),
    "hadamard-collect-powers": b.hadamard(A, b.power(A, b.fill(2, matrix(n, n)))),
    "hadamard-order": b.hadamard(B, A),
    "ediv-zero": b.ediv(_Z, P_POS),
    "ediv-scale": b.ediv(A, b.fill(2, matrix(n, n))),
    "ediv-scalars-out": b.ediv(b.mul(_sv, A), b.mul(b.const(2), _tv, P_POS)),
    "ediv-of-ediv": b.ediv(b.ediv(A, P_POS), F("exp", B)),
    "power-one": b.power(_sv, b.const(1)),
    "power-zero": b.power(_sv, b.const(0)),
    "power-fold": b.power(b.const(2), b.const(10)),
    "power-of-power": b.power(b.power(_sv, b.const(2)), b.const(3)),
    "broadcast-const": b.broadcast(b.mul(b.const(2), b.const(3)), matrix(m, n)),
    "matpow-trivial": b.matpow(A, 1),
    "matpow-eye": b.matpow(b.eye(n), 3),
    "fold-exp": F("exp", b.const(0)),
    "fold-log": F("log", b.fill(1, vector(n))),
    "fold-sin": F("sin", b.const(0)),
    "fold-cos": F("cos", b.const(0)),
    "fold-tan": F("tan", b.const(0)),
    "fold-arcsin": F("arcsin", b.const(0)),
    "fold-arccos": F("arccos", b.const(1)),
    "fold-arctan": F("arctan", b.const(0)),
    "fold-sinh": F("sinh", b.const(0)),
    "fold-cosh": F("cosh", b.const(0)),
    "fold-tanh": F("tanh", b.const(0)),
    "fold-sigmoid": F("sigmoid", b.fill(0, vector(n))),
    "fold-abs": F("abs", b.const(Fraction(-3, 2))),
    "fold-sign": F("sign", b.fill(-2, vector(n))),
    "fold-relu": F("relu", b.const(-1)),
    "fold-step": F("step", b.const(Fraction(1, 2))),
    "fold-sqrt": F("sqrt", b.const(Fraction(9, 4))),
    **{f"{f}-of-fill": F(f, b.fill(Fraction(1, 2), vector(n)))
       for f in ELEMENTWISE_FUNCTIONS if f not in EXACT_FUNCTIONS},
    # reduce: softmax and logsumexp
    "mul-outer-ones": b.mul(b.fill(1, vector(n)), b.fill(2, Shape(None, n))),
    "softmax-of-quotient": b.mul(F("exp", _u), b.power(F("sum", F("exp", _u)), b.const(-1))),
    "softmax-of-hadamard": b.hadamard(F("exp", A), b.mul(
        b.ediv(b.fill(1, vector(n)), b.mul(F("exp", A), b.fill(1, vector(n)))),
        b.fill(1, Shape(None, n)))),
    "softmax-of-ediv": b.ediv(F("exp", _M), b.mul(b.fill(1, matrix(m, m)), F("exp", _M))),
    "logsumexp-of-log": F("log", F("sum", F("exp", _u))),
    "mul-inner-quotient": b.mul(T(_q), b.ediv(_u, _q)),
    "hadamard-distribute-quotient": b.hadamard(P_POS, b.add(A, b.ediv(B, P_POS))),
    "softmax-transposed": make("softmax", (T(_M),), (2,)),
    "logsumexp-transposed": make("logsumexp", (T(_M),), (1,)),
}

# implicit expansion (simplify/expansion.py): columns of length n across m columns
_MT = T(_M)  # n x m
_p = b.var("p", vector(m))
_NM = matrix(n, m)
EXAMPLES.update({
    "expand-const": make("expand", (b.fill(2, vector(n)),), (_NM,)),
    "transpose-expand": T(b.expand(_u, _NM)),
    "expand-scalars-out": b.expand(b.mul(_sv, b.const(2), _u), _NM),
    "product-expand": b.mul(_sv, A, b.expand(_u, _NM)),
    "add-expand": b.add(b.expand(_u, _NM), _MT, b.neg(b.expand(_v, _NM))),
    "hadamard-expand": b.hadamard(b.expand(_u, _NM), _MT, b.expand(T(_p), _NM)),
    "ediv-expand": b.ediv(b.expand(_u, _NM), b.expand(_q, _NM)),
    "power-expand": b.power(b.expand(_q, _NM), b.fill(2, _NM)),
    **{f"{f}-expand": F(f, b.expand(_q, _NM)) for f in ELEMENTWISE_FUNCTIONS},
})

# vec and reshape undo each other (simplify/vectorize.py)
EXAMPLES.update({
    # built with make: the builders fold these already, the rules catch what other
    # rewrites bring into this form (reshape(vec(-A) + vec(A)) distributed)
    "reshape-of-vec": make("reshape", (make("vec", (_M,)),), (m, n)),
    "vec-of-reshape": make("vec", (make("reshape", (b.vec(_M),), (n, m)),)),
})

# the transpose taken out of an elementwise function's argument (simplify/presentation.py)
# (a compound of transposes, entries (P'.^2 + P')/2 in (0.05, 0.86): inside every
# function's domain; a transposed vector is the canonical pass's f(x') = f(x)' already)
_PT = T(P_POS)
EXAMPLES.update({f"present-transpose-of-{f}": F(f, b.mul(b.const(Fraction(1, 2)), b.add(
    b.hadamard(_PT, _PT), _PT))) for f in ELEMENTWISE_FUNCTIONS})
