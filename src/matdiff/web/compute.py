"""The work behind each API route, run inside a worker process (see :mod:`.pool`).

Each handler takes the request as a plain dict (already validated by the app's models)
and returns ``(status, body)``.  User text goes to the parser and nowhere else: it is
never evaluated.  A :class:`~matdiff.errors.MatdiffError` becomes a 422 answer with its
kind, message and span (0-based ``start``/``end``, 1-based ``column``, and ``where``:
``"expression"`` or ``"declaration"``), so the page can highlight the column; anything
else is a bug and becomes a 500 with a one-line message — never a traceback.

The steps, the numerical check and each backend's code are extras: when one of them
fails (a step that fails its own numerical check, no point where the function is
defined, a size too large to sample), the derivative is still answered, with that extra
``null`` and the reason in ``unavailable`` (issue 15).  No answer holds a non-finite
number: JSON has none, so it is written as a string (:func:`finite`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, TypeVar

from .. import api
from ..errors import LimitError, MatdiffError, OptionError

Answer = tuple[int, dict[str, Any]]
BACKENDS = ("numpy", "jax", "torch")
T = TypeVar("T")


def finite(value: Any) -> Any:
    """``value`` with every non-finite float written as a string (``"inf"``, ``"nan"``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def _reason(what: str, e: BaseException) -> dict[str, str]:
    """Why an extra is unavailable, in the words of matdiff's error when it is one."""
    if isinstance(e, MatdiffError):
        return {"kind": e.kind, "message": e.message}
    if isinstance(e, RecursionError):
        return {"kind": "limit exceeded", "message": "the expression is too deeply nested"}
    # A derivation step failing its own numerical check (explain's StepCheckError) and
    # any other failure of an extra: the derivative above it stands on its own check.
    text = str(e).removeprefix("internal error: ").removesuffix("; please report it")
    return {"kind": f"{what} unavailable", "message": text or type(e).__name__}


def _optional(what: str, unavailable: dict[str, Any], compute: Callable[[], T]) -> T | None:
    """``compute()``, or ``None`` with the reason recorded under ``unavailable[what]``.
    A bad option (method, language) stays an error of the whole request."""
    try:
        return compute()
    except OptionError:
        raise
    except Exception as e:  # an extra may fail; the derivative stands on its own
        unavailable[what] = _reason(what, e)
        return None


def error_body(e: MatdiffError, expression: str) -> dict[str, Any]:
    """The JSON of an error: ``{"error": {kind, message, start, end, column, where}}``."""
    err: dict[str, Any] = {"kind": e.kind, "message": e.message}
    if e.span is not None:
        where = "expression" if e.source in (None, expression) else "declaration"
        err.update(start=e.span.start, end=e.span.end, column=e.span.column, where=where)
        if where == "declaration":
            err["source"] = e.source
    return {"error": err}


def _declarations(payload: dict[str, Any]) -> list[str] | dict[str, str]:
    declare = payload.get("declare")
    if declare is None:
        return []
    return declare if isinstance(declare, dict) else list(declare)


def variables(payload: dict[str, Any]) -> Answer:
    """The variables of an expression with their inferred type, dimensions and
    properties (declared ones included), and the expression's own shape."""
    with api.hints_for("web"):
        info = api.describe_expression(payload["expression"], _declarations(payload))
    rows = [{"name": v.name, "type": v.kind, "dims": list(v.dims),
             "properties": list(v.properties), "used": v.used, "reason": v.reason}
            for v in info.variables]
    return 200, {"expression": info.source, "kind": info.kind, "shape": list(info.shape),
                 "variables": rows, "warnings": list(info.warnings)}


def _steps(d: api.Derivative, method: str, lang: str) -> dict[str, Any]:
    derivation = d.derivation(method=method, lang=lang)  # validates method and lang
    return {"method": derivation.method, "lang": derivation.lang,
            "steps": [{"text": s.text, "latex": s.latex, "rule": s.rule, "source": s.source}
                      for s in derivation.steps]}


def derivative(payload: dict[str, Any]) -> Answer:
    """Everything the page shows for one derivative (see ``DerivativeRequest``)."""
    with api.hints_for("web"):
        d = api.derivative(payload["expression"], payload["wrt"],
                           declare=_declarations(payload),
                           layout=payload.get("layout", "mixed"),
                           symmetric_gradient=payload.get("symmetric_gradient",
                                                          "symmetrized"),
                           order=payload.get("order"))
        warnings = list(d.warnings)
    unavailable: dict[str, Any] = {}
    code = {backend: _optional(backend, unavailable, functools.partial(d.code, backend))
            for backend in BACKENDS}
    body: dict[str, Any] = {
        "expression": d.source,
        "wrt": [str(v.attrs[0]) for v in d.wrt_variables],
        "order": d.order,
        "kind": d.kind,
        "layout": d.layout,
        "symmetric_gradient": d.options.symmetric_gradient,
        "shape": [str(s) for s in d.shape],
        "description": d.describe(),
        "expansions": list(d.expansions),
        "variables": d.variable_types(),
        "warnings": warnings,
        "matrix_form": d.result is not None,
        "text": d.text,
        "latex": d.latex,
        "mathml": d.mathml,
        "equation_mathml": d.equation_mathml,
        "index_text": d.index_text,
        "kronecker_text": d.kronecker_text,
        "kronecker_latex": d.kronecker_latex,
        "kronecker_mathml": d.kronecker_mathml,
        **code,
        "code": code,
        "steps": None,
        "check": None,
        "unavailable": unavailable,
    }
    if payload.get("steps", True):
        body["steps"] = _optional("steps", unavailable, lambda: _steps(
            d, payload.get("method", "differential"), payload.get("lang", "en")))
    if payload.get("check", True):
        body["check"] = _optional("check", unavailable, lambda: _check(d))
    return 200, body


def _check(d: api.Derivative) -> dict[str, Any]:
    c = d.check()
    if not math.isfinite(c.max_relative_error):
        # Finite differences of a finite function met a non-finite derivative value.
        return {"ok": False, "max_relative_error": None,
                "summary": "CHECK FAILED: the derivative is not finite at a sampled point "
                           "where the function is"}
    return {"ok": c.ok, "max_relative_error": c.max_relative_error, "summary": str(c)}


def _warm_up(payload: dict[str, Any]) -> Answer:
    """Import and exercise the engine once, so a worker's first request is fast."""
    return derivative({"expression": "tr(A*X*B*X'*C)", "wrt": "X", "check": False})


HANDLERS: dict[str, Callable[[dict[str, Any]], Answer]] = {
    "derivative": derivative,
    "variables": variables,
    "warm-up": _warm_up,
}


def handle(kind: str, payload: dict[str, Any]) -> Answer:
    """Run one job; every outcome is an answer, never an exception."""
    expression = str(payload.get("expression", ""))
    try:
        status, body = HANDLERS[kind](payload)
        return status, finite(body)
    except MatdiffError as e:
        return 422, error_body(e, expression)
    except RecursionError:
        return 422, error_body(LimitError("the expression is too deeply nested"), expression)
    except Exception as e:  # a bug: say so in one line, keep the worker alive
        return 500, {"error": {"kind": "internal error",
                               "message": f"internal error (please report it): "
                                          f"{type(e).__name__}: {e}"}}
