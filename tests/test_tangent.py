"""Tangent planes and normal lines (seed 000): forms, refusals, the plot."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import matdiff
from matdiff.cli import main


def _fd_gradient(f, p: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    h = 1e-6
    return np.array([(f(p + h * e) - f(p - h * e)) / (2 * h) for e in np.eye(len(p))])


def test_seed_000_sphere_both_forms_and_normal_line() -> None:
    t = matdiff.tangent("x^2 + y^2 + z^2 = 30", "1,-2,5")
    assert t.coordinates == ["x", "y", "z"]
    assert t.normal == [2, -4, 10]
    assert t.point_normal == "2(x - 1) - 4(y + 2) + 10(z - 5) = 0"
    assert t.expanded == "2x - 4y + 10z = 60"
    assert t.normal_line == "(1 + 2t, -2 - 4t, 5 + 10t)"
    fd = _fd_gradient(lambda q: q @ q - 30, np.array([1.0, -2.0, 5.0]))
    np.testing.assert_allclose([float(n) for n in t.normal], fd, rtol=1e-6)


def test_vector_variable_gives_the_same_plane() -> None:
    t = matdiff.tangent("p'*p = 30", [1, -2, 5])
    assert t.gradient_text == "2*p"
    assert t.normal == [2, -4, 10]
    assert t.point_normal == "2(p1 - 1) - 4(p2 + 2) + 10(p3 - 5) = 0"


def test_graph_surface_computes_the_height_and_is_tangent() -> None:
    t = matdiff.tangent("z = x^2 - x*y + y^2/2", {"x": Fraction(1), "y": 2})
    assert t.point == [1, 2, 1]  # z = 1 - 2 + 2
    # F = z - f(x, y): normal (-f_x, -f_y, 1) from finite differences of f
    f = lambda q: q[0] ** 2 - q[0] * q[1] + q[1] ** 2 / 2  # noqa: E731
    fx, fy = _fd_gradient(f, np.array([1.0, 2.0]))
    np.testing.assert_allclose([float(n) for n in t.normal], [-fx, -fy, 1], atol=1e-6)
    assert t.expanded == "-y + z = -1"  # f_x = 2x - y = 0, f_y = y - x = 1


def test_exact_fractions_and_floats() -> None:
    t = matdiff.tangent("x*y*z = 1/4", "1/2,1,1/2")
    assert t.normal == [Fraction(1, 2), Fraction(1, 4), Fraction(1, 2)]
    assert t.point_normal == "(1/2)(x - 1/2) + (1/4)(y - 1) + (1/2)(z - 1/2) = 0"
    t2 = matdiff.tangent("exp(x) + y^2 + z = 2", "x=0,y=1,z=0")
    assert t2.point_normal == "x + 2(y - 1) + z = 0"


def test_point_off_the_surface_says_by_how_much() -> None:
    with pytest.raises(matdiff.TangentError, match=r"not on the surface .*\(off by 11\)"):
        matdiff.tangent("x^2 + y^2 + z^2 = 30", [1, -2, 6])


def test_vanishing_gradient_is_refused() -> None:
    with pytest.raises(matdiff.TangentError, match=r"vanishes at \(0, 0, 0\)"):
        matdiff.tangent("x^2 + y^2 - z^2 = 0", [0, 0, 0])


def test_parameters_by_name_and_coordinate_count() -> None:
    t = matdiff.tangent("a*x^2 + y^2 + z^2 = 30", "1,-2,5,a=1")
    assert t.parameters == {"a": 1} and t.normal == [2, -4, 10]
    with pytest.raises(matdiff.OptionError, match="coordinate"):
        matdiff.tangent("x^2 + y^2 + z^2 = 30", "1,2")


def test_plot_has_surface_plane_and_normal(tmp_path: Path) -> None:
    import matplotlib.image

    out = tmp_path / "sphere.png"
    assert main(["tangent", "x^2 + y^2 + z^2 = 30", "--at", "1,-2,5", "--plot",
                 str(out)]) == 0
    assert out.stat().st_size > 20_000
    img = matplotlib.image.imread(out)[..., :3]
    assert img.shape[0] >= 400 and img.shape[1] >= 400
    colours = {tuple(c) for c in (img.reshape(-1, 3) * 255).round().astype(int)}
    assert len(colours) > 500  # shaded surface and plane, not a blank canvas
    red = (img[..., 0] > 0.8) & (img[..., 1] < 0.2) & (img[..., 2] < 0.2)
    assert red.sum() > 100  # the normal line


def test_cli_prints_the_seed_forms(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tangent", "x^2 + y^2 + z^2 = 30", "--at", "1,-2,5"]) == 0
    out = capsys.readouterr().out
    assert "tangent plane: 2(x - 1) - 4(y + 2) + 10(z - 5) = 0" in out
    assert "normal line: (1 + 2t, -2 - 4t, 5 + 10t)" in out
    assert main(["tangent", "x^2 + y^2 + z^2 = 30", "--at", "1,-2,6"]) == 2
    assert "off by 11" in capsys.readouterr().err
