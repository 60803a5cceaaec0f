"""Theorem 1 (section 3.2.1; proof in section 5.1): idealized GLM with the generalized ReLU.

Statement: with ``||w*|| <= W``, ``err_m(w)`` is ``(eps, 2 b^3 W / a, w*)``-SLQC in ``w`` for all
``w in B(0, W)`` and ``eps > 0``.

The chain of section 5.1 is checked summand by summand with the per-sample scalars of
:mod:`proofs_check.symbols` (``phi<w, x_i> - phi<w*, x_i> = s delta``); the aggregate steps use
``Q = (1/m) sum_i (phi<w, x_i> - phi<w*, x_i>)^2 = err_m(w) >= eps`` (idealized: ``err_m(w*) = 0``).
"""

from __future__ import annotations

import sympy as sp

from ..claim import Claim
from ..core import Step, V
from ..symbols import (GRELU_BASE, Q, S, W, a, b, c, c1, dl, dw, eps, g, grelu_kappa, nonneg,
                       nx, r, real, s, t)

KAPPA = grelu_kappa()


def gradient_step(cid: str, label: str = "first line") -> Step:
    """``<G(w), w - v> = (2/m) sum g (phi - y) <x_i, w - v>`` on one linear piece (slope c1)."""
    w1, w2, x1, x2, v1, v2, yy = sp.symbols("w_1 w_2 x_1 x_2 v_1 v_2 y", real=True)
    u = w1 * x1 + w2 * x2
    loss = (yy - c1 * u) ** 2  # the generalized ReLU on the piece where its slope is c1 = g(u)
    grad_dot = sp.diff(loss, w1) * (w1 - v1) + sp.diff(loss, w2) * (w2 - v2)
    rhs = 2 * c1 * (c1 * u - yy) * (x1 * (w1 - v1) + x2 * (w2 - v2))
    return Step(f"{cid}.grad", label,
                "<G(w), w - v> = (2/m) sum_i g<w,x_i> (phi<w,x_i> - y_i) <x_i, w - v>",
                grad_dot, rhs, "==",
                GRELU_BASE[:2] + (V(c1, a, b),) + tuple(real(q) for q in (w1, w2, x1, x2, v1, v2, yy)),
                comment="d = 2, one sample; on each linear piece phi(u) = c1 u with c1 = g(u) in {a, b}")


