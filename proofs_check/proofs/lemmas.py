"""Lemmas the proofs of section 5 lean on, each proved or refuted on its own.

* ``lemma_lipschitz_monotone``: a monotone ``L``-Lipschitz ``phi`` gives
  ``(phi(u) - phi(v))(u - v) >= (phi(u) - phi(v))^2 / L`` (Steps 2/4 of sections 5.1-5.5, 5.7).
* ``lemma_grelu_subgradient``: Definition 3 (section 3.2.1): ``g`` lies in ``[a, b]``, is a
  subgradient, ``phi(u) = g(u) u``, the secant slopes lie in ``[a, b]``.
* ``lemma_sigmoid_lipschitz``: the sigmoid is ``1/4``-Lipschitz (section 5.9, Step 4) and its
  slope on ``[-W, W]`` is at least ``e^{-W}/4`` (the ``kappa = e^W`` of [9], section 3.2).
* ``lemma_softmax_lipschitz``: ``(phi(z) - phi(z'))(z - z') >= 2 (phi(z) - phi(z'))^2`` for the
  softmax (section 5.10, Step 3), in the summed (vector) form and the coordinatewise form.
* ``lemma_log_bound``: ``-log p >= eps`` implies ``(1 - p)^2 >= (1 - e^{-eps})^2`` (sections 5.9-5.10).
* ``lemma_hoeffding_thm2``: the range of ``xi_i lambda_i(w)``, the sample size
  ``288 b^4 W^4 log(1/delta) / (a^2 eps^2)`` and the direction of the deviation (section 5.3).
"""

from __future__ import annotations

import math

import sympy as sp

from ..claim import Claim
from ..core import Step, V
from ..symbols import A, B, EPS, WW, a, b, dl, eps, real, s

u, v = sp.symbols("u v", real=True)
Lc = sp.Symbol("L", positive=True)
P = sp.Symbol("P", real=True)
Z = sp.Symbol("Z", real=True)
Eb = sp.Symbol("E", real=True)
pp = sp.Symbol("p", real=True)
delta_p = sp.Symbol("delta_prob", positive=True)


def grelu(x: sp.Expr) -> sp.Expr:
    """Generalized ReLU of Definition 3: ``a x`` for ``x <= 0``, ``b x`` for ``x > 0``."""
    return sp.Piecewise((a * x, x <= 0), (b * x, True))


def grelu_g(x: sp.Expr) -> sp.Expr:
    """Its subgradient ``g``: ``a`` for ``x < 0``, ``b`` for ``x >= 0`` (section 3.2.1)."""
    return sp.Piecewise((a, x < 0), (b, True))


def sigmoid(x: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-x))


# -- lemma_lipschitz_monotone -------------------------------------------------------------


def lipschitz_monotone_steps() -> list[Step]:
    """Secant form, the generalized ReLU directly, the sigmoid numerically."""
    uv = (A, B, real(u), real(v))
    return [
        Step("lemma_lipschitz_monotone.secant", "used in Steps 2/4 (5.1)",
             "phi monotone L-Lipschitz: (phi(u)-phi(v))(u-v) >= (phi(u)-phi(v))^2/L; "
             "phi(u)-phi(v) = s (u-v) with secant slope s in [0, L]",
             (s * dl) * dl, (s * dl) ** 2 / Lc, ">=",
             (V(Lc, 0, sp.oo, lo_open=True, num_hi=3), V(s, 0, Lc), real(dl)),
             comment="difference is s (L - s) delta^2 / L"),
        Step("lemma_lipschitz_monotone.grelu", "Definition 3 instance",
             "generalized ReLU with L = b, all sign cases of u, v",
             (grelu(u) - grelu(v)) * (u - v), (grelu(u) - grelu(v)) ** 2 / b, ">=", uv),
        Step("lemma_lipschitz_monotone.sigmoid", "Section 5.9 Step 4 instance",
             "sigmoid with L = 1/4: (s(u)-s(v))(u-v) >= 4 (s(u)-s(v))^2",
             (sigmoid(u) - sigmoid(v)) * (u - v), 4 * (sigmoid(u) - sigmoid(v)) ** 2, ">=",
             (real(u, 8), real(v, 8))),
    ]


