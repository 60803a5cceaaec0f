"""Theorem 2 at the proof's own sample size (issue 15): sizes, power, intervals, cost; the CPU slow tier at m = 1e6.

References: scipy's binomial and beta distributions (independent of the module's own
log-space sums), the proof's formula m >= 288 b^4 W^4 log(1/delta) / (a^2 eps^2) evaluated
directly, and the probe's own point counter.
"""

from __future__ import annotations

import json
import math
import os
import resource
import time

import pytest
import torch
from scipy import stats

import slqc
from slqc import jsonio
from slqc.claims import noisy_glm as N
from slqc.claims.noisy_glm import (CPU_SLOW_PROBE, Theorem2, alternative, clopper_pearson, critical_count,
                                   estimate_seconds, power_draws, probe_units, proof_m_settings)


@pytest.mark.parametrize("g, p1", [(0.9, 0.5), (0.5, 0.25), (0.966, 0.5), (0.99, 0.5), (0.75, 0.4)])
def test_power_draws_is_the_smallest_n_with_power(g, p1):
    r = power_draws(g, p1)
    n, k = r["draws"], r["critical"]
    assert stats.binom.cdf(k, n, g) <= N.ALPHA < stats.binom.cdf(k + 1, n, g)  # largest critical count of level alpha
    assert r["power"] == pytest.approx(stats.binom.cdf(k, n, p1), rel=1e-9) and r["power"] >= 0.8
    for m in range(1, n):  # no smaller n has a level-alpha test with power 0.8 at p1
        crit = [j for j in range(m + 1) if stats.binom.cdf(j, m, g) <= N.ALPHA]
        assert not crit or stats.binom.cdf(max(crit), m, p1) < 0.8


def test_power_draws_for_guarantee_09_is_8_and_rejects_a_null_alternative():
    assert power_draws(0.9, 0.5)["draws"] == 8  # the issue guessed "about 10"
    assert critical_count(8, 0.9) == 5
    with pytest.raises(ValueError, match="below the guarantee"):
        power_draws(0.5, 0.5)
    assert alternative(0.9) == 0.5 and alternative(0.5) == 0.25


@pytest.mark.parametrize("k, n", [(0, 5), (3, 8), (8, 8), (17, 23), (1, 1)])
def test_clopper_pearson_matches_the_beta_quantiles(k, n):
    lo, hi = clopper_pearson(k, n)
    ref_lo = 0.0 if k == 0 else stats.beta.ppf(0.025, k, n - k + 1)
    ref_hi = 1.0 if k == n else stats.beta.ppf(0.975, k + 1, n - k)
    assert lo == pytest.approx(ref_lo, abs=1e-9) and hi == pytest.approx(ref_hi, abs=1e-9)
    assert lo <= k / n <= hi


def test_thorough_grid_has_the_proof_m_settings():
    st = [s for s in Theorem2().settings("thorough") if s.get("proof_m")]
    assert {s["guarantee_target"] for s in st} >= {0.5, 0.9}
    assert len({(s["a"], s["eps"], s["W"]) for s in st}) >= 2 and any(s["W"] > 1 for s in st)
    assert any(s.get("noise_dist") == "rademacher" for s in st)
    for s in st:
        (m,) = s["ms"]
        bound = 288 * s["b"] ** 4 * s["W"] ** 4 * math.log(1 / (1 - s["guarantee_target"])) / (s["a"] ** 2 * s["eps"] ** 2)
        assert m >= bound * (1 - 1e-5) and m - 1 < bound * (1 + 1e-5)  # the proof's m, rounded up
        assert 1 - N.delta_of_m(s, m) >= s["guarantee_target"] - 1e-6
        assert s["draws"] == power_draws(1 - N.delta_of_m(s, m), s["alternative"])["draws"]
        assert (1 - (1 - N.delta_of_m(s, m))) ** s["draws"] <= N.ALPHA  # not vacuous: an outcome can reject
    eps001 = [s for s in st if s["eps"] == 1e-2 and s["guarantee_target"] == 0.9]
    assert eps001 and eps001[0]["ms"] == [26525781]  # 2.65e7, as the issue computed
    assert not any(s.get("proof_m") for s in Theorem2().settings("standard"))
    assert {s.get("noise_dist") for s in Theorem2().settings("standard")} >= {"rademacher", "skewed"}


def test_estimate_is_linear_in_m_and_draws_and_bounds_the_probe():
    s = dict(N.NOISY_BASE, ms=[1000], draws=2, probe_budget=CPU_SLOW_PROBE)
    e1 = estimate_seconds([s], rate=1e9)
    e2 = estimate_seconds([dict(s, ms=[4000], draws=6)], rate=1e9)
    assert e2["seconds"] == pytest.approx(12 * e1["seconds"])
    assert e1["seconds"] == pytest.approx(2 * probe_units({**slqc.search.BUDGETS["quick"], **CPU_SLOW_PROBE})
                                          * 2 * 1000 * s["d"] / 1e9)
    # the unit count is an upper bound on the points a probe evaluates (a value-only point costs 1/2 unit)
    pb = Theorem2().build(dict(s, m=500, seed=0))
    res = slqc.probe(pb.f, pb.z, 1e-2, pb.radius, budget=CPU_SLOW_PROBE)
    assert 0.5 * res.points_evaluated <= probe_units({**slqc.search.BUDGETS["quick"], **CPU_SLOW_PROBE})


def test_evaluate_reports_p_hat_with_its_interval():
    from slqc.check import Checker

    s = proof_m_settings(N.PROOF_M_TRIPLES[1:], (0.9,), probe_budget=dict(CPU_SLOW_PROBE, steps=2))[0]
    s = dict(s, ms=[2000], draws=3)
    checker = Checker("quick")
    checker.in_draws = True
    (rec,) = Theorem2().evaluate(s, checker)
    lo, hi = rec["p_slqc_ci95"]
    assert lo <= rec["p_slqc"] <= hi and rec["draws"] == 3 and rec["slqc_draws"] == round(3 * rec["p_slqc"])
    assert rec["guarantee"] == pytest.approx(1 - N.delta_of_m(s, 2000))
    assert rec["verdict"] in ("holds", "violated", "vacuous", "inconclusive")


@pytest.mark.slow
def test_cpu_slow_tier_at_m_1e6(tmp_path):
    """The proof-m code path on CPU at m = 1e6 with a reduced search budget (run once; figures in the report)."""
    from slqc.check import Checker

    settings = proof_m_settings(m=10**6, probe_budget=CPU_SLOW_PROBE)
    assert settings and all(s["ms"] == [10**6] for s in settings)
    est = estimate_seconds(settings, "cpu")
    checker = Checker("thorough", device="cpu", witness_dir=str(tmp_path))
    checker.in_draws = True
    t0 = time.perf_counter()
    recs = [r for s in settings for r in Theorem2().evaluate(s, checker)]
    wall = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    out = {"records": recs, "estimate": est, "wall_seconds": wall, "peak_rss_gb": peak_gb,
           "threads": torch.get_num_threads()}
    path = os.environ.get("SLQC_THM2_SLOW_JSON")
    if path:
        jsonio.write(path, out)
    print(json.dumps(jsonio.encode({k: out[k] for k in ("estimate", "wall_seconds", "peak_rss_gb")})))
    for r in recs:
        assert r["verdict"] in ("holds", "violated"), r["note"]  # decided: hypotheses hold and the test has power
        assert r["p_slqc_ci95"][0] <= r["p_slqc"] <= r["p_slqc_ci95"][1]
    assert peak_gb < 2.0
