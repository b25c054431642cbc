"""Load ``corpus.toml`` and expand it into cases (plain dicts, picklable).

A case: ``id`` (unique: ``class/name/surface``), ``cls`` (one of :data:`CLASSES`),
``surface`` (``cli``, ``api``, ``web``, ``subprocess``, ``http``), ``expect`` (``error``:
matdiff's own error, located at ``column`` when the case names one — an int, or
``"any"`` for "some column"; ``ok``: a result, checked numerically by ``check``;
``either``: one of the two; ``false``: exit status 1, for ``identity``), ``spec`` (what
to run) and ``request`` (for the numeric check: the derivative asked for).

Groups of the file (``[[group]]``): ``kind = "diff"`` cases are derivative requests
sent to every surface of ``surfaces`` (``matdiff diff`` argv, ``matdiff.derivative``
then its printed forms, ``POST /api/derivative``); ``cli``, ``api``, ``web``, ``http``
cases are given for that surface only.  The families of ``[families]`` are expanded
combinatorially here (each bad ``--at`` value x each subcommand, each awkward name x each
surface, deep and long inputs).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
CLASSES = ("syntax", "shapes", "declarations", "undefined-constants", "extreme-numbers",
           "huge-sizes-orders", "deep-long", "control-unicode", "bad-at", "bad-paths",
           "awkward-names", "http-abuse", "bad-arguments", "wrong-numbers")
SURFACES = ("cli", "api", "web", "subprocess", "http")
Case = dict[str, Any]


def _request(c: dict[str, Any]) -> dict[str, Any]:
    wrt = c["wrt"]
    r: dict[str, Any] = {"expr": c["expr"], "wrt": wrt}
    for key in ("declare", "order", "layout", "symmetric_gradient"):
        if key in c:
            r[key] = c[key]
    return r


def diff_argv(c: dict[str, Any]) -> list[str]:
    """``matdiff diff`` arguments for a derivative request (``--flag=value`` so that a
    value starting with ``-`` stays a value; the expression is given as it is)."""
    wrts = c["wrt"] if isinstance(c["wrt"], list) else [c["wrt"]]
    argv = ["diff", c["expr"], *[f"--wrt={w}" for w in wrts]]
    for d in c.get("declare", []) if isinstance(c.get("declare"), list) else \
            [f"{k}: {v}" for k, v in (c.get("declare") or {}).items()]:
        argv.append(f"--declare={d}")
    if "order" in c:
        argv.append(f"--order={c['order']}")
    for key in ("layout", "format", "method", "lang"):
        if key in c:
            argv.append(f"--{key}={c[key]}")
    if "symmetric_gradient" in c:
        argv.append(f"--symmetric-gradient={c['symmetric_gradient']}")
    if "at" in c:
        argv.append(f"--at={c['at']}")
    argv += [f"--{flag}" for flag in c.get("flags", [])]
    return argv


def _diff_cases(cls: str, c: dict[str, Any], surfaces: list[str]) -> list[Case]:
    out: list[Case] = []
    base = {"cls": cls, "expect": c["expect"], "column": c.get("column"),
            "request": _request(c), "note": c.get("note", "")}
    for key in ("bound", "tolerance"):
        if key in c:
            base[key] = c[key]
    check = "derivative" if c["expect"] in ("ok", "either") else None
    for surface in c.get("surfaces", surfaces):
        case = dict(base, surface=surface, check=check)
        if surface in ("cli", "subprocess"):
            case["spec"] = {"argv": diff_argv(c)}
        elif surface == "api":
            kwargs = {k: c[k] for k in ("declare", "order", "layout", "symmetric_gradient")
                      if k in c}
            then: list[list[Any]] = [["text"], ["latex"], ["numpy"], ["mathml"]]
            then += c.get("then", [])
            case["spec"] = {"call": "derivative", "args": [c["expr"], c["wrt"]],
                            "kwargs": kwargs, "then": then}
        elif surface == "web":
            body = {"expression": c["expr"], "wrt": c["wrt"]}
            body.update({k: c[k] for k in ("declare", "order", "layout",
                                           "symmetric_gradient") if k in c})
            body.update(c.get("web", {}))
            case["spec"] = {"method": "POST", "path": "/api/derivative", "json": body}
        case["id"] = f"{cls}/{c['id']}/{surface}"
        out.append(case)
    return out


def _plain(cls: str, surface: str, c: dict[str, Any]) -> Case:
    spec = {k: v for k, v in c.items() if k not in (
        "id", "expect", "column", "check", "request", "note", "bound", "class")}
    case: Case = {"id": f"{cls}/{c['id']}/{surface}", "cls": cls, "surface": surface,
                  "expect": c["expect"], "column": c.get("column"), "spec": spec,
                  "check": c.get("check"), "request": c.get("request"),
                  "note": c.get("note", "")}
    if "bound" in c:
        case["bound"] = c["bound"]
    return case


# Inputs too long to write in the file, by name (whole strings) or as a part ($digits).
_FILLS: dict[str, Any] = {
    "$tr100": "tr(" + "*".join(["X"] * 100) + ")",
    "$long10001": "x" + "+x" * 5000,
    "$body70000": '{"expression": "' + "x" * 70000 + '", "wrt": "x"}',
    "$nestedjson": "[" * 100000 + "]" * 100000,
    "$surrogate": "x\ud800",
    "$badutf8": b'{"expression": "x\xff\xfe", "wrt": "x"}',
}
_DIGITS = "7" * 5000


def fill(value: Any) -> Any:
    """Replace the named long inputs of the file by their text."""
    if isinstance(value, list):
        return [fill(v) for v in value]
    if isinstance(value, dict):
        return {k: fill(v) for k, v in value.items()}
    if isinstance(value, str):
        if value in _FILLS:
            return _FILLS[value]
        return value.replace("$digits", _DIGITS)
    return value


def load() -> list[Case]:
    """Every case of the corpus, in file order, then the expanded families."""
    from . import families

    data = fill(tomllib.loads((HERE / "corpus.toml").read_text(encoding="utf-8")))
    cases: list[Case] = []
    for group in data["group"]:
        cls, kind = group["class"], group["kind"]
        assert cls in CLASSES, cls
        for c in group["cases"]:
            if kind == "diff":
                cases += _diff_cases(cls, c, group.get("surfaces", ["cli", "api", "web"]))
            else:
                cases.append(_plain(cls, kind, c))
    cases += families.expand(data["families"])
    by_id = {c["id"]: c for c in cases}
    for ident in data["subprocess_sample"]:  # the same argv through a real process
        cases.append(dict(by_id[ident], surface="subprocess",
                          id=ident.rsplit("/", 1)[0] + "/subprocess"))
    ids = [c["id"] for c in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"duplicate case ids: {sorted(duplicates)[:10]}"
    for c in cases:
        assert c["cls"] in CLASSES and c["surface"] in SURFACES, c["id"]
        assert c["expect"] in ("ok", "error", "either", "false"), c["id"]
    return cases


def known_failures() -> dict[str, str]:
    """``known_failures.txt``: case id -> reason (``id  # reason`` per line)."""
    path = HERE / "known_failures.txt"
    known: dict[str, str] = {}
    if not path.exists():
        return known
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        ident, _, reason = line.partition("#")
        known[ident.strip()] = reason.strip()
    return known
