"""Run cases in worker processes, each within a time bound; a hang never hangs CI.

A worker (``spawn``: a fresh interpreter) runs one case at a time and sends back its
outcome.  A case that overruns its bound by ``GRACE`` seconds is a hang: its worker is
killed, the case's outcome says so, and a fresh worker takes its place.  ``JOBS``
workers run at once (default 2, ``MATDIFF_HOSTILE_JOBS``); the bound is
``MATDIFF_HOSTILE_BOUND`` seconds (default 2).  HTTP cases share one real
``matdiff serve`` on a free loopback port, started here and stopped at the end.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

from .execute import BUSY_WAIT, Outcome

BOUND = float(os.environ.get("MATDIFF_HOSTILE_BOUND", "2"))
JOBS = int(os.environ.get("MATDIFF_HOSTILE_JOBS", "2"))
GRACE = 1.0  # seconds past the bound before a worker is killed
WALL_FACTOR = 10.0  # an in-process case is also killed after this many bounds of wall time
WEB_BOUND = 2 * BOUND  # the web app's own time limit: it answers with a limit message
_START_TIMEOUT = 120.0  # seconds a fresh worker may take to import everything
SUBPROCESS_EXTRA = 13.0  # a real subprocess imports numpy and matdiff first
_CTX = multiprocessing.get_context("spawn")


def bound_of(case: dict[str, Any]) -> float:
    """The time a case may take without a limit message: CPU seconds for the in-process
    CLI and API cases (a loaded machine does not make them fail), wall-clock seconds
    for the others (a subprocess also starts an interpreter; the web app answers with
    its own limit message after ``WEB_BOUND``)."""
    if "bound" in case:
        bound = float(case["bound"])
    else:
        bound = WEB_BOUND if case["surface"] in ("web", "http") else BOUND
    return bound + (SUBPROCESS_EXTRA if case["surface"] == "subprocess" else 0.0)


def _worker(conn: Connection, web: bool) -> None:
    import warnings

    os.setpgrp()  # a group of its own: killing it kills what it started

    warnings.simplefilter("ignore")
    import matdiff.cli  # noqa: F401 - imported before the first case is timed

    from .execute import execute, start_web_client

    if web:  # the TestClient's own worker pool starts before the first case is timed
        start_web_client(WEB_BOUND)

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
        except BaseException as e:
            out = {"harness_error": f"{type(e).__name__}: {e}", "elapsed": 0.0}
        conn.send(out)


class _Slot:
    """One worker process; ``web`` workers also hold the TestClient (and its pool).

    Starting is not waited for: the slot is ``ready`` once the worker says so, so a
    replacement starts while the other workers go on."""

    def __init__(self, web: bool) -> None:
        self.web = web
        self.conn, child = _CTX.Pipe()
        # not a daemon: the web cases' TestClient starts worker processes of its own
        self.process = _CTX.Process(target=_worker, args=(child, web), daemon=False,
                                    name="matdiff-hostile-worker")
        self.process.start()
        child.close()
        self.ready = False
        self.case: dict[str, Any] | None = None
        self.deadline = time.monotonic() + _START_TIMEOUT
        self.cpu_start: float | None = None

    def dispatch(self, case: dict[str, Any], port: int | None) -> None:
        """Send ``case``; an in-process case is bounded by the worker's CPU time (a
        loaded machine slows it, never fails it) and by ``WALL_FACTOR`` bounds of wall
        time, the others by wall time."""
        self.case = case
        bound = bound_of(case)
        self.cpu_start = None
        if _in_process(case) and self.process.pid is not None:
            self.cpu_start = cpu_seconds(self.process.pid)
        factor = WALL_FACTOR if self.cpu_start is not None else 1.0
        retry = BUSY_WAIT if case["surface"] == "web" else 0.0  # see execute.run_web
        self.deadline = time.monotonic() + bound * factor + GRACE + retry
        self.conn.send((case, bound, port))

    def overran(self) -> bool:
        """Whether the running case is past its bound (CPU where measured, wall)."""
        assert self.case is not None
        if time.monotonic() >= self.deadline:
            return True
        if self.cpu_start is None or self.process.pid is None:
            return False
        now = cpu_seconds(self.process.pid)
        return now is not None and now - self.cpu_start > bound_of(self.case) + GRACE

    def kill(self) -> None:
        """Kill the worker and every process it started (its own process group)."""
        pid = self.process.pid
        if pid is not None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        if self.ready and self.case is None:
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.process.join(10)
        if self.process.is_alive():
            self.kill()


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of process ``pid`` from /proc (None where unreadable)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _in_process(case: dict[str, Any]) -> bool:
    return case["surface"] in ("cli", "api")


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
    """Yield ``(case, outcome)`` for every case, in completion order: ``jobs`` workers
    for the CLI, API, subprocess and HTTP cases, one more (with the TestClient) for the
    web cases."""
    todo = list(cases)
    queues: dict[bool, list[dict[str, Any]]] = {
        web: [c for c in reversed(todo) if (c["surface"] == "web") == web]
        for web in (False, True)}  # pop() from the end keeps the given order
    server = Server(BOUND) if any(c["surface"] == "http" for c in todo) else None
    slots = [_Slot(False) for _ in range(max(0, min(jobs, len(queues[False]))))]
    if queues[True]:
        slots.append(_Slot(True))
    try:
        while any(queues.values()) or any(s.case is not None for s in slots):
            for s in slots:
                if s.ready and s.case is None and queues[s.web]:
                    s.dispatch(queues[s.web].pop(), server.port if server else None)
            waiting = [s for s in slots if s.case is not None or not s.ready]
            if not waiting:
                break
            timeout = max(0.0, min(s.deadline for s in waiting) - time.monotonic())
            if any(s.cpu_start is not None and s.case is not None for s in waiting):
                timeout = min(timeout, 0.1)  # poll the CPU time
            ready = wait([s.conn for s in waiting], timeout)
            for s in waiting:
                i = slots.index(s)
                if s.conn in ready:
                    try:
                        message = s.conn.recv()
                    except (EOFError, OSError) as e:
                        message = {"harness_error": f"the worker died: {e!r}",
                                   "elapsed": 0.0}
                        s.kill()
                        slots[i] = _Slot(s.web)
                    if not s.ready:
                        if message != "ready":
                            raise RuntimeError("a hostile-corpus worker did not start")
                        s.ready = True
                        continue
                    case, s.case = s.case, None
                    assert case is not None
                    yield case, message
                elif not s.ready:
                    if time.monotonic() >= s.deadline:
                        raise RuntimeError("a hostile-corpus worker did not start in time")
                elif s.overran():
                    case = s.case
                    assert case is not None
                    what = "CPU" if s.cpu_start is not None else "wall-clock"
                    s.kill()
                    slots[i] = _Slot(s.web)
                    yield case, {"timeout": True, "elapsed": bound_of(case) + GRACE,
                                 "killed": f"{bound_of(case) + GRACE:.1f} s of {what} time"}
    finally:
        for s in slots:
            s.stop()
        if server is not None:
            server.stop()
