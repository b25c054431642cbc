"""Issue 7's load benchmark: a bounded burst of API requests over loopback.

Starts ``matdiff serve`` (its own process, a free loopback port), waits until it answers,
then ``--clients`` threads (default 4), each with its own HTTP connection, send
``--requests`` requests in all (default 200) to ``POST /api/derivative``, cycling through
typical expressions (the page's examples: gradients, Hessians, a 4th-order Jacobian,
symmetric variables), each asking for what the page asks for — steps and the numerical
check (``--no-check`` / ``--no-steps`` to leave them out).  Prints throughput,
p50/p90/p99/max latency, the error count (any answer but 200) and the median latency per
expression; ``--json`` prints the same as JSON.  Run from the repository root::

    .venv/bin/python benchmarks/web_load.py [--clients 4] [--requests 200] [--workers N]

``--mixed`` (issue 15) is the mixed burst: 16 clients, every tenth request a slow one (a
200-term chain gradient that runs to the server's time limit, ``--time-limit`` 3 s), the
rest the examples as above.  It prints the good requests' latencies and how many of
them were refused (target: p99 under 1 s, none refused), and what became of the slow
ones (stopped at the time limit, or told the server is busy when every long slot was
taken).

The server is stopped at the end; nothing is written to disk.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from typing import Any

import httpx

from matdiff.web.examples import EXAMPLES


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


SLOW = {"expression": "tr(" + "*".join(f"A{i}*X" for i in range(200)) + ")", "wrt": ["X"],
        "declare": [], "steps": True, "check": True}
"""Tens of seconds of legitimate work (200 terms of 400 factors, under every work bound):
runs to the time limit."""


def _start(port: int, workers: int | None,
           time_limit: float | None = None) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "matdiff", "serve", "--port", str(port)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    if time_limit is not None:
        cmd += ["--time-limit", str(time_limit)]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            err = server.stderr.read().decode() if server.stderr else ""
            raise SystemExit(f"the server exited: {err}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/examples", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start within 120 s")


def _percentile(sorted_values: list[float], q: float) -> float:
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def run(clients: int, requests: int, workers: int | None, steps: bool,
        check: bool, slow_every: int = 0, time_limit: float | None = None) -> dict[str, Any]:
    """The burst; ``slow_every``: every n-th request is :data:`SLOW` (0: none)."""
    port = _free_port()
    server = _start(port, workers, time_limit)
    url = f"http://127.0.0.1:{port}/api/derivative"
    bodies = [{"expression": e.expression, "wrt": list(e.wrt), "declare": list(e.declare),
               "steps": steps, "check": check} for e in EXAMPLES]
    latencies: list[float] = []
    per_expression: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    slow_outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        with httpx.Client(timeout=60) as http:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                slow = slow_every > 0 and i % slow_every == slow_every - 1
                body = SLOW if slow else bodies[i % len(bodies)]
                t0 = time.perf_counter()
                try:
                    r = http.post(url, json=body)
                    status, text = r.status_code, r.text[:200]
                except httpx.HTTPError as e:
                    status, text = 0, repr(e)
                dt = time.perf_counter() - t0
                if slow:
                    kind = "200" if status == 200 else f"{status} " + (
                        r.json().get("error", {}).get("kind", "?") if status else text)
                    with lock:
                        slow_outcomes[kind] += 1
                    continue
                with lock:
                    latencies.append(dt)
                    declared = f" [{'; '.join(body['declare'])}]" if body["declare"] else ""
                    key = f"{body['expression']} by {','.join(body['wrt'])}{declared}"
                    per_expression[key].append(dt)
                    if status != 200:
                        errors.append(f"{status}: {text}")

    try:
        threads = [threading.Thread(target=client) for _ in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)
    ordered = sorted(latencies)
    return {
        "clients": clients, "requests": len(latencies), "workers": workers or "default",
        "steps": steps, "check": check, "slow_every": slow_every,
        "time_limit": time_limit or "default", "slow_requests": sum(slow_outcomes.values()),
        "slow_outcomes": dict(slow_outcomes),
        "seconds": elapsed, "throughput": len(latencies) / elapsed,
        "p50_ms": 1000 * _percentile(ordered, 0.50), "p90_ms": 1000 * _percentile(ordered, 0.90),
        "p99_ms": 1000 * _percentile(ordered, 0.99), "max_ms": 1000 * ordered[-1],
        "errors": len(errors), "error_samples": errors[:5],
        "per_expression_median_ms": {k: 1000 * statistics.median(v)
                                     for k, v in sorted(per_expression.items())},
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--no-steps", action="store_true")
    p.add_argument("--no-check", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--mixed", action="store_true",
                   help="the mixed burst: 16 clients, every tenth request slow")
    p.add_argument("--slow-every", type=int, default=None, metavar="N",
                   help="every N-th request is a slow one (default: 10 with --mixed)")
    p.add_argument("--time-limit", type=float, default=None,
                   help="the server's --time-limit (default: 3 with --mixed)")
    a = p.parse_args()
    slow_every = a.slow_every if a.slow_every is not None else (10 if a.mixed else 0)
    time_limit = a.time_limit if a.time_limit is not None else (3.0 if a.mixed else None)
    clients = 16 if a.mixed and a.clients == 4 else a.clients
    requests = 400 if a.mixed and a.requests == 200 else a.requests
    out = run(clients, requests, a.workers, not a.no_steps, not a.no_check, slow_every,
              time_limit)
    if a.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{out['requests']} good requests, {out['clients']} concurrent clients, workers: "
          f"{out['workers']}, steps: {out['steps']}, check: {out['check']}")
    if slow_every:
        print(f"{out['slow_requests']} slow requests (every {slow_every}th; time limit "
              f"{out['time_limit']} s): {out['slow_outcomes']}")
    print(f"throughput {out['throughput']:.1f} req/s over {out['seconds']:.1f} s; latency "
          f"p50 {out['p50_ms']:.0f} ms, p90 {out['p90_ms']:.0f} ms, p99 {out['p99_ms']:.0f} ms, "
          f"max {out['max_ms']:.0f} ms; good requests refused or failed: {out['errors']}")
    for sample in out["error_samples"]:
        print(f"  error {sample}")
    print("median latency per expression:")
    for k, v in sorted(out["per_expression_median_ms"].items(), key=lambda kv: -kv[1]):
        print(f"  {v:8.0f} ms  {k}")


if __name__ == "__main__":
    main()
