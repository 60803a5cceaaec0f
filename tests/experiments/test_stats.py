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


# --- per-seed collapse flags (issue 13) ---------------------------------------------------------

def _runs(accs, losses=None):
    losses = losses or [1.0 - a for a in accs]
    return [{"seed": i, "final": {"test_acc": a, "test_loss": l}, "seconds": 1.0}
            for i, (a, l) in enumerate(zip(accs, losses))]


def test_seed_collapsed_flags_chance_and_nonfinite_runs_only():
    from experiments.stats import seed_collapsed

    assert seed_collapsed({"test_acc": 0.0965}, 10) and seed_collapsed({"test_acc": 0.1499}, 10)
    assert not seed_collapsed({"test_acc": 0.1501}, 10)
    assert seed_collapsed({"test_acc": float("nan")}, 10) and seed_collapsed({"test_acc": None}, 10)
    assert seed_collapsed({"test_acc": 0.54}, 2) and not seed_collapsed({"test_acc": 0.56}, 2)  # chance 1/2
    assert not seed_collapsed({"test_loss": 9.0}, 10)  # autoencoder / regression: no accuracy
    assert not seed_collapsed({"test_acc": 0.05}, None)


def test_summary_flags_each_collapsed_seed_and_keeps_the_learned_statistics():
    from experiments.stats import summarize_runs

    accs = [0.97, 0.96, 0.102, 0.98, 0.0965]
    s = summarize_runs(_runs(accs), 10)
    assert s["collapsed_seeds"] == [2, 4]
    assert s["test_acc"]["mean"] == pytest.approx(np.mean(accs))  # the reported column: every seed
    kept = [0.97, 0.96, 0.98]
    assert s["learned"]["test_acc"]["mean"] == pytest.approx(np.mean(kept))
    assert s["learned"]["test_acc"]["std"] == pytest.approx(np.std(kept, ddof=1))
    assert "learned" not in summarize_runs(_runs([0.9, 0.91]), 10)


def test_a_collapsed_baseline_seed_is_never_a_dante_win():
    from experiments.stats import seed_note, summarize_runs

    dante = summarize_runs(_runs([0.950, 0.951, 0.949, 0.950, 0.952]), 10)
    # SGD learned better on 4 seeds and collapsed on one: over all seeds its mean (0.796) is far below
    # DANTE's and the old mean-based rule called DANTE the winner; per seed, SGD wins.
    sgd = summarize_runs(_runs([0.970, 0.971, 0.10, 0.969, 0.970]), 10)
    assert compare(dante["test_acc"], sgd["test_acc"], True) == "tie"  # all seeds: the spread hides it
    assert verdict(dante, sgd, "test_acc", True, 10) == "SGD"
    # equal learners: the collapsed seed must not turn a tie into a DANTE win either
    sgd_same = summarize_runs(_runs([0.950, 0.951, 0.10, 0.949, 0.951]), 10)
    assert verdict(dante, sgd_same, "test_acc", True, 10) == "tie"
    assert seed_note(sgd, "SGD") == "SGD: seed 2 of 5 collapsed to chance (not counted)"
    # fewer than 2 seeds that learned: the baseline failed as a whole (no confidence interval)
    sgd_bad = summarize_runs(_runs([0.10, 0.97, 0.10, 0.0965, 0.11]), 10)
    assert collapsed(sgd_bad, 10) and verdict(dante, sgd_bad, "test_acc", True, 10) == "failed baseline"
    assert verdict(sgd_bad, dante, "test_acc", True, 10) == "DANTE failed"
    # the same rule on losses: a diverged seed's huge loss is left out
    d = summarize_runs(_runs([0.95] * 5, [0.10, 0.11, 0.10, 0.11, 0.10]), 10)
    b = summarize_runs(_runs([0.96, 0.96, 0.10, 0.96, 0.96], [0.05, 0.05, 8299.0, 0.06, 0.05]), 10)
    assert verdict(d, b, "test_loss", False, 10, "baseline") == "baseline"


def test_annotate_adds_the_flags_to_an_older_row():
    from experiments.stats import annotate, summarize_runs

    runs = _runs([0.97, 0.10, 0.96])
    row = {"n_classes": 10, "runs": runs, "summary": {"test_acc": {"mean": 0.68, "std": 0.5, "n": 3}}}
    annotate(row)
    fresh = summarize_runs(runs, 10)
    assert row["summary"]["collapsed_seeds"] == [1] and row["summary"]["learned"] == fresh["learned"]
    assert annotate({"runs": runs, "summary": {}})["summary"] == {}  # regression row: untouched
