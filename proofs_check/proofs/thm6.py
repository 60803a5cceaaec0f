"""Theorem 6 (section 3.3; proof in section 5.9): sigmoid GLM with binary cross-entropy.

Statement: with ``||w*|| <= W``, ``err(w)`` is ``(eps, eps / (1 - e^{-eps})^2, w*)``-SLQC in ``w`` for
all ``w in B(0, W)`` and ``eps > 0``, in the idealized setting ``y_i = sigma<w*, x_i>``.

The proof assumes every per-sample error is at least ``eps`` (the statement: the average) and
argues with binary labels ``y_i in {0, 1}`` while Step 2 uses ``y_i = sigma<w*, x_i>`` in ``(0, 1)``.
The correction proves the statement by convexity: ``<grad f(w), w - v> >= f(w) - f(v) >=
f(w) - f(w*) - ||v - w*|| > eps - eps/kappa``, which is positive because ``kappa > 1``.
"""

from __future__ import annotations

import sympy as sp

from ..claim import Claim
from ..core import MonoCert, Step, V
from ..symbols import EPS, WW, E, W, c, dl, eps, nonneg, nx, r, real, s, y, p
from .lemmas import log_bound_steps, sigmoid

KAPPA = eps / (1 - sp.exp(-eps)) ** 2
e1, e2, u, us, Dab, G_, L_, R_ = sp.symbols("e_1 e_2 u u_star Dabs G L R", real=True)
EE = V(E, 0, 1, lo_open=True, hi_open=True)


def bce(q: sp.Expr, lab: sp.Expr) -> sp.Expr:
    """Binary cross-entropy of prediction q for label lab."""
    return -lab * sp.log(q) - (1 - lab) * sp.log(1 - q)


def statement_steps(cid: str, outputs: str) -> list[Step]:
    """Per-sample vs average error, binary vs idealized labels, the key bound under idealized labels."""
    factor = 1 if outputs == "1" else 2
    repair = tuple(f"{cid}.{k}" for k in ("c_convex", "c_lipschitz", "c_chain")) + (
        (f"{cid}.c_kappa",) if cid == "thm6" else ())
    return [
        Step(f"{cid}.per_sample_error", "first line of the proof",
             "statement: (1/m) sum_i err_i >= eps; proof: err_i >= eps for every i (m = 2)",
             e1, eps, ">=", (EPS, nonneg(e1, 4), nonneg(e2, 4)), given=(sp.Ge((e1 + e2) / 2, eps),),
             kind="statement", repaired_by=repair, scope="aggregate"),
        Step(f"{cid}.binary_labels", "case analysis y_i in {0, 1}",
             "idealized labels y = sigma<w*, x> with |<w*, x>| <= W are binary: y (1 - y) = 0",
             sigmoid(u) * (1 - sigmoid(u)), 0, "==", (WW, V(u, -W, W)), kind="statement",
             repaired_by=repair,
             comment="Step 2 uses y_i = phi<w*, x_i>, the case analysis needs y_i in {0, 1}"),
        Step(f"{cid}.idealized_bound", "case analysis, idealized labels",
             f"err_i >= eps => sum_j (y_ij - phi_ij)^2 >= (1 - e^-eps)^2 * {factor} for labels y in (0, 1)"
             + (" (d' = 2)" if factor == 2 else ""),
             factor * (y - p) ** 2, factor * (1 - sp.exp(-eps)) ** 2, ">=",
             (V(y, 0, 1, lo_open=True, hi_open=True), V(p, 0, 1, lo_open=True, hi_open=True), EPS),
             given=(sp.Ge(bce(p, y), eps),), kind="statement",
             repaired_by=repair),
    ]


