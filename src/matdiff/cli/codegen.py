"""``matdiff codegen EXPR --wrt X [--hessian] [--declare DECL]... [--backend B] [-o FILE]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import api
from ..errors import OptionError
from . import diff

NAME = "codegen"
BACKENDS = ("numpy", "jax", "torch")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``codegen`` subcommand's parser."""
    c = sub.add_parser(
        NAME, help="write a Python module computing f, its gradient (and Hessian)",
        description="Write a readable, standalone Python module with functions f, grad "
                    "and (with --hessian) hessian in NumPy, JAX or PyTorch: the formula "
                    "in each docstring, shape checks, a check_gradient helper, and a "
                    "__main__ block that runs it (python module.py).",
        epilog="example:\n"
               '  matdiff codegen "norm2(X*w - y)^2" --wrt w --hessian --backend jax '
               '-o loss.py')
    c.add_argument("expr", metavar="EXPR", help="a scalar expression, e.g. \"x'*A*x\"")
    c.add_argument("--wrt", required=True, metavar="VAR", help="the variable")
    c.add_argument("--hessian", action="store_true", help="also write hessian()")
    c.add_argument("--declare", action="append", default=[], metavar="DECL",
                   help='a declaration such as "A: matrix(m,n) symmetric" (repeatable)')
    c.add_argument("--strict", action="store_true",
                   help="refuse undeclared names whose type the expression does not "
                        "determine (instead of taking it from the letter)")
    c.add_argument("--backend", choices=BACKENDS, default="numpy",
                   help="array library of the generated code (default numpy)")
    c.add_argument("-o", "--output", metavar="FILE", default=None,
                   help="write the module to FILE (default: standard output)")


def run(args: argparse.Namespace) -> int:
    """Print (or write) the generated module."""
    source = api.generate_module(args.expr, args.wrt, backend=args.backend, hessian=args.hessian,
                         declare=args.declare, strict=args.strict)
    if args.output is None:
        print(source, end="")
        _types(args)
        return 0
    try:
        Path(args.output).write_text(source, encoding="utf-8")
    except OSError as e:
        raise OptionError(f"cannot write {args.output}: {e.strerror or e}") from None
    except (ValueError, UnicodeError):  # a NUL byte, or a name the system cannot encode
        raise OptionError(f"cannot write {args.output!r}: not a valid file name") from None
    _types(args)
    return 0


def _types(args: argparse.Namespace) -> None:
    """On stderr, once the module is out: the types it was generated for and the
    ambiguous ones (as ``diff`` says them)."""
    diff.print_expression_types(args.expr, args.declare)
