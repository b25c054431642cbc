"""Run matdiff on the seed notes' examples and print each derivative with its check.

Usage: scripts/demo   (or: python examples/seeds.py)
"""

from __future__ import annotations

import matdiff

EXAMPLES: list[tuple[str, str, str, list[str]]] = [
    ("seed 000, property 3", "tr(A*X)", "X", []),
    ("seed 000, property 4", "tr(X'*A')", "X", []),
    ("seed 000, property 6", "tr(A*X*B*X'*C)", "X", []),
    ("seed 000, property 7", "tr(X*B*X'*C)", "X", []),
    ("seed 000, the sphere's gradient", "x^2 + y^2 + z^2 - 30", "x",
     ["x: scalar", "y: scalar", "z: scalar"]),
    ("seed 002, y = x'Ax", "x'*A*x", "x", []),
    ("seed 002, y = x'Ax, A symmetric", "x'*A*x", "x", ["A: matrix(n,n) symmetric"]),
    ("seed 003, d(a'x)/dx", "a'*x", "x", ["a: vector(n)"]),
    ("seed 003, d(x'x)/dx", "x'*x", "x", []),
    ("seed 003, d(x'a)^2/dx", "(x'*a)^2", "x", ["a: vector(n)"]),
    ("seed 003, least squares", "norm2(X*w-y)^2", "w", []),
    ("Matrix Cookbook (49)", "log(det(X))", "X", []),
    ("Matrix Cookbook (41)", "det(X)", "X", []),
]


def main() -> None:
    width = max(len(expr) + len(wrt) for _, expr, wrt, _ in EXAMPLES) + 8
    for title, expr, wrt, declare in EXAMPLES:
        d = matdiff.derivative(expr, wrt, declare=declare)
        lhs = f"d({expr})/d{wrt}"
        print(f"{lhs:<{width}} = {d.text:<26} [{title}; {d.check()}]")
    print("\nLaTeX of the least-squares gradient:",
          matdiff.derivative("norm2(X*w-y)^2", "w").latex)


if __name__ == "__main__":
    main()
