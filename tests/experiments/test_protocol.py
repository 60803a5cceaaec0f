"""Protocol pieces: T from the pass budget, grids, subsets, validation view, run_setting with a
stand-in trainer (no dante training), headline sentences."""

from __future__ import annotations

import types

import numpy as np

import pytest

from experiments import figure_protocol, protocol, sizes


@pytest.mark.parametrize("n_layers,epochs,T", [(2, 20, 5), (3, 20, 3), (4, 20, 2), (6, 20, 1), (2, 2, 1), (2, 100, 5)])
def test_sngd_epochs_for_allows_two_rounds(n_layers, epochs, T):
    got = sizes.sngd_epochs_for(n_layers, epochs)
    assert got == T
    assert got == 1 or 2 * got * n_layers <= epochs  # two full round-robin rounds fit the budget


def test_lr_grids():
    assert protocol.lr_grid("sgd", "full") == [{"lr": v} for v in protocol.LR_GRIDS["sgd"]]
    assert len(protocol.lr_grid("sgd", "quick")) == 2
    assert protocol.lr_grid("sgd", "full", "sigmoid", "mse")[0]["lr"] == protocol.LR_GRID_OVERRIDES[("sgd", "sigmoid", "mse")][0]
    dm = protocol.lr_grid("dante+momentum", "full")
    assert {c["momentum"] for c in dm} == set(protocol.MOMENTUM_GRIDS["dante+momentum"])


def test_subset_and_validation_view_never_touch_test():
    ds = protocol.load("digits")
    sub = protocol.subset(ds, 100, 50, seed=0)
    assert len(sub.X_train) == 100 and len(sub.X_test) == 50
    val = protocol.validation_view(sub)
    assert len(val.X_train) + len(val.X_test) == 100
    # every validation row is a training row of the subset (exact match)
    eq = (val.X_test[:, None, :] == sub.X_train[None, :, :]).all(dim=2)
    assert bool(eq.any(dim=1).all())


def test_load_errors_are_usage_errors():
    with pytest.raises(protocol.UsageError, match="unknown dataset"):
        protocol.load("nosuchset")
    with pytest.raises(protocol.UsageError):
        protocol.load("mnist", data_dir="/nonexistent")


def _fake_train(cfg, best=0.1):
    """Stand-in for dante.train: validation loss (lr - best)^2 on the validation view, seed-dependent
    test numbers otherwise."""
    is_val = str(getattr(cfg.data, "name", "")).endswith("[val]")
    loss = (cfg.lr - best) ** 2 if is_val else 0.1 + 0.01 * cfg.seed
    hist = [{"step": 0, "weights_updated": 0, "epoch": 0.0, "wall_time": 0.0, "train_loss": 1.0,
             "test_loss": 1.0, "test_acc": 0.1},
            {"step": 10, "weights_updated": 100, "epoch": 1.0, "wall_time": 0.1, "train_loss": loss,
             "test_loss": loss, "test_acc": 0.9}]
    return types.SimpleNamespace(history=hist, final={"train_loss": loss, "test_loss": loss, "test_acc": 0.9},
                                 status="completed", instruments=[], config=cfg)


def test_run_setting_picks_argmin_and_runs_every_seed():
    ds = protocol.subset(protocol.load("digits"), 100, 50)
    grid = [{"lr": 0.01}, {"lr": 0.1}, {"lr": 1.0}]
    res = protocol.run_setting(ds, "dante", {"arch": "64-8-10", "epochs": 4}, grid, [0, 1, 2], train_fn=_fake_train)
    assert res["pick"] == {"lr": 0.1}
    assert [g["picked"] for g in res["grid"]] == [False, True, False]
    assert [r["seed"] for r in res["runs"]] == [0, 1, 2]
    assert res["summary"]["test_loss"]["mean"] == pytest.approx(0.11)
    assert res["summary"]["test_loss"]["std"] == pytest.approx(0.01)
    assert res["config"]["sngd_epochs"] == 1  # 4 passes, 2 layers: T=1 gives two rounds
    assert res["interior"] is True and res["select_seeds"] == [0]


def test_run_setting_selects_on_the_seed_mean_and_extends():
    ds = protocol.subset(protocol.load("digits"), 100, 50)
    seen = []

    def train(cfg):
        is_val = str(getattr(cfg.data, "name", "")).endswith("[val]")
        if is_val:
            seen.append((cfg.lr, cfg.seed))
            # seed 0 alone prefers lr 0.3; the mean over seeds 0 and 1 prefers lr 1, the edge of the grid
            loss = {0: {0.1: 0.5, 0.3: 0.1, 1.0: 0.2, 3.0: 0.3}, 1: {0.1: 0.9, 0.3: 0.9, 1.0: 0.2, 3.0: 0.15}}
            res = _fake_train(cfg)
            res.final["test_loss"] = loss[cfg.seed][cfg.lr] if cfg.lr in loss[cfg.seed] else 9.0
            return res
        return _fake_train(cfg)

    grid = [{"lr": 0.1}, {"lr": 0.3}, {"lr": 1.0}]
    res = protocol.run_setting(ds, "sgd", {"arch": "64-8-10", "epochs": 4}, grid, range(5), train_fn=train,
                               select_seeds=[0, 1], max_extend=2)
    assert res["pick"] == {"lr": 1.0} and res["interior"] is True  # lr 3 (added) brackets it
    assert sorted({lr for lr, _ in seen}) == [0.1, 0.3, 1.0, 3.0]
    assert all(sum(1 for x in seen if x[0] == lr) == 2 for lr in (0.1, 0.3, 1.0, 3.0))  # both seeds
    means = {r["lr"]: r["val_metric"] for r in res["grid"]}
    assert means[1.0] == pytest.approx(0.2) and means[3.0] == pytest.approx(0.225)
    assert len(res["runs"]) == 5 and res["summary"]["test_loss"]["ci95"] is not None


