"""The FastAPI application behind ``matdiff serve``: one static page and a JSON API.

Routes (the OpenAPI description at ``/openapi.json``):

- ``GET /``: the page (``static/index.html``; it uses only the API below);
- ``POST /api/derivative``: the arguments of :func:`matdiff.derivative` plus ``steps``,
  ``method``, ``lang`` and ``check``; answers text, LaTeX, MathML, NumPy / JAX / PyTorch
  code, shape, kind, layout, the steps and the numerical check;
- ``POST /api/variables``: the variables of an expression with their inferred type,
  dimensions and properties (the page's table);
- ``GET /api/examples``: the examples menu.

Safety (issues 7 and 15): user text is parsed, never evaluated; a body over
``max_body`` bytes (64 KB) is refused with 413 before it is read further, one slower
than ``body_timeout`` with 408, an expression over 10,000 characters with 413, an order
over the engine's limit with 422; requests for a host other than the loopback names and
the bound address are refused with 421 and every response carries security headers
(:mod:`.guard`); each computation runs in a worker process, is stopped after
``time_limit`` seconds or when its client disconnects, and long computations never take
the last worker (:mod:`.pool`); nothing is written to disk.  Every error is JSON
``{"error": {"kind", "message", ...}}`` with a 4xx status (5xx only for a bug or a
busy server), never a traceback; no answer holds a non-finite number.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..api import MAX_EXPRESSION_LENGTH as MAX_LENGTH
from ..api import MAX_ORDER
from .compute import finite
from .guard import BodyLimit, Guard, allowed_hosts
from .guard import error as _error
from .pool import WorkerPool

MAX_BODY = 64 * 1024
DEFAULT_TIME_LIMIT = 10.0
BODY_TIMEOUT = 5.0  # seconds for a body of at most 64 KB over loopback
NAME = 200  # characters in a variable name or an option
DECLARATION = 1000  # characters in one declaration
DECLARATIONS = 1000  # declarations in one request

STATIC = ("index.html", "style.css", "table.js", "app.js")
_MEDIA = {"html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
          "js": "text/javascript; charset=utf-8"}


Name = Annotated[str, Field(max_length=NAME)]
Declarations = (list[Annotated[str, Field(max_length=DECLARATION)]]
                | dict[Name, Annotated[str, Field(max_length=DECLARATION)]] | None)


class DerivativeRequest(BaseModel):
    """The arguments of :func:`matdiff.derivative`, and what else to compute."""

    model_config = ConfigDict(extra="forbid")

    expression: str = Field(description="the expression, e.g. tr(A*X*B*X'*C)",
                            examples=["tr(A*X*B*X'*C)"])
    wrt: Name | list[Name] = Field(description="the variable, or a list for higher orders "
                                               "(['x', 'x'] is the Hessian)",
                                   max_length=4 * MAX_ORDER)
    declare: Declarations = Field(
        default=None, description="declarations such as 'A: matrix(m,n) symmetric'")
    layout: Name = Field(default="mixed", description="mixed, numerator or denominator")
    symmetric_gradient: Name = Field(default="symmetrized",
                                     description="symmetrized ((G+G')/2) or cookbook")
    order: int | None = Field(default=None, description="differentiate this many times "
                                                        f"by the one wrt variable (1 to "
                                                        f"{MAX_ORDER})")
    steps: bool = Field(default=True, description="include the step-by-step derivation")
    method: Name = Field(default="differential",
                         description="derivation method: differential or limit")
    lang: Name = Field(default="en", description="derivation language: en or zh")
    check: bool = Field(default=True, description="compare with finite differences")


class VariablesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expression: str
    declare: Declarations = None


def create_app(time_limit: float = DEFAULT_TIME_LIMIT, workers: int | None = None,
               max_body: int = MAX_BODY, host: str = "127.0.0.1",
               allow_hosts: Iterable[str] = (), body_timeout: float = BODY_TIMEOUT,
               **pool_options: Any) -> FastAPI:
    """The application.  ``time_limit``: seconds a computation may run before it is
    stopped; ``workers``: worker processes (default: the CPU count, 2 to 4); ``host``:
    the address the server is bound to, which with the loopback names and
    ``allow_hosts`` is what the Host header may name; ``pool_options``: see
    :class:`.pool.WorkerPool`."""
    size = workers if workers is not None else min(4, max(2, os.cpu_count() or 2))
    if not (isinstance(body_timeout, (int, float)) and math.isfinite(body_timeout)
            and body_timeout > 0):
        raise ValueError(f"the body timeout must be a positive number of seconds, got "
                         f"{body_timeout!r}")
    pool = WorkerPool(size, time_limit, **pool_options)
    hosts = allowed_hosts(host, allow_hosts)

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

    async def run(kind: str, payload: dict[str, Any], request: Request) -> JSONResponse:
        status, body = await pool.run(kind, payload, request.is_disconnected)
        return JSONResponse(finite(body), status_code=status)

    def too_long(expression: str) -> JSONResponse | None:
        if len(expression) <= MAX_LENGTH:
            return None
        return _error(413, "limit exceeded",
                      f"the expression has {len(expression):,} characters; the limit is "
                      f"{MAX_LENGTH:,}")

    @app.post("/api/derivative", summary="Differentiate an expression")
    async def derivative(req: DerivativeRequest, request: Request) -> JSONResponse:
        if req.order is not None and req.order > MAX_ORDER:
            # checked here: the engine would first build a list of that many variables
            return _error(422, "invalid option", f"order {req.order:,} is too high; "
                          f"matdiff computes up to order {MAX_ORDER}")
        if req.declare is not None and len(req.declare) > DECLARATIONS:
            return _error(413, "limit exceeded", f"{len(req.declare):,} declarations; "
                          f"the limit is {DECLARATIONS:,}")
        return too_long(req.expression) or await run("derivative", req.model_dump(),
                                                     request)

    @app.post("/api/variables", summary="The variables of an expression, with types")
    async def variables(req: VariablesRequest, request: Request) -> JSONResponse:
        if req.declare is not None and len(req.declare) > DECLARATIONS:
            return _error(413, "limit exceeded", f"{len(req.declare):,} declarations; "
                          f"the limit is {DECLARATIONS:,}")
        return too_long(req.expression) or await run("variables", req.model_dump(),
                                                     request)

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

    app.add_middleware(BodyLimit, limit=max_body, timeout=body_timeout)
    app.add_middleware(Guard, hosts=hosts)  # added last: the outermost layer
    return app

