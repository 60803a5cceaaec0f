"""Theorem 4 (section 3.2.3; proof in section 5.7): inner layer of a one-hidden-layer network.

Statement: with ``||W1*||_F <= W1`` and ``||w2*|| <= W2``, ``err(W1, w2)`` is
``(eps, kappa, W1*)``-SLQC in ``W1`` for all ``W1 in B(0, W1)`` and ``eps > 0`` with
``kappa = (a / (4 b^5 W2^2 W1) - W1 / eps)^{-1}``.

Shapes (section 3.1 conventions): ``W1`` is ``(d, d')``, ``w2`` is ``(d',)``, the network computes
``f = phi2(<w2, phi1(W1^T x)>)``. Matrix steps are checked on ``d = d' = 2``.

Besides the chain, this module checks the constant: where ``kappa`` is a positive real
(``eps > 4 b^5 W2^2 W1^2 / a``) against the largest value the error can take under the norm
bounds (``(2 b^2 W2 W1)^2``), and whether any ``kappa > 0`` makes the bound non-negative: for
``eps <= (2 b^2 W2 W1)^2`` the sup over kappa of the corrected final bound is
``(2a eps - 8 b^5 W2^2 W1^2)/b <= 0``, equal to 0 only at ``a = b`` and ``eps = (2 b^2 W2 W1)^2``
(so a strict ``< 0`` fails there), every finite ``kappa > 0`` gives a negative bound, and the sup
stays at least ``4 b^4 W2^2 W1^2`` below the ``a eps / b > 0`` the proof needs.
"""

from __future__ import annotations

import sympy as sp

from ..claim import Claim
from ..core import Step, V
from ..symbols import A, B, W1, W2, a, b, eps, g2, kap, nonneg, nx, real, s
from .lemmas import grelu, grelu_g

KAPPA = 1 / (a / (4 * b**5 * W2**2 * W1) - W1 / eps)
KAPPA_CORR = 1 / (a / (4 * b**5 * W2**2 * W1) - 2 * W1 / eps)
THRESHOLD = 4 * b**5 * W2**2 * W1**2 / a
MAX_ERR = (2 * b**2 * W2 * W1) ** 2
WB1 = V(W1, 0, sp.oo, lo_open=True, num_hi=2)
WB2 = V(W2, 0, sp.oo, lo_open=True, num_hi=2)
BASE = (A, B, WB1, WB2)
EPS_POS = V(eps, THRESHOLD, sp.oo, lo_open=True, num_hi=THRESHOLD + 3)  # where kappa > 0
EPS_ALL = V(eps, 0, sp.oo, lo_open=True, num_hi=THRESHOLD * 2)
#: Where the claim is not trivial: eps up to the largest error (the interval is closed at its top).
NONTRIVIAL = BASE + (V(eps, 0, MAX_ERR, lo_open=True),)

F_, Dl, nWs, nV, nw2, nw2s, nW1, Rr, T_, Ts, Tv, Qs, Gq = sp.symbols(
    "F Delta nWs nV nw2 nw2s nW1 R T Ts Tv Q Gq", real=True)


def corrected_bound(k: sp.Expr) -> sp.Expr:
    """The chain's final bound with the factor 2 kept: ``2a eps/b - 8 b^4 W2^2 W1^2 - 4 b^4 W2^2 W1 eps/k``."""
    return 2 * a * eps / b - 8 * b**4 * W2**2 * W1**2 - 4 * b**4 * W2**2 * W1 * eps / k


#: sup over kappa > 0 of the corrected final bound (its limit as kappa -> oo).
SUP_BOUND = sp.limit(corrected_bound(kap), kap, sp.oo)


