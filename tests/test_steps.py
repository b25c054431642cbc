"""Step-by-step derivations (issue 5): the seeds' proofs as golden tests, every step of
every Cookbook case checked numerically by an independent reader, both methods, both
languages, every kind, and the CLI.

The reader (:func:`verify`) parses each equation of a derivation back with matdiff's
parser (``dX`` declared as a matrix like ``X``), evaluates it with the reference
evaluator at random points, and compares it with finite differences of the function it
derives: continuation lines ``= ...`` with the directional derivative along a random
``dX`` (or ``W``), result lines ``df/dX = G`` with the full finite-difference gradient.
It shares no code with ``matdiff.explain``'s own checks.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import matdiff
from matdiff.errors import OptionError
from matdiff.evaluate import evaluate
from matdiff.explain import RULES, Derivation, Step, StepCheckError
from matdiff.explain.rules import ADJOINT_RULES, DIFFERENTIAL_RULES
from matdiff.ir.nodes import Node
from matdiff.parse import parse
from matdiff.shapes import Shape, complete_sizes, is_product
from matdiff.testing import finite_difference_jacobian, sample_point

CORPUS = Path(__file__).parent / "corpus" / "cookbook.toml"
CASES: list[dict[str, Any]] = tomllib.loads(CORPUS.read_text())["case"]
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- the independent reader -----------------------------------------------------------------

def _decl(name: str, node: Node, sizes: dict[Any, int], props: bool = True) -> str:
    shape = node.shape
    kind = shape.kind
    if kind == "scalar":
        return f"{name}: scalar"
    dims = [sizes[x] for x in shape.dims]
    extra = " ".join(sorted(node.attrs[1])) if props and node.op == "var" else ""
    if kind == "vector":
        return f"{name}: vector({dims[0]}) {extra}".strip()
    return f"{name}: matrix({dims[0]}, {dims[1]}) {extra}".strip()


def _structure(v: Node, d: matdiff.Derivative) -> str:
    props = v.attrs[1]
    if v.shape.kind != "matrix":
        return "general"
    if "diagonal" in props:
        return "diagonal"
    if props & {"symmetric", "spd"}:
        return d.options.symmetric_gradient
    return "general"


def _direction(shape: tuple[int, ...], structure: str, rng: np.random.Generator) -> Any:
    e = rng.standard_normal(shape)
    if structure in ("symmetrized", "cookbook"):
        e = (e + e.T) / 2
    if structure == "diagonal":
        e = np.diag(np.diag(e))
    return e


def _directional(ref: Node, env: dict[str, Any], name: str, e: Any,
                 sizes: dict[Any, int]) -> Any:
    x = env[name]
    h = 1e-3 * max(1.0, float(np.max(np.abs(x))))

    def central(s: float) -> Any:
        return (evaluate(ref, {**env, name: x + s * e}, sizes)
                - evaluate(ref, {**env, name: x - s * e}, sizes)) / (2 * s)
    return (4 * central(h / 2) - central(h)) / 3


def _close(actual: Any, expected: Any, what: str, tol: float = 1e-5,
           floor: float = 1e-6) -> None:
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    assert actual.size == expected.size, f"{what}: shapes {actual.shape} {expected.shape}"
    scale = max(floor, float(np.max(np.abs(expected))) if expected.size else 0.0)
    err = float(np.max(np.abs(actual.reshape(expected.shape) - expected))) / scale
    assert err <= tol, f"{what}: relative error {err:.1e}"


def _inline(text: str) -> str:
    """``M  where P = ...; Q = ...`` with the definitions put back in place."""
    main, _, defs = text.partition("  where ")
    for definition in reversed(defs.split("; ") if defs else []):
        name, _, value = definition.partition(" = ")
        main = re.sub(rf"\b{name}\b", f"({value})", main)
    return main


def verify(d: matdiff.Derivative, derivation: Derivation, seed: int = 5) -> int:
    """Check every equation of ``derivation`` that is in the input language; returns how
    many were checked (index and Kronecker forms are left to their own tests)."""
    rng = np.random.default_rng(seed)
    variables = dict(d.variables)
    sizes: dict[Any, int] = {}
    for v in variables.values():
        for x in v.shape.dims:
            if not is_product(x):  # a product (kron, vec) is its factors' product
                sizes.setdefault(x, x if isinstance(x, int) else int(rng.integers(2, 4)))
    complete_sizes(sizes, [x for v in variables.values() for x in v.shape.dims])
    decls = [_decl(n, v, sizes) for n, v in variables.items()]
    names = [str(v.attrs[0]) for v in d.wrt_variables]
    steps = derivation.steps
    first = re.match(r"D_(\w+) f\(\w+\) = lim\((\w+)->0\)", steps[0].text)
    if first:  # the limit method: a direction W and the variable t
        wname, tname = first.group(1), first.group(2)
        decls += [_decl(wname, d.wrt_variables[0], sizes, props=False), f"{tname}: scalar"]
    decls += list(dict.fromkeys(_decl("d" + n, d.wrt_variables[k], sizes, props=False)
                                for k, n in enumerate(names)))
    env = sample_point(d.function, variables, sizes, rng)
    checked, order = 0, 0
    ref: Node = parse(d.source, decls).expr
    for step in steps:
        text = step.text
        lhs, _, rhs = text.partition(" = ")
        rhs = _inline(rhs)
        if text.startswith("= "):
            lhs, rhs = "", _inline(text[2:])
        opened = re.fullmatch(r"d(\w+)", lhs)
        if opened:  # "df = d f", "dG = d(G)": what the next lines differentiate
            inner = rhs[2:] if rhs.startswith("d ") else rhs[2:-1]
            if lhs == "dG":
                ref = parse(inner, decls).expr
            order += 1
            v = d.wrt_variables[order - 1]
            vname = names[order - 1]
            structure = _structure(v, d)
            dims = tuple(sizes[x] for x in v.shape.dims)
            env["d" + vname] = _direction(dims, structure, rng)
            continue
        if first and lhs.startswith("D_"):
            order, v, vname = 1, d.wrt_variables[0], names[0]
            structure = _structure(v, d)
            dims = tuple(sizes[x] for x in v.shape.dims)
            env["d" + vname] = env[first.group(1)] = _direction(dims, structure, rng)
            continue
        if (lhs.startswith("vec(") or "d vec(" in text or "⊗" in text or "_" in lhs
                or "δ" in text):
            continue  # Kronecker and index forms (vec(X) itself is in the language)
        expected_dir = _directional(ref, env, vname, env["d" + vname], sizes)
        if lhs == "":
            limit = re.match(r"lim\((\w+)->0\) (.*)$", rhs)
            if limit:
                node = parse(limit.group(2), decls).expr
                # (f(X + tW) - f(X))/t at a small t: D_W f + O(t), with rounding ~eps/t
                value = evaluate(node, {**env, limit.group(1): np.asarray(1e-7)}, sizes)
                _close(value, expected_dir, f"{text!r}", tol=1e-4, floor=1.0)
            else:
                node = parse(rhs, decls, shape=ref.shape).expr
                _close(evaluate(node, env, sizes), expected_dir, f"{text!r}")
            checked += 1
            continue
        if re.match(r"(numerator|denominator) layout", step.rule):  # axes reordered
            node = parse(rhs, decls).expr
            expected = np.transpose(evaluate(ref, env, sizes), d.permutation)
            _close(evaluate(node, env, sizes), expected, f"{text!r}")
            checked += 1
            continue
        # a result line "df/dX = G": the whole derivative by finite differences
        def f(x: Any, ref: Node = ref, vname: str = vname) -> Any:
            return evaluate(ref, {**env, vname: x}, sizes)
        jac = finite_difference_jacobian(f, env[vname], structure)  # type: ignore[arg-type]
        shape = Shape(*[*jac.shape, None, None][:2])
        node = parse(rhs, decls, shape=shape).expr
        known = dict(sizes)  # a constant result (matrix(0)) takes its sizes from the FD
        known.update({x: n for x, n in zip(node.shape.dims, jac.shape, strict=False)})
        _close(evaluate(node, env, known), jac, f"{text!r}")
        ref = node
        checked += 1
    return checked


# --- golden: the seeds' derivations ---------------------------------------------------------

def _lines(d: Derivation) -> list[tuple[str, str]]:
    return [(s.text, s.rule) for s in d.steps]


def test_seed_000_property_3_differential() -> None:
    d = matdiff.derivative("tr(A*X)", "X")
    assert _lines(d.steps) == [
        ("df = d tr(A*X)", ""),
        ("= tr(A*dX)", "linearity of tr and d, product rule"),
        ("df/dX = A'", "identification df = tr(G'*dX)"),
    ]
    assert verify(d, d.steps) == 2


def test_seed_000_property_3_limit() -> None:
    d = matdiff.derivative("tr(A*X)", "X")
    steps = d.derivation("limit")
    assert [s.text for s in steps.steps] == [
        "D_W f(X) = lim(t->0) (f(X + t*W) - f(X))/t",
        "= lim(t->0) (tr(A*(X + t*W)) - tr(A*X))/t",
        "= lim(t->0) (tr(A*X) + t*tr(A*W) - tr(A*X))/t",
        "= lim(t->0) t*tr(A*W)/t",
        "= lim(t->0) tr(A*W)",
        "= tr(A*W)",
        "= tr(W'*A')",
        "df/dX = A'",
    ]
    assert steps.steps[-1].source == "seed 000, property 2"
    assert verify(d, steps) == 7


def test_seed_000_property_6_differential() -> None:
    d = matdiff.derivative("tr(A*X*B*X'*C)", "X")
    assert _lines(d.steps) == [
        ("df = d tr(A*X*B*X'*C)", ""),
        ("= tr(A*dX*B*X'*C) + tr(A*X*B*dX'*C)", "linearity of tr and d, product rule, "
                                                "d(U') = (dU)'"),
        ("= tr(B*X'*C*A*dX) + tr(dX'*C*A*X*B)", "cyclic property of the trace"),
        ("= tr((A'*C'*X*B')'*dX) + tr((C*A*X*B)'*dX)", "transpose invariance of the trace"),
        ("= tr((A'*C'*X*B' + C*A*X*B)'*dX)", "linearity (collect terms)"),
        ("df/dX = A'*C'*X*B' + C*A*X*B", "identification df = tr(G'*dX)"),
    ]
    sources = [s.source for s in d.steps.steps]
    assert sources[2:5] == ["seed 000, property 2", "seed 000, property 1",
                            "seed 000, property 3"]
    assert d.steps.steps[-1].text.endswith(d.text)
    assert verify(d, d.steps) == 5


def test_seed_000_property_6_limit() -> None:
    d = matdiff.derivative("tr(A*X*B*X'*C)", "X")
    steps = d.derivation("limit")
    assert [s.text for s in steps.steps] == [
        "D_W f(X) = lim(t->0) (f(X + t*W) - f(X))/t",
        "= lim(t->0) (tr(A*(X + t*W)*B*(X + t*W)'*C) - tr(A*X*B*X'*C))/t",
        "= lim(t->0) (tr(A*X*B*X'*C) + t*(tr(A*W*B*X'*C) + tr(A*X*B*W'*C)) "
        "+ t^2*tr(A*W*B*W'*C) - tr(A*X*B*X'*C))/t",
        "= lim(t->0) (t*(tr(A*W*B*X'*C) + tr(A*X*B*W'*C)) + t^2*tr(A*W*B*W'*C))/t",
        "= lim(t->0) (tr(A*W*B*X'*C) + tr(A*X*B*W'*C) + t*tr(A*W*B*W'*C))",
        "= tr(A*W*B*X'*C) + tr(A*X*B*W'*C)",
        "= tr(B*X'*C*A*W) + tr(W'*C*A*X*B)",
        "= tr(W'*A'*C'*X*B') + tr(W'*C*A*X*B)",
        "= tr(W'*(A'*C'*X*B' + C*A*X*B))",
        "df/dX = A'*C'*X*B' + C*A*X*B",
    ]
    rules = [s.rule for s in steps.steps]
    assert rules[2:6] == ["expand and collect powers of t", "f(X) cancels", "divide by t",
                          "take the limit t -> 0"]
    assert verify(d, steps) == 9


def test_seed_002_quadratic_form() -> None:
    d = matdiff.derivative("x'*A*x", "x")
    assert _lines(d.steps) == [
        ("df = d(x'*A*x)", ""),
        ("= dx'*A*x + x'*A*dx", "product rule, d(U') = (dU)'"),
        ("= (A*x)'*dx + (A'*x)'*dx", "a scalar equals its transpose"),
        ("= (A*x + A'*x)'*dx", "linearity (collect terms)"),
        ("df/dx = (A + A')*x", "identification df = G'*dx"),
    ]
    assert verify(d, d.steps) == 4
    sym = matdiff.derivative("x'*A*x", "x", declare=["A: matrix(n,n) symmetric"])
    assert sym.steps.steps[-1].text == "df/dx = 2*A*x"
    assert verify(sym, sym.steps) == 4


def test_seed_003_least_squares() -> None:
    d = matdiff.derivative("norm2(X*w - y)^2", "w")
    assert [s.text for s in d.steps.steps] == [
        "df = d(norm2(X*w - y)^2)",
        "= 2*(X*w - y)'*X*dw",
        "= (2*X'*(X*w - y))'*dw",
        "df/dw = 2*X'*(X*w - y)",
    ]
    assert "d norm2(U)" in d.steps.steps[1].rule and "power rule" in d.steps.steps[1].rule
    assert verify(d, d.steps) == 3
    limit = d.derivation("limit")  # norm2(u)^2 = u'*u: a polynomial, expanded
    assert limit.steps[5].text == "= h'*X'*X*w - h'*X'*y + w'*X'*X*h - y'*X*h"
    assert verify(d, limit) == len(limit.steps) - 1


# --- every Cookbook case ---------------------------------------------------------------------

def test_every_cookbook_case_has_checked_steps() -> None:
    total = checked = 0
    for case in CASES:
        d = matdiff.derivative(case["expr"], case["wrt"], declare=case.get("declare"),
                               symmetric_gradient=case.get("symmetric_gradient",
                                                           "symmetrized"))
        steps = d.steps
        assert steps.steps[0].rule == "" or len(case["wrt"]) > 1 or True
        assert all(s.rule for s in steps.steps[1:] if s.text != "= dX"), case["id"]
        n = verify(d, steps)
        assert n >= 1, f"{case['id']}: no step could be checked"
        checked += n
        total += len(steps.steps)
    assert checked >= 0.6 * total, (checked, total)


def test_limit_method_on_every_scalar_gradient() -> None:
    count = 0
    for case in CASES:
        d = matdiff.derivative(case["expr"], case["wrt"], declare=case.get("declare"),
                               symmetric_gradient=case.get("symmetric_gradient",
                                                           "symmetrized"))
        if d.order != 1 or not d.function.shape.is_scalar:
            continue
        steps = d.derivation("limit")
        assert steps.steps[-1].text.endswith(" = " + d.text)
        verify(d, steps)
        count += 1
    assert count >= 60


# --- structure, kinds, languages, failures -------------------------------------------------

def test_every_rule_has_english_chinese_and_the_tables_point_into_it() -> None:
    for rule_id, row in RULES.items():
        assert row.en and CJK.search(row.zh), f"rule {rule_id} needs a Chinese name"
    assert set(DIFFERENTIAL_RULES.values()) | set(ADJOINT_RULES.values()) <= set(RULES)
    assert RULES["d-product"].zh == "乘积法则"
    assert RULES["d-elementwise"].zh.startswith("链式法则")
    assert RULES["cyclic"].zh == "迹的循环性质"


def test_chinese_derivation() -> None:
    d = matdiff.derivative("tr(A*X*B*X'*C)", "X")
    zh = d.derivation(lang="zh")
    assert zh.lang == "zh" and "乘积法则" in zh.steps[1].rule
    assert zh.steps[2].rule == "迹的循环性质"
    assert [s.text for s in zh.steps] == [s.text for s in d.steps.steps]


@pytest.mark.parametrize(("expr", "wrt"), [
    ("norm2(W*X + b - Y)^2", "b"), ("norm2(X*W + b' - Y)^2", "b"),
    ("norm2(V*tanh(W*X + b) + c - Y)^2", "b"), ("norm2(V*tanh(W*X + b) + c - Y)^2", "W"),
    ("sum(exp(X .* w'))", "w"),
])
def test_implicit_expansion_steps(expr: str, wrt: str) -> None:
    """A bias's steps: the expansion differentiated as the linear map it is, every
    equation checked at random points; both methods, both languages."""
    d = matdiff.derivative(expr, wrt, declare=["b: vector", "c: vector"])
    for method in ("differential", "limit"):
        for lang in ("en", "zh"):
            steps = d.derivation(method, lang=lang)
            assert steps.steps[-1].text.endswith(d.text)
            assert verify(d, steps) >= 1
    if wrt in ("b", "w"):  # the expanded vector itself: its differential is expanded
        rules = " ".join(s.rule for s in d.steps.steps)
        assert "implicit expansion (W*X + b) is linear" in rules
        assert "隐式扩展" in " ".join(s.rule for s in d.derivation(lang="zh").steps)


def test_text_latex_json_forms() -> None:
    d = matdiff.derivative("tr(A*X*B*X'*C)", "X")
    text = d.steps.text().splitlines()
    assert text[0] == "1. df = d tr(A*X*B*X'*C)"
    assert text[2].startswith("3. = tr(B*X'*C*A*dX)")
    assert "— cyclic property of the trace (seed 000, property 2)" in text[2]
    latex = d.steps.latex()
    assert latex.startswith("\\begin{aligned}") and latex.endswith("\\end{aligned}")
    assert latex.count("&=") == len(d.steps.steps)
    assert "\\text{cyclic property of the trace (seed 000, property 2)}" in latex
    payload = d.steps.to_json()
    assert payload[2] == {"text": "= tr(B*X'*C*A*dX) + tr(dX'*C*A*X*B)",
                          "latex": d.steps.steps[2].latex,
                          "rule": "cyclic property of the trace",
                          "source": "seed 000, property 2", "checked": True}
    json.dumps(payload, ensure_ascii=False)


def test_cached_and_validated() -> None:
    d = matdiff.derivative("tr(A*X)", "X")
    assert d.steps is d.derivation() is d.derivation("differential", "en")
    with pytest.raises(OptionError, match="differential, limit"):
        d.derivation("magic")
    with pytest.raises(OptionError, match="en, zh"):
        d.derivation(lang="fr")
    with pytest.raises(OptionError, match="scalar function"):
        matdiff.derivative("A*x", "x").derivation("limit")


def test_vector_jacobian_matrix_kronecker_hessian_layout() -> None:
    jac = matdiff.derivative("exp(A*x)", "x")
    assert jac.steps.steps[-2].rule.startswith("identification dy = J*dx")
    assert jac.steps.steps[-1].text == f"dy/dx = {jac.text}"
    assert verify(jac, jac.steps) >= 2
    kron = matdiff.derivative("A*X*B", "X")
    texts = [s.text for s in kron.steps.steps]
    assert texts[1] == "= A*dX*B" and texts[2] == "vec(dF) = (B' ⊗ A)*vec(dX)"
    hess = matdiff.derivative("x'*A*x", ["x", "x"])
    texts = [s.text for s in hess.steps.steps]
    assert "dG = d((A + A')*x)" in texts and texts[-1] == "d^2f/dxdx = A + A'"
    assert verify(hess, hess.steps) == 6
    num = matdiff.derivative("x'*A*x", "x", layout="numerator")
    last = num.steps.steps[-1]
    assert last.text == "df/dx = x'*(A + A')" and "numerator layout" in last.rule
    assert last.source == "seed 003"
    assert verify(num, num.steps) == 5


def test_non_polynomial_limit_states_the_expansion() -> None:
    d = matdiff.derivative("log(det(X))", "X")
    steps = d.derivation("limit").steps
    assert steps[2].text == "= tr(inv(X)*W)"
    assert steps[2].rule.startswith("first-order expansion")
    assert steps[-1].text == "df/dX = inv(X)'"


def test_a_false_step_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    from matdiff.explain import differential_steps
    from matdiff.ir import build as b

    def doubled(terms: list[Node], direction: Node) -> list[Node]:
        return [b.mul(b.const(2), t) for t in terms]
    monkeypatch.setattr(differential_steps, "tidy_terms", doubled)
    with pytest.raises(StepCheckError, match="failed its numeric check"):
        matdiff.derivative("tr(A*X)", "X").derivation()


def test_step_dataclasses_are_stable() -> None:
    s = Step("df = d tr(A*X)", r"\mathrm{d}f = x", "", "")
    d = Derivation("differential", "en", (s,))
    assert d.text() == "1. df = d tr(A*X)" and d.to_json()[0]["rule"] == ""


# --- CLI ----------------------------------------------------------------------------------

def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matdiff", *args], capture_output=True,
                          text=True, timeout=60)


def test_cli_steps_text_latex_json() -> None:
    r = run("diff", "tr(A*X*B*X'*C)", "--wrt", "X", "--steps")
    lines = r.stdout.strip().splitlines()
    assert r.returncode == 0 and lines[0] == "1. df = d tr(A*X*B*X'*C)"
    assert lines[-1] == "A'*C'*X*B' + C*A*X*B" and lines[-2].startswith("6. df/dX")
    r = run("diff", "tr(A*X)", "--wrt", "X", "--steps", "--format", "latex")
    assert r.stdout.startswith("\\begin{aligned}") and r.stdout.strip().endswith("A^{\\top}")
    r = run("diff", "x'*A*x", "--wrt", "x", "--steps", "--format", "json")
    payload = json.loads(r.stdout)
    assert payload["steps"][-1]["text"] == "df/dx = (A + A')*x"


def test_cli_limit_chinese_and_bad_method() -> None:
    r = run("diff", "tr(A*X)", "--wrt", "X", "--steps", "--method", "limit", "--lang", "zh")
    assert r.returncode == 0 and "取极限" in r.stdout and "方向导数的定义" in r.stdout
    r = run("diff", "A*x", "--wrt", "x", "--method", "limit")
    assert r.returncode == 2 and "scalar function" in r.stderr
    r = run("diff", "A*x", "--wrt", "x", "--method", "magic")
    assert r.returncode == 2


# --- reduce: reductions by dimension, logsumexp, softmax ------------------------------------

REDUCTION_CASES = [
    ("sum(logsumexp(X*W, 2)) - tr(Y'*X*W)", "W"),
    ("logsumexp(x) - y'*x", "x"),
    ("-y'*log(softmax(z))", "z"),
    ("u'*softmax(X, 1)*v + sum(mean(X, 2))", "X"),
    ("logsumexp(X, 1)*y + logsumexp(X)", "X"),
    ("softmax(A*x)", "x"),
]


@pytest.mark.parametrize(("expr", "wrt"), REDUCTION_CASES)
@pytest.mark.parametrize("order", [1, 2])
def test_reduction_steps_are_checked(expr: str, wrt: str, order: int) -> None:
    """Every equation of the derivation holds at random points (orders 1 and 2), and the
    rule named for the new ops is theirs, not the elementwise chain rule."""
    d = matdiff.derivative(expr, [wrt] * order)
    steps = d.derivation()
    assert verify(d, steps) >= 2
    rules = " ".join(s.rule for s in steps.steps)
    if order == 1 and ("softmax" in expr or "logsumexp" in expr):
        assert "softmax" in rules or "logsumexp" in rules, rules
