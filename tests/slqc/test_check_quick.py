"""`slqc check`: verdict records of every claim kind, and the quick grid end to end through the CLI.

Default tier: one setting per claim kind (``slqc``, ``probability``, ``sngd``) through the same
task function the CLI's workers run, plus Theorem 4's point where no kappa works (the audit's
setting a = 0.1, h = 3, W1 = W2 = 1, eps = 1e-4, w2 = w2*). Slow tier: the whole quick grid
through the CLI (JSON, Markdown, plots, witnesses), with the findings it is known to give.
"""

from __future__ import annotations

import json
import math
import os

import pytest

from slqc import cli
from slqc.check import PLANS, Checker, _evaluate_task, probe_seeds
from slqc.claims import CLAIMS, get_claim
from slqc.claims.base import BUDGETS
from slqc.claims.one_hidden import OH_BASE
from slqc.report import VERDICTS, format_table, markdown, read_json, setting_label
from slqc.verify import verify_witness

NAMES = list(CLAIMS)
REQUIRED = ("claim", "setting", "eps", "kappa_claimed", "kappa_empirical", "kappa_upper", "verdict",
            "no_kappa_point", "vacuous_as_stated", "slack", "witness", "points_evaluated", "seconds", "searched")

#: the limit for the quick budget over all claims on a quiet 2-core machine (seconds)
QUICK_LIMIT_S = 120.0


def _check_record(r: dict) -> None:
    """The invariants every record satisfies, whatever its claim."""
    for key in REQUIRED:
        assert key in r, (key, r)
    assert r["verdict"] in VERDICTS
    assert isinstance(r["no_kappa_point"], bool) and isinstance(r["vacuous_as_stated"], bool)
    s = r["searched"]
    assert s["budget"] in BUDGETS and s["source"] in ("grid", "adversary")
    assert s["seeds"] or "analytic_bound" in s or r["verdict"] == "inconclusive", s
    if r["verdict"] == "holds":
        assert r["witness"] is None, "a holds verdict never carries a witness"
        assert not r["no_kappa_point"]
    if r["verdict"] == "violated":
        assert r["witness"] and os.path.exists(r["witness"])
        check = verify_witness(r["witness"])
        assert check.fails, check.message
    if r["verdict"] in ("vacuous", "inconclusive"):
        assert r["note"], "vacuous / inconclusive verdicts say why"
    if r["no_kappa_point"] and r["claim"] != "thm8":
        assert r["verdict"] == "violated" and r["kappa_empirical"] == math.inf


# ---------------------------------------------------------------------------- default tier
@pytest.mark.parametrize("name, pick", [("cor1", "nonneg"), ("thm2", 0), ("thm8", 0)],
                         ids=["slqc", "probability", "sngd"])
def test_one_setting_per_claim_kind(tmp_path, name, pick):
    claim = get_claim(name)
    settings = claim.settings("quick")
    s = next(x for x in settings if x.get("distribution") == pick) if isinstance(pick, str) else settings[pick]
    records = _evaluate_task(name, s, "quick", None, 0, str(tmp_path))
    assert records and all(r["claim"] == name for r in records)
    for r in records:
        _check_record(r)
    if name == "cor1":  # ReLU, nonnegative inputs, m < d: the zero-gradient cone, whatever kappa
        (r,) = records
        assert r["verdict"] == "violated" and r["no_kappa_point"] and not r["vacuous_as_stated"]
    if name == "thm8":  # one record per (kappa source, reading)
        assert {(r["setting"]["kappa_source"], r["setting"]["reading"]) for r in records} == {
            (k, rd) for k in ("claimed", "empirical") for rd in ("best<=3eps", "best<=3eps^3", "last<=3eps")}
        for r in records:  # a violated run stayed in B(0, W); one that left it is not called violated
            if r["verdict"] == "violated":
                assert not r["iterates_left_domain"]


def test_theorem4_no_kappa_point_is_reported_though_kappa_is_negative(tmp_path):
    """The audit's setting: claimed kappa < 0 (vacuous as stated) and a point where no kappa works."""
    claim = get_claim("thm4")
    s = dict(OH_BASE, a=0.1, eps=1e-4)
    assert claim.kappa(s) < 0
    r = Checker("standard", witness_dir=str(tmp_path)).slqc_record(claim, s, claim.build(s))
    assert r["verdict"] == "violated" and r["no_kappa_point"] and r["vacuous_as_stated"]
    assert r["kappa_empirical"] == math.inf and "no kappa works" in r["note"]
    check = verify_witness(r["witness"])
    assert check.fails and check.gap > 1e-4 and check.inner < 0, check.message
    assert rc_of_verify(r["witness"]) == 0


def rc_of_verify(path: str) -> int:
    return cli.main(["verify", path])


def test_probe_seeds_keeps_the_worst_and_names_the_seeds():
    """Seed 0 alone versus seeds (0, 1): the pair is never better than seed 0, and says what ran."""
    claim = get_claim("thm1")
    pb = claim.build(claim.settings("quick")[0])
    one = probe_seeds(pb, 1e-3, [0], budget="quick")
    two = probe_seeds(pb, 1e-3, [0, 1], budget="quick")
    assert two.kappa >= one.kappa > 0
    assert two.points_evaluated > one.points_evaluated
    assert list(two.searched["seeds"]) == [0, 1] or two.searched.get("seeds_requested") == [0, 1]


def test_plans_cover_every_budget_with_more_seeds_at_higher_budgets():
    assert tuple(PLANS) == BUDGETS
    assert [len(PLANS[b].seeds) for b in BUDGETS] == [1, 2, 3]


