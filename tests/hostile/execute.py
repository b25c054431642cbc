"""Run one hostile case in this process and record what happened (an ``Outcome`` dict).

Nothing here judges: :mod:`judge` decides.  Every outcome is a plain, picklable dict:
``elapsed`` (seconds), and per surface

- ``cli`` / ``subprocess``: ``rc``, ``stdout``, ``stderr`` (``raised``: an exception that
  escaped ``main``, with its traceback — ``main`` must never let one out);
- ``api``: ``raised`` (type name), ``matdiff_error`` (is it a ``MatdiffError``),
  ``message``, ``column``, ``texts`` (every string produced), ``finite`` (every array
  produced is finite);
- ``web`` / ``http``: ``status``, ``content_type``, ``body``, ``json``, ``headers``;
- ``check``: the numeric check of an ``ok`` case, ``{"ok": bool, "detail": str}``.

Values the case file cannot spell are encoded as strings: ``"$int:10^30"`` (a big
integer), ``"$int:7*5000"`` (a 5000-digit integer), ``"$complex:1+2j"``,
``"$float:1e400"``, ``"$sympy:Float('1e400')*x"`` (a SymPy expression, for
``from_sympy``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from typing import Any

import numpy as np

Outcome = dict[str, Any]
_TEXT_LIMIT = 20_000


def decode(value: Any) -> Any:
    """The value a case means (see the module docstring), recursively."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    if not isinstance(value, str) or not value.startswith("$"):
        return value
    tag, _, body = value[1:].partition(":")
    if tag == "int":
        if "^" in body:
            base, exp = body.split("^")
            return int(base) ** int(exp)
        if "*" in body:
            digit, count = body.split("*")
            return int(digit) * (10 ** int(count) - 1) // 9  # (a string this long is refused)
        return int(body)
    if tag == "complex":
        return complex(body)
    if tag == "float":
        return float(body)
    if tag == "sympy":
        import sympy

        return sympy.sympify(body)
    if tag == "str":
        return body
    if tag == "none":
        return None
    if tag == "bytes":
        return body.encode()
    raise ValueError(f"unknown encoded value {value!r}")


