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
from collections.abc import Callable, Sequence
from types import ModuleType

from ..errors import MatdiffError
from . import codegen, diff, identity, serve, solve, tangent

# One row per subcommand, in the order `matdiff --help` lists them.
COMMANDS: tuple[ModuleType, ...] = (diff, tangent, solve, codegen, serve, identity)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="matdiff",
        description="Matrix calculus: derivatives of matrix expressions, as a textbook "
                    "prints them.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    run: Callable[[argparse.Namespace], int] = next(
        m.run for m in COMMANDS if args.command == m.NAME)
    try:
        return run(args)
    except MatdiffError as e:
        print(e.render(), file=sys.stderr)
        return 2
    except RecursionError:
        print("error: the expression is too deeply nested", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (| head): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:  # the promise: no traceback reaches the user
        print(f"internal error (please report it): {type(e).__name__}: {e}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
