"""docs/compare_runs.py: record-by-record comparison of two slqc check JSON files, against hand-made records."""

from __future__ import annotations

import json
import math

from . import docs_scripts


def _script():
    return docs_scripts.load("compare_runs")


def _rec(claim, label, verdict, kappa, points=10, seconds=1.0, slack=2.0, note=""):
    return {"claim": claim, "setting": {"eps": 0.1, "label": label}, "label": label, "verdict": verdict,
            "kappa_empirical": kappa, "points_evaluated": points, "seconds": seconds, "slack": slack, "note": note}


def test_compare_counts_what_changed():
    mod = _script()
    before = [_rec("thm1", "a", "holds", 1.0), _rec("thm1", "b", "holds", 2.0, slack=math.nan),
              _rec("thm4", "c", "vacuous", math.inf, note="found by an earlier witness")]
    after = [_rec("thm1", "a", "holds", 1.0 + 3e-16, points=4), _rec("thm1", "b", "holds", 2.5, slack=math.nan),
             _rec("thm4", "c", "violated", math.inf, seconds=0.5)]
    c = mod.compare(before, after)
    assert c["matched"] == 3 and c["only_before"] == c["only_after"] == 0
    assert c["verdict_changes"] == [{"claim": "thm4", "label": "c", "before": "vacuous", "after": "violated"}]
    assert c["slack_changes"] == 0  # NaN against NaN is no change
    assert c["finite_kappa_pairs"] == 2  # inf is left out
    assert math.isclose(c["kappa_rel_max"], 0.25) and math.isclose(c["kappa_rel_median"], (0.25 + 3e-16) / 2)
    assert c["points"] == [30, 24] and c["seconds"] == [3.0, 2.5]
    assert c["earlier_witness"] == [1, 0]


def test_exit_codes(tmp_path, capsys):
    mod = _script()
    a, b, bad = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "bad.json"
    a.write_text(json.dumps({"records": [_rec("thm1", "a", "holds", 1.0)]}))
    b.write_text(json.dumps([_rec("thm1", "a", "violated", 1.0)]))  # a bare list of records is read too
    bad.write_text(json.dumps({"records": [{"no": "claim"}]}))
    assert mod.main([str(a), str(a)]) == 0
    assert mod.main([str(a), str(b)]) == 1
    out = capsys.readouterr().out
    assert "verdict changes: 1" in out and "holds -> violated" in out
    assert mod.main([str(a), str(tmp_path / "missing.json")]) == 2
    assert mod.main([str(a), str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("compare_runs: error: ") for line in err)


def test_json_output(tmp_path, capsys):
    mod = _script()
    a = tmp_path / "a.json"
    a.write_text(json.dumps({"records": [_rec("thm1", "a", "holds", 1.0)]}))
    assert mod.main([str(a), str(a), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["matched"] == 1