def build() -> list[Step]:
    base = GRELU_BASE
    D = s * dl  # phi<w,x_i> - phi<w*,x_i>
    sg = (V(s, a, b), V(g, a, b))
    rr = V(r, 0, eps / KAPPA)
    return [
        gradient_step("thm1"),
        Step("thm1.s1", "Step 1",
             "= (2/m) sum g (phi<w,x_i> - phi<w*,x_i>)[<x_i, w - w*> + <x_i, w* - v>]  (y_i = phi<w*,x_i>)",
             2 * g * D * (dl + t), 2 * g * D * dl + 2 * g * D * t, "==", base + sg + (real(dl), real(t))),
        Step("thm1.s2", "Step 2",
             ">= (2/m) sum g [b^-1 (phi - phi*)^2 + (phi - phi*) <x_i, w* - v>]",
             g * D * (dl + t), g * (D**2 / b + D * t), ">=", base + sg + (real(dl), real(t)),
             uses=("lemma_lipschitz_monotone", "lemma_grelu_subgradient")),
        Step("thm1.s2b", "line after Step 2",
             ">= (2/m) sum g [b^-1 (phi - phi*)^2 - |phi - phi*| ||x_i|| ||w* - v||]  (Cauchy-Schwarz)",
             g * (D**2 / b + D * c * nx * r), g * (D**2 / b - sp.Abs(D) * nx * r), ">=",
             base + sg + (real(dl), V(c, -1, 1), V(nx, 0, 1), nonneg(r)),
             comment="<x_i, w* - v> = c ||x_i|| ||w* - v|| with c in [-1, 1]"),
        Step("thm1.s3", "Step 3",
             ">= (2/m) sum a b^-1 (phi - phi*)^2 - (2/m) sum b |phi - phi*| ||x_i|| ||w* - v||",
             g * (D**2 / b - sp.Abs(D) * nx * r), a * D**2 / b - b * sp.Abs(D) * nx * r, ">=",
             base + sg + (real(dl), V(nx, 0, 1), nonneg(r)), uses=("lemma_grelu_subgradient",)),
        Step("thm1.s4", "Step 4",
             ">= ... - (2/m) sum b^2 |<w,x_i> - <w*,x_i>| (eps/kappa) ||x_i||",
             a * D**2 / b - b * sp.Abs(D) * nx * r, a * D**2 / b - b**2 * sp.Abs(dl) * (eps / KAPPA) * nx, ">=",
             base + (V(s, a, b), real(dl), V(nx, 0, 1), rr), uses=("lemma_grelu_subgradient",)),
        Step("thm1.s4b", "line after Step 4",
             ">= 2ab^-1 eps - a eps/(bWm) sum |<w,x_i> - <w*,x_i>| ||x_i||  (err_m(w) >= eps, kappa = 2b^3W/a)",
             2 * a * Q / b - 2 * b**2 * (eps / KAPPA) * S, 2 * a * eps / b - a * eps / (b * W) * S, ">=",
             base + (V(Q, eps, sp.oo, num_hi=eps + 3), nonneg(S, 6)), scope="aggregate",
             comment="Q = (1/m) sum (phi - phi*)^2 = err_m(w), S = (1/m) sum |delta_i| ||x_i||"),
        Step("thm1.s4c", "two lines after Step 4",
             ">= 2ab^-1 eps - a eps/(bWm) sum ||w - w*|| ||x_i||^2  (Cauchy-Schwarz)",
             2 * a * eps / b - a * eps / (b * W) * sp.Abs(c * dw * nx) * nx,
             2 * a * eps / b - a * eps / (b * W) * dw * nx**2, ">=",
             base + (V(c, -1, 1), V(dw, 0, 2 * W), V(nx, 0, 1)),
             comment="<w - w*, x_i> = c ||w - w*|| ||x_i||"),
        Step("thm1.s5", "Step 5", ">= ab^-1 eps (2 - ||w - w*|| / W)  (||x_i|| <= 1)",
             2 * a * eps / b - a * eps / (b * W) * dw * nx**2, a * eps / b * (2 - dw / W), ">=",
             base + (V(dw, 0, 2 * W), V(nx, 0, 1))),
        Step("thm1.s6", "last line", ">= 0  (||w - w*|| <= ||w|| + ||w*|| <= 2W)",
             a * eps / b * (2 - dw / W), 0, ">=", base + (V(dw, 0, 2 * W),)),
        Step("thm1.kappa_positive", "statement", "kappa = 2b^3W/a > 0", KAPPA, 0, ">", base,
             kind="constant"),
        Step("thm1.kappa_tight", "statement",
             "kappa >= the smallest kappa the chain allows: 2ab^-1 eps - 2b^2 (eps/kappa) 2W >= 0",
             KAPPA, needed_kappa(), ">=", base, kind="constant",
             comment="needed kappa solved by sympy from the worst case ||x_i|| = 1, ||w - w*|| = 2W"),
    ]


def needed_kappa() -> sp.Expr:
    """Smallest kappa for which the chain's worst case ``2ab^-1 eps - 4 b^2 W eps / kappa`` is >= 0."""
    k = sp.Symbol("k", positive=True)
    sol = sp.solve(sp.Eq(2 * a * eps / b - 2 * b**2 * (eps / k) * 2 * W, 0), k)
    return sol[0]


CLAIM = Claim(
    "thm1", "Theorem 1 (idealized GLM, generalized ReLU)", "3.2.1; proof 5.1",
    "||w*|| <= W: err_m(w) is (eps, 2b^3W/a, w*)-SLQC for all w in B(0, W), eps > 0",
    build, kappa=KAPPA,
)


