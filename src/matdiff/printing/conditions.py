"""The notes a result carries where a matrix function's differential holds only on part of
its domain: ``pinv(X)`` where the rank of ``X`` is constant (Golub & Pereyra 1973, eq. 4.12;
The Matrix Cookbook, sec. 3.6: at a change of rank the pseudo-inverse is not even
continuous), ``adj(X)`` where ``X`` is invertible (its rule, Cookbook sec. 1.1, goes through
``inv(X)``)."""

from __future__ import annotations

from collections.abc import Sequence

from ..ir.nodes import Node
from .text import to_text


def matrix_function_conditions(function: Node, variables: Sequence[Node]) -> tuple[str, ...]:
    """One note per ``pinv``/``adj`` of ``function`` whose operand depends on a variable
    differentiated by."""
    names = {v.attrs[0] for v in variables}
    out: dict[str, None] = {}
    for n in function.walk():
        if n.op not in ("pinv", "adj") or not names & set(n.args[0].variables()):
            continue
        x = to_text(n.args[0])
        if n.op == "pinv":
            out[f"valid where the rank of {x} is constant (the derivative of pinv({x}), "
                "Golub & Pereyra 1973)"] = None
        else:
            out[f"valid where {x} is invertible (the derivative of adj({x}) is taken "
                f"through inv({x}))"] = None
    return tuple(out)