def build() -> list[Step]:
    lb = {st.id.split(".")[-1]: st for st in log_bound_steps()}
    from dataclasses import replace
    D = s * dl
    S14 = V(s, 0, sp.Rational(1, 4), lo_open=True)
    K1 = V(r, 0, (1 - E) ** 2)
    return statement_steps("thm6", "1") + [
        replace(lb["exp_form"], id="thm6.log_bound", label="case y_i = 1 (binary labels)"),
        Step("thm6.s1", "Step 1", "<grad err, w - v> = (1/m) sum (phi<w, x_i> - y_i) <x_i, w - v>: "
             "d/du BCE(sigma(u), y) = sigma(u) - y",
             sp.diff(bce(sigmoid(u), y), u), sigmoid(u) - y, "==", (real(u, 6), V(y, 0, 1))),
        Step("thm6.s3", "Step 3", ">= (1/m) sum (phi - phi*)[(<w,x_i> - <w*,x_i>) - ||x_i|| ||w* - v||]",
             D * (dl + c * nx * r), D * (dl - nx * r), ">=",
             (S14, real(dl), V(c, -1, 1), V(nx, 0, 1), nonneg(r)),
             corrected_after=D * dl - sp.Abs(D) * nx * r, typo=True,
             comment="the absolute value |phi - phi*| is missing in front of ||x_i|| ||w* - v|| "
                     "(Step 4 has it)"),
        Step("thm6.s4", "Step 4", ">= (1/m) sum 4 (phi - phi*)^2 - |phi - phi*| ||x_i|| ||w* - v||",
             D * dl - sp.Abs(D) * nx * r, 4 * D**2 - sp.Abs(D) * nx * r, ">=",
             (S14, real(dl), V(nx, 0, 1), nonneg(r)), uses=("lemma_sigmoid_lipschitz",)),
        Step("thm6.eps_over_kappa", "Step 5", "eps / kappa = (1 - e^-eps)^2", eps / KAPPA,
             (1 - sp.exp(-eps)) ** 2, "==", (EPS,)),
        Step("thm6.s5", "Step 5", ">= 4 (1 - e^-eps)^2 - eps/kappa  ((phi - phi*)^2 >= (1 - E)^2 per sample, "
             "|phi - phi*| <= 1, E = e^-eps)",
             4 * Dab**2 - Dab * nx * r, 4 * (1 - E) ** 2 - (1 - E) ** 2, ">=",
             (EE, V(Dab, 1 - E, 1), V(nx, 0, 1), K1)),
        Step("thm6.s6", "last line", "4 (1 - E)^2 - (1 - E)^2 = 3 (1 - E)^2 > 0",
             4 * (1 - E) ** 2 - (1 - E) ** 2, 0, ">", (EE,)),
        Step("thm6.kappa_positive", "statement", "kappa = eps/(1 - e^-eps)^2 > 0", KAPPA, 0, ">", (EPS,),
             kind="constant"),
        # -- correction: convexity ----------------------------------------------------------------
        Step("thm6.c_convex", "correction", "d^2/du^2 BCE(sigma(u), y) = sigma'(u) > 0 (convex in w)",
             sp.diff(bce(sigmoid(u), y), u, 2), 0, ">", (real(u, 6), V(y, 0, 1)), kind="correction"),
        Step("thm6.c_lipschitz", "correction", "||grad_w BCE|| = |sigma - y| ||x_i|| <= 1",
             sp.Abs(p - y) * nx, 1, "<=",
             (V(p, 0, 1, lo_open=True, hi_open=True), V(y, 0, 1), V(nx, 0, 1)), kind="correction"),
        Step("thm6.c_chain", "correction",
             "<grad f(w), w - v> >= f(w) - f(v) >= f(w) - f(w*) - L ||v - w*|| >= eps - eps/kappa "
             "(G = f(w) - f(w*) > eps, L <= 1, R = ||v - w*|| <= eps/kappa)",
             G_ - L_ * R_, eps - eps / KAPPA, ">=",
             (EPS, V(G_, eps, sp.oo, num_hi=eps + 3), V(L_, 0, 1), V(R_, 0, eps / KAPPA)), kind="correction"),
        Step("thm6.c_kappa", "correction", "eps - eps/kappa = eps - (1 - e^-eps)^2 > 0 (kappa > 1)",
             eps - (1 - sp.exp(-eps)) ** 2, 0, ">", (EPS,), kind="correction",
             mono=MonoCert(eps, 0, (1 - sp.exp(-eps)) ** 2 + sp.exp(-2 * eps))),
    ]


CLAIM = Claim(
    "thm6", "Theorem 6 (sigmoid GLM, binary cross-entropy)", "3.3; proof 5.9",
    "||w*|| <= W, idealized labels: err(w) is (eps, eps/(1 - e^-eps)^2, w*)-SLQC for all w in B(0, W), eps > 0",
    build, kappa=KAPPA, fix="another-argument",
    correction_text="convexity of the cross-entropy in w, gradient norm <= 1, and kappa > 1",
)
