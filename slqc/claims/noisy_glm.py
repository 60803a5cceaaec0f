"""Theorem 2: the noisy GLM is SLQC with high probability (section 3.2.1; proof in section 5.3).

Statement: in the noisy GLM with generalized ReLU, ||w*|| <= W, labels
y_i = phi(<w*, x_i>) + xi_i with zero-mean, independent, bounded noise (|xi_i| <= 1),
with probability >= 1 - delta once m >= O(log(1/delta) / eps^2), err_hat(w) is
(eps, 2 b^3 W / a, w*)-SLQC in w on B(0, W). The proof's explicit sample size is

    m >= 288 b^4 W^4 log(1/delta) / (a^2 eps^2),

equivalently: at m samples the proof guarantees P(SLQC) >= 1 - delta(m) with
delta(m) = exp(-m a^2 eps^2 / (288 b^4 W^4)).

The check measures P(SLQC) over independent data draws (inputs and noise) as a function
of m, each draw probed with the claimed kappa, and sets it beside 1 - delta(m): it is
``violated`` when an exact one-sided binomial test rejects P >= 1 - delta(m) at level
:data:`ALPHA`, ``vacuous`` when no outcome of the draws could reject it ((1 - g)^R > ALPHA
for the guarantee g), ``holds`` otherwise. The reference point is w* (as stated), which
is not the empirical minimizer once there is noise.

Shapes: X (m, d), y (m,), w (d,).
"""

from __future__ import annotations

import math
import time
from typing import Any, Mapping

import sympy

from ._build import glm_problem
from .base import SYMBOLS, Claim, Problem, check_budget, grid

a, b, W, eps = SYMBOLS["a"], SYMBOLS["b"], SYMBOLS["W"], SYMBOLS["eps"]
delta = sympy.Symbol("delta", positive=True)

#: Level of the one-sided binomial test.
ALPHA = 0.05

NOISY_BASE = {"activation": "generalized_relu", "a": 0.5, "b": 1.0, "W": 1.0, "wstar": 1.0, "d": 8, "k": 1,
              "distribution": "ball", "seed": 0, "noise": 0.5, "eps": 1e-2}


def delta_of_m(setting: Mapping[str, Any], m: int) -> float:
    """delta(m) = exp(-m a^2 eps^2 / (288 b^4 W^4)): the proof's failure probability at m samples."""
    return math.exp(-m * setting["a"] ** 2 * setting["eps"] ** 2 / (288 * setting["b"] ** 4 * setting["W"] ** 4))


def m_bound(setting: Mapping[str, Any], dlt: float) -> float:
    """The proof's sample size 288 b^4 W^4 log(1/delta) / (a^2 eps^2) (section 5.3, last line)."""
    return 288 * setting["b"] ** 4 * setting["W"] ** 4 * math.log(1 / dlt) / (setting["a"] ** 2 * setting["eps"] ** 2)


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


