"""`slqc check` survives Ctrl-C: the journal streams records, the outputs hold what is done, `--resume` finishes.

A real ``slqc check`` runs in a subprocess with two spawned workers; once the journal holds a
finished setting the test sends SIGINT, and asserts that the process exits with 130 within
seconds, that the JSON and Markdown exist and hold exactly the journal's records, and that
``--resume`` completes the run to the same table as an uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from slqc import cli, jsonio
from slqc.check import Interrupted, journal_records, run_check
from slqc.report import format_table, read_doc

CLAIMS = ["thm4", "thm5"]
#: seconds a worker pool may take to stop after Ctrl-C ("within seconds"), on a loaded machine
STOP_LIMIT_S = 20.0


def _table(records: list[dict]) -> str:
    """The table without the timing-dependent parts (seconds are not in it)."""
    return format_table(records, note_width=200)


def _wait_for_lines(path: str, n: int, proc: subprocess.Popen, timeout: float) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if os.path.exists(path) and sum(1 for _ in open(path)) >= n:
            return
        if proc.poll() is not None:
            return
        time.sleep(0.1)
    raise AssertionError(f"no journal line after {timeout} s")


def test_sigint_writes_outputs_and_resume_completes(tmp_path):
    out = tmp_path / "r.json"
    md = tmp_path / "r.md"
    wit = tmp_path / "wit"
    # --batch 2: several instance batches (thm4 and thm5 share a point shape, so by default they are one batch)
    argv = ["check", *CLAIMS, "--budget", "quick", "--jobs", "2", "--batch", "2", "--no-progress", "--json", str(out),
            "--markdown", str(md), "--witness-dir", str(wit)]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "slqc.cli", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    journal = str(tmp_path / "r.jsonl")
    _wait_for_lines(journal, 1, proc, timeout=240)
    assert proc.poll() is None, "the run ended before the interrupt; give it more work"
    proc.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=60)
    stopped = time.monotonic() - t0
    assert proc.returncode == 130, err
    assert stopped < STOP_LIMIT_S, f"took {stopped:.1f} s to stop"
    assert "interrupted after" in err and "Traceback" not in err
    doc = read_doc(str(out))
    assert doc["meta"]["interrupted"] is True
    done = journal_records(journal)
    assert 1 <= doc["meta"]["done"] < doc["meta"]["total"]
    assert len(done) == doc["meta"]["done"]
    assert len(doc["records"]) == sum(len(v) for v in done.values())
    assert md.exists() and "| claim | theorem |" in md.read_text()

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert cli.main([*argv[:-6], "--jobs", "1", "--json", str(out), "--witness-dir", str(wit), "--resume"]) == 0
        resumed = read_doc(str(out))["records"]
        fresh = run_check(CLAIMS, budget="quick", progress=False, jobs=1, witness_dir=str(tmp_path / "wit2"))
    finally:
        torch.set_num_threads(threads)
    assert len(journal_records(journal)) == doc["meta"]["total"]
    assert _table(resumed) == _table(fresh)


def test_run_check_interrupted_in_process_keeps_the_finished_records(tmp_path, monkeypatch):
    """A KeyboardInterrupt in the serial path becomes Interrupted with the records already journaled."""
    import slqc.check as check_mod

    calls = {"n": 0}
    real = check_mod._evaluate_task

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(check_mod, "_evaluate_task", flaky)
    journal = str(tmp_path / "j.jsonl")
    previous = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(Interrupted) as info:
            run_check(["thm4"], budget="quick", progress=False, jobs=1, journal=journal, batch=1,
                      witness_dir=str(tmp_path / "w"))
    finally:
        signal.signal(signal.SIGINT, previous)
    assert info.value.done == 2 and info.value.total == 4
    assert len(info.value.records) == 2
    lines = list(jsonio.read_jsonl(journal))
    assert [e["records"] for e in lines] == [[r] for r in info.value.records]
