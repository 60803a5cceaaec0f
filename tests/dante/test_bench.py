"""The speed benchmark runs at toy size and its summary numbers follow from its raw timings."""

from __future__ import annotations

import json
import statistics

import pytest

from dante.bench import TARGET_RATIO, main


def test_bench_toy(tmp_path):
    out = tmp_path / "b.json"
    png = tmp_path / "b.png"
    assert main(["--json", str(out), "--png", str(png), "--data", "digits", "--arch", "64-16-10", "--epochs", "3",
                 "--sngd-epochs", "1", "--dante-lr", "0.05", "--interleave", "2"]) == 0
    r = json.loads(out.read_text())
    sgd = statistics.fmean(r["sgd"]["epoch_seconds"])
    layers = r["dante"]["pass_seconds_by_layer"]
    assert len(r["sgd"]["epoch_seconds"]) == 3 and len(layers["layer2"]) == 2 and len(layers["layer1"]) == 1
    dante = (statistics.fmean(layers["layer1"]) + statistics.fmean(layers["layer2"])) / 2
    assert r["ratio"] == pytest.approx(dante / sgd, rel=1e-12)
    assert r["meets_target"] == (r["ratio"] <= TARGET_RATIO)
    # wall time = sum of the pass times (evaluation excluded)
    assert r["sgd"]["history"][-1]["wall_time"] == pytest.approx(sum(r["sgd"]["epoch_seconds"]), rel=1e-9)
    for name in ("sgd", "dante"):
        t = r["time_to_accuracy"][name]
        first = next(h for h in r[name]["history"] if h["test_acc"] >= r["common_accuracy"])
        assert t == first["wall_time"]
    for row in r["interleaved"]["repeats"]:
        per = row["dante_pass_seconds"]
        assert row["ratio"] == pytest.approx((per["layer1"] + per["layer2"]) / 2 / row["sgd_epoch_seconds"], rel=1e-12)
        # --sngd-epochs 1: amortizing the cache over T = 1 pass changes nothing
        assert row["ratio_amortized"] == pytest.approx(row["ratio"], rel=1e-12)
        assert all(0 < row["dante_cache_seconds"][k] <= per[k] for k in per)
    assert r["interleaved"]["median_ratio"] == pytest.approx(statistics.median(x["ratio"] for x in r["interleaved"]["repeats"]))
    assert png.read_bytes()[:4] == b"\x89PNG"
