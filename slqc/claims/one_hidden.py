"""Theorems 4 and 5: one hidden layer, SLQC in the inner weights W1 (sections 3.2.3, 3.2.4).

* Theorem 4 (section 3.2.3, proof in section 5.7): an idealized two-layer network
  y_i = phi2(<w2*, phi1(W1*^T x_i)>) with generalized ReLUs in both layers,
  ||W1*||_F <= W1, ||w2*|| <= W2: err_hat(W1, w2) is
  (eps, (a / (4 b^5 W2^2 W1) - W1 / eps)^{-1}, W1*)-SLQC in W1 on B(0, W1), for all eps > 0.
* Theorem 5 (section 3.2.4, proof in section 5.8): the same kappa with d'' outputs,
  W2 of shape (d', d''), ||W2*||_F <= W2.

The symbols W1, W2 double as the norm bounds (as in the paper). The statement fixes the
outer weights without saying to what; both readings are tested (key ``w2``):

* ``w2*``: the fixed outer weights are the teacher's (then W1* is a global minimizer);
* ``other``: a fixed w2 != w2* with ||w2|| = W2 (the reading "for any fixed w2", the one
  alternating minimization needs), reference still W1*.

A fact the grid makes visible: the claimed kappa is positive only when
eps > eps_+ = 4 b^5 W2^2 W1^2 / a, and on B(0, W1) every label and prediction has
|.| <= b^2 W1 W2, so sup f - f(W1*) <= 4 b^4 W1^2 W2^2 <= (a / b) eps_+ < eps_+. So for
every eps either kappa <= 0 or no point of the domain has f(x) - f(z) > eps: the claim is
vacuous as stated. The checks still measure the empirical kappa at small eps.

Shapes: X (m, d); W1 (d, h); w2 (h,) or W2 (h, k); Y (m,) or (m, k).
"""

from __future__ import annotations

from typing import Any, Mapping

import sympy

from ._build import one_hidden_problem
from .base import SYMBOLS, Claim, Problem, check_budget, grid

a, b, W1, W2, eps = (SYMBOLS[s] for s in ("a", "b", "W1", "W2", "eps"))

OH_BASE = {"activation": "generalized_relu", "a": 0.5, "b": 1.0, "W1": 1.0, "W2": 1.0, "hidden": 3, "m": 128,
           "d": 8, "k": 1, "distribution": "ball", "seed": 0, "w2": "w2*"}


#: the slope of the leaky ReLU in the paper's experiments (section 4: a = 0.01, b = 1)
PAPER_A = 0.01

#: two hard factors at once (the grid is otherwise one factor at a time): small a with
#: nonnegative data and m < d, small a with a fixed w2 != w2*, nonnegative data with w2 != w2*
HARD_PAIRS = [{"a": 0.1, "distribution": "nonneg", "m": 4, "d": 8},
              {"a": PAPER_A, "distribution": "nonneg", "m": 4, "d": 8},
              {"a": PAPER_A, "w2": "other"},
              {"distribution": "nonneg", "m": 4, "d": 8, "w2": "other"}]


def eps_positive(setting: Mapping[str, Any]) -> float:
    """The eps above which the claimed kappa of Theorems 4-5 is positive: 4 b^5 W2^2 W1^2 / a."""
    return 4 * setting["b"] ** 5 * setting["W2"] ** 2 * setting["W1"] ** 2 / setting["a"]


