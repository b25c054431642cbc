"""Support for ``test_simplify.py`` (not a test module): readable failure messages, a
small independent NumPy evaluator (every value a 2-D array: scalar 1x1, vector n x 1),
values respecting the variables' declarations, and a seeded generator of well-typed
random expressions over every op."""

from __future__ import annotations

import random
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import scipy.special

from matdiff.ir import ELEMENTWISE_FUNCTIONS, Node
from matdiff.ir import build as b
from matdiff.shapes import SCALAR, Shape, matrix, row, vector
from matdiff.simplify import Rewrite, present, simplify

T = b.transpose
F = b.apply
n, m = "n", "m"
SIZES = {n: 3, m: 2}


# --- a readable s-expression for failure messages --------------------------------------

def sexp(e: Node) -> str:
    if e.op == "var":
        return str(e.attrs[0])
    if e.op == "differential":
        return f"d{e.attrs[0]}"
    if e.op == "const":
        return str(e.attrs[0])
    if e.op == "fill":
        return f"[{e.attrs[0]}]{e.shape.describe()}"
    if e.op == "eye":
        return "I"
    if e.op == "transpose":
        return sexp(e.args[0]) + "'"
    inner = " ".join(sexp(a) for a in e.args)
    extra = "".join(f" :{a}" for a in e.attrs)
    return f"({e.op} {inner}{extra})"


def same(got: Node, want: Node) -> None:
    assert got is want, f"\n got:  {sexp(got)}\n want: {sexp(want)}"


def fired(e: Node, **kw: int) -> tuple[Node, list[str]]:
    rec: list[Rewrite] = []
    out = present(simplify(e, record=rec, **kw), record=rec)
    return out, [r.rule for r in rec]


# --- a small NumPy evaluator: every value is a 2-D array (scalar 1x1, vector n x 1) ---

def _size(d: object) -> int:
    if d is None:
        return 1
    return d if isinstance(d, int) else SIZES[str(d)]


def _dims(s: Shape) -> tuple[int, int]:
    return _size(s.rows), _size(s.cols)


_UNARY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "abs": np.abs, "sign": np.sign,
    "relu": lambda a: np.maximum(a, 0.0), "step": lambda a: (a > 0).astype(float),
    # sigmoid, softplus: SciPy's logistic and NumPy's log(exp(0) + exp(a))
    "sigmoid": scipy.special.expit, "softplus": lambda a: np.logaddexp(0.0, a),
}
assert set(_UNARY) == set(ELEMENTWISE_FUNCTIONS)


