"""DANTE's phases on the curve figures, and redrawing figures from results.json."""

from __future__ import annotations

import pytest

from experiments import replot
from experiments.plots import dante_phases, layer_sequence
from experiments.report import is_png


def _hist(passes, per_pass):
    """One seed's history: a log per pass; weights updated grow by ``per_pass[layer]`` per pass."""
    return [{"epoch": float(e), "weights_updated": w, "train_loss": 1.0 / (e + 1), "test_acc": 0.5, "test_loss": 1.0}
            for e, w in enumerate(per_pass)]


def test_phases_follow_the_round_robin_schedule():
    assert layer_sequence(2) == [2, 1] and layer_sequence(4) == [1, 2, 3, 4]
    cfg = {"method": "dante", "arch": "64-100-10", "sngd_epochs": 2, "epochs": 6}
    # outer layer (1010 weights) for passes 0-2, inner (6500) for 2-4, outer again for 4-6
    w = [0, 1010, 2020, 8520, 15020, 16030, 17040]
    phases = dante_phases(cfg, [_hist(6, w)], "weights_updated")
    assert phases == [(0.0, 2020.0, 2), (2020.0, 15020.0, 1), (15020.0, 17040.0, 2)]
    assert dante_phases(cfg, [_hist(6, w)], "epoch")[1] == (2.0, 4.0, 1)
    assert dante_phases({**cfg, "method": "sgd"}, [_hist(6, w)], "weights_updated") == []
    assert dante_phases({**cfg, "scheme": "greedy"}, [_hist(6, w)], "weights_updated") == []
    deep = {"method": "dante", "arch": "8-4-4-2", "sngd_epochs": 1, "epochs": 4}
    assert [p[2] for p in dante_phases(deep, [_hist(4, [0, 1, 2, 3, 4])], "epoch")] == [1, 2, 3, 1]


def test_replot_redraws_every_curve_figure(tmp_path):
    from slqc import jsonio

    hist = _hist(4, [0, 10, 20, 30, 40])
    run = {"seed": 0, "final": {"test_acc": 0.5}, "history": hist}
    res = [{"dataset": "digits", "activation": "sigmoid", "loss": "mse", "arch": "64-100-10", "method": m,
            "runs": [run], "grid": [{"lr": 0.1, "val_metric": 1.0, "picked": True}],
            "config": {"method": m, "arch": "64-100-10", "sngd_epochs": 1, "epochs": 4}} for m in ("dante", "sgd")]
    out = tmp_path / "fig5_sigmoid"
    jsonio.write(out / "results.json", {"settings": {"seeds": [0]}, "results": res})
    pngs = replot.replot(out)
    assert [p.name for p in pngs] == ["digits_sigmoid_mse_weights_updated.png", "digits_sigmoid_mse_wall_time.png"]
    assert all(is_png(p) for p in pngs)
    from experiments import cli

    assert cli.run(replot.main, [str(tmp_path / "nowhere")]) == 2
