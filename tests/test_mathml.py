"""The MathML printer: well-formed XML for every printing case (every op), golden strings
for a dozen forms, the LaTeX printer's parenthesisation, index / Kronecker forms."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from test_printing import CASES

import matdiff
from matdiff.cli import main
from matdiff.ir import OPS, Node
from matdiff.printing import mathml
from matdiff.printing.mathml import NAMESPACE, mathml_fragment, mathml_name, to_mathml

BY_TEXT: dict[str, Node] = {txt: expr for expr, txt, _ in CASES}
IDS = [txt for _, txt, _ in CASES]
T = '<mi mathvariant="normal">⊤</mi>'
LP, RP = '<mo stretchy="false">(</mo>', '<mo stretchy="false">)</mo>'
BAR = '<mo stretchy="false">‖</mo>'


def _parse(xml: str) -> ET.Element:
    return ET.fromstring(xml)


def _tokens(element: ET.Element) -> str:
    """The text of every token element, in order (what a reader sees)."""
    return "".join(e.text or "" for e in element.iter() if e.tag.endswith(("mi", "mn", "mo")))


def test_every_op_has_a_row_and_a_precedence() -> None:
    assert set(mathml.ROWS) == set(OPS)
    assert set(mathml.PRECEDENCE) == set(OPS)
    covered = {n.op for e, _, _ in CASES for n in e.walk()}
    assert covered == set(OPS), f"no printing case for {set(OPS) - covered}"


@pytest.mark.parametrize(("expr", "txt", "tex"), CASES, ids=IDS)
def test_every_case_is_well_formed_mathml(expr: Node, txt: str, tex: str) -> None:
    root = _parse(to_mathml(expr))
    assert root.tag == f"{{{NAMESPACE}}}math"
    assert root.attrib["display"] == "block"
    assert len(root) == 1  # one row of content
    # every variable the expression mentions is shown
    names = {n.attrs[0] for n in expr.walk() if n.op in ("var", "differential")}
    assert all(name in _tokens(root) for name in names)


@pytest.mark.parametrize(("expr", "txt", "tex"), CASES, ids=IDS)
def test_parentheses_are_the_latex_printers(expr: Node, txt: str, tex: str) -> None:
    """Both printers share precedence levels and rules, so they parenthesise alike."""
    assert mathml_fragment(expr).count(">(</mo>") == tex.count(r"\left(")


GOLDEN: list[tuple[str, str]] = [
    ("A'*C'*X*B' + C*A*X*B",
     f"<mrow><mrow><msup><mi>A</mi>{T}</msup><mo>\u2062</mo><msup><mi>C</mi>{T}</msup>"
     f"<mo>\u2062</mo><mi>X</mi><mo>\u2062</mo><msup><mi>B</mi>{T}</msup></mrow><mo>+</mo>"
     "<mrow><mi>C</mi><mo>\u2062</mo><mi>A</mi><mo>\u2062</mo><mi>X</mi><mo>\u2062</mo>"
     "<mi>B</mi></mrow></mrow>"),
    ("X*w - y",
     "<mrow><mrow><mi>X</mi><mo>\u2062</mo><mi>w</mi></mrow><mo>−</mo><mi>y</mi></mrow>"),
    ("2*X'*(X*w - y)",
     f"<mrow><mn>2</mn><mo>\u2062</mo><msup><mi>X</mi>{T}</msup><mo>\u2062</mo><mrow>{LP}"
     "<mrow><mrow><mi>X</mi><mo>\u2062</mo><mi>w</mi></mrow><mo>−</mo><mi>y</mi></mrow>"
     f"{RP}</mrow></mrow>"),
    ("2*x/c", "<mfrac><mrow><mn>2</mn><mo>\u2062</mo><mi>x</mi></mrow><mi>c</mi></mfrac>"),
    ("-1/a", "<mrow><mo>−</mo><mfrac><mn>1</mn><mi>a</mi></mfrac></mrow>"),
    ("-0.25", "<mrow><mo>−</mo><mfrac><mn>1</mn><mn>4</mn></mfrac></mrow>"),
    ("norm2(X*w - y)^2",
     f"<msup><msub><mrow>{BAR}<mrow><mrow><mi>X</mi><mo>\u2062</mo><mi>w</mi></mrow>"
     f"<mo>−</mo><mi>y</mi></mrow>{BAR}</mrow><mn>2</mn></msub><mn>2</mn></msup>"),
    ("x.^2", "<msup><mi>x</mi><mrow><mo>∘</mo><mn>2</mn></mrow></msup>"),
    ("X^-1", "<msup><mi>X</mi><mrow><mo>−</mo><mn>1</mn></mrow></msup>"),
    ("inv(X)'", "<msup><mi>X</mi><mrow><mo>−</mo>" + T + "</mrow></msup>"),
    ("logdet(X)", "<mrow><mi>log</mi><mo>\u2061</mo><mi>det</mi><mo>\u2061</mo>"
                  f"<mrow>{LP}<mi>X</mi>{RP}</mrow></mrow>"),
    ("sqrt(x)", "<msqrt><mi>x</mi></msqrt>"),
    ("abs(x)", '<mrow><mo stretchy="false">|</mo><mi>x</mi><mo stretchy="false">|</mo></mrow>'),
    ("1/a^2", "<mfrac><mn>1</mn><msup><mi>a</mi><mn>2</mn></msup></mfrac>"),
    ("A*dX*B", '<mrow><mi>A</mi><mo>\u2062</mo><mrow><mi mathvariant="normal">d</mi><mi>X</mi>'
               "</mrow><mo>\u2062</mo><mi>B</mi></mrow>"),
    ("ones(n)'", f'<msup><msub><mn mathvariant="bold">1</mn><mi>n</mi></msub>{T}</msup>'),
    ("M + x'", f"<mrow><mi>M</mi><mo>+</mo><msup><mi>x</mi>{T}</msup></mrow>"),
    ("z*ones(n)'", "<mrow><mi>z</mi><mo>\u2062</mo><msup><msub><mn mathvariant=\"bold\">1</mn>"
                   f"<mi>n</mi></msub>{T}</msup></mrow>"),
    ("ones(m)*x'", '<mrow><msub><mn mathvariant="bold">1</mn><mi>m</mi></msub><mo>\u2062</mo>'
                   f"<msup><mi>x</mi>{T}</msup></mrow>"),
    ("exp(a)*2", f"<mrow><mrow><mi>exp</mi><mo>\u2061</mo><mrow>{LP}<mi>a</mi>{RP}"
                 "</mrow></mrow><mo>·</mo><mn>2</mn></mrow>"),
]


@pytest.mark.parametrize(("txt", "golden"), GOLDEN, ids=[t for t, _ in GOLDEN])
def test_golden(txt: str, golden: str) -> None:
    assert mathml_fragment(BY_TEXT[txt]) == golden
    _parse(to_mathml(BY_TEXT[txt]))


def test_fences_stretch_only_around_fractions() -> None:
    """MathML stretches a fence to its contents' height: around superscripts that makes
    nested parentheses grow at every level, so only a fraction gets tall fences."""
    assert '<mo stretchy="false">(</mo>' in mathml_fragment(BY_TEXT["(A*B)'"])
    tall = matdiff.derivative("tr(inv(A + B/c)*X)", "X").mathml
    assert "<mo>(</mo>" in tall and "stretchy" not in tall


def test_names() -> None:
    assert mathml_name("x") == "<mi>x</mi>"
    assert mathml_name("alpha") == "<mi>α</mi>"
    assert mathml_name("W1") == "<msub><mi>W</mi><mn>1</mn></msub>"
    assert mathml_name("x_hat") == "<msub><mi>x</mi><mi>hat</mi></msub>"
    assert mathml_name("loss") == "<mi>loss</mi>"


def test_derivative_mathml_is_the_matrix_form() -> None:
    d = matdiff.derivative("tr(A*X*B*X'*C)", "X")
    assert d.result is not None
    assert d.mathml == to_mathml(d.result)
    assert d.kronecker_mathml is None


def test_index_and_kronecker_forms() -> None:
    d = matdiff.derivative("A*X*B", "X")
    assert d.result is None and d.kronecker_mathml is not None
    index = _parse(d.mathml)
    assert _tokens(index) == "∂(A\u2062X\u2062B)ij∂Xkl=Aik\u2062Blj"
    assert d.mathml.count("<mfrac>") == 1
    kron = _parse(d.kronecker_mathml)
    assert _tokens(kron) == "∂vec\u2061(A\u2062X\u2062B)∂vec\u2061(X)⊤=B⊤⊗A"


def test_index_form_with_coefficients_and_deltas() -> None:
    d = matdiff.derivative("x'*A*x", ["x", "x", "x"])  # third order: zero
    assert _tokens(_parse(d.mathml)).endswith("=0")
    h = matdiff.derivative("X*x", ["X"])  # ∂(X x)_i / ∂X_jk = δ_ij x_k
    tokens = _tokens(_parse(h.mathml))
    assert "δ" in tokens and tokens.count("=") == 1


def test_cli_format_mathml(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "log(det(X))", "--wrt", "X", "--format", "mathml"]) == 0
    out = capsys.readouterr().out.strip()
    assert _tokens(_parse(out)) == "X−⊤"


def test_a_number_times_ones_is_written_with_a_dot() -> None:
    # side by side, 20 and the bold 1 of ones would read as the number 201
    eq = matdiff.derivative("sum(arcsin(x - 20))", "x").equation_mathml
    assert "<mn>20</mn><mo>\u22c5</mo><mn mathvariant=\"bold\">1</mn>" in eq
    assert "<mn>20</mn><mo>\u2062</mo><mn mathvariant=\"bold\">1</mn>" not in eq
