"""examples/seeds.ipynb runs headless (nbclient, the venv's ipykernel) with the right outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "seeds.ipynb"


def test_seed_notebook_runs_and_shows_the_seed_results() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    texts: list[str] = []
    html: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", out
            texts.append(out.get("text", "") + out.get("data", {}).get("text/plain", ""))
            html.append(out.get("data", {}).get("text/html", ""))
    text = "\n".join(texts)
    for expected in ["(2*x, 2*y, 2*z)", "(2, -4, 10)",
                     "tangent plane: 2(x - 1) - 4(y + 2) + 10(z - 5) = 0",
                     "normal line: (1 + 2t, -2 - 4t, 5 + 10t)", "off by 11",
                     "A'*C'*X*B' + C*A*X*B", "stationary condition: X'*X*w = X'*y",
                     "w = inv(X'*X + lam*eye)*X'*y", "X = inv(A'*A)*A'*B",
                     "Trace(A*X*B*X.T*C) -> tr(A*X*B*X'*C)"]:
        assert expected in text, expected
    assert text.count("True") >= 2  # the numeric comparisons with NumPy
    assert any("<math" in h and "<details>" in h for h in html)  # _repr_html_ of a result
