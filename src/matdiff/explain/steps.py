"""The data a derivation is made of: :class:`Step` (one equation and its justification)
and :class:`Derivation` (the numbered list, printed as text, LaTeX or JSON).

A derivation reads as a textbook proof: the first step carries its left side
(``df = d tr(A*X)``), every further step continues it (``= tr(A*dX)``), and the last
states the result (``df/dX = A'``).  Each step names the rule that justifies it and
where that rule is from (seed note and property, Matrix Cookbook equation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Method = Literal["differential", "limit"]
Lang = Literal["en", "zh"]
METHODS: tuple[str, ...] = ("differential", "limit")
LANGS: tuple[str, ...] = ("en", "zh")

_SEPARATOR = " — "
# The first top-level "=" of a LaTeX equation, where an aligned block puts its "&".
_FIRST_EQUALS = re.compile(r"^(.*?)=")


@dataclass(frozen=True)
class Step:
    """One equation of a derivation.

    ``text`` is in matdiff's input language (``df = tr(A*dX)``; a continuation line
    starts with ``"= "``), ``latex`` the same in LaTeX, ``rule`` the justification in
    the derivation's language (``""`` for the first line) and ``source`` where the rule
    is from (``"seed 000, property 2"``, ``"Matrix Cookbook (eq. 16)"``, or ``""``).
    ``checked`` is False for a line no random point could check (undefined at every
    point tried); its ``rule`` then starts with a note that says so.
    """

    text: str
    latex: str
    rule: str
    source: str
    checked: bool = True

    def justification(self) -> str:
        """``rule (source)``, or whichever of them is present."""
        if self.rule and self.source:
            return f"{self.rule} ({self.source})"
        return self.rule or self.source


@dataclass(frozen=True)
class Derivation:
    """A derivation: its method (``"differential"`` or ``"limit"``), language (``"en"``
    or ``"zh"``) and steps, every one checked numerically before it was built (or, where
    no point could check it, marked ``checked=False``)."""

    @property
    def checked(self) -> bool:
        """Whether every line was checked numerically."""
        return all(s.checked for s in self.steps)

    method: str
    lang: str
    steps: tuple[Step, ...]

    def text(self) -> str:
        """Numbered lines: ``1. df = d tr(A*X)``, ``2. = tr(A*dX)    — linearity ...``."""
        width = max((len(s.text) for s in self.steps), default=0)
        lines = []
        for n, s in enumerate(self.steps, 1):
            why = s.justification()
            line = f"{n}. {s.text.ljust(width)}{_SEPARATOR}{why}" if why else f"{n}. {s.text}"
            lines.append(line.rstrip())
        return "\n".join(lines)

    def latex(self) -> str:
        r"""An ``aligned`` block: ``lhs &= rhs && \text{rule}`` per line."""
        rows = []
        for s in self.steps:
            row = _FIRST_EQUALS.sub(lambda m: m.group(1) + "&=", s.latex, count=1)
            why = s.justification()
            if why:
                row += r" && \text{" + _latex_text(why) + "}"
            rows.append(row)
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def to_json(self) -> list[dict[str, str | bool]]:
        return [{"text": s.text, "latex": s.latex, "rule": s.rule, "source": s.source,
                 "checked": s.checked} for s in self.steps]

    def __str__(self) -> str:
        return self.text()


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$",
                  "&": r"\&", "#": r"\#", "_": r"\_", "%": r"\%", "^": r"\^{}",
                  "~": r"\~{}"}


def _latex_text(s: str) -> str:
    """Escape prose for ``\\text{...}``."""
    return "".join(_LATEX_SPECIAL.get(c, c) for c in s)
