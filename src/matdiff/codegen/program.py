"""Several expressions as one straight-line Python function body, fast by construction.

:func:`to_program` turns root nodes (and index-form tensors, printed as ``einsum``) into
statements ``t0 = ...; t1 = ...`` and output expressions:

* shared subexpressions (:func:`matdiff.ir.cse.shared_subexpressions`) are computed once,
  into temporaries, in defined-before-use order;
* products are distributed over sums where that is cheaper at the given sizes
  (:mod:`.lower`), bracketed in the cheapest order at those sizes, with ``diag(v)``
  applied by broadcasting and ``inv(A)`` applied as a solve (:mod:`.chain`);
* ``tr(A*B)`` of two matrices is ``einsum('ij,ji->', A, B)`` (O(n^2), no product).

Sizes: ``sizes`` maps each dimension to a Python expression (``"X.shape[0]"``) for
constructors; ``dims`` maps dimensions to the integers the code is specialised for
(only the bracketing and distribution decisions depend on them; the code is correct at
any sizes).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..ir.cse import shared_subexpressions
from ..ir.nodes import Node
from ..ir.products import split_factors
from ..ir.tensor import Tensor
from ..shapes import Dim
from .array_code import (
    ATOM,
    MUL,
    POW,
    UNARY,
    Code,
    Printer,
    _binop,
    _wrap,
    number,
    python_name,
    reference_input,
)
from .backends import Backend, get_backend
from .chain import Item, Sizes, dense, fold_chain, size_of
from .einsum import to_einsum_code
from .lower import lower
from .outer import to_block_code
from .sign import nonnegative

Root = Node | Tensor

# Never worth a temporary: views and literals, and diagonal matrices (kept as vectors).
_CHEAP = frozenset({"transpose", "const", "fill", "eye", "diagm", "broadcast"})


@dataclass(frozen=True)
class Program:
    """``statements`` (``(name, code)``, in order) then ``outputs`` (one expression per
    root); ``inputs`` maps each input name to its Python name."""

    statements: tuple[tuple[str, str], ...]
    outputs: tuple[str, ...]
    inputs: Mapping[str, str]

    def body(self, indent: str = "    ") -> list[str]:
        """The statements as lines (no ``return``)."""
        return [f"{indent}{name} = {code}" for name, code in self.statements]


class FastPrinter(Printer):
    """The array-code printer with the chain rules of :mod:`.chain`."""

    def __init__(self, backend: Backend, sizes: Mapping[Dim, str], names: Mapping[str, str],
                 ref: str | None, dims: Sizes):
        super().__init__(backend, sizes, names, ref)
        self.dims = dims
        self.named: set[Node] = set()
        self.syrk_names: list[str] = []  # walrus temporaries of _syrk, z0, z1, ...

    def item(self, node: Node) -> Item:
        rows, cols = size_of(node.shape.rows, self.dims), size_of(node.shape.cols, self.dims)
        if node in self.named:
            return Item(self.code(node), rows, cols)
        if node.op == "diagm":
            return Item(self.code(node.args[0]), rows, cols, diag=True)
        if node.op == "inv":
            return Item(self.code(node), rows, cols, inverse_of=self.code(node.args[0]))
        if node.op == "transpose" and node.args[0].op == "inv" and node.args[0] not in self.named:
            a = self.code(node.args[0].args[0])  # inv(A)' = inv(A')
            return Item(self.code(node), rows, cols, inverse_of=Code(_wrap(a, ATOM) + ".T", ATOM))
        if node.op == "transpose" and node.shape.kind == "matrix":
            return Item(self.code(node), rows, cols, transposed_of=self.code(node.args[0]))
        return Item(self.code(node), rows, cols)

    def _syrk(self, factors: Sequence[Node]) -> Code | None:
        """``M'*diag(d)*M`` with ``d`` provably >= 0 (:mod:`.sign`) as ``Z.T @ Z``,
        ``Z = sqrt(d)[:, None] * M``: NumPy runs ``Z.T @ Z`` as a BLAS syrk (one
        triangle), 1.3-1.7x faster than ``(M.T * d) @ M``; XLA and torch gain nothing,
        so NumPy only."""
        if self.backend.name != "numpy" or len(factors) != 3:
            return None
        mt, dm, m = factors
        if (mt.op != "transpose" or mt.args[0] is not m or dm.op != "diagm"
                or m.shape.kind != "matrix" or dm in self.named or not nonnegative(dm)):
            return None
        taken = set(self.names.values())
        z = next(name for k in range(len(self.syrk_names), len(self.syrk_names) + len(taken) + 1)
                 if (name := f"_z{k}") not in taken)
        self.syrk_names.append(z)
        root = self.call("sqrt", self.code(dm.args[0]).text)
        return Code(f"({z} := {root}[:, None] * {_wrap(self.code(m), MUL)}).T @ {z}", MUL)

    def product(self, node: Node, negate: bool = False) -> Code:
        f = split_factors(node.args)
        coef = f.coefficient
        if negate:
            coef = -(coef if coef is not None else Fraction(1))
        minus = coef == -1 and bool(f.numerator)
        syrk = self._syrk(f.numerator)
        if syrk is not None and not f.divisors:
            if coef is None or coef == 1:
                return syrk
            if coef == -1:
                return Code("-" + _wrap(syrk, POW), UNARY)
            return _binop(number(coef), "*", syrk, MUL)
        items: list[Item] = []
        if coef is not None and coef != 1 and not minus:
            items.append(Item(number(coef), None, None))
        items += [self.item(a) for a in f.numerator]
        body = (dense(fold_chain(items, self.call), self.call).code if items
                else Code("1", ATOM))
        if minus:
            body = Code("-" + _wrap(body, POW), UNARY)
        for d in f.divisors:
            body = _binop(body, "/", self.code(d), 20)
        return body


def _tr_of_product(p: FastPrinter, node: Node) -> Code | None:
    """``tr(A*B)`` of two matrices as ``einsum('ij,ji->', A, B)``."""
    arg = node.args[0]
    if arg.op != "mul" or arg in p.named or len(arg.args) != 2:
        return None
    a, c = arg.args
    if a.shape.kind != "matrix" or c.shape.kind != "matrix":
        return None
    return Code(p.call("einsum", "'ij,ji->'", p.code(a).text, p.code(c).text), ATOM)


def _worth(node: Node) -> bool:
    return node.op not in _CHEAP and not (node.op == "mul" and node.args[0].op == "const"
                                          and len(node.args) == 2 and node.args[1].is_leaf)


def to_program(roots: Sequence[Root], sizes: Mapping[Dim, str] | None = None,
               backend: str | Backend = "numpy", dims: Sizes | None = None,
               temp: str = "t") -> Program:
    """The program computing ``roots`` (see the module doc).  Input names follow
    :func:`~matdiff.codegen.array_code.python_name`; temporaries are ``t0, t1, ...``
    (``temp`` is the prefix)."""
    be = get_backend(backend)
    dims = dims or {}
    nodes: list[Node] = []
    for r in roots:
        # every factor occurrence (not the distinct nodes): a factor used by two terms
        # is shared, and becomes one temporary
        nodes.extend([f.node for x in r.terms for f in x.factors] if isinstance(r, Tensor)
                     else [r])
    lowered = dict(zip(nodes, lower(nodes, dims), strict=True))
    new_roots: list[Root] = [r.map_nodes(lambda n: lowered[n]) if isinstance(r, Tensor)
                             else lowered[r] for r in roots]
    all_nodes = [lowered[n] for n in nodes]  # with repeats: they make a node shared
    inputs: dict[str, str] = {}
    for n in all_nodes:
        for leaf in n.walk():
            if leaf.op in ("var", "differential"):
                key = ("d" if leaf.op == "differential" else "") + str(leaf.attrs[0])
                inputs[key] = python_name(key, be)
    ref = None
    for n in sorted(all_nodes, key=lambda n: n.size):
        ref = ref or reference_input(n, inputs)
    p = FastPrinter(be, sizes or {}, inputs, ref, dims)
    statements: list[tuple[str, str]] = []
    # temporaries never take an input's name (an input may be called t0)
    free = (f"{temp}{k}" for k in itertools.count() if f"{temp}{k}" not in inputs.values())
    for node in shared_subexpressions(all_nodes, _worth):
        name = next(free)
        statements.append((name, _print(p, node)))
        p.memo[node] = Code(name, ATOM)
        p.named.add(node)
    outputs = []
    for r in new_roots:
        if isinstance(r, Tensor):
            def code(n: Node) -> str:
                return _print(p, n)
            block = to_block_code(r, sizes or {}, be, code)
            if block is None:
                outputs.append(to_einsum_code(r, sizes, be, code=code))
                continue
            # L and R as statements of their own: the module reads one line per column
            left, right = next(free), next(free)
            statements += [(left, block.left), (right, block.right)]
            outputs.append(block.product.format(left=left, right=right))
        else:
            outputs.append(_print(p, r))
    return Program(tuple(statements), tuple(outputs), inputs)


def _print(p: FastPrinter, node: Node) -> str:
    for n in node.walk():  # children first: the recursion stays shallow
        if n.op == "tr" and n not in p.memo:
            special = _tr_of_product(p, n)
            if special is not None:
                p.memo[n] = special
                continue
        p.code(n)
    return p.code(node).text
