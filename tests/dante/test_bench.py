"""The speed benchmark runs at toy size and its summary numbers follow from its raw timings."""

from __future__ import annotations

import json
import statistics

import pytest

from dante.bench import TARGET_INNER, TARGET_OUTER, TARGET_RATIO, main


def test_bench_toy(tmp_path, capsys):
    out = tmp_path / "b.json"
    png = tmp_path / "b.png"
    assert main(["--json", str(out), "--png", str(png), "--data", "digits", "--arch", "64-16-10", "--epochs", "3",
                 "--sngd-epochs", "1", "--dante-lr", "0.05", "--interleave", "2", "--levels", "0.5,0.99"]) == 0
    printed = capsys.readouterr().out
    r = json.loads(out.read_text())
    assert "timed:" in printed and "instruments not timed" in r["timed"]
    sgd = statistics.fmean(r["sgd"]["epoch_seconds"])
    layers = r["dante"]["pass_seconds_by_layer"]
    assert len(r["sgd"]["epoch_seconds"]) == 3 and len(layers["layer2"]) == 2 and len(layers["layer1"]) == 1
    dante = (statistics.fmean(layers["layer1"]) + statistics.fmean(layers["layer2"])) / 2
    assert r["ratio"] == pytest.approx(dante / sgd, rel=1e-12)
    assert r["meets_target"] == (r["ratio"] <= TARGET_RATIO)
    # wall time = sum of the pass times (evaluation excluded)
    assert r["sgd"]["history"][-1]["wall_time"] == pytest.approx(sum(r["sgd"]["epoch_seconds"]), rel=1e-9)
    assert r["sgd"]["history"][-1]["cpu_time"] == pytest.approx(sum(r["sgd"]["epoch_cpu_seconds"]), rel=1e-9)
    for name in ("sgd", "dante"):
        t = r["time_to_accuracy"][name]
        first = next(h for h in r[name]["history"] if h["test_acc"] >= r["common_accuracy"])
        assert t == first["wall_time"]
    # the level table: first evaluation at or above each level, "never" (None) for an unreached one
    assert [row["level"] for row in r["levels"]] == [0.5, 0.99]
    for row in r["levels"]:
        for name in ("sgd", "dante"):
            hit = [h for h in r[name]["history"] if h["test_acc"] >= row["level"]]
            assert row[f"{name}_seconds"] == (hit[0]["wall_time"] if hit else None)
            assert row[f"{name}_cpu_seconds"] == (hit[0]["cpu_time"] if hit else None)
            assert row[f"{name}_passes"] == (hit[0]["epoch"] if hit else None)
    it = r["interleaved"]
    for row in it["repeats"]:
        per, cache = row["dante_pass_seconds"], row["dante_cache_seconds"]
        sgd_e = row["sgd_epoch_seconds"]
        assert row["ratio"] == pytest.approx((per["layer1"] + per["layer2"]) / 2 / sgd_e, rel=1e-12)
        # the outer sweep (layer 2) is timed without its one-off feature cache; the inner sweep has none to pay
        assert row["outer_sweep_seconds"] == pytest.approx(per["layer2"] - cache["layer2"], rel=1e-12)
        assert row["outer_ratio"] == pytest.approx(row["outer_sweep_seconds"] / sgd_e, rel=1e-12)
        assert row["outer_ratio_with_cache"] == pytest.approx(per["layer2"] / sgd_e, rel=1e-12)
        assert row["inner_ratio"] == pytest.approx(per["layer1"] / sgd_e, rel=1e-12)
        assert row["inner_ratio_autograd"] == pytest.approx(row["inner_sweep_autograd_seconds"] / sgd_e, rel=1e-12)
        assert 0 < cache["layer2"] <= per["layer2"] and cache["layer1"] < 1e-3
        # the same in CPU seconds; a process cannot spend more CPU than wall time with one torch thread
        per_c, cache_c = row["dante_pass_seconds_cpu"], row["dante_cache_seconds_cpu"]
        assert row["inner_ratio_cpu"] == pytest.approx(per_c["layer1"] / row["sgd_epoch_seconds_cpu"], rel=1e-12)
        assert row["outer_sweep_seconds_cpu"] == pytest.approx(per_c["layer2"] - cache_c["layer2"], rel=1e-12, abs=1e-12)
        for k in per:
            assert 0 <= per_c[k] <= per[k] + 0.02
    for key in ("inner_ratio", "outer_ratio", "sgd_epoch_seconds", "inner_ratio_cpu", "outer_ratio_cpu"):
        vals = [row[key] for row in it["repeats"]]
        assert it[key] == {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}
    assert it["meets_inner"] == (it["inner_ratio"]["median"] <= TARGET_INNER)
    assert it["meets_outer"] == (it["outer_ratio"]["median"] <= TARGET_OUTER)
    assert it["meets_inner_cpu"] == (it["inner_ratio_cpu"]["median"] <= TARGET_INNER)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_bench_micro_says_the_fast_kernels_are_equal(capsys):
    assert main(["--micro"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and all(line.endswith("equal bit for bit: True") for line in lines)


@pytest.mark.parametrize("argv", [["--levels", "0.9,x"], ["--levels", "1.5"], ["--interleave", "-1"], [],
                                  ["--json", "x.json", "--data", "digits", "--arch", "63-10-10"]])
def test_bench_bad_input_is_one_line(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("python -m dante.bench: error:")


def test_instrument_time_is_not_charged_to_a_pass(monkeypatch):
    """What the benchmark says is timed: a slow instrument (0.1 s a measurement) leaves the pass times alone."""
    import time

    from dante import TrainConfig, train
    from dante.instruments import Instrumenter

    real = Instrumenter.on_step

    def slow(self, *args, **kwargs):
        time.sleep(0.1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Instrumenter, "on_step", slow)
    res = train(TrainConfig(data="digits", arch="64-16-10", epochs=2, batch_size=256, instrument=True,
                            instrument_every=1, progress=False))
    slept = 0.1 * res.steps  # one measurement per step: 1.2 s
    assert res.steps == 12
    timed = sum(p["seconds"] for p in res.passes)
    assert timed < 0.25 * slept
    assert res.history[-1]["wall_time"] == pytest.approx(timed, rel=1e-9)
