"""Theorem 7 (section 3.3; proof in section 5.10): one softmax layer with cross-entropy.

Statement: with ``||W*||_F <= W``, ``err(W)`` is ``(eps, eps d' / (1 - e^{-eps})^2, W*)``-SLQC in ``W``
for all ``W in B(0, W)`` and ``eps > 0`` (the statement's first kappa ``eps d'/(1 - e^-eps)`` is a
conversion duplicate; the proof uses the squared denominator, which is the reading tested).

As in Theorem 6 the proof assumes per-sample errors ``>= eps`` and one-hot labels, while Step 2
uses idealized labels ``y_ij = phi<w*_j, x_i>``. Matrix/vector steps are checked with ``d' = 3``.
The correction argues by convexity: gradient norm ``||x|| ||p - y|| <= sqrt(2)`` and
``kappa > d' >= 2 > sqrt(2)``.
"""

from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..claim import Claim
from ..core import Step, V
from ..symbols import EPS, E, c, dp, eps, nonneg, nx, r, real
from .lemmas import log_bound_steps, softmax_steps, _softmax
from .thm6 import statement_steps

KAPPA = eps * dp / (1 - sp.exp(-eps)) ** 2
DP = V(dp, 2, 6, integer=True)
EE = V(E, 0, 1, lo_open=True, hi_open=True)
pt, p1, p2, p3, Dj, Kq, SD, v1, v2, v3 = sp.symbols("p_t p_1 p_2 p_3 D_j K S_D v_1 v_2 v_3", real=True)
z1, z2, z3, y1, y2 = sp.symbols("z_1 z_2 z_3 y_1 y_2", real=True)


