"""Values at a point: read from the command line (``x=1,y=-2``, ``[1,2]``, ``@file.npy``),
typed from their shapes, and printed so that exact inputs give exact-looking numbers.

Inline numbers are read exactly (``0.5`` is the fraction 1/2, ``1/3`` is allowed), so a
polynomial evaluated at them can print ``2(x - 1) - 4(y + 2)`` rather than ``2.0000000001``;
vectors and matrices are lists such as ``[[1, 1/2], [0, -3]]`` (read by a small reader
of numbers, brackets and commas, never ``eval``); ``@file.npy`` and ``@file.json`` (read
with :mod:`json`) read a file.  A value is an ``Fraction`` (scalar) or a NumPy array of
dtype ``object`` holding ``Fraction`` entries when exact, else a float64 array.

Every number is checked before it is converted: one optional sign (``+-1`` is refused,
not read as 1), at most :data:`~matdiff.parse.syntax.MAX_DIGITS` digits and an exponent
within ±:data:`~matdiff.parse.syntax.MAX_EXPONENT` (so ``1e99999999`` is refused at once
rather than computing 10**99999999), finite, real, and inside float64's range (the
derivative is evaluated in floating point too).  Values from Python are checked the same
way by :func:`checked_value`.
"""

from __future__ import annotations

import decimal
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import EvaluationError, MatdiffError, OptionError
from ..parse.declarations import default_kind
from ..parse.syntax import number_value
from ..spans import Span, printable

Value = Fraction | float | NDArray[Any]
"""A scalar as an exact fraction (or a float), or an array (``object`` of Fractions, or
float64)."""

MAX_FILE_BYTES = 50_000_000
FLOAT_MAX = Fraction(np.finfo(np.float64).max)
SUMMARY_ENTRIES = 16
"""Arrays with more entries are echoed as ``<1000x20 array from big.npy>``."""

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HINT = ("numbers look like 5, -2.5, 1e-3, 1/3; vectors [1,2,3]; matrices [[1,2],[3,4]]; "
         "files @x.npy")


def _shown(text: str) -> str:
    """``text`` quoted for a message: escaped, and cut when long."""
    t = text if len(text) <= 40 else f"{text[:30]}... ({len(text)} characters)"
    return repr(t)  # repr escapes every non-printing character, as printable() does


def split_top_level(text: str) -> list[str]:
    """``"x=1,v=[1,2],A=[[1,2],[3,4]]"`` -> the three items (commas inside brackets stay)."""
    items: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise OptionError(f"unbalanced ']' at column {i + 1} of {_shown(text)}")
        elif ch == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    if depth:
        raise OptionError(f"unbalanced '[' in {_shown(text)}")
    items.append(text[start:].strip())
    if any(not item for item in items):
        raise OptionError(f"empty item in {_shown(text)} (write name=value items separated by "
                          "commas, e.g. x=1,y=-2,z=5)")
    return items


def _in_float_range(value: Fraction, shown: str, where: str) -> Fraction:
    if abs(value) > FLOAT_MAX:
        raise OptionError(f"{where}: {shown} is beyond the floating-point range "
                          "(about ±1.8e308)")
    if value != 0 and float(value) == 0:
        raise OptionError(f"{where}: {shown} is too small for floating point (it "
                          "would be read as 0)")
    return value


def _decimal(text: str, where: str) -> Fraction:
    """One decimal number with at most one sign, its size checked before conversion."""
    t = text.strip()
    if not _NUMBER.fullmatch(t):
        raise OptionError(f"{where}: not a number: {_shown(text)} ({_HINT})")
    body = t.lstrip("+-")
    try:
        value = number_value(body, Span(0, len(body)))
    except MatdiffError as e:  # too many digits, exponent too large: say where
        raise OptionError(f"{where}: {e.message}") from None
    return -value if t.startswith("-") else value


def read_number(text: str, where: str = "value") -> Fraction:
    """An exact number: ``5``, ``-2.5``, ``1e-3``, ``1/3`` (one sign; ``+-1`` is refused)."""
    num, slash, den = text.strip().partition("/")
    value = _decimal(num, where)
    if slash:
        d = _decimal(den, where)
        if d == 0:
            raise OptionError(f"{where}: division by zero in the number {_shown(text)}")
        value /= d
    return _in_float_range(value, _shown(text), where)


