"""Protocol pieces: T from the pass budget, grids, subsets, validation view, run_setting with a
stand-in trainer (no dante training), headline sentences."""

from __future__ import annotations

import types

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
    rows = {tuple(r.tolist()) for r in val.X_test}
    assert rows <= {tuple(r.tolist()) for r in sub.X_train}


def test_load_errors_are_usage_errors():
    with pytest.raises(protocol.UsageError, match="unknown dataset"):
        protocol.load("nosuchset")
    with pytest.raises(protocol.UsageError):
        protocol.load("mnist", data_dir="/nonexistent")


def _fake_train(cfg):
    """Stand-in for dante.train: validation loss (lr - 0.1)^2 on the validation view, seed-dependent
    test numbers otherwise."""
    is_val = str(getattr(cfg.data, "name", "")).endswith("[val]")
    loss = (cfg.lr - 0.1) ** 2 if is_val else 0.1 + 0.01 * cfg.seed
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


def test_curve_headlines_count_wins():
    def summ(acc, loss):
        return {"test_acc": {"mean": acc, "std": 0.001, "n": 3}, "test_loss": {"mean": loss, "std": 0.001, "n": 3}}
    results = [
        {"dataset": "digits", "activation": "leaky_relu", "loss": "mse", "arch": "a", "method": "dante", "summary": summ(0.9, 0.1)},
        {"dataset": "digits", "activation": "leaky_relu", "loss": "mse", "arch": "a", "method": "sgd", "summary": summ(0.95, 0.05)},
        {"dataset": "digits", "activation": "leaky_relu", "loss": "mse", "arch": "b", "method": "dante", "summary": summ(0.97, 0.1)},
        {"dataset": "digits", "activation": "leaky_relu", "loss": "mse", "arch": "b", "method": "sgd", "summary": summ(0.95, 0.05)},
    ]
    (line,) = figure_protocol.headlines({"results": results})
    assert "higher test accuracy in 1 of 2 networks, SGD in 1" in line
    assert "+0.00 points" not in line and "-5.00" in line and "+2.00" in line
