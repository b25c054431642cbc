"""``matdiff identity LHS RHS [--declare DECL]...``: is ``LHS = RHS`` a matrix identity?

Prints ``true`` with the rewrite rules that prove it (seed 000's trace properties and
matdiff's canonical form), or ``false`` with a numeric counterexample; exit status 0 if
true, 1 if false, 2 on bad input (a parse or shape error, with a caret).
"""

from __future__ import annotations

import argparse

import numpy as np

from .. import explain

NAME = "identity"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``identity`` subcommand's parser."""
    p = sub.add_parser(
        NAME, help="check a matrix identity (true with the rules used, or a counterexample)",
        description="Decide whether LHS = RHS for all values of the variables: both sides "
                    "are brought to a canonical form with the rewrite rules (the trace "
                    "properties of seed 000 among them) and always also compared on random "
                    "instances that respect the declarations. Exit status 0 if the identity "
                    "holds, 1 if it does not, 2 on bad input.",
        epilog="examples:\n"
               '  matdiff identity "tr(A*B*C)" "tr(C*A*B)"\n'
               '  matdiff identity "tr(A*B*C)" "tr(B*A*C)"')
    p.add_argument("lhs", metavar="LHS", help="the left side, e.g. \"tr(A*B*C)\"")
    p.add_argument("rhs", metavar="RHS", help="the right side, e.g. \"tr(C*A*B)\"")
    p.add_argument("--declare", action="append", default=[], metavar="DECL",
                   help='a declaration such as "S: matrix(n,n) symmetric" (repeatable)')
    p.add_argument("--strict", action="store_true",
                   help="refuse undeclared names whose type the expression does not "
                        "determine (instead of taking it from the letter)")


def _array(a: object) -> str:
    return np.array2string(np.asarray(a, dtype=float), precision=4, suppress_small=True,
                           separator=", ").replace("\n", "\n      ")


def run(args: argparse.Namespace) -> int:
    """Print the verdict; 0 if the identity holds, 1 if not."""
    r = explain.identity(args.lhs, args.rhs, declare=args.declare, strict=args.strict)
    if r.holds:
        how = ("proved by the rewrite rules" if r.proved
               else "no rewrite proof found; checked numerically only")
        print(f"true: {r.lhs.strip()} = {r.rhs.strip()}    ({how}; equal on {r.points} "
              f"random instances)")
        if r.proved:
            print("rules used:")
            for name, stated in zip(r.rules, r.identities, strict=True):
                print(f"  {name}: {stated}")
        return 0
    print(f"false: {r.lhs.strip()} != {r.rhs.strip()}    (largest difference "
          f"{r.difference:.3g} over {r.points} random instances)")
    if r.counterexample is not None:
        print("counterexample:")
        for name, value in r.counterexample.items():
            print(f"  {name} = {_array(value)}")
    return 1