# -- lemma_grelu_subgradient --------------------------------------------------------------


def grelu_subgradient_steps() -> list[Step]:
    """Definition 3: g in [a, b], a valid subgradient, phi = g u, secant slopes in [a, b]."""
    uv = (A, B, real(u), real(v))
    U = (A, B, real(u))
    return [
        Step("lemma_grelu_subgradient.lower", "Definition 3", "g(u) >= a", grelu_g(u), a, ">=", U),
        Step("lemma_grelu_subgradient.upper", "Definition 3", "g(u) <= b", grelu_g(u), b, "<=", U),
        Step("lemma_grelu_subgradient.homogeneous", "Section 5.7 (trace form)",
             "phi(u) = g(u) u", grelu(u), grelu_g(u) * u, "==", U),
        Step("lemma_grelu_subgradient.derivative", "Definition 3",
             "phi'(u) = g(u) for u > 0", sp.diff(grelu(u), u), grelu_g(u), "==",
             (A, B, V(u, 0, sp.oo, lo_open=True, num_hi=3))),
        Step("lemma_grelu_subgradient.derivative_neg", "Definition 3",
             "phi'(u) = g(u) for u < 0 (phi is not differentiable at 0, where g(0) = b is a subgradient)",
             sp.diff(grelu(u), u), grelu_g(u), "==", (A, B, V(u, -sp.oo, 0, hi_open=True, num_lo=-3))),
        Step("lemma_grelu_subgradient.subgradient", "Definition 3",
             "phi(v) >= phi(u) + g(u)(v - u) (g is a subgradient; needs a <= b)",
             grelu(v), grelu(u) + grelu_g(u) * (v - u), ">=", uv),
        Step("lemma_grelu_subgradient.secant_lower", "Section 5.1 Step 3",
             "(phi(u)-phi(v))(u-v) >= a (u-v)^2", (grelu(u) - grelu(v)) * (u - v), a * (u - v) ** 2, ">=", uv),
        Step("lemma_grelu_subgradient.secant_upper", "Section 5.1 Steps 2/4",
             "(phi(u)-phi(v))(u-v) <= b (u-v)^2", (grelu(u) - grelu(v)) * (u - v), b * (u - v) ** 2, "<=", uv),
        Step("lemma_grelu_subgradient.growth", "Section 5.7",
             "|phi(u)| <= b |u|", sp.Abs(grelu(u)), b * sp.Abs(u), "<=", U),
    ]


# -- lemma_sigmoid_lipschitz --------------------------------------------------------------


def sigmoid_steps() -> list[Step]:
    """Slope identity, slope <= 1/4, secant co-coercivity, slope >= e^{-W}/4 on [-W, W]."""
    return [
        Step("lemma_sigmoid_lipschitz.derivative", "Section 5.9", "sigma'(z) = sigma(z)(1 - sigma(z))",
             sp.diff(sigmoid(u), u), sigmoid(u) * (1 - sigmoid(u)), "==", (real(u, 8),)),
        Step("lemma_sigmoid_lipschitz.quarter", "Section 5.9 Step 4",
             "sigma(1 - sigma) <= 1/4 (P = sigma(z) in (0, 1))",
             P * (1 - P), sp.Rational(1, 4), "<=", (V(P, 0, 1, lo_open=True, hi_open=True),),
             comment="1/4 - P(1-P) = (P - 1/2)^2"),
        Step("lemma_sigmoid_lipschitz.cocoercive", "Section 5.9 Step 4",
             "(sigma(u)-sigma(v))(u-v) >= 4 (sigma(u)-sigma(v))^2 with secant slope s in (0, 1/4]",
             (s * dl) * dl, 4 * (s * dl) ** 2, ">=",
             (V(s, 0, sp.Rational(1, 4), lo_open=True), real(dl))),
        Step("lemma_sigmoid_lipschitz.min_slope", "Section 3.2 ([9], kappa = e^W)",
             "sigma'(z) = Z/(1+Z)^2 >= e^{-W}/4 for |z| <= W, Z = e^{-|z|} in [E, 1], E = e^{-W}",
             Z / (1 + Z) ** 2, Eb / 4, ">=",
             (V(Eb, 0, 1, lo_open=True, hi_open=True), V(Z, Eb, 1))),
    ]


