"""``matdiff diff EXPR --wrt X [--declare DECL]... [--format F] [--check]``."""

from __future__ import annotations

import argparse
import json
import sys

from .. import api
from ..errors import OptionError

NAME = "diff"
FORMATS = ("text", "latex", "mathml", "numpy", "jax", "torch", "json")
CODE_FORMATS = ("numpy", "jax", "torch")  # one expression in that array library


def order(text: str) -> int:
    """``--order N``: a positive integer up to :data:`api.MAX_ORDER`, refused before any
    work (``99999999999999999999`` is not converted to a Python list length)."""
    t = text.strip()
    if not t.isdigit() or len(t) > 6 or not 1 <= int(t) <= api.MAX_ORDER:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 1 to {api.MAX_ORDER} (matdiff computes up to order "
            f"{api.MAX_ORDER}), got {text[:30]!r}")
    return int(t)


def print_types(result: api.Derivative) -> None:
    """On stderr: the type each undeclared variable was given and why, and the default
    types the expression leaves ambiguous."""
    line = result.describe_variables()
    if line:
        print(f"variables: {line}", file=sys.stderr)
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)


def print_expression_types(expr: str, declare: list[str]) -> None:
    """:func:`print_types` for an expression without its derivative (parsed only)."""
    info = api.describe_expression(expr, declare)
    line = ", ".join(f"{v.name} {v.kind} ({v.reason})" for v in info.variables
                     if v.used and v.reason != "declared")
    if line:
        print(f"variables: {line}", file=sys.stderr)
    for w in info.warnings:
        print(f"warning: {w}", file=sys.stderr)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``diff`` subcommand's parser."""
    d = sub.add_parser(
        NAME, help="differentiate an expression",
        description="Differentiate a matrix expression (scalar, vector or matrix valued) by "
                    "a scalar, vector or matrix variable, to any order. Default types by "
                    "name: a-g scalars, h-z vectors, A-Z matrices, unless the expression "
                    "says otherwise (a transposed name is a vector; the types given and "
                    "why are printed on stderr); --declare overrides, --strict refuses "
                    "names the expression does not determine. "
                    "The result is printed in matrix form when one exists, else in index "
                    "(Einstein) notation with its Kronecker form when unambiguous; the "
                    "layout and shape are stated on stderr.",
        epilog="examples:\n"
               '  matdiff diff "x\'*A*x" --wrt x --declare "A: matrix(n,n) symmetric"\n'
               '  matdiff diff "x\'*A*x" --wrt x --wrt x\n'
               '  matdiff diff "A*X*B" --wrt X\n'
               '  matdiff diff "-log(det(X))" --wrt X\n'
               '  matdiff diff "x^2 + y^2 + z^2" --wrt x,y,z --at x=1,y=-2,z=5')
    d.add_argument("expr", metavar="EXPR", help="the expression, e.g. \"tr(A*X*B*X'*C)\"")
    d.add_argument("--wrt", required=True, action="append", metavar="VAR",
                   help="the variable to differentiate with respect to; repeat it for "
                        "higher orders (--wrt x --wrt x is the Hessian, --wrt x --wrt y a "
                        "mixed second derivative)")
    d.add_argument("--order", type=order, default=None, metavar="N",
                   help="differentiate N times by the one --wrt variable (--order 2: Hessian)")
    d.add_argument("--declare", action="append", default=[], metavar="DECL",
                   help='a declaration such as "A: matrix(m,n) symmetric" (repeatable)')
    d.add_argument("--strict", action="store_true",
                   help="refuse undeclared names whose type the expression does not "
                        "determine (instead of taking it from the letter)")
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
    d.add_argument("--steps", action="store_true",
                   help="print the derivation step by step (each step justified and "
                        "checked numerically) before the result")
    d.add_argument("--method", choices=("differential", "limit"), default=None,
                   help="with --steps: differentials and trace tricks (default, seeds "
                        "001-002) or the limit definition (seed 000)")
    d.add_argument("--lang", choices=("en", "zh"), default=None,
                   help="with --steps: the language of the rule names (en default, zh)")
    d.add_argument("--at", default=None, metavar="POINT",
                   help="also print the value at a point: x=1,y=-2,z=5 (vectors [1,2,3], "
                        "matrices [[1,2],[3,4]], files @x.npy / @x.json); a scalar value "
                        "makes an undeclared name a scalar. --wrt x,y,z (commas) gives the "
                        "gradient over several variables, (f_x, f_y, f_z)")


def run(args: argparse.Namespace) -> int:
    """Print the derivative in the chosen format (and the numeric check with --check)."""
    if args.at is not None or any("," in w for w in args.wrt):
        ignored = [opt for opt, on in (("--check", args.check), ("--steps", args.steps),
                                       ("--method", args.method is not None),
                                       ("--lang", args.lang is not None)) if on]
        if ignored:  # never drop a request silently
            what = "--at" if args.at is not None else "--wrt x,y,z"
            raise OptionError(f"{what} cannot be combined with {', '.join(ignored)}; run "
                              "them as separate commands")
        from ..applications import point  # the value at a point (issue 8)
        out, note = point.diff_at(args.expr, args.wrt, args.at, args.declare, args.layout,
                                  args.symmetric_gradient, args.order, args.format,
                                  args.strict)
        print(out)
        if note and args.format == "text":
            print(note, file=sys.stderr)
        return 0
    result = api.derivative(args.expr, args.wrt, declare=args.declare, layout=args.layout,
                            symmetric_gradient=args.symmetric_gradient, order=args.order,
                            strict=args.strict)
    check = result.check() if args.check else None
    steps = None
    if args.steps or args.method is not None or args.lang is not None:
        steps = result.derivation(args.method or "differential", args.lang or "en")
        if args.format != "json":
            print(steps.latex() if args.format == "latex" else steps.text())
    if args.format == "json":
        payload = result.to_json()
        if steps is not None:
            payload["steps"] = steps.to_json()
        if check is not None:
            payload["check"] = {"ok": check.ok,
                                "max_relative_error": check.max_relative_error}
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        if args.format in CODE_FORMATS:
            out = result.code(args.format)
        else:
            out = {"text": result.text, "latex": result.latex,
                   "mathml": result.mathml}[args.format]
        if args.format not in CODE_FORMATS and result.result is None:
            kron = {"text": result.kronecker_text, "latex": result.kronecker_latex,
                    "mathml": result.kronecker_mathml}[args.format]
            if kron is not None:
                out += "\n" + kron
        print(f"{out}    ({check})" if check is not None else out)
        if args.format == "text":
            print(f"({result.describe()})", file=sys.stderr)
            print_types(result)
    return 0 if check is None or check.ok else 1