def _matrix_steps() -> list[Step]:
    x1, x2, c1_, c2_, h1, h2 = sp.symbols("x_1 x_2 w2_1 w2_2 h_1 h_2", real=True)
    Wm = sp.Matrix(2, 2, sp.symbols("W_11 W_12 W_21 W_22", real=True))
    Mm = sp.Matrix(2, 2, sp.symbols("M_11 M_12 M_21 M_22", real=True))
    x = sp.Matrix([x1, x2])
    w2 = sp.Matrix([c1_, c2_])
    H = sp.diag(h1, h2)
    f = g2 * (w2.T * H * Wm.T * x)[0, 0]  # one activation pattern: phi1 = diag(h), phi2 slope g2
    grad = sp.Matrix(2, 2, lambda k, l: sp.diff(f, Wm[k, l]))
    lhs = sum(grad[k, l] * Mm[k, l] for k in range(2) for l in range(2))
    rhs = (g2 * x.T * Mm * H * w2)[0, 0]
    box = BASE[:2] + (V(g2, a, b), V(h1, a, b), V(h2, a, b)) + tuple(
        real(q) for q in (x1, x2, c1_, c2_, *Wm, *Mm))
    trace_lhs = sum((x * (H * w2).T)[k, l] * Wm[k, l] for k in range(2) for l in range(2))
    trace_rhs = (H * w2 * x.T * Wm).trace()
    z1, z2 = sp.symbols("z_1 z_2", real=True)
    Vm = sp.Matrix(2, 2, sp.symbols("V_11 V_12 V_21 V_22", real=True))
    tv = (H * w2 * x.T * Vm).trace()
    fro = lambda Mx: sp.sqrt(sum(q**2 for q in Mx))  # noqa: E731
    W1e = sp.Matrix(2, 2, sp.symbols("U_11 U_12 U_21 U_22", real=True))
    fnet = grelu((w2.T * sp.Matrix([grelu(q) for q in (W1e.T * x)]))[0, 0])
    return [
        Step("thm4.chain_rule", "Let (5.7)",
             "d phi2<w2, phi1<W1, x>> / dW1 = g2 x (g1 w2)^T  (tested against any M: <grad, M>_F)",
             lhs, rhs, "==", box, comment="one activation pattern: phi1 = diag(h_1, h_2), phi2 slope g2"),
        Step("thm4.trace", "Step 2", "<x w2^T g1^T, W1>_F = Tr(g1 w2 x^T W1)", trace_lhs, trace_rhs, "==", box),
        Step("thm4.homogeneous", "observation before 'Plugging'",
             "<w2, phi1<W, x>> = Tr(g1(W, x) w2 x^T W): sum_l w2_l phi(z_l) = sum_l w2_l g(z_l) z_l",
             c1_ * grelu(z1) + c2_ * grelu(z2), c1_ * grelu_g(z1) * z1 + c2_ * grelu_g(z2) * z2, "==",
             BASE[:2] + (real(c1_), real(c2_), real(z1), real(z2)), uses=("lemma_grelu_subgradient",)),
        Step("thm4.trace_bound", "bound on |Tr(...)|",
             "|Tr(g1 w2 x^T V)| <= b ||w2|| ||x|| ||V||_F",
             sp.Abs(tv), b * fro(w2) * fro(x) * fro(Vm), "<=",
             BASE[:2] + (V(h1, a, b), V(h2, a, b)) + tuple(real(q, 2) for q in (x1, x2, c1_, c2_, *Vm))),
        Step("thm4.net_bound", "bound on |phi2<w2, phi1<W1, x_i>>|",
             "|phi2<w2, phi1<W1, x>>| <= b^2 ||w2|| ||W1||_F ||x||",
             sp.Abs(fnet), b**2 * fro(w2) * fro(W1e) * fro(x), "<=",
             BASE[:2] + tuple(real(q, 2) for q in (x1, x2, c1_, c2_, *W1e)), uses=("lemma_grelu_subgradient",)),
    ]


