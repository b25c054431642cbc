"""The combinatorial families of the corpus (their values are in ``corpus.toml``).

- ``bad_at``: each ``--at`` value x each place a point is read (``diff`` of a vector
  variable, of a scalar one, the several-variable gradient, ``--format json``, ``tangent``)
  and, as a Python value, ``Derivative.at`` and ``tangent``;
- ``names``: each legal-but-awkward name x each surface (``matdiff diff``,
  ``matdiff.derivative`` checked numerically, compiled NumPy code called with values, the
  generated module executed, ``matdiff codegen -o``, ``POST /api/derivative``);
- deep and long inputs built by size (nesting, products, sums, transposes, minus signs).
"""

from __future__ import annotations

from typing import Any

from .cases import Case, diff_argv

_AT_PLACES: list[tuple[str, list[str]]] = [
    ("diff-vector", ["diff", "x'*x", "--wrt=x", "--at=x={v}"]),
    ("diff-scalar", ["diff", "a^2 + b", "--wrt=a", "--at=a={v},b=1"]),
    ("gradient", ["diff", "a*b + b", "--wrt=a,b", "--at=a={v},b=2"]),
    ("diff-json", ["diff", "x'*x", "--wrt=x", "--format=json", "--at=x={v}"]),
    ("tangent", ["tangent", "x^2 + y^2 + z^2 = 30", "--at=1,-2,{v}"]),
]


def _case(cls: str, name: str, surface: str, expect: str, spec: dict[str, Any],
          **extra: Any) -> Case:
    case: Case = {"id": f"{cls}/{name}/{surface}", "cls": cls, "surface": surface,
                  "expect": expect, "column": None, "spec": spec, "check": None,
                  "request": None, "note": ""}
    case.update(extra)
    return case


def bad_at(values: list[dict[str, Any]]) -> list[Case]:
    """``values``: ``{id, text, expect}`` (``expect`` for a vector place; scalar places
    take ``scalar``, tangent always ``tangent`` (default ``error``)), optional ``py``
    (the Python value for ``Derivative.at``)."""
    out: list[Case] = []
    for v in values:
        for place, template in _AT_PLACES:
            argv = [a.replace("{v}", v["text"]) for a in template]
            if place == "tangent":
                expect = v.get("tangent", "error")
            elif place.startswith("diff-vector") or place == "diff-json":
                expect = v["expect"]
            else:
                expect = v.get("scalar", v["expect"])
            out.append(_case("bad-at", f"{v['id']}@{place}", "cli", expect, {"argv": argv}))
        if "py" in v:
            for place, (expr, wrt, name) in {"at-vector": ("x'*x", "x", "x"),
                                             "at-scalar": ("a^2", "a", "a")}.items():
                out.append(_case("bad-at", f"{v['id']}@{place}", "api",
                                 v.get("py_expect", "error"),
                                 {"call": "derivative", "args": [expr, wrt],
                                  "then": [["at", [], {name: v["py"]}]]}))
            out.append(_case("bad-at", f"{v['id']}@tangent", "api", "error",
                             {"call": "tangent", "args": ["x^2 + y^2 + z^2 = 30",
                                                          [1, -2, v["py"]]]}))
    return out


def names(entries: list[dict[str, Any]]) -> list[Case]:
    """``entries``: ``{name, expect}`` (``error`` when the language rejects the name,
    which must then be said with its column)."""
    out: list[Case] = []
    for e in entries:
        n = e["name"]
        expect = e.get("expect", "ok")
        expr = f"{n}'*A*{n} + sum(exp({n}))"
        declare = [f"{n}: vector(3)"]
        request = {"expr": expr, "wrt": n, "declare": declare}
        key = e.get("id", n)
        check = "derivative" if expect == "ok" else None
        common = {"request": request, "check": check}
        out.append(_case("awkward-names", key, "cli", expect,
                         {"argv": diff_argv({"expr": expr, "wrt": n, "declare": declare})},
                         **common))
        out.append(_case("awkward-names", key, "api", expect,
                         {"call": "derivative", "args": [expr, n],
                          "kwargs": {"declare": declare},
                          "then": [["text"], ["latex"], ["numpy"], ["mathml"]]}, **common))
        out.append(_case("awkward-names", f"{key}@compile", "api", expect,
                         {"call": "derivative", "args": [expr, n],
                          "kwargs": {"declare": declare},
                          "then": [["compile_call", "numpy",
                                    {n: [0.5, -1.0, 2.0],
                                     "A": [[1.0, 2.0, 0.0], [0.0, 1.0, 3.0],
                                           [1.0, 0.0, 1.0]]}]]}))
        out.append(_case("awkward-names", f"{key}@module", "api", expect,
                         {"call": "generate_module", "args": [expr, n],
                          "kwargs": {"declare": declare}},
                         request=request, check="module" if expect == "ok" else None))
        out.append(_case("awkward-names", f"{key}@codegen", "cli", expect,
                         {"argv": ["codegen", expr, f"--wrt={n}", f"--declare={declare[0]}",
                                   "-o", "{tmp}/m.py"]},
                         request=request, check="module" if expect == "ok" else None))
        out.append(_case("awkward-names", key, "web", expect,
                         {"method": "POST", "path": "/api/derivative",
                          "json": {"expression": expr, "wrt": n, "declare": declare}},
                         **common))
    return out


def _deep(spec: dict[str, Any]) -> tuple[str, str]:
    kind, n = spec["kind"], spec["n"]
    if kind == "parens":
        return "(" * n + "x" + ")" * n + "'*x", "x"
    if kind == "functions":
        return "sum(" + "sin(" * n + "x" + ")" * n + ")", "x"
    if kind == "products":
        return "tr(" + "*".join(["X"] * n) + ")", "X"
    if kind == "sum":
        return "+".join(["x'*x"] * n), "x"
    if kind == "transposes":
        return "x" + "'" * n + "*x", "x"
    if kind == "minus":
        return "-" * n + "x'*x", "x"
    if kind == "name":
        return "x" * n + "'*A*" + "x" * n, "x" * n
    if kind == "powers":
        return "tr(" + "*".join([f"X^{spec.get('p', 16)}"] * n) + ")", "X"
    if kind == "nested-tr":
        return "tr(" * n + "X" + ")" * n, "X"
    raise ValueError(kind)


def deep(entries: list[dict[str, Any]]) -> list[Case]:
    """``entries``: ``{kind, n, expect, surfaces?, flags?, bound?}``."""
    from .cases import _diff_cases

    out: list[Case] = []
    for e in entries:
        expr, wrt = _deep(e)
        c = {"id": e.get("id", f"{e['kind']}-{e['n']}"), "expr": expr, "wrt": wrt,
             "expect": e["expect"]}
        for key in ("flags", "bound", "order", "surfaces", "web", "tolerance"):
            if key in e:
                c[key] = e[key]
        # the web app's steps and check would put the big ones near its time limit (an
        # answer that depends on the machine's load); the numeric check runs anyway
        c.setdefault("web", {"steps": False, "check": False})
        if "flags" in e and "steps" in e["flags"]:
            c["then"] = [["derivation"]]
        out += _diff_cases("deep-long", c, ["cli", "api", "web"])
    return out


def expand(families: dict[str, Any]) -> list[Case]:
    return (bad_at(families["bad_at"]) + names(families["names"]) +
            deep(families["deep"]))
