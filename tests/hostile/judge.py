"""The verdict on one outcome: the list of problems (empty: the case passes).

A case passes when it ends in matdiff's own error with a message (located at the
expected column where the case names one) or, for ``ok``, in a result that passes the
numeric check — and in either case within the time bound (a limit message may take
longer), with no traceback, no foreign exception, no 5xx, no non-JSON API error, no raw
control character echoed to a terminal, no internal name, and no undefined value printed
as an answer.
"""

from __future__ import annotations

import re
from typing import Any

# Words and forms that mean "undefined" when printed as an answer (names in the input
# are exempt: a variable may legally be called ``nan``).
_UNDEFINED_WORDS = re.compile(r"(?<![\w.])(nan|inf|infinity|zoo|undefined)(?![\w(])",
                              re.IGNORECASE)
_UNDEFINED_FORMS = [
    (re.compile(r"(?:\./|/)\s*\(*\s*0(?:\.0*)?(?![\w.])"), "a division by 0"),
    (re.compile(r"\blog\(\s*\(*\s*0\s*\)"), "log(0)"),
    (re.compile(r"\blog\(\s*\(*\s*-\s*\d"), "the log of a negative number"),
    (re.compile(r"\bsqrt\(\s*\(*\s*-\s*\d"), "the square root of a negative number"),
]
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")
_INTERNAL = [re.compile(r"\w@\d"), re.compile(r"please report it"),
             re.compile(r"Traceback \(most recent call last\)")]


def _kinds() -> tuple[str, ...]:
    """The ``kind`` of every MatdiffError subclass (the first word of a CLI error)."""
    from matdiff.errors import MatdiffError

    found, todo = set(), [MatdiffError]
    while todo:
        cls = todo.pop()
        found.add(cls.kind)
        todo += cls.__subclasses__()
    return tuple(sorted(found))


_LIMIT_KINDS = ("limit exceeded", "time limit exceeded", "request too large")


def _names(case: dict[str, Any]) -> set[str]:
    """Identifiers in the case's input (exempt from the undefined-word scan)."""
    text = repr(case["spec"])
    return {w.lower() for w in re.findall(r"[A-Za-z_]\w*", text)}


def undefined_in(text: str, case: dict[str, Any]) -> str | None:
    """What in ``text`` is an undefined value printed as an answer, if anything."""
    names = _names(case)
    for m in _UNDEFINED_WORDS.finditer(text):
        if m.group(1).lower() not in names:
            return f"prints {m.group(0)!r} as an answer"
    for pattern, what in _UNDEFINED_FORMS:
        m = pattern.search(text)
        if m and m.group(0) not in repr(case["spec"]):
            return f"prints {what} ({m.group(0)!r}) as an answer"
    return None


def _internal(text: str) -> str | None:
    for pattern in _INTERNAL:
        m = pattern.search(text)
        if m:
            return f"shows an internal detail or a crash: {m.group(0)!r}"
    return None


def _cli(case: dict[str, Any], out: dict[str, Any], problems: list[str]) -> bool:
    """Returns whether the run is an error (for the time rule)."""
    if out.get("raised"):
        problems.append(f"an exception escaped main(): {out['raised'][:300]}")
        return False
    rc, stdout, stderr = out["rc"], out["stdout"], out["stderr"]
    if rc not in (0, 1, 2):
        problems.append(f"exit status {rc} (stderr: {stderr.strip()[:300]!r})")
    for stream, text in (("stdout", stdout), ("stderr", stderr)):
        m = _CONTROL.search(text)
        if m:
            problems.append(f"a raw control character {m.group(0)!r} on {stream}")
        bad = _internal(text)
        if bad:
            problems.append(f"{stream} {bad}")
    expect = case["expect"]
    if rc == 2:
        first = stderr.strip().splitlines()[0] if stderr.strip() else ""
        if not (first.startswith(tuple(f"{k}:" for k in _kinds()))
                or first.startswith("usage:") or (not first and stdout.startswith("usage:"))):
            problems.append(f"exit 2 without matdiff's error message (stderr {first!r})")
        column = case.get("column")
        if isinstance(column, int) and f"(column {column})" not in stderr:
            problems.append(f"the error is not located at column {column}: {stderr[:300]!r}")
        elif column == "any" and "(column " not in stderr:
            problems.append(f"the error has no column: {stderr[:300]!r}")
        if expect == "ok":
            problems.append(f"expected a result, got an error: {stderr.strip()[:300]!r}")
        elif expect == "false":
            problems.append(f"expected exit 1, got an error: {stderr.strip()[:300]!r}")
        return True
    if rc in (0, 1):
        if expect == "error":
            problems.append(f"expected an error, got exit {rc} with {stdout.strip()[:200]!r}")
        elif expect == "false" and rc != 1:
            problems.append(f"expected exit 1 (false), got {rc}")
        elif expect in ("ok", "either") and rc != 0:
            problems.append(f"expected exit 0, got {rc}: {stdout.strip()[:200]!r}")
        bad = undefined_in(stdout, case)
        if bad:
            problems.append(f"stdout {bad}: {stdout.strip()[:200]!r}")
    return False


