"""The engine sections of `slqc bench` (issues 12 and 15) run end to end on CPU at tiny sizes.

No timing is asserted here (the figures are measured by `slqc bench`, not in timed tests);
the tests check the reported arithmetic and that the code paths run.
"""

from __future__ import annotations

import pytest

from slqc import bench
from slqc.cli import main


def test_throughput_rows_count_two_gemms_of_multiply_adds():
    r = bench.run_throughput(points=64, d=4, ms=(32, 4096), repeats=1)
    assert [row["m"] for row in r["rows"]] == [32, 4096]
    for row in r["rows"]:
        assert row["gmac_per_s"] == pytest.approx(2 * 64 * row["m"] * 4 / row["seconds"] / 1e9)
    assert r["ratio"] == pytest.approx(r["rows"][1]["gmac_per_s"] / r["rows"][0]["gmac_per_s"])


def test_device_report_runs_on_cpu():
    rep = bench.run_device_bench("cpu", shapes=((64, 32, 8),), repeats=1, probe_budget="quick")
    assert [(r["dtype"], r["P"]) for r in rep["gemm"]] == [("float64", 64), ("float32", 64)]
    assert all(r["fraction_of_gemm"] == pytest.approx(r["gemm_s"] / r["engine_s"]) for r in rep["gemm"])
    assert len(rep["probe"]) == 1 and rep["probe"][0]["kappa"] > 0


@pytest.mark.slow  # a fresh interpreter importing torch: about 30 s on a loaded 2-core machine
def test_peak_memory_of_a_streamed_draw_is_reported():
    pm = bench.peak_memory(m=20000, d=4, points=64, threads=1)
    assert 0 < pm["peak_gb"] < 2 and pm["probe_points"] > 0


def test_bench_cuda_without_cuda_is_one_clear_error(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    assert main(["bench", "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert "cuda" in err.lower() and "Traceback" not in err
