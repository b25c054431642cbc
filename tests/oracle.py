"""An independent oracle for matdiff's derivatives (not a test module).

It reads the *surface text* of an expression with its own recursive-descent parser
(nothing of matdiff's parser, elaborator or IR is used), evaluates it on torch float64
tensors at a point, and differentiates it with ``torch.func.jacrev``.  The result is in
matdiff's mixed layout: axes ``f.shape + V1.shape + V2.shape``, vectors 1-D, a scalar
0-D; declared ``symmetric``/``spd`` variables get the symmetrized gradient
``(G + G')/2`` on their axes and ``diagonal`` ones ``diag(diag(G))`` (README,
"Conventions").  An independent translation is what makes it an oracle: a wrong rule
in matdiff's differentials, index forms or simplifier cannot also be in here.

Semantics (README, "The input language"): ``*`` is the matrix product, or scaling when
a side is a scalar, and a 1 x 1 product is a scalar; ``/`` divides by a scalar; ``^``
is a scalar power or an integer power of a square matrix; a scalar is broadcast in
``+ - .* ./ .^``; ``eye``, ``vector(c)`` and ``matrix(c)`` take the size of what they
are combined with.  Issue 13's language (``tests/oracle_functions.py``): ``sigmoid``,
``softplus``, ``logsumexp``, ``softmax``, ``sum``/``mean``/``logsumexp``/``softmax``
by a dimension 1 or 2, ``kron``, ``vec``, ``pinv``, ``adj``, ``trace``, ``X.'``, and
MATLAB's implicit expansion of a column or a row beside a matrix in ``+ - .* ./`` (a
column with a row stays an error); ``where`` lists are read as substitutions.
Internally a column vector is ``(n, 1)`` and a row ``(1, n)`` (the point never has a
dimension of size 1, so this is unambiguous).

What it cannot size (``sum(vector(1))``, whose size nothing fixes) or does not know
raises :class:`OracleUnsupported`; the caller counts those, it never guesses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from oracle_functions import (
    ALIASES,
    EXPANDING_OPERATORS,
    NEW_ELEMENTWISE,
    expandable,
    kron,
    reduce_all,
    reduce_along,
)
from oracle_parse import Ast, OracleUnsupported, parse_text, tokenize
from torch.func import jacrev

Tensor = torch.Tensor


# --- values --------------------------------------------------------------------------

@dataclass(frozen=True)
class Lazy:
    """A constant whose size the context decides: ``make(rows, cols)`` builds it.
    ``kind``: ``eye`` (square), ``col`` (rows, 1), ``row`` (1, cols), ``mat``."""

    kind: str
    make: Callable[[int, int], Tensor]

    def fits(self, shape: tuple[int, ...]) -> bool:
        if len(shape) != 2:
            return False
        r, c = shape
        return {"eye": r == c, "col": c == 1, "row": r == 1, "mat": True}[self.kind]


Value = Tensor | Lazy


def _scalar(v: Value) -> bool:
    return isinstance(v, Tensor) and v.dim() == 0


def _materialize(v: Value, shape: tuple[int, ...]) -> Tensor:
    if isinstance(v, Tensor):
        return v
    if not v.fits(shape):
        raise OracleUnsupported(f"a {v.kind} constant cannot take shape {shape}")
    return v.make(shape[0], shape[1])


def _expanded(lazy: Value, shape: tuple[int, ...]) -> Tensor:
    """A ``vector(c)`` (or its row) beside a matrix: the column (row) that implicit
    expansion repeats, sized by the matrix."""
    if isinstance(lazy, Tensor):
        return lazy
    if lazy.kind == "col" and len(shape) == 2 and 1 not in shape:
        return lazy.make(shape[0], 1)
    if lazy.kind == "row" and len(shape) == 2 and 1 not in shape:
        return lazy.make(1, shape[1])
    return _materialize(lazy, shape)


def _zip(a: Value, b: Value, fn: Callable[[Tensor, Tensor], Tensor], op: str) -> Value:
    """An elementwise binary op with scalar broadcast and sized constants; in
    ``+ - .* ./`` also MATLAB's implicit expansion of a column or row beside a matrix
    (:func:`oracle_functions.expandable`)."""
    expand = op in EXPANDING_OPERATORS
    if isinstance(a, Lazy) or isinstance(b, Lazy):
        if isinstance(a, Lazy) and isinstance(b, Lazy):
            if a.kind != b.kind:
                raise OracleUnsupported(f"{a.kind} {op} {b.kind} constants")
            la, lb = a, b
            return Lazy(a.kind, lambda r, c: fn(la.make(r, c), lb.make(r, c)))
        known = b if isinstance(a, Lazy) else a
        assert isinstance(known, Tensor)
        if known.dim() == 0:
            lazy = a if isinstance(a, Lazy) else b
            assert isinstance(lazy, Lazy)
            if lazy is a:
                return Lazy(lazy.kind, lambda r, c: fn(lazy.make(r, c), known))
            return Lazy(lazy.kind, lambda r, c: fn(known, lazy.make(r, c)))
        size = _expanded if expand else _materialize
        a, b = size(a, tuple(known.shape)), size(b, tuple(known.shape))
    assert isinstance(a, Tensor) and isinstance(b, Tensor)
    if a.dim() and b.dim() and a.shape != b.shape and not (
            expand and expandable(tuple(a.shape), tuple(b.shape))):
        raise OracleUnsupported(f"{op} of shapes {tuple(a.shape)} and {tuple(b.shape)}")
    return fn(a, b)


def _matmul(a: Value, b: Value) -> Value:
    if _scalar(a) or _scalar(b):
        return _zip(a, b, torch.mul, "*")
    if isinstance(a, Lazy) and isinstance(b, Lazy):
        raise OracleUnsupported("a product of two unsized constants")
    if isinstance(a, Lazy):
        assert isinstance(b, Tensor)
        inner = b.shape[0]
        if a.kind == "eye":
            return b
        if a.kind != "row":
            raise OracleUnsupported(f"the rows of {a.kind} constant in a product")
        a = a.make(1, inner)
    if isinstance(b, Lazy):
        assert isinstance(a, Tensor)
        inner = a.shape[1]
        if b.kind == "eye":
            return a
        if b.kind != "col":
            raise OracleUnsupported(f"the columns of a {b.kind} constant in a product")
        b = b.make(inner, 1)
    assert isinstance(a, Tensor) and isinstance(b, Tensor)
    if a.shape[1] != b.shape[0]:
        raise OracleUnsupported(f"product of {tuple(a.shape)} and {tuple(b.shape)}")
    out = a @ b
    return out.reshape(()) if tuple(out.shape) == (1, 1) else out


def _map(v: Value, fn: Callable[[Tensor], Tensor]) -> Value:
    if isinstance(v, Lazy):
        return Lazy(v.kind, lambda r, c: fn(v.make(r, c)))
    return fn(v)


def _step(x: Tensor) -> Tensor:
    # Heaviside with step(0) = 0; `0*x` keeps it a (zero-derivative) function of x.
    return (x > 0).to(x.dtype) + 0 * x


_ELEMENTWISE: dict[str, Callable[[Tensor], Tensor]] = {
    "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "sin": torch.sin,
    "cos": torch.cos, "tan": torch.tan, "arcsin": torch.asin, "arccos": torch.acos,
    "arctan": torch.atan, "sinh": torch.sinh, "cosh": torch.cosh, "tanh": torch.tanh,
    "abs": torch.abs, "sign": lambda x: torch.sign(x) + 0 * x, "relu": torch.relu,
    "step": _step,
    **NEW_ELEMENTWISE,
}


def _known(v: Value, what: str) -> Tensor:
    if isinstance(v, Lazy):
        raise OracleUnsupported(f"{what} of a constant whose size nothing fixes")
    return v


def _square(v: Tensor, what: str) -> Tensor:
    if v.dim() != 2 or v.shape[0] != v.shape[1] or v.shape[0] == 1:
        raise OracleUnsupported(f"{what} of shape {tuple(v.shape)}")
    return v


def _reduce(name: str, v: Tensor) -> Tensor:
    if name == "sum":
        return v.sum()
    if name == "norm1":
        return v.abs().sum()
    if name == "norm2":
        return torch.sqrt((v * v).sum())
    if name == "tr":
        return v if v.dim() == 0 else torch.trace(_square(v, "tr"))
    if name == "det":
        return torch.linalg.det(_square(v, "det"))
    if name == "logdet":
        return torch.log(torch.linalg.det(_square(v, "logdet")))
    if name == "inv":
        return torch.linalg.inv(_square(v, "inv"))
    if name == "diag":
        if v.dim() == 2 and v.shape[1] == 1:
            return torch.diag(v[:, 0])
        return torch.diagonal(_square(v, "diag")).reshape(-1, 1)
    return reduce_all(name, v)


def _constant_number(v: Value) -> float:
    if not _scalar(v):
        raise OracleUnsupported("vector(c)/matrix(c) needs a number c")
    assert isinstance(v, Tensor)
    return float(v)


class Evaluator:
    """Evaluates a parsed expression with ``env`` (name -> internal 2-D tensors)."""

    def __init__(self, env: Mapping[str, Tensor]):
        self.env = env

    def __call__(self, e: Ast) -> Value:
        tag = e[0]
        if tag == "num":
            return torch.tensor(e[1], dtype=torch.float64)
        if tag == "name":
            if e[1] == "eye":
                return Lazy("eye", lambda r, c: torch.eye(r, dtype=torch.float64))
            if e[1] not in self.env:
                raise OracleUnsupported(f"no value for {e[1]}")
            return self.env[e[1]]
        if tag == "neg":
            return _map(self(e[1]), torch.neg)
        if tag == "t":
            v = self(e[1])
            if isinstance(v, Lazy):
                kind = {"col": "row", "row": "col"}.get(v.kind, v.kind)
                return Lazy(kind, lambda r, c: v.make(c, r).T)
            return v if v.dim() == 0 else v.T
        if tag == "call":
            return self.call(e[1], e[2])
        return self.binary(e[1], self(e[2]), self(e[3]), e[3])

    def call(self, name: str, args: Sequence[Ast]) -> Value:
        name = ALIASES.get(name, name)
        if name in ("rows", "cols", "len") and len(args) == 1 and args[0][0] == "name":
            return self.size(name, args[0][1])
        if len(args) == 2:
            return self.call2(name, args)
        if len(args) != 1:
            raise OracleUnsupported(f"{name} with {len(args)} arguments")
        v = self(args[0])
        if name in ("vector", "matrix"):
            c = _constant_number(v)
            if name == "vector":
                return Lazy("col", lambda r, _: torch.full((r, 1), c, dtype=torch.float64))
            return Lazy("mat", lambda r, k: torch.full((r, k), c, dtype=torch.float64))
        if name in _ELEMENTWISE:
            return _map(v, _ELEMENTWISE[name])
        return _reduce(name, _known(v, name))

    def size(self, name: str, variable: str) -> Tensor:
        """``rows(X)``, ``cols(X)``, ``len(x)``: a size of a variable, a constant."""
        if variable not in self.env:
            raise OracleUnsupported(f"no value for {variable}")
        v = self.env[variable]
        if v.dim() != 2 or (name == "len") != (1 in v.shape):
            raise OracleUnsupported(f"{name}({variable}) of shape {tuple(v.shape)}")
        n = v.numel() if name == "len" else v.shape[0 if name == "rows" else 1]
        return torch.tensor(float(n), dtype=torch.float64)

    def call2(self, name: str, args: Sequence[Ast]) -> Value:
        """``kron(A, B)`` and the reductions by a dimension, ``sum(X, 1)``, ..."""
        first = _known(self(args[0]), name)
        if name == "kron":
            return kron(first, _known(self(args[1]), name))
        dim = _integer(args[1])
        if dim is None:
            raise OracleUnsupported(f"{name}(X, k) needs k = 1 or 2 written as a number")
        return reduce_along(name, first, dim)

    def binary(self, op: str, a: Value, b: Value, b_ast: Ast) -> Value:
        if op == "+":
            return _zip(a, b, torch.add, op)
        if op == "-":
            return _zip(a, b, torch.sub, op)
        if op == ".*":
            return _zip(a, b, torch.mul, op)
        if op == "./":
            return _zip(a, b, torch.div, op)
        if op == ".^":
            return _zip(a, b, torch.pow, op)
        if op == "*":
            return _matmul(a, b)
        if op == "/":
            if not _scalar(b):
                raise OracleUnsupported("/ by a non-scalar")
            return _zip(a, b, torch.div, op)
        if op == "^":
            if _scalar(a) and _scalar(b):
                assert isinstance(a, Tensor) and isinstance(b, Tensor)
                return torch.pow(a, b)
            k = _integer(b_ast)
            if k is None:
                raise OracleUnsupported("^ of a matrix needs an integer literal exponent")
            if isinstance(a, Lazy):
                return a if a.kind == "eye" else _map(a, lambda t: torch.linalg.matrix_power(
                    _square(t, "^"), k))
            return torch.linalg.matrix_power(_square(a, "^"), k)
        raise OracleUnsupported(f"operator {op}")


def _integer(e: Ast) -> int | None:
    sign = 1
    while e[0] == "neg":
        sign, e = -sign, e[1]
    if e[0] == "num" and float(e[1]).is_integer():
        return sign * int(e[1])
    return None


# --- points, layouts and derivatives -------------------------------------------------

def _internal(value: Any) -> Tensor:
    t = torch.as_tensor(np.asarray(value, dtype=np.float64), dtype=torch.float64)
    if t.dim() == 1:
        return t.reshape(-1, 1)
    if t.dim() > 2:
        raise OracleUnsupported(f"a value with {t.dim()} axes")
    return t


def _external(v: Value) -> Tensor:
    """matdiff's array layout: vectors and rows 1-D, scalars 0-D."""
    if isinstance(v, Lazy):
        raise OracleUnsupported("a result whose size nothing fixes")
    if v.dim() == 2 and 1 in v.shape:
        return v.reshape(-1)
    return v


