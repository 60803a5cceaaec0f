"""slqc.falsify: the adversary over a claim's instances (issue 10).

Cheap by design (tiny instance counts): the adversary finds Corollary 1's known violation
(ReLU, nonnegative data: a zero-gradient point) and its witness verifies with plain
numpy; on a claim that holds with a huge slack it reports a finite slack whose kappa the
numpy re-check reproduces; every instance it draws or mutates satisfies the hypotheses;
the batched screening agrees with the engine's objectives point by point.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from slqc import cli, jsonio
from slqc.check import VERDICTS
from slqc.claims import get_claim
from slqc.falsify import (SUPPORTED, _batched_values, falsify, labels_of, mutate, objective_of, random_instance,
                          screen)
from slqc.verify import verify_witness


#: a tier smaller than quick, for tests that only need the adversary's plumbing
TINY = dict(instances=4, generations=1, probed=2, elites=1, points=32,
            inner=dict(samples=64, rays=8, grid=8, bisect=10, starts=2, steps=3),
            final=dict(samples=128, rays=16, grid=8, bisect=10, starts=2, steps=5), final_seeds=1)


def _bound(inst):
    s = inst.setting
    return s["W1"] if inst.family == "one_hidden" else s["W"] * s["wstar"]


@pytest.mark.parametrize("claim", SUPPORTED)
def test_instances_satisfy_the_hypotheses(claim):
    g = torch.Generator().manual_seed(3)
    insts = [random_instance(claim, g, f"i{j}") for j in range(12)]
    insts += [mutate(i, g, "m") for i in insts for _ in range(2)]
    for inst in insts:
        s = inst.setting
        assert float(torch.linalg.vector_norm(inst.X, dim=1).max()) <= 1 + 1e-12
        assert float(torch.linalg.vector_norm(inst.z)) <= _bound(inst) * (1 + 1e-12)
        if "a" in s:
            assert 0 < s["a"] <= s["b"]
        assert s["eps"] > 0 and s["source"] == "adversary"
        if inst.family == "one_hidden":
            assert float(torch.linalg.vector_norm(inst.w2)) <= s["W2"] * (1 + 1e-12)
            assert float(torch.linalg.vector_norm(inst.W2s)) <= s["W2"] * (1 + 1e-12)
        if claim == "hazan":
            assert inst.radius == pytest.approx(float(torch.linalg.vector_norm(inst.z)))
        kc = get_claim(claim).kappa(s)
        assert isinstance(kc, float)


@pytest.mark.parametrize("claim", ["thm1", "thm3", "thm4", "thm5", "thm7"])
def test_batched_screen_agrees_with_the_engine(claim):
    """The stacked objective of a same-shape group equals each instance's engine objective."""
    g = torch.Generator().manual_seed(1)
    first = random_instance(claim, g, "a")
    group = [first] + [mutate(first, g, f"b{j}") for j in range(3)]
    P = torch.stack([i.z + 0.3 * torch.randn((5,) + tuple(i.z.shape), generator=g, dtype=torch.float64)
                     for i in group])
    vals = _batched_values(group, P)
    for j, inst in enumerate(group):
        f, _ = objective_of(inst)
        torch.testing.assert_close(vals[j], f(P[j]), rtol=1e-12, atol=1e-14)
    out = screen(group, 16, g)
    assert len(out) == len(group) and all(k >= 0 for k, _ in out)


def test_labels_are_the_idealized_model():
    g = torch.Generator().manual_seed(0)
    inst = random_instance("thm1", g)
    s = inst.setting
    t = inst.X @ inst.z
    ref = torch.where(t >= 0, s["b"] * t, s["a"] * t)  # Definition 3, written out
    torch.testing.assert_close(labels_of(inst), ref)


def test_finds_corollary1_violation_and_its_witness_verifies(tmp_path, capsys):
    res = falsify("cor1", budget="quick", instances=6, seed=0, witness_dir=str(tmp_path),
                  fixed={"data": "nonneg", "m": 4, "d": 8})
    w = res.worst
    assert w.violation and w.slack == 0.0 and math.isinf(w.kappa_empirical)
    assert res.confirmed and res.witness
    r = verify_witness(res.witness)
    assert r.valid and r.fails and r.claim == "cor1"
    # no kappa works: f(x) - f(w*) > eps with g = 0 or <g, x - w*> < 0, recomputed by numpy
    assert r.gap > w.instance.setting["eps"] and (r.gnorm == 0 or r.inner < 0)
    assert cli.main(["verify", res.witness]) == 0
    rec = res.records()[0]
    assert rec["verdict"] == "violated" and rec["no_kappa_point"] and rec["setting"]["source"] == "adversary"
    assert rec["witness"] == res.witness and rec["searched"]["source"] == "adversary"


