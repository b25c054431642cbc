"""A pool of worker processes with a per-request time limit and fair admission.

Why processes: differentiation is CPU-bound pure Python, and a Python thread cannot be
interrupted, so a request that runs too long could only be abandoned, never stopped.
Each worker is a separate process (``spawn``: a fresh interpreter, no state forked from
the server's threads) that answers one job at a time over a pipe; the event loop waits
for the answer without blocking (``add_reader`` on the pipe).

Admission (issue 15: 10 % slow requests made a third of all requests fail):

- Waiting requests are served first come, first served from one bounded queue
  (``max_waiting``, 64 per worker); a request that finds the queue full is told at once
  that the server is busy (503), and one that waited ``max_wait`` seconds (twice the
  time limit, at least 10 s) too: a burst is queued, not refused.
- A job that has used ``slow_after`` seconds of CPU (0.2 s; a typical page request takes
  10 to 50 ms) is *long*: CPU time, read from ``/proc`` (wall time elsewhere), so a
  loaded machine does not make short jobs look long.  At most ``long_slots`` jobs
  (``size - 1``) may be long at once, so one worker always stays for short requests.
  A request seen to be long before (the same job, remembered for the last ``remember``
  of them) waits for a long slot *before* it takes a worker, in its own FIFO queue; a
  new request that turns long while every long slot is taken (or wanted) runs on while
  no short request waits for a worker, and is stopped with a 503 saying why once one
  does.  A long job's process gets a lower CPU priority (``nice`` 10) while it runs, so
  short jobs on the other workers keep their speed.
- A job stopped at the time limit, for a client that disconnected (``disconnected``),
  or for fairness is interrupted by a signal (:data:`STOP_SIGNAL`) and its worker,
  which answers at once, goes back to the pool: stopping costs no process.  A worker
  that does not answer within a second (stuck in one long C call) is killed; then a
  warmed-up spare takes its place at once and a new spare is started in the background.

Nothing is written to disk: jobs and answers are pickled dicts over pipes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import signal
import time
from collections import OrderedDict, deque
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


STOP_SIGNAL = getattr(signal, "SIGUSR1", None)
"""Sent to a worker to stop its job (time limit, disconnect, fairness) without killing
it: the interpreter and the engine stay loaded, so stopping costs no new process."""
_GRACE = 1.0  # seconds a stopped worker has to answer before it is killed instead


class _Stop(BaseException):
    """Raised inside a worker's job by :data:`STOP_SIGNAL` (a BaseException: the
    engine's handlers of Exception must not catch it)."""


def _worker_main(conn: Connection) -> None:
    """The worker's loop: receive ``(kind, payload)``, send back exactly one answer per
    job (a stopped job answers too); stop on ``None`` or when the pipe closes."""
    from .compute import handle  # imported here: the parent process never needs it

    running = [False]

    def on_stop(signum: int, frame: object) -> None:
        if running[0]:  # between jobs a late signal is ignored
            running[0] = False
            raise _Stop

    if STOP_SIGNAL is not None:
        signal.signal(STOP_SIGNAL, on_stop)
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
        try:
            running[0] = True
            answer = handle(kind, payload)
            running[0] = False
        except _Stop:
            answer = _error(CLIENT_GONE, "stopped", "the server stopped this job")
        conn.send(answer)


