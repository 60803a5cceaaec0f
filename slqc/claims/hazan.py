"""Background result of Hazan, Levy and Shalev-Shwartz (2015), as restated in section 3.2.

The idealized GLM with the sigmoid activation and squared loss,
err_hat(w) = 1/m sum_i (y_i - sigmoid(<w, x_i>))^2 with y_i = sigmoid(<w*, x_i>), is
(eps, e^{||w*||}, w*)-SLQC in w for every w in B(0, ||w*||) and every eps > 0.

Shapes: X (m, d), y (m,), w (d,). The domain radius is ||w*|| itself.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import sympy

from ._build import glm_problem
from .base import SYMBOLS, Claim, Problem, check_budget, grid, product
from .glm_squared import EPS_FULL, EPS_ONE

Wstar = SYMBOLS["Wstar"]

HAZAN_BASE = {"activation": "sigmoid", "W": 2.0, "Wstar": 2.0, "wstar": 1.0, "m": 256, "d": 16, "k": 1,
              "distribution": "ball", "seed": 0}


class Hazan(Claim):
    """Hazan et al. 2015, restated in section 3.2: kappa = e^{||w*||} on B(0, ||w*||)."""

    name = "hazan"
    theorem = "Hazan et al. (2015), restated in section 3.2"
    section = "3.2"
    proof_section = "[9] (not in this paper)"
    statement = ("Idealized GLM, sigmoid, squared loss: err_hat(w) is (eps, e^{||w*||}, w*)-SLQC in w for all "
                 "w in B(0, ||w*||) and all eps > 0.")
    hypotheses = ("||x_i|| <= 1", "y_i = sigmoid(<w*, x_i>) in [0, 1]", "domain radius = ||w*||")

    def kappa(self, setting: Mapping[str, Any]) -> float:
        return math.exp(setting["Wstar"])

    def kappa_expr(self) -> sympy.Expr:
        return sympy.exp(Wstar)

    def settings(self, budget: str = "quick") -> list[dict]:
        check_budget(budget)
        if budget == "quick":
            axes = {"x": [{"W": 8.0, "Wstar": 8.0, "m": 8, "d": 16, "distribution": "nonneg"}]}
        else:
            axes = {
                "x": [{"W": w, "Wstar": w} for w in (0.5, 1.0, 4.0, 8.0)],
                "md": [{"m": 8, "d": 16}, {"m": 1024, "d": 4}, {"m": 64, "d": 2}],
                "distribution": ["sphere", "nonneg", "digits"],
                "seed": [1, 2],
                "mix": [{"W": 8.0, "Wstar": 8.0, "m": 8, "d": 16, "distribution": "nonneg"}],
            }
        others = grid(HAZAN_BASE, **axes)[1:]
        return product([HAZAN_BASE], "eps", EPS_FULL[budget]) + product(others, "eps", EPS_ONE[budget])

    def build(self, setting: Mapping[str, Any], device: Any = None) -> Problem:
        return glm_problem(setting, device=device)
