"""RESULTS.md lists what changed against the file it replaces; the full-data cost estimate counts
the protocol's runs."""

from __future__ import annotations

import pytest

from experiments import full_data_cost, make_results


def _doc(rows, heads):
    lines = ["# R", "", "## The paper's claims against our runs (computed; details below)", "",
             "| paper's claim | our evidence | verdict |", "|---|---|---|"]
    lines += [f"| {c} | {e} | {v} |" for c, e, v in rows]
    lines += ["", "## Edge picks", "", "None.", "", "## Headlines (computed from the runs below)", ""]
    for script, items in heads.items():
        lines += [f"**{script}** (standard mode, 5 seeds):"] + [f"- {h}" for h in items] + [""]
    lines += ["## fig2_leaky_relu", "", "- not a headline: x"]
    return "\n".join(lines)


def test_changes_lists_changed_new_and_gone_verdicts_and_headlines():
    old = _doc([("Fig. 5", "digits, sigmoid/mse: DANTE in 1", "DANTE better"), ("Table 2", "digits: 1 of 3", "partly"),
                ("Table 9", "wine: x", "holds")],
               {"fig5": ["digits, sigmoid/mse: DANTE +1.2"], "table2": ["digits: same"]})
    new = _doc([("Fig. 5", "digits, sigmoid/mse: DANTE in 0", "no difference"), ("Table 2", "digits: 1 of 3", "partly"),
                ("Fig. 5", "fashion-mnist, sigmoid/mse: SGD in 1", "SGD better")],
               {"fig5": ["digits, sigmoid/mse: DANTE +0.2", "fashion-mnist, sigmoid/mse: SGD"], "table2": ["digits: same"]})
    out = make_results.changes(old, new)
    assert "- Verdict **changed**: Fig. 5 (digits, sigmoid/mse): *DANTE better* -> *no difference*" in out
    assert "- New claim row: Fig. 5 (fashion-mnist, sigmoid/mse): *SGD better*" in out
    assert "- Claim row gone: Table 9 (wine): was *holds*" in out
    assert "- Verdicts unchanged: 1 of 3 claim rows." in out
    i = out.index("- Headline changed, fig5, digits, sigmoid/mse:")
    assert out[i + 1] == "  - was: digits, sigmoid/mse: DANTE +1.2" and out[i + 2] == "  - now: digits, sigmoid/mse: DANTE +0.2"
    assert "- New headline, fig5, fashion-mnist, sigmoid/mse." in out
    assert "- Headlines unchanged: 1 of 3." in out
    assert make_results.changes(new, new)[-1] == "- Headlines unchanged: 3 of 3."


def test_full_data_estimate_counts_the_protocol_runs():
    # standard sizes: 3-point grids, 2 selection seeds, up to 2 extensions, 5 seeds
    assert full_data_cost.runs_per_setting("sgd", "standard") == (6, 10, 5)
    assert full_data_cost.runs_per_setting("dante+momentum", "standard") == (12, 16, 5)  # 3 rates x 2 momenta
    assert full_data_cost.runs_per_setting("fixed", "standard") == (0, 0, 5)
    unit = {k: 1.0 for k in ("mlp_sgd", "mlp_dante", "mlp_dante_instrumented", "ae_sgd", "ae_dante")}
    est = full_data_cost.estimate({**unit, "svm_fit": 0.0})
    # Figure 2: SGD + DANTE, each (6 validation runs on 80 % + 5 seeds) x 3 passes of 1 s; high: 10 validation runs
    assert est["fig2_leaky_relu"]["seconds"] == [round(2 * (6 * 0.8 + 5) * 3), round(2 * (10 * 0.8 + 5) * 3)]
    assert est["fig2_leaky_relu"]["runs"] == [22, 30]
    # Table 4: an SVM fit after every run
    est = full_data_cost.estimate({**unit, "svm_fit": 2.0})
    assert est["table4_autoencoder"]["seconds"][0] == pytest.approx(round(2 * (6 * (50 * 0.8 + 2) + 5 * (50 + 2))))
    assert all("--device cuda" in e["command"] and "fashion-mnist" in e["command"] for e in est.values())


def test_verify_recomputes_the_collapse_flags():
    from experiments import verify
    from experiments.stats import summarize_runs

    runs = [{"seed": s, "final": {"test_acc": a, "test_loss": 1 - a}, "seconds": 1.0}
            for s, a in enumerate([0.95, 0.10, 0.96])]
    row = {"dataset": "d", "arch": "a", "method": "sgd", "n_classes": 10, "runs": runs,
           "grid": [{"lr": 0.1, "val_metric": None, "picked": True}], "pick": {"lr": 0.1},
           "summary": summarize_runs(runs, 10)}
    assert verify.problems({"results": [row]}) == []
    row["summary"]["collapsed_seeds"] = []  # a flag dropped
    (msg,) = verify.problems({"results": [row]})
    assert "collapsed seeds [] but the accuracies give [1]" in msg
