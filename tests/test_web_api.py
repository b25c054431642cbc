"""The JSON API of ``matdiff serve``: every argument, every error, the size and time limits.

Values are checked numerically: the generated NumPy code is evaluated and compared with
central finite differences of the expression.
"""

from __future__ import annotations

import concurrent.futures
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from matdiff.web import create_app
from matdiff.web.examples import EXAMPLES

LOCAL = "http://127.0.0.1"  # the Host header must be a loopback name (DNS rebinding)
SLOW = {"expression": "sum(exp(sin(x).*cos(x).*tanh(x).*exp(x)))", "wrt": "x", "order": 8,
        "steps": False, "check": False}
"""Minutes of work at order 8 (order 6 already takes seconds): stopped by the time limit."""


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(time_limit=20, workers=2), base_url=LOCAL) as c:
        yield c


def post(client: TestClient, **body: Any) -> tuple[int, dict[str, Any]]:
    r = client.post("/api/derivative", json=body)
    return r.status_code, r.json()


def error(client: TestClient, path: str = "/api/derivative", **body: Any) -> dict[str, Any]:
    r = client.post(path, json=body)
    assert 400 <= r.status_code < 500, r.text
    assert "Traceback" not in r.text
    err: dict[str, Any] = r.json()["error"]
    assert err["message"] and err["kind"]
    return err


# --- results ---------------------------------------------------------------------------

