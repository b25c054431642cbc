"""The FastAPI application behind ``matdiff serve``: one static page and a JSON API.

Routes (the OpenAPI description at ``/openapi.json``):

- ``GET /``: the page (``static/index.html``; it uses only the API below);
- ``POST /api/derivative``: the arguments of :func:`matdiff.derivative` plus ``steps``,
  ``method``, ``lang`` and ``check``; answers text, LaTeX, MathML, NumPy / JAX / PyTorch
  code, shape, kind, layout, the steps and the numerical check;
- ``POST /api/variables``: the variables of an expression with their inferred type,
  dimensions and properties (the page's table);
- ``GET /api/examples``: the examples menu.

Safety (issue 7): user text is parsed, never evaluated; a body over ``max_body`` bytes
(64 KB) is refused with 413 before it is read further, an expression over 10,000
characters with 413; each computation runs in a worker process and is stopped after
``time_limit`` seconds (:mod:`.pool`), other requests being served meanwhile; nothing is
written to disk.  Every error is JSON ``{"error": {"kind", "message", ...}}`` with a
4xx status (5xx only for a bug), never a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..api import MAX_EXPRESSION_LENGTH as MAX_LENGTH
from .pool import WorkerPool

MAX_BODY = 64 * 1024
DEFAULT_TIME_LIMIT = 10.0

STATIC = ("index.html", "style.css", "app.js")
_MEDIA = {"html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
          "js": "text/javascript; charset=utf-8"}


class DerivativeRequest(BaseModel):
    """The arguments of :func:`matdiff.derivative`, and what else to compute."""

    model_config = ConfigDict(extra="forbid")

    expression: str = Field(description="the expression, e.g. tr(A*X*B*X'*C)",
                            examples=["tr(A*X*B*X'*C)"])
    wrt: str | list[str] = Field(description="the variable, or a list for higher orders "
                                             "(['x', 'x'] is the Hessian)")
    declare: list[str] | dict[str, str] | None = Field(
        default=None, description="declarations such as 'A: matrix(m,n) symmetric'")
    layout: str = Field(default="mixed", description="mixed, numerator or denominator")
    symmetric_gradient: str = Field(default="symmetrized",
                                    description="symmetrized ((G+G')/2) or cookbook")
    order: int | None = Field(default=None, description="differentiate this many times "
                                                        "by the one wrt variable")
    steps: bool = Field(default=True, description="include the step-by-step derivation")
    method: str = Field(default="differential",
                        description="derivation method: differential or limit")
    lang: str = Field(default="en", description="derivation language: en or zh")
    check: bool = Field(default=True, description="compare with finite differences")


class VariablesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expression: str
    declare: list[str] | dict[str, str] | None = None


def _error(status: int, kind: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"kind": kind, "message": message, **extra}},
                        status_code=status)


class BodyLimit:
    """ASGI middleware: refuse a request body over ``limit`` bytes with 413, by its
    ``Content-Length`` or, when streamed, as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        chunks: list[Message] = []
        size = 0
        while True:
            message = await receive()
            chunks.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = _error(413, "request too large",
                          f"the request body is larger than {self.limit // 1024} KB")
        await response(scope, receive, send)


def create_app(time_limit: float = DEFAULT_TIME_LIMIT, workers: int | None = None,
               max_body: int = MAX_BODY) -> FastAPI:
    """The application.  ``time_limit``: seconds a computation may run before it is
    stopped; ``workers``: worker processes (default: the CPU count, 2 to 4)."""
    size = workers if workers is not None else min(4, max(2, os.cpu_count() or 2))
    pool = WorkerPool(size, time_limit)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await pool.start()
        try:
            yield
        finally:
            await pool.stop()

    # /docs and /redoc would load Swagger UI / ReDoc from a CDN: nothing is fetched from
    # the internet, so only the OpenAPI description itself is served.
    app = FastAPI(title="matdiff", version="0.1.0", lifespan=lifespan, docs_url=None,
                  redoc_url=None,
                  description="Matrix calculus: derivatives of matrix expressions as a "
                              "textbook prints them, with the steps and generated code.")
    app.state.pool = pool

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for e in exc.errors():
            field = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
            problems.append(f"{field}: {e.get('msg', 'invalid')}" if field
                            else str(e.get("msg", "invalid")))
        return _error(422, "invalid request", "; ".join(problems) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, "http error", str(exc.detail))

    async def run(kind: str, payload: dict[str, Any]) -> JSONResponse:
        status, body = await pool.run(kind, payload)
        return JSONResponse(body, status_code=status)

    def too_long(expression: str) -> JSONResponse | None:
        if len(expression) <= MAX_LENGTH:
            return None
        return _error(413, "limit exceeded",
                      f"the expression has {len(expression):,} characters; the limit is "
                      f"{MAX_LENGTH:,}")

    @app.post("/api/derivative", summary="Differentiate an expression")
    async def derivative(req: DerivativeRequest) -> JSONResponse:
        return too_long(req.expression) or await run("derivative", req.model_dump())

    @app.post("/api/variables", summary="The variables of an expression, with types")
    async def variables(req: VariablesRequest) -> JSONResponse:
        return too_long(req.expression) or await run("variables", req.model_dump())

    @app.get("/api/examples", summary="The examples menu")
    async def examples() -> JSONResponse:
        from .examples import EXAMPLES

        return JSONResponse({"examples": [e.to_json() for e in EXAMPLES]})

    def static(name: str) -> Response:
        text = resources.files(__package__).joinpath("static", name).read_text("utf-8")
        media = _MEDIA[name.rsplit(".", 1)[1]]
        return Response(text, media_type=media, headers={"Cache-Control": "no-cache"})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> Response:
        return static("index.html")

    @app.get("/static/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        if name not in STATIC:
            return _error(404, "not found", f"no static file {json.dumps(name)}")
        return static(name)

    app.add_middleware(BodyLimit, limit=max_body)
    return app