# -- lemma_softmax_lipschitz --------------------------------------------------------------


def _softmax(zs: list[sp.Expr]) -> list[sp.Expr]:
    den = sum(sp.exp(q) for q in zs)
    return [sp.exp(q) / den for q in zs]


def softmax_steps() -> list[Step]:
    """d'=2 reduction to the sigmoid, d'=3 numerically, the coordinatewise reading."""
    z1, z2, z3, y1, y2, y3 = sp.symbols("z_1 z_2 z_3 zs_1 zs_2 zs_3", real=True)
    p2, q2 = _softmax([z1, z2]), _softmax([y1, y2])
    inner2 = sum((p2[j] - q2[j]) * ([z1, z2][j] - [y1, y2][j]) for j in range(2))
    red2 = (sigmoid(z1 - z2) - sigmoid(y1 - y2)) * ((z1 - z2) - (y1 - y2))
    sq2 = sum((p2[j] - q2[j]) ** 2 for j in range(2))
    p3, q3 = _softmax([z1, z2, z3]), _softmax([y1, y2, y3])
    zs3, ys3 = [z1, z2, z3], [y1, y2, y3]
    inner3 = sum((p3[j] - q3[j]) * (zs3[j] - ys3[j]) for j in range(3))
    sq3 = sum((p3[j] - q3[j]) ** 2 for j in range(3))
    box3 = tuple(real(q, 4) for q in zs3 + ys3)
    box2 = tuple(real(q, 6) for q in (z1, z2, y1, y2))
    p1_, p2_, v1, v2, v3 = sp.symbols("p_1 p_2 v_1 v_2 v_3", real=True)
    p3_ = 1 - p1_ - p2_
    quad = (p1_ * v1**2 + p2_ * v2**2 + p3_ * v3**2) - (p1_ * v1 + p2_ * v2 + p3_ * v3) ** 2
    return [
        Step("lemma_softmax_lipschitz.reduce2_inner", "Section 5.10 Step 3 (d' = 2)",
             "sum_j (phi_j(z)-phi_j(z'))(z_j-z'_j) = (sigma(s)-sigma(s'))(s-s'), s = z_1 - z_2",
             inner2, red2, "==", box2),
        Step("lemma_softmax_lipschitz.reduce2_square", "Section 5.10 Step 3 (d' = 2)",
             "sum_j (phi_j(z)-phi_j(z'))^2 = 2 (sigma(s)-sigma(s'))^2",
             sq2, 2 * (sigmoid(z1 - z2) - sigmoid(y1 - y2)) ** 2, "==", box2),
        Step("lemma_softmax_lipschitz.summed2", "Section 5.10 Step 3 (d' = 2)",
             "(sigma(s)-sigma(s'))(s-s') >= 2 * 2 (sigma(s)-sigma(s'))^2 (sigmoid secant slope in (0, 1/4])",
             (s * dl) * dl, 2 * 2 * (s * dl) ** 2, ">=", (V(s, 0, sp.Rational(1, 4), lo_open=True), real(dl))),
        Step("lemma_softmax_lipschitz.summed3", "Section 5.10 Step 3 (d' = 3)",
             "<phi(z)-phi(z'), z-z'> >= 2 ||phi(z)-phi(z')||^2 (summed over j)",
             inner3, 2 * sq3, ">=", box3,
             comment="co-coercivity of the gradient of log-sum-exp, whose Hessian has norm <= 1/2"),
        Step("lemma_softmax_lipschitz.hessian3", "Section 5.10 Step 3 (d' = 3)",
             "v^T (diag(p) - p p^T) v <= ||v||^2 / 2 on the simplex (softmax is 1/2-Lipschitz)",
             quad, (v1**2 + v2**2 + v3**2) / 2, "<=",
             (V(p1_, 0, 1), V(p2_, 0, 1 - p1_), real(v1, 1), real(v2, 1), real(v3, 1))),
        Step("lemma_softmax_lipschitz.coordinatewise", "Section 5.10 Step 3 (text's justification)",
             "coordinatewise reading: (phi_1(z)-phi_1(z'))(z_1-z'_1) >= 2 (phi_1(z)-phi_1(z'))^2",
             (p3[0] - q3[0]) * (z1 - y1), 2 * (p3[0] - q3[0]) ** 2, ">=", box3,
             kind="reading",
             comment="phi_1 depends on every logit, so a single coordinate need not be monotone; "
                     "Step 3 sums over j, where the summed form above is what is needed"),
    ]


