"""Command line: ``matdiff COMMAND ...``; one module per subcommand, listed in ``COMMANDS``.

Each subcommand module has ``NAME``, ``register(subparsers)`` (adds its parser) and
``run(args) -> int``. Bad input prints the error with a caret to stderr and exits with status 2;
no traceback ever reaches the user (an unexpected failure is reported as an internal error,
status 3).
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, NoReturn

from .. import api
from ..errors import MatdiffError
from ..spans import printable
from . import codegen, diff, identity, serve, solve, tangent
from .argv import normalize

# One row per subcommand, in the order `matdiff --help` lists them.
COMMANDS: tuple[ModuleType, ...] = (diff, tangent, solve, codegen, serve, identity)


class Formatter(argparse.HelpFormatter):
    """Descriptions wrapped as usual; lines that start with spaces (the examples of an
    epilog, one command per line) kept as written, so they can be copied."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line if line.startswith(" ") else
                         textwrap.fill(line, width, initial_indent=indent,
                                       subsequent_indent=indent)
                         for line in text.splitlines())


class Parser(argparse.ArgumentParser):
    """argparse, with its error messages (which quote the user's words) escaped and the
    help's examples one per line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, printable(f"{self.prog}: error: {message}", keep_newlines=True) + "\n")


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    p = Parser(
        prog="matdiff",
        description="Matrix calculus: derivatives of matrix expressions, as a textbook "
                    "prints them.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return p, dict(sub.choices)


def _error(text: str) -> None:
    """Print to stderr with non-printing characters escaped (no terminal injection)."""
    print(printable(text, keep_newlines=True), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser, subparsers = _parser()
    words = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(normalize(words, subparsers))
    if args.command is None:
        parser.print_help()
        return 2
    run: Callable[[argparse.Namespace], int] = next(
        m.run for m in COMMANDS if args.command == m.NAME)
    try:
        with api.hints_for("cli"):  # messages say --declare "x: scalar"
            return run(args)
    except MatdiffError as e:
        _error(e.render())
        return 2
    except RecursionError:
        _error("error: the input is too deeply nested")
        return 2
    except BrokenPipeError:  # the reader stopped early (| head): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:  # the promise: no traceback reaches the user
        _error(f"internal error (please report it): {type(e).__name__}: {e}")
        return 3


if __name__ == "__main__":
    sys.exit(main())
