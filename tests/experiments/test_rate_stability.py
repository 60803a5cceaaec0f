"""experiments.rate_stability: Figure 5's digits network retrained under three numerics, seed by seed."""

from __future__ import annotations

import json

import pytest

from experiments import rate_stability as RS
from experiments.protocol import load, train_once


def test_rows_match_training_each_run_directly(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert RS.main(["--lrs", "0.5,3", "--seeds", "2", "--epochs", "1", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [(r["lr"], r["numerics"]) for r in rows] == [(lr, n) for lr in (0.5, 3.0) for n in RS.NUMERICS]
    ds = load("digits", None, seed=0)
    for r in rows:
        assert len(r["test_acc"]) == 2
        assert r["stalled_seeds"] == [s for s, a in enumerate(r["test_acc"]) if a < RS.STALLED_BELOW]
    # the float64 row at rate 3, seed 1, is one training run with dtype float64 (reference: train it here)
    ref = train_once({**RS.BASE, "dtype": "float64", "epochs": 1, "lr": 3.0, "seed": 1, "data": ds})
    (f64,) = [r for r in rows if r["lr"] == 3.0 and r["numerics"] == "float64"]
    assert f64["test_acc"][1] == pytest.approx(float(ref.final["test_acc"]), abs=0)
    table = capsys.readouterr().out
    assert "| lr | numerics | test accuracy per seed (%) | stalled seeds |" in table
    assert table.count("| 3 | ") == 3


@pytest.mark.parametrize("argv", [["--lrs", "a,b"], ["--seeds", "0"], ["--lrs", "1,-2"]])
def test_bad_input_is_one_line_exit_2(argv, capsys):
    assert RS.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("rate_stability:")
