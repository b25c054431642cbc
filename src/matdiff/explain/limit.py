"""The limit method of seed 000: ``D_W f(X) = lim (f(X + tW) - f(X))/t = tr(W'U)``
gives ``df/dX = U`` (seed 000, property 2).

For a polynomial ``f`` (sums, products, transposes, traces, integer powers; ``norm2(u)^2``
read as ``<u, u>``) the steps are seed 000's: substitute ``X + t*W``, expand and collect
the powers of ``t``, cancel ``f(X)``, divide by ``t``, let ``t -> 0``, bring the result to
``tr(W'*U)`` with the trace properties and read off ``U``.  Any other ``f`` (``log``,
``det``, ``inv``, ...) has no finite expansion; the derivation then states the first-order
expansion ``f(X + tW) = f(X) + t df(X)[W] + O(t^2)`` that the differential rules give and
continues from there (a choice: the differential rules are the expansions' source).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..diff import differential
from ..errors import OptionError
from ..ir import build as b
from ..ir.nodes import Node, make
from ..ir.ops import OPS
from ..printing import to_latex, to_text
from .check import Checker, node_value
from .differential import (
    DerivativeLike,
    Lines,
    check_jacobian,
    differential_rules,
    expand,
    pair_terms,
    structure_of,
    sum_value,
    tidy_terms,
)
from .differential_steps import _IDENTIFY, _ratio
from .steps import Step

MAX_DEGREE = 6
MAX_TERMS = 48
T_AT = 0.37  # a value of t at which lines before the limit are compared


Poly = dict[int, list[Node]]


def _times(p: Poly, q: Poly, combine: Callable[..., Node]) -> Poly | None:
    out: Poly = {}
    for i, ps in sorted(p.items(), reverse=True):  # W in the earlier factor first
        for j, qs in q.items():
            if i + j > MAX_DEGREE:
                return None
            for a in ps:
                for c in qs:
                    out.setdefault(i + j, []).append(combine(a, c))
    return out if sum(len(v) for v in out.values()) <= MAX_TERMS else None


def polynomial(node: Node, x: Node, w: Node) -> Poly | None:
    """The coefficients (as lists of terms) of ``t^k`` in ``node(X + tW)``; the ``t^0``
    coefficient is ``node`` itself.  None when ``node`` is not polynomial in ``X``."""
    memo: dict[Node, Poly | None] = {}
    for n in node.walk():
        if n is x:
            memo[n] = {0: [x], 1: [w]}
        elif not n.contains(x):
            memo[n] = {0: [n]}
        else:
            memo[n] = _poly_op(n, [memo[a] for a in n.args], x, w)
    return memo[node]


def _poly_op(n: Node, ps: list[Poly | None], x: Node, w: Node) -> Poly | None:
    if any(p is None for p in ps):
        if n.op == "power" and n.args[0].op == "norm2" and b.is_const(n.args[1], 2):
            u = n.args[0].args[0]  # norm2(u)^2 = <u, u>
            return polynomial(b.inner(u, u), x, w)
        return None
    polys = [p for p in ps if p is not None]
    if n.op == "add":
        out: Poly = {}
        for p in polys:
            for k, terms in p.items():
                out.setdefault(k, []).extend(terms)
        return out
    if n.op in ("mul", "hadamard"):
        combine = b.mul if n.op == "mul" else b.hadamard
        acc: Poly | None = polys[0]
        for p in polys[1:]:
            acc = None if acc is None else _times(acc, p, combine)
        return acc
    if n.op == "matpow" and n.attrs[0] > 0:
        acc = polys[0]
        for _ in range(n.attrs[0] - 1):
            acc = None if acc is None else _times(acc, polys[0], b.mul)
        return acc
    if n.op == "power" and b.is_const(n.args[1]) and not n.args[1].contains(x):
        k = n.args[1].attrs[0]
        if k.denominator != 1 or not 1 <= k <= MAX_DEGREE:
            return None
        acc = polys[0]
        for _ in range(int(k) - 1):
            acc = None if acc is None else _times(acc, polys[0], b.hadamard)
        return acc
    if n.op == "ediv" and not n.args[1].contains(x):
        return {k: [b.ediv(t, n.args[1]) for t in terms] for k, terms in polys[0].items()}
    if len(n.args) == 1 and OPS[n.op].linear == "all":
        return {k: [make(n.op, (t,), n.attrs) for t in terms] for k, terms in polys[0].items()}
    return None


def _fresh(taken: Mapping[str, Node], choices: tuple[str, ...]) -> str:
    return next(c for c in choices if c not in taken)


def _lim(node: Node, t: str) -> tuple[str, str]:
    text, latex = to_text(node), to_latex(node)
    if node.op == "add":
        text, latex = f"({text})", rf"\left({latex}\right)"
    return f"lim({t}->0) {text}", rf"\lim_{{{t} \to 0}} {latex}"


def derive_limit(d: DerivativeLike, lang: str, seed: int = 0) -> tuple[Step, ...]:
    """Seed 000's derivation of a scalar function's gradient (module docstring)."""
    f, x = d.function, d.wrt_variables[0]
    if d.order != 1 or not f.shape.is_scalar:
        raise OptionError(
            "the limit method (seed 000) derives the gradient of a scalar function; for "
            f"this {'higher-order ' if d.order != 1 else ''}derivative of a "
            f"{f.shape.kind} use method 'differential'")
    structure = structure_of(x, d.options.symmetric_gradient)
    wname = _fresh(d.variables, ("W", "H", "V", "E") if x.shape.kind == "matrix"
                   else ("w", "h", "v", "u"))
    tname = _fresh(d.variables, ("t", "s", "tau"))
    w = b.var(wname, x.shape, x.attrs[1] & {"symmetric", "diagonal"})
    t = b.var(tname, b.const(0).shape)
    xn = str(x.attrs[0])
    checker = Checker([f], d.variables, x, wname, structure, seed=seed)
    at = {tname: T_AT}
    lines = Lines(lang, checker=checker)
    lhs = (f"D_{wname} f({xn})", rf"D_{{{wname}}} f({to_latex(x)})")
    shifted = b.add(x, b.mul(t, w))
    lines.add(f"{lhs[0]} = lim({tname}->0) (f({xn} + {tname}*{wname}) - f({xn}))/{tname}",
              rf"{lhs[1]} = \lim_{{{tname} \to 0}} \frac{{f({to_latex(shifted)}) - "
              rf"f({to_latex(x)})}}{{{tname}}}", ["limit-definition"])
    inv_t = b.power(t, b.const(-1))
    quotient = b.mul(b.add(f.substitute({x: shifted}), b.neg(f)), inv_t)
    lines.equation(None, _lim(quotient, tname), ["limit-substitute"])
    poly = polynomial(f, x, w)
    if poly is not None and len(poly) > 1:
        first = _expanded(lines, checker, poly, f, t, w, quotient, at, tname)
    else:
        trace: list[tuple[str, Node]] = []
        raw = differential(f, x, trace)
        dx = b.differential(xn, x.shape)
        first = ([] if raw is None
                 else tidy_terms(expand(raw.substitute({dx: w}), w), w))
        checker.require_derivative(sum_value(first), node_value(f), "first-order expansion")
        lines.equation(None, b.add(*first) if first else b.zero(f.shape),
                       ["limit-first-order", *differential_rules(trace)])
    if first:
        previous = sum_value(first)
        pairing = pair_terms(first, w)
        if pairing.rotated is not None:
            checker.require(sum_value(pairing.rotated), previous, "the cyclic property")
            lines.equation(None, b.add(*pairing.rotated), ["cyclic"])
        pairs = [_w_form(g, w) for g in pairing.gradients]
        checker.require(sum_value(pairs), previous, "the trace properties")
        lines.equation(None, b.add(*pairs), pairing.rules)
        if len(pairs) > 1:
            collected = _w_form(b.add(*pairing.gradients), w)
            checker.require(node_value(collected), previous, "collecting terms")
            lines.equation(None, collected, ["collect"])
    g = d.gradient
    assert g is not None
    check_jacobian(checker, node_value(g), node_value(f), structure, "the gradient")
    rules = ["limit-read-off"] + ([] if structure == "general" else [_IDENTIFY["matrix"]])
    if structure == "symmetrized":
        rules.append("symmetric")
    elif structure == "cookbook":
        rules.append("symmetric-cookbook")
    elif structure == "diagonal":
        rules.append("diagonal")
    shown = (d.text, d.latex) if d.options.layout == "mixed" else g
    lines.equation(_ratio(1, ("f", "f"), [xn]), shown, rules)
    return tuple(lines.steps)


def _w_form(g: Node, w: Node) -> Node:
    """``tr(W'*U)`` (seed 000's form), ``w'*u`` for vectors, ``w*u`` for scalars."""
    kind = w.shape.kind
    if g.op == "mul" and b.is_const(g.args[0]):  # w'*(-1)*u reads -w'*u
        return b.mul(g.args[0], _w_form(b.mul(*g.args[1:]), w))
    if kind == "scalar":
        return b.mul(w, g)
    if kind == "matrix":
        return b.apply("tr", b.mul(b.transpose(w), g))
    return b.mul(b.transpose(w), g)


