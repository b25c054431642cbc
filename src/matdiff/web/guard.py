"""ASGI middleware for a local server that a browser talks to (issue 15).

- :class:`Guard` (outermost): security headers on every response — a Content-Security-
  Policy that allows only the page's own script, style and API (no inline code, no
  framing: ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), ``nosniff`` and
  ``Referrer-Policy: no-referrer``; and a Host allow-list against DNS rebinding: a page
  on another site whose name was re-pointed at 127.0.0.1 sends its own name as Host, and
  is refused with 421 before anything runs.
- :class:`BodyLimit`: a body over ``limit`` bytes is refused with 413 (by its
  ``Content-Length`` or as soon as a streamed body passes it), and a body that does not
  arrive within ``timeout`` seconds with 408, so a slow client cannot hold a connection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


def error(status: int, kind: str, message: str, **extra: Any) -> JSONResponse:
    """matdiff's JSON error: ``{"error": {"kind", "message", ...}}``."""
    return JSONResponse({"error": {"kind": kind, "message": message, **extra}},
                        status_code=status)


def host_name(header: str) -> str:
    """The name in a Host header, without its port: ``[::1]:8000`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    if header.count(":") == 1:
        return header.split(":", 1)[0]
    return header


def allowed_hosts(bound: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The loopback names, the address the server is bound to and the names given
    explicitly.  A wildcard address (``0.0.0.0``) allows only itself as a literal: the
    machine's other names must be given (``--allow-host``), since any name might be an
    attacker's re-pointed one."""
    names = set(LOOPBACK) | {host_name(h) for h in extra}
    literal = bound.strip().lower().strip("[]")
    if literal:
        names.add(literal)
    return frozenset(names)


class Guard:
    """Security headers on every response; requests for other hosts refused (421)."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message = {**message, "headers": [
                    *message.get("headers", []),
                    *((k, v) for k, v in HEADERS if k not in present)]}
            await send(message)

        raw = dict(scope.get("headers") or []).get(b"host")
        name = host_name(raw.decode("latin-1")) if raw is not None else ""
        if name not in self.hosts:
            shown = ", ".join(sorted(self.hosts))
            response = error(421, "wrong host",
                             f"this matdiff server answers only for {shown}; the request "
                             f"was for {name or 'no host'!r} (a protection against DNS "
                             "rebinding: open the page by one of those names, or start "
                             "the server with --allow-host)")
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuse a request body over ``limit`` bytes (413) or slower than ``timeout``
    seconds in all (408)."""

    def __init__(self, app: ASGIApp, limit: int, timeout: float) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(scope, receive, send)
            return
        chunks: list[Message] = []
        size = 0
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline -
                                                                time.monotonic()))
            except TimeoutError:
                response = error(408, "request timeout",
                                 f"the request body did not arrive within {self.timeout:g} s")
                await response(scope, receive, send)
                return
            chunks.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error(413, "request too large",
                         f"the request body is larger than {self.limit // 1024} KB")
        await response(scope, receive, send)
