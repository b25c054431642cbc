"""RULES: every rewrite the simplifier knows, one row each.

A row states its identity and its source, and either a pattern line (see
:mod:`~matdiff.simplify.patterns`) or a procedure (:mod:`~matdiff.simplify.canonical`,
:mod:`~matdiff.simplify.elementwise`, :mod:`~matdiff.simplify.structural`).  Rows of
one op are tried in table order, so a more specific row comes before a more general one.
Adding a rule is adding a row here; the engine dispatches on the op and needs no change.

Every rule preserves the value wherever the expression it rewrites is defined (the
convention of matrix calculus texts: ``s*s^-1 = 1``, ``0*A = 0``).
"""

from __future__ import annotations

from ..ir import ELEMENTWISE_FUNCTIONS
from . import canonical as c
from . import distribute as d
from . import elementwise as e
from . import expansion as x
from . import inverses as i
from . import logistic as lg
from . import presentation as p
from . import reductions as rd
from . import structural as s
from . import vectorize as vz
from .numeric import EXACT_FUNCTIONS
from .rule import Rule, pattern_rule, procedure_rule

ALGEBRA = "algebra"
CANONICAL = "matdiff canonical form"

_TRANSPOSE: list[Rule] = [
    pattern_rule("transpose-involution", "T(T(X)) -> X", "(A')' = A", ALGEBRA),
    pattern_rule("transpose-scalar", "T(S) -> S if S is scalar",
                 "s' = s for a scalar s", ALGEBRA),
    pattern_rule("transpose-eye", "T(E:eye) -> E", "I' = I", ALGEBRA),
    procedure_rule("transpose-fill", "transpose", s.transpose_fill,
                   "matrix(c)' = matrix(c)", ALGEBRA),
    pattern_rule("transpose-diag", "T(diagm(V)) -> diagm(V)", "diag(v)' = diag(v)", ALGEBRA),
    pattern_rule("transpose-symmetric", "T(X) -> X if X is symmetric",
                 "S' = S for S declared symmetric, spd or diagonal (and expressions built "
                 "from such: inv(S), S^k, S + S2, c*S, ...)",
                 "definition of a symmetric matrix; DESIGN.md (symmetric constants)"),
    procedure_rule("transpose-product", "transpose", s.transpose_product,
                   "(A*B*C)' = C'*B'*A'; (s*A)' = s*A' for a scalar s",
                   "Matrix Cookbook (eq. 5, 6)"),
    procedure_rule("transpose-sum", "transpose", s.transpose_sum,
                   "(A + B)' = A' + B'", "Matrix Cookbook (eq. 4)"),
    procedure_rule("transpose-hadamard", "transpose", s.transpose_hadamard,
                   "(A .* B)' = A' .* B'", ALGEBRA),
    pattern_rule("transpose-ediv", "T(ediv(X, Y)) -> ediv(T(X), T(Y))",
                 "(A ./ B)' = A' ./ B'", ALGEBRA),
    pattern_rule("transpose-power", "T(power(X, Y)) -> power(T(X), T(Y))",
                 "(A .^ B)' = A' .^ B'", ALGEBRA),
    procedure_rule("transpose-broadcast", "transpose", s.transpose_broadcast,
                   "broadcast(s)' = broadcast(s) of the transposed shape", ALGEBRA),
    pattern_rule("transpose-matpow", "T(matpow{K}(X)) -> matpow{K}(T(X))",
                 "(X^k)' = (X')^k", "Matrix Cookbook (eq. 6)"),
] + [
    pattern_rule(f"transpose-{f}", f"T({f}(X)) -> {f}(T(X)) if X is not vector",
                 f"{f}(A)' = {f}(A') (elementwise; a vector's stays {f}(x)')", ALGEBRA)
    for f in ELEMENTWISE_FUNCTIONS
] + [
    pattern_rule(f"{f}-of-row", f"{f}(X) -> T({f}(T(X))) if X is row",
                 f"{f}(r) = {f}(r')' for a row r: a row is written as a transposed column "
                 f"({f}(W*x)', not {f}(x'*W'))", CANONICAL)
    for f in ELEMENTWISE_FUNCTIONS
] + [
    procedure_rule("sum-of-rows", "add", s.add_of_rows,
                   "x' + y' = (x + y)' for rows, when no longer", CANONICAL),
]

