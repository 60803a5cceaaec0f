"""Theorem 3 and Corollary 2: a multi-output layer with squared loss is SLQC (sections 3.2.2, 3.2.5).

* Theorem 3 (section 3.2.2, proof in section 5.5): W in R^{d x d'}, generalized ReLU applied
  elementwise to W^T x, ||W*||_F <= W: err_hat(W) = 1/m sum_i ||y_i - phi(W^T x_i)||^2 is
  (eps, 2 b^3 W / a, W*)-SLQC in W (Definition 4, Frobenius inner product) on B(0, W).
* Corollary 2 (section 3.2.5, proof in section 5.6): standard ReLU, kappa = 2 b^2 W.

Shapes: X (m, d), Y (m, k) with k = d' outputs, W and W* (d, k).
"""

from __future__ import annotations

from typing import Any, Mapping

import sympy

from ._build import glm_problem
from .base import SYMBOLS, Claim, Problem
from .glm_squared import GLM_BASE, glm_settings

a, b, W = SYMBOLS["a"], SYMBOLS["b"], SYMBOLS["W"]

MULTI_BASE = dict(GLM_BASE, k=3)


def multi_settings(base: dict, budget: str, relu: bool = False) -> list[dict]:
    """The GLM grid with k outputs, plus the number of outputs as one more axis."""
    out = glm_settings(base, budget, relu)
    if budget != "quick":
        extra = dict(base, k=8, eps=1e-3)
        extra.pop("a", None) if relu else None
        out.append(extra)
        out.append(dict(extra, k=2, m=8, d=16, distribution="nonneg"))
    return out


class Theorem3(Claim):
    """Theorem 3 (section 3.2.2; proof section 5.5): kappa = 2 b^3 W / a, Frobenius norms."""

    name = "thm3"
    theorem = "Theorem 3"
    section = "3.2.2"
    proof_section = "5.5"
    statement = ("Idealized single-layer multi-output network, generalized ReLU elementwise, squared loss, "
                 "||W*||_F <= W: err_hat(W) is (eps, 2 b^3 W / a, W*)-SLQC in W for all W in B(0, W), eps > 0.")
    hypotheses = ("||x_i|| <= 1", "y_i = phi(W*^T x_i) (idealized)", "||W*||_F <= W", "0 < a <= b")
    readings = {"wstar": "||W*||_F = W and ||W*||_F = W/2"}

    def kappa(self, setting: Mapping[str, Any]) -> float:
        return 2 * setting["b"] ** 3 * setting["W"] / setting["a"]

    def kappa_expr(self) -> sympy.Expr:
        return 2 * b**3 * W / a

    def settings(self, budget: str = "quick") -> list[dict]:
        return multi_settings(MULTI_BASE, budget)

    def build(self, setting: Mapping[str, Any], device: Any = None) -> Problem:
        return glm_problem(setting, device=device)


class Corollary2(Theorem3):
    """Corollary 2 (section 3.2.5; proof section 5.6): standard ReLU, kappa = 2 b^2 W."""

    name = "cor2"
    theorem = "Corollary 2"
    section = "3.2.5"
    proof_section = "5.6"
    statement = ("Idealized single-layer multi-output network, standard ReLU, squared loss, ||W*||_F <= W: "
                 "err_hat(W) is (eps, 2 b^2 W, W*)-SLQC in W for all W in B(0, W), eps > 0.")
    hypotheses = ("||x_i|| <= 1", "y_i = phi(W*^T x_i) (idealized)", "||W*||_F <= W", "b > 0")

    def kappa(self, setting: Mapping[str, Any]) -> float:
        return 2 * setting["b"] ** 2 * setting["W"]

    def kappa_expr(self) -> sympy.Expr:
        return 2 * b**2 * W

    def settings(self, budget: str = "quick") -> list[dict]:
        return multi_settings(dict(MULTI_BASE, activation="relu"), budget, relu=True)
