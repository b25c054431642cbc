"""Run cases in worker processes, each within a time bound; a hang never hangs CI.

A worker (``spawn``: a fresh interpreter) runs one case at a time and sends back its
outcome.  A case that overruns its bound by ``GRACE`` seconds is a hang: its worker is
killed, the case's outcome says so, and a fresh worker takes its place.  ``JOBS``
workers run at once (default 2, ``MATDIFF_HOSTILE_JOBS``); the bound is
``MATDIFF_HOSTILE_BOUND`` seconds (default 2).  HTTP cases share one real
``matdiff serve`` on a free loopback port, started here and stopped at the end.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

from .execute import Outcome

BOUND = float(os.environ.get("MATDIFF_HOSTILE_BOUND", "2"))
JOBS = int(os.environ.get("MATDIFF_HOSTILE_JOBS", "2"))
GRACE = 3.0  # seconds past the bound before a worker is killed
SUBPROCESS_EXTRA = 8.0  # a real subprocess imports numpy and matdiff first
_CTX = multiprocessing.get_context("spawn")


def bound_of(case: dict[str, Any]) -> float:
    """The time a case may take without a limit message."""
    extra = SUBPROCESS_EXTRA if case["surface"] == "subprocess" else 0.0
    return float(case.get("bound", BOUND)) + extra


def _worker(conn: Connection, web: bool) -> None:
    import warnings

    warnings.simplefilter("ignore")
    from .execute import execute, start_web_client

    import matdiff.cli  # noqa: F401 - imported before the first case is timed

    if web:  # the TestClient's own worker pool starts before the first case is timed
        start_web_client(BOUND)

    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        case, limit, port = job
        try:
            out = execute(case, limit, port)
        except BaseException as e:  # noqa: BLE001 - the harness's own failure, reported
            out = {"harness_error": f"{type(e).__name__}: {e}", "elapsed": 0.0}
        conn.send(out)


class _Slot:
    def __init__(self, web: bool) -> None:
        self.web = web
        self.conn, child = _CTX.Pipe()
        # not a daemon: the web cases' TestClient starts worker processes of its own
        self.process = _CTX.Process(target=_worker, args=(child, web), daemon=False,
                                    name="matdiff-hostile-worker")
        self.process.start()
        child.close()
        if not self.conn.poll(120) or self.conn.recv() != "ready":
            raise RuntimeError("a hostile-corpus worker did not start")
        self.case: dict[str, Any] | None = None
        self.deadline = 0.0

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(5)
        if self.process.is_alive():
            self.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """A real ``matdiff serve`` on loopback, for the raw-HTTP cases."""

    def __init__(self, time_limit: float) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "matdiff", "serve", "--port", str(self.port),
             "--time-limit", str(time_limit), "--workers", "1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("matdiff serve did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def run_cases(cases: Iterable[dict[str, Any]], jobs: int = JOBS) -> Iterator[
        tuple[dict[str, Any], Outcome]]:
    """Yield ``(case, outcome)`` for every case, in completion order."""
    pending = list(cases)
    pending.reverse()  # pop() from the end keeps the given order
    server = Server(BOUND) if any(c["surface"] == "http" for c in pending) else None
    web = any(c["surface"] == "web" for c in pending)
    slots = [_Slot(web) for _ in range(max(1, min(jobs, len(pending))))]
    try:
        while pending or any(s.case is not None for s in slots):
            for s in slots:
                if s.case is None and pending:
                    s.case = pending.pop()
                    s.deadline = time.monotonic() + bound_of(s.case) + GRACE
                    s.conn.send((s.case, BOUND, server.port if server else None))
            busy = [s for s in slots if s.case is not None]
            timeout = max(0.0, min(s.deadline for s in busy) - time.monotonic())
            ready = wait([s.conn for s in busy], timeout)
            for s in list(busy):
                case = s.case
                assert case is not None
                if s.conn in ready:
                    try:
                        out = s.conn.recv()
                    except (EOFError, OSError) as e:
                        out = {"harness_error": f"the worker died: {e!r}", "elapsed": 0.0}
                        s.kill()
                        slots[slots.index(s)] = _Slot(web)
                    else:
                        s.case = None
                    yield case, out
                elif time.monotonic() >= s.deadline:
                    s.kill()
                    slots[slots.index(s)] = _Slot(web)
                    yield case, {"timeout": True, "killed_after": bound_of(case) + GRACE,
                                 "elapsed": bound_of(case) + GRACE}
    finally:
        for s in slots:
            s.stop()
        if server is not None:
            server.stop()
