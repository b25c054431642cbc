"""Issue 4's measure: is matdiff's result no longer than the textbook's?

Over the corpora ``tests/corpus/cookbook.toml`` and ``tests/corpus/practitioner.toml``
(every case with a ``textbook`` field; ``--corpus FILE``, repeatable, for others),
compute ``matdiff.derivative(expr, wrt, declare=..., symmetric_gradient=...)`` and compare
the number of operations in its printed result (``d.text``, read back with the types its
undeclared names were given) with the number in the textbook form, both parsed with the
case's declarations at the result's shape and *not* simplified.

The measure, :func:`count_ops`, counts the operations a reader sees on the expression
tree (leaves — variables, numbers, ``eye``, ``vector(c)``/``matrix(c)`` — count 0):

- an n-ary ``+``, ``*`` or ``.*`` with ``k`` operands counts ``k - 1`` (it is written with
  ``k - 1`` operators: ``A*B*C`` is two products);
- a factor ``-1`` of a product is a unary minus and counts 1, except in a term of a sum
  after the first, where it is the sum's own ``-`` (``A - B`` counts 1, as ``A + B``);
- a factor ``s^-1`` of a product with other factors is a division: the ``^-1`` counts 0,
  only the ``/`` does (``x/norm2(x)`` counts 2: ``/`` and ``norm2``);
- ``broadcast`` counts 0: the parser inserts it for a scalar used as a vector
  (``x + s``), nobody writes it;
- every other op application counts 1: ``'`` (each transpose), ``inv``, ``tr``, ``det``,
  ``./``, ``.^``, ``^``, ``diag``, ``exp``, ...

Shared subexpressions count at each occurrence (it is a tree measure), except those the
printed form names in its ``where`` list: the main expression and each definition are
counted once (``diag(p) - p*p'  where p = exp(x)/sum(exp(x))`` counts 4 + 4).  A textbook
form with a ``where`` list is counted the same way.  The ratio is
matdiff's count over the textbook's (a textbook count of 0, a leaf, compares as 1 when
matdiff's is 0 too).  Run from the repository root::

    .venv/bin/python benchmarks/textbook_length.py [--json] [--corpus FILE ...]

It prints a table, worst ratio first, the summary line ``no longer than textbook: N/M``,
the geometric mean of the ratios and the median time to compute a derivative and its
printed form (parse, differentiate, simplify, name shared parts, print).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import matdiff
from matdiff.errors import MatdiffError
from matdiff.ir.nodes import Node
from matdiff.parse import parse

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "cookbook.toml"
PRACTITIONER = ROOT / "tests" / "corpus" / "practitioner.toml"
CORPORA = (CORPUS, PRACTITIONER)

_FREE = frozenset({"broadcast"})


def _is_number(node: Node, value: int) -> bool:
    return node.op == "const" and node.attrs[0] == Fraction(value)


def _is_division(node: Node) -> bool:
    return node.op == "power" and _is_number(node.args[1], -1)


def _own_count(node: Node, subtracted: bool) -> int:
    """The operations written for ``node`` itself (its operands counted separately)."""
    if node.is_leaf or node.op in _FREE:
        return 0
    if node.op in ("add", "hadamard"):
        return len(node.args) - 1
    if node.op == "mul":
        count = len(node.args) - 1
        if _is_number(node.args[0], -1):
            count += -1 if subtracted else 0  # the -1 factor is a minus, not a product
        return count
    return 1


def count_ops(expr: Node, named: frozenset[Node] = frozenset()) -> int:
    """The number of operations in ``expr`` read as a tree (module docstring); a part in
    ``named`` (a ``where`` definition) below the root counts as a leaf.

    >>> from matdiff.parse import parse
    >>> count_ops(parse("A'*C'*X*B' + C*A*X*B").expr)
    10
    """
    total = 0
    # (node, this node is a negated term after the first of a sum, it is a divisor)
    stack: list[tuple[Node, bool, bool]] = [(expr, False, False)]
    while stack:
        node, subtracted, divisor = stack.pop()
        if divisor:  # s^-1 written as "/ s": the / is the product's, the ^-1 is free
            stack.append((node.args[0], False, False))
            continue
        if node in named and node is not expr:
            continue
        total += _own_count(node, subtracted)
        divides = node.op == "mul" and len(node.args) > 1
        for i, arg in enumerate(node.args):
            negated_term = (node.op == "add" and i > 0 and arg.op == "mul"
                            and _is_number(arg.args[0], -1))
            stack.append((arg, negated_term, divides and _is_division(arg)))
    return total


@dataclass(frozen=True)
class Row:
    """One corpus case: the two counts, their ratio and matdiff's text."""

    id: str
    matdiff_ops: int
    textbook_ops: int
    ratio: float
    text: str
    textbook: str
    seconds: float


@dataclass(frozen=True)
class Summary:
    rows: list[Row]
    no_longer: int
    total: int
    geometric_mean: float
    median_ms: float

    @property
    def line(self) -> str:
        return f"no longer than textbook: {self.no_longer}/{self.total}"


_WHERE = re.compile(r"\s+where\s+")


def _definitions(text: str) -> list[tuple[str, str]]:
    """``name = expr`` pairs of a ``where`` list, split at top-level ``;`` and ``,``."""
    parts: list[str] = []
    depth = start = 0
    for i, ch in enumerate(text + ";"):
        depth += (ch == "(") - (ch == ")")
        if ch in ";," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [(name.strip(), body.strip()) for name, _, body in
            (part.partition("=") for part in parts if part.strip())]


