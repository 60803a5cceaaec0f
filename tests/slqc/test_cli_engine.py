"""`slqc probe` and `slqc bench` end to end at tiny size."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from slqc.cli import main


def test_probe_cli_prints_and_writes_json(tmp_path, capsys):
    out = tmp_path / "p.json"
    rc = main(["probe", "--W", "2", "--a", "0.1", "--eps", "0.01", "--m", "64", "--d", "4", "--json", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "kappa" in text and "evaluated" in text
    d = json.loads(out.read_text())
    assert d["kappa"] != "inf" and 0 < float(d["kappa"]) < math.inf
    assert d["points_evaluated"] > 1000 and len(d["witness"]) == 4
    assert set(d["strategies"]) == {"sampling", "rays", "ascent"}
    assert d["setting"]["activation"] == {"name": "generalized_relu", "a": 0.1, "b": 1.0}


def test_bench_cli_tiny(tmp_path, capsys):
    out = tmp_path / "b.json"
    rc = main(["bench", "--points", "64", "--m-small", "16", "--d-small", "4", "--m-large", "32", "--d-large", "8",
               "--repeats", "1", "--no-batching", "--json", str(out)])
    assert rc == 0
    d = json.loads(out.read_text())
    assert "batching" not in d
    # the headline ratios are the timings they summarize, and the verdicts compare them with the targets
    assert d["speedup_vs_naive"] == pytest.approx(d["small"]["naive_s"] / d["small"]["engine_s"], rel=1e-9)
    assert d["fraction_of_gemm"] == pytest.approx(d["large"]["gemm_s"] / d["large"]["engine_s"], rel=1e-9)
    assert d["targets"] == {"speedup_vs_naive": 50.0, "fraction_of_gemm": 0.5}
    for key, target in d["targets"].items():
        assert d["meets_targets"][key] == (d[key] >= target)
    assert d["small"]["max_abs_diff_vs_naive"] < 1e-12  # the two evaluations agree
    assert "speedup_vs_naive" in capsys.readouterr().out


@pytest.mark.parametrize("argv, match", [
    (["probe", "--eps", "0"], "eps"),
    (["probe", "--a", "2", "--b", "1"], "a <= b"),
    (["probe", "--data", "digits", "--d", "100"], "64"),
    (["probe", "--device", "tpu"], "device"),
])
def test_cli_bad_input_is_one_line_exit_2(argv, match, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("slqc: error:") and match in err[0]


def test_console_script_unknown_choice_exit_2():
    r = subprocess.run([sys.executable, "-m", "slqc.cli", "probe", "--activation", "swish"], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "invalid choice" in r.stderr
