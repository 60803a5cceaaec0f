"""`slqc check` on the Ray executor gives the records of the local executor (timings aside)."""

from __future__ import annotations

import os

import pytest

from slqc import cli
from slqc.check import run_check

CLAIM = "hazan"  # three quick settings, a few seconds each


def _comparable(records: list[dict]) -> list[dict]:
    out = []
    for r in records:
        r = {k: v for k, v in r.items() if k != "seconds"}
        if r.get("witness"):
            r["witness"] = os.path.basename(r["witness"])
        if isinstance(r.get("searched"), dict):
            r["searched"] = {k: v for k, v in r["searched"].items() if "second" not in k}
        out.append(r)
    return out


def test_ray_records_equal_local_records(tmp_path):
    pytest.importorskip("ray")
    # the same jobs on both: the batch plan depends on the number of workers (slqc.check.plan_batches)
    local = run_check([CLAIM], budget="quick", progress=False, jobs=2, witness_dir=str(tmp_path / "a"),
                      journal=str(tmp_path / "a.jsonl"))
    remote = run_check([CLAIM], budget="quick", progress=False, jobs=2, executor="ray",
                       witness_dir=str(tmp_path / "b"), journal=str(tmp_path / "b.jsonl"))
    assert len(local) == 3
    assert _comparable(remote) == _comparable(local)
    assert len((tmp_path / "b.jsonl").read_text().splitlines()) == 3  # streamed into the journal


def test_address_without_ray_executor_is_one_line_exit_2(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert cli.main(["check", CLAIM, "--budget", "quick", "--no-progress", "--address", "x:1", "--json", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["slqc: error: --address goes with --executor ray"]
    assert not out.exists()  # refused before any work


def _pid(_: int) -> int:
    return os.getpid()


def test_persistent_local_pool_keeps_its_workers_between_calls():
    from slqc.executors import LocalExecutor

    ex = LocalExecutor(jobs=2, persistent=True)
    try:
        first = {r for _, r in ex.map_unordered(_pid, [(i,) for i in range(6)])}
        second = {r for _, r in ex.map_unordered(_pid, [(i,) for i in range(6)])}
        assert ex._pool is not None  # still running between the calls
        assert second & first  # the same worker processes served the second call
    finally:
        ex.shutdown()
    assert ex._pool is None
    once = LocalExecutor(jobs=2)
    list(once.map_unordered(_pid, [(i,) for i in range(2)]))
    assert once._pool is None  # not persistent: stopped when the call finished