def build() -> list[Step]:
    base_pos = BASE + (EPS_POS,)
    D = s * Dl  # f - y = s (z - z*)
    return _matrix_steps() + [
        Step("thm4.lipschitz", "before 'Plugging'", "(f - y)^2 <= b (f - y)(z - z*)  (phi2 b-Lipschitz, monotone)",
             D**2, b * D * Dl, "<=", BASE[:2] + (V(s, a, b), real(Dl)), uses=("lemma_lipschitz_monotone",)),
        Step("thm4.plug", "Plugging into Step 2",
             "g2 (f-y)[(z - z*) + T] >= g2 [b^-1 (f-y)^2 + (f-y) T],  T = Tr(g1* w2* x^T W1*) - Tr(g1 w2 x^T V1)",
             g2 * D * (Dl + T_), g2 * (D**2 / b + D * T_), ">=",
             BASE[:2] + (V(s, a, b), V(g2, a, b), real(Dl), real(T_))),
        Step("thm4.err_eps", "next line", "(2/m) sum g2 b^-1 (f - y)^2 >= 2ab^-1 eps  (g2 >= a, err >= eps)",
             2 * Gq / b, 2 * a * eps / b, ">=",
             BASE + (EPS_ALL, V(Qs, eps, sp.oo, num_hi=eps + 3), V(Gq, a * Qs, sp.oo, num_hi=a * Qs + 3)),
             scope="aggregate", comment="Q = err, Gq = (1/m) sum g2_i (f_i - y_i)^2 >= a Q"),
        Step("thm4.s3", "Step 3", ">= 2a eps/b - (2/m) sum g2 |f - y| |T|",
             g2 * F_ * T_, -g2 * sp.Abs(F_) * sp.Abs(T_), ">=", BASE[:2] + (V(g2, a, b), real(F_), real(T_))),
        Step("thm4.trace_triangle", "bound on |T|", "|Tr* - Tr_V| <= |Tr*| + |Tr_V|",
             sp.Abs(Ts - Tv), sp.Abs(Ts) + sp.Abs(Tv), "<=", (real(Ts), real(Tv))),
        Step("thm4.trace_norms", "bound on |T|",
             "b ||w2*|| ||x|| ||W1*|| + b ||w2|| ||x|| ||V1|| <= b W2 [||W1*|| + ||V1||]",
             b * nw2s * nx * nWs + b * nw2 * nx * nV, b * W2 * (nWs + nV), "<=",
             BASE + (V(nw2s, 0, W2), V(nw2, 0, W2), V(nx, 0, 1), V(nWs, 0, W1), nonneg(nV))),
        Step("thm4.trace_radius", "bound on |T|",
             "b W2 [||W1*|| + ||V1||] <= b W2 [2||W1*|| + eps/kappa]  (||V1|| <= ||W1*|| + ||V1 - W1*||)",
             b * W2 * (nWs + nV), b * W2 * (2 * nWs + eps / KAPPA), "<=",
             base_pos + (V(nWs, 0, W1), V(Rr, 0, eps / KAPPA), V(nV, 0, nWs + Rr))),
        Step("thm4.f_bound", "bound on |f - y|",
             "|f - y| <= |f| + |y| <= b^2 (||w2|| ||W1|| + ||w2*|| ||W1*||) ||x|| <= 2 b^2 W2 W1",
             b**2 * (nw2 * nW1 + nw2s * nWs) * nx, 2 * b**2 * W2 * W1, "<=",
             BASE + (V(nw2, 0, W2), V(nw2s, 0, W2), V(nW1, 0, W1), V(nWs, 0, W1), V(nx, 0, 1))),
        Step("thm4.combine", "after 'Using these'",
             ">= 2a eps/b - 2b * 2b^2 W2 W1 * b W2 [2||W1*|| + eps/kappa]",
             2 * a * eps / b - 2 * g2 * F_ * T_,
             2 * a * eps / b - 2 * b * 2 * b**2 * W2 * W1 * b * W2 * (2 * nWs + eps / KAPPA), ">=",
             base_pos + (V(g2, a, b), V(nWs, 0, W1), V(F_, 0, 2 * b**2 * W2 * W1),
                         V(T_, 0, b * W2 * (2 * nWs + eps / KAPPA)))),
        Step("thm4.drop_two", "next line",
             ">= 2a eps/b - 4b^4 W2^2 W1 * W1 - 4b^4 W2^2 W1 eps/kappa  (2||W1*|| replaced by W1)",
             2 * a * eps / b - 4 * b**4 * W2**2 * W1 * (2 * nWs + eps / KAPPA),
             2 * a * eps / b - 4 * b**4 * W2**2 * W1 * W1 - 4 * b**4 * W2**2 * W1 * eps / KAPPA, ">=",
             base_pos + (V(nWs, 0, W1),), corrected_after=corrected_bound(KAPPA),
             repaired_by=("thm4.c_final",), comment="needs ||W1*|| <= W1/2; the statement only gives W1"),
        Step("thm4.substitute", "next line", "= 2a eps/b - 4b^4W2^2W1^2 - 4b^4W2^2W1 eps (a/(4b^5W2^2W1) - W1/eps)",
             2 * a * eps / b - 4 * b**4 * W2**2 * W1**2 - 4 * b**4 * W2**2 * W1 * eps / KAPPA,
             2 * a * eps / b - 4 * b**4 * W2**2 * W1**2
             - 4 * b**4 * W2**2 * W1 * eps * (a / (4 * b**5 * W2**2 * W1) - W1 / eps), "==", base_pos),
        Step("thm4.final", "last line", "= a eps / b",
             2 * a * eps / b - 4 * b**4 * W2**2 * W1**2 - 4 * b**4 * W2**2 * W1 * eps / KAPPA,
             a * eps / b, "==", base_pos),
        # -- constants -------------------------------------------------------------------
        Step("thm4.kappa_positive", "statement", "kappa > 0 for every eps > 0 (as the statement quantifies)",
             KAPPA, 0, ">", BASE + (EPS_ALL,), kind="constant",
             comment="kappa = (a/(4b^5W2^2W1) - W1/eps)^-1 changes sign at eps = 4b^5W2^2W1^2/a"),
        Step("thm4.max_error", "statement", "err(W1, w2) <= (|f| + |y|)^2 <= (2 b^2 W2 W1)^2 under the norm bounds",
             (b**2 * (nw2 * nW1 + nw2s * nWs) * nx) ** 2, MAX_ERR, "<=",
             BASE + (V(nw2, 0, W2), V(nw2s, 0, W2), V(nW1, 0, W1), V(nWs, 0, W1), V(nx, 0, 1)),
             kind="constant"),
        Step("thm4.vacuity", "statement",
             "kappa > 0 needs eps > 4b^5W2^2W1^2/a >= (2b^2W2W1)^2 >= err: condition 1 of Definition 4 "
             "then holds at every W1",
             THRESHOLD, MAX_ERR, ">=", BASE, kind="constant", role="vacuity"),
        Step("thm4.no_kappa", "statement",
             "for eps <= (2b^2W2W1)^2, sup_{kappa > 0} of the (corrected) final bound = lim_{kappa -> oo} "
             "<= 0, with equality only at a = b and eps = (2b^2W2W1)^2",
             SUP_BOUND, 0, "<=", NONTRIVIAL, kind="constant", role="no-kappa",
             cert=(2 * a * (MAX_ERR - eps) + 8 * b**4 * W2**2 * W1**2 * (b - a)) / b,
             comment="sup = (2a eps - 8b^5W2^2W1^2)/b = -[2a((2b^2W2W1)^2 - eps) + 8b^4W2^2W1^2(b - a)]/b: "
                     "two non-positive terms, both 0 only at eps = (2b^2W2W1)^2 and a = b; a strict '<' "
                     "fails there (the earlier form of this step)"),
        Step("thm4.no_kappa_equality", "statement",
             "at eps = (2b^2W2W1)^2 the sup is 8b^3W2^2W1^2(a - b): 0 only at a = b",
             SUP_BOUND.subs(eps, MAX_ERR), 8 * b**3 * W2**2 * W1**2 * (a - b), "==", BASE,
             kind="constant", role="no-kappa"),
        Step("thm4.no_kappa_any", "statement",
             "every kappa > 0 gives a negative bound: sup - 4b^4W2^2W1 eps/kappa < 0 for eps <= (2b^2W2W1)^2",
             corrected_bound(kap), 0, "<", NONTRIVIAL + (V(kap, 0, sp.oo, lo_open=True, num_hi=1000),),
             kind="constant", role="no-kappa"),
        Step("thm4.no_kappa_target", "statement",
             "the sup never reaches the a eps/b > 0 the proof needs: a eps/b - sup >= 4b^4W2^2W1^2 > 0",
             SUP_BOUND, a * eps / b, "<", NONTRIVIAL, kind="constant", role="no-kappa",
             cert=(8 * b**5 * W2**2 * W1**2 - a * eps) / b),
        # -- correction --------------------------------------------------------------------
        Step("thm4.c_final", "corrected last lines",
             "with the factor 2 kept and kappa' = (a/(4b^5W2^2W1) - 2W1/eps)^-1 the bound is a eps/b",
             corrected_bound(KAPPA_CORR), a * eps / b, "==", BASE + (EPS_ALL,), kind="correction"),
        Step("thm4.c_vacuity", "corrected constant",
             "kappa' > 0 needs eps > 8b^5W2^2W1^2/a >= (2b^2W2W1)^2: still vacuous",
             2 * THRESHOLD, MAX_ERR, ">=", BASE, kind="constant", role="vacuity"),
    ]


CLAIM = Claim(
    "thm4", "Theorem 4 (inner layer, one output)", "3.2.3; proof 5.7",
    "||W1*||_F <= W1, ||w2*|| <= W2: err(W1, w2) is (eps, (a/(4b^5W2^2W1) - W1/eps)^-1, W1*)-SLQC "
    "in W1 for all W1 in B(0, W1), eps > 0",
    build, kappa=KAPPA, corrected_kappa=KAPPA_CORR,
    hypotheses=BASE + (V(eps, 2 * THRESHOLD, sp.oo, lo_open=True),),  # where kappa' > 0
    correction_text="keep the factor 2 of 2||W1*||",
)