def structures(declare: Sequence[str]) -> dict[str, str]:
    """``name -> "symmetric" | "diagonal"`` from declarations such as
    ``"S: matrix(n, n) spd"`` (``spd`` is symmetric)."""
    out: dict[str, str] = {}
    for d in declare:
        name, _, rest = d.partition(":")
        words = set(re.findall(r"[A-Za-z_]+", rest))
        if "diagonal" in words:
            out[name.strip()] = "diagonal"
        elif words & {"symmetric", "spd"}:
            out[name.strip()] = "symmetric"
    return out


def value(text: str, point: Mapping[str, Any],
          shape: tuple[int, ...] | None = None) -> Tensor:
    """The expression's value at ``point`` (name -> array, vectors 1-D); ``shape`` (the
    external one) sizes a result that nothing in the text sizes (``tr(A)*eye``)."""
    env = {k: _internal(v) for k, v in point.items()}
    v = Evaluator(env)(parse_text(text))
    if isinstance(v, Lazy) and shape is not None and len(shape) in (1, 2):
        v = _materialize(v, shape if len(shape) == 2 else (shape[0], 1))
    return _external(v)


def derivative(text: str, wrt: Sequence[str], point: Mapping[str, Any],
               declare: Sequence[str] = (), layout: str = "mixed",
               symmetric_gradient: str = "symmetrized") -> np.ndarray:
    """``d^k f / dV1 ... dVk`` at ``point`` (order 1 to 3), projected for declared
    symmetric and diagonal variables as matdiff's conventions say (``symmetrized``:
    ``(G + G')/2``; ``cookbook``: ``G + G' - diag(G)``), with the axes of ``layout``:
    ``mixed`` is ``f.shape + V1.shape + ...``; ``numerator`` keeps f's axes and reverses
    each variable's; ``denominator`` is the numerator layout's axes reversed."""
    ast = parse_text(text)
    names = list(dict.fromkeys(wrt))
    base = {k: _internal(v) for k, v in point.items()}
    missing = [n for n in names if n not in base]
    if missing:
        raise OracleUnsupported(f"no value for {', '.join(missing)}")
    external = [torch.as_tensor(np.asarray(point[n], dtype=np.float64)) for n in names]

    def f(*args: Tensor) -> Tensor:
        env = dict(base)
        for n, a in zip(names, args, strict=True):
            env[n] = a.reshape(-1, 1) if a.dim() == 1 else a
        return _external(Evaluator(env)(ast))

    fn: Callable[..., Tensor] = f
    for name in wrt:
        fn = jacrev(fn, argnums=names.index(name))
    with torch.no_grad():
        out_shape = tuple(f(*external).shape)
    result = fn(*external).detach().numpy(force=True).astype(np.float64)
    axis = len(out_shape)
    kinds = structures(declare)
    for name in wrt:
        rank = external[names.index(name)].dim()
        if rank == 2 and name in kinds:
            kind = kinds[name]
            if kind == "symmetric" and symmetric_gradient == "cookbook":
                kind = "cookbook"
            result = _project(result, axis, kind)
        axis += rank
    if layout == "mixed":
        return result
    order = list(range(len(out_shape)))
    for name in wrt:
        rank = external[names.index(name)].dim()
        order += list(reversed(range(len(order), len(order) + rank)))
    if layout == "denominator":
        order.reverse()
    elif layout != "numerator":
        raise OracleUnsupported(f"layout {layout}")
    return np.transpose(result, order)


def _project(t: np.ndarray, a: int, kind: str) -> np.ndarray:
    swapped = np.swapaxes(t, a, a + 1)
    if kind == "symmetric":
        return (t + swapped) / 2
    n = t.shape[a]
    mask = np.eye(n).reshape((1,) * a + (n, n) + (1,) * (t.ndim - a - 2))
    if kind == "cookbook":
        return t + swapped - t * mask
    return t * mask


__all__ = ["Evaluator", "Lazy", "OracleUnsupported", "derivative", "parse_text",
           "structures", "tokenize", "value"]