def _json_number(where: str) -> Any:
    def parse(token: str) -> Fraction:
        return read_number(token, where)
    return parse


def _json_constant(where: str) -> Any:
    def refuse(token: str) -> Fraction:
        raise OptionError(f"{where}: {token} is not a number matdiff evaluates at (give "
                          "finite real numbers)")
    return refuse


def _check_depth(text: str, where: str) -> None:
    """Nesting deeper than a matrix is refused before parsing (a deep list would
    otherwise exhaust the recursion limit)."""
    depth = deepest = 0
    for ch in text:
        depth += (ch == "[") - (ch == "]")
        deepest = max(deepest, depth)
    if deepest > 2:
        raise OptionError(f"{where}: a value has at most 2 axes (a matrix), got lists "
                          f"nested {deepest} deep")


def _load_json(text: str, where: str) -> Any:
    """JSON with every number exact and checked (``NaN``, ``Infinity`` refused)."""
    _check_depth(text, where)
    return json.loads(text, parse_float=_json_number(where), parse_int=_json_number(where),
                      parse_constant=_json_constant(where))


def _exact_array(data: Any, where: str) -> Value:
    """A JSON number or nested list -> a Fraction or an object array of Fractions."""
    def conv(v: Any) -> Any:
        if isinstance(v, list):
            return [conv(u) for u in v]
        if isinstance(v, bool) or not isinstance(v, Fraction):
            raise OptionError(f"{where}: entries must be numbers, got {_json_kind(v)}")
        return v
    converted = conv(data)
    if isinstance(converted, Fraction):
        return converted
    arr = np.empty(_json_shape(converted, where), dtype=object)
    arr[...] = converted
    return arr


