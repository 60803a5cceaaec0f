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

At the proof's own sample size (the ``thorough`` budget, meant for ``--device cuda``), the
settings of :func:`proof_m_settings` put m at the proof's m for the guarantees 0.5 and 0.9,
for two (a, eps, W) triples (one with W > 1), with the number of draws that gives the test
power >= 0.8 (:func:`power_draws`; against a true P(SLQC) of 0.5, or of g / 2 when the
guarantee g is below 0.6: against g = 0.5, a true 0.5 is the null itself and no test has power). Each record carries P-hat with
its Clopper-Pearson interval beside 1 - delta(m). :func:`estimate_seconds` predicts the
running time of a list of settings on a device from a measured engine throughput.

Noise readings (``noise_dist``, :data:`slqc.generators.NOISE_DISTRIBUTIONS`) at the edge
|xi| <= 1 of the hypothesis: uniform on [-1, 1], Rademacher +-1 (the largest variance the
bound allows, and the case where Hoeffding's lemma, used in the proof's last step, is tight
to second order) and a skewed two-point law.

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

#: data draws searched together (instance batching) when a draw has at most this many samples x outputs
_DRAW_BATCH = 8
_DRAW_BATCH_MAX_SAMPLES = 2**14

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


def _cdf_list(n: int, p: float) -> list[float]:
    """[P(X <= k) for k = 0..n], X ~ Binomial(n, p), from the pmf in log space (no big integers)."""
    if p <= 0 or p >= 1:
        return [1.0 if (p <= 0 or k == n) else 0.0 for k in range(n + 1)]
    lp, lq = math.log(p), math.log1p(-p)
    lg = math.lgamma(n + 1)
    acc, out = 0.0, []
    for k in range(n + 1):
        acc += math.exp(lg - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * lp + (n - k) * lq)
        out.append(min(acc, 1.0))
    return out


def critical_count(n: int, g: float, alpha: float = ALPHA) -> int:
    """Largest k with P(Binomial(n, g) <= k) <= alpha: the test rejects P >= g when at most k draws are SLQC.

    Returns -1 when no outcome of n draws can reject (the record is then ``vacuous``).
    """
    k = -1
    for c in _cdf_list(n, g):
        if c > alpha:
            break
        k += 1
    return k


def power_draws(g: float, p1: float, alpha: float = ALPHA, power: float = 0.8, max_draws: int = 2000) -> dict:
    """Smallest number of draws for which the exact one-sided binomial test of H0: P >= g at level alpha
    has power >= ``power`` against the alternative P = p1 < g.

    Returns:
        dict with ``draws``, ``critical`` (reject when #SLQC <= critical), ``power`` (exact),
        ``size`` (exact level P(reject | P = g)), ``g``, ``p1``.

    Raises:
        ValueError: p1 >= g (no test of level alpha < power has that power), or no n <= max_draws works.
    """
    if not 0 <= p1 < g <= 1:
        raise ValueError(f"the alternative must lie below the guarantee: need 0 <= p1 < g <= 1, got p1={p1}, g={g}")
    for n in range(1, max_draws + 1):
        k = critical_count(n, g, alpha)
        if k >= 0:
            pw = _cdf_list(n, p1)[k]
            if pw >= power:
                return {"draws": n, "critical": k, "power": pw, "size": _cdf_list(n, g)[k], "g": g, "p1": p1}
    raise ValueError(f"no number of draws <= {max_draws} reaches power {power} (guarantee {g:.3g}, alternative {p1:.3g})")


