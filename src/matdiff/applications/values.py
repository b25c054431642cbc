"""Values at a point: read from the command line (``x=1,y=-2``, ``[1,2]``, ``@file.npy``),
typed from their shapes, and printed so that exact inputs give exact-looking numbers.

Inline numbers are read exactly (``0.5`` is the fraction 1/2, ``1/3`` is allowed), so a
polynomial evaluated at them can print ``2(x - 1) - 4(y + 2)`` rather than ``2.0000000001``;
vectors and matrices are JSON lists (read with :mod:`json`, never ``eval``); ``@file.npy``
and ``@file.json`` read a file.  A value is an ``Fraction`` (scalar) or a NumPy array of
dtype ``object`` holding ``Fraction`` entries when exact, else a float64 array.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import EvaluationError, OptionError
from ..parse.declarations import default_kind
from ..parse.syntax import number_value
from ..spans import Span

Value = Fraction | float | NDArray[Any]
"""A scalar as an exact fraction (or a float), or an array (``object`` of Fractions, or
float64)."""

MAX_FILE_BYTES = 50_000_000


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
                raise OptionError(f"unbalanced ']' at column {i + 1} of {text!r}")
        elif ch == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    if depth:
        raise OptionError(f"unbalanced '[' in {text!r}")
    items.append(text[start:].strip())
    if any(not item for item in items):
        raise OptionError(f"empty item in {text!r} (write name=value items separated by "
                          "commas, e.g. x=1,y=-2,z=5)")
    return items


def read_number(text: str) -> Fraction:
    """An exact number: ``5``, ``-2.5``, ``1e-3``, ``1/3``."""
    t = text.strip()
    num, slash, den = t.partition("/")
    try:
        value = _decimal(num)
        if slash:
            d = _decimal(den)
            if d == 0:
                raise OptionError(f"division by zero in the number {text!r}")
            value /= d
    except (ValueError, ZeroDivisionError):
        raise OptionError(f"not a number: {text!r} (numbers look like 5, -2.5, 1e-3, 1/3; "
                          "vectors [1,2,3]; matrices [[1,2],[3,4]]; files @x.npy)") from None
    return value


def _decimal(text: str) -> Fraction:
    t = text.strip()
    sign = -1 if t.startswith("-") else 1
    body = t.lstrip("+-")
    if not body or not (body[0].isdigit() or body[0] == "."):
        raise ValueError(text)
    return sign * number_value(body, Span(0, len(body)))


def _exact_array(data: Any, where: str) -> Value:
    """A JSON number or nested list -> a Fraction or an object array of Fractions."""
    def conv(v: Any) -> Any:
        if isinstance(v, list):
            return [conv(u) for u in v]
        if isinstance(v, bool) or not isinstance(v, (int, float, Fraction)):
            raise OptionError(f"{where}: entries must be numbers, got {v!r}")
        return v if isinstance(v, Fraction) else Fraction(v)
    converted = conv(data)
    if isinstance(converted, Fraction):
        return converted
    arr = np.empty(_json_shape(converted, where), dtype=object)
    arr[...] = converted
    if arr.ndim > 2:
        raise OptionError(f"{where}: a value has at most 2 axes (a matrix), got {arr.ndim}")
    return arr


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
        try:
            data = json.loads(t, parse_float=Fraction, parse_int=Fraction)
        except json.JSONDecodeError as e:
            raise OptionError(f"{where}: not a JSON list ({e.msg} at column {e.colno}): "
                              f"{t!r}") from None
        return _exact_array(data, where)
    return read_number(t)


def _read_file(path: Path, where: str) -> Value:
    if not path.is_file():
        raise OptionError(f"{where}: no such file {str(path)!r}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise OptionError(f"{where}: {path} is larger than {MAX_FILE_BYTES:,} bytes")
    if path.suffix == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)  # never unpickle: no code from files
        except ValueError as e:
            raise OptionError(f"{where}: cannot read {path}: {e}") from None
        if arr.ndim > 2 or not np.issubdtype(arr.dtype, np.number):
            raise OptionError(f"{where}: {path} must hold a real array of at most 2 axes")
        out: NDArray[np.float64] = np.asarray(arr, dtype=np.float64)
        return out
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(), parse_float=Fraction, parse_int=Fraction)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise OptionError(f"{where}: {path} is not JSON: {e}") from None
        return _exact_array(data, where)
    raise OptionError(f"{where}: read values from .npy or .json files, not {path.name!r}")


def read_point(text: str) -> tuple[list[Value], dict[str, Value]]:
    """``--at`` text -> (positional values, named values): ``1,-2,5`` or ``x=1,y=-2``."""
    positional: list[Value] = []
    named: dict[str, Value] = {}
    for item in split_top_level(text):
        name, eq, rest = item.partition("=")
        if eq and name.strip().isidentifier():
            key = name.strip()
            if key in named:
                raise OptionError(f"{key} is given twice in {text!r}")
            named[key] = read_value(rest, key)
        else:
            if named:
                raise OptionError(f"a value without a name follows named ones in {text!r}")
            positional.append(read_value(item, f"coordinate {len(positional) + 1}"))
    return positional, named


def as_float(value: object) -> NDArray[np.float64]:
    """The float64 array of a value."""
    return np.asarray(np.asarray(value, dtype=object).astype(np.float64), dtype=np.float64)


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
                      declare: Mapping[str, str] | Sequence[str] | str | None
                      ) -> list[str]:
    """The user's declarations plus ``name: kind`` for each undeclared name whose value's
    kind differs from the name's default (``x=1`` makes ``x`` a scalar, as seed 000's
    ``f(x, y, z)``).  The given values then decide the types the text leaves open."""
    if isinstance(declare, Mapping):
        out = [f"{k}: {v}" for k, v in declare.items()]
    else:
        out = [] if declare is None else ([declare] if isinstance(declare, str)
                                          else list(declare))
    known = declared_names(declare)
    for name, value in values.items():
        kind = kind_of(value)
        if name not in known and default_kind(name) != kind:
            out.append(f"{name}: {kind}")
    return out


# --- printing ------------------------------------------------------------------------

def format_number(v: object) -> str:
    """``5`` for an integer value, ``1/3`` for an exact fraction, else 12 significant
    digits (``-0`` prints as ``0``)."""
    if isinstance(v, (Fraction, int)) and not isinstance(v, bool):
        f = Fraction(v)
        return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"
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


def format_assignments(names: Iterable[str], values: Mapping[str, object]) -> str:
    return ", ".join(f"{n} = {format_value(values[n])}" for n in names)


def check_missing(needed: Iterable[str], given: Mapping[str, object]) -> None:
    missing = [n for n in needed if n not in given]
    if missing:
        raise EvaluationError(f"no value given for {', '.join(missing)} (give every "
                              "variable of the expression a value, e.g. --at x=1,y=2)")
