"""The command line against hostile and awkward input (issue 15): every case ends in
exit status 0 with a correct answer, or status 2 with matdiff's own message; never 3,
a traceback, a hang, raw control characters on the terminal, or internal names."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import matdiff
from matdiff.cli import main


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matdiff", *args], capture_output=True,
                          text=True, timeout=60, cwd=cwd)


def call(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``matdiff ARGS`` in process: (status, stdout, stderr)."""
    try:
        status = main(list(args))
    except SystemExit as e:  # argparse's own errors
        status = int(e.code or 0)
    out = capsys.readouterr()
    return status, out.out, out.err


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    status, out, err = call(capsys, *args)
    assert status == 2, (status, out, err)
    assert "Traceback" not in err and "internal error" not in err
    return err


# --- 1. a leading minus is an expression or a value, not an option --------------------

def test_expression_with_leading_minus_is_the_negated_derivative(
        capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["diff", "-log(det(X))", "--wrt", "X"], ["diff", "--wrt", "X", "-log(det(X))"]):
        status, out, err = call(capsys, *argv)
        assert status == 0, err
        shown = out.strip()
        # read back and compare numerically with -inv(X)' at a random point
        x = np.random.default_rng(1).normal(size=(3, 3)) + 3 * np.eye(3)
        value = matdiff.derivative(shown, "X").function
        from matdiff.evaluate import evaluate
        np.testing.assert_allclose(evaluate(value, {"X": x}), -np.linalg.inv(x).T, rtol=1e-10)
    assert matdiff.derivative("-log(det(X))", "X").check().ok


@pytest.mark.parametrize("expr", ["-x'*A*x", "-h'*h", "-x", "-(x'*x)"])
def test_leading_minus_agrees_with_the_api(capsys: pytest.CaptureFixture[str],
                                           expr: str) -> None:
    wrt = "h" if "h" in expr else "x"
    status, out, err = call(capsys, "diff", expr, "--wrt", wrt)
    assert status == 0, err
    d = matdiff.derivative(expr, wrt)
    assert out.strip() == d.text
    assert d.check().ok


