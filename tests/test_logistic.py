"""sigmoid and softplus: golden forms, finite differences on every numeric surface,
extreme inputs, and the simplifier's logistic vocabulary.

The golden forms are the textbooks': logistic regression's gradient ``X'*(sigmoid(X*w) -
t)`` and Hessian ``X'*diag(s.*(1 - s))*X`` with ``s = sigmoid(X*w)`` (Bishop, PRML eqs.
4.91, 4.97), ``sigmoid' = sigmoid.*(1 - sigmoid)`` (eq. 4.88), ``softplus' = sigmoid`` and
``log(sigmoid(z)) = -softplus(-z)`` (Goodfellow et al., Deep Learning sec. 3.10), the
margin loss ``sum(log(1 + exp(-y.*(X*w))))`` with gradient ``-X'*(y.*(1 - sigmoid(y.*(X*w))))``
(Murphy, Machine Learning sec. 8.3.1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.special
from test_steps import verify

import matdiff
from matdiff.evaluate import evaluate
from matdiff.parse import parse
from matdiff.simplify import recognise_logistic, simplify
from matdiff.testing import choose_sizes, sample_point

jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")
jax.config.update("jax_enable_x64", True)

BCE = "-sum(t.*log(sigmoid(X*w)) + (1 - t).*log(1 - sigmoid(X*w)))"
GOLDEN = [  # (expression, wrt, declarations, text, LaTeX)
    (BCE, ["w"], [], "X'*(sigmoid(X*w) - t)",
     r"X^{\top} \left(\sigma\left(X w\right) - t\right)"),
    (BCE, ["w", "w"], [], "X'*diag(s.*(1 - s))*X  where s = sigmoid(X*w)",
     r"X^{\top} \operatorname{diag}\left(s \odot \left(1 - s\right)\right) X"
     r"\quad\text{where } s = \sigma\left(X w\right)"),
    ("sum(softplus(X*w)) - t'*X*w", ["w"], [], "X'*(sigmoid(X*w) - t)",
     r"X^{\top} \left(\sigma\left(X w\right) - t\right)"),
    ("sum(softplus(X*w)) - t'*X*w", ["w", "w"], [],
     "X'*diag(s.*(1 - s))*X  where s = sigmoid(X*w)",
     r"X^{\top} \operatorname{diag}\left(s \odot \left(1 - s\right)\right) X"
     r"\quad\text{where } s = \sigma\left(X w\right)"),
    ("sum(log(1 + exp(-y.*(X*w))))", ["w"], [], "-X'*(y.*(1 - sigmoid(y.*(X*w))))",
     r"-X^{\top} \left(y \odot \left(1 - \sigma\left(y \odot \left(X w\right)\right)"
     r"\right)\right)"),
    ("norm2(V*sigmoid(W*x) - y)^2", ["W"], [],
     "2*(s.*(1 - s).*(V'*(V*s - y)))*x'  where s = sigmoid(W*x)",
     r"2 \left(s \odot \left(1 - s\right) \odot \left(V^{\top} \left(V s - y\right)\right)"
     r"\right) x^{\top}\quad\text{where } s = \sigma\left(W x\right)"),
    # other names, shapes and scalars: the same identities
    ("-sum(y.*log(sigmoid(A*b)) + (1 - y).*log(1 - sigmoid(A*b)))", ["b"],
     ["b: vector(k)"], "A'*(sigmoid(A*b) - y)",
     r"A^{\top} \left(\sigma\left(A b\right) - y\right)"),
    ("log(sigmoid(a))", ["a"], [], "1 - sigmoid(a)",
     r"1 - \sigma\left(a\right)"),
    ("log(1 - sigmoid(a))", ["a"], [], "-sigmoid(a)", r"-\sigma\left(a\right)"),
    ("-(c*log(sigmoid(a)) + (1 - c)*log(1 - sigmoid(a)))", ["a"], [], "sigmoid(a) - c",
     r"\sigma\left(a\right) - c"),
    ("-(c*log(sigmoid(a)) + (1 - c)*log(1 - sigmoid(a)))", ["a", "a"], [],
     "sigmoid(a)*(1 - sigmoid(a))",
     r"\sigma\left(a\right) \left(1 - \sigma\left(a\right)\right)"),
    ("sigmoid(x)", ["x"], [], "diag(sigmoid(x).*(1 - sigmoid(x)))",
     r"\operatorname{diag}\left(\sigma\left(x\right) \odot \left(1 - \sigma\left(x"
     r"\right)\right)\right)"),
    ("sum(softplus(x))", ["x"], [], "sigmoid(x)", r"\sigma\left(x\right)"),
    # written out by hand: the same textbook results
    ("-sum(t.*log(1 ./ (1 + exp(-X*w))) + (1 - t).*log(1 - 1 ./ (1 + exp(-X*w))))", ["w"],
     [], "X'*(sigmoid(X*w) - t)", r"X^{\top} \left(\sigma\left(X w\right) - t\right)"),
    ("sum(log(1 + exp(X*w))) - t'*X*w", ["w"], [], "X'*(sigmoid(X*w) - t)",
     r"X^{\top} \left(\sigma\left(X w\right) - t\right)"),
    ("sum(exp(z)./(exp(z) + 1))", ["z"], [], "sigmoid(z).*(1 - sigmoid(z))",
     r"\sigma\left(z\right) \odot \left(1 - \sigma\left(z\right)\right)"),
]


@pytest.mark.parametrize(("expr", "wrt", "declare", "text", "latex"), GOLDEN,
                         ids=[f"{g[0]}/{','.join(g[1])}" for g in GOLDEN])
def test_golden_forms(expr: str, wrt: list[str], declare: list[str], text: str,
                      latex: str) -> None:
    d = matdiff.derivative(expr, wrt, declare=declare)
    assert d.text == text
    assert d.latex == latex
    assert d.check(seed=11).ok


# --- finite differences at orders 1 and 2 on every surface ---------------------------------

CASES = [
    (BCE, "w", []),
    ("sum(softplus(X*w)) - t'*X*w", "w", []),
    ("norm2(V*sigmoid(W*x) - y)^2", "W", []),
    ("sum(softplus(A*X*B))", "X", []),
    ("tr(sigmoid(X)*A)", "X", []),
    ("softplus(a*b) + sigmoid(-a)^2", "a", []),
    ("sum(log(sigmoid(M*x)))", "x", []),
    ("sigmoid(W*x)", "x", []),
    ("softplus(W*x)", "x", []),  # order 2: a third-order tensor (einsum code)
    ("sum(sigmoid(W*x))", "W", []),
]


def _point(d: matdiff.Derivative, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    sizes = choose_sizes([d.function, *d.variables.values()], rng)
    return sample_point(d.function, d.variables, sizes, rng)


def _close(got: Any, want: Any, tol: float = 1e-8) -> None:
    g = np.asarray(got.detach().numpy() if hasattr(got, "detach") else got, dtype=float)
    w = np.asarray(want, dtype=float)
    assert g.shape == w.shape
    scale = max(1.0, float(np.max(np.abs(w), initial=0.0)))
    assert float(np.max(np.abs(g - w), initial=0.0)) <= tol * scale


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize(("expr", "wrt", "declare"), CASES, ids=[c[0] for c in CASES])
def test_every_surface_matches_finite_differences(expr: str, wrt: str, declare: list[str],
                                                  order: int) -> None:
    d = matdiff.derivative(expr, [wrt] * order, declare=declare)
    for seed in (1, 2):  # random shapes each time
        assert d.check(seed=seed).ok  # the reference evaluator against finite differences
        env = _point(d, seed)
        want = d.evaluate(env)
        _close(eval(d.numpy, {"np": np}, dict(env)), want)  # generated code, trusted here
        _close(d.compile("numpy")(**env), want)
        _close(d.compile("jax")(**env), want)
        _close(d.compile("torch")(**{k: torch.as_tensor(v) for k, v in env.items()}), want)


@pytest.mark.parametrize(("expr", "wrt"), [(BCE, "w"), ("sum(softplus(X*w))", "w"),
                                           ("sum(sigmoid(x))", "x"), ("softplus(a)", "a")])
def test_steps_are_checked(expr: str, wrt: str) -> None:
    d = matdiff.derivative(expr, wrt)
    assert verify(d, d.steps) >= 1
    rules = " ".join(s.text for s in d.steps.steps)
    assert "sigmoid" in rules
    zh = d.derivation("differential", "zh")
    assert verify(d, zh) >= 1


# --- extreme inputs --------------------------------------------------------------------------

Z = np.array([-1e3, -700.0, -40.0, -1.0, 0.0, 1e-9, 1.0, 40.0, 700.0, 1e3])


def _exact(fn: str, z: np.ndarray) -> np.ndarray:
    return scipy.special.expit(z) if fn == "sigmoid" else np.logaddexp(0.0, z)


@pytest.mark.parametrize("fn", ["sigmoid", "softplus"])
def test_evaluate_is_finite_and_right_for_large_arguments(fn: str) -> None:
    node = parse(f"{fn}(z)").expr
    with np.errstate(all="raise"):  # no overflow, not even a warning
        value = evaluate(node, {"z": Z})
    assert np.all(np.isfinite(value))
    np.testing.assert_allclose(value, _exact(fn, Z), rtol=1e-14, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
@pytest.mark.parametrize("expr", ["sigmoid(z)", "softplus(z)", "sum(softplus(z))",
                                  "sum(log(sigmoid(z)))"])
def test_compiled_code_is_finite_and_right_for_large_arguments(expr: str, backend: str,
                                                               dtype: type) -> None:
    """The value, the gradient and the Hessian diagonal at |z| up to 1e3, in float32 and
    float64 (the exact values from SciPy's logistic and NumPy's logaddexp)."""
    z = Z.astype(dtype)
    arg: Any = torch.as_tensor(z) if backend == "torch" else z
    s = scipy.special.expit(Z)
    for order in (1, 2):
        d = matdiff.derivative(expr, ["z"] * order)
        with np.errstate(over="raise", invalid="raise"):
            got = d.compile(backend)(z=arg)
        got = np.asarray(got.detach().numpy() if hasattr(got, "detach") else got)
        if backend != "jax" and order == 1:  # (JAX in x64 mode computes in float64)
            assert got.dtype == dtype
        assert np.all(np.isfinite(got))
        if expr == "sum(softplus(z))":
            want = s if order == 1 else np.diag(s * (1 - s))
        elif expr == "sum(log(sigmoid(z)))":
            want = 1 - s if order == 1 else np.diag(-s * (1 - s))
        elif order == 1:
            want = np.diag(s * (1 - s)) if expr == "sigmoid(z)" else np.diag(s)
        else:
            continue  # a third-order tensor
        tol = 1e-6 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 1e-30)


def test_logistic_loss_at_extreme_margins() -> None:
    """The margin loss and its gradient where exp(-y.*(X*w)) overflows float64."""
    d = matdiff.derivative("sum(log(1 + exp(-y.*(X*w))))", "w")
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    env = {"X": X, "w": np.array([800.0, -900.0]), "y": np.array([-1.0, 1.0, 1.0])}
    margin = env["y"] * (X @ env["w"])
    want = -X.T @ (env["y"] * scipy.special.expit(-margin))
    for got in (d.evaluate(env), d.compile("numpy")(**env), d.compile("jax")(**env),
                d.compile("torch")(**{k: torch.as_tensor(v) for k, v in env.items()})):
        _close(got, want, tol=1e-12)


# --- the vocabulary -------------------------------------------------------------------------

@pytest.mark.parametrize(("written", "named"), [
    ("1 ./ (1 + exp(-z))", "sigmoid(z)"),
    ("1 ./ (exp(-z) + 1)", "sigmoid(z)"),
    ("exp(z) ./ (1 + exp(z))", "sigmoid(z)"),
    ("exp(z) ./ (exp(z) + 1)", "sigmoid(z)"),
    ("1/(1 + exp(-a*b))", "sigmoid(a*b)"),
    ("log(1 + exp(X*w))", "softplus(X*w)"),
    ("log(exp(a) + 1)", "softplus(a)"),
    ("exp(-z)./(1 + exp(-z)).^2", "sigmoid(z).*(1 - sigmoid(z))"),
    ("sigmoid(-z)", "1 - sigmoid(z)"),
    ("log(sigmoid(z))", "-softplus(-z)"),
    ("log(1 - sigmoid(z))", "-softplus(z)"),
    ("softplus(z) - softplus(-z)", "z"),
    ("sigmoid(z).*(1 - t) - t.*(1 - sigmoid(z))", "sigmoid(z) - t"),
    ("sigmoid(0)", "1/2"),
])
def test_simplifier_speaks_the_logistic_vocabulary(written: str, named: str) -> None:
    p = parse(written)
    got = simplify(recognise_logistic(p.expr))
    assert got is simplify(parse(named).expr)
    rng = np.random.default_rng(4)
    env = sample_point(p.expr, p.variables, choose_sizes([p.expr], rng), rng)
    np.testing.assert_allclose(evaluate(got, env), evaluate(p.expr, env),
                               rtol=1e-12, atol=1e-12)


def test_recognition_leaves_other_quotients_alone() -> None:
    for text in ("1 ./ (2 + exp(-z))", "exp(z) ./ (3 + exp(z))", "log(2 + exp(z))",
                 "x ./ (1 + y)"):
        node = parse(text).expr
        assert "sigmoid" not in str(recognise_logistic(node))
        assert "softplus" not in str(recognise_logistic(node))


# --- the per-op tables outside the printers and backends -----------------------------------

def test_exact_values_and_constant_folding() -> None:
    """sigmoid(0) = 1/2 exactly (folded and in exact evaluation); softplus(0) = log(2) and
    sigmoid(1) are irrational and stay calls."""
    from fractions import Fraction

    from matdiff.applications.exact import exact_value

    assert simplify(parse("sigmoid(0)*x").expr) is simplify(parse("x/2").expr)
    assert "softplus" in str(simplify(parse("softplus(0)*x").expr))
    assert "sigmoid" in str(simplify(parse("sigmoid(1)*x").expr))
    node = parse("sigmoid(a)").expr
    assert exact_value(node, {"a": Fraction(0)}, {}) == Fraction(1, 2)
    assert exact_value(node, {"a": Fraction(1)}, {}) is None
    assert exact_value(parse("softplus(a)").expr, {"a": Fraction(0)}, {}) is None
    # constants of huge magnitude are checked without overflow
    parse("sigmoid(-1000)*x + softplus(1000)*x + softplus(-1000)*x")


def test_sympy_gets_the_formulas() -> None:
    sympy = pytest.importorskip("sympy")
    from matdiff.applications.sympy_interop import to_sympy

    a = sympy.Symbol("a")
    assert sympy.simplify(to_sympy("sigmoid(a)") - 1 / (1 + sympy.exp(-a))) == 0
    assert sympy.simplify(to_sympy("softplus(a)") - sympy.log(1 + sympy.exp(a))) == 0
    assert to_sympy("sigmoid(x)").shape[1] == 1


def test_sign_and_codegen_syrk_for_the_logistic_hessian() -> None:
    """X'*diag(s.*(1 - s))*X: the weights are provably positive, so the fast code takes
    their square root (a syrk); the values agree with the reference evaluator."""
    h = matdiff.derivative("sum(softplus(X*w))", ["w", "w"])
    rng = np.random.default_rng(3)
    env = {"X": rng.normal(size=(20, 4)), "w": rng.normal(size=4)}
    c = h.compile("numpy")
    assert "np.sqrt(" in c.source(X=(20, 4), w=(4,))
    _close(c(**env), h.evaluate(env))