_INVERSE: list[Rule] = [
    pattern_rule("inverse-transpose", "inv(T(X)) -> T(inv(X))",
                 "inv(A') = inv(A)'", "Matrix Cookbook (eq. 3)"),
    pattern_rule("inverse-involution", "inv(inv(X)) -> X", "inv(inv(A)) = A", ALGEBRA),
    pattern_rule("inverse-eye", "inv(E:eye) -> E", "inv(I) = I", ALGEBRA),
]

_REDUCTIONS: list[Rule] = [
    pattern_rule("trace-scalar", "tr(S) -> S if S is scalar",
                 "tr(s) = s for a scalar (1x1) s", ALGEBRA),
    pattern_rule("trace-transpose", "tr(T(X)) -> tr(X)", "tr(A') = tr(A)",
                 "seed 000, trace property 1; Matrix Cookbook (eq. 13)"),
    procedure_rule("trace-orient", "tr", s.trace_orient,
                   "tr(A'*B'*C) = tr(C'*B*A): the fewer transposed factors",
                   "seed 000, trace property 1"),
    procedure_rule("trace-scalars-out", "tr", s.scalars_out("tr"), "tr(c*A) = c*tr(A)",
                   "seed 000, trace property 4"),
    pattern_rule("trace-zero", "tr(0) -> 0", "tr(0) = 0", ALGEBRA),
    pattern_rule("det-transpose", "det(T(X)) -> det(X)", "det(A') = det(A)",
                 "Matrix Cookbook (eq. 20)"),
    pattern_rule("det-eye", "det(E:eye) -> 1", "det(I) = 1", ALGEBRA),
    pattern_rule("logdet-transpose", "logdet(T(X)) -> logdet(X)",
                 "logdet(A') = logdet(A)", "Matrix Cookbook (eq. 20)"),
    pattern_rule("logdet-eye", "logdet(E:eye) -> 0", "logdet(I) = 0", ALGEBRA),
    pattern_rule("sum-scalar", "sum(S) -> S if S is scalar", "sum(s) = s for a scalar s",
                 ALGEBRA),
    procedure_rule("sum-of-hadamard", "sum", s.sum_of_hadamard,
                   "sum(a .* b) = a'*b for columns", ALGEBRA),
    pattern_rule("sum-transpose", "sum(T(X)) -> sum(X)", "sum(A') = sum(A)", ALGEBRA),
    pattern_rule("sum-zero", "sum(0) -> 0", "sum(0) = 0", ALGEBRA),
    procedure_rule("sum-scalars-out", "sum", s.scalars_out("sum"), "sum(c*A) = c*sum(A)",
                   ALGEBRA),
    pattern_rule("norm1-transpose", "norm1(T(X)) -> norm1(X)", "norm1(A') = norm1(A)",
                 ALGEBRA),
    pattern_rule("norm1-zero", "norm1(0) -> 0", "norm1(0) = 0", ALGEBRA),
    pattern_rule("norm2-transpose", "norm2(T(X)) -> norm2(X)", "norm2(A') = norm2(A)",
                 ALGEBRA),
    pattern_rule("norm2-zero", "norm2(0) -> 0", "norm2(0) = 0", ALGEBRA),
    pattern_rule("diag-transpose", "diagv(T(X)) -> diagv(X)", "diag(A') = diag(A)",
                 ALGEBRA),
    pattern_rule("diag-diag", "diagv(diagm(V)) -> V", "diag(diag(v)) = v", ALGEBRA),
    pattern_rule("diag-eye", "diagv(E:eye) -> 1", "diag(I) = vector(1)", ALGEBRA),
    pattern_rule("diag-zero", "diagv(0) -> 0", "diag(matrix(0)) = vector(0)", ALGEBRA),
    procedure_rule("diag-scalars-out", "diagv", s.scalars_out("diagv"),
                   "diag(c*A) = c*diag(A)", ALGEBRA),
    procedure_rule("diag-outer", "diagv", s.diag_outer, "diag(x*y') = x .* y",
                   "algebra: (x*y')_ii = x_i*y_i"),
    pattern_rule("diagm-zero", "diagm(0) -> 0", "diag(vector(0)) = matrix(0)", ALGEBRA),
    procedure_rule("diagm-ones", "diagm", s.diagm_ones, "diag(vector(1)) = I", ALGEBRA),
    procedure_rule("diagm-scalars-out", "diagm", s.scalars_out("diagm"),
                   "diag(c*v) = c*diag(v)", ALGEBRA),
]