def _summ(acc, loss):
    return {"test_acc": {"mean": acc, "std": 0.001, "n": 3}, "test_loss": {"mean": loss, "std": 0.001, "n": 3}}


def _row(arch, method, acc, loss, train_losses=None):
    runs = []
    if train_losses is not None:
        runs = [{"history": [{"epoch": float(e), "weights_updated": 10 * e, "train_loss": v, "test_acc": acc}
                             for e, v in enumerate(train_losses)]}]
    return {"dataset": "digits", "activation": "sigmoid", "loss": "mse", "arch": arch, "method": method,
            "n_classes": 10, "summary": _summ(acc, loss), "runs": runs}


def test_curve_headlines_count_wins_and_flag_failed_baselines():
    results = [_row("a", "dante", 0.9, 0.1), _row("a", "sgd", 0.95, 0.05),
               _row("b", "dante", 0.97, 0.1), _row("b", "sgd", 0.95, 0.05),
               _row("c", "dante", 0.96, 0.1), _row("c", "sgd", 0.0965, 0.9)]  # SGD at chance: failed
    (line,) = figure_protocol.headlines({"results": results})
    assert "higher test accuracy in 1 of 3 networks, SGD in 1, 0 within" in line
    assert "failed baseline, not counted as a DANTE win) in 1" in line
    assert "+0.00 points" not in line and "-5.00" in line and "+2.00" in line  # c (+86 points) left out
    (row, ) = figure_protocol.verdicts({"results": results}, "claim")
    assert row[2] == "no difference at equal passes; 1 failed baseline(s) not counted"
    assert "DANTE in 1, SGD in 1, tie in 0 of 2 networks" in row[1]


def test_faster_at_equal_sweeps():
    results = [_row("a", "dante", 0.9, 0.1, [1.0, 0.5, 0.3, 0.2]), _row("a", "sgd", 0.9, 0.1, [1.0, 0.6, 0.4, 0.3]),
               _row("b", "dante", 0.9, 0.1, [1.0, 0.5, 0.35, 0.2]), _row("b", "sgd", 0.9, 0.1, [1.0, 0.6, 0.3, 0.25])]
    f = figure_protocol.faster_at_equal_sweeps(results[0], results[1])
    assert f == {"points": 3, "dante_lower": 3, "always": True, "final_lower": True}
    f = figure_protocol.faster_at_equal_sweeps(results[2], results[3])
    assert f == {"points": 3, "dante_lower": 2, "always": False, "final_lower": True}
    rows = figure_protocol.verdicts({"results": results}, "claim")
    assert rows[1][0].startswith('"DANTE always minimizes the loss faster')
    assert "every logged pass in 1 of 2 networks (at the last pass in 2)" in rows[1][1]
    assert rows[1][2] == "not reproduced at equal sweeps"


def test_run_setting_flags_each_collapsed_seed():
    ds = protocol.subset(protocol.load("digits"), 100, 50)

    def train(cfg):
        res = _fake_train(cfg)
        if cfg.seed == 3 and not str(cfg.data.name).endswith("[val]"):
            res.final.update(test_acc=0.098, test_loss=float("nan"))  # a diverged seed
        return res

    res = protocol.run_setting(ds, "sgd", {"arch": "64-8-10", "epochs": 4}, [{"lr": 0.1}], range(5), train_fn=train)
    assert [r["collapsed"] for r in res["runs"]] == [False, False, False, True, False]
    assert res["summary"]["collapsed_seeds"] == [3]
    assert res["summary"]["learned"]["test_loss"]["mean"] == pytest.approx(np.mean([0.10, 0.11, 0.12, 0.14]))


def test_curve_headlines_report_collapsed_seeds_apart():
    from experiments.stats import summarize_runs

    def row(arch, method, accs):
        runs = [{"seed": i, "final": {"test_acc": a, "test_loss": 1 - a}, "seconds": 1.0} for i, a in enumerate(accs)]
        return {"dataset": "digits", "activation": "sigmoid", "loss": "mse", "arch": arch, "method": method,
                "n_classes": 10, "summary": summarize_runs(runs, 10), "runs": runs}

    results = [row("a", "dante", [0.950, 0.951, 0.949, 0.950, 0.952]), row("a", "sgd", [0.970, 0.971, 0.10, 0.969, 0.970])]
    (line,) = figure_protocol.headlines({"results": results})
    assert "DANTE had the higher test accuracy in 0 of 1 networks, SGD in 1" in line
    assert "a SGD: seed 2 of 5 collapsed to chance (not counted)" in line
    assert "-1.96 points" in line  # over the seeds that learned: 95.04 - 97.00
    row_acc = figure_protocol.verdicts({"results": results}, "claim")[0]
    assert row_acc[2] == "SGD better at equal passes" and "collapsed seeds left out" in row_acc[1]


def test_paper_output_is_the_hidden_activation_under_the_squared_loss():
    from dante.config import TrainConfig
    from experiments.protocol import paper_output
    from experiments.theory_vs_practice import PAPER_OUTPUT

    assert PAPER_OUTPUT is paper_output  # one rule, shared
    for act in ("leaky_relu", "sigmoid"):
        cfg = TrainConfig(activation=act, loss="mse", task="classify", **paper_output(act, "mse"))
        assert cfg.output_activation_name() == act
        assert TrainConfig(activation=act, loss="mse", task="classify").output_activation_name() == "identity"
        ce = TrainConfig(activation=act, loss="cross_entropy", task="classify", **paper_output(act, "cross_entropy"))
        assert ce.output_activation_name() == "identity"  # logits