class Evaluator:
    """Evaluates a node on named values; ``peak`` is the largest intermediate magnitude
    (rounding errors scale with it, so comparisons use it as the tolerance's scale)."""

    def __init__(self, env: dict[str, np.ndarray]):
        self.env = env
        self.memo: dict[Node, np.ndarray] = {}
        self.peak = 1.0

    def __call__(self, e: Node) -> np.ndarray:
        got = self.memo.get(e)
        if got is None:
            got = self._eval(e, [self(a) for a in e.args])
            with np.errstate(all="ignore"):
                finite = got[np.isfinite(got)]
            if finite.size:
                self.peak = max(self.peak, float(np.abs(finite).max()))
            self.memo[e] = got
        return got

    def _eval(self, e: Node, v: list[np.ndarray]) -> np.ndarray:
        op = e.op
        with np.errstate(all="ignore"):
            if op in ("var", "differential"):
                return self.env[("d" if op == "differential" else "") + str(e.attrs[0])]
            if op == "const":
                return np.array([[float(e.attrs[0])]])
            if op == "fill":
                return np.full(_dims(e.shape), float(e.attrs[0]))
            if op == "eye":
                return np.eye(_size(e.shape.rows))
            if op == "add":
                return sum(v[1:], v[0])
            if op == "mul":
                scale, chain = 1.0, None
                for arg, val in zip(e.args, v, strict=True):
                    if arg.shape.is_scalar:
                        scale = scale * val.item()
                    else:
                        chain = val if chain is None else chain @ val
                return scale * (chain if chain is not None else np.ones((1, 1)))
            if op == "hadamard":
                out = v[0]
                for val in v[1:]:
                    out = out * val
                return out
            if op == "ediv":
                return v[0] / v[1]
            if op == "power":
                return np.power(v[0], v[1])
            if op == "matpow":
                return np.linalg.matrix_power(v[0], e.attrs[0])
            if op == "transpose":
                return v[0].T
            if op == "broadcast":
                return np.full(_dims(e.shape), v[0].item())
            if op == "expand":  # a (k, 1) column or (1, k) row, repeated
                return np.broadcast_to(v[0], _dims(e.shape)).copy()
            if op == "sum":
                return np.array([[v[0].sum()]])
            if op == "norm1":
                return np.array([[np.abs(v[0]).sum()]])
            if op == "norm2":
                return np.array([[np.sqrt((v[0] ** 2).sum())]])
            if op == "tr":
                return np.array([[np.trace(v[0])]])
            if op == "det":
                return np.array([[np.linalg.det(v[0])]])
            if op == "logdet":
                return np.array([[np.log(np.linalg.det(v[0]))]])
            if op == "inv":
                return np.linalg.inv(v[0])
            if op == "diagm":
                return np.diag(v[0].ravel())
            if op == "diagv":
                return np.diag(v[0]).reshape(-1, 1)
            if op == "vec":  # column-major, as MATLAB and the Cookbook stack columns
                return v[0].reshape(-1, 1, order="F")
            if op == "reshape":
                return v[0].reshape(-1, order="F").reshape(_dims(e.shape), order="F")
            if op == "kron":
                return np.kron(v[0], v[1])
            if op in ("logsumexp", "softmax"):  # axis None: every entry of a 2-D value
                axis = {0: None, 1: 0, 2: 1}[e.attrs[0]]
                top = np.max(v[0], axis=axis, keepdims=True)
                exps = np.exp(v[0] - top)
                total = np.sum(exps, axis=axis, keepdims=True)
                return top + np.log(total) if op == "logsumexp" else exps / total
            return _UNARY[op](v[0])


# --- the variables of the random corpus, and values respecting their declarations -------

S_SYM = b.var("S", matrix(n, n), {"symmetric"})
D_DIAG = b.var("D", matrix(n, n), {"diagonal"})
P_POS = b.var("P", matrix(n, n), {"positive"})
CORPUS_VARS: dict[Shape, list[Node]] = {
    SCALAR: [b.var("s", SCALAR), b.var("t", SCALAR)],
    vector(n): [b.var("u", vector(n)), b.var("v", vector(n)), b.var("w", vector(n))],
    vector(m): [b.var("p", vector(m))],
    matrix(n, n): [b.var("A", matrix(n, n)), b.var("B", matrix(n, n)), S_SYM, D_DIAG, P_POS],
    matrix(m, n): [b.var("M", matrix(m, n))],
}
POSITIVE_VARS: dict[Shape, list[Node]] = {
    SCALAR: CORPUS_VARS[SCALAR], vector(n): [b.var("q", vector(n), {"positive"})],
    matrix(n, n): [P_POS],
}
NICE = [b.var("A", matrix(n, n)), b.var("B", matrix(n, n)), S_SYM, D_DIAG]
"""Square matrices with positive determinant and a good condition number (2I + noise):
products, transposes and inverses of them are safe under inv, det and logdet."""
DIFFERENTIALS = {matrix(n, n): b.differential("A", matrix(n, n)),
                 vector(n): b.differential("u", vector(n))}


def random_env(rng: np.random.Generator) -> dict[str, np.ndarray]:
    k, j = SIZES[n], SIZES[m]

    def well(size: int) -> np.ndarray:
        return 2 * np.eye(size) + 0.4 * rng.standard_normal((size, size)) / np.sqrt(size)

    q = rng.standard_normal((k, k))
    return {
        "s": rng.uniform(0.5, 2.0, (1, 1)), "t": rng.uniform(0.5, 2.0, (1, 1)),
        "u": rng.standard_normal((k, 1)), "v": rng.standard_normal((k, 1)),
        "w": rng.standard_normal((k, 1)), "q": rng.uniform(0.2, 0.9, (k, 1)),
        "p": rng.standard_normal((j, 1)),
        "A": well(k), "B": well(k), "S": 2 * np.eye(k) + 0.1 * (q + q.T),
        "D": np.diag(rng.uniform(0.5, 2.0, k)), "P": rng.uniform(0.1, 0.9, (k, k)),
        "M": rng.standard_normal((j, k)),
        "dA": rng.standard_normal((k, k)), "du": rng.standard_normal((k, 1)),
    }