@contextlib.contextmanager
def _tmpdir() -> Iterator[str]:
    path = tempfile.mkdtemp(prefix="matdiff-hostile-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _materialise(spec: dict[str, Any], tmp: str) -> list[str]:
    """Write the case's files into ``tmp`` and return its argv with ``{tmp}`` filled."""
    for name, content in spec.get("files", {}).items():
        path = os.path.join(tmp, name)
        if name.endswith(".npy") and isinstance(content, list):
            np.save(path, np.asarray(decode(content)))
        elif name.endswith("/"):
            os.makedirs(path, exist_ok=True)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(content)
    return [a.replace("{tmp}", tmp) for a in spec["argv"]]


def _clip(text: str) -> str:
    return text if len(text) <= _TEXT_LIMIT else text[:_TEXT_LIMIT] + "...[clipped]"


def run_cli(spec: dict[str, Any]) -> Outcome:
    from matdiff.cli import main

    out, err = io.StringIO(), io.StringIO()
    raised = None
    with _tmpdir() as tmp:
        argv = _materialise(spec, tmp)
        cwd = os.getcwd()
        os.chdir(tmp)  # relative output paths land in the case's own directory
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    rc: Any = main(argv)
                except SystemExit as e:  # argparse's usage errors
                    rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
        except BaseException as e:
            rc = None
            raised = f"{type(e).__name__}: {e}\n{traceback.format_exc()}"
        finally:
            os.chdir(cwd)
        written = sorted(os.listdir(tmp))
    return {"rc": rc, "stdout": _clip(out.getvalue()), "stderr": _clip(err.getvalue()),
            "raised": raised, "written": written}


def run_subprocess(spec: dict[str, Any], limit: float) -> Outcome:
    with _tmpdir() as tmp:
        argv = _materialise(spec, tmp)
        env = dict(os.environ)
        try:
            p = subprocess.run([sys.executable, "-m", "matdiff", *argv], cwd=tmp, env=env,
                               capture_output=True, text=True, timeout=limit,
                               input=spec.get("stdin", ""))
        except subprocess.TimeoutExpired:
            return {"rc": None, "stdout": "", "stderr": "", "raised": None, "timeout": True}
    return {"rc": p.returncode, "stdout": _clip(p.stdout), "stderr": _clip(p.stderr),
            "raised": None}


# --- the Python API ----------------------------------------------------------------------

def _entry(name: str) -> Any:
    import matdiff
    from matdiff import api

    if name == "describe_expression":
        return api.describe_expression
    return getattr(matdiff, name)


def _collect(value: Any, texts: list[str], finite: list[bool]) -> None:
    if isinstance(value, str):
        texts.append(value)
    elif isinstance(value, np.ndarray | float | int | np.floating) and not isinstance(
            value, bool):
        arr = np.asarray(value)
        if arr.dtype.kind in "fc":
            finite.append(bool(np.all(np.isfinite(arr))))
    elif isinstance(value, tuple | list):
        for v in value:
            _collect(v, texts, finite)


def run_api(spec: dict[str, Any]) -> Outcome:
    """``call(*args, **kwargs)``, then each step of ``then`` on its result:
    ``["text"]`` (an attribute), ``["at", [args], {kwargs}]`` (a method), ``["str"]``,
    ``["compile_call", backend, {values}]`` (compile, then call with the values)."""
    import matdiff

    texts: list[str] = []
    finite: list[bool] = []
    out: Outcome = {"raised": None, "matdiff_error": False, "message": "", "column": None,
                    "texts": texts, "finite": True}
    try:
        with _tmpdir() as tmp:
            args = [a.replace("{tmp}", tmp) if isinstance(a, str) else a
                    for a in decode(spec.get("args", []))]
            result = _entry(spec["call"])(*args, **decode(spec.get("kwargs", {})))
            _collect(result, texts, finite)
            for step in spec.get("then", []):
                name, *rest = step
                rest = decode(rest)
                if name == "str":
                    value: Any = str(result)
                elif name == "eval_numpy":  # the one-line NumPy code, with only np in scope
                    env = {k: np.asarray(v, dtype=float) for k, v in rest[0].items()}
                    with np.errstate(all="raise"):
                        value = np.asarray(eval(result.numpy, {"np": np, **env}),
                                           dtype=float)
                elif name in ("compile_call", "compile_call_lists"):
                    backend, values = rest
                    if name == "compile_call":  # arrays (lists: compile_call_lists)
                        values = {k: np.asarray(v) for k, v in values.items()}
                    value = result.compile(backend)(**values)
                    value = np.asarray(value.detach() if hasattr(value, "detach") else value,
                                       dtype=float)
                else:
                    attr = getattr(result, name)
                    if rest or callable(attr):
                        a = rest[0] if rest else []
                        kw = rest[1] if len(rest) > 1 else {}
                        value = attr(*a, **kw)
                    else:
                        value = attr
                    if name == "check":
                        texts.append(str(value))
                        finite.append(np.isfinite(value.max_relative_error))
                        if not value.ok:
                            texts.append("CHECK FAILED")
                _collect(value, texts, finite)
            out["result"] = result
    except matdiff.MatdiffError as e:
        out.update(raised=type(e).__name__, matdiff_error=True, message=e.message,
                   rendered=e.render(), column=e.column)
    except BaseException as e:
        out.update(raised=type(e).__name__, message=f"{e}"[:2000],
                   traceback=traceback.format_exc()[-4000:])
    out["texts"] = [_clip(t) for t in texts]
    out["finite"] = all(finite)
    return out


# --- the web API -------------------------------------------------------------------------

_CLIENT: Any = None


def start_web_client(limit: float) -> Any:
    """The TestClient of one app (two pool workers: one may be restarting after a time
    limit while the other serves), started once per harness worker."""
    global _CLIENT
    if _CLIENT is None:
        import warnings

        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

        from matdiff.web import create_app

        _CLIENT = TestClient(create_app(time_limit=limit, workers=2),
                             raise_server_exceptions=False,
                             base_url="http://127.0.0.1")
        _CLIENT.__enter__()
    return _CLIENT


def _web_result(status: int, content_type: str, body: str,
                headers: dict[str, str]) -> Outcome:
    parsed = None
    with contextlib.suppress(ValueError):
        parsed = json.loads(body)
    return {"status": status, "content_type": content_type, "body": _clip(body),
            "json": parsed, "headers": headers}


BUSY_WAIT = 20.0  # seconds a case waits for the app's workers to be back (see run_web)


def run_web(spec: dict[str, Any], limit: float) -> Outcome:
    """One request through the TestClient.  A 503 "busy" answer (both app workers are
    restarting after earlier cases hit the time limit: load, not this input) is retried
    after a pause; only the last attempt is timed."""
    client = start_web_client(limit)
    kw: dict[str, Any] = {"headers": spec.get("headers", {})}
    if "json" in spec:
        kw["json"] = decode(spec["json"])
    elif "content" in spec:
        kw["content"] = spec["content"]
    give_up = time.monotonic() + BUSY_WAIT
    while True:
        t0 = time.perf_counter()
        r = client.request(spec.get("method", "POST"), spec.get("path", "/api/derivative"),
                           **kw)
        busy = r.status_code == 503 and '"busy"' in r.text
        if not busy or time.monotonic() > give_up:
            break
        time.sleep(0.5)
    out = _web_result(r.status_code, r.headers.get("content-type", ""), r.text,
                      {k.lower(): v for k, v in r.headers.items()})
    out["elapsed"] = time.perf_counter() - t0
    return out


# --- raw HTTP against a real server --------------------------------------------------------

def _read_response(sock: socket.socket, deadline: float) -> bytes:
    data = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), None)
            if length is not None and len(rest) >= length:
                break
    return data