@dataclass(eq=False)  # identity hashing: workers live in a set
class _Worker:
    process: BaseProcess
    conn: Connection


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(w: _Worker, wall: float = 0.0) -> float:
    """CPU seconds the worker process has used (user + system), from ``/proc``; where
    there is no ``/proc``, ``wall`` (the job's wall time so far) stands in."""
    try:
        with open(f"/proc/{w.process.pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return wall


def _normal_priority(w: _Worker) -> bool:
    """Give a worker its normal CPU priority back; False where that is not allowed
    (raising a priority may need privileges): then it is retired."""
    pid = w.process.pid
    if pid is None:  # (never 0: that would be the server itself)
        return False
    try:
        if os.getpriority(os.PRIO_PROCESS, pid) != 0:
            os.setpriority(os.PRIO_PROCESS, pid, 0)
    except (OSError, AttributeError):
        return False
    return True


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

    def __init__(self, size: int, time_limit: float, *, slow_after: float = 0.2,
                 long_slots: int | None = None, max_waiting: int | None = None,
                 spares: int = 1, remember: int = 1024,
                 max_wait: float | None = None) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_WORKERS:
            raise ValueError(f"a worker pool needs 1 to {MAX_WORKERS} workers, got {size!r}")
        self.size = size
        self.time_limit = _positive("the time limit", time_limit)
        self.slow_after = _positive("slow_after", slow_after)
        self.long_slots = long_slots if long_slots is not None else max(1, size - 1)
        self.max_waiting = max_waiting if max_waiting is not None else 64 * size
        self.max_wait = _positive("max_wait", max_wait if max_wait is not None
                                  else max(10.0, 2 * self.time_limit))
        self.spares = spares
        self._context = multiprocessing.get_context("spawn")
        self._idle: deque[_Worker] = deque()
        self._spare: deque[_Worker] = deque()
        self._waiters: deque[asyncio.Future[_Worker]] = deque()
        self._long_waiters: deque[asyncio.Future[_Worker]] = deque()
        self._running_long = 0  # jobs on a worker that are long (or known to be)
        self._all: set[_Worker] = set()
        self._starting: set[asyncio.Task[None]] = set()
        self._long_slots = asyncio.Semaphore(self.long_slots)
        self._known_long: OrderedDict[str, None] = OrderedDict()
        self.remember = remember
        self._stopping = False
        # counters, for tests and logs
        self.replaced = 0  # workers killed (a stop not obeyed, a crash) or retired
        self.stopped = 0  # jobs stopped (time limit, disconnect, fairness), worker kept
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
        for f in (*self._waiters, *self._long_waiters):
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

    def _stop(self, w: _Worker) -> None:
        """Stop ``w``'s job; the worker returns to the pool once it has answered (within
        :data:`_GRACE` seconds), or is killed and replaced."""
        self.stopped += 1
        if STOP_SIGNAL is None or w.process.pid is None:
            self._replace(w)
            return
        try:
            os.kill(w.process.pid, STOP_SIGNAL)
        except OSError:
            self._replace(w)
            return

        async def reclaim() -> None:
            loop = asyncio.get_running_loop()
            answered: asyncio.Future[None] = loop.create_future()
            fd = w.conn.fileno()

            def on_readable() -> None:
                if not answered.done():
                    answered.set_result(None)

            loop.add_reader(fd, on_readable)
            try:
                await asyncio.wait({answered}, timeout=_GRACE)
            finally:
                loop.remove_reader(fd)
            try:
                if not answered.done():
                    raise TimeoutError
                w.conn.recv()  # the stopped job's answer (or its real one, just done)
            except (EOFError, OSError, TimeoutError):
                self._replace(w)
                return
            if _normal_priority(w):
                self._release(w)
            else:
                self._replace(w)

        task = asyncio.get_running_loop().create_task(reclaim())
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

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
    def _reserve_kept(self) -> bool:
        """Would one more long job leave a worker for short ones?"""
        live = len(self._all) - len(self._spare)
        return live - self._running_long - 1 >= 1

    def _release(self, w: _Worker) -> None:
        """Hand ``w`` to the longest-waiting request (a short one first, a long one if a
        worker stays for short ones), or make it idle."""
        for waiters in (self._waiters, self._long_waiters):
            if waiters is self._long_waiters and not self._reserve_kept():
                break
            while waiters:
                waiter = waiters.popleft()
                if not waiter.done():
                    waiter.set_result(w)
                    return
        self._idle.append(w)

    async def _acquire(self, disconnected: Disconnected | None,
                       long: bool = False) -> _Worker | Answer:
        """A worker, first come first served; or the answer to give instead.  ``long``:
        for a job known to be long, which never takes the last worker for short ones."""
        waiters = self._long_waiters if long else self._waiters
        if self._idle and not self._waiters and (
                not long or (not self._long_waiters and self._reserve_kept())):
            return self._idle.popleft()
        if len(waiters) >= self.max_waiting:
            return _error(503, "busy", f"{len(waiters)} requests are already waiting "
                          "for a worker; try again in a moment")
        waiter: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
        waiters.append(waiter)
        deadline = time.monotonic() + self.max_wait
        taken = False
        try:
            while not waiter.done():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return _error(503, "busy", "every worker stayed busy for "
                                  f"{self.max_wait:g} s; try again in a moment")
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
                    waiters.remove(waiter)
            elif not taken and not waiter.cancelled():
                self._release(waiter.result())  # handed over as this request gave up

    async def run(self, kind: str, payload: dict[str, Any],
                  disconnected: Disconnected | None = None) -> Answer:
        """Run one job: its answer, or an error once the time limit (for waiting, and
        again for computing) has passed, the client went away or it had to make way."""
        key = json.dumps([kind, payload], sort_keys=True, default=str)
        slot = False
        if key in self._known_long:
            got_slot = await self._wait_for_long_slot(disconnected)
            if got_slot is not None:
                return got_slot
            slot = True
        try:
            got = await self._acquire(disconnected, long=slot)
            if isinstance(got, tuple):
                return got
            w = got
            try:
                w.conn.send((kind, payload))
                return await self._supervise(w, disconnected, key, slot)
            except (EOFError, OSError, BrokenPipeError):
                self._replace(w)
                return _error(500, "internal error", "a worker stopped unexpectedly "
                              "(please report it)")
            except BaseException:  # cancelled mid-job: the worker's state is unknown
                if w in self._all:
                    self._replace(w)
                raise
        finally:
            if slot:
                self._long_slots.release()

    async def _wait_for_long_slot(self, disconnected: Disconnected | None) -> Answer | None:
        """Take a long slot (``None``), or the answer to give instead."""
        task = asyncio.ensure_future(self._long_slots.acquire())
        deadline = time.monotonic() + self.time_limit
        taken = False
        try:
            while not task.done():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return _error(503, "busy", "this computation took long before, and "
                                  f"{self.long_slots} long computation"
                                  f"{'s have' if self.long_slots > 1 else ' has'} kept the "
                                  f"workers for long ones busy for {self.time_limit:g} s; "
                                  "try again in a moment")
                await asyncio.wait({task}, timeout=min(_TICK * 4, remaining))
                if not task.done() and disconnected is not None and await disconnected():
                    self.cancelled += 1
                    return _error(CLIENT_GONE, "cancelled", "the client disconnected")
            taken = True
            return None
        finally:
            if not task.done():
                task.cancel()
            elif not taken and not task.cancelled():
                self._long_slots.release()  # acquired just as this request gave up

    async def _supervise(self, w: _Worker, disconnected: Disconnected | None, key: str,
                         slot: bool) -> Answer:
        """Wait for ``w``'s answer without blocking the loop, watching the clock and the
        client.  ``slot``: the job already holds a long slot (it was long before)."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def on_readable() -> None:
            if not ready.done():
                ready.set_result(None)

        started = time.monotonic()
        cpu_started = _cpu_seconds(w)
        long = slot
        took_slot = over_quota = False
        if slot:
            self._running_long += 1
            self._lower_priority(w)
        fd = w.conn.fileno()
        loop.add_reader(fd, on_readable)
        try:
            while not ready.done():
                elapsed = time.monotonic() - started
                if elapsed >= self.time_limit:
                    self._remember(key)
                    self._stop(w)
                    return _error(422, "time limit exceeded",
                                  f"the computation was stopped after the time limit of "
                                  f"{self.time_limit:g} s; try a shorter expression or a "
                                  f"lower order")
                if not long and elapsed >= self.slow_after and \
                        _cpu_seconds(w, elapsed) - cpu_started >= self.slow_after:
                    self._remember(key)
                    # A long slot, unless every one is taken or wanted, or this is the
                    # last worker for short ones: then it runs on only while no short
                    # request waits for a worker (over quota).
                    over_quota = self._long_slots.locked() or not self._reserve_kept()
                    if not over_quota:
                        await self._long_slots.acquire()  # free: returns at once
                        took_slot = True
                    long = True
                    self._running_long += 1
                    self._lower_priority(w)
                if over_quota and self._waiters and not self._idle:
                    self._stop(w)
                    self.preempted += 1
                    return _error(503, "busy", "long computations are already using "
                                  "every worker but the one kept for short ones, and short "
                                  f"requests are waiting: this one was stopped after "
                                  f"{elapsed:.1f} s; try again in a moment")
                await asyncio.wait({ready}, timeout=min(_TICK, self.time_limit - elapsed))
                if not ready.done() and disconnected is not None and await disconnected():
                    self._stop(w)
                    self.cancelled += 1  # after: tests in another thread read both
                    return _error(CLIENT_GONE, "cancelled", "the client disconnected")
        finally:
            loop.remove_reader(fd)
            if took_slot:
                self._long_slots.release()
            if long:
                self._running_long -= 1
        answer: Answer = w.conn.recv()
        if _cpu_seconds(w, time.monotonic() - started) - cpu_started < self.slow_after:
            self._known_long.pop(key, None)  # fast after all (a cache, say): forget it
        if long and not _normal_priority(w):
            self._replace(w)  # retire the lowered-priority process
        else:
            self._release(w)
        return answer

    def _remember(self, key: str) -> None:
        self._known_long[key] = None
        self._known_long.move_to_end(key)
        while len(self._known_long) > self.remember:
            self._known_long.popitem(last=False)

    @staticmethod
    def _lower_priority(w: _Worker) -> None:
        if w.process.pid is not None:  # (never 0: that would be the server itself)
            with contextlib.suppress(OSError, AttributeError):
                os.setpriority(os.PRIO_PROCESS, w.process.pid, 10)