def alternative(g: float) -> float:
    """The alternative the draws are sized against: a true P(SLQC) of 0.5 where the guarantee g is >= 0.6,
    else g / 2 (against a guarantee of 0.5, a true 0.5 is the null hypothesis itself: no test has power)."""
    return 0.5 if g >= 0.6 else g / 2


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) two-sided interval for a binomial proportion, by bisection on the CDF."""
    if not 0 <= k <= n or n < 1:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    t = (1 - level) / 2

    def solve(fn) -> float:  # fn increasing in p on [0, 1]
        lo, hi = 0.0, 1.0
        for _ in range(200):
            mid = (lo + hi) / 2
            if fn(mid) < 0:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    lower = 0.0 if k == 0 else solve(lambda p: (1 - binom_cdf(k - 1, n, p)) - t)  # P(X >= k | p) = t
    upper = 1.0 if k == n else solve(lambda p: t - binom_cdf(k, n, p))  # P(X <= k | p) = t
    return lower, upper


#: (a, eps, W) triples checked at the proof's own sample size; the second has W > 1.
PROOF_M_TRIPLES = ({"a": 0.5, "eps": 1e-2, "W": 1.0}, {"a": 0.5, "eps": 0.25, "W": 2.0})
#: guarantees 1 - delta at which m is set to the proof's m
PROOF_M_GUARANTEES = (0.5, 0.9)
#: search budget of each draw at the proof's m (the draws, not the search, carry the statistics)
PROOF_M_PROBE = "quick"
#: reduced search budget of the CPU slow tier at m = 1e6
CPU_SLOW_PROBE = {"samples": 256, "rays": 32, "grid": 12, "bisect": 24, "starts": 8, "steps": 10}


def proof_m_settings(triples=PROOF_M_TRIPLES, guarantees=PROOF_M_GUARANTEES, m: int | None = None,
                     probe_budget: Any = PROOF_M_PROBE, noise_dist: str = "uniform", noise: float = 1.0,
                     min_guarantee: float = 0.25) -> list[dict]:
    """Settings at the proof's m = ceil(288 b^4 W^4 log(1/delta) / (a^2 eps^2)) for each guarantee 1 - delta.

    Args:
        triples: dicts of a, eps, W (b, d, ... from :data:`NOISY_BASE`).
        guarantees: the guarantees g = 1 - delta.
        m: override the sample size (the CPU slow tier: m = 1e6); the draws are then sized for
            the guarantee 1 - delta(m) at that m, and settings where it is below ``min_guarantee``
            are dropped.
        probe_budget: search budget of each draw (a name or a dict, see :func:`slqc.search.probe`).
        noise_dist, noise: the noise reading (default: uniform on [-1, 1], the edge of |xi| <= 1).

    Returns:
        One setting per (triple, guarantee), each with ``ms`` = [m], ``draws`` from
        :func:`power_draws` and the fields ``guarantee_target``, ``alternative``, ``power``.
    """
    out = []
    for tr in triples:
        base = dict(NOISY_BASE, noise=noise, **tr)
        if noise_dist != "uniform":
            base["noise_dist"] = noise_dist
        for g in ([None] if m is not None else guarantees):
            mm = int(m) if m is not None else int(math.ceil(m_bound(base, 1 - g)))
            gg = 1 - delta_of_m(base, mm)
            if gg < min_guarantee:  # an alternative below a tiny guarantee needs thousands of draws
                continue
            pw = power_draws(gg, alternative(gg))
            out.append(dict(base, ms=[mm], draws=pw["draws"], probe_budget=probe_budget, proof_m=m is None,
                            guarantee_target=round(gg, 6), alternative=pw["p1"], power=round(pw["power"], 6)))
    return out


def probe_units(cfg: Mapping[str, int]) -> float:
    """Upper bound on the work of one probe, in units of one closed-form value-and-gradient of one point.

    Counted from :mod:`slqc.search` (values alone cost 1/2, the ascent's value + Hessian-vector
    product 2): sampling, rays (grid, bisection, the crossings), ascent starts (retraction of
    4 x starts rays), ascent steps (retraction with 32 value passes, and the double backward).
    No early stop is assumed.
    """
    return (cfg["samples"] + cfg["rays"] * (0.5 * cfg["grid"] + 0.5 * cfg["bisect"] + 5)
            + 4 * cfg["starts"] * 0.5 * (cfg["bisect"] + 2) + 2 * cfg["starts"]
            + cfg["steps"] * cfg["starts"] * (0.5 * 32 + 2))


_RATE_CACHE: dict = {}


def engine_rate(device: Any = None, d: int = 8, m: int = 2**17, points: int = 512) -> float:
    """Measured multiply-adds per second of the engine's value_and_grad on ``device`` (cached).

    One evaluation of P points on m samples in dimension d costs 2 P m d multiply-adds.
    """
    import torch

    from ..generators import make_glm

    dev = torch.device("cpu" if device is None else device)
    key = (str(dev), d, m, points)
    if key not in _RATE_CACHE:
        obj = make_glm(d, m, 1.0, "generalized_relu", a=0.5, b=1.0, seed=0, device=dev).objective
        W = torch.randn(points, d, dtype=torch.float64, generator=torch.Generator().manual_seed(0)).to(dev)
        sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
        obj.value_and_grad(W)
        sync()
        reps, t0 = 0, time.perf_counter()
        while reps < 3 or time.perf_counter() - t0 < 0.3:
            obj.value_and_grad(W)
            reps += 1
        sync()
        _RATE_CACHE[key] = 2.0 * points * m * d * reps / (time.perf_counter() - t0)
    return _RATE_CACHE[key]


def estimate_seconds(settings: list[Mapping[str, Any]], device: Any = None, draw_budget: Any = "standard",
                     rate: float | None = None) -> dict:
    """Predicted running time of Theorem 2 settings on ``device`` (print it before a long run).

    seconds = sum over settings, m, draws of probe_units(budget) x 2 m d / rate, where rate is
    the engine's measured multiply-adds per second (:func:`engine_rate`, about a second to
    measure) and budget is the setting's ``probe_budget`` or ``draw_budget``. An upper bound
    on the search (no early stop), data generation not counted.

    Args:
        settings: settings of :meth:`Theorem2.settings` (or :func:`proof_m_settings`).
        device: where the check will run.
        draw_budget: search budget of the draws without their own ``probe_budget``.
        rate: multiply-adds per second, instead of measuring it.

    Returns:
        dict with ``seconds`` (total), ``rate`` and ``per_setting`` (seconds of each setting).
    """
    from ..search import BUDGETS

    if rate is None:
        rate = engine_rate(device, d=int(settings[0]["d"]) if settings else 8)
    per = []
    for s in settings:
        b = s.get("probe_budget", draw_budget)
        cfg = {**BUDGETS["quick"], **b} if isinstance(b, Mapping) else BUDGETS[b]
        units = probe_units(cfg)
        per.append(sum(int(s["draws"]) * units * 2.0 * int(m) * int(s["d"]) * int(s.get("k", 1)) / rate
                       for m in s["ms"]))
    return {"seconds": float(sum(per)), "rate": rate, "per_setting": per, "device": str(device or "cpu")}


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
    readings = {"reference=w*": "reference point w* (the teacher), as stated; noise uniform on [-noise, noise] "
                                "unless noise_dist says rademacher (+-noise) or skewed (two-point, zero mean)"}

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
        # the noise at the edge of |xi| <= 1: Rademacher +-1 (worst for Hoeffding), skewed two-point
        axes["noise_dist"] = [{"noise": 1.0, "noise_dist": "rademacher"}, {"noise": 1.0, "noise_dist": "skewed"}]
        if budget == "thorough":
            axes["eps"] = [1e-3, 1e-4]
            axes["W"] = [4.0]
            return grid(base, **axes) + proof_m_settings() + proof_m_settings(
                PROOF_M_TRIPLES[1:], (0.9,), noise_dist="rademacher")
        return grid(base, **axes)

    def build(self, setting: Mapping[str, Any], device: Any = None) -> Problem:
        """One data draw at ``setting["m"]`` samples (seed = the draw's seed)."""
        return glm_problem(setting, device=device)

    def evaluate(self, setting: Mapping[str, Any], checker: Any) -> list[dict]:
        """One record per m: P(SLQC) over ``draws`` data draws beside 1 - delta(m).

        The draws of every m with at most ``_DRAW_BATCH_MAX_SAMPLES`` samples x outputs are
        searched together (instance batching, ``checker.probe_many``): up to ``_DRAW_BATCH`` draws of
        each such m per batched search, the sample sizes side by side; larger draws one at a time
        (memory). The results are those of one draw at a time, up to float rounding (tested).

        Raises:
            ValueError: a sample size given twice in ``ms``, or no draw.
        """
        kappa_c = self.kappa(setting)
        e = float(setting["eps"])
        R = int(setting["draws"])
        ms = [int(m) for m in setting["ms"]]
        if len(set(ms)) != len(ms):
            raise ValueError(f"ms: give each sample size once, got {ms}")
        if R < 1:
            raise ValueError(f"draws: give at least one data draw, got {R}")
        # per m: SLQC draws, largest kappa, points, first failing draw, largest gap, seconds, failed hypotheses
        st = {m: {"ok": 0, "kmax": 0.0, "points": 0, "failing": None, "max_gap": -math.inf, "seconds": 0.0,
                  "hyp_bad": []} for m in ms}

        def draw(m: int, r: int) -> tuple[dict, Problem]:
            t0 = time.perf_counter()
            s = dict(setting, m=m, seed=int(setting["seed"]) * 1000 + r)
            for key in ("ms", "draws", "probe_budget", "proof_m", "guarantee_target", "alternative", "power"):
                s.pop(key, None)
            pb = self.build(s, device=checker.device)
            st[m]["hyp_bad"] += [k for k, (good, _) in pb.hypotheses.items() if not good]
            st[m]["seconds"] += time.perf_counter() - t0
            return s, pb

        def tally(m: int, s: dict, pb: Problem, res: Any) -> None:  # in the order of the draws
            d = st[m]
            d["seconds"] += res.seconds  # a batched search: the draw's share
            d["points"] += res.points_evaluated
            d["max_gap"] = max(d["max_gap"], res.max_gap)
            d["kmax"] = max(d["kmax"], res.kappa)
            if res.violation or res.exceeded:
                if d["failing"] is None:
                    d["failing"] = (s, pb, res)
            else:
                d["ok"] += 1

        budget = setting.get("probe_budget")
        many = hasattr(checker, "probe_many")
        small = [m for m in ms if many and m * int(setting.get("k", 1)) <= _DRAW_BATCH_MAX_SAMPLES]
        for r0 in range(0, R, _DRAW_BATCH):  # the small draws, the sample sizes side by side
            batch = [(m, draw(m, r)) for m in small for r in range(r0, min(R, r0 + _DRAW_BATCH))]
            if batch:
                found = checker.probe_many([pb for _, (_, pb) in batch], e, kappa_stop=kappa_c, budget=budget)
                for (m, (s, pb)), res in zip(batch, found):
                    tally(m, s, pb, res)
        for m in ms:
            if m not in small:  # large draws one at a time (memory)
                for r in range(R):
                    s, pb = draw(m, r)
                    tally(m, s, pb, checker.probe(pb, e, kappa_stop=kappa_c, budget=budget))
        records = []
        for m in ms:
            t0 = time.perf_counter()
            ok, kmax, points, failing, max_gap = (st[m][k] for k in ("ok", "kmax", "points", "failing", "max_gap"))
            dl = delta_of_m(setting, int(m))
            g = 1 - dl  # the guarantee P(SLQC) >= g
            p_hat = ok / R
            p_value = binom_cdf(ok, R, g)
            rec_setting = {k: v for k, v in setting.items() if k not in ("ms",)}
            rec_setting["m"] = int(m)
            lo, hi = clopper_pearson(ok, R)
            extra = {"p_slqc": p_hat, "draws": R, "slqc_draws": ok, "p_slqc_ci95": [lo, hi], "guarantee": g,
                     "delta_m": dl, "p_value": p_value, "m_bound_delta_0.1": m_bound(setting, 0.1),
                     "m_bound_delta_0.5": m_bound(setting, 0.5), "max_gap": max_gap,
                     "power_vs_alternative": binom_cdf(critical_count(R, g), R, alternative(g)) if g > 0 else 0.0,
                     "seconds_per_draw": st[m]["seconds"] / R}
            witness = None
            if st[m]["hyp_bad"]:
                verdict, note = "inconclusive", f"hypotheses fail on generated data: {sorted(set(st[m]['hyp_bad']))}"
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
                note = (f"P(SLQC)={p_hat:.2f} [CP95 {lo:.2f}, {hi:.2f}] >= guarantee {g:.3g} "
                        f"(binomial p={p_value:.2g})")
            records.append(checker.record(self, rec_setting, kappa_claimed=kappa_c, kappa_empirical=kmax,
                                          verdict=verdict, witness=witness, points=points,
                                          seconds=st[m]["seconds"] + time.perf_counter() - t0, note=note, extra=extra))
        return records