def _json_kind(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f"the string {_shown(v)}"
    return {dict: "an object {...}", type(None): "null"}.get(type(v), type(v).__name__)


def _json_shape(data: Any, where: str) -> tuple[int, ...]:
    if not isinstance(data, list):
        return ()
    if not data:
        raise OptionError(f"{where}: empty list")
    inner = [_json_shape(d, where) for d in data]
    if any(s != inner[0] for s in inner):
        raise OptionError(f"{where}: rows of different lengths")
    return (len(data), *inner[0])


def read_value(text: str, where: str = "value") -> Value:
    """One value: a number, a JSON list, or ``@file.npy`` / ``@file.json``."""
    t = text.strip()
    if t.startswith("@"):
        return _read_file(Path(t[1:]), where)
    if t.startswith("["):
        return _exact_array(_read_list(t, where), where)
    return read_number(t, where)


def _read_list(text: str, where: str) -> list[Any]:
    """``[1, -2.5, 1/3]`` or ``[[1,2],[3,4]]``: lists of numbers as :func:`read_number`
    reads them (fractions included, so every printed value reads back)."""
    _check_depth(text, where)
    tokens = re.findall(r"\[|\]|,|[^\[\],\s]+|\s+", text)
    stack: list[list[Any]] = []
    done: list[Any] | None = None
    expect_item = True
    for tok in tokens:
        if tok.isspace():
            continue
        if done is not None:
            raise OptionError(f"{where}: unexpected {_shown(tok)} after the list {_shown(text)}")
        if tok == "[":
            if not expect_item:
                raise OptionError(f"{where}: a ',' is missing before '[' in {_shown(text)}")
            stack.append([])
        elif tok == "]":
            items = stack.pop()
            if expect_item and items:
                raise OptionError(f"{where}: an entry is missing before ']' in {_shown(text)}")
            if stack:
                stack[-1].append(items)
            else:
                done = items
            expect_item = False
        elif tok == ",":
            if expect_item:
                raise OptionError(f"{where}: an entry is missing before ',' in {_shown(text)}")
            expect_item = True
        else:
            if not expect_item:
                raise OptionError(f"{where}: a ',' is missing before {_shown(tok)} in "
                                  f"{_shown(text)}")
            stack[-1].append(read_number(tok, where))
            expect_item = False
    if done is None:
        raise OptionError(f"{where}: unbalanced '[' in {_shown(text)}")
    return done


def _read_file(path: Path, where: str) -> Value:
    shown = _shown(str(path))
    try:
        usable = b"\0" not in os.fsencode(path)
    except UnicodeError:
        usable = False
    if not usable:
        raise OptionError(f"{where}: {shown} is not a valid file name")
    if not path.exists():
        raise OptionError(f"{where}: no such file {shown}")
    if not path.is_file():
        raise OptionError(f"{where}: {shown} is not a file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise OptionError(f"{where}: {shown} is larger than {MAX_FILE_BYTES:,} bytes")
        if path.suffix == ".npy":
            return _npy(path, where)
        if path.suffix == ".json":
            text = path.read_text(encoding="utf-8")
        else:
            raise OptionError(f"{where}: read values from .npy or .json files, not "
                              f"{_shown(path.name)}")
    except OSError as e:
        raise OptionError(f"{where}: cannot read {shown}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise OptionError(f"{where}: {shown} is not a UTF-8 text (JSON) file") from None
    try:
        data = _load_json(text, where)
    except json.JSONDecodeError as e:
        raise OptionError(f"{where}: {shown} is not JSON ({e.msg} at line {e.lineno}, "
                          f"column {e.colno})") from None
    return _exact_array(data, where)


def _npy(path: Path, where: str) -> Value:
    shown = _shown(str(path))
    try:
        arr = np.load(path, allow_pickle=False)  # never unpickle: no code from files
    except (ValueError, EOFError):  # numpy's text may advise unpickling: not shown
        raise OptionError(f"{where}: {shown} is not a NumPy array file (one array written "
                          "by numpy.save, without Python objects)") from None
    if not isinstance(arr, np.ndarray):  # an .npz archive under an .npy name
        raise OptionError(f"{where}: {shown} is not a single NumPy array")
    return _float_array(arr, where, f"{shown} ")


def _float_array(arr: NDArray[Any], where: str, what: str = "") -> NDArray[np.float64]:
    """A real, finite float64 array of at most two axes, or an error naming the entry
    (``what``: the file it came from, as the messages' subject)."""
    subject = what or "the value "
    if np.iscomplexobj(arr):
        raise OptionError(f"{where}: {subject}holds complex numbers; matdiff evaluates with "
                          "real numbers (give the real part explicitly if that is meant)")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise OptionError(f"{where}: {subject}must hold real numbers, not {arr.dtype}")
    if arr.ndim > 2:
        raise OptionError(f"{where}: {subject}has {arr.ndim} axes; a value has at most 2 (a "
                          "matrix)")
    if arr.size == 0:
        raise OptionError(f"{where}: {subject}is empty (shape {arr.shape})")
    with np.errstate(over="ignore"):
        out = np.asarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        if out.ndim == 0:
            raise OptionError(f"{where}: {what}{float(out)} is not a finite real number")
        first = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
        at = "[" + ",".join(str(i + 1) for i in first) + "]"
        raise OptionError(f"{where}: {what}entry {where}{at} is {float(out[first])}; give "
                          "finite real numbers")
    return out


def checked_value(value: object, where: str = "value") -> Value:
    """A value given from Python (number, list, array), checked like ``--at`` text: real,
    finite, at most two axes; exact (Fractions) when every entry is an int or Fraction."""
    if isinstance(value, str):
        return read_value(value, where)
    if isinstance(value, (bool, np.bool_)):
        raise OptionError(f"{where}: expected a number or an array, got {value!r}")
    if isinstance(value, (int, Fraction, np.integer)):
        f = Fraction(int(value)) if isinstance(value, np.integer) else Fraction(value)
        # compared, never printed: str() of a huge int is slow (and refused past 4300 digits)
        small = max(f.numerator.bit_length(), f.denominator.bit_length()) < 128
        return _in_float_range(f, format_number(f) if small else "this number", where)
    if isinstance(value, (float, np.floating)):
        return float(_float_array(np.asarray(value), where))
    if isinstance(value, (complex, np.complexfloating)):
        raise OptionError(f"{where}: {value!r} is complex; matdiff evaluates with real "
                          "numbers")
    try:
        arr = np.asarray(value, dtype=object)
    except (ValueError, TypeError):  # ragged lists
        raise OptionError(f"{where}: rows of different lengths") from None
    if arr.dtype == object and arr.ndim and all(
            isinstance(v, (int, Fraction, np.integer)) and not isinstance(v, (bool, np.bool_))
            for v in arr.flat):
        if arr.ndim > 2 or arr.size == 0:
            _float_array(np.zeros(arr.shape), where)  # the same messages
        out = np.empty(arr.shape, dtype=object)
        out.flat[:] = [checked_value(v, where) for v in arr.flat]
        return out
    try:
        numeric = np.asarray(value)
    except (ValueError, TypeError):
        raise OptionError(f"{where}: rows of different lengths") from None
    if numeric.dtype == object or any(isinstance(v, (bool, np.bool_)) for v in arr.flat):
        raise OptionError(f"{where}: entries must be numbers, got {_shown(repr(value))}")
    if numeric.ndim == 0:
        return checked_value(numeric.item(), where)
    return _float_array(numeric, where)


def read_point(text: str, sources: dict[str, str] | None = None
               ) -> tuple[list[Value], dict[str, Value]]:
    """``--at`` text -> (positional values, named values): ``1,-2,5`` or ``x=1,y=-2``.
    ``sources``, when given, receives ``name -> file`` for values read from files."""
    positional: list[Value] = []
    named: dict[str, Value] = {}
    for item in split_top_level(text):
        name, eq, rest = item.partition("=")
        if eq and name.strip().isidentifier():
            key = name.strip()
            if key in named:
                raise OptionError(f"{key} is given twice in {_shown(text)}")
            named[key] = read_value(rest, key)
            if sources is not None and rest.strip().startswith("@"):
                sources[key] = Path(rest.strip()[1:]).name
        else:
            if named:
                raise OptionError(f"a value without a name follows named ones in "
                                  f"{_shown(text)}")
            positional.append(read_value(item, f"coordinate {len(positional) + 1}"))
    return positional, named


def as_float(value: object) -> NDArray[np.float64]:
    """The float64 array of a value; one beyond the floating-point range (an exact integer
    of 5000 digits) is an :class:`EvaluationError`, never an ``OverflowError``."""
    try:
        return np.asarray(np.asarray(value, dtype=object).astype(np.float64),
                          dtype=np.float64)
    except OverflowError:
        raise EvaluationError("a value is beyond the floating-point range (about ±1.8e308); "
                              "give a smaller number") from None


def is_exact(value: object) -> bool:
    if isinstance(value, (Fraction, int)) and not isinstance(value, bool):
        return True
    if isinstance(value, np.ndarray) and value.dtype == object:
        return all(isinstance(v, (Fraction, int)) for v in value.flat)
    return False


def exact(value: object) -> Value | None:
    """``value`` as exact Fractions when it is exactly given (ints, Fractions), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (Fraction, int)):
        return Fraction(value)
    if isinstance(value, (list, tuple)):
        value = np.asarray(value, dtype=object)
    if isinstance(value, np.ndarray):
        if value.dtype == object and is_exact(value):
            out: NDArray[Any] = np.vectorize(Fraction, otypes=[object])(value)
            return out if value.size else None
        if np.issubdtype(value.dtype, np.integer):
            ints: NDArray[Any] = np.vectorize(Fraction, otypes=[object])(value.astype(object))
            return ints
    return None


def kind_of(value: object) -> str:
    """``scalar``, ``vector`` or ``matrix`` from the number of axes."""
    ndim = np.ndim(np.asarray(value, dtype=object))
    return ("scalar", "vector", "matrix")[min(ndim, 2)]


def declared_names(declare: Mapping[str, str] | Sequence[str] | str | None) -> set[str]:
    if declare is None:
        return set()
    if isinstance(declare, Mapping):
        return set(declare)
    items = [declare] if isinstance(declare, str) else list(declare)
    return {item.partition(":")[0].strip() for item in items}


def kind_declarations(values: Mapping[str, object],
                      declare: Mapping[str, str] | Sequence[str] | str | None,
                      typed: Callable[[str], str | None] = default_kind) -> list[str]:
    """The user's declarations plus ``name: kind`` for each undeclared name whose value's
    kind differs from the kind the parser gives it (``typed``: the letter, or
    :func:`matdiff.parse.typed_kinds` of the expression; ``x=1`` makes ``x`` a scalar, as
    seed 000's ``f(x, y, z)``).  The given values then decide the types the text leaves
    open."""
    if isinstance(declare, Mapping):
        out = [f"{k}: {v}" for k, v in declare.items()]
    else:
        out = [] if declare is None else ([declare] if isinstance(declare, str)
                                          else list(declare))
    known = declared_names(declare)
    for name, value in values.items():
        kind = kind_of(value)
        if name not in known and typed(name) != kind:
            out.append(f"{name}: {kind}")
    return out


# --- printing ------------------------------------------------------------------------

def _scientific(f: Fraction) -> str | None:
    """``f`` exactly as ``m`` or ``me±k`` with at most 16 digits in ``m`` (``1e300``,
    ``-3e-600``), when it is a decimal fraction that short; else ``None``."""
    n, d = f.numerator, f.denominator
    twos, fives = (d & -d).bit_length() - 1, 0
    rest = d >> twos
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1:
        return None  # 1/3: not a decimal fraction
    k = max(twos, fives)
    m = n * (10 ** k // d)
    exponent = -k
    while m and m % 10 == 0 and exponent < 400:
        m //= 10
        exponent += 1
    if abs(m) >= 10 ** 16:
        return None
    return str(m) if exponent == 0 else f"{m}e{exponent}"


def format_number(v: object) -> str:
    """``5`` for an integer value, ``1/3`` for an exact fraction, ``1e300`` for a long
    exact decimal (never hundreds of digits: a value prints short enough to read back),
    else 12 significant digits (``-0`` prints as ``0``)."""
    if isinstance(v, (Fraction, int)) and not isinstance(v, bool):
        f = Fraction(v)
        n, d = f.numerator, f.denominator
        bits = max(n.bit_length(), d.bit_length())
        if bits <= 100:  # at most 31 digits each
            return str(n) if d == 1 else f"{n}/{d}"
        short = _scientific(f) if bits < 4000 else None
        if short is not None:
            return short
        # 12 significant digits, any exponent (a float could overflow)
        with decimal.localcontext() as ctx:
            ctx.prec = 12
            q = decimal.Decimal(n) / decimal.Decimal(d)
        return f"{q:.12g}".replace("E", "e")
    x = float(v)  # type: ignore[arg-type]
    if x == 0:
        return "0"
    if np.isfinite(x) and x == round(x) and abs(x) < 1e15:
        return str(round(x))
    return f"{x:.12g}"


def format_value(value: object) -> str:
    """A number, ``[2, -4, 10]`` or ``[[1, 2], [3, 4]]`` (readable back by ``--at``)."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, np.ndarray):
        return format_number(value[()])
    return format_number(value)


def format_echo(value: object, source: str | None = None) -> str:
    """A given value as echoed back: :func:`format_value`, or for an array of more than
    :data:`SUMMARY_ENTRIES` entries ``<1000x20 array from big.npy>`` (never the whole
    array on the terminal)."""
    if isinstance(value, np.ndarray) and value.size > SUMMARY_ENTRIES:
        origin = f" from {printable(source)}" if source else ""
        if value.ndim == 1:
            return f"<vector of length {value.shape[0]}{origin}>"
        return f"<{'x'.join(str(n) for n in value.shape)} array{origin}>"
    return format_value(value)


def format_assignments(names: Iterable[str], values: Mapping[str, object],
                       sources: Mapping[str, str] | None = None) -> str:
    """``x = 1, A = <1000x20 array from big.npy>``."""
    src = sources or {}
    return ", ".join(f"{n} = {format_echo(values[n], src.get(n))}" for n in names)


def check_missing(needed: Iterable[str], given: Mapping[str, object]) -> None:
    missing = [n for n in needed if n not in given]
    if missing:
        raise EvaluationError(f"no value given for {', '.join(missing)} (give every "
                              "variable of the expression a value, e.g. --at x=1,y=2)")