# -- lemma_log_bound -----------------------------------------------------------------------


def log_bound_steps() -> list[Step]:
    """-log p >= eps  =>  (1 - p)^2 >= (1 - e^{-eps})^2."""
    return [
        Step("lemma_log_bound.exp_form", "Sections 5.9-5.10",
             "p <= E = e^{-eps} (E in (0, 1))  =>  (1 - p)^2 >= (1 - E)^2",
             (1 - pp) ** 2, (1 - Eb) ** 2, ">=",
             (V(Eb, 0, 1, lo_open=True, hi_open=True), V(pp, 0, Eb, lo_open=True))),
        Step("lemma_log_bound.log_form", "Sections 5.9-5.10",
             "-log p >= eps  =>  (1 - p)^2 >= (1 - e^{-eps})^2",
             (1 - pp) ** 2, (1 - sp.exp(-eps)) ** 2, ">=",
             (V(pp, 0, 1, lo_open=True, hi_open=True), EPS), given=(sp.Ge(-sp.log(pp), eps),)),
    ]


# -- lemma_hoeffding_thm2 ------------------------------------------------------------------


def hoeffding_instance() -> dict[str, object]:
    """Exact probability of the event the proof of Theorem 2 needs, on a concrete instance.

    Instance (section 5.3 notation): d = 1, a = b = 1 (phi = identity), W = 1, eps = 1,
    delta = 1/4, x_i = 1, <w*, x> = 1/2, w = -1, noise xi_i = +-1/2 with probability 1/2
    (so y_i = 1/2 + xi_i in [0, 1]). Then delta_i = -3/2, D_i = -3/2, g = a = 1 and the text's
    lambda_i = 2 g delta_i - 4 a b^-1 D_i = 3, so (1/m) sum xi_i lambda_i = 3 mean(xi).
    The proof needs (1/m) sum xi_i lambda_i >= a b^-1 W^-1 eps = 1, i.e. K >= 5m/6 for
    K ~ Binomial(m, 1/2), at the text's m = ceil(288 b^4 W^4 log(1/delta) / (a^2 eps^2)).
    """
    m_req = math.ceil(288 * math.log(4))
    k0 = math.ceil(sp.Rational(5, 6) * m_req)
    prob = sp.Rational(sum(math.comb(m_req, k) for k in range(k0, m_req + 1)), 2**m_req)
    return {"m": m_req, "k0": k0, "probability": prob, "delta": sp.Rational(1, 4)}


