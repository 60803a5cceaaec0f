"""Theorem 3 (section 3.2.2; proof in section 5.5): one layer, d' outputs, generalized ReLU.

Statement: with ``||W*||_F <= W``, ``err(W)`` is ``(eps, 2 b^3 W / a, W*)``-SLQC in ``W`` for all
``W in B(0, W)`` and ``eps > 0`` (Definition 4: Frobenius inner product).

The proof assumes ``err_m(W) >= d' eps`` (the statement: ``err(W) - err(W*) > eps``) and bounds
``sum_j ||w*_j - v_j||`` by ``d' eps / kappa``. The correction keeps ``err >= eps`` and applies
Cauchy-Schwarz over the columns: ``sum_j ||w_j - w*_j|| ||w*_j - v_j|| <= ||W - W*||_F ||W* - V||_F``.
"""

from __future__ import annotations

import sympy as sp

from ..claim import Claim
from ..core import Step, V
from ..symbols import (GRELU_BASE, Q, S, T, W, a, b, c, dl, dp, dw, eps, g, grelu_kappa, nonneg,
                       nx, r, real, s, t)
from .thm1 import gradient_step

KAPPA = grelu_kappa()
DP = V(dp, 2, 6, integer=True)
E_ = sp.Symbol("err", real=True)
p1, p2, q1, q2, P_, R_ = sp.symbols("p_1 p_2 q_1 q_2 P R", real=True)


def frobenius_step(cid: str) -> Step:
    """``<G, W - V>_F = sum_j <G_j, w_j - v_j>`` on 2 x 2 matrices."""
    G = sp.Matrix(2, 2, sp.symbols("G_11 G_12 G_21 G_22", real=True))
    Wm = sp.Matrix(2, 2, sp.symbols("W_11 W_12 W_21 W_22", real=True))
    Vm = sp.Matrix(2, 2, sp.symbols("V_11 V_12 V_21 V_22", real=True))
    lhs = (G.T * (Wm - Vm)).trace()
    rhs = sum((G[:, j].T * (Wm[:, j] - Vm[:, j]))[0, 0] for j in range(2))
    syms = list(G) + list(Wm) + list(Vm)
    return Step(f"{cid}.frobenius", "first line", "<G(W), W - V>_F = sum_j <G(w_j), w_j - v_j>",
                lhs, rhs, "==", tuple(real(q) for q in syms))


