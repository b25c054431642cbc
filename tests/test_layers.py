"""Imports point down (DESIGN.md): a module may import only from lower layers, and the L2
siblings (parse, diff, simplify, printing, codegen, evaluate) never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "matdiff"

# top-level unit (module or subpackage) -> layer
# (applications sits between api and the front ends: tangent planes and solving call derivative.)
LAYERS: dict[str, float] = {
    "spans": 0, "errors": 0, "shapes": 0, "arguments": 0,
    "ir": 1,
    "parse": 2, "diff": 2, "simplify": 2, "printing": 2, "codegen": 2, "evaluate": 2,
    "properties": 2,
    "explain": 3, "api": 3, "testing": 3, "compiled": 3,
    "applications": 3.5,
    "cli": 4, "web": 4, "__main__": 4,
    "__init__": 5,
}
# Within L3, only these imports are allowed (no cycles: testing is below api).
L3_ALLOWED = {("api", "testing"), ("explain", "testing"), ("api", "explain"),
              ("api", "compiled"), ("compiled", "testing")}


def _unit(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imported_units(path: Path) -> set[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = path.relative_to(SRC.parent).with_suffix("").parts[:-1]
    found: set[tuple[str, int]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                parts = base + (node.module.split(".") if node.module else [])
            else:
                parts = node.module.split(".") if node.module else []
            if parts[:1] == ["matdiff"]:
                if len(parts) > 1:
                    found.add((parts[1], node.lineno))
                else:  # from matdiff import x / from . import x
                    for alias in node.names:
                        found.add((alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "matdiff":
                    found.add((parts[1] if len(parts) > 1 else "__init__", node.lineno))
    return found


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_every_unit_has_a_layer() -> None:
    units = {_unit(p) for p in _modules()}
    assert units <= set(LAYERS), f"give these a layer in LAYERS: {units - set(LAYERS)}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path: Path) -> None:
    me = _unit(path)
    for target, line in _imported_units(path):
        if target == me or target not in LAYERS:
            continue
        mine, theirs = LAYERS[me], LAYERS[target]
        where = f"{path.relative_to(SRC)}:{line} imports {target}"
        if mine == 3 and theirs == 3:
            assert (me, target) in L3_ALLOWED, f"{where}: L3 modules may not import each other"
            continue
        if mine in (0, 4) and theirs == mine:
            continue  # L0 and L4 modules may use each other (errors -> spans, __main__ -> cli)
        assert theirs < mine, f"{where} (layer {theirs} from layer {mine})"
        if mine == 4:  # DESIGN.md: the CLI and the web page call the api, never its parts
            assert theirs == 0 or theirs >= 3, f"{where}: a front end calls the api"


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The test above can fail: a relative import from L1 to L2 is detected."""
    fake = SRC / "ir" / "_probe_violation.py"
    fake.write_text("from ..parse import parse\n")
    try:
        assert ("parse", 1) in _imported_units(fake)
    finally:
        fake.unlink()
