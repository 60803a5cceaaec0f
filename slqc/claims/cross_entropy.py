"""Theorems 6 and 7: cross-entropy losses are SLQC (section 3.3; proofs in sections 5.9, 5.10).

* Theorem 6 (section 3.3, proof 5.9): sigmoid output with binary cross-entropy,
  err_hat(w) = -1/m sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)], p_i = sigmoid(<w, x_i>),
  ||w*|| <= W: (eps, eps / (1 - e^{-eps})^2, w*)-SLQC in w on B(0, W), for all eps > 0.
* Theorem 7 (section 3.3, proof 5.10): softmax over d' = k classes with cross-entropy,
  ||W*||_F <= W: (eps, eps d' / (1 - e^{-eps})^2, W*)-SLQC in W on B(0, W).

The statements say "idealized", which for a squared loss means y_i = phi(<w*, x_i>); the
proofs instead use binary / one-hot labels (y_i in {0, 1}) *and* y_i = phi(<w*, x_i>) in
the same line. Every reading is tested, named by the ``labels`` key of a setting:

* ``idealized``: soft labels y_i = sigmoid(<w*, x_i>) (softmax probabilities for k classes);
  w* is then the minimizer.
* ``bernoulli``: binary labels drawn from the teacher, y_i ~ Bernoulli(sigmoid(<w*, x_i>))
  (a one-hot class drawn from the softmax).
* ``threshold`` / ``argmax``: y_i = 1{<w*, x_i> >= 0} (one-hot of the argmax).

The reference point is w* (W*) in every reading, as the theorem states; with binary labels
it is no longer the minimizer of err_hat.

Shapes: X (m, d); y (m,) and w (d,) for Theorem 6; Y (m, k) and W (d, k) for Theorem 7.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import sympy

from ._build import glm_problem
from .base import SYMBOLS, Claim, Problem, check_budget, grid, product
from .glm_squared import EPS_FULL, EPS_ONE

eps, k = SYMBOLS["eps"], SYMBOLS["k"]

BCE_BASE = {"activation": "sigmoid", "W": 2.0, "wstar": 1.0, "m": 256, "d": 16, "k": 1, "distribution": "ball",
            "seed": 0, "labels": "idealized"}


def _ce_settings(base: dict, budget: str, binary_readings: list[str]) -> list[dict]:
    check_budget(budget)
    if budget == "quick":
        axes = {"labels": binary_readings[:1], "x": [{"m": 8, "d": 16, "distribution": "nonneg", "W": 8.0}]}
    else:
        axes = {
            "labels": binary_readings,
            "W": [0.5, 8.0, 32.0],
            "md": [{"m": 8, "d": 16}, {"m": 1024, "d": 4}, {"m": 64, "d": 2}],
            "distribution": ["sphere", "nonneg", "digits"],
            "seed": [1, 2],
            "mix": [dict(labels=binary_readings[0], m=8, d=16, distribution="nonneg", W=8.0),
                    dict(labels=binary_readings[-1], m=64, d=64, distribution="digits", W=8.0)],
        }
    others = grid(base, **axes)[1:]
    return product([base], "eps", EPS_FULL[budget]) + product(others, "eps", EPS_ONE[budget])


class Theorem6(Claim):
    """Theorem 6 (section 3.3; proof section 5.9): kappa = eps / (1 - e^{-eps})^2."""

    name = "thm6"
    theorem = "Theorem 6"
    section = "3.3"
    proof_section = "5.9"
    statement = ("Idealized GLM-like setting, sigmoid, binary cross-entropy, ||w*|| <= W: err_hat(w) is "
                 "(eps, eps / (1 - e^{-eps})^2, w*)-SLQC in w for all w in B(0, W) and all eps > 0.")
    hypotheses = ("||x_i|| <= 1", "labels in [0, 1] (idealized: y_i = sigmoid(<w*, x_i>))", "||w*|| <= W")
    readings = {"labels=idealized": "y_i = sigmoid(<w*, x_i>) (soft labels; w* is the minimizer)",
                "labels=bernoulli": "y_i ~ Bernoulli(sigmoid(<w*, x_i>)) (binary labels, as in the proof)",
                "labels=threshold": "y_i = 1{<w*, x_i> >= 0} (binary labels, deterministic)"}

    def kappa(self, setting: Mapping[str, Any]) -> float:
        e = setting["eps"]
        return e / math.expm1(-e) ** 2

    def kappa_expr(self) -> sympy.Expr:
        return eps / (1 - sympy.exp(-eps)) ** 2

    def settings(self, budget: str = "quick") -> list[dict]:
        return _ce_settings(BCE_BASE, budget, ["bernoulli", "threshold"])

    def build(self, setting: Mapping[str, Any], device: Any = None) -> Problem:
        return glm_problem(setting, loss="bce", device=device)


class Theorem7(Claim):
    """Theorem 7 (section 3.3; proof section 5.10): kappa = eps d' / (1 - e^{-eps})^2."""

    name = "thm7"
    theorem = "Theorem 7"
    section = "3.3"
    proof_section = "5.10"
    statement = ("Idealized single-layer network with softmax over d' outputs and cross-entropy, ||W*||_F <= W: "
                 "err_hat(W) is (eps, eps d' / (1 - e^{-eps})^2, W*)-SLQC in W for all W in B(0, W), eps > 0.")
    hypotheses = ("||x_i|| <= 1", "labels in [0, 1], rows sum to 1 (idealized: softmax(W*^T x_i))",
                  "||W*||_F <= W")
    readings = {"labels=idealized": "Y_i = softmax(W*^T x_i) (soft labels; W* is a minimizer)",
                "labels=bernoulli": "one-hot class drawn from softmax(W*^T x_i)",
                "labels=argmax": "one-hot of argmax_j <w*_j, x_i>"}

    def kappa(self, setting: Mapping[str, Any]) -> float:
        e = setting["eps"]
        return e * setting["k"] / math.expm1(-e) ** 2

    def kappa_expr(self) -> sympy.Expr:
        return eps * k / (1 - sympy.exp(-eps)) ** 2

    def settings(self, budget: str = "quick") -> list[dict]:
        base = dict(BCE_BASE, activation="softmax", k=4)
        out = _ce_settings(base, budget, ["bernoulli", "argmax"])
        if budget != "quick":
            out.append(dict(base, k=2, eps=1e-3))
            out.append(dict(base, k=10, eps=1e-3, labels="argmax"))
        return out

    def build(self, setting: Mapping[str, Any], device: Any = None) -> Problem:
        return glm_problem(setting, loss="ce", device=device)
