"""``matdiff codegen``: the generated module runs on its own (``python module.py`` runs its
gradient check and exits 0) for every backend, has f / grad / hessian with the formula in
the docstring, and its shape checks give clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import matdiff
from matdiff.cli import codegen as cli_codegen

CASES = [
    ("norm2(X - U*V')^2", "U", None),
    ("logdet(X) + tr(S*inv(X))", "X", ["X: matrix(n,n) spd", "S: matrix(n,n) symmetric"]),
    ("sum(log(1 + exp(-y.*(X*w))))", "w", None),
]


@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
def test_module_runs_its_gradient_check(tmp_path: Path, backend: str) -> None:
    pytest.importorskip({"numpy": "numpy", "jax": "jax", "torch": "torch"}[backend])
    for k, (expr, wrt, declare) in enumerate(CASES if backend == "numpy" else CASES[:2]):
        path = tmp_path / f"m{k}.py"
        path.write_text(matdiff.generate_module(expr, wrt, backend, hessian=True, declare=declare))
        run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                             timeout=120, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        assert "gradient check passed (and hessian)" in run.stdout


def test_module_contents_and_shape_checks(tmp_path: Path) -> None:
    src = matdiff.generate_module("x'*A*x", "x", "numpy", hessian=True)
    for needle in ("def f(", "def grad(", "def hessian(",
                   "d f / d x = (A + A')*x", "def check_gradient(", "__main__"):
        assert needle in src
    namespace: dict[str, object] = {"__name__": "generated"}
    exec(compile(src, "generated", "exec"), namespace)
    grad = namespace["grad"]
    A, x = np.arange(9.0).reshape(3, 3), np.ones(3)
    assert np.allclose(grad(A=A, x=x), (A + A.T) @ x)  # type: ignore[operator]
    with pytest.raises(ValueError, match=r"shape\[\d\] is \d, but dimension"):
        grad(A=A, x=np.ones(4))  # type: ignore[operator]


def test_cli_writes_the_module(tmp_path: Path) -> None:
    import argparse
    parser = argparse.ArgumentParser()
    cli_codegen.register(parser.add_subparsers())
    out = tmp_path / "loss.py"
    args = parser.parse_args(["codegen", "norm2(X*w - y)^2", "--wrt", "w", "--hessian",
                              "--backend", "numpy", "-o", str(out)])
    assert cli_codegen.run(args) == 0
    run = subprocess.run([sys.executable, str(out)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
