"""The web page in a real browser: Playwright driving Debian's chromium against a uvicorn
server started here on a free loopback port.

Issue 7's scenario: type tr(A*X*B*X'*C), choose X, see A'*C'*X*B' + C*A*X*B rendered; open
the steps; switch a variable to symmetric and see the result change; a Hessian; a parse
error highlighted; a shared link restores the state.  A screenshot of the page is saved
as ``test-output/web-page.png``.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from matdiff.web import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OUTPUT = Path(__file__).resolve().parents[1] / "test-output"  # gitignored
SEED = "A'*C'*X*B' + C*A*X*B"
expect.set_options(timeout=15_000)  # a loaded machine: generous, never flaky
BAD = re.compile(r"\bbad\b")
STALE = re.compile(r"\bstale\b")

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="chromium is installed by `scripts/setup dev`")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(create_app(time_limit=20, workers=2), host="127.0.0.1", port=port,
                            log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        assert thread.is_alive(), "the server stopped while starting"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((server, "data:"))
            else outside.append(r.url))
    page.goto(server)
    yield page
    context.close()
    assert not outside, f"the page fetched from outside the server: {outside}"


def _enter(page: Page, expression: str, wrt: str) -> None:
    page.fill("#expr", expression)
    page.wait_for_selector(f"#wrt1 option[value='{wrt}']", state="attached")
    page.select_option("#wrt1", wrt)
    page.press("#expr", "Enter")


def _math_tokens(page: Page) -> str:
    return page.locator("#math math").evaluate(
        "m => Array.from(m.querySelectorAll('mi, mn, mo')).map(e => e.textContent).join('')")


def test_seed_example_steps_symmetric_and_shared_link(page: Page, browser: Browser) -> None:
    _enter(page, "tr(A*X*B*X'*C)", "X")
    expect(page.locator("#text-out")).to_have_text(SEED)
    # rendered as MathML: the equation ends with the derivative, and has a real size
    assert _math_tokens(page).endswith("=A⊤\u2062C⊤\u2062X\u2062B⊤+C\u2062A\u2062X\u2062B")
    box = page.locator("#math math").bounding_box()
    assert box is not None and box["width"] > 150 and box["height"] > 30
    expect(page.locator("#shape")).to_contain_text("cols(A) × rows(B)")
    expect(page.locator("#layout-badge")).to_have_text("mixed layout")
    expect(page.locator("#checked")).to_contain_text("checked numerically")

    # the steps open, and the last one states the result
    steps = page.locator("#steps-list li")
    expect(steps.first).not_to_be_visible()
    page.click("#steps summary")
    expect(steps.first).to_be_visible()
    expect(steps.last).to_contain_text(SEED)

    # code tabs
    page.click(".tab[data-backend=torch]")
    expect(page.locator("#code-ns")).to_have_text("torch")
    expect(page.locator("#code-out")).not_to_be_empty()

    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "web-page.png"), full_page=True)

    # B symmetric: a symmetric constant simplifies, B' = B
    page.locator("tr[data-name=B] input[name=symmetric]").check()
    expect(page.locator("#text-out")).not_to_have_text(SEED)
    symmetric = page.locator("#text-out").text_content() or ""
    assert "B'" not in symmetric and "B" in symmetric  # (the form may be factored)
    expect(page.locator("tr[data-name=B]")).to_have_class("edited")
    assert "d=B%3A+symmetric" in page.url

    # the link restores expression, declarations, variable and result
    other = browser.new_page()
    try:
        other.goto(page.url)
        expect(other.locator("#text-out")).to_have_text(symmetric)
        expect(other.locator("#expr")).to_have_value("tr(A*X*B*X'*C)")
        expect(other.locator("#wrt1")).to_have_value("X")
        expect(other.locator("tr[data-name=B] input[name=symmetric]")).to_be_checked()
        expect(other.locator("tr[data-name=A] input[name=symmetric]")).not_to_be_checked()
    finally:
        other.close()


def test_hessian_and_layout(page: Page) -> None:
    _enter(page, "x'*A*x", "x")
    expect(page.locator("#text-out")).to_have_text("(A + A')*x")
    page.select_option("#wrt2", "x")
    expect(page.locator("#text-out")).to_have_text("A + A'")
    expect(page.locator("#kind")).to_contain_text("order 2")
    assert "%E2%88%82" not in page.url and page.url.count("wrt=x") == 2
    assert _math_tokens(page).startswith("∂2")
    page.select_option("#wrt2", "")
    page.select_option("#layout", "numerator")
    expect(page.locator("#text-out")).to_have_text("x'*(A + A')")
    expect(page.locator("#layout-badge")).to_have_text("numerator layout")


def test_parse_error_is_highlighted(page: Page) -> None:
    _enter(page, "x'*A*x", "x")
    expect(page.locator("#text-out")).to_have_text("(A + A')*x")
    page.fill("#expr", "x'*A*x + foo(x)")
    page.press("#expr", "Enter")
    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("column 10")
    expect(error).to_contain_text("foo")
    mark = page.locator("#backdrop mark")
    expect(mark).to_have_text("foo")
    expect(page.locator("#result")).to_be_hidden()
    # the mark sits under the characters it names: same left edge as "foo" in the box
    left = page.evaluate("""() => {
        const input = document.getElementById('expr');
        const mark = document.querySelector('#backdrop mark').getBoundingClientRect();
        const ctx = document.createElement('canvas').getContext('2d');
        ctx.font = getComputedStyle(input).font;
        const pad = parseFloat(getComputedStyle(input).paddingLeft);
        const border = parseFloat(getComputedStyle(input).borderLeftWidth);
        const expected = input.getBoundingClientRect().left + border + pad +
            ctx.measureText(input.value.slice(0, 9)).width;
        return Math.abs(mark.left - expected);
    }""")
    assert left < 2
    # a shape mismatch names both shapes; fixing the text clears the mark
    page.fill("#expr", "A*x + y")
    page.wait_for_selector("#backdrop mark", state="detached")
    page.fill("#expr", "A*x + x'")  # (A*x + B expands A*x across B's columns)
    page.press("#expr", "Enter")
    expect(error).to_contain_text("shape error")
    expect(error).to_contain_text("row vector")


# --- issue 15: what is shown is what the controls state; bad declarations recover -----------

def _api(server: str, page: Page, body: dict[str, object]) -> dict[str, object]:
    """The server's answer for ``body`` (the defaults' derivative, to compare with)."""
    r = page.request.post(server + "api/derivative", data=body)
    assert r.ok, r.text()
    out: dict[str, object] = r.json()
    return out


def _shows_defaults_of(page: Page, server: str, expression: str) -> None:
    """The page shows ``expression``'s derivative by its first variable, once, with no
    declaration: the controls say so and the result is that derivative."""
    expect(page.locator("#result")).not_to_have_class(STALE)
    first = page.locator("#wrt1 option").first.get_attribute("value")
    expect(page.locator("#wrt1")).to_have_value(first or "")
    expect(page.locator("#wrt2")).to_have_value("")
    assert page.locator("#vars input[type=checkbox]:checked").count() == 0
    assert page.locator("#vars tr.edited").count() == 0
    assert "d=" not in page.url
    expected = _api(server, page, {"expression": expression, "wrt": [first], "declare": [],
                                   "steps": False, "check": False})
    expect(page.locator("#text-out")).to_have_text(str(expected["text"]))
    expect(page.locator("#kind")).to_have_text(str(expected["kind"]))


@pytest.mark.parametrize("second", ["x'*A*x + y'*x", "x'*A*x + 1", "tr(A*x*x')", "a*x'*x"])
def test_a_new_expression_starts_from_its_defaults(page: Page, server: str,
                                                   second: str) -> None:
    _enter(page, "x'*A*x", "x")
    expect(page.locator("#text-out")).to_have_text("(A + A')*x")
    page.locator("tr[data-name=A] input[name=symmetric]").check()
    expect(page.locator("#text-out")).to_have_text("2*A*x")
    page.select_option("#wrt2", "x")
    expect(page.locator("#text-out")).to_have_text("2*A")
    page.fill("#expr", second)
    expect(page.locator("#result")).to_have_class(STALE)  # until computed
    expect(page.locator("#stale")).to_be_visible()
    page.press("#expr", "Enter")
    _shows_defaults_of(page, server, second)


def test_with_respect_to_a_matrix_is_not_carried_over(page: Page, server: str) -> None:
    _enter(page, "x'*A*x", "A")
    expect(page.locator("#text-out")).to_have_text("x*x'")
    page.fill("#expr", "x'*A*x + 2")
    page.press("#expr", "Enter")
    _shows_defaults_of(page, server, "x'*A*x + 2")
    expect(page.locator("#wrt1")).to_have_value("x")
    # an example is an expression with its own choices: they are the ones shown
    page.select_option("#examples", label="Hessian of x'Ax")
    expect(page.locator("#text-out")).to_have_text("A + A'")
    expect(page.locator("#wrt2")).to_have_value("x")
    page.press("#expr", "Enter")  # the same expression again: its choices stay, shown
    expect(page.locator("#text-out")).to_have_text("A + A'")
    page.fill("#expr", "x'*(A*x)")
    page.press("#expr", "Enter")
    _shows_defaults_of(page, server, "x'*(A*x)")


def test_a_bad_declaration_from_a_link_is_marked_and_recoverable(page: Page,
                                                                 server: str) -> None:
    page.goto(server + "?e=x%27*A*x&wrt=x&d=x%3A+vector(0)")
    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("declaration")
    row = page.locator("tr[data-name=x]")
    expect(row).to_have_class(BAD)
    expect(row.locator("input.dims")).to_have_attribute("aria-invalid", "true")
    expect(row.locator("input.dims")).to_have_value("0")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "web-bad-declaration.png"), full_page=True)
    row.locator("input.dims").fill("3")
    row.locator("input.dims").press("Enter")
    expect(page.locator("#text-out")).to_have_text("(A + A')*x")
    expect(error).to_be_hidden()
    expect(page.locator("tr[data-name=x]")).not_to_have_class(BAD)
    expect(page.locator("#shape")).to_contain_text("3")


def test_a_zero_in_a_dimensions_cell_does_not_block_later_expressions(page: Page,
                                                                      server: str) -> None:
    _enter(page, "x'*A*x", "x")
    expect(page.locator("#text-out")).to_have_text("(A + A')*x")
    dims = page.locator("tr[data-name=A] input.dims")
    dims.fill("0, 0")
    dims.press("Enter")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("tr[data-name=A]")).to_have_class(BAD)
    expect(page.locator("#result")).to_be_hidden()
    # the next edit works
    page.locator("tr[data-name=A] input.dims").fill("n, n")
    page.locator("tr[data-name=A] input.dims").press("Enter")
    expect(page.locator("#text-out")).to_have_text("(A + A')*x")
    expect(page.locator("#error")).to_be_hidden()
    # and so does a new expression after another bad cell
    page.locator("tr[data-name=A] input.dims").fill("0, 0")
    page.locator("tr[data-name=A] input.dims").press("Enter")
    expect(page.locator("#error")).to_be_visible()
    page.fill("#expr", "tr(A*X)")
    page.press("#expr", "Enter")
    _shows_defaults_of(page, server, "tr(A*X)")
    expect(page.locator("#error")).to_be_hidden()


def test_unavailable_check_still_shows_the_derivative(page: Page) -> None:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if m.type == "error" else None)
    _enter(page, "sum(arcsin(x - 20))", "x")  # no check point lands near 20
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#text-out")).not_to_be_empty()
    expect(page.locator("#unavailable")).to_contain_text("Numerical check unavailable")
    expect(page.locator("#checked")).to_have_text("numerical check unavailable")
    expect(page.locator("#error")).to_be_hidden()
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "web-unavailable.png"), full_page=True)
    assert not [m for m in messages if "Content Security Policy" in m], messages
