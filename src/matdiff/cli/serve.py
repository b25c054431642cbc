"""``matdiff serve [--port 8000] [--host 127.0.0.1]``: the local web page (issue 7)."""

from __future__ import annotations

import argparse

from ..errors import OptionError

NAME = "serve"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand's parser."""
    s = sub.add_parser(
        NAME, help="start the local web page",
        description="Serve matdiff's web page and its JSON API (POST /api/derivative; "
                    "OpenAPI at /openapi.json) on this machine. Nothing is fetched from "
                    "the internet and nothing is written to disk.")
    s.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    s.add_argument("--time-limit", type=float, default=10.0, metavar="SECONDS",
                   help="stop a computation after this many seconds (default 10)")
    s.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes computing derivatives (default: CPU count, 2-4)")


def run(args: argparse.Namespace) -> int:
    """Start uvicorn; returns when the server stops (Ctrl-C)."""
    if not 0 <= args.port <= 65535:
        raise OptionError(f"--port must be between 0 and 65535, got {args.port}")
    if args.time_limit <= 0:
        raise OptionError(f"--time-limit must be positive, got {args.time_limit}")
    if args.workers is not None and args.workers < 1:
        raise OptionError(f"--workers must be at least 1, got {args.workers}")
    try:
        import uvicorn

        from ..web import create_app
    except ImportError as e:
        raise OptionError(f"the web page needs the 'web' extra ({e.name} is missing): "
                          "pip install 'matdiff[web]'") from None
    app = create_app(time_limit=args.time_limit, workers=args.workers)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"matdiff: serving on http://{host}:{args.port}/  (Ctrl-C stops)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
