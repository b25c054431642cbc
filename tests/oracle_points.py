"""Random points for the independent oracle (``tests/oracle.py``), without matdiff: not a
test module.  Used where matdiff may not read the text yet (``tests/
test_practitioner_corpus.py``, the generator's issue-13 forms).

:func:`point` gives every variable of one or more texts a value: its kind from its
declaration (``"x: vector(n)"``, ``"A: matrix(m, n) spd"``, ``"S: symmetric"``,
``"c: scalar positive"``) or else from the language's default by name (README, "The
input language": ``a``..``g`` scalars, ``h``..``z`` vectors, ``A``..``Z`` matrices,
Greek names scalars; issue 13: a name the text transposes, ``a'``, is never a default
scalar but a vector), and its sizes by unification over the texts (``A*x`` makes
``len(x) = cols(A)``; implicit expansion ties a column to a matrix's rows and a row to
its columns; ``kron`` and ``vec`` multiply dimensions).  Dimensions left free get
distinct sizes (2, 3, 4, 5 in a random order), so that a transposed textbook form
fails.  Values respect the declared properties, and a square variable directly under
``inv``, ``det``, ``logdet``, ``adj``, ``pinv`` or a negative power is drawn near the
identity (well-conditioned, positive determinant).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from oracle_parse import Ast, OracleUnsupported, parse_text

GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "lam", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
})
ELEMENTWISE = frozenset({
    "exp", "log", "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh",
    "cosh", "tanh", "abs", "sign", "relu", "step", "sigmoid", "softplus"})
TO_SCALAR = frozenset({"sum", "norm1", "norm2", "tr", "trace", "det", "logdet",
                       "logsumexp", "mean"})
SIZES = frozenset({"rows", "cols", "len"})
CONDITIONING = frozenset({"inv", "det", "logdet", "adj", "pinv"})

Term = Any
"""A dimension: an ``int`` node of the union-find, or ``("prod", a, b)``."""


@dataclass
class _Dims:
    """Union-find over dimensions; a node may be fixed to a size."""

    parent: list[int] = field(default_factory=list)
    size: dict[int, int] = field(default_factory=dict)
    named: dict[str, int] = field(default_factory=dict)

    def new(self, size: int | None = None) -> int:
        self.parent.append(len(self.parent))
        if size is not None:
            self.size[len(self.parent) - 1] = size
        return len(self.parent) - 1

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def unify(self, a: Term, b: Term) -> None:
        if isinstance(a, tuple) or isinstance(b, tuple):
            if isinstance(a, tuple) and isinstance(b, tuple):
                self.unify(a[1], b[1])
                self.unify(a[2], b[2])
            return  # a product beside a plain dimension: the evaluation checks it
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        sa, sb = self.size.get(ra), self.size.get(rb)
        if sa is not None and sb is not None and sa != sb:
            raise OracleUnsupported(f"a dimension of size {sa} meets one of size {sb}")
        self.parent[ra] = rb
        if sa is not None:
            self.size[rb] = sa

    def is_one(self, a: Term) -> bool:
        if isinstance(a, tuple):
            return self.is_one(a[1]) and self.is_one(a[2])
        return self.size.get(self.find(a)) == 1

    def prod(self, a: Term, b: Term) -> Term:
        if self.is_one(a):
            return b
        if self.is_one(b):
            return a
        return ("prod", a, b)


@dataclass(frozen=True)
class Declared:
    kind: str
    dims: tuple[int | str | None, ...]
    props: frozenset[str]


_DECLARATION = re.compile(r"^\s*(?P<kind>scalar|vector|matrix)?\s*(?:\((?P<dims>[^)]*)\))?"
                          r"(?P<props>(?:\s*[A-Za-z]+)*)\s*$")


def declarations(declare: Sequence[str]) -> dict[str, Declared]:
    out: dict[str, Declared] = {}
    for text in declare:
        name, _, rest = text.partition(":")
        m = _DECLARATION.match(rest)
        if m is None:
            raise OracleUnsupported(f"cannot read the declaration {text!r}")
        props = frozenset(m["props"].split())
        kind = m["kind"] or ("matrix" if props & {"symmetric", "spd", "diagonal"}
                             else "scalar")
        dims: list[int | str | None] = [d.strip() for d in (m["dims"] or "").split(",")
                                        if d.strip()]
        dims = [int(d) if isinstance(d, str) and d.isdigit() else d for d in dims]
        want = {"scalar": 0, "vector": 1, "matrix": 2}[kind]
        dims += [None] * (want - len(dims))
        if props & {"symmetric", "spd", "diagonal"} and dims[0] is None:
            dims[1] = dims[1] if dims[1] is not None else "__square_" + name.strip()
            dims[0] = dims[1]
        out[name.strip()] = Declared(kind, tuple(dims[:want]), props)
    return out


def default_kind(name: str) -> str:
    if name in GREEK or "a" <= name[0] <= "g":
        return "scalar"
    if "h" <= name[0] <= "z":
        return "vector"
    if "A" <= name[0] <= "Z":
        return "matrix"
    raise OracleUnsupported(f"no default type for {name!r}")


class _Shapes:
    """Shapes ``(rows, cols)`` of the oracle's AST with unknown dimensions."""

    def __init__(self, declared: dict[str, Declared], transposed: set[str]):
        self.transposed = transposed
        self.dims = _Dims()
        self.one = self.dims.new(1)
        self.declared = declared
        self.variables: dict[str, tuple[Term, Term]] = {}
        self.conditioned: set[str] = set()

    def dim(self, d: int | str | None) -> Term:
        if d is None:
            return self.dims.new()
        if isinstance(d, int):
            return self.dims.new(d)
        if d not in self.dims.named:
            self.dims.named[d] = self.dims.new()
        return self.dims.named[d]

    def variable(self, name: str) -> tuple[Term, Term]:
        if name not in self.variables:
            kind = self.kind(name)
            decl = self.declared.get(name) or Declared(kind, (None, None)[
                :{"scalar": 0, "vector": 1, "matrix": 2}[kind]], frozenset())
            if decl.kind == "scalar":
                shape = (self.one, self.one)
            elif decl.kind == "vector":
                shape = (self.dim(decl.dims[0]), self.one)
            else:
                shape = (self.dim(decl.dims[0]), self.dim(decl.dims[1]))
            self.variables[name] = shape
        return self.variables[name]

    def kind(self, name: str) -> str:
        if name in self.declared:
            return self.declared[name].kind
        kind = default_kind(name)
        return "vector" if kind == "scalar" and name in self.transposed else kind

    def scalar(self, s: tuple[Term, Term]) -> bool:
        return self.dims.is_one(s[0]) and self.dims.is_one(s[1])

    def square(self, s: tuple[Term, Term]) -> tuple[Term, Term]:
        self.dims.unify(s[0], s[1])
        return s

    def __call__(self, e: Ast) -> tuple[Term, Term]:
        tag = e[0]
        if tag == "num":
            return (self.one, self.one)
        if tag == "name":
            if e[1] == "eye":
                d = self.dims.new()
                return (d, d)
            return self.variable(e[1])
        if tag == "neg":
            return self(e[1])
        if tag == "t":
            r, c = self(e[1])
            return (c, r)
        if tag == "call":
            return self.call(e[1], e[2])
        return self.binary(e[1], self(e[2]), self(e[3]))

    def binary(self, op: str, a: tuple[Term, Term], b: tuple[Term, Term]) -> tuple[Term, Term]:
        if op == "*":
            if self.scalar(a) or self.scalar(b):
                return b if self.scalar(a) else a
            self.dims.unify(a[1], b[0])
            return (a[0], b[1])
        if op in ("/", "^"):
            return a if op == "/" or self.scalar(a) else self.square(a)
        if self.scalar(a) or self.scalar(b):
            return b if self.scalar(a) else a
        col_a, row_a = self.dims.is_one(a[1]), self.dims.is_one(a[0])
        col_b, row_b = self.dims.is_one(b[1]), self.dims.is_one(b[0])
        if op != ".^" and not (col_a or row_a) and (col_b or row_b):
            self.dims.unify(a[0] if col_b else a[1], b[0] if col_b else b[1])
            return a
        if op != ".^" and not (col_b or row_b) and (col_a or row_a):
            return self.binary(op, b, a)
        self.dims.unify(a[0], b[0])
        self.dims.unify(a[1], b[1])
        return a

    def call(self, name: str, args: list[Ast]) -> tuple[Term, Term]:
        if name in ("vector", "matrix"):
            return (self.dims.new(), self.one if name == "vector" else self.dims.new())
        if name in SIZES:
            return (self.one, self.one)
        if name in CONDITIONING and args and args[0][0] == "name":
            self.conditioned.add(args[0][1])
        shapes = [self(a) for a in args]
        s = shapes[0]
        if name == "kron":
            t = shapes[1]
            return (self.dims.prod(s[0], t[0]), self.dims.prod(s[1], t[1]))
        if len(args) == 2:
            if name == "softmax":
                return s
            dim = args[1][1] if args[1][0] == "num" else None
            return (self.one, s[1]) if dim == 1 else (s[0], self.one)
        if name in ELEMENTWISE or name == "softmax":
            return s
        if name in TO_SCALAR:
            if name in ("tr", "trace", "det", "logdet") and not self.scalar(s):
                self.square(s)
            return (self.one, self.one)
        if name in ("inv", "adj"):
            return self.square(s)
        if name == "pinv":
            return (s[1], s[0])
        if name == "vec":
            # kron's order, outer factor first: vec(X) = kron(cols, rows), so that
            # kron(B, A)*vec(X) ties rows(B) to cols(X) (vec(A*X*B') = kron(B, A)*vec(X))
            return (self.dims.prod(s[1], s[0]), self.one)
        if name == "diag":
            if self.dims.is_one(s[1]):
                return (s[0], s[0])
            return (self.square(s)[0], self.one)
        raise OracleUnsupported(f"unknown function {name}")