def agree(before: Node, after: Node, env: dict[str, np.ndarray]) -> str | None:
    """``None`` if ``after`` has ``before``'s value wherever ``before`` is defined (finite,
    with moderate intermediates); else a description of the difference."""
    ev_before, ev_after = Evaluator(env), Evaluator(env)
    x = ev_before(before)
    if not np.all(np.isfinite(x)) or ev_before.peak > 1e8:
        return None  # undefined here (or too ill-conditioned to compare)
    y = ev_after(after)
    if y.shape != x.shape:
        return f"shape {y.shape} != {x.shape}"
    scale = max(ev_before.peak, ev_after.peak)
    if not np.all(np.isfinite(y)) or not np.allclose(y, x, rtol=1e-7, atol=1e-9 * scale):
        return f"value {y.ravel()[:4]} != {x.ravel()[:4]}"
    return None


# --- a seeded generator of well-typed random expressions --------------------------------

SHAPES = [SCALAR, vector(n), row(n), matrix(n, n), matrix(m, n), matrix(n, m), vector(m)]
EXPONENTS = [Fraction(2), Fraction(3), Fraction(-1), Fraction(1, 2), Fraction(0),
             Fraction(1)]
SAFE_FUNCS = ["exp", "sin", "cos", "tanh", "arctan", "abs", "sign", "relu", "step", "sinh",
              "sigmoid", "softplus"]


