"""docs/audit_thorough.py: it re-searches exactly the vacuous-after-a-search settings, writes witnesses that
`slqc verify` confirms, and refuses bad input in one line."""

from __future__ import annotations

import json
import os

from slqc.verify import verify_witness

from . import docs_scripts
from .test_search_budget_scale import THM5_MISSED


def _script():
    return docs_scripts.load("audit_thorough")


def _record(claim, setting, verdict, kappa):
    return {"claim": claim, "setting": setting, "verdict": verdict, "kappa_empirical": kappa}


def test_re_searches_only_vacuous_settings_with_a_search_and_writes_confirmed_witnesses(tmp_path, capsys):
    other = dict(THM5_MISSED, a=0.1)
    records = [_record("thm5", THM5_MISSED, "vacuous", 0.0039),  # searched, nothing found: re-searched
               _record("thm5", other, "vacuous", 0.0),  # no point above the level set: skipped
               _record("thm5", other, "violated", "inf"),  # decided: skipped
               _record("thm4", THM5_MISSED, "vacuous", 0.01)]  # a claim not asked for: skipped
    res = tmp_path / "check.json"
    res.write_text(json.dumps({"records": records}))
    out = tmp_path / "wit"
    assert _script().main(["--results", str(res), "--claims", "thm5", "--out", str(out), "--budget", "standard"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 1 and lines[0]["claim"] == "thm5" and lines[0]["violation"] is True
    assert os.path.dirname(lines[0]["witness"]) == str(out)
    assert verify_witness(lines[0]["witness"]).fails  # the numpy re-check confirms: no kappa works there


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    mod = _script()
    res = tmp_path / "check.json"
    res.write_text(json.dumps({"records": []}))
    assert mod.main(["--results", str(tmp_path / "missing.json"), "--claims", "thm5", "--out", str(tmp_path)]) == 2
    assert mod.main(["--results", str(res), "--claims", "thm5", "--out", str(tmp_path), "--part", "2",
                     "--parts", "2"]) == 2
    assert mod.main(["--results", str(res), "--claims", "thm99", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("audit_thorough: ") for line in err)
