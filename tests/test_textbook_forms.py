"""Golden printed forms (issue 4): well-known results as matdiff prints them, in text and
LaTeX — the textbook's form or shorter.  Each is also checked against finite differences,
so a golden string can only be updated to another correct form.

Sources: The Matrix Cookbook (tr(AXBX'C) eq. 117 form, det eq. 49, logdet eq. 57, inverses
eq. 61 and 63, traces eq. 100-122), the seed notes (seed 000: tr(AXBX'C); seed 002:
x'Ax; seed 003: least squares), and the usual ML gradients (logistic regression, softmax
cross-entropy with its P named, the log-sum-exp Hessian diag(p) - p*p').
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import matdiff
from matdiff.evaluate import evaluate
from matdiff.testing import choose_sizes, sample_point


@dataclass(frozen=True)
class Golden:
    expr: str
    wrt: str | list[str]
    declare: list[str] | None
    text: str
    latex: str


GOLDEN: list[Golden] = [
    Golden("tr(A*X*B*X'*C)", 'X', None,
           "A'*C'*X*B' + C*A*X*B",
           'A^{\\top} C^{\\top} X B^{\\top} + C A X B'),
    Golden("x'*A*x", 'x', ['A: matrix(n,n) symmetric'],
           '2*A*x',
           '2 A x'),
    Golden("x'*A*x", 'x', None,
           "(A + A')*x",
           '\\left(A + A^{\\top}\\right) x'),
    Golden("x'*A*x", ['x', 'x'], None,
           "A + A'",
           'A + A^{\\top}'),
    Golden("norm2(X - U*V')^2", 'U', None,
           "-2*(X - U*V')*V",
           '-2 \\left(X - U V^{\\top}\\right) V'),
    Golden("logdet(X'*A*X)", 'X', ['A: matrix(n,n) spd'],
           "2*A*X*inv(X'*A*X)",
           '2 A X \\left(X^{\\top} A X\\right)^{-1}'),
    Golden('det(X)', 'X', None,
           "det(X)*inv(X)'",
           '\\det\\left(X\\right) X^{-\\top}'),
    Golden('logdet(X)', 'X', None,
           "inv(X)'",
           'X^{-\\top}'),
    Golden('tr(inv(X)*A)', 'X', None,
           "-(inv(X)*A*inv(X))'",
           '-\\left(X^{-1} A X^{-1}\\right)^{\\top}'),
    Golden("a'*inv(X)*b", 'X', ['a: vector(n)', 'b: vector(n)'],
           "-inv(X)'*a*b'*inv(X)'",
           '-X^{-\\top} a b^{\\top} X^{-\\top}'),
    Golden("a'*X*b", 'X', ['a: vector(n)', 'b: vector(n)'],
           "a*b'",
           'a b^{\\top}'),
    Golden("a'*X'*b", 'X', ['a: vector(n)', 'b: vector(n)'],
           "b*a'",
           'b a^{\\top}'),
    # logistic regression in the logistic vocabulary (Bishop, PRML eqs. 4.91, 4.97;
    # Murphy, Machine Learning sec. 8.3.1 for y in {-1, 1})
    Golden("sum(log(1 + exp(X*w))) - y'*X*w", 'w', None,
           "X'*(sigmoid(X*w) - y)",
           'X^{\\top} \\left(\\sigma\\left(X w\\right) - y\\right)'),
    Golden("sum(log(1 + exp(X*w))) - y'*X*w", ['w', 'w'], None,
           "X'*diag(s.*(1 - s))*X  where s = sigmoid(X*w)",
           'X^{\\top} \\operatorname{diag}\\left(s \\odot \\left(1 - s\\right)\\right) X'
           '\\quad\\text{where } s = \\sigma\\left(X w\\right)'),
    Golden('sum(log(1 + exp(-y.*(X*w))))', 'w', None,
           "-X'*(y.*(1 - sigmoid(y.*(X*w))))",
           '-X^{\\top} \\left(y \\odot \\left(1 - \\sigma\\left(y \\odot \\left(X w\\right)'
           '\\right)\\right)\\right)'),
    Golden('sum(log(1 + exp(-y.*(X*w))))', ['w', 'w'], None,
           "X'*diag(y.^2 .* s.*(1 - s))*X  where s = sigmoid(y.*(X*w))",
           'X^{\\top} \\operatorname{diag}\\left(y^{\\circ 2} \\odot s \\odot \\left(1 - s\\right)'
           '\\right) X\\quad\\text{where } s = \\sigma\\left(y \\odot \\left(X w\\right)\\right)'),
    Golden("sum(log(exp(X*W)*vector(1))) - tr(Y'*X*W)", 'W', None,
           "X'*(softmax(X*W, 2) - Y)",
           'X^{\\top} \\left(\\operatorname{softmax}\\left(X W, 2\\right) - Y\\right)'),
    Golden("log(sum(exp(W*x))) - y'*W*x", 'W', None,
           "(softmax(W*x) - y)*x'",
           '\\left(\\operatorname{softmax}\\left(W x\\right) - y\\right) x^{\\top}'),
    Golden("log(sum(exp(z))) - y'*z", ['z', 'z'], None,
           "diag(p) - p*p'  where p = softmax(z)",
           '\\operatorname{diag}\\left(p\\right) - p p^{\\top}\\quad\\text{where } p = \\operatorname{softmax}\\left(z\\right)'),
    Golden('exp(x)/sum(exp(x))', 'x', None,
           "diag(p) - p*p'  where p = softmax(x)",
           '\\operatorname{diag}\\left(p\\right) - p p^{\\top}\\quad\\text{where } p = \\operatorname{softmax}\\left(x\\right)'),
    Golden('tr(A*X)', 'X', None,
           "A'",
           'A^{\\top}'),
    Golden("tr(X'*A)", 'X', None,
           'A',
           'A'),
    Golden("tr(X'*A*X)", 'X', ['A: matrix(n,n) symmetric'],
           '2*A*X',
           '2 A X'),
    Golden('tr(X^2)', 'X', None,
           "2*X'",
           '2 X^{\\top}'),
    Golden('tr(A*X*B)', 'X', None,
           "A'*B'",
           'A^{\\top} B^{\\top}'),
    Golden('tr(X^2*B)', 'X', None,
           "(X*B + B*X)'",
           '\\left(X B + B X\\right)^{\\top}'),
    Golden('tr(A*X^2)', 'X', None,
           "(X*A + A*X)'",
           '\\left(X A + A X\\right)^{\\top}'),
    Golden('tr(A*inv(X)*B)', 'X', None,
           "-(inv(X)*B*A*inv(X))'",
           '-\\left(X^{-1} B A X^{-1}\\right)^{\\top}'),
    Golden('det(A*X*B)', 'X', ['A: matrix(n,n)', 'B: matrix(n,n)'],
           "det(A*X*B)*inv(X)'",
           '\\det\\left(A X B\\right) X^{-\\top}'),
    Golden("a'*X*a", 'X', ['a: vector(n)', 'b: vector(n)'],
           "a*a'",
           'a a^{\\top}'),
    Golden("(B*x + b)'*C*(D*x + d)", 'x', ['b: vector(m)', 'd: vector(m)'],
           "B'*C*(D*x + d) + D'*C'*(B*x + b)",
           'B^{\\top} C \\left(D x + d\\right) + D^{\\top} C^{\\top} \\left(B x + b\\right)'),
    Golden('norm2(X*w - y)^2', 'w', None,
           "2*X'*(X*w - y)",
           '2 X^{\\top} \\left(X w - y\\right)'),
    Golden('norm2(X*w - y)^2 + c*norm2(w)^2', 'w', None,
           "2*(X'*(X*w - y) + c*w)",
           '2 \\left(X^{\\top} \\left(X w - y\\right) + c w\\right)'),
    Golden('norm2(x - a)', 'x', ['a: vector(n)', 'b: vector(n)'],
           '(x - a)/norm2(x - a)',
           '\\frac{x - a}{\\left\\| x - a \\right\\|_2}'),
    Golden('norm2(x)^2', 'x', None,
           '2*x',
           '2 x'),
    Golden("a'*x", 'x', ['a: vector(n)', 'b: vector(n)'],
           'a',
           'a'),
    Golden('A*x', 'x', None,
           'A',
           'A'),
    Golden('sum(exp(x))', 'x', None,
           'exp(x)',
           '\\exp\\left(x\\right)'),
    Golden('tanh(W*x)', 'x', None,
           'diag(1 - tanh(W*x).^2)*W',
           '\\operatorname{diag}\\left(1 - \\tanh\\left(W x\\right)^{\\circ 2}\\right) W'),
    Golden('norm2(W2*tanh(W1*x) - y)^2', 'W1', None,
           "2*((1 - tanh(W1*x).^2).*(W2'*(W2*tanh(W1*x) - y)))*x'",
           '2 \\left(\\left(1 - \\tanh\\left(W_{1} x\\right)^{\\circ 2}\\right) \\odot \\left(W_{2}^{\\top} \\left(W_{2} \\tanh\\left(W_{1} x\\right) - y\\right)\\right)\\right) x^{\\top}'),
    Golden('det(A + c*B)', 'c', None,
           'det(A + c*B)*tr(inv(A + c*B)*B)',
           '\\det\\left(A + c B\\right) \\operatorname{tr}\\left(\\left(A + c B\\right)^{-1} B\\right)'),
    Golden('det(A + c*B + c^2*C)', 'c', None,
           'det(P)*tr(inv(P)*(B + 2*c*C))  where P = A + c*B + c^2*C',
           '\\det\\left(P\\right) \\operatorname{tr}\\left(P^{-1} \\left(B + 2 c C\\right)\\right)\\quad\\text{where } P = A + c B + c^{2} C'),
    Golden('tr(inv(A + c*B))', 'c', None,
           '-tr(inv(A + c*B)*B*inv(A + c*B))',
           '-\\operatorname{tr}\\left(\\left(A + c B\\right)^{-1} B \\left(A + c B\\right)^{-1}\\right)'),
    Golden('logdet(X) + tr(S*inv(X))', 'X', ['S: matrix(n,n) symmetric'],
           "inv(X)' - inv(X)'*S*inv(X)'",
           'X^{-\\top} - X^{-\\top} S X^{-\\top}'),
    Golden("x'*inv(S)*x", 'S', ['S: matrix(n,n) symmetric'],
           "-inv(S)*x*x'*inv(S)",
           '-S^{-1} x x^{\\top} S^{-1}'),
    Golden('norm2(A*X - B)^2', 'X', None,
           "2*A'*(A*X - B)",
           '2 A^{\\top} \\left(A X - B\\right)'),
    Golden("tr(X'*X)", 'X', None,
           '2*X',
           '2 X'),
    Golden("(x'*a)^2", 'x', ['a: vector(n)', 'b: vector(n)'],
           "2*a*a'*x",
           '2 a a^{\\top} x'),
    Golden("x'*B'*B*x / (x'*C'*C*x)", 'x', None,
           "2*(B'*B/c - (x'*B'*B*x)*C'*C/c^2)*x  where c = x'*C'*C*x",
           '2 \\left(\\frac{B^{\\top} B}{c} - \\frac{\\left(x^{\\top} B^{\\top} B x\\right) C^{\\top} C}{c^{2}}\\right) x\\quad\\text{where } c = x^{\\top} C^{\\top} C x'),
    Golden('A*X*B', 'X', None,
           'd(A*X*B)_ij / dX_kl = A_ik B_lj',
           '\\frac{\\partial (A X B)_{ij}}{\\partial X_{kl}} = A_{ik} B_{lj}'),
]


def _id(g: Golden) -> str:
    wrt = g.wrt if isinstance(g.wrt, str) else ",".join(g.wrt)
    return f"d({g.expr})/d{wrt}"


def test_at_least_forty_forms() -> None:
    assert len(GOLDEN) >= 40
    assert len({(g.expr, str(g.wrt), str(g.declare)) for g in GOLDEN}) == len(GOLDEN)


@pytest.mark.parametrize("g", GOLDEN, ids=_id)
def test_printed_form(g: Golden) -> None:
    d = matdiff.derivative(g.expr, g.wrt, declare=g.declare)
    assert d.text == g.text
    assert d.latex == g.latex
    check = d.check(points=1)
    assert check.ok, f"{d.text}: {check}"


def test_named_parts_are_what_they_stand_for() -> None:
    """The where list's definitions, evaluated in order and substituted into the main
    expression, give the value of the one-expression form."""
    named = 0
    for g in GOLDEN:
        d = matdiff.derivative(g.expr, g.wrt, declare=g.declare)
        if d.where is None or not d.where.definitions:
            continue
        named += 1
        rng = np.random.default_rng(3)
        assert d.result is not None
        sizes = choose_sizes([d.function, d.result], rng)
        env: dict[str, np.ndarray] = dict(sample_point(d.function, d.variables, sizes, rng))
        whole = evaluate(d.result, env, sizes)
        for name, node in d.where.definitions:
            env[name] = evaluate(node, env, sizes)
        np.testing.assert_allclose(evaluate(d.where.main, env, sizes), whole,
                                   rtol=1e-9, atol=1e-12)
    assert named >= 5