def test_setting_label_is_compact():
    s = {"activation": "generalized_relu", "a": 0.1, "b": 1.0, "W": 1.0, "wstar": 1.0, "m": 8, "d": 16, "k": 1,
         "distribution": "nonneg", "seed": 3, "eps": 1e-3}
    assert setting_label(s) == "grelu a=0.1 b=1 W=1 m=8 d=16 nonneg s3"
    assert setting_label({}) == ""
    assert setting_label({"source": "adversary", "seed": 1}) == "s1 adversary"


def test_unknown_claim_exits_2(capsys):
    assert cli.main(["check", "thm99", "--budget", "quick"]) == 2
    assert "unknown claim 'thm99'" in capsys.readouterr().err


def test_list(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name in NAMES:
        assert name in out
    assert cli.main(["list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in doc] == NAMES


# ---------------------------------------------------------------------------- slow tier: the quick grid
@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("check")
    paths = {"json": str(d / "records.json"), "md": str(d / "records.md"), "plots": str(d / "plots"),
             "wit": str(d / "witnesses")}
    rc = cli.main(["check", "--budget", "quick", "--json", paths["json"], "--markdown", paths["md"],
                   "--plots", paths["plots"], "--witness-dir", paths["wit"], "--no-progress", "--jobs", "2"])
    assert rc == 0
    with open(paths["json"]) as fh:
        raw = fh.read()
    return paths, read_json(paths["json"]), raw


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_claim_runs_at_quick_budget(quick_run, name):
    _, records, _ = quick_run
    rs = [r for r in records if r["claim"] == name]
    assert len(rs) >= len(get_claim(name).settings("quick"))
    for r in rs:
        _check_record(r)


@pytest.mark.slow
def test_slqc_holds_records_have_slack_at_least_one(quick_run):
    _, records, _ = quick_run
    for r in records:
        if r["verdict"] == "holds" and r["claim"] not in ("thm2", "thm8"):
            assert r["kappa_empirical"] <= r["kappa_claimed"]
            assert r["slack"] >= 1.0


@pytest.mark.slow
def test_json_is_standard(quick_run):
    _, _, raw = quick_run

    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")

    doc = json.loads(raw, parse_constant=refuse)
    assert set(doc) >= {"records", "meta"}
    infs = [r for r in doc["records"] if r["kappa_empirical"] == "inf"]
    assert infs, "the quick grid has points where no kappa works (Corollary 1, nonnegative data)"
    for r in infs:
        assert r["verdict"] in ("violated", "vacuous", "inconclusive")


@pytest.mark.slow
def test_quick_budget_time(quick_run):
    _, _, raw = quick_run
    seconds = json.loads(raw)["meta"]["seconds"]
    if not os.environ.get("SLQC_STRICT_TIMING"):
        pytest.skip("timing is asserted on a quiet machine only (set SLQC_STRICT_TIMING=1)")
    assert seconds < QUICK_LIMIT_S, f"quick budget took {seconds:.0f} s"


@pytest.mark.slow
def test_markdown_and_plots(quick_run):
    paths, records, _ = quick_run
    text = open(paths["md"]).read()
    assert "| claim | theorem |" in text and "no kappa works" in text
    for name in NAMES:
        assert f"### {name}" in text
    pngs = [p for p in os.listdir(paths["plots"]) if p.endswith(".png")]
    assert len(pngs) >= len(NAMES) - 2
    assert markdown(records).count("\n") > len(records)
    table = format_table(records)
    assert table.count("\n") > len(records) and "kappa upper" in table


#: what the quick grid finds (see docs/check.md); a change here means the engine or a grid changed
KNOWN_QUICK = {"thm1": {"holds"}, "thm3": {"holds"}, "thm4": {"vacuous"}, "thm5": {"vacuous"},
               "thm6": {"holds"}, "thm7": {"holds"}, "hazan": {"holds"}}


@pytest.mark.slow
def test_known_findings_at_quick(quick_run):
    _, records, _ = quick_run
    for name, allowed in KNOWN_QUICK.items():
        got = {r["verdict"] for r in records if r["claim"] == name}
        assert got <= allowed, (name, got)
    # Corollaries 1-2: the zero-gradient points of the standard ReLU on nonnegative data with m < d
    for name in ("cor1", "cor2"):
        bad = [r for r in records if r["claim"] == name and r["verdict"] == "violated"]
        assert any(r["setting"]["distribution"] == "nonneg" for r in bad), name
        assert all(r["kappa_empirical"] == math.inf and r["no_kappa_point"] for r in bad)


def test_certify_adds_a_certified_upper_bound():
    """--certify: kappa_upper from the branch and bound brackets the empirical kappa, below the claimed one."""
    claim = get_claim("thm1")
    s = dict(claim.settings("quick")[0], d=2, m=32)
    checker = Checker("quick")
    checker.certify = {"max_boxes": 5000, "time_limit": 20.0}
    r = checker.slqc_record(claim, s, claim.build(s))
    assert r["verdict"] == "holds"
    assert r["kappa_empirical"] <= r["kappa_upper"] <= r["kappa_claimed"]
    assert r["certified"] is True and r["certify"]["lower"] <= r["kappa_upper"]


def test_falsify_is_skipped_with_a_note_when_absent(capsys, monkeypatch):
    import argparse
    import builtins

    from slqc.commands import check as cmd

    real_import = builtins.__import__

    def no_falsify(name, *args, **kwargs):
        if name.endswith("falsify") and args and args[2] and "falsify" in args[2]:
            raise ImportError("no slqc.falsify")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_falsify)
    args = argparse.Namespace(claims=["thm1"], budget="quick", seed=0, device="cpu", no_progress=True)
    assert cmd._falsify_records(args, "/tmp") == []
    assert "--falsify skipped" in capsys.readouterr().err