_MUL: list[Rule] = [
    procedure_rule("mul-zero", "mul", c.mul_zero, "0*A = 0", ALGEBRA),
    procedure_rule("mul-constants", "mul", c.mul_constants,
                   "a*A*b*B = (a*b)*A*B; 1*A = A", ALGEBRA),
    procedure_rule("mul-fill", "mul", c.mul_fill, "c*matrix(d) = matrix(c*d)", ALGEBRA),
    procedure_rule("mul-eye", "mul", c.mul_eye, "A*I = I*A = A", ALGEBRA),
    procedure_rule("mul-matpow", "mul", c.mul_matpow, "X^j*X^k = X^(j+k) (X*X = X^2)",
                   ALGEBRA),
    procedure_rule("mul-cancel-inverse", "mul", i.mul_cancel_inverse,
                   "inv(X)*X = X*inv(X) = I; inv(X^j)*X^k = X^(k-j) (also transposed: "
                   "inv(X)'*X' = I), where defined", "Matrix Cookbook (eq. 1: A*inv(A) = I)"),
    procedure_rule("mul-inverse-of-product", "mul", i.mul_inverse_of_product,
                   "inv(A*X*B) = inv(B)*inv(X)*inv(A) for square A, X, B, used when the "
                   "pieces cancel (A'*inv(A*X*B)'*B' = inv(X)')",
                   "Matrix Cookbook (eq. 1, 51)"),
    procedure_rule("mul-negated-sum", "mul", c.mul_negated_sum,
                   "A*(-B - C)*D = -A*(B + C)*D", ALGEBRA),
    procedure_rule("mul-sign-abs", "mul", c.mul_sign_abs, "sign(s)*s = abs(s) for a scalar s",
                   ALGEBRA),
    procedure_rule("mul-scalars-first", "mul", c.mul_scalars_first,
                   "A*s*B = s*A*B for a scalar s (scaling commutes; numbers first, "
                   "divisors s^-k last)", CANONICAL),
    procedure_rule("mul-splice-groups", "mul", c.mul_splice_groups,
                   "(s*x'*y)*B = s*(x'*y)*B", ALGEBRA),
    procedure_rule("mul-group-scalars", "mul", c.mul_group_scalars,
                   "x'*y*B = (x'*y)*B: scalar-valued segments of a chain are scalar factors "
                   "(associativity)", CANONICAL),
    procedure_rule("mul-ungroup", "mul", c.mul_ungroup, "2*(x'*y) = 2*x'*y (associativity)",
                   CANONICAL),
    procedure_rule("mul-collect-powers", "mul", c.mul_collect_powers,
                   "s^a * s^b = s^(a+b) (so s*s = s^2, s*s^-1 = 1), where defined", ALGEBRA),
    procedure_rule("mul-orient-inner", "mul", c.mul_orient_inner,
                   "x'*a = a'*x (a scalar is its own transpose; the name sorting first "
                   "is transposed)", CANONICAL),
    procedure_rule("mul-orient-scalar", "mul", s.mul_orient_scalar,
                   "x'*A'*y = y'*A*x (a scalar is its own transpose; fewer transposes)",
                   "Matrix Cookbook (eq. 5); seed 002's x'Ax form"),
    procedure_rule("mul-diag-vector", "mul", s.mul_diag_vector,
                   "diag(v)*x = v .* x for a column x", ALGEBRA),
    procedure_rule("mul-outer", "mul", c.mul_outer, "(a'*x)*w = w*a'*x",
                   "Matrix Cookbook form: d(x'*a)^2/dx = 2*a*a'*x"),
]

