"""Theorem 2 (section 3.2.1; proof in section 5.3): noisy GLM with the generalized ReLU.

Statement: with ``||w*|| <= W`` and ``w in B(0, W)``, after ``m >= O(log(1/delta)/eps^2)`` samples,
with probability ``>= 1 - delta``, ``err_m(w)`` is ``(eps, 2 b^3 W / a, w*)``-SLQC in ``w``.

Per-sample model: ``y_i = phi<w*, x_i> + xi_i`` with ``|xi_i| <= 1``, ``D = phi<w,x_i> - phi<w*,x_i>
= s delta``. The proof's hypothesis is ``err_m(w) - err_m(w*) = (1/m) sum (D^2 - 2 xi D) >= eps``.

The correction (kind ``correction``) keeps the proof's route but bounds the noise term with
``b`` instead of ``b^2``, keeps ``||w - w*|| <= 2W``, and uses the lower deviation that Hoeffding
gives: ``kappa' = 4 b^2 (2bW + 1) / a`` and ``m >= 288 b^4 W^2 log(1/delta) / (a^2 eps^2)``.
"""

from __future__ import annotations

import sympy as sp

from ..claim import Claim
from ..core import Step, V
from ..symbols import (GRELU_BASE, Q, W, Xi, a, b, c1, dl, dw, eps, g, grelu_kappa, nx, r,
                       real, s, t, xi)
from .lemmas import delta_p, hoeffding_steps

KAPPA = grelu_kappa()
KAPPA_CORR = 4 * b**2 * (2 * b * W + 1) / a
Y = sp.Symbol("Y", real=True)
Dv = sp.Symbol("D", real=True)


def _retag(step: Step, new_id: str, **kw) -> Step:
    from dataclasses import replace
    return replace(step, id=new_id, **kw)


