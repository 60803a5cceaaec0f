"""Corollary 2 (section 3.2.5; proof in section 5.6): one layer, d' outputs, standard ReLU.

Statement: with ``||W*||_F <= W``, ``err(W)`` is ``(eps, 2 b^2 W, W*)``-SLQC in ``W`` for all
``W in B(0, W)`` and ``eps > 0``. The proof assumes the error restricted to active units
(``<w_j, x_i> > 0``) is at least ``d' eps``; the statement's condition 1 concerns the full error.
"""

from __future__ import annotations

import sympy as sp

from ..claim import Claim
from ..core import Step, V
from ..symbols import EPS, Q, T, W, b, dl, dp, dw, eps, nonneg, nx, r, real, s
from .cor1 import A_, BASE, I_, inactive_instance

KAPPA = 2 * b**2 * W
DP = V(dp, 2, 6, integer=True)
chi = sp.Symbol("chi", real=True)


def build() -> list[Step]:
    D = s * dl
    return [
        Step("cor2.restricted_error", "statement vs 5.6 (first line)",
             "statement: full error A + I > eps; proof: restricted error A >= d' eps",
             A_, dp * eps, ">=", (EPS, DP, nonneg(A_, 4), nonneg(I_, 4)), given=(sp.Gt(A_ + I_, eps),),
             kind="statement", scope="aggregate"),
        inactive_instance("cor2", 2),
        Step("cor2.s5a", "Step 5", "g [b^-1 D^2 - |D| ||x_i|| r] >= 1_{active} b b^-1 D^2 - b |D| ||x_i|| r  (g = b chi, chi in {0, 1})",
             b * chi * (D**2 / b - sp.Abs(D) * nx * r), chi * D**2 - b * sp.Abs(D) * nx * r, ">=",
             BASE + (V(chi, 0, 1), V(s, 0, b), real(dl), V(nx, 0, 1), nonneg(r))),
        Step("cor2.s5b", "Step 5 -> last line",
             ">= d' eps (2 - ||w - w*|| / W)  (restricted error >= d' eps, kappa = 2b^2W)",
             2 * Q - 2 * b**2 * (eps / KAPPA) * T, dp * eps * (2 - dw / W), ">=",
             BASE + (DP, V(Q, dp * eps, sp.oo, num_hi=dp * eps + 3), V(dw, 0, 2 * W), V(T, 0, dp * dw)),
             scope="aggregate",
             comment="T = sum_j (1/m) sum_i |delta_ij| ||x_i|| <= d' max_j ||w_j - w*_j||"),
        Step("cor2.s6", "last line", "d' eps (2 - ||w - w*|| / W) >= 0", dp * eps * (2 - dw / W), 0, ">=",
             BASE + (DP, V(dw, 0, 2 * W))),
        Step("cor2.kappa_positive", "statement", "kappa = 2b^2W > 0", KAPPA, 0, ">", BASE, kind="constant"),
    ]


CLAIM = Claim(
    "cor2", "Corollary 2 (one layer, d' outputs, standard ReLU)", "3.2.5; proof 5.6",
    "||W*||_F <= W: err(W) is (eps, 2b^2W, W*)-SLQC for all W in B(0, W), eps > 0",
    build, kappa=KAPPA,
)