def textbook_count(text: str, declare: list[str] | None, shape: Any) -> int:
    """:func:`count_ops` of a textbook form, its ``where`` definitions counted once, as
    matdiff's printed ``where`` list is: each definition with the names before it as
    variables, then the main expression with all of them as variables (declared of the
    kind their definition has; a row is a declared vector transposed, its ``'`` not
    counted)."""
    pieces = _WHERE.split(text, maxsplit=1)
    if len(pieces) == 1:
        return count_ops(parse(text, declare, shape=shape).expr)
    extra: list[str] = []
    rows: list[str] = []
    total = 0
    def read(body: str, at: Any = None) -> Node:
        nonlocal total
        for name in rows:  # a row is read as the declared vector's transpose
            found = len(re.findall(rf"(?<![A-Za-z0-9_]){name}(?![A-Za-z0-9_(])", body))
            body = re.sub(rf"(?<![A-Za-z0-9_]){name}(?![A-Za-z0-9_(])", f"({name}')", body)
            total -= found
        node = parse(body, [*(declare or []), *extra], shape=at).expr
        total += count_ops(node)
        return node

    for name, body in _definitions(pieces[1]):
        defined = read(body).shape
        # Declared without sizes: the context sizes them as the definition would (a
        # size such as rows(X) cannot be written in a declaration).
        if defined.rows is None and defined.cols is None:
            extra.append(f"{name}: scalar")
        elif defined.cols is None or defined.rows is None:
            extra.append(f"{name}: vector")
            if defined.rows is None:
                rows.append(name)
        else:
            extra.append(f"{name}: matrix")
    read(pieces[0], shape)
    return total


def load_cases(path: Path = CORPUS) -> list[dict[str, Any]]:
    with path.open("rb") as f:
        cases: list[dict[str, Any]] = tomllib.load(f)["case"]
    return [c for c in cases if "textbook" in c]


def ratio(ours: int, theirs: int) -> float:
    if theirs == 0:
        return 1.0 if ours == 0 else float(ours + 1)
    return ours / theirs


def measure(case: dict[str, Any]) -> Row:
    start = time.perf_counter()
    d = matdiff.derivative(case["expr"], case["wrt"], declare=case.get("declare"),
                           symmetric_gradient=case.get("symmetric_gradient", "symmetrized"))
    result, where, text = d.result, d.where, d.text
    seconds = time.perf_counter() - start
    if result is None or where is None:
        raise ValueError(f"{case['id']}: no matrix form, but the corpus gives a textbook one")
    # Both sides are measured the same way, on the text a reader sees: matdiff's printed
    # form read back (with the types its undeclared names were given) and the textbook's.
    declare = list(case.get("declare") or [])
    ours = textbook_count(text, [*declare, *d.variables.declarations()], result.shape)
    theirs = textbook_count(case["textbook"], case.get("declare"), result.shape)
    return Row(case["id"], ours, theirs, ratio(ours, theirs), text, case["textbook"],
               seconds)


def _measured(case: dict[str, Any], path: Path) -> Row:
    try:
        return measure(case)
    except MatdiffError as err:  # e.g. a function matdiff does not know yet
        raise ValueError(f"{path.name}: {case['id']}: {str(err).splitlines()[0]}") from err


def run(paths: Path | Sequence[Path] = CORPORA) -> Summary:
    """Measure every textbook case of the corpora at ``paths``."""
    paths = [paths] if isinstance(paths, Path) else list(paths)
    rows = [_measured(c, path) for path in paths for c in load_cases(path)]
    rows.sort(key=lambda r: (-r.ratio, -r.matdiff_ops, r.id))
    no_longer = sum(r.matdiff_ops <= r.textbook_ops for r in rows)
    gmean = math.exp(statistics.fmean(math.log(r.ratio) for r in rows)) if rows else 1.0
    median_ms = statistics.median(r.seconds for r in rows) * 1e3 if rows else 0.0
    return Summary(rows, no_longer, len(rows), gmean, median_ms)


def render(summary: Summary) -> str:
    width = max((len(r.id) for r in summary.rows), default=2)
    lines = [f"{'id':<{width}}  matdiff  textbook  ratio  matdiff text"]
    for r in summary.rows:
        lines.append(f"{r.id:<{width}}  {r.matdiff_ops:>7}  {r.textbook_ops:>8}  "
                     f"{r.ratio:>5.2f}  {r.text}")
    lines.append("")
    lines.append(summary.line)
    lines.append(f"geometric mean of the ratios: {summary.geometric_mean:.3f}")
    lines.append(f"median time per derivative (parse, differentiate, simplify, print): "
                 f"{summary.median_ms:.2f} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> Summary:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--corpus", type=Path, action="append",
                        help="a corpus file (repeatable; default: both corpora)")
    args = parser.parse_args(argv)
    try:
        summary = run(args.corpus or CORPORA)
    except ValueError as err:
        parser.exit(2, f"textbook_length: {err}\n")
    if args.json:
        print(json.dumps({"rows": [asdict(r) for r in summary.rows],
                          "no_longer": summary.no_longer, "total": summary.total,
                          "geometric_mean": summary.geometric_mean,
                          "median_ms": summary.median_ms}, indent=2))
    else:
        print(render(summary))
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