def _parse_raw(data: bytes) -> Outcome:
    if not data:
        return {"status": None, "content_type": "", "body": "", "json": None, "headers": {}}
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if len(lines[0].split()) > 1 else None
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return _web_result(status or 0, headers.get("content-type", ""),
                       body.decode("utf-8", "replace"), headers)


def run_http(spec: dict[str, Any], port: int, limit: float) -> Outcome:
    """Send ``raw`` (bytes, ``{port}`` filled) and read the answer; ``stall``: send the
    head and part of the body, then nothing, while a good request (``probe``) must be
    answered meanwhile; the stalled one must be answered or closed within ``limit``."""
    text = spec["raw"].replace("{port}", str(port))
    head, sep, body = text.partition("\r\n\r\n")
    text = head.replace("{len}", str(len(body.encode("utf-8")))) + sep + body
    raw = text.encode("utf-8")
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        sock.sendall(raw)
        out: Outcome = {}
        if spec.get("stall"):
            t0 = time.monotonic()
            probe = socket.create_connection(("127.0.0.1", port), timeout=5)
            probe.sendall(spec["probe"].replace("{port}", str(port)).encode("latin-1"))
            answer = _parse_raw(_read_response(probe, t0 + limit))
            probe.close()
            out["probe_status"] = answer["status"]
            out["probe_elapsed"] = time.monotonic() - t0
            data = _read_response(sock, time.monotonic() + spec.get("stall_limit", limit))
            out.update(_parse_raw(data))
            out["closed"] = bool(data) or _closed(sock)
            return out
        out.update(_parse_raw(_read_response(sock, time.monotonic() + limit)))
        return out
    finally:
        sock.close()


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(0.01)
    try:
        return sock.recv(1) == b""
    except (TimeoutError, OSError):
        return False


def execute(case: dict[str, Any], limit: float, port: int | None = None) -> Outcome:
    """Run ``case`` (a :class:`cases.Case` as a dict) within ``limit`` seconds where the
    run itself can be bounded (a subprocess, an HTTP read); the time is in ``elapsed``
    (wall clock) and ``cpu`` (this process)."""
    spec = case["spec"]
    surface = case["surface"]
    t0, c0 = time.perf_counter(), time.process_time()
    if surface == "cli":
        out = run_cli(spec)
    elif surface == "subprocess":
        out = run_subprocess(spec, limit)
    elif surface == "api":
        out = run_api(spec)
    elif surface == "web":
        out = run_web(spec, limit)
    elif surface == "http":
        assert port is not None, "http cases need a running server"
        out = run_http(spec, port, limit)
    else:
        raise ValueError(f"unknown surface {surface!r}")
    out.setdefault("elapsed", time.perf_counter() - t0)
    out["cpu"] = time.process_time() - c0  # this process only (cli and api cases)
    from .numeric import numeric_check  # after the run: its time is not the case's

    result = out.pop("result", None)
    if case["expect"] in ("ok", "either") and case.get("check"):
        out["check"] = numeric_check(case, out, result)
    return out
