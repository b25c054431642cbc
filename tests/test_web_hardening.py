"""Issue 15 on the web server: no 5xx and no non-finite number for any input, the
derivative answered even when its steps or its check fail, bounded fields and sizes,
fair admission of slow and fast requests, cancellation on disconnect, a body-read
timeout, the Host allow-list and the security headers.

Values are checked against finite differences (the generated NumPy code is evaluated),
not against strings the server produced.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import uvicorn
from fastapi.testclient import TestClient

from matdiff.web import create_app
from matdiff.web.compute import finite
from matdiff.web.pool import WorkerPool

LOCAL = "http://127.0.0.1"
SLOW = {"expression": "tr(" + "*".join(f"A{i}*X" for i in range(200)) + ")", "wrt": "X",
        "steps": False, "check": False}
"""Tens of seconds of legitimate work (the gradient has 200 terms of 400 factors, under every
work bound): stopped by the time limit."""
FAST = {"expression": "x'*A*x", "wrt": "x"}


def _reject_constant(name: str) -> None:
    raise AssertionError(f"the answer holds a non-JSON number {name}")


def strict(text: str) -> Any:
    """JSON as the standard has it: NaN and Infinity are not numbers."""
    return json.loads(text, parse_constant=_reject_constant)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(time_limit=20, workers=2), base_url=LOCAL) as c:
        yield c


def _no_5xx(r: Any) -> dict[str, Any]:
    assert r.status_code < 500, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert "Traceback" not in r.text and "please report" not in r.text
    body: dict[str, Any] = strict(r.text)
    return body


# --- extras that fail, non-finite numbers ------------------------------------------------

@pytest.mark.parametrize("body", [
    {"expression": "0^a", "wrt": "a"},
    {"expression": "det(X)^(1/0)", "wrt": "X"},
    {"expression": "tr(" + "*".join(["X"] * 100) + ")", "wrt": "X"},
    {"expression": "sum(arcsin(x))", "wrt": "x"},
    {"expression": "log(0)*x", "wrt": "x"},
    {"expression": "x./vector(0)", "wrt": "x"},
])
def test_failing_steps_or_check_never_hide_the_derivative(client: TestClient,
                                                          body: dict[str, Any]) -> None:
    r = client.post("/api/derivative", json=body)
    out = _no_5xx(r)
    if r.status_code != 200:  # an undefined constant refused at its column is fine too
        assert out["error"]["kind"] and out["error"]["message"]
        return
    assert out["text"]
    gone = out["unavailable"]
    assert (out["steps"] is None) == ("steps" in gone)
    assert (out["check"] is None) == ("check" in gone)
    for reason in gone.values():
        assert reason["kind"] and reason["message"]
    if out["check"] is not None:
        error = out["check"]["max_relative_error"]
        assert error is None or np.isfinite(error)


def test_a_valid_derivative_with_no_check_point_is_answered(client: TestClient) -> None:
    # real only for x within 1 of 20: no random point of the check lands there
    r = client.post("/api/derivative", json={"expression": "sum(arcsin(x - 20))", "wrt": "x"})
    out = _no_5xx(r)
    assert r.status_code == 200 and out["check"] is None
    assert "could not find a point" in out["unavailable"]["check"]["message"]
    # the derivative itself is right: 1/sqrt(1 - (x - 20)^2), checked by finite differences
    x = np.array([20.1, 19.7, 20.5])
    value = eval(out["numpy"], {"np": np, "x": x})  # test only: generated code
    h = 1e-6
    fd = [(np.sum(np.arcsin(x - 20 + h * e)) - np.sum(np.arcsin(x - 20 - h * e))) / (2 * h)
          for e in np.eye(3)]
    np.testing.assert_allclose(value, fd, rtol=1e-6)


def test_long_products_keep_the_checked_derivative(client: TestClient) -> None:
    body = {"expression": "tr(" + "*".join(["X"] * 100) + ")", "wrt": "X"}
    out = _no_5xx(client.post("/api/derivative", json=body))
    assert out["check"]["ok"], out["check"]
    if out["steps"] is None:
        assert "steps" in out["unavailable"]


def test_finite_writes_non_finite_numbers_as_strings() -> None:
    out = finite({"a": [1.0, float("inf"), {"b": float("nan")}], "c": -float("inf")})
    assert out == {"a": [1.0, "inf", {"b": "nan"}], "c": "-inf"}
    json.dumps(out, allow_nan=False)


# --- bounds --------------------------------------------------------------------------------

@pytest.mark.parametrize("order", [10**30, 9, 2**63, -(10**30), 0])
def test_orders_out_of_bounds(client: TestClient, order: int) -> None:
    r = client.post("/api/derivative", json={**FAST, "order": order})
    err = _no_5xx(r)["error"]
    assert r.status_code == 422 and err["kind"] == "invalid option"
    assert "too high" in err["message"] or "positive integer" in err["message"]


def test_other_fields_are_bounded(client: TestClient) -> None:
    huge = '{"expression": "x", "wrt": "x", "order": ' + "9" * 5000 + "}"
    r = client.post("/api/derivative", content=huge,
                    headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500 and "error" in _no_5xx(r)
    for body in ({"wrt": ["x"] * 1000}, {"layout": "m" * 10_000},
                 {"declare": ["x: " + "vector(n) " * 200]}, {"wrt": "x" * 1000}):
        r = client.post("/api/derivative", json={**FAST, **body})
        assert 400 <= r.status_code < 500, (body, r.text[:200])
        assert _no_5xx(r)["error"]["message"]


def test_huge_declared_sizes_refuse_the_check_not_the_derivative(client: TestClient) -> None:
    started = time.monotonic()
    r = client.post("/api/derivative", json={**FAST, "declare": ["x: vector(999999999)"]})
    out = _no_5xx(r)
    assert time.monotonic() - started < 10
    assert r.status_code == 200 and out["text"] == "(A + A')*x"
    assert out["check"] is None and out["unavailable"]["check"]["kind"] == "limit exceeded"
    assert "999,999,999" in out["unavailable"]["check"]["message"]
    assert out["steps"] is None and out["unavailable"]["steps"]["kind"] == "limit exceeded"


# --- Host allow-list and headers -------------------------------------------------------------

SECURITY = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
            "referrer-policy": "no-referrer"}


def _secure(r: Any) -> None:
    for k, v in SECURITY.items():
        assert r.headers.get(k) == v, (k, r.request.url)
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_security_headers_on_every_response(client: TestClient) -> None:
    for r in (client.get("/"), client.get("/static/app.js"), client.get("/api/examples"),
              client.get("/static/nothing"), client.post("/api/derivative", json=FAST),
              client.post("/api/derivative", json={"wrt": "x"}),
              client.post("/api/derivative", content=b"x" * 70_000),
              client.get("/", headers={"Host": "evil.example"})):
        _secure(r)


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1", "[::1]:8000", "LOCALHOST"])
def test_loopback_hosts_are_served(client: TestClient, host: str) -> None:
    assert client.get("/api/examples", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.com",
                                  "localhost.attacker.net", "", "10.0.0.1"])
def test_other_hosts_are_refused(client: TestClient, host: str) -> None:
    r = client.post("/api/derivative", json=FAST, headers={"Host": host})
    assert r.status_code == 421
    err = _no_5xx(r)["error"]
    assert err["kind"] == "wrong host" and "DNS rebinding" in err["message"]


def test_the_bound_host_and_allowed_names_are_served() -> None:
    app = create_app(time_limit=5, workers=1, host="192.168.7.7",
                     allow_hosts=["matdiff.lan"], spares=0)
    with TestClient(app, base_url="http://192.168.7.7:8000") as c:
        assert c.get("/api/examples").status_code == 200
        assert c.get("/api/examples", headers={"Host": "matdiff.lan:80"}).status_code == 200
        assert c.get("/api/examples", headers={"Host": "other.lan"}).status_code == 421


def test_bad_server_options_are_refused() -> None:
    for bad in (float("nan"), float("inf"), -1.0, 0.0):
        with pytest.raises(ValueError, match="time limit"):
            create_app(time_limit=bad, workers=1)
        with pytest.raises(ValueError, match="body timeout"):
            create_app(body_timeout=bad, workers=1)
    with pytest.raises(ValueError, match="workers"):
        create_app(workers=0)


# --- admission: fast requests are not starved by slow ones --------------------------------------

def test_slow_requests_never_take_the_last_worker() -> None:
    app = create_app(time_limit=8.0, workers=2)
    with TestClient(app, base_url=LOCAL) as c, concurrent.futures.ThreadPoolExecutor(4) as ex:
        assert c.post("/api/derivative", json=FAST).status_code == 200
        slow = [ex.submit(c.post, "/api/derivative", json=SLOW) for _ in range(2)]
        time.sleep(0.8)  # both slow jobs have turned long, or been made to give way
        latencies = []
        for _ in range(10):
            t0 = time.monotonic()
            r = c.post("/api/derivative", json=FAST)
            latencies.append(time.monotonic() - t0)
            assert r.status_code == 200, r.text
        assert max(latencies) < 4.0, latencies  # the slow ones would hold them for 8 s
        outcomes = sorted(f.result(timeout=30).json()["error"]["kind"] for f in slow)
        assert outcomes == ["busy", "time limit exceeded"], outcomes
        assert app.state.pool.preempted == 1


def test_the_waiting_queue_is_bounded() -> None:
    async def scenario() -> None:
        pool = WorkerPool(1, 2.0, max_waiting=1, max_wait=1.5)  # not started: no worker
        first = asyncio.ensure_future(pool.run("variables", {"expression": "x"}))
        await asyncio.sleep(0.1)
        t0 = time.monotonic()
        status, body = await pool.run("variables", {"expression": "y"})
        assert time.monotonic() - t0 < 1.0  # refused at once, not after waiting 1.5 s
        assert status == 503 and "already waiting" in body["error"]["message"]
        status, body = await first  # and the one waiting gives up after the time limit
        assert status == 503 and "busy for 1.5 s" in body["error"]["message"]

    asyncio.run(scenario())


def test_one_worker_stops_a_long_job_for_a_short_one() -> None:
    app = create_app(time_limit=10.0, workers=1)
    with TestClient(app, base_url=LOCAL) as c, concurrent.futures.ThreadPoolExecutor(2) as ex:
        slow = ex.submit(c.post, "/api/derivative", json=SLOW)
        time.sleep(1.0)  # long by now, running on alone while nobody waits
        t0 = time.monotonic()
        fast = c.post("/api/derivative", json=FAST)
        assert fast.status_code == 200 and time.monotonic() - t0 < 5.0  # not 10 s
        r = slow.result(timeout=30)
        assert r.status_code == 503 and "short requests are waiting" in r.text
        assert app.state.pool.replaced == 0  # stopped by a signal: the worker was kept


# --- a real server: disconnects and slow bodies ------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Any, int]]:
    app = create_app(time_limit=30, workers=2, body_timeout=1.0)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield app, port
    srv.should_exit = True
    thread.join(timeout=30)


def _raw(port: int, body: bytes, length: int | None = None) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (f"POST /api/derivative HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\n"
            f"Content-Length: {len(body) if length is None else length}\r\n\r\n")
    s.sendall(head.encode() + body)
    return s


def test_a_disconnected_client_frees_its_worker(served: tuple[Any, int]) -> None:
    app, port = served
    pool = app.state.pool
    before_cancelled, before_stopped = pool.cancelled, pool.stopped + pool.replaced
    s = _raw(port, json.dumps(SLOW).encode())
    time.sleep(0.5)  # the job is running
    s.close()
    deadline = time.monotonic() + 8  # far below the 30 s time limit
    while pool.cancelled == before_cancelled and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.cancelled == before_cancelled + 1
    assert pool.stopped + pool.replaced == before_stopped + 1
    # the stopped worker is back: both workers answer at once
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        import httpx

        both = [ex.submit(httpx.post, f"http://127.0.0.1:{port}/api/derivative", json=FAST,
                          timeout=20) for _ in range(2)]
        assert all(f.result().status_code == 200 for f in both)


def test_a_body_that_does_not_arrive_is_refused(served: tuple[Any, int]) -> None:
    _, port = served
    t0 = time.monotonic()
    s = _raw(port, b'{"expression": ', length=200)
    answer = ""
    try:
        while "}}" not in answer and (chunk := s.recv(4096).decode()):
            answer += chunk  # the head, then the JSON body
    finally:
        s.close()
    assert 0.9 < time.monotonic() - t0 < 5
    assert answer.startswith("HTTP/1.1 408") and "did not arrive within 1 s" in answer
    assert "nosniff" in answer


def test_the_numerical_check_refuses_huge_sizes_before_allocating() -> None:
    import matdiff
    from matdiff.errors import LimitError

    d = matdiff.derivative("x'*A*x", "x", declare=["x: vector(999999999)"])
    started = time.monotonic()
    with pytest.raises(LimitError, match="999,999,999 entries; numerical checks"):
        d.check()
    with pytest.raises(LimitError):
        matdiff.derivative("tr(X)", "X", declare=["X: matrix(2000, 2000)"]).check()
    assert time.monotonic() - started < 5
    assert matdiff.derivative("x'*x", "x", declare=["x: vector(1000)"]).check(points=1).ok
