"""L0: the checks every public entry point runs on its arguments.

A Python caller can pass anything: ``derivative(e, 5)``, ``check(seed="a")``,
``order=10**30``, a misspelt keyword.  Each public function is wrapped by
:func:`entry_point`, which binds the call to the function's signature (a wrong keyword
or a missing argument is an :class:`~matdiff.errors.OptionError` naming the valid ones)
and runs one check per argument from a table (``expr=expression, seed=seed, ...``).  A
check returns the value (possibly normalised) or raises an ``OptionError`` that names
the argument, what it got and what would be valid: nothing from Python, NumPy or an
array library reaches the caller for a bad argument.

Array values (``d.at``, ``d.evaluate``, compiled functions) are read by
:func:`real_array`: anything ``numpy.asarray`` reads as real numbers (lists, tuples,
NumPy / JAX / torch arrays, Python and NumPy scalars) is accepted; complex, text or
ragged values, and NaN or infinite entries, are an
:class:`~matdiff.errors.EvaluationError` naming the variable.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

import numpy as np
from numpy.typing import NDArray

from .errors import EvaluationError, LimitError, OptionError

P = ParamSpec("P")
R = TypeVar("R")
Check = Callable[[str, Any], Any]

MAX_SEED = 2**63 - 1
MAX_POINTS = 1000
"""More random points than this would only make a check slow (each costs a set of
finite differences); the default is 3."""
MAX_ENTRIES = 10_000_000
"""The most entries one array of a numerical check or evaluation may have (80 MB of
float64): a declared ``vector(999999999)`` is refused before anything is allocated."""


def _got(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def entry_point(**checks: Check) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Wrap a public function: bind its arguments (a wrong keyword, a missing or an extra
    argument is an ``OptionError`` showing the signature), then run ``checks[name]`` on
    each argument given (the check's return value replaces the argument)."""
    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(fn)
        shown = str(signature).replace("self, ", "").replace("(self)", "()")
        name = fn.__qualname__.replace("Derivative.", "d.")

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as e:
                raise OptionError(f"{name}(): {e}; its signature is {name}{shown}") from None
            for arg, check in checks.items():
                if arg in bound.arguments:
                    bound.arguments[arg] = check(arg, bound.arguments[arg])
            return fn(*bound.args, **bound.kwargs)
        return wrapper
    return decorate


# --- checks: (argument name, value) -> value -------------------------------------------

def expression(arg: str, value: Any) -> str:
    """The expression text: a ``str``."""
    if not isinstance(value, str):
        raise OptionError(f"{arg} must be the expression as text (a str such as "
                          f"\"x'*A*x\"), got {_got(value)}")
    return value