_ADD: list[Rule] = [
    procedure_rule("add-zero", "add", c.add_zero, "A + 0 = A", ALGEBRA),
    procedure_rule("add-distribute-number", "add", c.add_distribute_number,
                   "c*(A + B) + C = c*A + c*B + C for a number c", ALGEBRA),
    procedure_rule("add-collect", "add", c.add_collect,
                   "a*T + b*T = (a+b)*T (like terms; A - A = 0)", ALGEBRA),
    procedure_rule("add-factor-right", "add", c.add_factor_right,
                   "A*C + B*C = (A + B)*C", ALGEBRA),
    procedure_rule("add-factor-left", "add", c.add_factor_left,
                   "C*A + C*B = C*(A + B)", ALGEBRA),
    procedure_rule("add-common-coefficient", "add", c.add_common_coefficient,
                   "c*A + c*B = c*(A + B), c*A - c*B = c*(A - B) for a number c", ALGEBRA),
    procedure_rule("add-common-scalar", "add", c.add_common_scalar,
                   "s*A + s*B + C = s*(A + B) + C for a scalar s of two or more terms",
                   ALGEBRA),
    procedure_rule("add-trace", "add", s.add_trace,
                   "s*tr(U) + t*tr(V) = tr(s*U + t*V)",
                   "seed 000, trace properties 3-4 (linearity)"),
    procedure_rule("add-diagm", "add", s.add_linear("diagm"),
                   "s*diag(u) + t*diag(v) = diag(s*u + t*v)", ALGEBRA),
    procedure_rule("add-constants", "add", c.add_constants,
                   "a + A + b = A + (a+b) for numbers a, b; -A + B = B - A", ALGEBRA),
]

_ELEMENTWISE: list[Rule] = [
    procedure_rule("hadamard-zero", "hadamard", e.hadamard_zero, "A .* 0 = 0", ALGEBRA),
    procedure_rule("hadamard-one", "hadamard", e.hadamard_one, "A .* matrix(1) = A",
                   ALGEBRA),
    procedure_rule("hadamard-scale", "hadamard", e.hadamard_scale,
                   "matrix(c) .* A = c*A; broadcast(s) .* A = s*A", ALGEBRA),
    procedure_rule("hadamard-scalars-out", "hadamard", e.hadamard_scalars_out,
                   "(s*A) .* B = s*(A .* B) for a scalar s", ALGEBRA),
    procedure_rule("hadamard-sign-abs", "hadamard", e.hadamard_sign_abs,
                   "sign(A) .* A = abs(A)", ALGEBRA),
    procedure_rule("hadamard-ediv", "hadamard", e.hadamard_ediv,
                   "(A ./ Y) .* B = (A .* B) ./ Y", ALGEBRA),
    procedure_rule("hadamard-collect-powers", "hadamard", e.hadamard_collect_powers,
                   "A.^a .* A.^b = A.^(a+b) (A .* A = A.^2), where defined", ALGEBRA),
    procedure_rule("hadamard-order", "hadamard", e.hadamard_order,
                   "A .* B = B .* A (factors in canonical order)", CANONICAL),
    pattern_rule("ediv-zero", "ediv(0, X) -> 0", "0 ./ A = 0 (where defined)", ALGEBRA),
    procedure_rule("ediv-scale", "ediv", e.ediv_scale,
                   "A ./ matrix(c) = (1/c)*A; A ./ broadcast(s) = s^-1*A", ALGEBRA),
    procedure_rule("ediv-scalars-out", "ediv", e.ediv_scalars_out,
                   "(s*A) ./ B = s*(A ./ B); A ./ (s*B) = s^-1*(A ./ B); "
                   "matrix(c) ./ B = c*(1 ./ B)", ALGEBRA),
    procedure_rule("ediv-cancel", "ediv", e.ediv_cancel,
                   "(A .* B) ./ (A .* C) = B ./ C; A.^3 ./ A = A.^2 (where defined)", ALGEBRA),
    # sigmoid, softplus: the logistic quotient in the vocabulary (before ediv-logistic)
    procedure_rule("ediv-sigmoid", "ediv", lg.ediv_sigmoid,
                   "exp(u).^m ./ (1 + exp(u)).^k = sigmoid(u).^m .* (1 - sigmoid(u)).^(k-m) "
                   "(1 ./ (1 + exp(-z)) = sigmoid(z); exp(z) ./ (1 + exp(z)).^2 = "
                   "sigmoid(z) .* (1 - sigmoid(z)))",
                   "Bishop, PRML (eqs. 4.59, 4.88)"),
    procedure_rule("ediv-logistic", "ediv", e.ediv_logistic,
                   "(A .* exp(u)) ./ (exp(u) + c) = A ./ (1 + c*exp(-u)) "
                   "(exp(z) ./ (1 + exp(z)) = 1 ./ (1 + exp(-z)))",
                   "algebra: numerator and denominator divided by exp(u)"),
    procedure_rule("ediv-logistic-square", "ediv", e.ediv_logistic_square,
                   "(A .* exp(-v)) ./ (exp(-v) + c).^2 = (A .* exp(v)) ./ (1 + c*exp(v)).^2",
                   "algebra: numerator and denominator times exp(2*v)"),
    procedure_rule("ediv-of-ediv", "ediv", e.ediv_of_ediv,
                   "(A ./ B) ./ C = A ./ (B .* C); A ./ (B ./ C) = (A .* C) ./ B", ALGEBRA),
]

