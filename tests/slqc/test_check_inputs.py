"""Bad input to `slqc check` and `slqc probe`: one error line, exit code 2, before any work, nothing lost.

The rows are those of the user test in the issue on long runs (output paths under a file, in
/proc, a folder given as a file, a missing summary file, an absent device, thread and job
counts below 1, a NaN noise level), plus the others `slqc check` validates up front.
"""

from __future__ import annotations

import time

import pytest

from slqc import cli


@pytest.fixture
def afile(tmp_path):
    p = tmp_path / "afile"
    p.write_text("kept\n")
    return p


def _rows(tmp_path, afile):
    no_markers = tmp_path / "plain.md"
    no_markers.write_text("# no markers here\n")
    return [
        (["check", "--json", f"{afile}/x.json"], "is a file, not a folder"),
        (["check", "--plots", str(afile)], "is a file; give a folder"),
        (["check", "--witness-dir", str(afile)], "is a file; give a folder"),
        (["check", "--json", "/proc/x.json"], "cannot write in /proc"),
        (["check", "--markdown", str(tmp_path)], "is a directory"),
        (["check", "--json", str(tmp_path)], "is a directory"),
        (["check", "--insert-summary", str(tmp_path / "missing.md")], "no such file"),
        (["check", "--insert-summary", str(no_markers)], "lacks the markers"),
        (["check", "--from-json", str(tmp_path / "missing.json")], "no such file"),
        (["check", "--from-json", str(afile)], "is not JSON"),
        (["check", "--device", "cuda:7" if __import__("torch").cuda.is_available() else "cuda"], "cuda"),
        (["check", "--device", "tpu"], "device"),
        (["check", "--threads", "-3"], "--threads must be >= 1"),
        (["check", "--threads", "0"], "--threads must be >= 1"),
        (["check", "--jobs", "0"], "--jobs must be >= 1"),
        (["check", "--jobs", "-1"], "--jobs must be >= 1"),
        (["check", "--resume", "--from-json", str(afile)], "do not go together"),
        (["probe", "--noise", "nan"], "--noise must be a finite number"),
        (["probe", "--noise", "-0.5"], "--noise must be >= 0"),
        (["probe", "--W", "inf"], "--W"),
        (["probe", "--json", f"{afile}/p.json"], "is a file, not a folder"),
    ]


ROW_IDS = ["json-under-file", "plots-is-file", "witness-dir-is-file", "json-in-proc", "markdown-is-dir",
           "json-is-dir", "summary-missing", "summary-no-markers", "from-json-missing", "from-json-garbage",
           "cuda-absent", "unknown-device", "threads-negative", "threads-zero", "jobs-zero", "jobs-negative",
           "resume-from-json", "probe-noise-nan", "probe-noise-negative", "probe-W-inf", "probe-json-under-file"]


@pytest.mark.parametrize("row", range(len(ROW_IDS)), ids=ROW_IDS)
def test_bad_input_is_one_line_exit_2_before_any_work(tmp_path, afile, capsys, row):
    argv, match = _rows(tmp_path, afile)[row]
    if "cuda" in ROW_IDS[row] and __import__("torch").cuda.is_available():
        pytest.skip("a GPU is present")
    t0 = time.perf_counter()
    assert cli.main(argv) == 2
    elapsed = time.perf_counter() - t0
    cap = capsys.readouterr()
    err = cap.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("slqc: error:") and match in err[0], cap.err
    assert "Traceback" not in cap.err and cap.out == ""
    assert elapsed < 5.0, "refused before any search ran"
    assert afile.read_text() == "kept\n", "nothing already written is lost"
