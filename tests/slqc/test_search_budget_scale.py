"""The violation ascent's own budget entry (``vstarts``) and the per-problem budget factors (``Problem.search``)."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest
import torch

import slqc.search as search
from slqc.check import Checker, run_check, search_budget
from slqc.claims import get_claim
from slqc.claims._build import ONE_HIDDEN_SEARCH
from slqc.search import BUDGETS, probe
from slqc.verify import objective

# the Theorem 5 setting whose no-kappa point the standard search used to miss (docs/check.md,
# "Violation starts"): found then only through the earlier witness thm5-af50c28baa.npz
THM5_MISSED = {"activation": "generalized_relu", "a": 0.01, "b": 1.0, "W1": 1.0, "W2": 1.0, "hidden": 3, "m": 128,
               "d": 8, "k": 3, "distribution": "ball", "seed": 0, "w2": "w2*", "eps": 1e-4}


def test_named_budgets_give_the_violation_ascent_half_the_starts_and_custom_ones_follow():
    for cfg in BUDGETS.values():
        assert cfg["vstarts"] == cfg["starts"] // 2
    assert search._budget({"starts": 10})[0]["vstarts"] == 5
    assert search._budget({"starts": 10, "vstarts": 7})[0]["vstarts"] == 7
    assert search._budget({"starts": 1})[0]["vstarts"] == 1
    with pytest.raises(ValueError, match="unknown budget keys"):
        search._budget({"violation_starts": 3})


def test_vstarts_is_the_number_of_violation_ascent_starts(monkeypatch):
    # f = ||x||^2 around z = 0: every sampled point above the level set has a finite cosine score, so the
    # pool holds far more candidates than asked for, and the ascent starts from exactly vstarts of them
    starts = []
    real = search._ascent

    def spy(S, x, valid, steps, mode, bar):
        if mode == "violation":
            starts.append(valid.sum(1).tolist())
        return real(S, x, valid, steps, mode, bar)

    monkeypatch.setattr(search, "_ascent", spy)
    f = lambda x: (x * x).sum(1)  # noqa: E731
    z = torch.zeros(3, dtype=torch.float64)
    for v in (3, 11):
        starts.clear()
        probe(f, z, 0.01, 1.0, budget={"samples": 256, "rays": 16, "starts": 8, "steps": 6, "vstarts": v})
        assert starts == [[v]]


def test_search_budget_multiplies_only_the_entries_a_problem_asks_for():
    pb = get_claim("thm4").build(get_claim("thm4").settings("quick")[0])
    assert pb.search == ONE_HIDDEN_SEARCH == {"vstarts": 4}
    assert search_budget("standard", pb) == {**BUDGETS["standard"], "vstarts": 4 * BUDGETS["standard"]["vstarts"]}
    glm = get_claim("thm1").build(get_claim("thm1").settings("quick")[0])
    assert glm.search == {} and search_budget("standard", glm) == "standard"
    assert search_budget({"samples": 8}, pb) == {"samples": 8}  # explicit numbers are taken as given
    for bad in ({"vstart": 2}, {"vstarts": 0}, {"vstarts": float("nan")}):
        pb.search = bad
        with pytest.raises(ValueError, match="Problem.search"):
            search_budget("quick", pb)


def test_records_say_which_budget_entries_were_scaled():
    recs = run_check(["thm4", "thm1"], budget="quick", progress=False, jobs=1, witness_dir=tempfile.mkdtemp())
    searched = [r for r in recs if r["searched"].get("config")]
    one_hidden = [r for r in searched if r["claim"] == "thm4"]
    glm = [r for r in searched if r["claim"] == "thm1"]
    assert one_hidden and glm
    for r in one_hidden:
        assert r["searched"]["budget_scale"] == {"vstarts": 4}
        assert r["searched"]["config"] == {**BUDGETS["quick"], "vstarts": 4 * BUDGETS["quick"]["vstarts"]}
        assert r["searched"]["budget"] == r["searched"]["probe_budget"] == "quick"
    for r in glm:
        assert "budget_scale" not in r["searched"] and r["searched"]["config"] == BUDGETS["quick"]


def test_standard_search_finds_the_theorem5_no_kappa_point_it_used_to_miss():
    # with the old violation starts (64) the standard search ends at kappa 0.0039 here; with 256 it
    # finds a point where no kappa works. The point is re-checked by the numpy objective of slqc.verify.
    claim = get_claim("thm5")
    pb = claim.build(THM5_MISSED)
    res = Checker("standard").probe(pb, 1e-4, None)
    assert res.violation and res.searched["budget_scale"] == {"vstarts": 4}
    model = dict(pb.model)
    X, Y = pb.X.numpy(), pb.Y.numpy().reshape(pb.X.shape[0], -1)
    W2, z, x = pb.W2.numpy(), pb.z.numpy(), res.witness.numpy()
    fz, _ = objective(model, X, Y, z, W2)
    fx, g = objective(model, X, Y, x, W2)
    assert np.linalg.norm(x) <= 1.0 + 1e-12  # in the domain B(0, W1)
    assert fx - fz > 1e-4 and float((g * (x - z)).sum()) <= 0.0


def test_adversary_searches_one_hidden_instances_with_the_same_factors(monkeypatch):
    from slqc.falsify import evaluate_many, random_instance

    seen = []
    real = search.probe_batch

    def spy(*a, budget=None, **k):
        seen.append(budget)
        return real(*a, budget=budget, **k)

    monkeypatch.setattr(search, "probe_batch", spy)
    g = torch.Generator().manual_seed(0)
    oh, glm = random_instance("thm4", g, "i0"), random_instance("thm1", g, "i1")
    assert oh.search == ONE_HIDDEN_SEARCH and glm.search == {}
    tiny = {"samples": 64, "rays": 8, "grid": 8, "bisect": 10, "starts": 2, "steps": 3}
    evs = evaluate_many([oh, glm], "quick", [[0], [0]])
    assert sorted(seen, key=str) == sorted([{**BUDGETS["quick"], "vstarts": 4 * BUDGETS["quick"]["vstarts"]},
                                            "quick"], key=str)
    assert evs[0].searched["budget_scale"] == {"vstarts": 4} and "budget_scale" not in evs[1].searched
    seen.clear()
    evaluate_many([oh], tiny, [[0]])  # numbers given explicitly (the adversary's inner searches) are kept
    assert seen == [tiny]
