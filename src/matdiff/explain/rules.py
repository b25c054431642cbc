"""The rules a derivation names: one row per rule id, with its English and Chinese name
and where it is from.

The Chinese names are the seed notes' own where they name the rule (seed 001: 线性法则,
乘积法则, 商法则, 链式法则; seed 000: 迹的性质1-5, 矩阵内积 in seed 002), else the usual
textbook term.  Equation numbers are The Matrix Cookbook's (version of November 15, 2012),
as in tests/corpus/cookbook.toml; "seed 000, property k" is seed 000's list of trace
properties.  Every rule id has both names (tests/test_steps.py asserts it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleName:
    en: str
    zh: str
    source: str


RULES: dict[str, RuleName] = {
    # --- the differential method: definitions and differential rules (diff/differentials)
    "definition": RuleName("the differential of f", "对 f 取微分",
                           "seed 001"),
    "d-constant": RuleName("dA = 0 for a constant", "常量的微分为零",
                           "Matrix Cookbook (eq. 33)"),
    "d-sum": RuleName("linearity of d", "线性法则", "seed 001; Matrix Cookbook (eq. 35)"),
    "d-product": RuleName("product rule", "乘积法则", "seed 001; Matrix Cookbook (eq. 37)"),
    "d-hadamard": RuleName("product rule for .*", "逐元素乘积的乘积法则",
                           "Matrix Cookbook (eq. 38)"),
    "d-quotient": RuleName("quotient rule", "商法则", "seed 001"),
    "d-power": RuleName("power rule", "幂函数求导法则", "d(u^p) = p u^(p-1) du"),
    "d-matpow": RuleName("product rule for X^k", "矩阵幂的乘积法则",
                         "Matrix Cookbook (eq. 37)"),
    "d-transpose": RuleName("d(U') = (dU)'", "转置与微分可交换",
                            "Matrix Cookbook (eq. 44)"),
    "d-trace": RuleName("linearity of tr and d", "迹与微分可交换（线性）",
                        "Matrix Cookbook (eq. 36)"),
    "d-linear": RuleName("linearity of sum, diag and d", "线性运算与微分可交换", "algebra"),
    "d-det": RuleName("d det(X) = det(X) tr(inv(X) dX)", "行列式的微分",
                      "Matrix Cookbook (eq. 42)"),
    "d-logdet": RuleName("d logdet(X) = tr(inv(X) dX)", "对数行列式的微分",
                         "Matrix Cookbook (eq. 43)"),
    "d-inv": RuleName("d inv(X) = -inv(X) dX inv(X)", "逆矩阵的微分",
                      "Matrix Cookbook (eq. 40)"),
    "d-norm2": RuleName("d norm2(U) = <U, dU>/norm2(U)", "范数的微分",
                        "Matrix Cookbook (eq. 129)"),
    "d-norm1": RuleName("d norm1(U) = sum(sign(U) .* dU)", "1-范数的微分", "algebra"),
    # reduce
    "d-logsumexp": RuleName("d logsumexp(x) = softmax(x)'*dx; d logsumexp(X, 2) = "
                            "sum(softmax(X, 2).*dX, 2)", "对数求和指数的微分",
                            "Bishop, PRML eq. 4.106"),
    "d-softmax": RuleName("d softmax(x) = (diag(p) - p*p')*dx = p.*dx - p*(p'*dx), "
                          "p = softmax(x) (by rows and columns alike)", "softmax 的微分",
                          "Bishop, PRML eq. 4.106; Magnus & Neudecker ch. 8"),
    "d-elementwise": RuleName("chain rule d f(U) = f'(U) .* dU", "链式法则 d f(U) = f'(U) .* dU",
                              "seed 001"),
    # sigmoid, softplus
    "d-sigmoid": RuleName("d sigmoid(U) = sigmoid(U) .* (1 - sigmoid(U)) .* dU",
                          "sigmoid 函数的微分 d sigmoid(U) = sigmoid(U) .* (1 - sigmoid(U)) .* dU",
                          "Bishop, PRML (eq. 4.88)"),
    "d-softplus": RuleName("d softplus(U) = sigmoid(U) .* dU",
                           "softplus 函数的微分 d softplus(U) = sigmoid(U) .* dU",
                           "Goodfellow et al., Deep Learning (sec. 3.10)"),
    "tidy": RuleName("algebra", "代数化简", ""),
    # --- trace tricks (diff/transpose, the adjoint rules) and identification
    "cyclic": RuleName("cyclic property of the trace", "迹的循环性质",
                       "seed 000, property 2"),
    "transpose-invariance": RuleName("transpose invariance of the trace", "迹的转置不变性",
                                     "seed 000, property 1"),
    "trace-linearity": RuleName("linearity of the trace", "迹的线性性质",
                                "seed 000, property 3"),
    "trace-scaling": RuleName("tr(a*A) = a*tr(A)", "迹的数乘性质 tr(a*A) = a*tr(A)",
                              "seed 000, property 4"),
    "inner-product": RuleName("sum(H .* U) = tr(H'*U)", "矩阵内积 sum(H .* U) = tr(H'*U)",
                              "seed 000, property 5"),
    "double-transpose": RuleName("G = (G')'", "转置的转置等于自身", "Matrix Cookbook (eq. 4)"),
    "scalar-transpose": RuleName("a scalar equals its transpose", "标量的转置等于自身",
                                 "seed 002"),
    "collect": RuleName("linearity (collect terms)", "线性性质（合并同类项）",
                        "seed 000, property 3"),
    "identification": RuleName("identification df = tr(G'*dX)",
                               "矩阵微分与导数的联系 df = tr(G'*dX)", "seed 001"),
    "identification-vector": RuleName("identification df = G'*dx",
                                      "向量微分与导数的联系 df = G'*dx", "seed 001"),
    "identification-scalar": RuleName("identification df = f'*dx",
                                      "标量微分与导数的联系 df = f'*dx", "seed 001"),
    # implicit expansion (W*X + b): linear, its adjoint sums over the expanded axis
    "d-expand": RuleName("d(v*1') = dv*1': implicit expansion (W*X + b) is linear",
                         "隐式扩展 (W*X + b) 是线性运算，与微分可交换",
                         "algebra (MATLAB implicit expansion)"),
    "expand-sum": RuleName("tr(G'*(v*1')) = (G*1)'*v: the expanded axis is summed",
                           "tr(G'*(v*1')) = (G*1)'*v：对扩展的维度求和",
                           "seed 000, properties 2 and 5"),
    "identification-jacobian": RuleName("identification dy = J*dx (Jacobian, mixed layout)",
                                        "雅可比矩阵的辨识 dy = J*dx（混合布局）", "seed 002"),
    "identification-kronecker": RuleName("vec(A*dX*B) = (B' ⊗ A)*vec(dX)",
                                         "向量化：vec(A*dX*B) = (B' ⊗ A)*vec(dX)",
                                         "Matrix Cookbook (eq. 520)"),
    "identification-index": RuleName("the derivative in index form (mixed layout)",
                                     "导数的指标形式（混合布局）", "DESIGN.md"),
    "hessian": RuleName("differentiate the gradient again", "对梯度再求微分",
                        "seed 001"),
    "identification-hessian": RuleName("identification dG = H*dx (Hessian)",
                                       "海森矩阵的辨识 dG = H*dx", "seed 001"),
    "higher-order": RuleName("Leibniz's rule on the index form", "对指标形式再求导（莱布尼茨法则）",
                             "DESIGN.md"),
    "symmetric": RuleName("dX symmetric: the gradient on symmetric matrices is (G + G')/2",
                          "dX 对称：对称矩阵上的梯度为 (G + G')/2", "DESIGN.md"),
    "symmetric-cookbook": RuleName("symmetric X, The Matrix Cookbook's G + G' - diag(G)",
                                   "对称矩阵 X，Matrix Cookbook 的约定 G + G' - diag(G)",
                                   "Matrix Cookbook (eq. 141)"),
    "diagonal": RuleName("dX diagonal: the gradient is diag(diag(G))",
                         "dX 为对角阵：梯度为 diag(diag(G))", "DESIGN.md"),
    "simplify": RuleName("simplification", "化简", "simplify/rules.py"),
    "layout-numerator": RuleName("numerator layout: the transpose of the mixed layout's",
                                 "分子布局：混合布局的转置", "seed 003"),
    "layout-denominator": RuleName("denominator layout: the numerator layout transposed",
                                   "分母布局：分子布局的转置", "seed 003"),
    # --- kron, vec, reshape, pinv, adj
    "d-kron": RuleName("d kron(A, B) = kron(dA, B) + kron(A, dB)", "克罗内克积的微分",
                       "Matrix Cookbook (eq. 39)"),
    "d-vec": RuleName("d vec(X) = vec(dX), d reshape(U) = reshape(dU)",
                      "向量化与微分可交换（线性）", "Matrix Cookbook (sec. 10.2.2)"),
    "d-pinv": RuleName("d pinv(X) = -P dX P + P P' dX' (I - X P) + (I - P X) dX' P' P, "
                       "P = pinv(X), where the rank of X is constant", "伪逆的微分（秩不变处）",
                       "Golub & Pereyra 1973 (eq. 4.12); Matrix Cookbook (sec. 3.6)"),
    "d-adj": RuleName("d adj(X) = adj(X) tr(inv(X) dX) - adj(X) dX inv(X) (X invertible)",
                      "伴随矩阵的微分（X 可逆）", "Matrix Cookbook (sec. 1.1, eqs. 42, 40)"),
    "kron-blocks": RuleName("<G, kron(U, B)> = sum of the blocks of G weighted by B",
                            "克罗内克积的伴随：按 B 加权的分块求和",
                            "Matrix Cookbook (sec. 10.2.1)"),
    "vec-reshape": RuleName("<g, vec(U)> = <reshape(g), U>", "vec 的伴随是 reshape",
                            "Matrix Cookbook (sec. 10.2.2)"),
    # --- the limit method (seed 000)
    "limit-definition": RuleName("definition of the derivative along W",
                                 "方向导数的定义", "seed 000, property 2"),
    "limit-substitute": RuleName("substitute X + t*W", "代入 X + t*W", "seed 000"),
    "limit-expand": RuleName("expand and collect powers of t", "展开并按 t 的幂合并",
                             "seed 000"),
    "limit-cancel": RuleName("f(X) cancels", "消去 f(X)", "seed 000"),
    "limit-divide": RuleName("divide by t", "约去 t", "seed 000"),
    "limit-take": RuleName("take the limit t -> 0", "取极限 t -> 0", "seed 000"),
    "limit-first-order": RuleName(
        "first-order expansion f(X + t*W) = f(X) + t*df(X)[W] + O(t^2), by the differential "
        "rules (the limit method expands polynomials only)",
        "一阶展开 f(X + t*W) = f(X) + t*df(X)[W] + O(t^2)，由微分法则（极限法只展开多项式）",
        "Matrix Cookbook (eqs. 33-45)"),
    "limit-read-off": RuleName("D_W f(X) = tr(W'*U) gives df/dX = U",
                               "由 D_W f(X) = tr(W'*U) 得 df/dX = U", "seed 000, property 2"),
}

# Which rule a differential-rule application (diff.differential's trace) is named by.
DIFFERENTIAL_RULES: dict[str, str] = {
    "add": "d-sum", "mul": "d-product", "hadamard": "d-hadamard", "ediv": "d-quotient",
    "power": "d-power", "matpow": "d-matpow", "transpose": "d-transpose", "tr": "d-trace",
    "sum": "d-linear", "diagm": "d-linear", "diagv": "d-linear", "broadcast": "d-linear",
    "det": "d-det", "logdet": "d-logdet", "inv": "d-inv", "norm2": "d-norm2",
    "norm1": "d-norm1",
    # sigmoid, softplus
    "sigmoid": "d-sigmoid", "softplus": "d-softplus",
    "logsumexp": "d-logsumexp", "softmax": "d-softmax",  # reduce
    "expand": "d-expand",
    # kron, vec, reshape, pinv, adj
    "kron": "d-kron", "vec": "d-vec", "reshape": "d-vec", "pinv": "d-pinv", "adj": "d-adj",
}
# Which trace property an adjoint-rule application (diff.transpose_linear's trace) uses.
ADJOINT_RULES: dict[str, str] = {
    "mul": "cyclic", "transpose": "transpose-invariance", "add": "trace-linearity",
    "hadamard": "inner-product", "sum": "inner-product",
    "ediv": "inner-product", "broadcast": "inner-product", "diagm": "inner-product",
    "diagv": "inner-product",
    "expand": "expand-sum",
    # kron, vec, reshape
    "kron": "kron-blocks", "vec": "vec-reshape", "reshape": "vec-reshape",
}


def rule_name(rule_id: str, lang: str) -> str:
    row = RULES[rule_id]
    return row.zh if lang == "zh" else row.en


NOT_CHECKED = {"en": "not checked numerically: not a finite number at any point tried",
               "zh": "未经数值检验：在所有尝试的点上都不是有限数"}
"""Appended to the rule of a line that no random point could check (:mod:`.check`)."""


def joined(rule_ids: list[str], lang: str) -> tuple[str, str]:
    """The names of ``rule_ids`` (first appearance order, no repeats) and their sources."""
    seen: list[str] = []
    for r in rule_ids:
        if r not in seen:
            seen.append(r)
    sep = "，" if lang == "zh" else ", "
    names = sep.join(rule_name(r, lang) for r in seen)
    sources: list[str] = []
    for r in seen:
        for s in RULES[r].source.split("; "):
            if s and s not in sources:
                sources.append(s)
    return names, "; ".join(sources)