def _api(case: dict[str, Any], out: dict[str, Any], problems: list[str]) -> bool:
    raised, expect = out["raised"], case["expect"]
    if raised and not out["matdiff_error"]:
        problems.append(f"leaks {raised}: {out['message'][:300]}")
        return False
    if raised:
        message = out["message"]
        if not message.strip():
            problems.append(f"{raised} with an empty message")
        bad = _internal(message)
        if bad:
            problems.append(f"the message {bad}")
        column = case.get("column")
        if isinstance(column, int) and out["column"] != column:
            problems.append(f"the error is at column {out['column']}, not {column}: "
                            f"{message[:200]!r}")
        elif column == "any" and out["column"] is None:
            problems.append(f"the error has no column: {message[:200]!r}")
        if expect == "ok":
            problems.append(f"expected a result, got {raised}: {message[:300]!r}")
        return True
    if expect == "error":
        shown = " | ".join(t[:80] for t in out["texts"][:3])
        problems.append(f"expected an error, got a result: {shown!r}")
    if not out["finite"]:
        problems.append("returns non-finite numbers as an answer")
    for text in out["texts"]:
        bad = undefined_in(text, case) or _internal(text)
        if bad:
            problems.append(f"the result {bad}: {text[:200]!r}")
            break
        if text == "CHECK FAILED":
            problems.append("its own check() reports a failure")
    return False


def _path(case: dict[str, Any]) -> str:
    spec = case["spec"]
    if "raw" in spec:
        parts = spec["raw"].split(" ")
        return parts[1] if len(parts) > 1 else ""
    return str(spec.get("path", "/api/derivative"))


def _web(case: dict[str, Any], out: dict[str, Any], problems: list[str]) -> bool:
    status, body, expect = out["status"], out["body"], case["expect"]
    if status is None:
        if not case["spec"].get("stall"):  # a stalled request may be closed unanswered
            problems.append("no HTTP answer")
        return False
    if status >= 500:
        problems.append(f"HTTP {status}: {body[:300]!r}")
    required = case["spec"].get("require_headers", [])
    for header in required:
        if header.lower() not in out["headers"]:
            problems.append(f"no {header} header")
    if "Traceback" in body:
        problems.append("a traceback in the answer")
    if 400 <= status < 600:
        err = (out["json"] or {}).get("error") if isinstance(out["json"], dict) else None
        raw_ok = case["spec"].get("raw_error_ok", False)
        if not isinstance(err, dict) or not err.get("message"):
            if not raw_ok:
                problems.append(f"HTTP {status} without a JSON error message: {body[:200]!r}")
            return True
        bad = _internal(str(err.get("message")))
        if bad:
            problems.append(f"the message {bad}")
        column = case.get("column")
        if isinstance(column, int) and err.get("column") != column:
            problems.append(f"the error is at column {err.get('column')}, not {column}")
        elif column == "any" and err.get("column") is None:
            problems.append("the error has no column")
        if expect == "ok":
            problems.append(f"expected a result, got HTTP {status}: {err.get('message')!r}")
        return err.get("kind") in _LIMIT_KINDS
    if expect == "error":
        problems.append(f"expected a 4xx error, got HTTP {status}: {body[:200]!r}")
    if isinstance(out["json"], dict):
        check = out["json"].get("check")
        if isinstance(check, dict) and check.get("ok") is False:
            problems.append(f"its own check reports a failure: {check.get('summary')!r}")
        for key in ("text", "latex", "numpy", "value"):
            text = out["json"].get(key)
            bad = undefined_in(text, case) if isinstance(text, str) else None
            if bad:
                problems.append(f"{key} {bad}")
    elif _path(case).startswith("/api/") and status == 200:
        problems.append(f"a non-JSON answer: {body[:200]!r}")
    return False


def _claims(case: dict[str, Any], out: dict[str, Any]) -> list[str]:
    """``forbid``: statements a successful answer must not make (a false claim, e.g.
    that ``abs(a)`` is affine) — checked on what was printed or returned."""
    texts = [out.get("stdout", ""), out.get("body", ""), *out.get("texts", [])]
    return [f"claims {phrase!r}" for phrase in case["spec"].get("forbid", [])
            if any(phrase in t for t in texts if isinstance(t, str))]


def problems(case: dict[str, Any], out: dict[str, Any], bound: float) -> list[str]:
    """Everything wrong with ``out`` as the outcome of ``case`` (time bound ``bound``)."""
    if out.get("timeout"):
        return [f"no answer within {out.get('killed', f'{bound:.1f} s')} (killed)"]
    if "harness_error" in out:
        return [f"the harness could not run the case: {out['harness_error']}"]
    found: list[str] = []
    surface = case["surface"]
    if surface in ("cli", "subprocess"):
        is_error = _cli(case, out, found)
        limit_message = is_error and any(f"{k}:" in out["stderr"] for k in _LIMIT_KINDS)
    elif surface == "api":
        is_error = _api(case, out, found)
        limit_message = is_error and out["raised"] == "LimitError"
    else:
        limit_message = _web(case, out, found)
        if case["spec"].get("stall"):
            if out.get("probe_status") != 200:
                found.append(f"a good request got {out.get('probe_status')} while a client "
                             "stalled")
            elif out.get("probe_elapsed", 0) > bound:
                found.append(f"a good request took {out['probe_elapsed']:.1f} s while a "
                             "client stalled")
            if out.get("status") is None and not out.get("closed"):
                found.append("the stalled request is neither answered nor closed")
    # CPU time in-process (a loaded machine does not fail a case), else wall-clock time
    spent = out.get("cpu", out["elapsed"]) if surface in ("cli", "api") else out["elapsed"]
    if spent > bound and not limit_message:
        found.append(f"took {spent:.1f} s (bound {bound:.1f} s) without a limit message")
    found += _claims(case, out)
    check = out.get("check")
    if check is not None and not check["ok"]:
        found.append(f"numeric check: {check['detail'][:400]}")
    return found
