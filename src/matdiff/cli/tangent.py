"""``matdiff tangent "x^2 + y^2 + z^2 = 30" --at 1,-2,5 [--plot out.png]`` (seed 000)."""

from __future__ import annotations

import argparse

from ..applications.plot import check_plot_path
from ..applications.tangent import tangent
from ..spans import printable

NAME = "tangent"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``tangent`` subcommand's parser."""
    t = sub.add_parser(
        NAME, help="tangent plane and normal line of a surface at a point",
        description="The tangent plane (point-normal and expanded forms) and the normal "
                    "line of the surface F(x, y, z) = c (or a graph z = f(x, y), or one "
                    "vector variable: p'*p = 30) at a point, from the gradient of F there "
                    "(seed 000). Coordinates are the equation's names in alphabetical "
                    "order (names a-g and Greek ones are parameters, given by name); "
                    "--vars sets them. Refuses a point off the surface or where the "
                    "gradient vanishes.",
        epilog="examples:\n"
               '  matdiff tangent "x^2 + y^2 + z^2 = 30" --at 1,-2,5\n'
               '  matdiff tangent "z = x^2 + y^2" --at 1,2 --plot out.png\n'
               '  matdiff tangent "p\'*p = 30" --at 1,-2,5\n'
               '  matdiff tangent "x^2 + y^2 + z^2 = 2" --at -1,0,1')
    t.add_argument("equation", metavar="EQUATION", help='e.g. "x^2 + y^2 + z^2 = 30"')
    t.add_argument("--at", required=True, metavar="POINT",
                   help="the point: 1,-2,5 (coordinates in order) or x=1,y=-2,z=5; "
                        "parameters by name (a=2); for a graph z = f(x,y), z may be omitted")
    t.add_argument("--vars", default=None, metavar="X,Y,Z",
                   help="the coordinates, in order (default: alphabetical)")
    t.add_argument("--declare", action="append", default=[], metavar="DECL",
                   help='a declaration such as "p: vector(3)" (repeatable)')
    t.add_argument("--strict", action="store_true",
                   help="refuse undeclared names whose type the expression does not "
                        "determine (instead of taking it from the letter)")
    t.add_argument("--plot", default=None, metavar="OUT.png",
                   help="also draw the surface near the point with the plane and the normal")


def run(args: argparse.Namespace) -> int:
    """Print the tangent plane and the normal line (and write the plot)."""
    if args.plot is not None:
        check_plot_path(args.plot)  # before any work: nothing is printed for a bad path
    coords = None if args.vars is None else [v.strip() for v in args.vars.split(",")]
    result = tangent(args.equation, args.at, declare=args.declare, coordinates=coords,
                     strict=args.strict)
    if args.plot is not None:
        result.plot(args.plot)  # written before anything is printed: all or nothing
    print(result.text)
    if args.plot is not None:
        print(f"plot written to {printable(args.plot)}")
    return 0
