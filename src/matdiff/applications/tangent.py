"""Tangent planes and normal lines of surfaces ``F(x, y, z) = c`` (seed 000).

Seed 000: the sphere ``x^2 + y^2 + z^2 = 30`` at ``P(1, -2, 5)``.  With
``F = x^2 + y^2 + z^2 - 30`` the gradient ``∇F = (2x, 2y, 2z)`` is normal to the level
surface, ``∇F(P) = (2, -4, 10)``; the tangent plane is every point whose offset from P is
orthogonal to it,

    F_x(P)(x - x0) + F_y(P)(y - y0) + F_z(P)(z - z0) = 0,
    here 2(x - 1) - 4(y + 2) + 10(z - 5) = 0,

and the normal line is ``P + t ∇F(P) = (1 + 2t, -2 - 4t, 5 + 10t)``.

The same holds in any dimension (a tangent hyperplane), for an equation ``lhs = rhs``
(``F = lhs - rhs``), for a graph ``z = f(x, y)`` (then ``F = z - f(x, y)``, and the point
may omit ``z``: it is computed), and for one vector variable (``p'*p = 30`` at
``1,-2,5``: coordinates ``p1, p2, p3``).  Refused, with the numbers: a point off the
surface, and a point where ``∇F = 0`` (no tangent plane is defined there).
"""

from __future__ import annotations

import dataclasses
import html
import os
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from .. import api
from ..errors import MatdiffError, OptionError
from ..evaluate import dimension_sizes, evaluate
from ..ir.nodes import Node
from ..parse import parse, typed_kinds
from ..parse.declarations import read_declarations
from ..parse.elaborate import FUNCTIONS
from ..parse.reader import read_expression
from ..properties import check_properties
from .exact import exact_value
from .values import (
    Value,
    as_float,
    checked_value,
    exact,
    format_echo,
    format_number,
    kind_declarations,
    read_point,
)

Declarations = Mapping[str, str] | Sequence[str] | None
REL_TOLERANCE = 1e-9
"""A float point is on the surface when ``|lhs - rhs| <= 1e-9 (1 + |lhs| + |rhs|)``."""


class TangentError(MatdiffError):
    """No tangent plane: the point is off the surface, or the gradient vanishes there."""

    kind = "no tangent plane"


