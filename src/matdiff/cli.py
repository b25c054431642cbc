"""Command line: ``matdiff diff EXPR --wrt X [--declare DECL]... [--format F] [--check]``.

Bad input prints the error with a caret to stderr and exits with status 2; no traceback
ever reaches the user (an unexpected failure is reported as an internal error, status 3).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from . import api
from .errors import MatdiffError

FORMATS = ("text", "latex", "numpy", "json")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="matdiff",
        description="Matrix calculus: derivatives of matrix expressions, as a textbook "
                    "prints them.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    d = sub.add_parser(
        "diff", help="differentiate an expression",
        description="Differentiate a matrix expression (scalar, vector or matrix valued) by "
                    "a scalar, vector or matrix variable, to any order. Default types by "
                    "name: a-g scalars, h-z vectors, A-Z matrices; --declare overrides. "
                    "The result is printed in matrix form when one exists, else in index "
                    "(Einstein) notation with its Kronecker form when unambiguous; the "
                    "layout and shape are stated on stderr.",
        epilog='examples: matdiff diff "x\'*A*x" --wrt x --declare "A: matrix(n,n) symmetric"'
               '   matdiff diff "x\'*A*x" --wrt x --wrt x   matdiff diff "A*X*B" --wrt X')
    d.add_argument("expr", metavar="EXPR", help="the expression, e.g. \"tr(A*X*B*X'*C)\"")
    d.add_argument("--wrt", required=True, action="append", metavar="VAR",
                   help="the variable to differentiate with respect to; repeat it for "
                        "higher orders (--wrt x --wrt x is the Hessian, --wrt x --wrt y a "
                        "mixed second derivative)")
    d.add_argument("--order", type=int, default=None, metavar="N",
                   help="differentiate N times by the one --wrt variable (--order 2: Hessian)")
    d.add_argument("--declare", action="append", default=[], metavar="DECL",
                   help='a declaration such as "A: matrix(m,n) symmetric" (repeatable)')
    d.add_argument("--layout", choices=api.LAYOUTS, default="mixed",
                   help="mixed (default; the gradient has the variable's shape), numerator "
                        "or denominator")
    d.add_argument("--symmetric-gradient", choices=api.SYMMETRIC_GRADIENTS,
                   default="symmetrized",
                   help="for a symmetric variable: (G+G')/2 (default) or the Matrix "
                        "Cookbook's G+G'-diag(G)")
    d.add_argument("--format", choices=FORMATS, default="text", help="output format")
    d.add_argument("--check", action="store_true",
                   help="also compare with finite differences on random inputs")
    return p


def _diff(args: argparse.Namespace) -> int:
    result = api.derivative(args.expr, args.wrt, declare=args.declare, layout=args.layout,
                            symmetric_gradient=args.symmetric_gradient, order=args.order)
    check = result.check() if args.check else None
    if args.format == "json":
        payload = result.to_json()
        if check is not None:
            payload["check"] = {"ok": check.ok,
                                "max_relative_error": check.max_relative_error}
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        out = {"text": result.text, "latex": result.latex, "numpy": result.numpy}[args.format]
        if args.format != "numpy" and result.result is None:
            kron = result.kronecker_text if args.format == "text" else result.kronecker_latex
            if kron is not None:
                out += "\n" + kron
        print(f"{out}    ({check})" if check is not None else out)
        if args.format == "text":
            print(f"({result.describe()})", file=sys.stderr)
    return 0 if check is None or check.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _diff(args)
    except MatdiffError as e:
        print(e.render(), file=sys.stderr)
        return 2
    except RecursionError:
        print("error: the expression is too deeply nested", file=sys.stderr)
        return 2
    except Exception as e:  # the promise: no traceback reaches the user
        print(f"internal error (please report it): {type(e).__name__}: {e}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
