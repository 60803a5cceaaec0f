"""Experiments runs on an executor (issue 12): one task per (config, seed) run, journaled in
``OUT/runs.jsonl`` as it finishes; Ray gives the results of the local executor; an interrupted
sweep resumes from its journal."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments import cli, protocol, run_all, table3_regression
from slqc import jsonio

TIMING = ("seconds", "wall_time", "date", "command", "machine", "total_seconds")


def _strip(obj):
    """The results without timings and provenance (what must not depend on where a run ran)."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in TIMING}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _table3(out: Path, *extra: str) -> int:
    return cli.run(table3_regression.main, ["--quick", "--seeds", "1", "--out", str(out), *extra])


def _journal(out: Path) -> list[dict]:
    return list(jsonio.read_jsonl(out / protocol.JOURNAL))


def _n_runs(data: dict) -> int:
    """Training runs a results.json accounts for: validation runs (grid rows x selection seeds) + seeds."""
    return sum(len([g for g in r["grid"] if g.get("val_metric") is not None]) * len(r["select_seeds"]) + len(r["runs"])
               for r in data["results"])


def test_ray_results_equal_local_results(tmp_path):
    pytest.importorskip("ray")
    assert _table3(tmp_path / "local") == 0
    rc = cli.run(run_all.main, ["--quick", "--seeds", "1", "--only", "table3_regression", "--executor", "ray",
                                "--jobs", "2", "--out", str(tmp_path / "ray"), "--results", str(tmp_path / "R.md")])
    assert rc == 0
    local = jsonio.read(tmp_path / "local" / "results.json")
    remote = jsonio.read(tmp_path / "ray" / "table3_regression" / "results.json")
    assert "--executor ray --jobs 2" in remote["command"]
    assert _strip(remote["results"]) == _strip(local["results"])
    assert remote["results"] and all(r["runs"][0]["history"] for r in remote["results"])
    # every run streamed into the journal, one line per (config, seed) task
    assert len(_journal(tmp_path / "ray" / "table3_regression")) == _n_runs(remote) == len(_journal(tmp_path / "local"))
    import ray

    assert not ray.is_initialized()  # the local instance run_all started is stopped


def test_interrupted_sweep_resumes_from_its_journal(tmp_path, monkeypatch):
    assert _table3(tmp_path / "ref") == 0
    reference = jsonio.read(tmp_path / "ref" / "results.json")
    total = _n_runs(reference)
    real = protocol.train_once
    calls = {"n": 0, "stop": 5}

    def counting(config, train_fn=None):
        calls["n"] += 1
        if calls["n"] > calls["stop"]:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the sweep
        return real(config, train_fn)

    monkeypatch.setattr(protocol, "train_once", counting)
    out = tmp_path / "run"
    assert _table3(out) == 130
    assert len(_journal(out)) == 5 and not jsonio.read(out / "results.json")["complete"]
    calls.update(n=0, stop=10 ** 9)
    assert _table3(out, "--resume") == 0
    assert calls["n"] == total - 5  # only the runs the journal lacked were trained
    resumed = jsonio.read(out / "results.json")
    assert resumed["complete"] and _strip(resumed["results"]) == _strip(reference["results"])
    assert len(_journal(out)) == total
    calls.update(n=0)
    assert _table3(out) == 0 and calls["n"] == total  # without --resume the journal starts afresh
    assert len(_journal(out)) == total


@pytest.mark.parametrize("args, msg", [
    (["--address", "127.0.0.1:1"], "--address goes with --executor ray"),
    (["--jobs", "0"], "--jobs must be >= 1"),
    (["--executor", "dask"], "invalid choice"),
])
def test_bad_executor_options_are_one_line_exit_2(args, msg, tmp_path, capsys):
    try:
        rc = _table3(tmp_path / "x", *args)
    except SystemExit as exc:  # argparse errors
        rc = exc.code
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and msg in err[0]
    assert not (tmp_path / "x" / "results.json").exists()  # refused before any work


@pytest.mark.slow
def test_local_pool_results_equal_in_process_results(tmp_path):
    assert _table3(tmp_path / "one") == 0
    assert _table3(tmp_path / "pool", "--jobs", "2") == 0
    a = jsonio.read(tmp_path / "one" / "results.json")
    b = jsonio.read(tmp_path / "pool" / "results.json")
    assert _strip(a["results"]) == _strip(b["results"])
