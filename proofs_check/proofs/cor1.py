"""Corollary 1 (section 3.2.5; proof in section 5.2): idealized GLM with the standard ReLU.

Statement: with ``||w*|| <= W``, ``err(w)`` is ``(eps, 2 b^2 W, w*)``-SLQC in ``w`` for all
``w in B(0, W)`` and ``eps > 0``. The ReLU has slope ``b`` for ``u > 0`` and ``0`` otherwise
(``a = 0``, outside Definition 3).

The proof assumes a *restricted* error, ``(1/m) sum_{i: <w, x_i> > 0} (y_i - phi<w, x_i>)^2 >= eps``,
while the statement's condition 1 concerns the full error. The ``statement`` steps compare the
two and evaluate Definition 1 on a one-sample instance where every unit is inactive.
"""

from __future__ import annotations

import sympy as sp

from ..claim import Claim
from ..core import Step, V
from ..symbols import EPS, WW, W, Q, S, T, b, c, dl, dw, eps, g, nonneg, nx, r, real, s, t

KAPPA = 2 * b**2 * W
BR = V(b, 0, sp.oo, lo_open=True, num_hi=2.5)
BASE = (BR, WW, EPS)
u, wv, X = sp.symbols("u w X", real=True)
A_, I_ = sp.symbols("A I", real=True)


def relu(x: sp.Expr) -> sp.Expr:
    """Standard ReLU with slope b (section 3.2.5)."""
    return sp.Piecewise((0, x <= 0), (b * x, True))


def inactive_instance(cid: str, outputs: int = 1) -> Step:
    """Definition 1 on an instance with every unit inactive: the gradient vanishes.

    d = 1, x = 1, the columns of W* are W / sqrt(outputs) (so ||W*||_F = W), W = -W*. Then
    y_j = b W / sqrt(outputs), err(W) - err(W*) = b^2 W^2 and the gradient is 0, so neither
    condition of Definition 1 holds whenever eps < b^2 W^2.
    """
    ws = sp.symbols(f"w_1:{outputs + 1}", real=True)
    wstar = W / sp.sqrt(outputs)
    err = sum((relu(wstar) - relu(wj)) ** 2 for wj in ws)
    at = {wj: -wstar for wj in ws}
    grad_sq = sum(sp.diff(err, wj).subs(at) ** 2 for wj in ws)
    err_gap = err.subs(at) - 0
    return Step(f"{cid}.inactive_instance", "statement vs Definition 1",
                f"instance d=1, x=1, {outputs} output(s), W = -W*: ||grad err||^2 > 0 (condition 2) "
                "while err(W) - err(W*) > eps (condition 1 fails)",
                sp.simplify(grad_sq), 0, ">", BASE, given=(sp.Gt(err_gap, eps),), kind="statement",
                scope="instance",
                comment=f"err(W) - err(W*) = {sp.sstr(sp.simplify(err_gap))}; the gradient is computed "
                        "by sympy from the ReLU")