def hoeffding_steps() -> list[Step]:
    """Range of xi lambda, the sample size, and the direction of the deviation."""
    D_ = s * dl
    lam_abs_text_mid = 2 * b * (sp.Abs(dl) + 4 * a / b * sp.Abs(D_))
    gg = sp.Symbol("g", real=True)
    lam = 2 * gg * dl - 4 * a / b * D_
    inst = hoeffding_instance()
    R = 24 * b * WW.sym
    tdev = a * eps / (b * WW.sym)
    m_text = 288 * b**4 * WW.sym**4 * sp.log(1 / delta_p) / (a**2 * eps**2)
    box = (A, B, WW, V(s, a, b), V(gg, a, b), V(dl, -2 * WW.sym, 2 * WW.sym), V(sp.Symbol("xi", real=True), -1, 1))
    xi_ = sp.Symbol("xi", real=True)
    return [
        Step("lemma_hoeffding_thm2.range_first", "after Step 8 (5.3)",
             "|xi_i lambda_i| <= 2b(|delta| + 4ab^-1 |D|)",
             sp.Abs(xi_ * lam), lam_abs_text_mid, "<=", box,
             comment="lambda = delta (2g - 4as/b) with s, g in [a, b], so |lambda| <= 2b|delta|"),
        Step("lemma_hoeffding_thm2.range_middle", "after Step 8 (5.3)",
             "2b(|delta| + 4ab^-1 |D|) <= 2b(3|delta|)",
             lam_abs_text_mid, 2 * b * 3 * sp.Abs(dl), "<=", box,
             comment="needs 4a|D|/b <= 2|delta| with |D| <= b|delta|, i.e. a <= 1/2"),
        Step("lemma_hoeffding_thm2.range_final", "after Step 8 (5.3)",
             "|xi_i lambda_i| <= (2b + 4a)|delta| <= 12 b W (the text's final range)",
             sp.Abs(xi_ * lam), 12 * b * WW.sym, "<=", box, kind="correction",
             comment="the end point 12bW of the text holds although the middle step does not"),
        Step("lemma_hoeffding_thm2.sample_size", "end of 5.3",
             "Hoeffding, range R = 24bW, deviation t = ab^-1W^-1 eps: m = R^2 log(1/delta)/(2 t^2)",
             R**2 * sp.log(1 / delta_p) / (2 * tdev**2), m_text, "==", (A, B, WW, EPS, V(delta_p, 0, 1, lo_open=True, hi_open=True)),
             comment="the text's 288 b^4 W^4 log(1/delta)/(a^2 eps^2) is Hoeffding's sample size "
                     "for a two-sided deviation t"),
        Step("lemma_hoeffding_thm2.direction", "end of 5.3",
             "proof needs P[(1/m) sum xi_i lambda_i >= +ab^-1W^-1 eps] >= 1 - delta; Hoeffding gives "
             f"the event >= -t. Exact instance (a=b=W=eps=1, delta=1/4, m={inst['m']}, "
             f"xi=+-1/2, lambda=3): P = P[Bin(m,1/2) >= {inst['k0']}]",
             sp.Float(inst["probability"], 30), 1 - inst["delta"], ">=", (), scope="instance",
             comment="a zero-mean average exceeds a positive threshold with small probability; "
                     "see hoeffding_instance() for the instance"),
    ]


CLAIMS = [
    Claim("lemma_lipschitz_monotone", "Lemma: monotone Lipschitz co-coercivity", "used in 5.1-5.7",
          "phi monotone, L-Lipschitz => (phi(u)-phi(v))(u-v) >= (phi(u)-phi(v))^2/L",
          lipschitz_monotone_steps, lemma=True),
    Claim("lemma_grelu_subgradient", "Lemma: generalized ReLU subgradient (Definition 3)", "3.2.1",
          "g(u) in [a, b] is a subgradient of the generalized ReLU; phi(u) = g(u) u",
          grelu_subgradient_steps, lemma=True),
    Claim("lemma_sigmoid_lipschitz", "Lemma: sigmoid is 1/4-Lipschitz", "5.9 (and [9] in 3.2)",
          "sigma' = sigma(1-sigma) in (e^{-W}/4, 1/4] on [-W, W]", sigmoid_steps, lemma=True),
    Claim("lemma_softmax_lipschitz", "Lemma: softmax is 1/2-Lipschitz", "5.10",
          "(phi(z)-phi(z'))(z-z') >= 2 (phi(z)-phi(z'))^2", softmax_steps, lemma=True),
    Claim("lemma_log_bound", "Lemma: -log p >= eps => (1-p)^2 >= (1-e^{-eps})^2", "5.9-5.10",
          "-log p >= eps implies (1 - p)^2 >= (1 - e^{-eps})^2", log_bound_steps, lemma=True),
    Claim("lemma_hoeffding_thm2", "Lemma: the Hoeffding step of Theorem 2", "5.3",
          "with m >= 288 b^4 W^4 log(1/delta)/(a^2 eps^2), (1/m) sum xi_i lambda_i(w) >= ab^-1W^-1 eps "
          "with probability >= 1 - delta", hoeffding_steps, lemma=True,
          correction_text="the text's end point |xi lambda| <= 12bW holds"),
]