_LOGISTIC: list[Rule] = [
    # sigmoid, softplus (simplify/logistic.py)
    procedure_rule("hadamard-sigmoid", "hadamard", lg.hadamard_sigmoid,
                   "exp(z) .* (1 - sigmoid(z)) = sigmoid(z); exp(-z) .* sigmoid(z) = "
                   "1 - sigmoid(z)", "Bishop, PRML (eq. 4.59)"),
    procedure_rule("mul-sigmoid", "mul", lg.mul_sigmoid,
                   "exp(a)^m/(1 + exp(a))^k = sigmoid(a)^m*(1 - sigmoid(a))^(k-m) for scalars",
                   "Bishop, PRML (eqs. 4.59, 4.88)"),
    procedure_rule("power-sigmoid", "power", lg.power_sigmoid,
                   "(1 + exp(u)).^-k = (1 - sigmoid(u)).^k (1/(1 + exp(-z)) = sigmoid(z))",
                   "Bishop, PRML (eq. 4.59)"),
    procedure_rule("sigmoid-of-negated", "sigmoid", lg.sigmoid_of_negated,
                   "sigmoid(-z) = 1 - sigmoid(z)",
                   "Goodfellow et al., Deep Learning (sec. 3.10, eq. 3.33)"),
    procedure_rule("log-softplus", "log", lg.log_softplus,
                   "log(1 + exp(z)) = softplus(z); log(sigmoid(z)) = -softplus(-z); "
                   "log(1 - sigmoid(z)) = -softplus(z)",
                   "Goodfellow et al., Deep Learning (sec. 3.10, eqs. 3.31, 3.35, 3.36)"),
    procedure_rule("add-softplus-difference", "add", lg.softplus_difference,
                   "softplus(z) - softplus(-z) = z",
                   "Goodfellow et al., Deep Learning (sec. 3.10, eq. 3.41)"),
    procedure_rule("add-distribute", "add", d.add_distribute,
                   "A.*(B + C) + D = A.*B + A.*C + D (also for scalars), collected, when "
                   "shorter (s.*(1 - t) - t.*(1 - s) = s - t)",
                   "algebra: distributivity, commutativity of .*"),
]

_POWERS: list[Rule] = [
    pattern_rule("power-one", "power(X, 1) -> X", "A.^1 = A", ALGEBRA),
    pattern_rule("power-zero", "power(X, 0) -> 1", "A.^0 = matrix(1) (0^0 = 1)", ALGEBRA),
    procedure_rule("power-fold", "power", s.power_fold,
                   "c^k folded exactly (|k| <= 64, bounded size)", ALGEBRA),
    procedure_rule("power-of-power", "power", s.power_of_power,
                   "(x^a)^k = x^(a*k) for an integer k, where defined", ALGEBRA),
    procedure_rule("matpow-trivial", "matpow", s.matpow_trivial, "X^1 = X; X^0 = I", ALGEBRA),
    pattern_rule("matpow-eye", "matpow{K}(E:eye) -> E", "I^k = I", ALGEBRA),
    procedure_rule("broadcast-const", "broadcast", s.broadcast_const,
                   "broadcast(c) = matrix(c)", ALGEBRA),
]

