"""Shared by the corpus tests: reading a corpus file and loading the length benchmark
(``benchmarks/textbook_length.py``, a script, not a package) as a module."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def load_corpus(path: Path) -> list[dict[str, Any]]:
    """Every ``[[case]]`` table of a corpus file, in order."""
    with path.open("rb") as f:
        cases: list[dict[str, Any]] = tomllib.load(f)["case"]
    return cases


@cache
def textbook_length() -> ModuleType:
    """``benchmarks/textbook_length.py`` as a module (loaded once)."""
    path = ROOT / "benchmarks" / "textbook_length.py"
    spec = importlib.util.spec_from_file_location("textbook_length", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module
