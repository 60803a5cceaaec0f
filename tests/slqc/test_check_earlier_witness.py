"""A violation found once is not lost: witness files an earlier run left in ``--witness-dir`` are re-evaluated.

The search is a lower bound whose path moves with float rounding; the standard run of this
session missed a no-kappa point of Theorem 5 that an earlier engine had found and ``slqc verify``
confirms. The check therefore re-evaluates, on every re-run with the same witness folder, the point
of the earlier witness file of each setting (its kappa computed afresh, the file trusted for
nothing else). The reference here is a search that is made to find nothing.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from slqc.check import Checker
from slqc.claims import get_claim
from slqc.search import ProbeResult
from slqc.witness import witness_name


def _violated_setting(tmp_path):
    """A quick Corollary 1 setting whose search finds a no-kappa point (its witness written to tmp_path)
    and which a blind search with no earlier witness does not call violated (so the tests exercise the corpus)."""
    claim = get_claim("cor1")
    ck = Checker("quick", witness_dir=str(tmp_path))
    for setting in claim.settings("quick"):
        problem = dataclasses.replace(claim.build(setting), candidates=None)  # the search alone finds it
        rec = ck.slqc_record(claim, setting, problem)
        alone = Checker("quick", witness_dir=str(tmp_path / "empty")).slqc_record(
            claim, setting, problem, _blind(problem, float(setting["eps"])))
        if rec["verdict"] == "violated" and rec["no_kappa_point"] and alone["verdict"] != "violated":
            return claim, setting, problem, rec
    raise AssertionError("no quick cor1 setting is violated only by its search")


def _blind(problem, eps) -> ProbeResult:
    """A search result that saw nothing above the level set."""
    return ProbeResult(kappa=0.0, witness=None, witness_gap=None, witness_inner=None, witness_gnorm=None,
                       violation=False, exceeded=False, points_evaluated=1, strategies={}, seconds=0.0, eps=eps,
                       radius=problem.radius, budget="quick", max_gap=0.0, searched={"seeds": [0], "points": 1})


def test_an_earlier_witness_keeps_the_violation_that_the_search_missed(tmp_path):
    claim, setting, problem, first = _violated_setting(tmp_path)
    again = Checker("quick", witness_dir=str(tmp_path)).slqc_record(claim, setting, problem,
                                                                  _blind(problem, float(setting["eps"])))
    assert again["verdict"] == "violated" and again["no_kappa_point"]
    assert "an earlier run's witness" in again["note"]
    assert again["searched"]["earlier_witness"] == os.path.join(str(tmp_path), witness_name(claim.name, dict(setting), ""))
    assert again["witness_check"]["fails"]  # the numpy re-check confirms the point again


def test_without_the_folder_the_blind_search_decides(tmp_path):
    claim, setting, problem, _ = _violated_setting(tmp_path)
    rec = Checker("quick", witness_dir=str(tmp_path / "empty")).slqc_record(
        claim, setting, problem, _blind(problem, float(setting["eps"])))
    assert rec["verdict"] != "violated" and "earlier_witness" not in rec["searched"]


def test_unreadable_foreign_or_outside_witnesses_are_ignored(tmp_path):
    claim, setting, problem, _ = _violated_setting(tmp_path)
    path = os.path.join(str(tmp_path), witness_name(claim.name, dict(setting), ""))
    blind = _blind(problem, float(setting["eps"]))
    arrays = dict(np.load(path, allow_pickle=False))

    def rerun():
        return Checker("quick", witness_dir=str(tmp_path)).slqc_record(claim, setting, problem, blind)

    with open(path, "wb") as fh:  # garbage
        fh.write(b"not a witness")
    assert rerun()["verdict"] != "violated"
    z = problem.z.detach().cpu().numpy()
    far = z + 10 * float(problem.radius) * np.ones_like(z) / np.sqrt(z.size)  # outside B(c, R)
    np.savez(path, **dict(arrays, x=far))
    assert rerun()["verdict"] != "violated"
    np.savez(path, **dict(arrays, x=np.zeros(z.size + 1)))  # another shape
    rec = rerun()
    assert rec["verdict"] != "violated" and "earlier_witness" not in rec["searched"]


def test_the_point_is_re_evaluated_not_trusted(tmp_path):
    """A file whose stored terms lie: the verdict follows kappa_min at the point on this problem."""
    claim, setting, problem, first = _violated_setting(tmp_path)
    path = os.path.join(str(tmp_path), witness_name(claim.name, dict(setting), ""))
    arrays = dict(np.load(path, allow_pickle=False))
    arrays["x"] = problem.z.detach().cpu().numpy().copy()  # z itself: gap 0, no violation there
    np.savez(path, **arrays)
    rec = Checker("quick", witness_dir=str(tmp_path)).slqc_record(claim, setting, problem,
                                                                 _blind(problem, float(setting["eps"])))
    assert rec["verdict"] != "violated" and "earlier run" not in rec["note"]
    assert rec["searched"]["earlier_witness"]  # read, evaluated, and not worse than the search


def test_a_read_only_corpus_folder_serves_a_fresh_witness_folder(tmp_path):
    """``--corpus DIR``: the witness files of a published run seed a run that writes elsewhere."""
    claim, setting, problem, _ = _violated_setting(tmp_path / "published")
    fresh = tmp_path / "fresh"
    before = sorted(os.listdir(tmp_path / "published"))
    rec = Checker("quick", witness_dir=str(fresh), corpus=[str(tmp_path / "published")]).slqc_record(
        claim, setting, problem, _blind(problem, float(setting["eps"])))
    assert rec["verdict"] == "violated" and "an earlier run's witness" in rec["note"]
    assert rec["searched"]["earlier_witness"].startswith(str(tmp_path / "published"))
    assert rec["witness"].startswith(str(fresh))  # this run's witness goes to its own folder
    assert sorted(os.listdir(tmp_path / "published")) == before  # the corpus is only read


def test_corpus_option_of_the_cli(tmp_path, capsys):
    from slqc import cli

    assert cli.main(["check", "cor1", "--budget", "quick", "--jobs", "1", "--no-progress", "--corpus",
                     str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--corpus" in err[0]


@pytest.mark.parametrize("batch", [1, 16])
def test_run_check_hands_the_corpus_to_every_worker(tmp_path, batch):
    from slqc.check import run_check

    first = run_check(["cor1"], budget="quick", progress=False, jobs=1, witness_dir=str(tmp_path / "a"))
    violated = {r["label"] for r in first if r["verdict"] == "violated"}
    assert violated
    again = run_check(["cor1"], budget="quick", progress=False, jobs=1, batch=batch, witness_dir=str(tmp_path / "b"),
                      corpus=[str(tmp_path / "a")])
    seen = {r["label"] for r in again if str(r["searched"].get("earlier_witness", "")).startswith(str(tmp_path / "a"))}
    assert seen == violated