def name_list(arg: str, value: Any) -> str | list[str]:
    """One variable name, or a list/tuple of names (each a ``str``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        for v in value:
            if not isinstance(v, str):
                raise OptionError(f"{arg} must be a variable name or a list of names; "
                                  f"the list holds {_got(v)}")
        return list(value)
    raise OptionError(f"{arg} must be a variable name (a str such as \"x\") or a list of "
                      f"names, got {_got(value)}")


def optional_names(arg: str, value: Any) -> Any:
    """``None``, or a list/tuple of names."""
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise OptionError(f"{arg} must be a list of variable names, got {_got(value)}")
    return name_list(arg, value)


def declarations(arg: str, value: Any) -> Any:
    """``None``, one declaration ``"x: vector(n)"``, a list/tuple of them, or a mapping
    ``{"x": "vector(n)"}`` of str to str."""
    if value is None or isinstance(value, str):
        return value
    example = "[\"x: vector(n)\", \"A: matrix(n, n) symmetric\"] or {\"x\": \"vector(n)\"}"
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise OptionError(f"{arg} maps names to types, both str, such as "
                                  f"{example}; got {k!r}: {v!r}")
        return value
    if isinstance(value, (list, tuple)):
        for v in value:
            if not isinstance(v, str):
                raise OptionError(f"each entry of {arg} must be a str such as "
                                  f"'x: vector(n)', got {_got(v)}")
        return value
    raise OptionError(f"{arg} must be a list of declarations such as {example}, "
                      f"got {_got(value)}")


def choice(*valid: str) -> Check:
    """One of ``valid`` (str)."""
    def check(arg: str, value: Any) -> str:
        if not isinstance(value, str) or value not in valid:
            raise OptionError(f"unknown {arg} {value!r}; valid values are: "
                              f"{', '.join(valid)}")
        return value
    return check


def text(arg: str, value: Any) -> str:
    """Any ``str``."""
    if not isinstance(value, str):
        raise OptionError(f"{arg} must be a str, got {_got(value)}")
    return value


def flag(arg: str, value: Any) -> bool:
    """``True`` or ``False`` (not 0/1, not a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise OptionError(f"{arg} must be True or False, got {_got(value)}")
    return bool(value)


def integer(low: int, high: int, optional: bool = False) -> Check:
    """An ``int`` (NumPy integers too, never ``bool`` or a float) in ``[low, high]``;
    above ``high`` is a :class:`LimitError`."""
    def check(arg: str, value: Any) -> int | None:
        if value is None and optional:
            return None
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise OptionError(f"{arg} must be an integer from {low} to {high}, "
                              f"got {_got(value)}")
        n = int(value)
        if n < low:
            raise OptionError(f"{arg} must be at least {low}, got {n}")
        if n > high:
            shown = str(n) if n < 10**12 else f"about 10^{len(str(n)) - 1}"
            raise LimitError(f"{arg} = {shown} is too large; at most {high}")
        return n
    return check


def positive_real(arg: str, value: Any) -> float:
    """A finite real number > 0."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise OptionError(f"{arg} must be a positive number, got {_got(value)}")
    x = float(value)
    if not math.isfinite(x) or x <= 0:
        raise OptionError(f"{arg} must be a finite number > 0, got {value!r}")
    return x


def mapping(arg: str, value: Any) -> Mapping[str, Any]:
    """A mapping with ``str`` keys (variable name -> value)."""
    if not isinstance(value, Mapping):
        raise OptionError(f"{arg} must be a dict of values by variable name, such as "
                          f"{{'x': [1, 2], 'A': [[1, 0], [0, 1]]}}, got {_got(value)}")
    for k in value:
        if not isinstance(k, str):
            raise OptionError(f"the keys of {arg} must be variable names (str), got "
                              f"{_got(k)}")
    return value


def optional_mapping(arg: str, value: Any) -> Mapping[str, Any] | None:
    return None if value is None else mapping(arg, value)


def sizes(arg: str, value: Any) -> Mapping[Any, int] | None:
    """``None`` or dimension -> size (a positive int, at most :data:`MAX_ENTRIES`)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise OptionError(f"{arg} must be a dict of dimension sizes such as {{'n': 3}}, "
                          f"got {_got(value)}")
    size = integer(1, MAX_ENTRIES)
    return {d: size(f"{arg}[{d!r}]", n) for d, n in value.items()}


def _finite_number(arg: str, value: Any) -> None:
    if isinstance(value, (bool, np.bool_)):
        raise OptionError(f"{arg} holds {_got(value)}; give numbers")
    if not isinstance(value, numbers.Real):
        return
    try:
        finite = math.isfinite(float(value))
    except OverflowError:  # an exact integer of thousands of digits
        raise OptionError(f"{arg} holds a number beyond the floating-point range (about "
                          f"±1.8e308)") from None
    if not finite:
        raise OptionError(f"{arg} holds {value!r}; a point has finite coordinates")


def point(arg: str, value: Any) -> Any:
    """A point: text (``"1,-2,5"``, ``"x=1,y=2"``), a list/tuple of numbers (or number
    texts), or a mapping name -> value; numbers must be finite, never ``bool``."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise OptionError(f"the names in {arg} must be str, got {_got(k)}")
            if isinstance(v, (numbers.Number, np.generic)):
                _finite_number(f"{arg}[{k!r}]", v)
            elif not isinstance(v, str):
                real_array(k, v)
        return value
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim == 1):
        for v in value:
            if isinstance(v, (numbers.Number, np.generic)) and not isinstance(v, numbers.Real):
                raise OptionError(f"{arg} holds {_got(v)}; coordinates are real numbers")
            if not isinstance(v, (str, numbers.Real)):
                raise OptionError(f"{arg} must list numbers such as [1, -2, 5], got "
                                  f"{_got(v)}")
            _finite_number(arg, v)
        return list(value)
    raise OptionError(f"{arg} must be a point such as [1, -2, 5], \"1,-2,5\" or "
                      f"{{'x': 1, 'y': -2, 'z': 5}}, got {_got(value)}")


# --- values ----------------------------------------------------------------------------

def real_array(name: str, value: Any) -> NDArray[np.float64]:
    """``value`` as a float64 array, or an :class:`EvaluationError` naming ``name``: not
    real numbers (text, ``None``, complex, ragged nesting), or NaN / infinite entries."""
    if isinstance(value, (str, bytes)) or value is None:
        raise EvaluationError(f"the value of {name} must be a number or an array of "
                              f"numbers, got {_got(value)}")
    if hasattr(value, "detach"):  # a torch tensor (on any device)
        value = value.detach().cpu().numpy()
    try:
        raw = np.asarray(value)
        if raw.dtype.kind == "c":
            raise EvaluationError(f"the value of {name} is complex; matdiff computes "
                                  "with real numbers")
        if raw.dtype.kind in "USV":
            raise EvaluationError(f"the value of {name} holds text, not numbers")
        if raw.dtype.kind not in "biuf":
            raw = np.asarray(value, dtype=np.float64)
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as e:
        raise EvaluationError(f"the value of {name} is not a real number or array "
                              f"({str(e).splitlines()[0][:120]})") from None
    if arr.size > MAX_ENTRIES:
        raise LimitError(f"the value of {name} has {arr.size} entries; the limit is "
                         f"{MAX_ENTRIES}")
    if not np.all(np.isfinite(arr)):
        raise EvaluationError(f"the value of {name} has entries that are not finite "
                              "(nan or inf); derivatives are evaluated at finite points")
    return arr


def finite_value(what: str, value: Any) -> None:
    """An :class:`EvaluationError` if the computed ``value`` has a NaN or infinite entry:
    it is never returned as an answer."""
    with np.errstate(all="ignore"):
        ok = bool(np.all(np.isfinite(np.asarray(value, dtype=np.float64))))
    if not ok:
        raise EvaluationError(f"{what} is not defined at this point (the computation gives "
                              "nan or inf there)")


def bounded_sizes(dims: Mapping[Any, int], shapes: Sequence[tuple[Any, ...]],
                  show: Callable[[Any], str]) -> None:
    """A :class:`LimitError` before allocating when one of ``shapes`` (tuples of
    dimensions, sized by ``dims``) would have more than :data:`MAX_ENTRIES` entries."""
    for shape in shapes:
        entries = 1
        for d in shape:
            entries *= dims.get(d, 1) if not isinstance(d, int) else d
        if entries > MAX_ENTRIES:
            text = " x ".join(show(d) if not isinstance(d, int) else str(d) for d in shape)
            raise LimitError(f"an array of shape {text} would have {entries:,} entries; "
                             f"numerical checks and evaluations take at most "
                             f"{MAX_ENTRIES:,} entries per array (declare smaller sizes, "
                             f"or leave them symbolic)")


__all__ = ["MAX_ENTRIES", "MAX_POINTS", "MAX_SEED", "Check", "bounded_sizes", "choice",
           "declarations", "entry_point", "expression", "finite_value", "flag", "integer",
           "mapping", "name_list", "optional_mapping", "optional_names", "point", "positive_real",
           "real_array", "sizes", "text"]