def _expanded(lines: Lines, checker: Checker, poly: Poly, f: Node, t: Node, w: Node,
              quotient: Node, at: dict[str, float], tname: str) -> list[Node]:
    """Expand, cancel ``f(X)``, divide by ``t``, take the limit; returns ``c_1``'s terms."""
    inv_t = b.power(t, b.const(-1))
    coefficients = {k: tidy_terms(terms, w) for k, terms in sorted(poly.items()) if k > 0}
    coefficients = {k: c for k, c in coefficients.items() if c}

    def power_of_t(k: int) -> Node:
        return t if k == 1 else b.power(t, b.const(k))

    higher = [b.mul(power_of_t(k), b.add(*c)) for k, c in coefficients.items()]
    previous = node_value(quotient)
    expanded = b.mul(b.add(f, *higher, b.neg(f)), inv_t)
    checker.require(node_value(expanded), previous, "the expansion", at=at)
    lines.equation(None, _lim(expanded, tname), ["limit-expand"])
    if not higher:  # f does not depend on X
        return []
    cancelled = b.mul(b.add(*higher), inv_t)
    checker.require(node_value(cancelled), node_value(expanded), "cancelling f(X)", at=at)
    lines.equation(None, _lim(cancelled, tname), ["limit-cancel"])
    divided = b.add(*[b.mul(power_of_t(k - 1), b.add(*c)) if k > 1 else b.add(*c)
                      for k, c in coefficients.items()])
    checker.require(node_value(divided), node_value(cancelled), "dividing by t", at=at)
    lines.equation(None, _lim(divided, tname), ["limit-divide"])
    first = coefficients.get(1, [])
    limit = b.add(*first) if first else b.zero(f.shape)
    checker.require(node_value(limit), node_value(divided), "the limit", at={tname: 0.0})
    checker.require_derivative(node_value(limit), node_value(f), "the limit")
    lines.equation(None, limit, ["limit-take"])
    return first
