"""``matdiff solve "norm2(X*w - y)^2" --for w [--steps]``: df = 0 in closed form (seed 003)."""

from __future__ import annotations

import argparse

from ..applications.solve import solve

NAME = "solve"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``solve`` subcommand's parser."""
    s = sub.add_parser(
        NAME, help="solve df/dX = 0 (stationary points) in closed form",
        description="Set the gradient of a scalar expression to zero. When the gradient "
                    "is affine in the variable, print the linear equation (the normal "
                    "equation X'*X*w = X'*y for least squares) and its closed-form "
                    "solution with the condition it needs; a matrix variable multiplied "
                    "on both sides gives a Sylvester equation, printed as such; otherwise "
                    "the condition is printed and said to be nonlinear.",
        epilog="examples:\n"
               '  matdiff solve "norm2(X*w - y)^2" --for w\n'
               '  matdiff solve "norm2(X*w - y)^2 + lam*norm2(w)^2" --for w --steps\n'
               '  matdiff solve "norm2(A*X - B)^2" --for X')
    s.add_argument("expr", metavar="EXPR", help='a scalar expression, e.g. "norm2(X*w - y)^2"')
    s.add_argument("--for", dest="wrt", required=True, metavar="VAR",
                   help="the variable to solve for")
    s.add_argument("--declare", action="append", default=[], metavar="DECL",
                   help='a declaration such as "X: matrix(m,n)" (repeatable)')
    s.add_argument("--strict", action="store_true",
                   help="refuse undeclared names whose type the expression does not "
                        "determine (instead of taking it from the letter)")
    s.add_argument("--steps", action="store_true",
                   help="also print the derivation: the derivative's steps, then the solve")
    s.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="language of the derivative's steps")


def run(args: argparse.Namespace) -> int:
    """Print the stationary condition and the solution (and the steps)."""
    result = solve(args.expr, args.wrt, declare=args.declare, strict=args.strict)
    print(result.text)
    if args.steps:
        print()
        print(result.derivation(args.lang).text())
    return 0
