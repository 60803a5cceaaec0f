"""Theorem 1 and Corollary 1: the idealized GLM with squared loss is SLQC (section 3.2.1, 3.2.5).

* Theorem 1 (section 3.2.1, proof in section 5.1): generalized ReLU with 0 < a <= b,
  ||w*|| <= W: err_hat(w) = 1/m sum_i (y_i - phi(<w, x_i>))^2 is
  (eps, 2 b^3 W / a, w*)-SLQC in w for every w in B(0, W) and every eps > 0.
* Corollary 1 (section 3.2.5, proof in section 5.2): the same with the standard ReLU
  (a = 0, slope b for t >= 0) and kappa = 2 b^2 W.

Shapes: X (m, d), y (m,), w and w* (d,). The reference point is the planted w*
(y_i = phi(<w*, x_i>)); the domain is B(0, W).
"""

from __future__ import annotations

from typing import Any, Mapping

import sympy

from ._build import glm_problem
from .base import SYMBOLS, Claim, Problem, check_budget, grid, product

a, b, W = SYMBOLS["a"], SYMBOLS["b"], SYMBOLS["W"]

#: eps values of the grids: the base setting sweeps all of them; the other settings the short list.
EPS_FULL = {"quick": [1e-2, 1e-4], "standard": [1e-1, 1e-2, 1e-3, 1e-4],
            "thorough": [1e-1, 3e-2, 1e-2, 1e-3, 1e-4, 1e-5]}
EPS_SHORT = {"quick": [1e-3], "standard": [1e-2, 1e-4], "thorough": [1e-2, 1e-3, 1e-4]}
#: the short eps list of the background and cross-entropy claims (cheaper grids, same axes)
EPS_ONE = {"quick": [1e-3], "standard": [1e-3], "thorough": [1e-2, 1e-3, 1e-4]}

GLM_BASE = {"activation": "generalized_relu", "a": 0.1, "b": 1.0, "W": 1.0, "wstar": 1.0, "m": 256, "d": 16, "k": 1,
            "distribution": "ball", "seed": 0}


def glm_axes(budget: str, relu: bool = False) -> dict:
    """The one-factor-at-a-time axes of the GLM grids (shared by Theorems 1-3, Corollaries 1-2)."""
    ab = [{"b": 0.5}, {"b": 2.0}] if relu else [{"a": 0.01, "b": 1.0}, {"a": 0.5, "b": 1.0}, {"a": 1.0, "b": 1.0},
                                                {"a": 0.5, "b": 2.0}, {"a": 0.2, "b": 0.5}]
    if budget == "quick":
        return {"md": [{"m": 8, "d": 16, "distribution": "nonneg"},
                       {"m": 128, "d": 32, "distribution": "digits", "W": 4.0}]}
    axes = {
        "W": [0.25, 16.0],
        "ab": ab,
        "md": [{"m": 8, "d": 16}, {"m": 16, "d": 64}, {"m": 1024, "d": 4}],
        "distribution": ["sphere", "nonneg", "digits"],
        "seed": [1, 2],
        "wstar": [0.5],
        "mix": [{"distribution": "nonneg", "m": 8, "d": 16}, {"distribution": "digits", "m": 32, "d": 64}],
        # two hard factors at once: the paper's slope (section 4: a = 0.01) with nonnegative data
        # and m < d, and with a large domain; for the ReLU a steep b with nonnegative data, m < d
        "pairs": ([{"b": 2.0, "distribution": "nonneg", "m": 8, "d": 16}] if relu else
                  [{"a": 0.01, "distribution": "nonneg", "m": 8, "d": 16}, {"a": 0.01, "W": 16.0}]),
    }
    if budget == "thorough":
        axes["seed"] = [1, 2, 3, 4, 5, 6, 7]
        axes["W"] = [0.25, 4.0, 16.0]
        axes["md"] = axes["md"] + [{"m": 64, "d": 2}, {"m": 4096, "d": 16}, {"m": 2, "d": 128}]
    return axes


def glm_settings(base: Mapping[str, Any], budget: str, relu: bool = False) -> list[dict]:
    """Base setting over all eps, plus every other setting of the axes over the short eps list."""
    check_budget(budget)
    base = dict(base)
    if relu:
        base.pop("a", None)
    others = grid(base, **glm_axes(budget, relu))[1:]
    return product([base], "eps", EPS_FULL[budget]) + product(others, "eps", EPS_SHORT[budget])


class Theorem1(Claim):
    """Theorem 1 (section 3.2.1; proof section 5.1): kappa = 2 b^3 W / a."""

    name = "thm1"
    theorem = "Theorem 1"
    section = "3.2.1"
    proof_section = "5.1"
    statement = ("Idealized GLM, generalized ReLU (0 < a <= b), squared loss, ||w*|| <= W: err_hat(w) is "
                 "(eps, 2 b^3 W / a, w*)-SLQC in w for all w in B(0, W) and all eps > 0.")
    hypotheses = ("||x_i|| <= 1", "y_i = phi(<w*, x_i>) (idealized)", "||w*|| <= W", "0 < a <= b")
    readings = {"wstar": "||w*|| = W (the hardest case allowed) and ||w*|| = W/2 (w* strictly inside)"}

    def kappa(self, setting: Mapping[str, Any]) -> float:
        return 2 * setting["b"] ** 3 * setting["W"] / setting["a"]

    def kappa_expr(self) -> sympy.Expr:
        return 2 * b**3 * W / a

    def settings(self, budget: str = "quick") -> list[dict]:
        return glm_settings(GLM_BASE, budget)

    def build(self, setting: Mapping[str, Any], device: Any = None) -> Problem:
        return glm_problem(setting, device=device)


class Corollary1(Theorem1):
    """Corollary 1 (section 3.2.5; proof section 5.2): standard ReLU, kappa = 2 b^2 W."""

    name = "cor1"
    theorem = "Corollary 1"
    section = "3.2.5"
    proof_section = "5.2"
    statement = ("Idealized GLM, standard ReLU (slope 0 for t < 0, b for t >= 0), squared loss, ||w*|| <= W: "
                 "err_hat(w) is (eps, 2 b^2 W, w*)-SLQC in w for all w in B(0, W) and all eps > 0.")
    hypotheses = ("||x_i|| <= 1", "y_i = phi(<w*, x_i>) (idealized)", "||w*|| <= W", "b > 0")

    def kappa(self, setting: Mapping[str, Any]) -> float:
        return 2 * setting["b"] ** 2 * setting["W"]

    def kappa_expr(self) -> sympy.Expr:
        return 2 * b**2 * W

    def settings(self, budget: str = "quick") -> list[dict]:
        return glm_settings(dict(GLM_BASE, activation="relu"), budget, relu=True)