class Theorem2(Claim):
    """Theorem 2 (section 3.2.1; proof section 5.3): kappa = 2 b^3 W / a with probability >= 1 - delta."""

    name = "thm2"
    theorem = "Theorem 2"
    section = "3.2.1"
    proof_section = "5.3"
    kind = "probability"
    statement = ("Noisy GLM, generalized ReLU, ||w*|| <= W: with probability >= 1 - delta after "
                 "m >= 288 b^4 W^4 log(1/delta) / (a^2 eps^2) samples, err_hat(w) is (eps, 2 b^3 W / a, w*)-SLQC "
                 "in w on B(0, W).")
    hypotheses = ("||x_i|| <= 1", "y_i = phi(<w*, x_i>) + xi_i, xi_i iid zero-mean, |xi_i| <= 1", "||w*|| <= W",
                  "0 < a <= b")
    readings = {"reference=w*": "reference point w* (the teacher), as stated; noise uniform on [-noise, noise]"}

    def kappa(self, setting: Mapping[str, Any]) -> float:
        return 2 * setting["b"] ** 3 * setting["W"] / setting["a"]

    def kappa_expr(self) -> sympy.Expr:
        return 2 * b**3 * W / a

    def m_bound_expr(self) -> sympy.Expr:
        """The proof's sample size as a sympy expression."""
        return 288 * b**4 * W**4 * sympy.log(1 / delta) / (a**2 * eps**2)

    def settings(self, budget: str = "quick") -> list[dict]:
        check_budget(budget)
        if budget == "quick":
            return [dict(NOISY_BASE, ms=[4, 256], draws=2)]
        draws = 6 if budget == "standard" else 32
        ms = [4, 64, 1024] if budget == "standard" else [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096]
        base = dict(NOISY_BASE, ms=ms, draws=draws)
        axes = {"noise": [1.0], "a": [0.1], "distribution": ["nonneg", "digits"],
                # the regime where the proof's bound is informative at feasible m: eps near the largest
                # possible gap 4 b^2 W^2 (d = 2, inputs on the sphere), so 288 b^4 W^4 / (a eps)^2 is small
                "small_bound": [{"d": 2, "distribution": "sphere", "eps": 1.0, "ms": [256, 1024, 4096]}]}
        if budget == "thorough":
            axes["eps"] = [1e-3, 1e-4]
            axes["W"] = [4.0]
        return grid(base, **axes)

    def build(self, setting: Mapping[str, Any], device: Any = None) -> Problem:
        """One data draw at ``setting["m"]`` samples (seed = the draw's seed)."""
        return glm_problem(setting, device=device)

    def evaluate(self, setting: Mapping[str, Any], checker: Any) -> list[dict]:
        """One record per m: P(SLQC) over ``draws`` data draws beside 1 - delta(m)."""
        kappa_c = self.kappa(setting)
        e = float(setting["eps"])
        records = []
        for m in setting["ms"]:
            t0 = time.perf_counter()
            R = int(setting["draws"])
            ok, kmax, points, failing, hyp_bad, max_gap = 0, 0.0, 0, None, [], -math.inf
            for r in range(R):
                s = dict(setting, m=int(m), seed=int(setting["seed"]) * 1000 + r)
                s.pop("ms"), s.pop("draws")
                pb = self.build(s, device=checker.device)
                hyp_bad += [k for k, (good, _) in pb.hypotheses.items() if not good]
                res = checker.probe(pb, e, kappa_stop=kappa_c)
                points += res.points_evaluated
                max_gap = max(max_gap, res.max_gap)
                kmax = max(kmax, res.kappa)
                if res.violation or res.exceeded:
                    if failing is None:
                        failing = (s, pb, res)
                else:
                    ok += 1
            dl = delta_of_m(setting, int(m))
            g = 1 - dl  # the guarantee P(SLQC) >= g
            p_hat = ok / R
            p_value = binom_cdf(ok, R, g)
            rec_setting = {k: v for k, v in setting.items() if k not in ("ms",)}
            rec_setting["m"] = int(m)
            extra = {"p_slqc": p_hat, "draws": R, "guarantee": g, "delta_m": dl, "p_value": p_value,
                     "m_bound_delta_0.1": m_bound(setting, 0.1), "max_gap": max_gap}
            witness = None
            if hyp_bad:
                verdict, note = "inconclusive", f"hypotheses fail on generated data: {sorted(set(hyp_bad))}"
            elif (1 - g) ** R > ALPHA:
                verdict = "vacuous"
                note = (f"P(SLQC)={p_hat:.2f} over {R} draws; the proof only guarantees P >= {g:.2g} at m={m} "
                        f"(needs m >= {m_bound(setting, 0.1):.3g} for P >= 0.9)")
            elif p_value < ALPHA:
                verdict = "violated"
                s, pb, res = failing
                witness = checker.save_witness(self, s, pb, res.witness, e, kappa_c, tag=f"m{m}")
                confirmed = checker.confirm(witness)
                note = (f"P(SLQC)={p_hat:.2f} < guarantee {g:.3g} (binomial p={p_value:.2g}); "
                        f"witness {'confirmed' if confirmed else 'NOT confirmed'} by numpy")
                if not confirmed:
                    verdict = "inconclusive"
            else:
                verdict = "holds"
                note = f"P(SLQC)={p_hat:.2f} >= guarantee {g:.3g} (binomial p={p_value:.2g})"
            records.append(checker.record(self, rec_setting, kappa_claimed=kappa_c, kappa_empirical=kmax,
                                          verdict=verdict, witness=witness, points=points,
                                          seconds=time.perf_counter() - t0, note=note, extra=extra))
        return records
