"""``matdiff serve [--port 8000] [--host 127.0.0.1]``: the local web page (issues 7, 15).

Every option is checked before anything starts: a time limit must be a positive finite
number of seconds (``nan``, ``inf`` and negative values are refused), the port 0 to
65535, the workers 1 to 64.  The server answers only requests whose Host header names
the loopback (127.0.0.1, localhost, ::1), the ``--host`` address or an ``--allow-host``
name (against DNS rebinding), and accepts at most ``LIMIT_CONCURRENCY`` connections.
"""

from __future__ import annotations

import argparse
import math

from ..errors import OptionError

NAME = "serve"
MAX_WORKERS = 64
MAX_TIME_LIMIT = 3600.0
LIMIT_CONCURRENCY = 256  # open connections; more are answered 503 by uvicorn


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand's parser."""
    s = sub.add_parser(
        NAME, help="start the local web page",
        description="Serve matdiff's web page and its JSON API (POST /api/derivative; "
                    "OpenAPI at /openapi.json) on this machine. Nothing is fetched from "
                    "the internet and nothing is written to disk.")
    s.add_argument("--port", type=str, default="8000", help="TCP port (default 8000)")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    s.add_argument("--time-limit", type=str, default="10", metavar="SECONDS",
                   help="stop a computation after this many seconds (default 10, at most "
                        f"{MAX_TIME_LIMIT:g})")
    s.add_argument("--workers", type=str, default=None, metavar="N",
                   help="worker processes computing derivatives (default: CPU count, 2-4)")
    s.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests for this host name (the loopback names and "
                        "--host are always allowed); repeatable")


def _int(option: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise OptionError(f"{option} must be an integer, got {text!r}") from None
    if not low <= value <= high:
        raise OptionError(f"{option} must be between {low} and {high}, got {value}")
    return value


def _seconds(option: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise OptionError(f"{option} must be a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise OptionError(f"{option} must be positive and finite, got {text!r}")
    if value > MAX_TIME_LIMIT:
        raise OptionError(f"{option} must be at most {MAX_TIME_LIMIT:g} s, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    """Start uvicorn; returns when the server stops (Ctrl-C)."""
    port = _int("--port", args.port, 0, 65535)
    time_limit = _seconds("--time-limit", args.time_limit)
    workers = None if args.workers is None else _int("--workers", args.workers, 1,
                                                     MAX_WORKERS)
    host = str(args.host).strip()
    if not host or any(c.isspace() or c in "/?#@" for c in host):
        raise OptionError(f"--host must be an address or a host name, got {args.host!r}")
    for name in args.allow_host:
        if not name.strip() or any(c.isspace() or c in "/?#@" for c in name):
            raise OptionError(f"--allow-host must be a host name, got {name!r}")
    try:
        import uvicorn

        from ..web import create_app
    except ImportError as e:
        raise OptionError(f"the web page needs the 'web' extra ({e.name} is missing): "
                          "pip install 'matdiff[web]'") from None
    app = create_app(time_limit=time_limit, workers=workers, host=host,
                     allow_hosts=args.allow_host)
    shown = f"[{host}]" if ":" in host else host
    print(f"matdiff: serving on http://{shown}:{port}/  (Ctrl-C stops)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning",
                limit_concurrency=LIMIT_CONCURRENCY, timeout_keep_alive=5)
    return 0
