"""Command-line words that start with ``-`` but are expressions or values, not options.

argparse reads every word that starts with ``-`` as an option unless it is a plain
negative number, so ``matdiff diff "-log(det(X))" --wrt X`` and ``--at -1,0,0`` fail
("the following arguments are required: EXPR").  :func:`normalize` rewrites the words
before argparse sees them, using the subcommand's own option table:

* a word that is a known option (exactly, ``--opt=value``, an unambiguous prefix of a
  long option, or a short option with its value attached such as ``-oFILE``) or any
  other word shaped like a long option (``--`` and a letter) stays an option (argparse
  reports unknown ones);
* any other word starting with ``-`` (``-log(det(X))``, ``-x``, ``-h'*h``, ``-1,0,0``,
  ``---x``) is an expression or a value: after an option that takes a value it is
  attached to it (``--at=-1,0,0``); otherwise it is a positional argument, and the
  positionals are moved after a ``--`` (keeping their order), where argparse takes them
  literally.

Nothing changes for a command line that has no such word.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

# Characters that occur in expressions and values but not in file names one would pass
# to -o: a word -o... holding one is an expression, not -o with a value.
_EXPRESSION_CHARS = frozenset("()*+/'^[],=<>|&!`$;: ")


def _options(parser: argparse.ArgumentParser) -> dict[str, bool]:
    """Each option string of ``parser`` -> whether it takes a value."""
    table: dict[str, bool] = {}
    for action in parser._actions:  # argparse's option table (stable since Python 2.7)
        for name in action.option_strings:
            table[name] = action.nargs != 0
    return table


def _resolve(word: str, options: Mapping[str, bool]) -> tuple[str, bool] | None:
    """``(option, value attached)`` when ``word`` is an option, else ``None``."""
    if word in options:
        return word, False
    if _long_option_like(word):
        name, eq, _ = word.partition("=")
        matches = [o for o in options if o.startswith("--") and o.startswith(name)]
        if name in options:
            return name, bool(eq)
        # an unknown or ambiguous long option stays an option: argparse says which
        return (matches[0], bool(eq)) if len(matches) == 1 else (name, bool(eq))
    short = word[:2]
    if short in options and options[short] and not _EXPRESSION_CHARS & set(word[2:]):
        return short, True  # -oFILE
    return None


def _is_dash_word(word: str) -> bool:
    return word.startswith("-") and word not in ("-", "--")


def _long_option_like(word: str) -> bool:
    """``--name...``: a long option, known or not (``--1``, ``---x`` are expressions)."""
    return word.startswith("--") and len(word) > 2 and (word[2].isalpha() or word[2] == "_")


def normalize(argv: Sequence[str], subparsers: Mapping[str, argparse.ArgumentParser]
              ) -> list[str]:
    """``argv`` with expressions and values that start with ``-`` made unambiguous."""
    words = list(argv)
    if not words or words[0] not in subparsers:
        return words
    options = _options(subparsers[words[0]])
    out: list[str] = [words[0]]
    positionals: list[str] = []
    changed = False
    i = 1
    while i < len(words):
        word = words[i]
        if word == "--":
            positionals.extend(words[i + 1:])
            changed = True
            break
        resolved = _resolve(word, options) if _is_dash_word(word) else None
        if resolved is None:
            changed |= _is_dash_word(word)
            positionals.append(word)
            i += 1
            continue
        name, attached = resolved
        out.append(word)
        i += 1
        if options.get(name) and not attached and i < len(words):
            value = words[i]
            if _is_dash_word(value) and _resolve(value, options) is None:
                # --at -1,0,0 -> --at=-1,0,0; -o -x.py -> -o-x.py
                out[-1] = f"{word}={value}" if word.startswith("--") else word + value
                changed = True
            else:
                out.append(value)
            i += 1
    if not changed:
        return words
    return [*out, "--", *positionals] if positionals else out