def _names(e: Ast) -> Iterable[str]:
    if e[0] == "name" and e[1] != "eye":
        yield e[1]
    elif e[0] == "call" and e[1] not in SIZES:
        for a in e[2]:
            yield from _names(a)
    elif e[0] in ("neg", "t"):
        yield from _names(e[1])
    elif e[0] == "bin":
        yield from _names(e[2])
        yield from _names(e[3])


def _transposed_names(e: Ast, out: set[str]) -> None:
    if e[0] == "t" and e[1][0] == "name":
        out.add(e[1][1])
    for part in e[1:]:
        if isinstance(part, tuple):
            _transposed_names(part, out)
        elif isinstance(part, list):
            for a in part:
                _transposed_names(a, out)


def _negative_power_bases(e: Ast, out: set[str]) -> None:
    if e[0] == "bin" and e[1] == "^" and e[2][0] == "name" and e[3][0] == "neg":
        out.add(e[2][1])
    for part in e[1:]:
        if isinstance(part, tuple):
            _negative_power_bases(part, out)
        elif isinstance(part, list):
            for a in part:
                _negative_power_bases(a, out)


def point(texts: Sequence[str], declare: Sequence[str],
          rng: np.random.Generator) -> dict[str, Any]:
    """A value for every variable of ``texts`` (vectors 1-D, scalars floats)."""
    declared = declarations(declare)
    asts = [parse_text(t) for t in texts]
    transposed: set[str] = set()
    for ast in asts:
        _transposed_names(ast, transposed)
    shapes = _Shapes(declared, transposed)
    for ast in asts:
        shapes(ast)
        _negative_power_bases(ast, shapes.conditioned)
    names = list(dict.fromkeys(n for ast in asts for n in _names(ast)))
    pool = [2, 3, 4, 5]
    rng.shuffle(pool)
    chosen: dict[int, int] = {}

    def size(t: Term) -> int:
        if isinstance(t, tuple):
            return size(t[1]) * size(t[2])
        root = shapes.dims.find(t)
        if root in shapes.dims.size:
            return shapes.dims.size[root]
        if root not in chosen:
            chosen[root] = pool[len(chosen) % len(pool)]
        return chosen[root]

    out: dict[str, Any] = {}
    for name in names:
        decl = declared.get(name)
        kind = shapes.kind(name)
        props = decl.props if decl else frozenset()
        r, c = shapes.variable(name)
        shape = {"scalar": (), "vector": (size(r),), "matrix": (size(r), size(c))}[kind]
        if 1 in shape:
            raise OracleUnsupported(f"{name} would have a dimension of size 1")
        out[name] = _draw(shape, props, name in shapes.conditioned, rng)
    return out


def _draw(shape: tuple[int, ...], props: frozenset[str], conditioned: bool,
          rng: np.random.Generator) -> Any:
    z = rng.standard_normal(shape)
    if "spd" in props:
        return z @ z.T / shape[0] + np.eye(shape[0])
    if "diagonal" in props:
        d = np.diag(z)
        return np.diag(np.abs(d) + 0.5 if "positive" in props else d)
    if "positive" in props:
        z = np.abs(z) + 0.5
    elif conditioned and len(shape) == 2 and shape[0] == shape[1]:
        z = np.eye(shape[0]) + 0.3 * z / math.sqrt(shape[0])
    if "symmetric" in props:
        z = (z + z.T) / 2
    return float(z) if z.ndim == 0 else z


__all__ = ["Declared", "declarations", "default_kind", "point"]