def build() -> list[Step]:
    base = GRELU_BASE
    D = s * dl
    sg = (V(s, a, b), V(g, a, b))
    return [
        Step("thm3.hyp_scale", "statement vs 5.5 (first line)",
             "statement: err(W) - err(W*) > eps; proof: err_m(W) >= d' eps",
             E_, dp * eps, ">=", (EPS_, DP, V(E_, eps, 4 * eps, lo_open=True)), kind="statement",
             repaired_by=("thm3.c_cauchy_schwarz", "thm3.c_final"), scope="aggregate"),
        frobenius_step("thm3"),
        gradient_step("thm3", "Step 1"),
        Step("thm3.s2", "line after Step 1",
             "= (2/m) sum sum g (phi - y_ij)[<x_i, w_j - w*_j> + <x_i, w*_j - v_j>]",
             2 * g * D * (dl + t), 2 * g * D * dl + 2 * g * D * t, "==", base + sg + (real(dl), real(t))),
        Step("thm3.s3", "line after Step 1 (printed '<=')",
             "<= (2/m) sum sum g [b^-1 (phi - phi*)^2 + (phi - phi*) <x_i, w*_j - v_j>]",
             g * D * (dl + t), g * (D**2 / b + D * t), "<=", base + sg + (real(dl), real(t)),
             corrected_rel=">=", typo=True, uses=("lemma_lipschitz_monotone",)),
        Step("thm3.s4", "next line", ">= ... - |phi - phi*| ||x_i|| ||w*_j - v_j||  (Cauchy-Schwarz)",
             g * (D**2 / b + D * c * nx * r), g * (D**2 / b - sp.Abs(D) * nx * r), ">=",
             base + sg + (real(dl), V(c, -1, 1), V(nx, 0, 1), nonneg(r))),
        Step("thm3.s5", "next lines", ">= ab^-1 (phi - phi*)^2 - b^2 |delta_ij| (eps/kappa) ||x_i||  "
             "(g in [a, b], ||w*_j - v_j|| <= ||W* - V||_F <= eps/kappa)",
             g * (D**2 / b - sp.Abs(D) * nx * r), a * D**2 / b - b**2 * sp.Abs(dl) * (eps / KAPPA) * nx, ">=",
             base + sg + (real(dl), V(nx, 0, 1), V(r, 0, eps / KAPPA))),
        Step("thm3.s6", "Step 6",
             ">= 2ab^-1 d' eps - a d' eps/(bWm) sum_i max_j |delta_ij| ||x_i||  (err_m >= d' eps)",
             2 * a * Q / b - 2 * b**2 * (eps / KAPPA) * T, 2 * a * dp * eps / b - a * dp * eps / (b * W) * S, ">=",
             base + (DP, V(Q, dp * eps, sp.oo, num_hi=dp * eps + 3), nonneg(S, 6), V(T, 0, dp * S)),
             scope="aggregate",
             comment="Q = sum_j (1/m) sum_i (phi_ij - phi*_ij)^2, T = sum_j (1/m) sum_i |delta_ij| ||x_i|| "
                     "<= d' S, S = (1/m) sum_i max_j |delta_ij| ||x_i||"),
        Step("thm3.s7", "Step 7", ">= ab^-1 d' eps (2 - (1/(Wm)) sum_i ||w - w*|| ||x_i||^2)",
             2 * a * dp * eps / b - a * dp * eps / (b * W) * sp.Abs(c * dw * nx) * nx,
             a * dp * eps / b * (2 - dw * nx**2 / W), ">=",
             base + (DP, V(c, -1, 1), V(dw, 0, 2 * W), V(nx, 0, 1)),
             comment="||w - w*|| read as max_j ||w_j - w*_j||"),
        Step("thm3.s8", "last line", ">= ab^-1 d' eps (2 - ||w - w*|| / W) >= 0",
             a * dp * eps / b * (2 - dw * nx**2 / W), 0, ">=", base + (DP, V(dw, 0, 2 * W), V(nx, 0, 1)),
             comment="max_j ||w_j - w*_j|| <= ||W - W*||_F <= 2W"),
        Step("thm3.column_norm", "after Step 7", "||w_j||^2 <= ||W||_F^2 (two columns, p_j = ||w_j||)",
             p1**2, p1**2 + p2**2, "<=", (real(p1), real(p2))),
        # -- correction: err >= eps, Cauchy-Schwarz over columns --------------------------------
        Step("thm3.c_cauchy_schwarz", "corrected Step 6",
             "(sum_j p_j q_j)^2 <= (sum_j p_j^2)(sum_j q_j^2), p_j = ||w_j - w*_j||, q_j = ||w*_j - v_j||",
             (p1 * q1 + p2 * q2) ** 2, (p1**2 + p2**2) * (q1**2 + q2**2), "<=",
             tuple(nonneg(q) for q in (p1, p2, q1, q2)), kind="correction"),
        Step("thm3.c_final", "corrected Step 6",
             "2ab^-1 err - 2b^2 ||W - W*||_F ||W* - V||_F >= 0 with err >= eps, ||W - W*||_F <= 2W, "
             "||W* - V||_F <= eps/kappa",
             2 * a * Q / b - 2 * b**2 * P_ * R_, 0, ">=",
             base + (V(Q, eps, sp.oo, num_hi=eps + 3), V(P_, 0, 2 * W), V(R_, 0, eps / KAPPA)),
             kind="correction", scope="aggregate"),
    ]


EPS_ = GRELU_BASE[3]

CLAIM = Claim(
    "thm3", "Theorem 3 (one layer, d' outputs, generalized ReLU)", "3.2.2; proof 5.5",
    "||W*||_F <= W: err(W) is (eps, 2b^3W/a, W*)-SLQC for all W in B(0, W), eps > 0",
    build, kappa=KAPPA, corrected_kappa=KAPPA,
    correction_text="err >= eps suffices with the same kappa: Cauchy-Schwarz over the columns "
                    "instead of the factor d'",
)
