"""Result of [9] quoted in section 3.2: the sigmoid GLM is ``(eps, e^W, w*)``-SLQC.

Statement (section 3.2, after Definition 2): in the idealized GLM with the sigmoid, ``err(w)`` is
``(eps, e^{||w*||}, w*)``-SLQC in ``w`` for all ``w in B(0, ||w*||)`` and ``eps > 0``.

The proof is in [9], not in this paper; the audit reconstructs it in the style of section 5.1:
``<G, w - v> = (2/m) sum sigma'(u_i)(sigma_i - sigma*_i)(delta_i + t_i)``, the sigmoid's slope on
``[-W, W]`` is at least ``gamma = e^{-W}/4`` and at most ``1/4``, ``(sigma - sigma*) delta >= 4 (sigma - sigma*)^2``
and ``|sigma - sigma*| <= 1``. With ``W = ||w*||`` this gives ``8 gamma eps - eps/(2 kappa) > 0``.
"""

from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..claim import Claim
from ..core import Step, V
from ..symbols import EPS, Q, E, c, dl, eps, kap, nonneg, nx, r, real, s, W
from .lemmas import sigmoid_steps

KAPPA = sp.exp(W)
gam, Dm = sp.symbols("gamma D_m", real=True)
gi = sp.Symbol("gamma_i", real=True)
EE = V(E, 0, 1, lo_open=True, hi_open=True)
KAP = V(kap, 0, sp.oo, lo_open=True, num_hi=5)


def build() -> list[Step]:
    sg = {st.id.split(".")[-1]: st for st in sigmoid_steps()}
    D = s * dl
    S14 = V(s, 0, sp.Rational(1, 4), lo_open=True)
    G_ = V(gam, 0, sp.Rational(1, 4), lo_open=True)
    return [
        replace(sg["min_slope"], id="hazan.min_slope", label="[9], slope bound"),
        Step("hazan.cocoercive", "[9], Lipschitz step", "sigma'_i (sigma - sigma*)(delta + t) >= sigma'_i [4 (sigma - sigma*)^2 + (sigma - sigma*) t]",
             gi * D * (dl + sp.Symbol("t", real=True)), gi * (4 * D**2 + D * sp.Symbol("t", real=True)), ">=",
             (G_, V(gi, gam, sp.Rational(1, 4)), S14, real(dl), real(sp.Symbol("t", real=True))),
             uses=("lemma_sigmoid_lipschitz",)),
        Step("hazan.cauchy_schwarz", "[9], noise-free bound",
             "sigma'_i [4 D^2 + D c ||x|| r] >= 4 gamma D^2 - (1/4) |D| ||x|| r  (sigma'_i in [gamma, 1/4])",
             gi * (4 * D**2 + D * c * nx * r), 4 * gam * D**2 - sp.Abs(D) * nx * r / 4, ">=",
             (G_, V(gi, gam, sp.Rational(1, 4)), S14, real(dl), V(c, -1, 1), V(nx, 0, 1), nonneg(r))),
        Step("hazan.aggregate", "[9], err >= eps",
             "2 [4 gamma Q - (1/4) D_m ||x|| r] >= 8 gamma eps - eps/(2 kappa)  (Q = err >= eps, |D| <= 1, r <= eps/kappa)",
             2 * (4 * gam * Q - Dm * nx * r / 4), 8 * gam * eps - eps / (2 * kap), ">=",
             (EPS, KAP, G_, V(Q, eps, sp.oo, num_hi=eps + 3), V(Dm, 0, 1), V(nx, 0, 1), V(r, 0, eps / kap)),
             scope="aggregate"),
        Step("hazan.final", "[9], kappa = e^W",
             "8 gamma eps - eps/(2 kappa) = (3/2) eps e^-W > 0 with gamma = e^-W/4 = E/4, kappa = e^W = 1/E",
             8 * (E / 4) * eps - eps / (2 * (1 / E)), 0, ">", (EPS, EE)),
        Step("hazan.kappa_needed", "statement", "e^W >= the smallest kappa of the chain, 1/(16 gamma) = e^W/4",
             KAPPA, 1 / (16 * (sp.exp(-W) / 4)), ">=", (V(W, 0, sp.oo, lo_open=True, num_hi=5),), kind="constant"),
    ]


CLAIM = Claim(
    "hazan", "Result of [9]: sigmoid GLM is (eps, e^||w*||, w*)-SLQC", "3.2 (proof in [9])",
    "idealized GLM, sigmoid: err(w) is (eps, e^{||w*||}, w*)-SLQC for all w in B(0, ||w*||), eps > 0",
    build, kappa=KAPPA,
    reading="reconstruction of [9]'s argument with W = ||w*||",
)