class Gen:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def exponent(self) -> Fraction:
        return self.rng.choice(EXPONENTS)

    def number(self) -> Fraction:
        return Fraction(self.rng.choice([-2, -1, 0, 1, 2, 3]), self.rng.choice([1, 1, 2]))

    def leaf(self, s: Shape, pos: bool = False) -> Node:
        r = self.rng.random()
        pool = (POSITIVE_VARS if pos else CORPUS_VARS).get(s, [])
        if pool and r < 0.6:
            return self.rng.choice(pool)
        if not pos and s in DIFFERENTIALS and r < 0.7:
            return DIFFERENTIALS[s]
        if s.kind == "matrix" and s.rows == s.cols and r < 0.8 and not pos:
            assert s.rows is not None
            return b.eye(s.rows)
        if pos:
            return b.fill(Fraction(self.rng.choice([1, 2, 3]), self.rng.choice([1, 2])), s)
        return b.fill(self.number(), s)

    def nice(self, d: int) -> Node:
        """A well-conditioned square matrix with positive determinant."""
        r = self.rng.random()
        if d <= 0 or r < 0.4:
            return self.rng.choice(NICE)
        if r < 0.55:
            return T(self.nice(d - 1))
        if r < 0.7:
            return F("inv", self.nice(d - 1))
        if r < 0.85:
            return b.mul(self.nice(d - 1), self.nice(d - 1))
        if r < 0.92:
            return b.matpow(self.nice(d - 1), self.rng.choice([2, -1, 1, 0]))
        return b.mul(b.const(self.rng.choice([1, 2])), self.nice(d - 1))

    def positive(self, s: Shape, d: int) -> Node:
        r = self.rng.random()
        if d <= 0 or r < 0.3:
            return self.leaf(s, pos=True)
        if r < 0.45:
            return F("exp", self.expr(s, d - 1))
        if r < 0.55:
            return b.add(self.positive(s, d - 1), self.positive(s, d - 1))
        if r < 0.65:
            return b.hadamard(self.positive(s, d - 1), self.positive(s, d - 1))
        if r < 0.72:
            return b.mul(b.const(self.rng.choice([1, 2, Fraction(1, 2)])),
                         self.positive(s, d - 1))
        if r < 0.8:
            return b.power(self.positive(s, d - 1), b.fill(self.exponent(), s))
        if r < 0.86:
            return b.ediv(self.positive(s, d - 1), self.positive(s, d - 1))
        if r < 0.92:
            return F("cosh", self.expr(s, d - 1))
        if s.is_scalar:
            return self.rng.choice([F("det", self.nice(d - 1)), F("sqrt", self.positive(s, d - 1))])
        return F("sqrt", self.positive(s, d - 1))

    def expr(self, s: Shape, d: int) -> Node:
        rng = self.rng
        if d <= 0 or rng.random() < 0.1:
            return self.leaf(s)
        k = rng.randrange(25)
        sub = d - 1
        if k == 0:
            return b.add(self.expr(s, sub), self.expr(s, sub))
        if k == 1:
            return b.sub(self.expr(s, sub), self.expr(s, sub))
        if k == 2:
            return b.mul(b.const(self.number()), self.expr(s, sub))
        if k in (3, 4, 5):  # a product through a random inner dimension
            inner = rng.choice([None, n, m])
            return b.mul(self.expr(Shape(s.rows, inner), sub), self.expr(Shape(inner, s.cols), sub))
        if k == 6:
            return T(self.expr(s.T, sub))
        if k == 7:
            return b.mul(self.expr(SCALAR, sub), self.expr(s, sub))
        if k == 8:  # like terms and cancellations
            e = self.expr(s, sub)
            return rng.choice([b.add(e, e), b.add(e, b.mul(b.const(self.number()), e)),
                               b.sub(e, e), b.add(self.expr(s, sub), e, b.neg(e))])
        if k == 9:
            return F(rng.choice(SAFE_FUNCS), self.expr(s, sub))
        if k == 10:
            return F(rng.choice(["log", "sqrt"]), self.positive(s, sub))
        if k == 11:
            return F(rng.choice(["arcsin", "arccos"]), F("tanh", self.expr(s, sub)))
        if k == 12:
            base = self.positive(s, sub) if rng.random() < 0.5 else self.expr(s, sub)
            return b.power(base, b.fill(self.exponent(), s))
        if k == 13 and not s.is_scalar:
            return b.hadamard(self.expr(s, sub), self.expr(s, sub))
        if k == 14 and not s.is_scalar:
            return b.ediv(self.expr(s, sub), self.positive(s, sub))
        if k == 15 and s.kind == "matrix" and rng.random() < 0.5:  # implicit expansion
            part = Shape(s.rows, None) if rng.random() < 0.5 else Shape(None, s.cols)
            return b.expand(self.expr(part, sub), s)
        if k == 15 and not s.is_scalar:
            return b.broadcast(self.expr(SCALAR, sub), s)
        if k == 16 and s.is_scalar:
            return F(rng.choice(["det", "logdet"]), self.nice(sub))
        if k == 17 and s.is_scalar:
            arg = self.expr(rng.choice(SHAPES), sub)
            return F(rng.choice(["sum", "norm1", "norm2"]), arg)
        if k == 18 and s.is_scalar:
            return F("tr", self.expr(rng.choice([SCALAR, matrix(n, n)]), sub))
        if k == 19 and s == matrix(n, n):
            return rng.choice([F("inv", self.nice(sub)), self.nice(sub),
                               b.matpow(self.expr(s, sub), rng.choice([2, 3]))])
        if k == 24 and s == matrix(n, n):
            return F("diagm", self.expr(vector(n), sub))
        if k == 20 and s == vector(n):
            return F("diagv", self.expr(matrix(n, n), sub))
        if k == 21 and s.is_scalar:  # s * s^k: collected powers
            e = self.positive(s, sub)
            return b.mul(e, b.power(e, b.const(self.exponent())), self.expr(s, sub))
        if k == 22 and not s.is_scalar:  # identities and transposed transposes
            e = self.expr(s, sub)
            eye_l = b.eye(s.rows) if s.rows is not None else b.const(1)
            return rng.choice([b.mul(eye_l, e), T(T(e)), b.hadamard(e, b.fill(1, s))])
        if k == 23 and s == vector(n):  # (u'*v)*w: the outer-product form
            u, v, w = (rng.choice(CORPUS_VARS[vector(n)]) for _ in range(3))
            return b.mul(b.const(self.number()), b.mul(T(u), v), w)
        return self.expr(s, d)  # production not valid for this shape: draw again


def corpus(count: int, seed: int = 1234) -> list[Node]:
    g = Gen(seed)
    return [g.expr(g.rng.choice(SHAPES), g.rng.choice([3, 4, 5, 6])) for _ in range(count)]