# f(c) = exact value: the points where a function's value is a known rational.
_ZERO_POINTS = {"exp": ("0", "1"), "log": ("1", "0"), "sin": ("0", "0"), "cos": ("0", "1"),
                "tan": ("0", "0"), "arcsin": ("0", "0"), "arccos": ("1", "0"),
                "arctan": ("0", "0"), "sinh": ("0", "0"), "cosh": ("0", "1"),
                "tanh": ("0", "0"),
                # sigmoid: sigmoid(0) = 1/2 (softplus(0) = log(2) is not rational)
                "sigmoid": ("0", "1/2")}

_FOLDS: list[Rule] = [
    pattern_rule(f"fold-{f}", f"{f}({x}) -> {y}", f"{f}({x}) = {y}", ALGEBRA)
    for f, (x, y) in _ZERO_POINTS.items()
] + [
    procedure_rule(f"fold-{f}", f, s.fold_function(f), f"{f}(c) of a number c, exactly",
                   ALGEBRA)
    for f in EXACT_FUNCTIONS
] + [
    procedure_rule(f"{f}-of-fill", f, s.scalar_of_fill(f),
                   f"{f}(matrix(c)) = {f}(c) used as a matrix", ALGEBRA)
    for f in ELEMENTWISE_FUNCTIONS if f not in EXACT_FUNCTIONS
]

# reduce: softmax and logsumexp recognised, and the outer product of ones vectors.
_PRML = "Bishop, PRML eq. 4.104 and 4.106 (softmax, its log-sum-exp normaliser)"
_SOFTMAX: list[Rule] = [
    procedure_rule("mul-outer-ones", "mul", rd.mul_outer_ones,
                   "vector(c)*vector(d)' = matrix(c*d)", ALGEBRA),
    procedure_rule("softmax-of-quotient", "mul", rd.mul_softmax,
                   "exp(x)/sum(exp(x)) = softmax(x) (each exp(x), exp(x)' or diag(exp(x)) "
                   "factor against one power of the sum); diag(1 ./ (exp(Z)*1))*exp(Z) = "
                   "softmax(Z, 2); exp(Z)*diag(1 ./ (exp(Z')*1)) = softmax(Z, 1)", _PRML),
    procedure_rule("softmax-of-hadamard", "hadamard", rd.hadamard_softmax,
                   "exp(Z) .* ((1 ./ (exp(Z)*1))*1') = softmax(Z, 2); "
                   "exp(Z) .* (1*(1 ./ (1'*exp(Z)))) = softmax(Z, 1)", _PRML),
    procedure_rule("softmax-of-ediv", "ediv", rd.ediv_softmax,
                   "exp(Z) ./ (exp(Z)*1*1') = softmax(Z, 2); "
                   "exp(Z) ./ (1*1'*exp(Z)) = softmax(Z, 1)", _PRML),
    procedure_rule("logsumexp-of-log", "log", rd.log_logsumexp,
                   "log(sum(exp(x))) = logsumexp(x); log(exp(X)*1) = logsumexp(X, 2); "
                   "log(1'*exp(X)) = logsumexp(X, 1); log(softmax(z)) = z - logsumexp(z) "
                   "(by rows Z - logsumexp(Z, 2)*1')", _PRML),
    procedure_rule("mul-inner-quotient", "mul", rd.mul_inner_quotient,
                   "x'*(y ./ x) = (y ./ x)'*x = sum(y) for columns, where defined", ALGEBRA),
    procedure_rule("hadamard-distribute-quotient", "hadamard",
                   rd.hadamard_distribute_quotient,
                   "F .* (S - A ./ F) = F .* S - A, where defined", ALGEBRA),
    procedure_rule("softmax-transposed", "softmax", rd.transposed_operand,
                   "softmax(Z', d) = softmax(Z, 3 - d)'; softmax(r) = softmax(r')' for a row",
                   CANONICAL),
    procedure_rule("logsumexp-transposed", "logsumexp", rd.transposed_operand,
                   "logsumexp(Z', d) = logsumexp(Z, 3 - d)'; logsumexp(r) = logsumexp(r')",
                   CANONICAL),
]

