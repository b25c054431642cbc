"""Values at a point: Derivative.at, the gradient over several variables, --at on the CLI."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import matdiff
from matdiff.applications.values import format_value, read_point, read_value
from matdiff.cli import main

SCALARS = ["x: scalar", "y: scalar", "z: scalar"]


def test_seed_000_gradient_over_three_variables_is_exact() -> None:
    g = matdiff.gradient("x^2 + y^2 + z^2 - 30", "x,y,z", declare=SCALARS)
    assert g.text == "(2*x, 2*y, 2*z)"
    assert g.values_at(x=1, y=-2, z=5) == [2, -4, 10]
    assert all(isinstance(v, Fraction) for v in g.values_at(x=1, y=-2, z=5))
    np.testing.assert_allclose(g.at(x=1.0, y=-2.0, z=5.0), [2, -4, 10])


def test_at_accepts_a_dict_and_keywords_and_matches_finite_differences() -> None:
    d = matdiff.derivative("log(det(X)) + tr(A*X)", "X")
    rng = np.random.default_rng(1)
    X = np.eye(3) + 0.2 * rng.standard_normal((3, 3))
    A = rng.standard_normal((3, 3))
    value = d.at({"X": X}, A=A)
    f = lambda M: np.log(np.linalg.det(M)) + np.trace(A @ M)  # noqa: E731
    fd = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            e = np.zeros((3, 3))
            e[i, j] = 1e-6
            fd[i, j] = (f(X + e) - f(X - e)) / 2e-6
    np.testing.assert_allclose(value, fd, rtol=1e-6, atol=1e-8)


def test_at_names_a_missing_variable_and_a_wrong_shape() -> None:
    d = matdiff.derivative("x'*A*x", "x", declare=["x: vector(3)"])
    with pytest.raises(matdiff.EvaluationError, match="no value given for A"):
        d.at(x=[1, 2, 3])
    with pytest.raises(matdiff.EvaluationError,
                       match=r"x: expected a vector of length 3, got shape \(2,\)"):
        d.at(x=[1, 2], A=np.eye(3))
    d2 = matdiff.derivative("x'*A*x", "x")
    with pytest.raises(matdiff.EvaluationError, match=r"A: expected a 2 x 2 matrix"):
        d2.at(x=[1.0, 2.0], A=np.eye(3))


def test_values_are_read_exactly_without_eval(tmp_path: Path) -> None:
    positional, named = read_point("x=1/2,v=[1,2.5],A=[[1,2],[3,4]]")
    assert positional == [] and named["x"] == Fraction(1, 2)
    assert list(named["v"]) == [1, Fraction(5, 2)]
    assert format_value(named["A"]) == "[[1, 2], [3, 4]]"
    np.save(tmp_path / "w.npy", np.arange(3.0))
    (tmp_path / "m.json").write_text("[[1, 0], [0, 1]]")
    np.testing.assert_array_equal(read_value(f"@{tmp_path / 'w.npy'}"), [0, 1, 2])
    assert read_value(f"@{tmp_path / 'm.json'}").shape == (2, 2)  # type: ignore[union-attr]
    for bad in ["__import__('os')", "[1, [2]]", "@nofile.npy", "1/0"]:
        with pytest.raises(matdiff.OptionError):
            read_value(bad)


def test_cli_gradient_over_several_variables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "x^2 + y^2 + z^2 - 30", "--wrt", "x,y,z", "--at", "x=1,y=-2,z=5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["(2*x, 2*y, 2*z)", "(2, -4, 10)    (at x = 1, y = -2, z = 5)"]


def test_cli_repeated_wrt_keeps_its_meaning_with_at(capsys: pytest.CaptureFixture[str]) -> None:
    # d/dy d/dx of x^2*y is 2x: a mixed second derivative, not a gradient
    assert main(["diff", "x^2*y", "--wrt", "x", "--wrt", "y", "--at", "x=3,y=7"]) == 0
    assert capsys.readouterr().out.splitlines() == ["2*x", "6    (at x = 3, y = 7)"]


def test_cli_at_json_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "x'*A*x", "--wrt", "x", "--at", "x=[1,2],A=[[1,2],[3,4]]",
                 "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["value"] == "[12, 21]"  # (A + A')*x
    np.testing.assert_allclose(payload["value_float"][0], [12, 21])
    assert main(["diff", "x'*A*x", "--wrt", "x", "--at", "x=[1,2],A=[[1,2,3]]"]) == 2
    assert "A: expected a 2 x 2 matrix" in capsys.readouterr().err
    assert main(["diff", "x'*x", "--wrt", "x,y", "--wrt", "x"]) == 2
