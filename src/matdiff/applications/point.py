"""Derivatives at a point, and the gradient over several variables at once.

Seed 000: for ``f(x, y, z) = x^2 + y^2 + z^2 - 30`` the gradient is
``∇f = (f_x, f_y, f_z) = (2x, 2y, 2z)``, and at ``P(1, -2, 5)`` it is ``(2, -4, 10)``.
:func:`gradient` computes one first derivative per variable (each in the chosen layout)
and stacks them: for scalar variables the value is the vector of partial derivatives;
in general it is the gradient by the stacked vector ``(vec(x1), vec(x2), ...)``.

Values are computed exactly (:mod:`.exact`) when the point is given exactly and the
derivative is rational, else in float64; :func:`value_at` says which.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import api
from .. import arguments as arg
from ..errors import EvaluationError, OptionError
from ..evaluate import dimension_sizes
from ..parse import typed_kinds
from ..printing import to_latex
from ..properties import check_properties
from .exact import exact_value
from .values import (
    Value,
    as_float,
    checked_value,
    exact,
    format_assignments,
    format_echo,
    format_value,
    kind_declarations,
    read_point,
)

Declarations = Mapping[str, str] | Sequence[str] | None


def _exact_env(env: Mapping[str, object]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for k, v in env.items():
        e = exact(v)
        if e is None:
            return None
        out[k] = e
    return out


def value_at(d: api.Derivative, env: Mapping[str, object]) -> Value:
    """``d``'s value at the point ``env``: exact Fractions when the inputs are exact and
    the matrix form is rational, else the float64 value of :meth:`Derivative.at`.

    Every value is checked first (real, finite, at most two axes: :func:`checked_value`),
    and so are the variables' declared properties at it (:func:`check_properties`)."""
    env = {k: checked_value(v, k) for k, v in env.items()}
    floats = {k: as_float(v) for k, v in env.items()}
    check_properties(d.variables, env)  # exactly, for exact values (before d.at's floats)
    with np.errstate(all="ignore"):  # an undefined value is reported below, not warned
        value = d.at(floats)  # checks every variable and shape, with clear messages
    if not np.all(np.isfinite(value)):
        raise EvaluationError(_undefined(d, env))
    exact_env = _exact_env(env)
    if d.result is None or exact_env is None:
        return value
    sizes = dimension_sizes(d.function, floats)
    for dim in d.shape:
        if isinstance(dim, int):
            sizes.setdefault(dim, dim)
    v = exact_value(d.result, exact_env, sizes)
    if v is None or v.size != value.size:
        return value
    return np.asarray(v, dtype=object).reshape(value.shape) if value.ndim else v[()]


def _undefined(d: api.Derivative, env: Mapping[str, object]) -> str:
    where = format_assignments(list(env), env)
    return (f"the derivative {d.inline_text} has no finite value at {where} (a division "
            "by zero, a logarithm or root outside its domain, or a number beyond floating "
            "point's range there)")


@dataclass
class Gradient:
    """``∇f = (∂f/∂x1, ∂f/∂x2, ...)``: one first derivative per variable (``parts``)."""

    parts: tuple[api.Derivative, ...]

    @property
    def names(self) -> list[str]:
        return [p.wrt for p in self.parts]

    @property
    def text(self) -> str:
        if len(self.parts) == 1:
            return self.parts[0].text
        return "(" + ", ".join(p.text for p in self.parts) + ")"

    @property
    def latex(self) -> str:
        if len(self.parts) == 1:
            return self.parts[0].latex
        return "\\left(" + ", ".join(p.latex for p in self.parts) + "\\right)"

    def describe(self) -> str:
        what = ", ".join(f"d/d{p.wrt}" for p in self.parts)
        f = self.parts[0].source.strip()
        return f"gradient of {f} by ({', '.join(self.names)}): ({what}) ({self.parts[0].layout}" \
            " layout)"

    def values_at(self, values: Mapping[str, object] | None = None,
                  **kwargs: object) -> list[Value]:
        """Each part's value (exact where possible)."""
        env = {**(values or {}), **kwargs}
        return [value_at(p, env) for p in self.parts]

    @arg.entry_point(values=arg.optional_mapping)
    def at(self, values: Mapping[str, ArrayLike] | None = None,
           **kwargs: ArrayLike) -> NDArray[np.float64]:
        """The gradient's value as one float vector (scalar variables: the partials in
        order; otherwise each part flattened, in NumPy's row-major order, and joined)."""
        env = {**(values or {}), **kwargs}
        return np.concatenate([np.ravel(p.at(env)) for p in self.parts])

    def value_text(self, values: Mapping[str, object]) -> str:
        vals = self.values_at(values)
        if len(vals) == 1:
            return format_value(vals[0])
        return "(" + ", ".join(format_value(v) for v in vals) + ")"

    def _repr_latex_(self) -> str:
        f = to_latex(self.parts[0].function)
        return f"$\\nabla \\left({f}\\right) = {self.latex}$"

    def _repr_html_(self) -> str:
        return f"<div>\\(\\nabla\\) = \\({html.escape(self.latex)}\\)</div>"


