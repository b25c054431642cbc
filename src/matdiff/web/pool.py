"""A pool of worker processes with a per-request time limit.

Why processes: differentiation is CPU-bound pure Python, and a Python thread cannot be
interrupted, so a request that runs too long could only be abandoned, never stopped —
it would keep a core busy and the next slow request would take another.  Each worker is
a separate process (``spawn``: a fresh interpreter, no state forked from the server's
threads) that answers one job at a time over a pipe.  The event loop waits for the
answer without blocking (``add_reader`` on the pipe); when the time limit passes, the
worker is killed and a fresh one is started in the background, while requests on the
other workers go on.  A request that finds every worker busy waits for one for at most
the time limit too, then is told the server is busy.

Nothing is written to disk: jobs and answers are pickled dicts over pipes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

Answer = tuple[int, dict[str, Any]]
_START_TIMEOUT = 120.0  # seconds for a fresh interpreter to import numpy and matdiff
"""An HTTP status and a JSON body."""


def _worker_main(conn: Connection) -> None:
    """The worker's loop: receive ``(kind, payload)``, send back the answer; stop on
    ``None`` or when the server's end of the pipe closes."""
    from .compute import handle  # imported here: the parent process never needs it

    handle("warm-up", {})  # import the whole engine before the first real job
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        kind, payload = job
        conn.send(handle(kind, payload))


@dataclass(eq=False)  # identity hashing: workers live in a set
class _Worker:
    process: BaseProcess
    conn: Connection


def _error(status: int, kind: str, message: str) -> Answer:
    return status, {"error": {"kind": kind, "message": message}}


class WorkerPool:
    """``size`` worker processes; :meth:`run` answers a job within ``time_limit``
    seconds or with an error (HTTP 422, kind ``"time limit exceeded"``)."""

    def __init__(self, size: int, time_limit: float) -> None:
        if size < 1:
            raise ValueError(f"a worker pool needs at least one worker, got {size}")
        if time_limit <= 0:
            raise ValueError(f"the time limit must be positive, got {time_limit}")
        self.size = size
        self.time_limit = time_limit
        self._context = multiprocessing.get_context("spawn")
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._replacing: set[asyncio.Task[None]] = set()
        self.replaced = 0  # workers killed for overrunning (for tests and logs)

    def _spawn(self) -> _Worker:
        """Start a worker and wait (in the calling thread) until it is ready."""
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker_main, args=(child,), daemon=True,
                                        name="matdiff-web-worker")
        process.start()
        child.close()
        # Only a worker that has imported and warmed up the engine takes jobs: its time
        # limit must not pay for interpreter start-up.
        if not parent.poll(_START_TIMEOUT) or parent.recv() != "ready":
            process.kill()
            raise RuntimeError("a matdiff web worker did not start")
        return _Worker(process, parent)

    async def start(self) -> None:
        """Start every worker (in threads: starting a spawned process blocks briefly)."""
        workers = await asyncio.gather(
            *(asyncio.to_thread(self._spawn) for _ in range(self.size)))
        for w in workers:
            self._all.add(w)
            self._idle.put_nowait(w)

    async def stop(self) -> None:
        for task in list(self._replacing):
            task.cancel()
        for w in list(self._all):
            self._discard(w)

    def _discard(self, w: _Worker) -> None:
        self._all.discard(w)
        if w.process.is_alive():
            w.process.kill()
        w.process.join(timeout=5)
        w.conn.close()

    def _replace(self, w: _Worker) -> None:
        """Kill ``w`` and start its successor in the background."""
        self._discard(w)
        self.replaced += 1

        async def successor() -> None:
            fresh = await asyncio.to_thread(self._spawn)
            self._all.add(fresh)
            self._idle.put_nowait(fresh)

        task = asyncio.get_running_loop().create_task(successor())
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def _answer(self, w: _Worker, timeout: float) -> Answer:
        """Wait for ``w``'s answer without blocking the loop."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def on_readable() -> None:
            if not ready.done():
                ready.set_result(None)

        fd = w.conn.fileno()
        loop.add_reader(fd, on_readable)
        try:
            await asyncio.wait_for(ready, timeout)
        finally:
            loop.remove_reader(fd)
        answer: Answer = w.conn.recv()
        return answer

    async def run(self, kind: str, payload: dict[str, Any]) -> Answer:
        """Run one job on an idle worker: its answer, or an error once the time limit
        (for waiting, and again for computing) has passed."""
        try:
            w = await asyncio.wait_for(self._idle.get(), self.time_limit)
        except TimeoutError:
            return _error(503, "busy", "every worker is busy; try again in a moment")
        started = time.monotonic()
        try:
            w.conn.send((kind, payload))
            answer = await self._answer(w, self.time_limit)
        except TimeoutError:
            self._replace(w)
            return _error(422, "time limit exceeded",
                          f"the computation was stopped after the time limit of "
                          f"{self.time_limit:g} s; try a shorter expression or a lower "
                          f"order")
        except (EOFError, OSError, BrokenPipeError):
            self._replace(w)
            return _error(500, "internal error", "the worker stopped unexpectedly "
                          f"after {time.monotonic() - started:.1f} s (please report it)")
        except BaseException:  # cancelled mid-job: the worker's state is unknown
            self._replace(w)
            raise
        self._idle.put_nowait(w)
        return answer
