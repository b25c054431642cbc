"""L3: step-by-step derivations, read from the records the engines keep (issue 5).

``derive(d, method, lang)`` gives a :class:`Derivation` of a computed derivative: the
differential method of seeds 001-002 (default) or seed 000's limit definition; every
equation is checked numerically before it is shown.  ``identity(lhs, rhs)`` decides a
matrix identity by canonical forms and confirms it on random instances.
"""

from __future__ import annotations

from ..errors import OptionError
from .check import StepCheckError
from .differential import DerivativeLike
from .differential_steps import derive_differential
from .identities import IdentityResult, identity
from .limit import derive_limit
from .rules import RULES
from .steps import LANGS, METHODS, Derivation, Step


def validate(method: str, lang: str) -> tuple[str, str]:
    """``(method, lang)``, or an :class:`OptionError` naming the valid values."""
    if method not in METHODS:
        raise OptionError(f"unknown method {method!r}; valid methods are: "
                          f"{', '.join(METHODS)}")
    if lang not in LANGS:
        raise OptionError(f"unknown language {lang!r}; valid languages are: "
                          f"{', '.join(LANGS)}")
    return method, lang


def derive(d: DerivativeLike, method: str = "differential", lang: str = "en") -> Derivation:
    """The derivation of ``d`` (a :class:`matdiff.api.Derivative`) by ``method``."""
    method, lang = validate(method, lang)
    if method == "limit":
        return Derivation(method, lang, derive_limit(d, lang))
    return Derivation(method, lang, derive_differential(d, lang))


__all__ = ["LANGS", "METHODS", "RULES", "Derivation", "DerivativeLike", "IdentityResult",
           "Step", "StepCheckError", "derive", "identity", "validate"]
