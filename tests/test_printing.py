"""The text and LaTeX printers: snapshots over hand-built expressions, covering every op
and every kind of parenthesisation; the text form reads back to the same value."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from matdiff.evaluate import evaluate
from matdiff.ir import OPS, Node
from matdiff.ir import build as b
from matdiff.ir import reductions as red
from matdiff.ir.numbers import finite_decimal
from matdiff.printing import latex, text, to_latex, to_text
from matdiff.printing.latex import latex_name
from matdiff.shapes import SCALAR, Dim, complete_sizes, matrix, row, vector

a, c, d = b.var("a", SCALAR), b.var("c", SCALAR), b.var("b", SCALAR)
x, y, w = b.var("x", vector("n")), b.var("y", vector("n")), b.var("w", vector("n"))
z = b.var("z", vector("m"))
A, B, C = (b.var(s, matrix("n", "n")) for s in "ABC")
X = b.var("X", matrix("n", "n"))
M = b.var("M", matrix("m", "n"))
dX = b.differential("X", matrix("n", "n"))
T, neg, sub = b.transpose, b.neg, b.sub


def k(v: int | Fraction) -> Node:
    return b.const(v)


def f(name: str, arg: Node) -> Node:
    return b.apply(name, arg)


def ones(kind: str, value: int | Fraction = 1) -> Node:
    shape = {"v": vector("n"), "r": row("n"), "m": matrix("n", "n")}[kind]
    return b.fill(value, shape)


def inv_pow(s: Node, e: int | Fraction) -> Node:
    return b.power(s, k(-e))


# (expression, text, LaTeX)
CASES: list[tuple[Node, str, str]] = [
    # sums and products
    (b.add(b.mul(T(A), T(C), X, T(B)), b.mul(C, A, X, B)),
     "A'*C'*X*B' + C*A*X*B", r"A^{\top} C^{\top} X B^{\top} + C A X B"),
    (sub(b.mul(X, w), y), "X*w - y", "X w - y"),
    (sub(A, b.mul(k(2), B)), "A - 2*B", "A - 2 B"),
    (b.add(a, k(-3)), "a - 3", "a - 3"),
    (b.add(k(-3), a), "-3 + a", "-3 + a"),
    (sub(a, b.add(c, d)), "a - (c + b)", r"a - \left(c + b\right)"),
    (b.add(x, neg(b.add(y, w))), "x - (y + w)", r"x - \left(y + w\right)"),
    (neg(b.mul(A, x)), "-A*x", "-A x"),
    (neg(x), "-x", "-x"),
    (b.mul(k(-2), x), "-2*x", "-2 x"),
    (b.mul(k(2), T(X), sub(b.mul(X, w), y)), "2*X'*(X*w - y)",
     r"2 X^{\top} \left(X w - y\right)"),
    (b.mul(k(2), x, inv_pow(c, 1)), "2*x/c", r"\frac{2 x}{c}"),
    (b.mul(k(2), a, inv_pow(c, 1)), "2*a/c", r"\frac{2 a}{c}"),
    (b.mul(x, inv_pow(b.mul(a, d), 1)), "x/(a*b)", r"\frac{x}{a b}"),
    (b.mul(a, inv_pow(c, 1), inv_pow(d, 1)), "a/c/b", r"\frac{a}{c b}"),
    (b.mul(k(1), inv_pow(a, 1)), "1/a", r"\frac{1}{a}"),
    (b.mul(k(1), inv_pow(a, 2)), "1/a^2", r"\frac{1}{a^{2}}"),
    (b.mul(k(-1), inv_pow(a, 1)), "-1/a", r"-\frac{1}{a}"),
    (b.sub(c, b.mul(a, inv_pow(d, 1))), "c - a/b", r"c - \frac{a}{b}"),
    # divisors go last (scaling commutes; the simplifier orders scalar factors)
    (b.mul(k(2), inv_pow(c, 1), x), "2*x/c", r"\frac{2 x}{c}"),
    (b.mul(inv_pow(c, 1), x), "x/c", r"\frac{x}{c}"),
    (b.mul(k(-1), inv_pow(c, 1), a), "-a/c", r"-\frac{a}{c}"),
    (b.mul(a, inv_pow(c, 1), x, inv_pow(d, 2)), "a*x/c/b^2", r"\frac{a x}{c b^{2}}"),
    (b.mul(A, b.mul(T(x), y)), "A*(x'*y)", r"A \left(x^{\top} y\right)"),
    (b.mul(k(2), b.mul(T(x), w), w), "2*(x'*w)*w", r"2 \left(x^{\top} w\right) w"),
    (b.mul(b.mul(T(x), y), A), "(x'*y)*A", r"x^{\top} y A"),
    (neg(b.mul(b.mul(T(x), y), A)), "-(x'*y)*A", r"-\left(x^{\top} y\right) A"),
    (b.sub(a, b.mul(T(x), y)), "a - x'*y", r"a - x^{\top} y"),
    (b.mul(k(Fraction(1, 2)), x), "0.5*x", r"\frac{1}{2} x"),
    (b.mul(k(Fraction(1, 3)), a), "(1/3)*a", r"\frac{a}{3}"),
    (b.mul(k(Fraction(-1, 3)), x), "-(1/3)*x", r"-\frac{1}{3} x"),
    (b.mul(k(Fraction(2, 3)), x, inv_pow(c, 1)), "(2/3)*x/c", r"\frac{2 x}{3 c}"),
    (b.mul(k(2), k(3)), "2*3", r"2 \cdot 3"),
    (b.mul(a, k(-2)), "a*(-2)", r"a \left(-2\right)"),
    (b.mul(A, neg(x)), "A*(-1)*x", r"A \left(-1\right) x"),  # b.mul flattens -x
    (b.mul(x, T(y)), "x*y'", r"x y^{\top}"),
    (b.mul(k(1), x), "1*x", "x"),
    (b.mul(k(-1), k(-1), x), "-(-1)*x", r"-\left(-1\right) x"),
    # numbers
    (k(2), "2", "2"),
    (k(Fraction(-1, 4)), "-0.25", r"-\frac{1}{4}"),
    (k(Fraction(1, 3)), "1/3", r"\frac{1}{3}"),
    (k(Fraction(1, 8192)), "1/8192", r"\frac{1}{8192}"),
    # powers
    (b.power(a, k(Fraction(1, 3))), "a^(1/3)", r"a^{\frac{1}{3}}"),
    (b.power(a, k(-1)), "a^-1", "a^{-1}"),
    (b.power(a, k(Fraction(-1, 2))), "a^-0.5", r"a^{-\frac{1}{2}}"),
    (b.power(a, neg(c)), "a^(-c)", "a^{-c}"),
    (b.power(a, b.power(c, d)), "a^c^b", "a^{c^{b}}"),
    (b.power(b.power(a, c), d), "(a^c)^b", r"\left(a^{c}\right)^{b}"),
    (neg(b.power(a, k(2))), "-a^2", "-a^{2}"),
    (b.power(neg(a), k(2)), "(-a)^2", r"\left(-a\right)^{2}"),
    (b.power(k(-2), a), "(-2)^a", r"\left(-2\right)^{a}"),
    (b.power(b.mul(a, c), k(2)), "(a*c)^2", r"\left(a c\right)^{2}"),
    (b.power(b.mul(T(x), y), k(2)), "(x'*y)^2", r"\left(x^{\top} y\right)^{2}"),
    (b.power(f("norm2", sub(b.mul(X, w), y)), k(2)), "norm2(X*w - y)^2",
     r"\left\| X w - y \right\|_2^{2}"),
    (b.power(x, ones("v", 2)), "x.^2", r"x^{\circ 2}"),
    (b.power(ones("v", 2), x), "2 .^ x", r"2^{\circ x}"),
    (b.power(x, y), "x.^y", r"x^{\circ y}"),
    (b.power(T(x), ones("r", 2)), "x'.^2", r"\left(x^{\top}\right)^{\circ 2}"),
    (b.power(x, ones("v", -1)), "x.^-1", r"x^{\circ -1}"),
    (b.matpow(X, 3), "X^3", "X^{3}"),
    (b.matpow(X, -1), "X^-1", "X^{-1}"),
    (b.matpow(b.mul(A, B), 2), "(A*B)^2", r"\left(A B\right)^{2}"),
    (b.matpow(T(A), 2), "A'^2", r"\left(A^{\top}\right)^{2}"),
    # transposes
    (T(b.mul(A, B)), "(A*B)'", r"\left(A B\right)^{\top}"),
    (T(f("inv", X)), "inv(X)'", r"X^{-\top}"),
    (T(f("inv", b.mul(A, B))), "inv(A*B)'", r"\left(A B\right)^{-\top}"),
    (f("inv", X), "inv(X)", "X^{-1}"),
    (T(x), "x'", r"x^{\top}"),
    (T(T(X)), "X''", r"\left(X^{\top}\right)^{\top}"),
    (T(b.matpow(X, 2)), "(X^2)'", r"\left(X^{2}\right)^{\top}"),
    (T(neg(X)), "(-X)'", r"\left(-X\right)^{\top}"),
    (T(f("exp", X)), "exp(X)'", r"\exp\left(X\right)^{\top}"),
    # elementwise products and quotients
    (b.hadamard(b.mul(A, x), y), "(A*x).*y", r"\left(A x\right) \odot y"),
    (b.hadamard(x, b.mul(A, y)), "x.*(A*y)", r"x \odot \left(A y\right)"),
    (b.hadamard(x, y, w), "x.*y.*w", r"x \odot y \odot w"),
    (b.hadamard(neg(x), y), "-x.*y", r"-x \odot y"),
    (b.hadamard(x, neg(y)), "x.*(-y)", r"x \odot \left(-y\right)"),
    (b.hadamard(x, b.ediv(y, w)), "x.*(y./w)", r"x \odot \left(y \oslash w\right)"),
    (b.ediv(ones("v"), x), "1 ./ x", r"1 \oslash x"),
    (b.ediv(x, ones("v", 2)), "x./2", r"x \oslash 2"),
    (b.ediv(b.ediv(x, y), w), "x./y./w", r"x \oslash y \oslash w"),
    (b.ediv(x, b.ediv(y, w)), "x./(y./w)", r"x \oslash \left(y \oslash w\right)"),
    (b.ediv(b.hadamard(x, y), w), "(x.*y)./w", r"\left(x \odot y\right) \oslash w"),
    (b.ediv(b.add(x, y), w), "(x + y)./w", r"\left(x + y\right) \oslash w"),
    (b.mul(A, b.hadamard(x, y)), "A*(x.*y)", r"A \left(x \odot y\right)"),
    (b.mul(b.hadamard(A, B), x), "(A.*B)*x", r"\left(A \odot B\right) x"),
    # constants and broadcasts
    (b.add(ones("v"), f("exp", x)), "1 + exp(x)", r"1 + \exp\left(x\right)"),
    (b.add(x, ones("v", -1)), "x - 1", "x - 1"),
    (b.add(x, ones("v", Fraction(1, 3))), "x + 1/3", r"x + \frac{1}{3}"),
    # a constant alone prints its size: nothing else in the text fixes it (issue 15)
    (ones("v"), "ones(n)", r"\mathbf{1}_{n}"),
    (ones("r", Fraction(1, 2)), "ones(n)'/2", r"\frac{1}{2} \mathbf{1}_{n}^{\top}"),
    (ones("r"), "ones(n)'", r"\mathbf{1}_{n}^{\top}"),
    (ones("m", -2), "-2*ones(n, n)", r"-2 \mathbf{1}_{n \times n}"),
    (ones("m", 0), "zeros(n, n)", r"\mathbf{0}_{n \times n}"),
    (b.mul(A, ones("v")), "sum(A, 2)", r"A \mathbf{1}"),
    (b.hadamard(ones("v", 3), x), "vector(3).*x", r"\left(3 \mathbf{1}\right) \odot x"),
    (b.eye("n"), "eye(n)", "I_{n}"),
    (b.add(X, b.mul(k(3), b.eye("n"))), "X + 3*eye", "X + 3 I"),
    (b.broadcast(a, vector("n")), "a*ones(n)", r"a \mathbf{1}_{n}"),
    (b.broadcast(b.add(a, c), row("n")), "(a + c)*ones(n)'",
     r"\left(a + c\right) \mathbf{1}_{n}^{\top}"),
    (b.broadcast(b.mul(a, c), matrix("n", "n")), "a*c*ones(n, n)", r"a c \mathbf{1}_{n \times n}"),
    (b.mul(T(x), b.broadcast(a, vector("n"))), "x'*(a*vector(1))",
     r"x^{\top} \left(a \mathbf{1}\right)"),
    # a sum of broadcast scalars is not a scalar: one term says which matrix it is
    (b.add(b.broadcast(a, vector("n")), ones("v", 2)), "a*ones(n) + 2",
     r"a \mathbf{1}_{n} + 2"),
    (b.add(x, b.broadcast(a, vector("n"))), "x + a", "x + a"),
    (b.add(x, b.broadcast(neg(a), vector("n"))), "x - a", "x - a"),
    (b.ediv(b.broadcast(b.add(a, c), vector("n")), x), "(a + c)./x",
     r"\left(a + c\right) \oslash x"),
    (b.power(x, b.broadcast(a, vector("n"))), "x.^a", r"x^{\circ a}"),
    # functions
    (f("tr", b.mul(A, X, B)), "tr(A*X*B)", r"\operatorname{tr}\left(A X B\right)"),
    (f("det", X), "det(X)", r"\det\left(X\right)"),
    (f("logdet", X), "logdet(X)", r"\log\det\left(X\right)"),
    (f("log", f("det", X)), "log(det(X))", r"\log\left(\det\left(X\right)\right)"),
    (f("sum", x), "sum(x)", r"\operatorname{sum}\left(x\right)"),
    (f("norm1", x), "norm1(x)", r"\left\| x \right\|_1"),
    (f("diagm", x), "diag(x)", r"\operatorname{diag}\left(x\right)"),
    (f("diagv", X), "diag(X)", r"\operatorname{diag}\left(X\right)"),
    (f("sqrt", x), "sqrt(x)", r"\sqrt{x}"),
    (f("abs", x), "abs(x)", r"\left| x \right|"),
    (f("sin", x), "sin(x)", r"\sin\left(x\right)"),
    (f("arccos", x), "arccos(x)", r"\arccos\left(x\right)"),
    *[(f(g, x), f"{g}(x)", rf"\{g}\left(x\right)")
      for g in ("cos", "tan", "arcsin", "arctan", "sinh", "cosh")],
    (f("tanh", x), "tanh(x)", r"\tanh\left(x\right)"),
    (f("relu", x), "relu(x)", r"\operatorname{relu}\left(x\right)"),
    (f("step", x), "step(x)", r"\operatorname{step}\left(x\right)"),
    (f("sign", x), "sign(x)", r"\operatorname{sign}\left(x\right)"),
    # sigmoid, softplus: the logistic sigma (Bishop, PRML eq. 4.59)
    (f("sigmoid", x), "sigmoid(x)", r"\sigma\left(x\right)"),
    (f("softplus", x), "softplus(x)", r"\operatorname{softplus}\left(x\right)"),
    (b.hadamard(f("sigmoid", x), b.sub(b.fill(1, x.shape), f("sigmoid", x))),
     "sigmoid(x).*(1 - sigmoid(x))",
     r"\sigma\left(x\right) \odot \left(1 - \sigma\left(x\right)\right)"),
    (b.mul(k(2), f("exp", a)), "2*exp(a)", r"2 \exp\left(a\right)"),
    (b.mul(f("exp", a), k(2)), "exp(a)*2", r"\exp\left(a\right) \cdot 2"),
    # differentials
    (b.mul(A, dX, B), "A*dX*B", r"A \mathrm{d}X B"),
    (f("tr", b.mul(f("inv", X), dX)), "tr(inv(X)*dX)",
     r"\operatorname{tr}\left(X^{-1} \mathrm{d}X\right)"),
    (b.mul(T(M), z, T(z), M), "M'*z*z'*M", r"M^{\top} z z^{\top} M"),
    # reduce: sums and means by dimension, logsumexp, softmax (forms written by hand)
    (red.sum_dim(M, 1), "sum(M, 1)", r"\mathbf{1}^{\top} M"),
    (red.sum_dim(b.mul(M, X), 2), "sum(M*X, 2)", r"M X \mathbf{1}"),
    (b.mul(k(2), red.sum_dim(T(M), 2)), "2*sum(M, 1)'", r"2 M^{\top} \mathbf{1}"),
    (red.mean(M, 2), "sum(M, 2)/sum(ones(n))", r"\frac{M \mathbf{1}}{n}"),
    (red.mean(M, 0), "sum(M)/(sum(ones(m))*sum(ones(n)))",
     r"\frac{\operatorname{sum}\left(M\right)}{m n}"),
    (red.logsumexp(x, 0), "logsumexp(x)", r"\operatorname{logsumexp}\left(x\right)"),
    (red.logsumexp(M, 0), "logsumexp(M)", r"\operatorname{logsumexp}\left(M\right)"),
    (red.logsumexp(b.mul(M, X), 2), "logsumexp(M*X, 2)",
     r"\operatorname{logsumexp}\left(M X, 2\right)"),
    (T(red.logsumexp(M, 1)), "logsumexp(M, 1)'",
     r"\operatorname{logsumexp}\left(M, 1\right)^{\top}"),
    (red.softmax(x, 0), "softmax(x)", r"\operatorname{softmax}\left(x\right)"),
    (sub(red.softmax(b.mul(M, X), 2), M), "softmax(M*X, 2) - M",
     r"\operatorname{softmax}\left(M X, 2\right) - M"),
    (b.mul(T(M), red.softmax(M, 1)), "M'*softmax(M, 1)",
     r"M^{\top} \operatorname{softmax}\left(M, 1\right)"),
    # implicit expansion: bare where the parser expands the vector again, else its value
    # v*1' (a column across the columns) or 1*r (a row down the rows) with the size
    (b.add(M, b.expand(z, matrix("m", "n"))), "M + z", "M + z"),
    (b.add(b.expand(z, matrix("m", "n")), M), "z + M", "z + M"),
    (b.add(M, neg(b.expand(z, matrix("m", "n")))), "M - z", "M - z"),
    (b.add(M, b.expand(T(x), matrix("m", "n"))), "M + x'", r"M + x^{\top}"),
    (b.hadamard(M, b.expand(T(x), matrix("m", "n"))), "M.*x'", r"M \odot x^{\top}"),
    (b.hadamard(b.expand(z, matrix("m", "n")), M), "z.*M", r"z \odot M"),
    (b.ediv(M, b.expand(z, matrix("m", "n"))), "M./z", r"M \oslash z"),
    (b.ediv(b.expand(z, matrix("m", "n")), M), "z./M", r"z \oslash M"),
    (b.power(M, b.expand(z, matrix("m", "n"))), "M.^z", r"M^{\circ z}"),
    (b.add(M, b.expand(b.add(z, z), matrix("m", "n"))), "M + (z + z)",
     r"M + \left(z + z\right)"),
    (b.add(M, b.expand(b.mul(M, x), matrix("m", "n"))), "M + M*x", "M + M x"),
    (b.expand(z, matrix("m", "n")), "z*ones(n)'", r"z \mathbf{1}_{n}^{\top}"),
    (b.expand(T(x), matrix("m", "n")), "ones(m)*x'", r"\mathbf{1}_{m} x^{\top}"),
    (b.expand(b.mul(M, x), matrix("m", "n")), "M*x*ones(n)'", r"M x \mathbf{1}_{n}^{\top}"),
    # a scaled expansion is a term s*v of a sum (the parser expands s*v), else explicit
    (b.add(M, b.mul(k(2), b.expand(z, matrix("m", "n")))), "M + 2*z", "M + 2 z"),
    (b.add(M, b.mul(k(-2), b.expand(z, matrix("m", "n")))), "M - 2*z", "M - 2 z"),
    (b.add(b.mul(a, b.expand(z, matrix("m", "n"))), M), "a*z + M", "a z + M"),
    (b.power(b.mul(a, b.expand(z, matrix("m", "n"))), b.fill(2, matrix("m", "n"))),
     "(a*(z*ones(n)')).^2", r"\left(a \left(z \mathbf{1}_{n}^{\top}\right)\right)^{\circ 2}"),
    # a column and a row both expanded: the first prints its expansion
    (b.add(b.expand(z, matrix("m", "n")), b.expand(T(x), matrix("m", "n"))),
     "z*ones(n)' + x'", r"z \mathbf{1}_{n}^{\top} + x^{\top}"),
    (b.add(b.expand(z, matrix("m", "n")), b.expand(z, matrix("m", "n"))),
     "z*ones(n)' + z*ones(n)'", r"z \mathbf{1}_{n}^{\top} + z \mathbf{1}_{n}^{\top}"),
    (b.mul(T(M), b.expand(z, matrix("m", "n"))), "M'*(z*ones(n)')",
     r"M^{\top} \left(z \mathbf{1}_{n}^{\top}\right)"),
]

# kron, vec, reshape, pinv, adj: as The Matrix Cookbook writes them (sec. 10.2: A ⊗ B
# binds looser than a product, AC ⊗ BD; sec. 3.6: the pseudo-inverse A^+)
CASES += [
    (b.kron(A, B), "kron(A, B)", r"A \otimes B"),
    (b.mul(b.kron(A, B), b.kron(C, X)), "kron(A, B)*kron(C, X)",
     r"\left(A \otimes B\right) \left(C \otimes X\right)"),
    (b.kron(b.mul(A, B), C), "kron(A*B, C)", r"A B \otimes C"),
    (b.kron(b.add(A, B), C), "kron(A + B, C)", r"\left(A + B\right) \otimes C"),
    (b.kron(A, T(b.kron(x, z))), "kron(A, kron(x, z)')",
     r"A \otimes \left(x \otimes z\right)^{\top}"),
    (b.vec(X), "vec(X)", r"\operatorname{vec}\left(X\right)"),
    (b.mul(T(b.vec(X)), b.kron(A, B), b.vec(X)), "vec(X)'*kron(A, B)*vec(X)",
     r"\operatorname{vec}\left(X\right)^{\top} \left(A \otimes B\right) "
     r"\operatorname{vec}\left(X\right)"),
    (b.reshape(b.mul(b.kron(A, B), b.vec(X)), matrix("n", "n")),
     "reshape(kron(A, B)*vec(X), n, n)",
     r"\operatorname{reshape}\left(\left(A \otimes B\right) \operatorname{vec}\left(X\right), "
     r"n, n\right)"),
    (b.reshape(b.vec(M), matrix("n", "m")), "reshape(vec(M), n, m)",
     r"\operatorname{reshape}\left(\operatorname{vec}\left(M\right), n, m\right)"),
    (f("pinv", M), "pinv(M)", "M^{+}"),
    (T(f("pinv", M)), "pinv(M)'", r"\left(M^{+}\right)^{\top}"),
    (b.mul(f("pinv", M), M), "pinv(M)*M", "M^{+} M"),
    (f("adj", X), "adj(X)", r"\operatorname{adj}\left(X\right)"),
]


IDS = [txt for _, txt, _ in CASES]


@pytest.mark.parametrize(("expr", "txt", "tex"), CASES, ids=IDS)
def test_text(expr: Node, txt: str, tex: str) -> None:
    assert to_text(expr) == txt


@pytest.mark.parametrize(("expr", "txt", "tex"), CASES, ids=IDS)
def test_latex(expr: Node, txt: str, tex: str) -> None:
    assert to_latex(expr) == tex


def test_every_op_has_a_row_and_a_precedence_in_each_printer() -> None:
    for module in (text, latex):
        assert set(module.ROWS) == set(OPS), module.__name__
        assert set(module.PRECEDENCE) == set(OPS), module.__name__
    covered = {n.op for e, _, _ in CASES for n in e.walk()}
    assert covered == set(OPS), f"no printing case for {set(OPS) - covered}"


def test_finite_decimals() -> None:
    assert finite_decimal(Fraction(5, 2)) == "2.5"
    assert finite_decimal(Fraction(-1, 20)) == "-0.05"
    assert finite_decimal(Fraction(7)) == "7"
    assert finite_decimal(Fraction(3, 1000)) == "0.003"
    assert finite_decimal(Fraction(1, 6)) is None
    assert finite_decimal(Fraction(1, 2**20)) is None  # too many places


def test_latex_names() -> None:
    assert latex_name("x") == "x"
    assert latex_name("alpha") == r"\alpha"
    assert latex_name("W1") == "W_{1}"
    assert latex_name("W_12") == "W_{12}"
    assert latex_name("x_hat") == r"x_{\mathit{hat}}"
    assert latex_name("loss") == r"\mathit{loss}"
    assert to_latex(b.mul(b.var("sigma2", SCALAR), b.var("x_0", vector("n")))) == (
        r"\sigma_{2} x_{0}")


def test_deep_expression_prints_without_deep_recursion() -> None:
    e = x
    for _ in range(3000):
        e = f("sin", b.mul(k(2), e))
    assert to_text(e) == "sin(2*" * 3000 + "x" + ")" * 3000
    assert to_latex(e) == r"\sin\left(2 " * 3000 + "x" + r"\right)" * 3000


# --- reading back (numerically) once the parser exists --------------------------------

_parse_module = importlib.import_module("matdiff.parse")
_parse: Callable[..., Any] | None = getattr(_parse_module, "parse", None)

DECLARE = ["a: scalar", "b: scalar", "c: scalar", "x: vector(n)", "y: vector(n)",
           "w: vector(n)", "z: vector(m)", "A: matrix(n, n)", "B: matrix(n, n)",
           "C: matrix(n, n)", "X: matrix(n, n)", "M: matrix(m, n)"]


@pytest.mark.skipif(_parse is None, reason="the parser is not available yet")
@pytest.mark.parametrize(("expr", "txt", "tex"),
                         [cs for cs in CASES if "dX" not in cs[1]],
                         ids=[i for i in IDS if "dX" not in i])
def test_text_reads_back_to_the_same_value(expr: Node, txt: str, tex: str) -> None:
    assert _parse is not None
    parsed = _parse(txt, DECLARE).expr
    rng = np.random.default_rng(3)
    n, m = 4, 3
    env: dict[str, Any] = {"a": 1.3, "b": 0.7, "c": 1.9, "x": rng.uniform(0.5, 2, n),
           "y": rng.uniform(0.5, 2, n), "w": rng.uniform(0.5, 2, n),
           "z": rng.uniform(0.5, 2, m), "M": rng.standard_normal((m, n)),
           **{s: np.eye(n) + 0.2 * rng.standard_normal((n, n)) for s in "ABCX"}}
    sizes: dict[Dim, int] = {"n": n, "m": m}
    complete_sizes(sizes, expr.shape.dims)  # kron, vec: products such as n*n
    # A constant alone (vector(1), eye) gets an unnamed dimension from the parser.
    for mine, theirs in zip(expr.shape.dims, parsed.shape.dims, strict=True):
        sizes[theirs] = sizes[mine]
    np.testing.assert_allclose(evaluate(parsed, env, sizes), evaluate(expr, env, sizes),
                               rtol=1e-10, equal_nan=True)