def build() -> list[Step]:
    D = s * dl
    sg = (V(s, 0, b), V(g, 0, b))
    return [
        Step("cor1.restricted_error", "statement vs 5.2 (first line)",
             "statement: full error A + I > eps; proof: restricted error A = (1/m) sum_{<w,x_i> > 0} ... >= eps",
             A_, eps, ">=", (EPS, nonneg(A_, 4), nonneg(I_, 4)), given=(sp.Gt(A_ + I_, eps),),
             kind="statement", repaired_by=(), scope="aggregate",
             comment="I = (1/m) sum over inactive samples (phi = 0 there, so the term is y_i^2)"),
        inactive_instance("cor1", 1),
        Step("cor1.s2", "Step 2", ">= (2/m) sum g [b^-1 (phi - phi*)^2 + (phi - phi*) <x_i, w* - v>]",
             g * D * (dl + t), g * (D**2 / b + D * t), ">=", BASE + sg + (real(dl), real(t)),
             uses=("lemma_lipschitz_monotone",)),
        Step("cor1.s3", "Step 3", "g<w, x_i> = 0 when <w, x_i> <= 0: the sum restricts to <w, x_i> > 0",
             sp.Piecewise((0, u <= 0), (b, True)) * X, sp.Piecewise((0, u <= 0), (b * X, True)), "==",
             BASE + (real(u), real(X))),
        Step("cor1.s3b", "line after Step 3", ">= (2/m) sum_{>0} b [b^-1 (phi - phi*)^2 - |phi - phi*| ||x_i|| ||w* - v||]",
             b * (D**2 / b + D * c * nx * r), b * (D**2 / b - sp.Abs(D) * nx * r), ">=",
             BASE + (V(s, 0, b), real(dl), V(c, -1, 1), V(nx, 0, 1), nonneg(r))),
        Step("cor1.s4", "Step 4", ">= ... - b ||<w,x_i> - <w*,x_i>|| (eps/kappa) ||x_i||",
             b * (D**2 / b - sp.Abs(D) * nx * r), b * (D**2 / b - b * sp.Abs(dl) * (eps / KAPPA) * nx), ">=",
             BASE + (V(s, 0, b), real(dl), V(nx, 0, 1), V(r, 0, eps / KAPPA))),
        Step("cor1.s5", "Step 5", "= (2/m) sum_{>0} (phi - phi*)^2 - (2/m) sum_{>0} b^2 |delta| (eps/kappa) ||x_i||",
             b * (D**2 / b - b * sp.Abs(dl) * (eps / KAPPA) * nx), D**2 - b**2 * sp.Abs(dl) * (eps / KAPPA) * nx, "==",
             BASE + (V(s, 0, b), real(dl), V(nx, 0, 1))),
        Step("cor1.s6", "Step 6", ">= 2 eps - (2/m) sum_{>0} b^2 ||w - w*|| (eps/kappa) ||x_i||^2  (restricted error >= eps)",
             2 * Q - 2 * b**2 * (eps / KAPPA) * S, 2 * eps - 2 * b**2 * dw * (eps / KAPPA) * T, ">=",
             BASE + (V(Q, eps, sp.oo, num_hi=eps + 3), V(dw, 0, 2 * W), V(T, 0, 1), V(S, 0, dw * T)),
             scope="aggregate",
             comment="Q = restricted error, S = (1/m) sum_{>0} |delta_i| ||x_i|| <= ||w - w*|| T, "
                     "T = (1/m) sum_{>0} ||x_i||^2 <= 1"),
        Step("cor1.s7", "Step 7", "= 2 eps - (2/m) m b^2 ||w - w*|| eps/kappa  ('at most m i's')",
             2 * eps - 2 * b**2 * dw * (eps / KAPPA) * T, 2 * eps - 2 * b**2 * dw * eps / KAPPA, "==",
             BASE + (V(dw, 0, 2 * W), V(T, 0, 1)), corrected_rel=">=", typo=True, scope="aggregate"),
        Step("cor1.s8", "last line", ">= eps (2 - ||w - w*|| / W)  (kappa = 2b^2W)",
             2 * eps - 2 * b**2 * dw * eps / KAPPA, eps * (2 - dw / W), ">=", BASE + (V(dw, 0, 2 * W),)),
        Step("cor1.s9", "last line", "eps (2 - ||w - w*|| / W) >= 0", eps * (2 - dw / W), 0, ">=",
             BASE + (V(dw, 0, 2 * W),)),
        Step("cor1.kappa_tight", "statement", "kappa = 2b^2W equals the smallest kappa the chain allows",
             KAPPA, sp.solve(sp.Eq(2 * eps - 2 * b**2 * (eps / sp.Symbol("k", positive=True)) * 2 * W, 0),
                             sp.Symbol("k", positive=True))[0], "==", BASE, kind="constant"),
    ]


CLAIM = Claim(
    "cor1", "Corollary 1 (idealized GLM, standard ReLU)", "3.2.5; proof 5.2",
    "||w*|| <= W: err(w) is (eps, 2b^2W, w*)-SLQC for all w in B(0, W), eps > 0",
    build, kappa=KAPPA,
)
