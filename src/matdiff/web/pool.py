"""A pool of worker processes with a per-request time limit and fair admission.

Why processes: differentiation is CPU-bound pure Python, and a Python thread cannot be
interrupted, so a request that runs too long could only be abandoned, never stopped.
Each worker is a separate process (``spawn``: a fresh interpreter, no state forked from
the server's threads) that answers one job at a time over a pipe; the event loop waits
for the answer without blocking (``add_reader`` on the pipe).

Admission (issue 15: 10 % slow requests made a third of all requests fail):

- Waiting requests are served first come, first served from one bounded queue
  (``max_waiting``); a request that finds the queue full is told at once that the server
  is busy (503), and one that waits longer than the time limit too.
- A job that has run ``slow_after`` seconds (0.3 s; a typical page request takes 10 to
  50 ms) is *long*.  At most ``long_slots`` jobs (``size - 1``) may be long at once, so
  one worker always stays for short requests: a job that turns long while every long
  slot is taken is stopped with a 503 saying why.  A long job's process is also given
  a lower CPU priority (``nice``), so short jobs on the other workers keep their speed,
  and it is retired once its job ends.
- A job stopped at the time limit, for a client that disconnected (``disconnected``),
  or for fairness has its process killed; a warmed-up spare process takes its place at
  once and a new spare is started in the background, so killing never leaves the pool
  short of workers for the second or so an interpreter takes to start.

Nothing is written to disk: jobs and answers are pickled dicts over pipes.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

Answer = tuple[int, dict[str, Any]]
"""An HTTP status and a JSON body."""

Disconnected = Callable[[], Awaitable[bool]]
"""Polled while a job waits or runs: has the client gone away?"""

_START_TIMEOUT = 120.0  # seconds for a fresh interpreter to import numpy and matdiff
_TICK = 0.05  # seconds between checks of a running job (disconnect, long, time limit)
CLIENT_GONE = 499  # nginx's "client closed request": nobody reads this answer
MAX_WORKERS = 64


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


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number of seconds, got {value!r}")
    return float(value)


class WorkerPool:
    """``size`` worker processes (and one spare); :meth:`run` answers a job within
    ``time_limit`` seconds or with an error (422 ``"time limit exceeded"``, 503
    ``"busy"``)."""

    def __init__(self, size: int, time_limit: float, *, slow_after: float = 0.3,
                 long_slots: int | None = None, max_waiting: int | None = None,
                 spares: int = 1) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_WORKERS:
            raise ValueError(f"a worker pool needs 1 to {MAX_WORKERS} workers, got {size!r}")
        self.size = size
        self.time_limit = _positive("the time limit", time_limit)
        self.slow_after = _positive("slow_after", slow_after)
        self.long_slots = long_slots if long_slots is not None else max(1, size - 1)
        self.max_waiting = max_waiting if max_waiting is not None else 64 * size
        self.spares = spares
        self._context = multiprocessing.get_context("spawn")
        self._idle: deque[_Worker] = deque()
        self._spare: deque[_Worker] = deque()
        self._waiters: deque[asyncio.Future[_Worker]] = deque()
        self._all: set[_Worker] = set()
        self._starting: set[asyncio.Task[None]] = set()
        self._long = 0
        self._stopping = False
        # counters, for tests and logs
        self.replaced = 0  # workers killed (time limit, disconnect, fairness) or retired
        self.cancelled = 0  # jobs stopped because their client went away
        self.preempted = 0  # jobs stopped because every long slot was taken

    # --- processes -----------------------------------------------------------------
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
        """Start every worker and the spares (in threads: spawning blocks briefly)."""
        workers = await asyncio.gather(
            *(asyncio.to_thread(self._spawn) for _ in range(self.size + self.spares)))
        for i, w in enumerate(workers):
            self._all.add(w)
            (self._idle if i < self.size else self._spare).append(w)

    async def stop(self) -> None:
        self._stopping = True
        for task in list(self._starting):
            task.cancel()
        for f in self._waiters:
            f.cancel()
        for w in list(self._all):
            self._discard(w)

    def _discard(self, w: _Worker) -> None:
        self._all.discard(w)
        if w.process.is_alive():
            w.process.kill()
        w.process.join(timeout=5)
        w.conn.close()

    def _replace(self, w: _Worker) -> None:
        """Kill ``w``; a spare takes its place now, a new spare is started."""
        self._discard(w)
        self.replaced += 1
        if self._spare:
            self._release(self._spare.popleft())
            self._start_one(spare=True)
        else:
            self._start_one(spare=False)

    def _start_one(self, spare: bool) -> None:
        if self._stopping:
            return

        async def successor() -> None:
            fresh = await asyncio.to_thread(self._spawn)
            self._all.add(fresh)
            if spare:
                self._spare.append(fresh)
            else:
                self._release(fresh)

        task = asyncio.get_running_loop().create_task(successor())
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    # --- admission -----------------------------------------------------------------
    def _release(self, w: _Worker) -> None:
        """Hand ``w`` to the longest-waiting request, or make it idle."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(w)
                return
        self._idle.append(w)

    async def _acquire(self, disconnected: Disconnected | None) -> _Worker | Answer:
        """A worker, first come first served; or the answer to give instead."""
        if self._idle and not self._waiters:
            return self._idle.popleft()
        if len(self._waiters) >= self.max_waiting:
            return _error(503, "busy", f"{len(self._waiters)} requests are already waiting "
                          "for a worker; try again in a moment")
        waiter: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        deadline = time.monotonic() + self.time_limit
        taken = False
        try:
            while not waiter.done():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return _error(503, "busy", "every worker stayed busy for "
                                  f"{self.time_limit:g} s; try again in a moment")
                await asyncio.wait({waiter}, timeout=min(_TICK * 4, remaining))
                if not waiter.done() and disconnected is not None and await disconnected():
                    self.cancelled += 1
                    return _error(CLIENT_GONE, "cancelled", "the client disconnected")
            taken = True
            return waiter.result()
        finally:
            if not waiter.done():
                waiter.cancel()
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            elif not taken and not waiter.cancelled():
                self._release(waiter.result())  # handed over as this request gave up

    async def run(self, kind: str, payload: dict[str, Any],
                  disconnected: Disconnected | None = None) -> Answer:
        """Run one job: its answer, or an error once the time limit (for waiting, and
        again for computing) has passed, the client went away or it had to make way."""
        got = await self._acquire(disconnected)
        if isinstance(got, tuple):
            return got
        w = got
        try:
            w.conn.send((kind, payload))
            return await self._supervise(w, disconnected)
        except (EOFError, OSError, BrokenPipeError):
            self._replace(w)
            return _error(500, "internal error", "a worker stopped unexpectedly "
                          "(please report it)")
        except BaseException:  # cancelled mid-job: the worker's state is unknown
            if w in self._all:
                self._replace(w)
            raise

    async def _supervise(self, w: _Worker, disconnected: Disconnected | None) -> Answer:
        """Wait for ``w``'s answer without blocking the loop, watching the clock and the
        client."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def on_readable() -> None:
            if not ready.done():
                ready.set_result(None)

        started = time.monotonic()
        long = False
        fd = w.conn.fileno()
        loop.add_reader(fd, on_readable)
        try:
            while not ready.done():
                elapsed = time.monotonic() - started
                if elapsed >= self.time_limit:
                    self._replace(w)
                    return _error(422, "time limit exceeded",
                                  f"the computation was stopped after the time limit of "
                                  f"{self.time_limit:g} s; try a shorter expression or a "
                                  f"lower order")
                if not long and elapsed >= self.slow_after:
                    if self._long >= self.long_slots:
                        self._replace(w)
                        self.preempted += 1
                        return _error(503, "busy", f"{self._long} long computation"
                                      f"{'s are' if self._long > 1 else ' is'} already "
                                      "running (one worker stays free for short ones); "
                                      f"this one was stopped after {elapsed:.1f} s: try "
                                      "again when they are done")
                    long = True
                    self._long += 1
                    with contextlib.suppress(OSError, AttributeError):
                        os.setpriority(os.PRIO_PROCESS, w.process.pid or 0, 10)
                await asyncio.wait({ready}, timeout=min(_TICK, self.time_limit - elapsed))
                if not ready.done() and disconnected is not None and await disconnected():
                    self._replace(w)
                    self.cancelled += 1  # after: tests in another thread read both
                    return _error(CLIENT_GONE, "cancelled", "the client disconnected")
        finally:
            loop.remove_reader(fd)
            if long:
                self._long -= 1
        answer: Answer = w.conn.recv()
        if long:
            self._replace(w)  # retire the lowered-priority process
        else:
            self._release(w)
        return answer