def gradient(expr: str, wrt: str | Sequence[str], declare: Declarations = None,
             layout: str = "mixed", symmetric_gradient: str = "symmetrized", *,
             strict: bool = False) -> Gradient:
    """The gradient of ``expr`` over the variables ``wrt`` (a list, or ``"x,y,z"``).

    >>> gradient("x^2 + y^2 + z^2 - 30", "x,y,z",
    ...          declare=["x: scalar", "y: scalar", "z: scalar"]).text
    '(2*x, 2*y, 2*z)'
    """
    names = split_names(wrt)
    return Gradient(tuple(api.derivative(expr, n, declare=declare, layout=layout,
                                         symmetric_gradient=symmetric_gradient,
                                         strict=strict)
                          for n in names))


def split_names(wrt: str | Sequence[str]) -> list[str]:
    items = [wrt] if isinstance(wrt, str) else list(wrt)
    names = [n.strip() for item in items for n in item.split(",")]
    if not names or any(not n for n in names):
        raise OptionError(f"name the variables as x,y,z; got {wrt!r}")
    if len(set(names)) != len(names):
        raise OptionError(f"a variable is named twice in {wrt!r}")
    return names


def diff_at(expr: str, wrt: Sequence[str], at: str | Mapping[str, Value] | None,
            declare: Sequence[str], layout: str = "mixed",
            symmetric_gradient: str = "symmetrized", order: int | None = None,
            fmt: str = "text", strict: bool = False) -> tuple[str, str]:
    """What ``matdiff diff ... --at ...`` prints: (stdout, stderr note).

    ``--wrt x,y,z`` (one option, commas) is the gradient over several variables;
    repeated ``--wrt`` keeps its meaning (higher and mixed derivatives).  The values
    also decide undeclared names' kinds (``x=1`` makes ``x`` a scalar)."""
    sources: dict[str, str] = {}
    if isinstance(at, str):
        positional, named = read_point(at, sources)
        if positional:
            raise OptionError(f"--at needs name=value items (x=1,y=-2,z=5), got {at!r}")
        at = named
    values = {k: checked_value(v, k) for k, v in (at or {}).items()}
    decl = kind_declarations(values, declare, typed_kinds(expr, declare))
    several = any("," in w for w in wrt)
    if several and (len(wrt) > 1 or order is not None):
        raise OptionError("--wrt x,y,z gives the gradient over several variables; it "
                          "cannot be combined with another --wrt or --order")
    if several:
        g = gradient(expr, wrt[0], declare=decl, layout=layout,
                     symmetric_gradient=symmetric_gradient, strict=strict)
        symbolic: dict[str, Callable[[], str]] = {
            "text": lambda: g.text, "latex": lambda: g.latex,
            "mathml": lambda: "\n".join(getattr(p, "mathml", p.latex) for p in g.parts)}
        for backend in ("numpy", "jax", "torch"):
            symbolic[backend] = (lambda b: lambda: "(" + ", ".join(p.code(b) for p in g.parts)
                                 + ")")(backend)
        note = f"({g.describe()})"
        parts = list(g.parts)
        value = g.value_text(values) if values else None
    else:
        d = api.derivative(expr, list(wrt), declare=decl, layout=layout,
                           symmetric_gradient=symmetric_gradient, order=order, strict=strict)
        symbolic = {"text": lambda: d.text, "latex": lambda: d.latex,
                    "mathml": lambda: getattr(d, "mathml", d.latex)}
        for backend in ("numpy", "jax", "torch"):
            symbolic[backend] = (lambda b: lambda: d.code(b))(backend)
        note = f"({d.describe()})"
        parts = [d]
        value = format_value(value_at(d, values)) if values else None
    where = format_assignments(list(values), values, sources)
    if fmt == "json":
        payload: dict[str, Any] = {"parts": [p.to_json() for p in parts]}
        payload.update({k: symbolic[k]() for k in ("text", "latex", "numpy", "mathml")})
        if value is not None:
            floats = {k: as_float(v) for k, v in values.items()}
            payload["at"] = {k: format_echo(v, sources.get(k)) for k, v in values.items()}
            payload["value"] = value
            payload["value_float"] = [np.asarray(p.at(floats)).tolist() for p in parts]

        return json.dumps(payload, indent=2, ensure_ascii=False), ""
    # only the asked format is printed (a NumPy spelling that cannot be written must not
    # stop the text form from being shown)
    if fmt not in symbolic:
        raise OptionError(f"unknown format {fmt!r}; valid formats are: "
                          f"{', '.join([*symbolic, 'json'])}")
    out = symbolic[fmt]()
    if value is not None:
        out += f"\n{value}    (at {where})"
    return out, "\n".join([note, *_types_note(parts[0])])


def _types_note(d: api.Derivative) -> list[str]:
    """The stderr lines that say what each undeclared name is and why, and what the
    expression leaves ambiguous (as ``matdiff diff`` without ``--at``)."""
    line = d.describe_variables()
    return ([f"variables: {line}"] if line else []) + [f"warning: {w}" for w in d.warnings]