def build() -> list[Step]:
    lb = {st.id.split(".")[-1]: st for st in log_bound_steps()}
    sm = {st.id.split(".")[-1]: st for st in softmax_steps()}
    probs = _softmax([z1, z2, z3])
    y3 = 1 - y1 - y2
    ce = -(y1 * sp.log(probs[0]) + y2 * sp.log(probs[1]) + y3 * sp.log(probs[2]))
    simplex = (V(p1, 0, 1), V(p2, 0, 1 - p1))
    p3e = 1 - p1 - p2
    hess = (p1 * v1**2 + p2 * v2**2 + p3e * v3**2) - (p1 * v1 + p2 * v2 + p3e * v3) ** 2
    hess_cert = p1 * p2 * (v1 - v2) ** 2 + p1 * p3e * (v1 - v3) ** 2 + p2 * p3e * (v2 - v3) ** 2
    yy1, yy2 = sp.symbols("yy_1 yy_2", real=True)
    return statement_steps("thm7", "2") + [
        replace(lb["exp_form"], id="thm7.log_bound", label="correct label t (one-hot)"),
        Step("thm7.rest_mass", "one-hot case", "sum_{j != t} phi_j = 1 - phi_t >= 1 - e^-eps (phi_t <= E)",
             1 - pt, 1 - E, ">=", (EE, V(pt, 0, E))),
        Step("thm7.cauchy_schwarz", "one-hot case", "sum_{j != t} phi_j^2 >= (sum_{j != t} phi_j)^2/(d' - 1) (d' - 1 = 3)",
             p1**2 + p2**2 + p3**2, (p1 + p2 + p3) ** 2 / 3, ">=", (real(p1), real(p2), real(p3)),
             cert=((p1 - p2) ** 2 + (p1 - p3) ** 2 + (p2 - p3) ** 2) / 3),
        Step("thm7.sum_bound", "one-hot case", "(1 - E)^2 + (1 - E)^2/(d' - 1) = (1 - E)^2 d'/(d' - 1)",
             (1 - E) ** 2 + (1 - E) ** 2 / (dp - 1), (1 - E) ** 2 * dp / (dp - 1), "==", (EE, DP)),
        Step("thm7.s1", "Step 1", "d CE(softmax(z), y) / dz_1 = phi_1 - y_1 (sum_j y_j = 1, d' = 3)",
             sp.diff(ce, z1), probs[0] - y1, "==", tuple(real(q, 3) for q in (z1, z2, z3)) + (V(y1, 0, 1), V(y2, 0, 1 - y1))),
        replace(sm["summed3"], id="thm7.s3", label="Step 3",
                uses=("lemma_softmax_lipschitz",)),
        Step("thm7.s4", "Step 4", ">= ... - |phi_j - phi*_j| ||x_i|| ||w*_j - v_j||  (Cauchy-Schwarz)",
             2 * Dj**2 + Dj * c * nx * r, 2 * Dj**2 - sp.Abs(Dj) * nx * r, ">=",
             (V(Dj, -1, 1), V(c, -1, 1), V(nx, 0, 1), nonneg(r))),
        Step("thm7.s5", "Step 5", ">= 2 (phi_j - phi*_j)^2 - (eps/kappa) ||x_i||  (|phi_j - phi*_j| <= 1, "
             "||w*_j - v_j|| <= eps/kappa = K)",
             2 * Dj**2 - sp.Abs(Dj) * nx * r, 2 * Dj**2 - Kq * nx, ">=",
             (nonneg(Kq), V(Dj, -1, 1), V(nx, 0, 1), V(r, 0, Kq))),
        Step("thm7.s6", "Step 6", ">= 2 (1 - E)^2 d'/(d' - 1) - d' eps/kappa  (per-sample sum_j D_j^2 >= "
             "(1 - E)^2 d'/(d' - 1), ||x_i|| <= 1)",
             2 * SD - dp * Kq * nx, 2 * (1 - E) ** 2 * dp / (dp - 1) - dp * Kq, ">=",
             (EE, DP, nonneg(Kq), V(SD, (1 - E) ** 2 * dp / (dp - 1), sp.oo, num_hi=4), V(nx, 0, 1)),
             scope="aggregate"),
        Step("thm7.eps_over_kappa", "Step 6", "d' eps / kappa = (1 - e^-eps)^2", dp * eps / KAPPA,
             (1 - sp.exp(-eps)) ** 2, "==", (EPS, DP)),
        Step("thm7.s7", "last line", "2 (1 - E)^2 d'/(d' - 1) - (1 - E)^2 = (1 - E)^2 (d' + 1)/(d' - 1) > 0",
             2 * (1 - E) ** 2 * dp / (dp - 1) - (1 - E) ** 2, (1 - E) ** 2 * (dp + 1) / (dp - 1), "==", (EE, DP)),
        Step("thm7.kappa_positive", "statement", "kappa = eps d'/(1 - e^-eps)^2 > 0", KAPPA, 0, ">", (EPS, DP),
             kind="constant"),
        # -- correction: convexity ----------------------------------------------------------------
        Step("thm7.c_convex", "correction",
             "Hessian of CE(softmax(z)) in z: v^T (diag p - p p^T) v >= 0 on the simplex (convex in W)",
             hess, 0, ">=", simplex + (real(v1, 1), real(v2, 1), real(v3, 1)), kind="correction", cert=hess_cert),
        Step("thm7.c_lipschitz", "correction", "||p - y||^2 <= 2 for probability vectors (d' = 3)",
             (p1 - yy1) ** 2 + (p2 - yy2) ** 2 + (p3e - (1 - yy1 - yy2)) ** 2, 2, "<=",
             simplex + (V(yy1, 0, 1), V(yy2, 0, 1 - yy1)), kind="correction"),
        Step("thm7.c_chain", "correction",
             "eps - sqrt(2) eps/kappa = eps - sqrt(2) (1 - e^-eps)^2 / d' > 0",
             eps - sp.sqrt(2) * (1 - sp.exp(-eps)) ** 2 / dp, 0, ">", (EPS, DP), kind="correction"),
    ]


CLAIM = Claim(
    "thm7", "Theorem 7 (softmax layer, cross-entropy)", "3.3; proof 5.10",
    "||W*||_F <= W, idealized labels: err(W) is (eps, eps d'/(1 - e^-eps)^2, W*)-SLQC for all W in B(0, W), eps > 0",
    build, kappa=KAPPA, fix="another-argument",
    correction_text="convexity of the cross-entropy in W, gradient norm <= sqrt(2), and kappa > sqrt(2)",
    reading="kappa = eps d'/(1 - e^-eps)^2 (the statement repeats a garbled eps d'/(1 - e^-eps))",
)