# implicit expansion (simplify/expansion.py): expansions move outwards and merge
EXPANSION = "algebra: expand(v) = v*1' (a column across the columns), 1*r (a row)"
_EXPAND: list[Rule] = [
    procedure_rule("expand-const", "expand", x.expand_const,
                   "expand(vector(c)) = matrix(c); expand(broadcast(s)) = broadcast(s)",
                   EXPANSION),
    procedure_rule("transpose-expand", "transpose", x.transpose_expand,
                   "(v*1')' = 1*v': transposing a column expansion gives a row expansion",
                   EXPANSION),
    procedure_rule("expand-scalars-out", "expand", x.expand_scalars_out,
                   "(s*v)*1' = s*(v*1') for a scalar s", EXPANSION),
    procedure_rule("product-expand", "mul", x.product_expand,
                   "A*(v*1') = (A*v)*1'; (1*r)*B = 1*(r*B) (associativity)", EXPANSION),
    procedure_rule("add-expand", "add", x.add_expand,
                   "A + s*(u*1') + t*(v*1') = A + (s*u + t*v)*1' (expansions of one kind "
                   "merge)", EXPANSION),
    procedure_rule("hadamard-expand", "hadamard", x.hadamard_expand,
                   "(u*1') .* (v*1') = (u .* v)*1'; (u*1') .* (1*r) = u*r", EXPANSION),
    procedure_rule("ediv-expand", "ediv", x.ediv_expand,
                   "(u*1') ./ (v*1') = (u ./ v)*1'", EXPANSION),
    procedure_rule("power-expand", "power", x.power_expand,
                   "(u*1').^(v*1') = (u.^v)*1'; (u*1').^c = (u.^c)*1'", EXPANSION),
] + [
    procedure_rule(f"{f}-expand", f, x.function_expand(f),
                   f"{f}(v*1') = {f}(v)*1' (elementwise)", EXPANSION)
    for f in ELEMENTWISE_FUNCTIONS
]

# kron, vec, reshape: vec and MATLAB's column-major reshape are inverses
_VEC_COOKBOOK = "The Matrix Cookbook, sec. 10.2.2 (vec stacks the columns)"
_VEC: list[Rule] = [
    procedure_rule("reshape-of-vec", "reshape", vz.reshape_of_vec,
                   "reshape(vec(U), rows(U), cols(U)) = U", _VEC_COOKBOOK),
    procedure_rule("vec-of-reshape", "vec", vz.vec_of_reshape,
                   "vec(reshape(u, m, n)) = u for a column u", _VEC_COOKBOOK),
]

RULES: tuple[Rule, ...] = (
    *_TRANSPOSE, *_INVERSE, *_REDUCTIONS, *_MUL, *_ADD, *_ELEMENTWISE, *_POWERS, *_FOLDS,
    *_LOGISTIC, *_SOFTMAX, *_EXPAND, *_VEC)
"""All rules; rows of one op are tried in this order."""

assert len({r.name for r in RULES}) == len(RULES), "duplicate rule name"


PRESENTATION_RULES: tuple[Rule, ...] = (
    procedure_rule("present-transpose-of-product", "mul", p.transpose_out_of_product,
                   "s*A'*B'*C' = s*(C*B*A)' (three or more transposed factors)",
                   "Matrix Cookbook (eq. 5); the form of eq. 61, 63"),
    procedure_rule("present-sum-order", "add", p.sum_order,
                   "A' + A = A + A' (a term before its transpose)", "matdiff presentation"),
    procedure_rule("present-transpose-of-sum", "add", p.transpose_out_of_sum,
                   "A'*B' + C' = (B*A + C)' when two or more transposes go",
                   "Matrix Cookbook (eq. 4); the form of eq. 107, 122"),
    *(procedure_rule(f"present-transpose-of-{f}", f, p.transpose_out_of_function,
                     f"{f}(X'*W' + b') = {f}(W*X + b)' (elementwise: f(U') = f(U)')",
                     "matdiff presentation; Matrix Cookbook (eq. 4)")
      for f in ELEMENTWISE_FUNCTIONS),
)
"""The last pass (:func:`~matdiff.simplify.engine.present`): the canonical form as a
textbook prints it.  Run after ``RULES``, never mixed with them (they undo
``transpose-product``)."""

assert not {r.name for r in RULES} & {r.name for r in PRESENTATION_RULES}