def test_huge_slack_claim_reports_a_finite_slack(tmp_path, monkeypatch):
    """Theorem 7 holds with a large slack: finite slack > 1, and numpy reproduces the empirical kappa at x."""
    import slqc.falsify as F

    monkeypatch.setitem(F.TIERS, "quick", TINY)
    res = falsify("thm7", budget="quick", instances=4, seed=0, witness_dir=str(tmp_path))
    w = res.worst
    assert not w.violation and 0 < w.kappa_empirical < math.inf
    assert w.slack is not None and 1 < w.slack < math.inf
    assert w.slack == pytest.approx(w.kappa_claimed / w.kappa_empirical)
    r = verify_witness(res.witness)
    assert r.valid and not r.fails  # the definition holds at the worst point
    assert r.kappa_min == pytest.approx(w.kappa_empirical, rel=1e-6)
    rec = res.records()[0]
    assert rec["verdict"] == "holds" and rec["slack"] == pytest.approx(w.slack)
    assert set(rec) >= {"claim", "theorem", "setting", "label", "eps", "kappa_claimed", "kappa_empirical",
                        "verdict", "slack", "witness", "points_evaluated", "seconds", "note"}
    assert rec["verdict"] in VERDICTS


def test_theorem4_no_kappa_witness_is_consistent(tmp_path):
    """Whatever the adversary finds on Theorem 4 (w2 = w2*), its witness re-checks to the same verdict."""
    res = falsify("thm4", budget="quick", instances=8, seed=0, witness_dir=str(tmp_path), fixed={"w2": "w2*"})
    rec = res.records()[0]
    assert rec["vacuous_as_stated"] == (not (res.worst.kappa_claimed > 0))
    if res.worst.violation:
        r = verify_witness(res.witness)
        assert r.kind == ("no_kappa" if res.worst.kappa_claimed <= 0 else "slqc")
        assert r.valid and r.fails == res.confirmed
        assert rec["verdict"] == ("violated" if res.confirmed else "inconclusive")
    else:
        assert rec["verdict"] in ("vacuous", "holds")


def test_cli_falsify_json_and_bad_inputs(tmp_path, capsys, monkeypatch):
    import slqc.falsify as F

    monkeypatch.setitem(F.TIERS, "quick", TINY)
    out = tmp_path / "f.json"
    code = cli.main(["falsify", "cor2", "--instances", "4", "--no-progress", "--json", str(out),
                     "--witness-dir", str(tmp_path / "w")])
    assert code == 0
    text = capsys.readouterr().out
    assert "cor2:" in text and "worst instance" in text
    doc = jsonio.read(out)
    assert doc["records"][0]["claim"] == "cor2" and doc["records"][0]["setting"]["source"] == "adversary"
    for argv, needle in ((["falsify", "thm8"], "supports"), (["falsify", "thm1", "--instances", "1"], ">= 2"),
                         (["falsify", "thm1", "--json", str(tmp_path)], "directory"),
                         (["falsify", "thm1", "--fix", "zz=1"], "KEY=VALUE"),
                         (["falsify", "thm1", "--fix", "a=x"], "not a number"),
                         (["falsify", "thm1", "--fix", "a=2", "--fix", "b=1"], "a <= b")):
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and needle in err[0], (argv, err)


def test_command_constants_match_the_module():
    from slqc.commands import falsify as cmd
    from slqc.falsify import TIERS

    assert cmd.SUPPORTED == SUPPORTED and cmd.BUDGETS == tuple(TIERS)


def test_seed_reproducible(monkeypatch):
    import slqc.falsify as F

    monkeypatch.setitem(F.TIERS, "quick", TINY)
    a = falsify("thm1", budget="quick", instances=4, seed=5)
    b = falsify("thm1", budget="quick", instances=4, seed=5)
    assert a.worst.kappa_empirical == b.worst.kappa_empirical
    assert torch.equal(a.worst.witness, b.worst.witness)
    assert a.worst.instance.setting == b.worst.instance.setting
    assert np.array_equal(a.worst.instance.X.numpy(), b.worst.instance.X.numpy())


@pytest.mark.slow
def test_theorem4_standard_finds_a_no_kappa_point(tmp_path):
    """The standard adversary finds, on Theorem 4 with w2 = w2*, a point where no kappa works (issue 10)."""
    res = falsify("thm4", budget="standard", seed=0, witness_dir=str(tmp_path), fixed={"w2": "w2*"})
    assert res.worst.violation and res.confirmed


def test_inner_search_matches_the_analytic_kappa_at_a_equals_b():
    """a = b (a linear unit), every x_i = e1, ||w*|| = W: f(w) = b^2 <w - w*, e1>^2, so on the level set
    kappa_min = eps / |d_1| with b^2 d_1^2 > eps: kappa_emp = b sqrt(eps) (an analytic reference). The claimed
    2 b^3 W / a = 2 b^2 W gives slack 2 b W / sqrt(eps) -> 1 as eps -> 4 b^2 W^2: Theorem 1 is tight at a = b."""
    from slqc.falsify import Instance, evaluate

    b, W, eps = 1.5, 1.0, 4.0
    X = torch.tensor([[1.0, 0.0]] * 3, dtype=torch.float64)
    z = torch.tensor([W, 0.0], dtype=torch.float64)
    s = {"activation": "generalized_relu", "a": b, "b": b, "W": W, "wstar": 1.0, "eps": eps, "k": 1, "m": 3, "d": 2}
    ev = evaluate(Instance("thm1", s, X, z), "quick", [0])
    ref = b * math.sqrt(eps)
    assert 0.99 * ref <= ev.kappa_empirical <= ref * (1 + 1e-9)
    assert ev.slack == pytest.approx(2 * b * W / math.sqrt(eps), rel=0.011)
