"""Adding an operation is one row in each table (DESIGN.md): this test walks the op table
and fails until every per-op table has the row.  The numeric tests
(``test_derivatives``, ``test_evaluate``, ``test_codegen``, ``test_printing``) then fail
until a case exercises it."""

from __future__ import annotations

import pytest

from matdiff.codegen import array_code
from matdiff.diff import DIFFERENTIALS, ELEMENTWISE_DERIVATIVES, TENSOR_RULES, TRANSPOSES
from matdiff.evaluate import IMPLEMENTATIONS
from matdiff.ir.ops import ELEMENTWISE_FUNCTIONS, OPS
from matdiff.printing import latex, text
from matdiff.simplify import RULES

TABLES = {
    "differential rules (diff/differentials.py)": DIFFERENTIALS,
    "text printer (printing/text.py)": text.ROWS,
    "text precedence (printing/text.py)": text.PRECEDENCE,
    "LaTeX printer (printing/latex.py)": latex.ROWS,
    "LaTeX precedence (printing/latex.py)": latex.PRECEDENCE,
    "array code (codegen/array_code.py)": array_code.ROWS,
    "evaluator (evaluate.py)": IMPLEMENTATIONS,
}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_op_has_a_row(table: str) -> None:
    rows = TABLES[table]
    assert set(rows) == set(OPS), (
        f"{table}: missing {sorted(set(OPS) - set(rows))}, unknown {sorted(set(rows) - set(OPS))}")


def test_every_linear_op_has_a_transpose_rule_and_an_index_rule() -> None:
    """Both halves of the linear-map machinery: the adjoint (gradients, diff/transpose.py)
    and the index form (Jacobians and higher orders, diff/tensor.py)."""
    linear = {name for name, spec in OPS.items() if spec.linear != "none"}
    assert set(TRANSPOSES) == linear
    assert set(TENSOR_RULES) == linear


def test_every_elementwise_function_has_a_derivative() -> None:
    assert set(ELEMENTWISE_DERIVATIVES) == set(ELEMENTWISE_FUNCTIONS)


def test_rules_name_real_ops() -> None:
    assert {r.op for r in RULES} <= set(OPS)
