"""Seed statistics and the DANTE-vs-SGD verdict (experiments.stats)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments.stats import claim_word, collapsed, compare, curve_mean_std, fmt, mean_std, verdict

RTOL = 1e-12


def test_mean_std_matches_numpy_sample_std():
    vals = [0.1, 0.4, 0.25, 0.3]
    ms = mean_std(vals)
    assert ms["mean"] == pytest.approx(np.mean(vals), rel=RTOL)
    assert ms["std"] == pytest.approx(np.std(vals, ddof=1), rel=RTOL)
    assert ms["n"] == 4 and ms["n_nonfinite"] == 0


def test_mean_std_single_and_nonfinite():
    assert mean_std([2.0]) == {"mean": 2.0, "std": 0.0, "n": 1, "n_nonfinite": 0, "ci95": None}
    ms = mean_std([1.0, math.nan, None, 3.0])
    assert ms["mean"] == 2.0 and ms["n"] == 2 and ms["n_nonfinite"] == 2
    assert mean_std([math.nan])["mean"] is None
    assert "diverged" in fmt(mean_std([math.nan]))


def test_compare_directions():
    hi = {"mean": 0.9, "std": 0.001, "n": 3}
    lo = {"mean": 0.8, "std": 0.001, "n": 3}
    assert compare(hi, lo, higher_is_better=True) == "A"
    assert compare(hi, lo, higher_is_better=False) == "B"
    noisy = {"mean": 0.85, "std": 0.2, "n": 3}
    assert compare(hi, noisy, True) == "tie"
    assert compare(None, lo, True) == "B"


def test_curve_mean_std_aligns_and_truncates():
    h1 = [{"weights_updated": 0, "test_loss": 1.0}, {"weights_updated": 10, "test_loss": 0.5},
          {"weights_updated": 20, "test_loss": 0.25}]
    h2 = [{"weights_updated": 0, "test_loss": 3.0}, {"weights_updated": 10, "test_loss": 0.5}]
    cur = curve_mean_std([h1, h2], "weights_updated", "test_loss")
    assert cur["x"] == [0.0, 10.0]
    assert cur["mean"] == [2.0, 0.5]
    assert cur["std"][0] == pytest.approx(np.std([1.0, 3.0], ddof=1), rel=RTOL)
    assert curve_mean_std([h1], "weights_updated", "test_acc") == {"x": [], "mean": [], "std": []}


# Student-t quantiles t_{0.975, n-1} from a printed table (independent of scipy).
T_TABLE = {2: 12.7062, 3: 4.3027, 5: 2.7764, 10: 2.2622}


@pytest.mark.parametrize("n", sorted(T_TABLE))
def test_ci95_is_the_student_t_interval(n):
    vals = [0.1 * i ** 2 for i in range(n)]
    ms = mean_std(vals)
    expected = T_TABLE[n] * np.std(vals, ddof=1) / math.sqrt(n)
    assert ms["ci95"] == pytest.approx(expected, rel=2e-4)
    assert fmt(ms).endswith(f"{ms['ci95']:.2g}")
    assert mean_std([1.0])["ci95"] is None


def _acc(m, s=0.001, n=5):
    return {"test_acc": {"mean": m, "std": s, "n": n}, "test_loss": {"mean": 1 - m, "std": s, "n": n}}


def test_collapsed_baseline_is_not_a_dante_win():
    assert collapsed(_acc(0.0965), 10) and collapsed(_acc(0.1499), 10) and not collapsed(_acc(0.1501), 10)
    assert not collapsed(_acc(0.0965), None)  # regression: no chance level
    assert verdict(_acc(0.95), _acc(0.0965), "test_acc", True, 10) == "failed baseline"
    assert verdict(_acc(0.0965), _acc(0.95), "test_acc", True, 10) == "DANTE failed"
    assert verdict(_acc(0.10), _acc(0.10), "test_acc", True, 10) == "both failed"
    assert verdict(_acc(0.95), _acc(0.90), "test_acc", True, 10) == "DANTE"
    assert verdict(_acc(0.90), _acc(0.95), "test_loss", False, 10, "Adam") == "Adam"
    assert claim_word("failed baseline").startswith("no valid comparison")
    assert [claim_word(w) for w in ("DANTE", "SGD", "tie")] == ["holds", "does not hold", "not distinguishable"]
