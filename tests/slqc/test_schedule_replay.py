"""docs/schedule_replay.py and the cost model behind the batch plan: the replay against hand-worked
schedules, its fit against the model in slqc.check, and its bad input."""

from __future__ import annotations

import json
import math
import os

import pytest

from slqc.check import _CLAIM_COST, _COST_D_EXP, _COST_SAMPLES_EXP, _KIND_COST, expected_cost
from slqc.claims import get_claim

from . import docs_scripts

ROOT = docs_scripts.ROOT
JOURNAL = os.path.join(ROOT, "docs", "check_results.jsonl")


def _script():
    return docs_scripts.load("schedule_replay")


def test_makespan_is_the_greedy_schedule_worked_by_hand():
    mod = _script()
    secs = [5.0, 3.0, 3.0, 2.0, 2.0, 1.0]
    # two workers: A runs [0, 1] from 0 to 8; B runs [2] 0-3, [3] 3-5, [4] 5-7, [5] 7-8
    assert mod.makespan([[0, 1], [2], [3], [4], [5]], secs, 2) == 8.0
    assert mod.makespan([[0, 1, 2, 3, 4, 5]], secs, 4) == 16.0  # one batch: no parallelism
    assert mod.makespan([[i] for i in range(6)], secs, 1) == 16.0
    assert mod.makespan([[5], [4], [3], [2], [1], [0]], secs, 2) == 10.0  # shortest first: the 5 s one starts last
    assert mod.makespan([[0], [1], [2], [3], [4], [5]], secs, 2) == 8.0  # costliest first
    assert mod.last_batch([[5], [4], [3], [2], [1], [0]], secs, 2) == (5, 5.0, 5.0)  # the 5 s one, from 5 to 10
    assert mod.last_batch([[0, 1], [2], [3], [4], [5]], secs, 2) == (4, 7.0, 1.0)  # a tie at 8: the later one


def test_task_seconds_counts_shared_seconds_once():
    mod = _script()
    thm8 = [{"seconds": 4.0}, {"seconds": 4.0}, {"seconds": 4.0}, {"seconds": 1.5}, {"seconds": 1.5}, {"seconds": 1.5}]
    assert mod.task_seconds(thm8) == 5.5
    assert mod.task_seconds([{"seconds": 2.0}, {"seconds": None}]) == 2.0


def test_replay_of_the_published_run_plans_better_than_registry_order():
    out = _script().replay(JOURNAL, "standard", 16, [1, 8, 16])
    rows = {r["jobs"]: r for r in out["rows"]}
    total = out["total_seconds"]
    assert rows[1]["registry"] == pytest.approx(total) and rows[1]["planned"] == pytest.approx(total)
    for n in (8, 16):
        r = rows[n]
        assert r["bound"] <= r["one_at_a_time_lpt"] and r["bound"] <= r["planned"] < r["registry"]
    assert rows[16]["planned"] < 0.8 * rows[16]["registry"]


def test_the_cost_model_of_slqc_check_predicts_the_published_run_nearly_as_well_as_its_refit():
    """The constants in slqc.check were fitted on an earlier journal (another machine: its CPU
    weighs d differently, so the exponents and factors move between machines, trading off
    against each other); what the planner needs is that they still predict the published run's
    seconds: within 0.1 (log seconds, rms) of the best fit on that run, and far better than the
    model they replaced."""
    got = _script().fit(JOURNAL, "standard")
    assert got["rms_log_error"] < 0.5 and got["rms_log_error"] < 0.6 * got["rms_log_error_old_model"]
    assert got["rms_log_error"] <= got["rms_log_error_shipped"] <= got["rms_log_error"] + 0.1
    assert got["rms_log_error_shipped"] < 0.7 * got["rms_log_error_old_model"]
    assert set(got["claim_factor"]) == set(_CLAIM_COST)


def test_expected_cost_formula_and_fallback():
    s = {"m": 256, "d": 16, "k": 3}
    seeds = 2  # the standard budget's search seeds
    want = _CLAIM_COST["thm7"] * (256 * 3) ** _COST_SAMPLES_EXP * 16 ** _COST_D_EXP * seeds
    assert expected_cost(get_claim("thm7"), s, "standard") == pytest.approx(want)

    class Custom:
        name, kind = "not-a-registered-claim", "probability"

    fallback = want / _CLAIM_COST["thm7"] * _KIND_COST["probability"]
    assert expected_cost(Custom(), s, "standard") == pytest.approx(fallback)
    assert expected_cost(get_claim("thm1"), {}, "quick") > 0  # defaults for missing sizes


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    mod = _script()
    assert mod.main(["--jobs", "0"]) == 2
    assert mod.main(["--jobs", "x"]) == 2
    assert mod.main(["--journal", str(tmp_path / "missing.jsonl")]) == 2
    part = tmp_path / "part.jsonl"
    with open(JOURNAL) as fh:
        part.write_text("".join(fh.readlines()[:3]))
    assert mod.main(["--journal", str(part)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("schedule_replay: ") for line in err)
    assert "not in" in err[-1]


def test_json_output(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert _script().main(["--jobs", "2", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["rows"][0]["jobs"] == 2 and math.isfinite(data["rows"][0]["planned"])
    assert "| 2 |" in capsys.readouterr().out


def test_progress_bar_ends_at_exactly_100_percent(tmp_path, capsys):
    """The bar's total is the sum of the weights it is advanced by (a rounded total gave 101% and a TqdmWarning)."""
    import warnings

    from slqc.check import run_check

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tqdm's "clamping frac to range [0, 1]"
        run_check(["thm1", "cor1"], budget="quick", progress=True, jobs=1, witness_dir=str(tmp_path))
    shown = [line for line in capsys.readouterr().err.replace("\r", "\n").splitlines() if "slqc check:" in line]
    assert shown and "100%" in shown[-1] and "101%" not in "".join(shown)
