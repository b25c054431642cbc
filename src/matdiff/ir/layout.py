"""Layouts (DESIGN.md, seed 003): where a derivative's axes go, as positions of the
mixed-layout axes (``f`` axes, then each variable's), and which axis of a one- or two-axis
derivative is its matrix form's rows or columns.

- ``mixed``: ``f`` axes, then ``V1`` axes, then ``V2`` axes, ...
- ``numerator``: ``f`` axes, then each variable's axes reversed.
- ``denominator``: every axis of ``numerator`` reversed.
"""

from __future__ import annotations

from collections.abc import Sequence

from .nodes import Node
from .tensor import Index, Tensor


def axes_groups(function: Node, variables: Sequence[Node]) -> list[list[int]]:
    """Positions of the function's axes, then of each variable's, in mixed layout."""
    groups: list[list[int]] = []
    start = 0
    for node in (function, *variables):
        n = len(node.shape.dims)
        groups.append(list(range(start, start + n)))
        start += n
    return groups


def layout_permutation(layout: str, groups: list[list[int]]) -> list[int]:
    """Mixed-layout axis positions in the order the layout puts them ."""
    if layout == "mixed":
        return [a for g in groups for a in g]
    numerator = groups[0] + [a for g in groups[1:] for a in reversed(g)]
    return numerator if layout == "numerator" else list(reversed(numerator))


def matrix_slots(t: Tensor, layout: str, groups: list[list[int]],
                  function: Node) -> tuple[Index | None, Index | None]:
    """Rows and columns of the matrix form (``t`` already in the layout's axis order).

    One axis: a column, except a row-vector function in mixed layout, a variable's axis
    in numerator layout and a function's axis in denominator layout (seed 003).
    """
    if t.rank == 2:
        return t.indices[0], t.indices[1]
    if t.rank == 0:
        return None, None
    from_function = bool(groups[0])
    if layout == "mixed":
        row = from_function and function.shape.kind == "row"
    elif layout == "numerator":
        row = not from_function
    else:
        row = from_function
    return (None, t.indices[0]) if row else (t.indices[0], None)