def build() -> list[Step]:
    base = GRELU_BASE
    D = s * dl
    sg = (V(s, a, b), V(g, a, b))
    XI = V(xi, -1, 1)
    lam_text = 2 * g * dl - 4 * a / b * D
    phi_, phis_ = sp.symbols("phi phi_star", real=True)
    lem = {st.id.split(".")[-1]: st for st in hoeffding_steps()}
    return [
        Step("thm2.err_split", "expansion of err_m (5.3)",
             "(y_i - phi)^2 = (phi* - phi)^2 + 2 xi (phi* - phi) + xi^2 with y_i = phi* + xi",
             (phis_ + xi - phi_) ** 2, (phis_ - phi_) ** 2 + 2 * xi * (phis_ - phi_) + xi**2, "==",
             (real(phi_), real(phis_), XI)),
        Step("thm2.s1", "Step 1",
             "= (2/m) sum g (phi - phi* - xi) <x_i, w - v>  (y_i = phi* + xi_i)",
             2 * g * (phi_ - (phis_ + xi)) * (dl + t), 2 * g * (phi_ - phis_ - xi) * (dl + t), "==",
             base + sg + (real(phi_), real(phis_), XI, real(dl), real(t)),
             comment="the factor <x_i, w - v> = delta + t is missing from the converted line"),
        Step("thm2.s2", "Step 2",
             ">= (2b^-1/m) sum g D^2 - (2/m) sum g xi delta + (2/m) sum g (D - xi) <w* - v, x_i>",
             g * (D - xi) * (dl + t), g * D**2 / b - g * xi * dl + g * (D - xi) * t, ">=",
             base + sg + (XI, real(dl), real(t)), uses=("lemma_lipschitz_monotone",)),
        Step("thm2.s3", "Step 3",
             "(2/m) sum g (D - xi) <w* - v, x_i> >= -2 (eps b^2/kappa)(||w - w*|| + (1/m) sum |xi_i|)",
             g * (Dv - xi) * c1 * nx * r, -b**2 * (eps / KAPPA) * (dw + sp.Abs(xi)), ">=",
             base + (V(g, a, b), V(dw, 0, 2 * W), V(Dv, -b * dw, b * dw), V(nx, 0, 1), V(c1, -1, 1), XI,
                     V(r, 0, eps / KAPPA)),
             corrected_after=-(eps / KAPPA) * (b**2 * dw + b * sp.Abs(xi)),
             comment="per sample; |D| <= b|delta| <= b ||w - w*||, <w* - v, x_i> = c1 ||x_i|| r; "
                     "|g xi t| <= b |xi| eps/kappa needs b <= b^2"),
        Step("thm2.s4", "Step 4",
             "= (2b^-1/m) sum a[(phi* - phi)^2 - 2 xi (phi - phi*)] - (2/m) sum [g xi delta - 2ab^-1 xi D]",
             2 * g * D**2 / b - 2 * g * xi * dl,
             2 * a / b * (D**2 - 2 * xi * D) - 2 * (g * xi * dl - 2 * a / b * xi * D), "==",
             base + sg + (XI, real(dl)), corrected_rel=">=", typo=True,
             comment="g is replaced by its lower bound a, so the relation is >="),
        Step("thm2.s5", "Step 5",
             ">= 2ab^-1 eps - ... + (1/m) sum xi_i lambda_i(w),  lambda_i = 2g delta - 4ab^-1 D",
             2 * a / b * Q - 2 * (g * xi * dl - 2 * a / b * xi * D), 2 * a * eps / b + xi * lam_text, ">=",
             base + sg + (V(Q, eps, sp.oo, num_hi=eps + 3), XI, real(dl)), scope="aggregate",
             corrected_after=2 * a * eps / b - xi * lam_text, typo=True,
             comment="Q = (1/m) sum (D^2 - 2 xi D) = err_m(w) - err_m(w*) >= eps; the xi-term is "
                     "-(1/m) sum xi lambda (sign of lambda flipped; only |lambda| is used later)"),
        Step("thm2.s6", "Step 6", "2 eps b^2/kappa = ab^-1W^-1 eps  (kappa = 2b^3W/a)",
             2 * eps * b**2 / KAPPA * (dw + Xi), a / b / W * eps * (dw + Xi), "==",
             base + (V(dw, 0, 2 * W), V(Xi, 0, 1))),
        Step("thm2.s7", "Step 7",
             ">= 2ab^-1 eps - ab^-1 eps (1 + W^-1)  (uses ||w - w*|| <= W)",
             2 * a * eps / b - a * eps / (b * W) * (dw + Xi), 2 * a * eps / b - a * eps / b * (1 + 1 / W), ">=",
             base + (V(dw, 0, 2 * W), V(Xi, 0, 1)),
             corrected_after=2 * a * eps / b - a * eps / b * (2 + 1 / W), repaired_by=("thm2.c_s7_s8",),
             comment="||w - w*|| <= ||w|| + ||w*|| <= 2W, not W; Xi = (1/m) sum |xi_i|"),
        Step("thm2.s8", "Step 8", ">= -ab^-1 eps W^-1 (+ (1/m) sum xi lambda)",
             2 * a * eps / b - a * eps / b * (1 + 1 / W), -a * eps / (b * W), ">=", base),
        _retag(lem["range_first"], "thm2.range_first"),
        _retag(lem["range_middle"], "thm2.range_middle", repaired_by=("thm2.c_range",)),
        _retag(lem["sample_size"], "thm2.sample_size"),
        _retag(lem["direction"], "thm2.direction", repaired_by=("thm2.c_final", "thm2.c_sample")),
        # -- correction -------------------------------------------------------------------
        Step("thm2.c_s7_s8", "Steps 7-8 corrected",
             "2ab^-1 eps - ab^-1 eps (2 + W^-1) = -ab^-1 eps W^-1 (Step 8's expression is unchanged)",
             2 * a * eps / b - a * eps / b * (2 + 1 / W), -a * eps / (b * W), "==", base, kind="correction"),
        _retag(lem["range_final"], "thm2.c_range"),
        Step("thm2.c_final", "corrected end of 5.3",
             "2ab^-1 eps - 2(eps/kappa')(b^2 ||w-w*|| + b (1/m) sum|xi|) + (1/m) sum xi mu >= ab^-1 eps / 2 "
             "when (1/m) sum xi mu >= -ab^-1 eps (Hoeffding, lower deviation), mu = -lambda",
             2 * a * eps / b - 2 * (eps / KAPPA_CORR) * (b**2 * dw + b * Xi) + Y, a * eps / (2 * b), ">=",
             base + (V(dw, 0, 2 * W), V(Xi, 0, 1), V(Y, -a * eps / b, sp.oo, num_hi=3)),
             kind="correction", scope="aggregate"),
        Step("thm2.c_sample", "corrected end of 5.3",
             "Hoeffding with range 24bW and deviation t = ab^-1 eps: m = (24bW)^2 log(1/delta)/(2t^2)",
             (24 * b * W) ** 2 * sp.log(1 / delta_p) / (2 * (a * eps / b) ** 2),
             288 * b**4 * W**2 * sp.log(1 / delta_p) / (a**2 * eps**2), "==",
             base + (V(delta_p, 0, 1, lo_open=True, hi_open=True),), kind="correction"),
        Step("thm2.c_kappa_positive", "corrected constant", "kappa' = 4b^2(2bW + 1)/a > 0",
             KAPPA_CORR, 0, ">", base, kind="correction"),
    ]


CLAIM = Claim(
    "thm2", "Theorem 2 (noisy GLM, generalized ReLU)", "3.2.1; proof 5.3",
    "||w*|| <= W, w in B(0, W): with prob >= 1 - delta after m >= O(log(1/delta)/eps^2) samples, "
    "err_m(w) is (eps, 2b^3W/a, w*)-SLQC in w",
    build, kappa=KAPPA, corrected_kappa=KAPPA_CORR, hypotheses=GRELU_BASE[:3], ratio_at=((b, 1), (W, 1)),
    correction_text="noise term bounded with b (not b^2), ||w - w*|| <= 2W, lower Hoeffding deviation; "
                    "m >= 288 b^4 W^2 log(1/delta)/(a^2 eps^2)",
)
