"""A corpus of awkward and hostile command lines (issue 15), run in process.

Every case must end with status 0 or 1 (an answer) or 2 (matdiff's own message), never 3
(an internal error), a traceback, a raw control character, ``nan``/``inf`` printed as an
answer, or more than a few seconds.  Where a ``diff --at`` case answers, the printed
value is compared with central finite differences of the expression itself.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from fractions import Fraction

import numpy as np
import pytest

from matdiff.applications.values import as_float, kind_declarations, read_point
from matdiff.cli import main
from matdiff.evaluate import evaluate
from matdiff.parse import parse

EXPRESSIONS = ["x'*x", "x'*A*x", "log(det(X))", "sum(exp(x))", "a*b", "sqrt(a)",
               "norm2(X*w - y)^2", "tr(A*X)", "1/a", "-a^3", "-x'*x"]
POINTS = ["x=1", "x=[1,2]", "A=[[1,2],[3,4]],x=[1,2]", "x=[1,2],A=[[1]]",
          "X=[[2,1],[1,3]]", "X=[[0,0],[0,0]]", "a=0,b=1", "a=-1", "a=2,b=-3", "q=1,x=1",
          "x=1,x=2", "1,2", "x=", "=1", "x==1", "x=[1,2", "x=1]", "x=@", "x=@.npy",
          "x=@/dev/null", "a=1e300,b=1e300", "a=1e-300", "a=1/3", "a=1/-3", "a=-1/-3",
          "a=1//3", "a=.5", "a=5.", "a=.", "a=-.5e-3", "x=[1,,2]", "x=[1 2]", "x=[1e5000]",
          "a=\u0661", "a=\uff11", 'x=["1"]', "x=[null]", "a=[1]", "A=[1,2]", "a=+-1", "a=--1",
          "a=+1", "a=1e+-5", "x=[NaN]", "x=[Infinity]", "a=0x1", "a=1_0", "a=\x1b[31m",
          "w=[1,2],X=[[1,2],[3,4]],y=[1,-1]", "A=[[1,2],[3,4]],X=[[1,0],[0,1]]"]
SURFACES = ["x^2+y^2+z^2=30", "z=x^2+y^2", "p'*p=30", "x*y*z=0", "x=1", "a*x+y=1", "=",
            "x^2+y^2+z^2", "x^2+y^2=z=1", "sqrt(x)+y=1", "log(x)+y=0", "x'*x=1", "X=1",
            "-x^2-y^2-z^2=-30"]
SURFACE_POINTS = ["1,-2,5", "1,2", "0,0,0", "x=1,y=2,z=3", "a=1,x=0,y=1", "1", "",
                  "1,2,3,4", "nan,1,2", "1e400,1,1", "x=1,1", "[1,2,3]", "0,1", "-1,-2,-5"]
OTHER = [
    ["diff", "-", "--wrt", "x"], ["diff", "---x", "--wrt", "x"], ["diff", "-=", "--wrt", "x"],
    ["diff", "x", "--at="], ["diff", "x", "--wrt="], ["diff", "x", "--wrt", "x", "--at", "-1"],
    ["diff", "x", "--wr", "x"], ["diff", "-x", "--wrt", "-x"], ["diff", "-x", "-x", "--wrt", "x"],
    ["identity", "-a", "-b"], ["identity", "-a"], ["solve", "-w'*w + 2*w'*y", "--for", "w"],
    ["diff", "x" * 100000, "--wrt", "x"], ["diff", "x\x00", "--wrt", "x"],
    ["diff", "\ud800x", "--wrt", "x"], ["diff", "x", "--wrt", "\ud800"],
    ["diff", "x\x1b]0;t\x07", "--wrt", "x"], ["diff", "x", "--wrt", "x", "--order", "9" * 30],
    ["diff", "x", "--wrt", "x", "--order", "-3"], ["diff", "x", "--wrt", "x", "--order", "1.5"],
    ["diff", "x'*x", "--wrt", "x", "--layout", "-mixed"], ["codegen", "x'*x", "--wrt", "x", "-o"],
    ["codegen", "x'*x", "--wrt", "x", "-o", "/"], ["codegen", "x'*x", "--wrt", "x", "-o",
                                                   "/nonexistent/m.py"],
    ["tangent", "x^2+y^2+z^2=30", "--at", "1,-2,5", "--plot", "/nonexistent/a.png"],
    ["tangent", "x^2+y^2+z^2=30", "--at", "1,-2,5", "--plot", "a.txt"],
    ["tangent", "x^2+y^2+z^2=30", "--at", "1,-2,5", "--plot", ""],
    ["tangent", "x^2+y^2+z^2=30", "--at", "1,-2,5", "--vars", "x,,y"],
    ["tangent", "x^2+y^2+z^2=30", "--at", "1,-2,5", "--vars", "z,y,x"],
    ["tangent", "sqrt(x)+y+z=1", "--at=0,0,1"], ["-x"], ["diff"],
]


def _wrt(expr: str) -> str:
    return next(v for v in ("x", "X", "w", "a") if v in expr)


CASES = ([["diff", e, "--wrt", _wrt(e), "--at", at]
          for e, at in itertools.product(EXPRESSIONS, POINTS)]
         + [["tangent", e, "--at", at] for e, at in itertools.product(SURFACES, SURFACE_POINTS)]
         + OTHER)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    try:
        status = main(argv)
    except SystemExit as e:
        status = int(e.code or 0)
    out = capsys.readouterr()
    return status, out.out, out.err


def _check_value(expr: str, wrt: str, at: str, printed: str) -> None:
    """The printed gradient of a scalar expression against central differences."""
    _, values = read_point(at)
    decl = kind_declarations(values, [])
    f = parse(expr, decl).expr
    if not f.shape.is_scalar:
        return
    env = {k: as_float(v) for k, v in values.items()}
    base = np.asarray(env[wrt], dtype=float)
    fd = np.zeros(base.shape)
    with np.errstate(all="ignore"):
        for i in np.ndindex(base.shape or ()):
            h = 1e-6 * (abs(float(base[i])) or 1.0)
            step = np.zeros(base.shape)
            step[i] = h
            up, down = dict(env), dict(env)
            up[wrt], down[wrt] = base + step, base - step
            fd[i] = (float(evaluate(f, up)) - float(evaluate(f, down))) / (2 * h)
    if not np.all(np.isfinite(fd)):
        return  # f itself overflows near the point: nothing to compare with
    got = _number_array(printed)
    np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-6 * (1 + np.max(np.abs(fd))))


def _number_array(text: str) -> np.ndarray:
    """A printed value (``[[3/5, -1/5], ...]``, ``-3e-600``) as floats, read here
    independently of matdiff's own reader."""
    quoted = re.sub(r"[^\[\],\s]+", lambda m: f'"{m[0]}"', text)
    return np.vectorize(lambda t: float(Fraction(t)), otypes=[float])(
        np.asarray(json.loads(quoted), dtype=object))


@pytest.mark.parametrize("argv", CASES, ids=[repr(c)[:60] for c in CASES])
def test_corpus_case(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    start = time.perf_counter()
    status, out, err = _run(capsys, argv)
    assert time.perf_counter() - start < 10  # generous: a loaded CI machine
    assert status in (0, 1, 2), (status, err)
    assert "internal error" not in err and "Traceback" not in err, err
    assert not _CONTROL.search(out + err), (out, err)
    if status == 2:
        assert err.strip(), "a refusal says why"
        return
    assert not re.search(r"\b(nan|inf)\b", out), out
    if argv[0] == "diff" and "--at" in argv and status == 0:
        expr, wrt, at = argv[1], argv[3], argv[5]
        _check_value(expr, wrt, at, out.splitlines()[1].split("    (at")[0])


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 700