def _finite_difference(f: Any, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def test_the_seed_example(client: TestClient) -> None:
    status, r = post(client, expression="tr(A*X*B*X'*C)", wrt="X")
    assert status == 200
    assert r["text"] == "A'*C'*X*B' + C*A*X*B"
    assert r["kind"] == "scalar by matrix" and r["layout"] == "mixed" and r["order"] == 1
    assert r["shape"] == ["cols(A)", "rows(B)"]
    for key in ("mathml", "equation_mathml"):
        ET.fromstring(r[key])
    assert r["latex"] == r"A^{\top} C^{\top} X B^{\top} + C A X B"
    assert r["check"]["ok"] and r["check"]["max_relative_error"] < 1e-6
    assert r["steps"]["method"] == "differential" and len(r["steps"]["steps"]) >= 3
    assert r["steps"]["steps"][-1]["text"].endswith("A'*C'*X*B' + C*A*X*B")
    assert set(r["code"]) == {"numpy", "jax", "torch"}
    assert r["numpy"] == r["code"]["numpy"] and r["jax"] and r["torch"]
    # the NumPy code is the gradient: compare with finite differences
    rng = np.random.default_rng(0)
    A, B, C, X = (rng.standard_normal(s) for s in ((3, 4), (2, 2), (4, 3), (4, 2)))
    value = eval(r["numpy"], {"np": np, "A": A, "B": B, "C": C, "X": X})  # test only
    expected = _finite_difference(lambda X: np.trace(A @ X @ B @ X.T @ C), X)
    np.testing.assert_allclose(value, expected, rtol=1e-6, atol=1e-8)


def test_declarations_list_and_mapping(client: TestClient) -> None:
    for declare in (["A: matrix(n,n) symmetric"], {"A": "matrix(n,n) symmetric"}):
        status, r = post(client, expression="x'*A*x", wrt="x", declare=declare)
        assert status == 200 and r["text"] == "2*A*x"
    status, r = post(client, expression="x'*A*x", wrt="x", declare=None)
    assert status == 200 and r["text"] != "2*A*x"


def test_hessian_by_list_and_by_order(client: TestClient) -> None:
    _, by_list = post(client, expression="x'*A*x", wrt=["x", "x"])
    _, by_order = post(client, expression="x'*A*x", wrt="x", order=2)
    assert by_list["text"] == by_order["text"] == "A + A'"
    assert by_list["order"] == 2 and by_list["check"]["ok"]
    _, mixed = post(client, expression="x'*A*y", wrt=["x", "y"])
    assert mixed["text"] == "A" and mixed["check"]["ok"]


def test_layouts(client: TestClient) -> None:
    shapes = {}
    for layout in ("mixed", "numerator", "denominator"):
        status, r = post(client, expression="A*x", wrt="x", layout=layout,
                         declare=["A: matrix(m,n)"])
        assert status == 200 and r["layout"] == layout and r["check"]["ok"]
        shapes[layout] = r["shape"]
    assert shapes["mixed"] == shapes["numerator"] == ["m", "n"]
    assert shapes["denominator"] == ["n", "m"]


def test_symmetric_gradient_conventions(client: TestClient) -> None:
    base = {"expression": "tr(A*X)", "wrt": "X", "declare": ["X: matrix(n,n) symmetric"]}
    _, sym = post(client, **base, symmetric_gradient="symmetrized")
    _, cook = post(client, **base, symmetric_gradient="cookbook")
    assert sym["symmetric_gradient"] == "symmetrized" and cook["symmetric_gradient"] == "cookbook"
    assert sym["text"] != cook["text"] and "diag" in cook["text"]
    assert sym["check"]["ok"] and cook["check"]["ok"]


def test_steps_method_language_and_flags(client: TestClient) -> None:
    _, limit = post(client, expression="x'*x", wrt="x", method="limit", lang="zh")
    assert limit["steps"]["method"] == "limit" and limit["steps"]["lang"] == "zh"
    assert any("\u4e00" <= ch <= "\u9fff" for s in limit["steps"]["steps"] for ch in s["rule"])
    _, bare = post(client, expression="x'*x", wrt="x", steps=False, check=False)
    assert bare["steps"] is None and bare["check"] is None and bare["text"] == "2*x"


def test_fourth_order_result_has_index_and_kronecker_forms(client: TestClient) -> None:
    _, r = post(client, expression="A*X*B", wrt="X")
    assert r["matrix_form"] is False
    assert r["text"] == "d(A*X*B)_ij / dX_kl = A_ik B_lj"
    assert r["kronecker_text"] == "d vec(A*X*B) / d vec(X)' = B' ⊗ A"
    ET.fromstring(r["kronecker_mathml"])
    assert r["equation_mathml"] == r["mathml"]
    assert "einsum" in r["numpy"] and r["check"]["ok"]


def test_variables(client: TestClient) -> None:
    r = client.post("/api/variables", json={
        "expression": "x'*A*x + a", "declare": ["A: matrix(n,n) spd", "S: symmetric"]})
    assert r.status_code == 200
    body = r.json()
    assert body["kind"] == "scalar" and body["shape"] == []
    rows = {v["name"]: v for v in body["variables"]}
    assert rows["x"] == {"name": "x", "type": "vector", "dims": ["n"], "properties": [],
                         "used": True, "reason": "h-z"}
    assert rows["A"]["reason"] == "declared" and body["warnings"] == []
    why = client.post("/api/variables", json={"expression": "x - mu"}).json()
    assert {v["name"]: v["reason"] for v in why["variables"]}["mu"] == (
        "used as x - mu; Greek names are scalars by default")
    warned = client.post("/api/variables", json={"expression": "n/2*logdet(S)"}).json()
    assert warned["warnings"][0].endswith("set n: scalar in the variables table")
    assert rows["A"]["type"] == "matrix" and rows["A"]["dims"] == ["n", "n"]
    assert set(rows["A"]["properties"]) == {"spd", "symmetric"}
    assert rows["a"]["type"] == "scalar" and rows["a"]["dims"] == []
    assert rows["S"]["used"] is False  # declared, not in the expression
    inferred = client.post("/api/variables", json={"expression": "A*x"}).json()
    dims = {v["name"]: v["dims"] for v in inferred["variables"]}
    assert dims["x"] == [dims["A"][1]]  # len(x) = cols(A), inferred


def test_every_example_computes(client: TestClient) -> None:
    r = client.get("/api/examples")
    examples = r.json()["examples"]
    assert len(examples) == len(EXAMPLES) >= 15
    assert {e["group"] for e in examples} == {"Seed notes", "Matrix Cookbook",
                                              "Machine learning"}
    for e in examples:
        status, out = post(client, expression=e["expression"], wrt=e["wrt"],
                           declare=e["declare"], steps=False)
        assert status == 200, (e, out)
        assert out["check"]["ok"], e


def test_openapi_and_static_files(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    props = spec["components"]["schemas"]["DerivativeRequest"]["properties"]
    assert {"expression", "wrt", "declare", "layout", "symmetric_gradient", "order", "steps",
            "method", "lang", "check"} <= set(props)
    assert "/api/variables" in spec["paths"]
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "http://" not in page.text and "https://" not in page.text  # nothing fetched
    for name in ("style.css", "table.js", "app.js"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and "https://" not in r.text
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/secret.txt").json()["error"]["kind"] == "not found"
    assert client.get("/docs").status_code == 404  # Swagger UI would load a CDN


# --- errors ------------------------------------------------------------------------------

def test_parse_error_has_the_column(client: TestClient) -> None:
    err = error(client, expression="tr(A*X*B*X'*C", wrt="X")
    assert err["kind"] == "parse error" and err["where"] == "expression"
    assert err["column"] == 14 and err["start"] == 13
    err = error(client, expression="x'*A*x + foo(x)", wrt="x")
    assert err["kind"] == "parse error" and err["column"] == 10 and "foo" in err["message"]


def test_a_batched_layer_says_what_was_expanded(client: TestClient) -> None:
    status, r = post(client, expression="norm2(W*X + b - Y)^2", wrt="b", declare=["b: vector"])
    assert status == 200 and r["check"]["ok"]
    assert r["expansions"] == ["b expanded across the columns of W*X"]
    assert r["description"].endswith("; b expanded across the columns of W*X")
    err = error(client, expression="W*X + b", wrt="b", declare=["W: matrix(2,3)",
                                                                  "b: vector(3)"])
    assert err["kind"] == "shape error" and "valid are vector(2)" in err["message"]


def test_shape_error_names_both_shapes(client: TestClient) -> None:
    err = error(client, expression="A*x + y", wrt="x", declare=["A: matrix(2,2)",
                                                                  "y: vector(3)"])
    assert err["kind"] == "shape error"
    assert "vector(2)" in err["message"] and "vector(3)" in err["message"]
    assert err["start"] == 0 and err["end"] == 7


def test_declaration_error_points_into_the_declaration(client: TestClient) -> None:
    err = error(client, expression="x'*A*x", wrt="x", declare=["A: matrx(n,n)"])
    assert err["kind"] == "declaration error" and err["where"] == "declaration"
    assert err["source"] == "A: matrx(n,n)" and err["column"] >= 4


@pytest.mark.parametrize(("body", "kind", "words"), [
    ({"layout": "diagonal"}, "invalid option", "mixed, numerator, denominator"),
    ({"symmetric_gradient": "upper"}, "invalid option", "symmetrized, cookbook"),
    ({"wrt": "q"}, "invalid option", "not a variable"),
    ({"wrt": []}, "invalid option", "at least one"),
    ({"order": 0}, "invalid option", "positive integer"),
    ({"order": 9}, "invalid option", "too high"),
    ({"method": "guess"}, "invalid option", "differential, limit"),
    ({"lang": "fr"}, "invalid option", "en, zh"),
    ({"wrt": 3}, "invalid request", "wrt"),
    ({"check": "maybe"}, "invalid request", "check"),
    ({"colour": "red"}, "invalid request", "colour"),
])
def test_bad_arguments(client: TestClient, body: dict[str, Any], kind: str,
                       words: str) -> None:
    err = error(client, **{"expression": "x'*A*x", "wrt": "x", **body})
    assert err["kind"] == kind and words in err["message"]


def test_malformed_requests(client: TestClient) -> None:
    err = error(client, wrt="x")
    assert err["kind"] == "invalid request" and "expression" in err["message"]
    r = client.post("/api/derivative", content=b"{not json",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["kind"] == "invalid request"
    r = client.get("/api/derivative")
    assert r.status_code == 405 and "error" in r.json()
    err = error(client, "/api/variables", expression="x'*", declare=[])
    assert err["kind"] == "parse error" and err["column"] == 4


def test_size_limits(client: TestClient) -> None:
    long = "+".join(["x'*x"] * 2001)  # 10,004 characters, a 10 KB body
    r = client.post("/api/derivative", json={"expression": long, "wrt": "x"})
    assert r.status_code == 413
    assert "10,004 characters" in r.json()["error"]["message"]
    assert "10,000" in r.json()["error"]["message"]
    r = client.post("/api/variables", json={"expression": long})
    assert r.status_code == 413
    big = json.dumps({"expression": "x'*x", "wrt": "x", "declare": ["a: scalar"] * 7000})
    assert len(big) > 64 * 1024
    r = client.post("/api/derivative", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["kind"] == "request too large"

    def chunks() -> Iterator[bytes]:  # streamed: no Content-Length to go by
        for _ in range(70):
            yield b" " * 1024

    r = client.post("/api/derivative", content=chunks(),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert post(client, expression="x'*x", wrt="x")[0] == 200  # still serving


def test_time_limit_stops_one_request_and_serves_the_others() -> None:
    app = create_app(time_limit=1.0, workers=2)
    with TestClient(app, base_url=LOCAL) as c, concurrent.futures.ThreadPoolExecutor(2) as ex:
        assert c.post("/api/derivative", json={"expression": "x'*x", "wrt": "x"}).is_success
        started = time.monotonic()
        slow = ex.submit(c.post, "/api/derivative", json=SLOW)
        time.sleep(0.2)
        fast = c.post("/api/derivative", json={"expression": "tr(A*X)", "wrt": "X"})
        fast_done = time.monotonic() - started
        assert fast.status_code == 200 and fast.json()["text"] == "A'"
        r = slow.result(timeout=30)
        slow_done = time.monotonic() - started
        assert r.status_code == 422
        assert r.json()["error"]["kind"] == "time limit exceeded"
        assert "1 s" in r.json()["error"]["message"]
        assert fast_done < 1.0 <= slow_done < 5.0
        assert app.state.pool.stopped + app.state.pool.replaced >= 1
        # the killed worker is replaced: two requests at once both succeed
        both = [ex.submit(c.post, "/api/derivative", json={"expression": "x'*A*x", "wrt": "x"})
                for _ in range(2)]
        assert all(f.result(timeout=30).status_code == 200 for f in both)


def test_serve_refuses_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    from matdiff.cli import main

    assert main(["serve", "--port", "70000"]) == 2
    assert "--port must be between 0 and 65535" in capsys.readouterr().err
    assert main(["serve", "--time-limit", "0"]) == 2
    assert "--time-limit must be positive" in capsys.readouterr().err
    assert main(["serve", "--workers", "0"]) == 2
    assert "--workers must be between 1 and 64" in capsys.readouterr().err
    for bad in ("nan", "inf", "-inf", "-1", "1e999", "ten", "99999"):
        assert main(["serve", f"--time-limit={bad}"]) == 2
        assert "--time-limit must" in capsys.readouterr().err


def test_derivative_states_the_types_and_the_warnings(client: TestClient) -> None:
    status, body = post(client, expression="n/2*logdet(S)", wrt=["S"], steps=False,
                        check=False)
    assert status == 200, body
    assert {v["name"]: v["reason"] for v in body["variables"]} == {
        "n": "h-z", "S": "capital letter"}
    assert body["warnings"][0].startswith("n is a vector only by its letter")
    assert body["warnings"][0].endswith("set n: scalar in the variables table")