def names_in(text: str) -> list[str]:
    """The variable names of ``text`` in order of first appearance (``eye`` excluded)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if type(node).__name__ == "Name":
            name = node.name  # type: ignore[attr-defined]
            if name != "eye" and name not in found:
                found.append(name)
        if dataclasses.is_dataclass(node):
            for f in dataclasses.fields(node):
                walk(getattr(node, f.name))
        elif isinstance(node, tuple):
            for item in node:
                walk(item)

    walk(read_expression(text))
    return found


def node_value(node: Node, env: Mapping[str, object]) -> Value:
    """``node`` at the point: exact when possible, else float64."""
    floats = {k: as_float(v) for k, v in env.items()}
    sizes = dimension_sizes(node, floats)
    exact_env = {k: exact(v) for k, v in env.items()}
    if all(v is not None for v in exact_env.values()):
        v = exact_value(node, exact_env, sizes)
        if v is not None:
            return v if v.ndim else Fraction(v.item())  # 0-d: the Fraction inside
    return evaluate(node, floats, sizes)


def _is_zero(v: Value) -> bool:
    if isinstance(v, Fraction):
        return v == 0
    return bool(np.all(np.asarray(v, dtype=object) == 0))


@dataclasses.dataclass
class Tangent:
    """The tangent plane and normal line of ``equation`` at ``point``.

    ``normal`` is ``∇F`` at the point (exact Fractions when the point is exact and F
    rational), ``coordinates`` the names of the axes, ``parameters`` the other values.
    """

    equation: str
    function: str
    coordinates: list[str]
    point: list[Value]
    normal: list[Value]
    gradient_text: str
    gradient_latex: str
    parameters: dict[str, Value]
    variable: str | None  # the vector variable, when the surface is written with one
    function_node: Node
    values: dict[str, Any]
    declarations: list[str]

    # --- the forms seed 000 writes ------------------------------------------------------
    @property
    def point_normal(self) -> str:
        """``2(x - 1) - 4(y + 2) + 10(z - 5) = 0``."""
        pieces = [(n, _offset(c, p)) for c, p, n in
                  zip(self.coordinates, self.point, self.normal, strict=True) if n != 0]
        return _signed_sum(pieces, product=True) + " = 0"

    @property
    def expanded(self) -> str:
        """``2x - 4y + 10z = 60``: ``∇F(P)·x = ∇F(P)·P``."""
        pieces = [(n, c) for c, n in zip(self.coordinates, self.normal, strict=True) if n != 0]
        rhs = sum((n * p for n, p in zip(self.normal, self.point, strict=True)), Fraction(0))
        return f"{_signed_sum(pieces, product=False)} = {format_number(rhs)}"

    @property
    def normal_line(self) -> str:
        """``(1 + 2t, -2 - 4t, 5 + 10t)``: ``P + t ∇F(P)``."""
        return "(" + ", ".join(_line_entry(p, n) for p, n in
                               zip(self.point, self.normal, strict=True)) + ")"

    @property
    def point_text(self) -> str:
        return "(" + ", ".join(format_number(p) for p in self.point) + ")"

    @property
    def normal_text(self) -> str:
        return "(" + ", ".join(format_number(n) for n in self.normal) + ")"

    @property
    def text(self) -> str:
        g = f"grad F = {self.gradient_text}"
        lines = [f"surface: {self.equation.strip()}    (F = {self.function})",
                 f"point P = {self.point_text}"
                 + (f" ({self.variable} = {self.point_text})" if self.variable else ""),
                 g, f"grad F(P) = {self.normal_text}",
                 f"tangent plane: {self.point_normal}",
                 f"               {self.expanded}",
                 f"normal line: {self.normal_line}, t real"]
        if self.parameters:
            lines.insert(2, "with " + ", ".join(f"{k} = {format_echo(v)}"
                                                 for k, v in self.parameters.items()))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        rows = [("surface", self.equation), ("point P", self.point_text),
                ("∇F", self.gradient_text), ("∇F(P)", self.normal_text),
                ("tangent plane", self.point_normal), ("", self.expanded),
                ("normal line", self.normal_line)]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td><code>{html.escape(v)}</code></td></tr>" for k, v in rows)
        return f"<table class='matdiff-tangent'>{body}</table>"

    def plot(self, path: str | os.PathLike[str], size: float | None = None) -> None:
        """Write a PNG of the surface near P with the tangent plane and the normal line
        (three coordinates; matplotlib's Agg backend, no display needed)."""
        from .plot import plot_tangent
        plot_tangent(self, path, size)


def _offset(name: str, p: Value) -> str:
    if p == 0:
        return name
    sign = "-" if p > 0 else "+"
    return f"({name} {sign} {format_number(abs(p))})"


def _coefficient(c: Value, first: bool) -> tuple[str, str]:
    """(sign, magnitude text) of a coefficient; magnitude 1 prints as nothing."""
    neg = c < 0
    mag = abs(c)
    sign = ("-" if neg else "") if first else (" - " if neg else " + ")
    text = "" if mag == 1 else format_number(mag)
    if "/" in text:
        text = f"({text})"
    return sign, text


def _signed_sum(pieces: list[tuple[Value, str]], product: bool) -> str:
    out = ""
    for k, (c, what) in enumerate(pieces):
        sign, mag = _coefficient(c, k == 0)
        if mag and not product and not what.startswith("("):
            mag += "*" if what[0].isdigit() else ""
        out += sign + mag + what
    return out or "0"


def _line_entry(p: Value, n: Value) -> str:
    if n == 0:
        return format_number(p)
    sign, mag = _coefficient(n, p == 0)
    term = f"{mag}t"
    return f"{sign}{term}" if p == 0 else f"{format_number(p)}{sign}{term}"


# --- building it ----------------------------------------------------------------------

def _split_equation(equation: str) -> tuple[str, str]:
    if equation.count("=") > 1:
        raise OptionError(f"an equation has one '=', got {equation!r}")
    lhs, eq, rhs = equation.partition("=")
    if eq and (not lhs.strip() or not rhs.strip()):
        raise OptionError(f"both sides of {equation!r} must be expressions")
    return lhs, (rhs if eq else "0")


def _both_sides(lhs: str, rhs: str) -> str:
    """The equation as one expression, for typing its names as the parser will."""
    return f"({lhs}) - ({rhs})" if rhs.strip() != "0" else lhs


def tangent(equation: str, at: str | Sequence[object] | Mapping[str, object],
            declare: Declarations = None, coordinates: Sequence[str] | None = None, *,
            strict: bool = False) -> Tangent:
    """The tangent plane and normal line of the surface ``equation`` at a point.

    ``equation``: ``"x^2 + y^2 + z^2 = 30"``, ``"z = x^2 + y^2"``, ``"p'*p = 30"`` (no
    ``=``: ``F = 0``).  ``at``: the coordinates (``[1, -2, 5]`` or ``"1,-2,5"``, exact
    when given as ints, Fractions or text), or named values (``{"x": 1, ...}`` /
    ``"x=1,y=-2,z=5,a=2"``; named values also give parameters).  The coordinates are
    ``coordinates`` if given, else the names without a named value, else every name that
    is not a parameter (``a``..``g`` and Greek names are parameters), alphabetically.
    For a graph ``z = f(x, y)`` the point may omit ``z``.
    """
    lhs, rhs = _split_equation(equation)
    positional, named = _read_at(at)
    names = list(dict.fromkeys(names_in(lhs) + names_in(rhs)))
    if coordinates is not None:
        coords = list(coordinates)
        unknown = [c for c in coords if c not in names]
        if unknown:
            raise OptionError(f"{', '.join(unknown)} not in the equation (its names: "
                              f"{', '.join(names)})")
    elif positional:
        coords = sorted(n for n in names if n not in named)
    else:  # a..g and Greek names are parameters, unless the equation makes them vectors
        typed = typed_kinds(_both_sides(lhs, rhs), declare)
        coords = sorted(n for n in names if typed(n) != "scalar") or sorted(names)
    declared = {d.name: d.kind for d in read_declarations(declare, FUNCTIONS)}
    vector = _vector_variable(coords, positional, named, declared,
                              typed_kinds(_both_sides(lhs, rhs), declare))
    if vector is not None:
        return _build(equation, lhs, rhs, [vector], positional, named, declare, vector,
                      strict)
    return _build(equation, lhs, rhs, coords, positional, named, declare, None, strict)


def _read_at(at: str | Sequence[object] | Mapping[str, object]
             ) -> tuple[list[Value], dict[str, Value]]:
    if isinstance(at, str):
        return read_point(at)
    if isinstance(at, Mapping):
        return [], {str(k): checked_value(v, str(k)) for k, v in at.items()}
    if isinstance(at, np.ndarray) and at.ndim == 1:
        at = list(at)
    if not isinstance(at, Sequence):
        raise OptionError(f"the point is a list of coordinates, a dict of named values or "
                          f"text such as '1,-2,5', got {type(at).__name__}")
    return [checked_value(v, f"coordinate {k + 1}") for k, v in enumerate(at)], {}


def _vector_variable(coords: list[str], positional: list[Value], named: dict[str, Value],
                     declared: Mapping[str, str], typed: Callable[[str], str | None]
                     ) -> str | None:
    """The one vector variable the surface is written in, if it is (``p'*p = 30``)."""
    if len(coords) != 1:
        return None
    name = coords[0]
    if name in named:
        return name if np.ndim(np.asarray(named[name], dtype=object)) == 1 else None
    kind = declared.get(name, typed(name))
    return name if kind == "vector" and len(positional) > 1 else None


def _build(equation: str, lhs: str, rhs: str, coords: list[str], positional: list[Value],
           named: dict[str, Value], declare: Declarations, vector: str | None,
           strict: bool = False) -> Tangent:
    values = dict(named)
    if vector is not None and vector not in values:
        values[vector] = np.asarray(positional, dtype=object) if all(
            isinstance(p, Fraction) for p in positional) else as_float(positional)
        positional = []
    missing = [c for c in coords if c not in values]
    graph = None
    if len(positional) == len(missing) - 1 and lhs.strip() in missing \
            and lhs.strip() not in names_in(rhs):
        graph = lhs.strip()  # z = f(x, y): z is computed from the others
        missing.remove(graph)
    if len(positional) != len(missing):
        raise OptionError(f"the point has {len(positional)} coordinate(s) but the "
                          f"surface has {len(missing)} unnamed: {', '.join(missing)} "
                          "(coordinates are taken alphabetically; name them, e.g. "
                          "x=1,y=-2,z=5)")
    values.update(zip(missing, positional, strict=True))
    decl = kind_declarations(values if graph is None else
                             {**values, graph: Fraction(0)}, declare,
                             typed_kinds(_both_sides(lhs, rhs), declare))
    if vector is not None and not any(d.startswith(f"{vector}:") for d in decl):
        decl.append(f"{vector}: vector({np.size(np.asarray(values[vector], dtype=object))})")
    left = parse(lhs, decl, strict=strict).expr
    right = parse(rhs, decl, strict=strict).expr
    if graph is not None:
        values[graph] = node_value(right, values)
    order_names = coords
    f_text = f"{lhs.strip()} - ({rhs.strip()})" if rhs.strip() != "0" else lhs.strip()
    parts = [api.derivative(f_text, c, declare=decl) for c in order_names]
    if not left.shape.is_scalar or not right.shape.is_scalar:
        raise OptionError(f"a surface is a scalar equation; {equation!r} has sides of "
                          f"shape {left.shape} and {right.shape}")
    check_properties(parts[0].variables, values)
    with np.errstate(all="ignore"):  # undefined values are reported, not warned about
        lv, rv = node_value(left, values), node_value(right, values)
    point = _flatten([values[c] for c in coords])
    where = "(" + ", ".join(format_number(p) for p in point) + ")"
    for side, v in (("left", lv), ("right", rv)):
        if not np.isfinite(float(v)):
            raise TangentError(
                f"the {side} side of {equation.strip()} is not defined at {where} (its "
                f"value is {float(v)}): the point is outside the domain of the surface")
    off = lv - rv
    if not _on_surface(lv, rv):
        raise TangentError(
            f"the point {where} is not on the surface {equation.strip()}: the left side "
            f"is {format_number(lv)} there and the right side {format_number(rv)} "
            f"(off by {format_number(off)})")
    floats = {k: as_float(v) for k, v in values.items()}
    grads = []
    for c, p in zip(order_names, parts, strict=True):
        with np.errstate(all="ignore"):
            g = p.at(floats)
        if not np.all(np.isfinite(g)):
            raise TangentError(
                f"the gradient of F = {_text(parts[0])} is not defined at {where}: "
                f"dF/d{c} = {p.inline_text} is infinite or undefined there, so no tangent "
                "plane follows from it (the surface may have a cusp or an edge there)")
        grads.append(_simple(g, _exact_part(p, values)))
    normal = _flatten(grads)
    if all(n == 0 or abs(float(n)) < 1e-12 for n in normal):
        raise TangentError(
            f"the gradient of F = {_text(parts[0])} vanishes at "
            f"{where}: the surface has no tangent plane there (a singular point)")
    shown = [f"{vector}{k + 1}" for k in range(len(point))] if vector else coords
    g_text = parts[0].text if vector else "(" + ", ".join(p.text for p in parts) + ")"
    g_latex = parts[0].latex if vector else \
        "\\left(" + ", ".join(p.latex for p in parts) + "\\right)"
    params = {k: v for k, v in values.items() if k not in coords and k != graph}
    return Tangent(equation, _text(parts[0]), shown, point, normal, g_text, g_latex,
                   params, vector, parts[0].function, values, decl)


def _text(d: api.Derivative) -> str:
    from ..printing import to_text
    return to_text(d.function)


def _exact_part(d: api.Derivative, values: dict[str, Any]) -> Value | None:
    from .point import value_at
    v = value_at(d, values)
    return v if isinstance(v, Fraction) or (isinstance(v, np.ndarray) and v.dtype == object) \
        else None


def _simple(floats: Any, exact_v: Value | None) -> Value:
    return exact_v if exact_v is not None else floats


def _flatten(vals: list[Any]) -> list[Value]:
    out: list[Value] = []
    for v in vals:
        arr = np.asarray(v, dtype=object)
        for item in arr.flat:
            out.append(item if isinstance(item, Fraction) else _tidy(float(item)))
    return out


def _tidy(x: float) -> Value:
    return Fraction(int(x)) if x == int(x) and abs(x) < 1e15 else x


def _on_surface(lv: Value, rv: Value) -> bool:
    if isinstance(lv, Fraction) and isinstance(rv, Fraction):
        return lv == rv
    a, b = float(lv), float(rv)
    return abs(a - b) <= REL_TOLERANCE * (1 + abs(a) + abs(b))
