"""Index-form tensors as one array expression: a sum of ``einsum`` calls.

A :class:`~matdiff.ir.tensor.Tensor` is ``T[o...] = sum_t c_t prod_f F_f[idx_f]`` with
the non-output indices summed: each term is literally ``np.einsum``
(``d(A*X*B)_ij / dX_kl = A_ik B_lj`` is ``np.einsum('ik,lj->ijkl', A, B)``).  Lowering,
per term:

* each factor node prints with :func:`~matdiff.codegen.array_code.to_array_code`
  (same names, sizes and backend); a transpose is dropped by swapping the factor's
  indices (``A'[i,k]`` is ``A`` under ``'ki'``), and a leading number of a product
  (``2*A``) joins the coefficient;
* the Kronecker delta is ``np.eye(n)`` and an all-ones factor ``np.ones((m, n))``; an
  all-ones factor whose indices other factors carry is a no-op and is left out;
* scalar factors (no indices: ``tr(X)``) multiply the einsum, since an einsum operand
  needs an index: ``2 * np.trace(X) * np.einsum(...)``;
* an output index that no factor carries gets ``np.ones`` of its size as one more
  operand (``T_ij = x_i`` is ``np.einsum('i,j->ij', x, np.ones((n,)))``); a term with
  no indexed factor at all is ``scalars * np.ones(shape)``;
* ``optimize=True`` when a term has three or more operands and sums an index (NumPy
  then picks the contraction order; with two operands, or nothing summed, there is
  nothing to choose and the search would cost ~30 µs a call);
* a term that is one operand already in output order is that operand, no einsum.

Subscript letters: outputs ``i j k l m ...`` in axis order, summed indices ``p q r ...``
per term (``np.einsum`` takes the 52 ASCII letters, so a term may use at most 52
indices).  A zero tensor is ``np.zeros(shape)`` (``0.0`` when it is a scalar).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..errors import UnsupportedError
from ..ir.nodes import Node, make
from ..ir.tensor import Index, Tensor, Term
from ..shapes import Dim
from .array_code import (
    Printer,
    float_literal,
    number,
    reference_input,
    shape_code,
    size_code,
    variable_names,
)
from .backends import Backend, get_backend

__all__ = ["to_einsum_code"]

_OUTPUT_LETTERS = "ijklmnopqrstuvwxyzabcdefghABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SUMMED_LETTERS = "pqrstuvwabcdefghxyzijklmnoABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _enclosed(code: str) -> bool:
    """Whether ``code`` is one parenthesised group, ``(...)``."""
    if not code.startswith("("):
        return False
    depth = 0
    for k, ch in enumerate(code):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return k == len(code) - 1
    return False


def _is_atom(code: str) -> bool:
    """Whether ``code`` needs no parentheses as an operand of ``*`` or ``-``."""
    if _enclosed(code):
        return True
    body = ast.parse(code, mode="eval").body
    if isinstance(body, ast.Constant):
        return not str(code).startswith("-")
    return isinstance(body, (ast.Name, ast.Call, ast.Attribute, ast.Subscript))


def _operand(code: str) -> str:
    return code if _is_atom(code) else f"({code})"


@dataclass
class _Operand:
    code: str
    indices: tuple[Index, ...]
    ones: bool = False  # an all-ones factor: droppable when its indices are carried


class _Lowering:
    def __init__(self, t: Tensor, sizes: Mapping[Dim, str], backend: Backend,
                 code: Callable[[Node], str] | None = None, ref: str | None = None,
                 views: bool = False):
        if len(set(t.indices)) != len(t.indices):
            raise UnsupportedError("an einsum output cannot repeat an index")
        if len(t.indices) > len(_OUTPUT_LETTERS):
            raise UnsupportedError(f"a tensor of rank {len(t.indices)} has more axes "
                                   f"than einsum has letters ({len(_OUTPUT_LETTERS)})")
        self.t = t
        self.sizes = sizes
        self.be = backend
        self.letters = dict(zip(t.indices, _OUTPUT_LETTERS, strict=False))
        self._code = code
        self.ref = ref
        self.views = views

    def code(self, node: Node) -> str:
        if self._code is not None:
            return self._code(node)
        names = variable_names(node, self.be)
        printer = Printer(self.be, self.sizes, names, reference_input(node, names) or self.ref)
        for n in node.walk():  # children first: the recursion stays shallow
            printer.code(n)
        return printer.code(node).text

    def size(self, d: Dim) -> str:
        return size_code(self.sizes, d)

    def ones(self, dims: Sequence[Dim]) -> str:
        return self.be.call("ones", (shape_code(self.sizes, dims),), self.ref)

    def factor(self, node: Node, indices: tuple[Index, ...], scalars: list[str],
               operands: list[_Operand]) -> Fraction:
        """Lower ``node[indices]``; return the number it contributes to the coefficient."""
        while node.op == "transpose":  # A'[i,k] = A[k,i]
            node, indices = node.args[0], indices[::-1]
        c = Fraction(1)
        if node.op == "mul" and node.args[0].op == "const":
            rest = node.args[1:]
            c, node = node.args[0].attrs[0], rest[0] if len(rest) == 1 else make("mul", rest)
        if node.op in ("const", "fill"):
            if indices:
                operands.append(_Operand(self.ones([i.dim for i in indices]), indices, True))
            value: Fraction = node.attrs[0]
            return c * value
        if node.op == "broadcast":  # s used as a vector/matrix: s * ones
            c *= self.factor(node.args[0], (), scalars, operands)
            operands.append(_Operand(self.ones([i.dim for i in indices]), indices, True))
            return c
        if node.op == "expand":  # v[i] 1[j] (a column across the columns), 1[i] r[j]
            i, j = indices
            keep, spread = ((i,), j) if node.args[0].shape.kind == "vector" else ((j,), i)
            c *= self.factor(node.args[0], keep, scalars, operands)
            operands.append(_Operand(self.ones([spread.dim]), (spread,), True))
            return c
        if not indices:
            scalars.append(_operand(self.code(node)))
        else:
            operands.append(_Operand(self.code(node), indices))
        return c

    def term(self, x: Term) -> tuple[Fraction, str]:
        """``(coefficient, code of the rest)`` for one term."""
        scalars: list[str] = []
        operands: list[_Operand] = []
        c = x.coefficient
        for f in x.factors:
            c *= self.factor(f.node, f.indices, scalars, operands)
        operands = _drop_redundant_ones(operands)
        carried = {i for op in operands for i in op.indices}
        missing = [i for i in self.t.indices if i not in carried]
        body: str | None
        if missing and not operands:
            body = self.ones([i.dim for i in self.t.indices])
        else:
            if missing:
                operands.append(_Operand(self.ones([i.dim for i in missing]),
                                         tuple(missing), True))
            body = self.einsum(operands) if operands else None
        pieces = scalars + ([body] if body is not None else [])
        if len(pieces) == 1:
            return c, pieces[0]
        return c, " * ".join(_operand(piece) for piece in pieces)

    def einsum(self, operands: Sequence[_Operand]) -> str:
        letters = dict(self.letters)
        free = (ch for ch in _SUMMED_LETTERS if ch not in letters.values())
        for op in operands:
            for i in op.indices:
                if i not in letters:
                    letter = next(free, None)
                    if letter is None:
                        raise UnsupportedError("a term has more indices than einsum has "
                                               "letters (52)")
                    letters[i] = letter
        inputs = ["".join(letters[i] for i in op.indices) for op in operands]
        output = "".join(letters[i] for i in self.t.indices)
        if len(operands) == 1 and inputs[0] == output:
            return operands[0].code  # already T[o...]: no einsum needed
        if (self.views and len(operands) == 1 and len(output) == 2
                and inputs[0] == output[::-1]):
            return _operand(operands[0].code) + ".T"  # a transposed matrix: a view
        args = [f"'{','.join(inputs)}->{output}'", *(op.code for op in operands)]
        summed = {ch for word in inputs for ch in word} - set(output)
        if len(operands) >= 3 and summed and self.be.einsum_optimize:
            # an order to choose only when something is summed: a pure outer/Hadamard
            # product has none, and NumPy's path search costs ~30 µs a call
            args.append(self.be.einsum_optimize)
        return f"{self.be.fn('einsum')}({', '.join(args)})"

    def zeros(self) -> str:
        if not self.t.indices:
            return "0.0"
        sizes = [self.size(i.dim) for i in self.t.indices]
        shape = f"({sizes[0]},)" if len(sizes) == 1 else f"({', '.join(sizes)})"
        return self.be.call("zeros", (shape,), self.ref)


def _reference(t: Tensor, be: Backend) -> str | None:
    """An array input of ``t``'s factors, for constructors' dtype/device (torch)."""
    for node in sorted(t.nodes(), key=lambda n: n.size):
        ref = reference_input(node, variable_names(node, be))
        if ref is not None:
            return ref
    return None


def _drop_redundant_ones(operands: list[_Operand]) -> list[_Operand]:
    """Leave out all-ones operands whose every index another operand carries."""
    kept = list(operands)
    for op in operands:
        if not op.ones:
            continue
        others = {i for o in kept if o is not op for i in o.indices}
        if all(i in others for i in op.indices):
            kept.remove(op)
    return kept


def to_einsum_code(t: Tensor, sizes: Mapping[Dim, str] | None = None,
                   backend: str | Backend = "numpy",
                   code: Callable[[Node], str] | None = None, views: bool = False) -> str:
    """``t`` as one Python expression over ``backend``: the sum of its terms, each a
    coefficient times scalar factors times an ``einsum`` (see the module doc).

    ``sizes`` maps symbolic dimensions to Python size expressions, as for
    :func:`~matdiff.codegen.array_code.to_array_code`; it is needed for ``eye``, all-ones
    factors and output axes that no factor carries.  ``code`` prints a factor node
    (default: :func:`~matdiff.codegen.array_code.to_array_code`; a program printer passes
    its own, which names shared subexpressions).  ``views``: a transposed matrix
    alone is ``A.T`` rather than ``einsum('ji->ij', A)`` (both are views in NumPy; the
    first reads better).  The value has the shape of the
    output indices' sizes (a float or 0-d array for a rank-0 tensor).
    """
    be = get_backend(backend)
    low = _Lowering(t, sizes or {}, be, code, _reference(t, be), views)
    terms = [low.term(x) for x in t.terms]
    terms = [(c, body) for c, body in terms if c != 0]
    if not terms:
        return low.zeros()
    out = ""
    for c, body in terms:
        magnitude = abs(c)
        if not body:
            text = float_literal(magnitude)
        elif magnitude == 1:
            text = body
        else:
            text = f"{number(magnitude).text} * {_negand(body)}"
        if not out:
            out = ("-" + _negand(text)) if c < 0 else text
        else:
            out += (" - " if c < 0 else " + ") + _summand(text)
    return out


def _summand(text: str) -> str:
    """A term after ``+`` / ``-``: a product is fine, a bare sum needs parentheses."""
    body = ast.parse(text, mode="eval").body
    if isinstance(body, ast.BinOp) and isinstance(body.op, (ast.Add, ast.Sub)):
        return f"({text})"
    return text


def _negand(text: str) -> str:
    """A term after a unary minus or a coefficient: ``-2 * x``, ``2 * tr(X) * x`` read
    right, ``-(A @ x)`` needs its parentheses for the reader (and a sum for Python)."""
    body = ast.parse(text, mode="eval").body
    if _is_atom(text) or (isinstance(body, ast.BinOp) and isinstance(body.op, ast.Mult)):
        return text
    return f"({text})"