def test_negative_coordinates_and_values(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = call(capsys, "tangent", "x^2 + y^2 + z^2 = 2", "--at", "-1,0,1")
    assert status == 0, err
    assert "grad F(P) = (-2, 0, 2)" in out  # 2*P at P = (-1, 0, 1)
    status, out, err = call(capsys, "diff", "x^3", "--wrt", "x", "--at", "x=-2")
    assert status == 0, err
    assert out.splitlines()[1].startswith("12 ")  # 3*(-2)^2
    status, out, err = call(capsys, "diff", "-x^3", "--at=x=-1/2", "--wrt", "x")
    assert status == 0, err
    assert out.splitlines()[1].startswith("-3/4 ")


def test_other_subcommands_take_leading_minus(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    status, out, _ = call(capsys, "identity", "-tr(A)", "-tr(A')")
    assert status == 0 and out.startswith("true")
    status, out, _ = call(capsys, "identity", "tr(A)", "-tr(A)")
    assert status == 1 and out.startswith("false")
    target = tmp_path / "m.py"
    status, _, err = call(capsys, "codegen", "-x'*x", "--wrt", "x", "-o", str(target))
    assert status == 0, err
    namespace: dict[str, object] = {"__name__": "generated"}
    exec(compile(target.read_text(), str(target), "exec"), namespace)  # our own output
    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(namespace["grad"](x), -2 * x)  # type: ignore[operator]
    status, out, err = call(capsys, "solve", "-2*w'*y + w'*w", "--for", "w")
    assert status == 0, err
    assert "w = y" in out


def test_words_that_only_look_like_long_options(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = call(capsys, "diff", "---x'*x", "--wrt", "x")  # -(-(-x'*x))
    assert status == 0, err
    assert out.strip() == matdiff.derivative("-x'*x", "x").text


@pytest.mark.parametrize("args", [
    ("tangent", "x^2 + y^2 + z^2 = 30", "--at", "1,-2,5", "--plot", "/tmp/a\x00.png"),
    ("tangent", "x^2 + y^2 + z^2 = 30", "--at", "1,-2,5", "--plot", "\ud800.png"),
    ("diff", "x'*x", "--wrt", "x", "--at", "x=@a\x00.npy"),
    ("codegen", "x'*x", "--wrt", "x", "-o", "a\x00.py"),
])
def test_unusable_file_names(capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    assert "not a valid file name" in refused(capsys, *args)


def test_options_keep_their_meaning(capsys: pytest.CaptureFixture[str]) -> None:
    assert "unrecognized arguments: --foo" in refused(capsys, "diff", "x", "--wrt", "x",
                                                       "--foo")
    status, out, _ = call(capsys, "diff", "-h")
    assert status == 0 and "usage" in out
    assert "expected one argument" in refused(capsys, "diff", "x", "--wrt")


# --- 2. control characters never reach the terminal raw --------------------------------

def test_control_characters_are_escaped_with_the_caret_aligned() -> None:
    r = run("diff", "x\x1b]0;PWNED\x07+y", "--wrt", "x")
    assert r.returncode == 2
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    lines = r.stderr.splitlines()
    source = next(line for line in lines if "PWNED" in line)
    caret = lines[lines.index(source) + 1]
    assert source.index("\\x1b") == caret.index("^")  # the caret is under the escape
    assert len(caret.strip()) == len("\\x1b")


@pytest.mark.parametrize("args", [
    ("diff", "x", "--wrt", "x\x1b[2J"),
    ("diff", "x", "--wrt", "x", "--\x1b[2Jfoo"),
    ("diff", "x", "--wrt", "x", "--at", "x=\x1b[31m1"),
    ("diff", "x", "--wrt", "x", "--declare", "x: vector\x07"),
    ("diff", "x\u202e+y", "--wrt", "x"),
    ("tangent", "x^2 = 1", "--at", "1", "--plot", "a\x1b.png"),
])
def test_no_raw_control_character_in_any_message(capsys: pytest.CaptureFixture[str],
                                                 args: tuple[str, ...]) -> None:
    err = refused(capsys, *args)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", err), err


# --- 3. limits: refused by a work bound, quickly ----------------------------------------

@pytest.mark.parametrize("order", ["99999999999999999999", "0", "-1", "9", "1e3", "9" * 5000])
def test_order_out_of_range(capsys: pytest.CaptureFixture[str], order: str) -> None:
    assert "--order" in refused(capsys, "diff", "x'*x", "--wrt", "x", f"--order={order}")


@pytest.mark.parametrize(("args", "advice"), [
    (("diff", "*".join(["X"] * 500), "--wrt", "X"), "powers"),
    (("diff", "det(X)", "--wrt", "X", "--order", "8"), "lower order"),
])
def test_large_work_is_refused_quickly(capsys: pytest.CaptureFixture[str],
                                       args: tuple[str, ...], advice: str) -> None:
    start = time.perf_counter()
    err = refused(capsys, *args)
    assert advice in err
    assert time.perf_counter() - start < 10  # was 46 s and 13 s; generous for loaded CI


def test_moderate_products_still_answer() -> None:
    d = matdiff.derivative("X*X*X*X", "X")
    assert d.check().ok
    assert matdiff.derivative("det(X)", "X", order=3).check().ok


# --- 4. --at values ---------------------------------------------------------------------

@pytest.mark.parametrize(("at", "fragment"), [
    ("x=+-1", "not a number"),
    ("x=--1", "not a number"),
    ("x=1e+-5", "not a number"),
    ("x=0x10", "not a number"),
    ("x=[NaN]", "NaN"),
    ("x=[Infinity]", "Infinity"),
    ("x=[-Infinity]", "Infinity"),
    ("x=[1e400]", "floating-point range"),
    ("x=1e-400", "too small for floating point"),
    ("x=" + "9" * 99 + "e300", "beyond the floating-point range"),
    ("x=[" + "9" * 5000 + "]", "digits"),
    ("x=[1e99999999]", "exponent"),
    ("x=1/0", "division by zero"),
    ("x=[[[1]]]", "at most 2 axes"),
    ("x=" + "[" * 100000, "unbalanced"),
    ("x=[1,true]", "numbers"),
    ("x=[]", "empty"),
])
def test_malformed_numbers_are_refused(capsys: pytest.CaptureFixture[str], at: str,
                                       fragment: str) -> None:
    start = time.perf_counter()
    err = refused(capsys, "diff", "x'*x", "--wrt", "x", "--at", at)
    assert fragment in err
    assert time.perf_counter() - start < 5  # 1e99999999 took 270 s of CPU


def test_signs_are_read_once(capsys: pytest.CaptureFixture[str]) -> None:
    for at, value in (("x=+3", "6"), ("x=-3", "-6"), ("x=-1.5e1", "-30")):
        status, out, err = call(capsys, "diff", "x^2", "--wrt", "x", "--at", at)
        assert status == 0, err
        assert out.splitlines()[1].split()[0] == value


def _files(tmp_path: Path) -> None:
    np.save(tmp_path / "big.npy", np.random.default_rng(0).normal(size=(1000, 20)))
    np.save(tmp_path / "w.npy", np.ones(20))
    np.save(tmp_path / "c.npy", np.array([1 + 2j, 3.0]))
    np.save(tmp_path / "nan.npy", np.array([1.0, np.nan]))
    np.save(tmp_path / "bool.npy", np.array([True, False]))
    np.savez(tmp_path / "z.npz", a=np.ones(2))
    (tmp_path / "z.npz").rename(tmp_path / "archive.npy")
    (tmp_path / "text.npy").write_text("not an array")
    (tmp_path / "obj.json").write_text('{"a": 1}')
    (tmp_path / "big.json").write_text("[1e999]")
    (tmp_path / "folder.npy").mkdir()
    (tmp_path / "notes.txt").write_text("1 2 3")


@pytest.mark.parametrize(("value", "fragment"), [
    ("@c.npy", "complex"),
    ("@nan.npy", "nan"),
    ("@bool.npy", "real numbers"),
    ("@archive.npy", "single NumPy array"),
    ("@text.npy", "not a NumPy array file"),
    ("@obj.json", "numbers"),
    ("@big.json", "floating-point range"),
    ("@missing.npy", "no such file"),
    ("@folder.npy", "not a file"),
    ("@notes.txt", ".npy or .json"),
])
def test_bad_files_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch, value: str,
                               fragment: str) -> None:
    _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    err = refused(capsys, "diff", "x'*x", "--wrt", "x", "--at", f"x={value}")
    assert fragment in err
    assert "allow_pickle" not in err  # numpy's advice to unpickle is not repeated


def test_large_arrays_are_summarised(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    status, out, err = call(capsys, "diff", "norm2(X*w)^2", "--wrt", "w", "--at",
                            "X=@big.npy,w=@w.npy")
    assert status == 0, err
    value, at = out.splitlines()[1].split("    ")
    assert at == "(at X = <1000x20 array from big.npy>, w = <vector of length 20 from w.npy>)"
    x = np.load(tmp_path / "big.npy")
    got = np.array([float(v) for v in value.strip("[]").split(", ")])
    np.testing.assert_allclose(got, 2 * x.T @ x @ np.ones(20), rtol=1e-9)


@pytest.mark.parametrize(("decl", "at", "fragment"), [
    ("A: symmetric", "A=[[1,2],[3,4]],x=[1,1]", "A(1,2) = 2 and A(2,1) = 3"),
    ("A: spd", "A=[[1,2],[2,1]],x=[1,1]", "not positive definite"),
    ("A: spd", "A=[[1,1],[1,1]],x=[1,1]", "minor is 0"),
    ("A: diagonal", "A=[[1,0],[5,1]],x=[1,1]", "A(2,1) = 5"),
    ("A: matrix(2,2) positive", "A=[[1,2],[0,1]],x=[1,1]", "A(2,1) = 0"),
])
def test_declared_properties_are_checked_at_the_point(
        capsys: pytest.CaptureFixture[str], decl: str, at: str, fragment: str) -> None:
    err = refused(capsys, "diff", "x'*A*x", "--wrt", "x", "--declare", decl, "--at", at)
    assert fragment in err


def test_values_with_their_properties_are_evaluated(capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    status, out, err = call(capsys, "diff", "x'*A*x", "--wrt", "x", "--declare",
                            "A: spd", "--at", "A=[[2,1],[1,2]],x=[1,-1]")
    assert status == 0, err
    a, x = np.array([[2, 1], [1, 2]]), np.array([1, -1])
    assert out.splitlines()[1].split("    ")[0] == str([int(v) for v in 2 * a @ x])


def test_undefined_value_is_an_error_not_inf(capsys: pytest.CaptureFixture[str]) -> None:
    assert "no finite value" in refused(capsys, "diff", "log(a)", "--wrt", "a", "--at", "a=0")


def test_python_values_are_checked() -> None:
    d = matdiff.derivative("x'*x", "x")
    from matdiff.applications.point import value_at
    for bad in ([1.0, float("nan")], [1j, 2], ["a", 1], [True, 1], [[1, 2], [3]]):
        with pytest.raises(matdiff.MatdiffError):
            value_at(d, {"x": bad})
    assert list(value_at(d, {"x": [1, Fraction(1, 2)]})) == [2, 1]  # type: ignore[arg-type]


# --- 5. tangent -------------------------------------------------------------------------

@pytest.mark.parametrize(("plot", "fragment"), [
    ("/nonexistent/dir/x.png", "does not exist"),
    ("out.txt", ".png"),
    (".", ".png"),
])
def test_bad_plot_path_fails_before_printing(capsys: pytest.CaptureFixture[str],
                                             plot: str, fragment: str) -> None:
    status, out, err = call(capsys, "tangent", "x^2 + y^2 + z^2 = 30", "--at", "1,-2,5",
                            "--plot", plot)
    assert status == 2 and out == ""
    assert fragment in err


def test_plot_is_written(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "t.png"
    status, out, err = call(capsys, "tangent", "x^2 + y^2 + z^2 = 30", "--at", "1,-2,5",
                            "--plot", str(target))
    assert status == 0, err
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.rstrip().endswith(f"plot written to {target}")


def test_undefined_gradient_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(capsys, "tangent", "sqrt(x) + y + z = 1", "--at=0,0,1")
    assert re.search("gradient|derivative", err) and re.search("not defined|undefined", err)
    err = refused(capsys, "tangent", "sqrt(x) + y + z = 1", "--at=-1,0,1")
    assert re.search("not defined|undefined", err)


@pytest.mark.parametrize("point", [[float("nan"), -2, 5], [float("inf"), -2, 5],
                                   [1j, -2, 5], [True, -2, 5], ["x", -2, 5], 7])
def test_tangent_validates_python_points(point: object) -> None:
    with pytest.raises(matdiff.MatdiffError):
        matdiff.tangent("x^2 + y^2 + z^2 = 30", point)  # type: ignore[arg-type]


# --- 6. internal names ------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("diff", "tr(eye)*a", "--wrt", "a", "--format", "numpy"),
    ("diff", "tr(eye)*a", "--wrt", "a", "--at", "a=1"),
    ("diff", "X*eye*Y + matrix(1)*x", "--wrt", "x"),
    ("diff", "x + vector(1)*a", "--wrt", "a", "--format", "numpy"),
])
def test_messages_do_not_show_internal_dimension_names(
        capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    status, _, err = call(capsys, *args)
    assert status in (0, 2), err
    prose = re.sub(r"\{'[^']*'", "", err)  # a sizes={...} key for the Python API may stay
    assert "@" not in prose, err


def test_value_needing_an_unsized_constant_is_refused(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = call(capsys, "diff", "a*tr(eye)", "--wrt", "a", "--at", "a=1")
    assert status == 2 and out == ""  # the value needs eye's size: refused, said why
    assert "size(eye at column 6)" in err
    status, out, err = call(capsys, "diff", "x'*x + a", "--wrt", "a", "--at", "a=1,x=[1,2]")
    assert (status, out.splitlines()[1].split()[0]) == (0, "1"), err


# --- 7. help ----------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["diff", "tangent", "solve", "codegen", "identity"])
def test_help_examples_one_per_line(capsys: pytest.CaptureFixture[str], command: str) -> None:
    status, out, _ = call(capsys, command, "--help")
    assert status == 0
    examples = out[out.index("example"):].splitlines()[1:]
    assert examples and all(line.startswith("  matdiff ") for line in examples if line)
    assert all(line.count("matdiff ") == 1 for line in examples)


def test_subprocess_exit_statuses() -> None:
    """The real executable: status 2 and one message line, for a few of the above."""
    for args in (("diff", "x", "--wrt", "x", "--order", "99999999999999999999"),
                 ("diff", "x'*x", "--wrt", "x", "--at", "x=[NaN]"),
                 ("tangent", "x^2 + y^2 + z^2 = 30", "--at", "1,-2,5", "--plot", "o.txt")):
        r = run(*args)
        assert r.returncode == 2, r.stderr
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    r = run("diff", "-log(det(X))", "--wrt", "X")
    assert r.returncode == 0 and r.stdout.strip() == matdiff.derivative(
        "-log(det(X))", "X").text


def test_printed_values_read_back(capsys: pytest.CaptureFixture[str]) -> None:
    from matdiff.applications.values import as_float, read_value
    status, out, err = call(capsys, "diff", "A*x", "--wrt", "x", "--at",
                            "A=[[2,1],[1,3]],x=[1,1]")
    assert status == 0, err
    # d(A*x)/dx = A; then d(inv(A)*x)/dx = inv(A), printed with fractions
    status, out, err = call(capsys, "diff", "inv(A)*x", "--wrt", "x", "--at",
                            "A=[[2,1],[1,3]],x=[1,1]")
    assert status == 0, err
    printed = out.splitlines()[1].split("    (at")[0]
    assert "/" in printed
    np.testing.assert_allclose(as_float(read_value(printed)),
                               np.linalg.inv(np.array([[2.0, 1], [1, 3]])), rtol=1e-12)


def test_long_exact_values_print_short(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = call(capsys, "diff", "a*b", "--wrt", "a", "--at", "a=1,b=1e300")
    assert status == 0, err
    assert out.splitlines()[1].split()[0] == "1e300"  # not a 301-digit integer
    status, out, err = call(capsys, "diff", "a*b", "--wrt", "a", "--at", "a=1,b=123456/1000")
    assert (status, out.splitlines()[1].split()[0]) == (0, "15432/125"), err


@pytest.mark.parametrize("extra", [["--check"], ["--steps"], ["--lang", "zh"]])
def test_at_never_drops_another_request_silently(capsys: pytest.CaptureFixture[str],
                                                 extra: list[str]) -> None:
    err = refused(capsys, "diff", "x'*x", "--wrt", "x", "--at", "x=[1,2]", *extra)
    assert extra[0] in err


def test_at_prints_the_asked_code_format(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = call(capsys, "diff", "x'*A*x", "--wrt", "x", "--at",
                            "x=[1,2],A=[[1,2],[3,4]]", "--format", "numpy")
    assert status == 0, err
    code = out.splitlines()[0]
    x, a = np.array([1.0, 2.0]), np.array([[1.0, 2], [3, 4]])
    got = eval(code, {"np": np, "x": x, "A": a})  # our own generated expression
    np.testing.assert_allclose(got, (a + a.T) @ x)
    status, out, _ = call(capsys, "diff", "x^2+y^2", "--wrt", "x,y", "--at", "x=1,y=2",
                          "--format", "torch")
    assert status == 0 and out.splitlines()[0] == "(2 * x, 2 * y)"  # code, not "(2*x, 2*y)"
