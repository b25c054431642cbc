"""The command line, run as a user runs it (a subprocess), and its error handling."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matdiff", *args], capture_output=True,
                          text=True, timeout=60)


def test_diff_text() -> None:
    r = run("diff", "tr(A*X*B*X'*C)", "--wrt", "X")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() in {"A'*C'*X*B' + C*A*X*B", "C*A*X*B + A'*C'*X*B'"}


def test_diff_declare_symmetric() -> None:
    r = run("diff", "x'*A*x", "--wrt", "x", "--declare", "A: matrix(n,n) symmetric")
    assert (r.returncode, r.stdout.strip()) == (0, "2*A*x")


def test_diff_latex() -> None:
    r = run("diff", "norm2(X*w-y)^2", "--wrt", "w", "--format", "latex")
    assert r.stdout.strip() == r"2 X^{\top} \left(X w - y\right)"


def test_diff_check() -> None:
    r = run("diff", "log(det(X))", "--wrt", "X", "--check")
    assert r.returncode == 0
    assert r.stdout.startswith("inv(X)'")
    assert "checked numerically: max relative error" in r.stdout


def test_json_holds_every_form() -> None:
    r = run("diff", "x'*A*x", "--wrt", "x", "--format", "json", "--check")
    payload = json.loads(r.stdout)
    assert {"text", "latex", "numpy", "shape", "layout", "check"} <= set(payload)
    assert payload["layout"] == "mixed"
    assert payload["check"]["ok"] is True


def test_numpy_format_is_one_expression() -> None:
    r = run("diff", "x'*A*x", "--wrt", "x", "--format", "numpy")
    code = r.stdout.strip()
    assert "\n" not in code and "@" in code


@pytest.mark.parametrize(("args", "fragment"), [
    (("diff", "(x'*x", "--wrt", "x"), "column"),
    (("diff", "tr(x)", "--wrt", "x"), "square matrix"),
    (("diff", "foo(x)", "--wrt", "x"), "unknown function"),
    (("diff", "A*x", "--wrt", "x", "--declare", "A: matrix(m,n)", "--declare", "x: vector(k)"),
     "matrix(m, n)"),
    (("diff", "", "--wrt", "x"), "empty"),
    (("diff", "x'*x", "--wrt", "z"), "not a variable"),
    (("diff", "x'*x", "--wrt", "x", "--declare", "x vector"), "declaration"),
    (("diff", "x'*x", "--wrt", "x", "--layout", "sideways"), "invalid choice"),
    (("diff", "(" * 300 + "x" + ")" * 300, "--wrt", "x"), "nested"),
    (("diff", "(" * 10000 + "x" + ")" * 10000, "--wrt", "x"), "limit"),
])
def test_bad_input_exits_2_without_traceback(args: tuple[str, ...], fragment: str) -> None:
    r = run(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert fragment in r.stderr


def test_no_command_prints_help() -> None:
    r = run()
    assert r.returncode == 2
    assert "diff" in r.stdout