def one_hidden_settings(base: dict, budget: str) -> list[dict]:
    """Small eps (kappa < 0) and eps = 2 eps_+ (kappa > 0) over the axes of the grid.

    Beyond one factor at a time, the standard and thorough grids hold the paper's own slope
    (:data:`PAPER_A`) and the pairs of hard factors :data:`HARD_PAIRS`.
    """
    check_budget(budget)
    if budget == "quick":
        axes = {"w2": ["other"]}
        eps_list = [1e-2]
    else:
        axes = {
            "w2": ["other"],
            "ab": [{"a": 0.1, "b": 1.0}, {"a": PAPER_A, "b": 1.0}, {"a": 1.0, "b": 1.0}],
            "W": [{"W1": 0.25, "W2": 4.0}, {"W1": 2.0, "W2": 2.0}],
            "hidden": [8],
            "md": [{"m": 4, "d": 8}],
            "distribution": ["nonneg", "digits"],
            "seed": [1],
            "pairs": HARD_PAIRS,
        }
        if budget == "thorough":
            axes.update(ab=[{"a": 0.1, "b": 1.0}, {"a": PAPER_A, "b": 1.0}, {"a": 1.0, "b": 1.0}, {"a": 0.5, "b": 2.0}],
                        W=[{"W1": 0.25, "W2": 4.0}, {"W1": 4.0, "W2": 0.25}, {"W1": 2.0, "W2": 2.0}],
                        hidden=[1, 8], md=[{"m": 4, "d": 8}, {"m": 512, "d": 2}],
                        distribution=["sphere", "nonneg", "digits"], seed=[1, 2])
        eps_list = [1e-2, 1e-4] if budget == "standard" else [1e-1, 1e-2, 1e-3, 1e-4]
    out = []
    for s in grid(base, **axes):
        for e in eps_list:
            out.append(dict(s, eps=e))
        out.append(dict(s, eps=float(2 * eps_positive(s))))
    return out


class Theorem4(Claim):
    """Theorem 4 (section 3.2.3; proof section 5.7): kappa = (a / (4 b^5 W2^2 W1) - W1 / eps)^{-1}."""

    name = "thm4"
    theorem = "Theorem 4"
    section = "3.2.3"
    proof_section = "5.7"
    statement = ("Idealized one-hidden-layer network, generalized ReLU in both layers, outer weights w2 fixed, "
                 "||W1*||_F <= W1, ||w2*|| <= W2: err_hat(W1, w2) is "
                 "(eps, (a / (4 b^5 W2^2 W1) - W1 / eps)^{-1}, W1*)-SLQC in W1 for all W1 in B(0, W1), eps > 0.")
    hypotheses = ("||x_i|| <= 1", "y_i = phi2(<w2*, phi1(W1*^T x_i)>) (idealized)", "||W1*||_F <= W1",
                  "||w2*|| <= W2 (and ||w2|| <= W2 for the fixed w2)", "0 < a <= b")
    readings = {"w2=w2*": "outer weights fixed at the teacher's w2*", "w2=other": "a fixed w2 != w2*, ||w2|| = W2"}

    def kappa(self, setting: Mapping[str, Any]) -> float:
        a_, b_, W1_, W2_, e = (setting[k] for k in ("a", "b", "W1", "W2", "eps"))
        return 1.0 / (a_ / (4 * b_**5 * W2_**2 * W1_) - W1_ / e)

    def kappa_expr(self) -> sympy.Expr:
        return 1 / (a / (4 * b**5 * W2**2 * W1) - W1 / eps)

    def settings(self, budget: str = "quick") -> list[dict]:
        return one_hidden_settings(OH_BASE, budget)

    def build(self, setting: Mapping[str, Any], device: Any = None) -> Problem:
        return one_hidden_problem(setting, device=device)


class Theorem5(Theorem4):
    """Theorem 5 (section 3.2.4; proof section 5.8): the same kappa with d'' outputs."""

    name = "thm5"
    theorem = "Theorem 5"
    section = "3.2.4"
    proof_section = "5.8"
    statement = ("Idealized one-hidden-layer network with d'' outputs, generalized ReLU in both layers, W2 fixed, "
                 "||W1*||_F <= W1, ||W2*||_F <= W2: err_hat(W1, W2) is "
                 "(eps, (a / (4 b^5 W2^2 W1) - W1 / eps)^{-1}, W1*)-SLQC in W1 for all W1 in B(0, W1), eps > 0.")
    hypotheses = ("||x_i|| <= 1", "Y_i = phi2(W2*^T phi1(W1*^T x_i)) (idealized)", "||W1*||_F <= W1",
                  "||W2*||_F <= W2 (and ||W2||_F <= W2 for the fixed W2)", "0 < a <= b")

    def settings(self, budget: str = "quick") -> list[dict]:
        out = one_hidden_settings(dict(OH_BASE, k=3), budget)
        if budget != "quick":
            s = dict(OH_BASE, k=6, hidden=4)
            out += [dict(s, eps=1e-3), dict(s, eps=float(2 * eps_positive(s)))]
        return out
