"""Tests of the rule ``coupled`` of slqc.certify (issue 11): the kink hyperplanes <w, x_i> = 0 of
Theorem 1 all meet at the origin, which lies in the domain B(0, W); the plain interval bounds
mix the slopes a and b there and cannot close eps = 1e-2. The rule keeps each term's r and
r (u - u*) on one piece of the arrangement and bounds ||g|| through a direction net.

References: the covering property of the net checked on random directions, the engine's
value_and_grad at sampled points (including points within 1e-9 of the origin in every cell),
the plain-numpy checker of slqc.certificate, and forged certificates it must reject.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import torch

import slqc
from slqc.certificate import _net, verify_certificate
from slqc.certify import GLMBounds, certify, direction_net
from slqc.certify_bench import _claim_instance, soundness_check

C = sys.modules["slqc.certify"]
f64 = torch.float64
RTOL = 1e-9


@pytest.mark.parametrize("D, n", [(1, 1), (2, 8), (3, 4), (4, 4), (3, 8)])
def test_direction_net_covers_every_direction(D, n):
    """max_j <c_j, v> / ||c_j|| >= gamma for unit v (random, axes and diagonals), for both nets."""
    net, gamma = direction_net(D, n)
    net2, gamma2 = _net(D, n)
    assert net.shape[0] == net2.shape[0] == 2 * D * (n + 1) ** (D - 1)
    assert abs(gamma - gamma2) < 1e-9 and gamma == pytest.approx(math.sqrt(1 - (D - 1) / n ** 2), rel=1e-9)
    g = torch.Generator().manual_seed(D)
    v = torch.randn(20000, D, generator=g, dtype=f64)
    v = torch.cat((v, torch.eye(D, dtype=f64), -torch.eye(D, dtype=f64), torch.ones(1, D, dtype=f64)))
    v = v / v.norm(dim=1, keepdim=True)
    for nt in (net, torch.tensor(net2)):
        cos = (v @ (nt / nt.norm(dim=1, keepdim=True)).T).max(1).values
        assert float(cos.min()) >= gamma * (1 - 1e-12)


def test_direction_net_rejects_bad_grids():
    with pytest.raises(ValueError):
        direction_net(3, 3)  # not a power of 2
    with pytest.raises(ValueError):
        direction_net(5, 2)  # sqrt(4) >= 2: gamma would be 0


@pytest.mark.parametrize("d", [2, pytest.param(3, marks=pytest.mark.slow)])
def test_theorem1_eps_1e2_bracket_closes(d, tmp_path):
    """The instance that did not close before (2.83 at d = 2, inf at d = 3) now closes to 1.10,
    every box is confirmed by the numpy checker and none is wrong against sampling."""
    eps = 1e-2
    p, _, _ = _claim_instance("thm1", d, eps)
    path = tmp_path / "c.npz"
    r = certify(p.f, p.z, eps, p.radius, tol=0.1, max_boxes=200_000, certificate=path)
    assert r.stopped == "closed" and r.upper <= 1.10 * r.lower * (1 + RTOL)
    assert r.rules["coupled"] > 0
    chk = verify_certificate(path)
    assert chk.confirmed and chk.box_ok.all(), chk.message
    s = soundness_check(p.f, p.z, eps, path, per_box=3, seed=2)
    assert s["wrong_boxes"] == 0 and s["max_sampled_kappa"] <= r.upper * (1 + RTOL)
    found = slqc.probe(p.f, p.z, eps, p.radius, budget="quick").kappa  # the search: an independent lower bound
    assert found <= r.upper * (1 + RTOL)


def _origin_setup():
    eps = 1e-2
    p, _, _ = _claim_instance("thm1", 2, eps)
    return p, eps, GLMBounds(p.f, p.z)


def test_origin_box_plain_bound_mixes_slopes_but_coupled_discharges_it():
    p, eps, bd = _origin_setup()
    # the supremum of kappa_min over the cells at the origin (limit of w -> 0 along each cell)
    ang = torch.linspace(0, 2 * math.pi, 100_001, dtype=f64)[:-1]
    w = 1e-9 * torch.stack((torch.cos(ang), torch.sin(ang)), 1)
    at0 = float(slqc.kappa_min(p.f, w, p.z, eps).max())
    lo, hi = torch.full((1, 2), -1e-6, dtype=f64), torch.full((1, 2), 1e-6, dtype=f64)
    b = bd.bounds(lo, hi)
    plain = float(eps * b.gnorm_hi / b.inner_lo)
    assert plain > 2.5 * at0  # the mixed slopes: no box around the origin gets below this
    net, gamma = direction_net(2, C.COUPLED_NET[2])
    K = 1.3 * at0
    assert bool(bd.coupled(lo, hi, K, eps, net, gamma)[0])
    assert not bool(bd.coupled(lo, hi, 0.9 * at0, eps, net, gamma)[0])  # below the true value: must fail


def test_coupled_boxes_hold_at_sampled_points():
    """In every box the rule discharges, K <g, x - z> - eps ||g|| > 0 at sampled points (the engine's
    gradient), including points within 1e-9 of the origin when the box contains it."""
    p, eps, bd = _origin_setup()
    g = torch.Generator().manual_seed(5)
    centres = (torch.rand(300, 2, generator=g, dtype=f64) - 0.5) * 1.8
    centres[:20] *= 0.05  # some boxes around the origin
    centres[0] = 0.0
    half = torch.rand(300, 1, generator=g, dtype=f64) * 0.1 + 1e-4
    lo, hi = centres - half, centres + half
    net, gamma = direction_net(2, C.COUPLED_NET[2])
    K = 0.03  # below the supremum (about 0.038): boxes near the worst point must fail
    ok = bd.coupled(lo, hi, K, eps, net, gamma)
    assert 5 <= int(ok.sum()) < 300  # both outcomes occur: the test can fail
    ang = torch.rand(400, generator=g, dtype=f64) * 2 * math.pi
    for i in torch.nonzero(ok).flatten().tolist():
        x = lo[i] + torch.rand(400, 2, generator=g, dtype=f64) * (hi[i] - lo[i])
        if bool(((lo[i] <= 0) & (hi[i] >= 0)).all()):
            x = torch.cat((x, 1e-9 * torch.stack((torch.cos(ang), torch.sin(ang)), 1)))
        _, grad = p.f.value_and_grad(x)
        inner = (grad * (x - p.z)).sum(1)
        assert bool((K * inner - eps * grad.norm(dim=1) > 0).all())


def test_checker_rejects_forged_coupled_leaves(tmp_path):
    eps = 1e-2
    p, _, _ = _claim_instance("thm1", 2, eps)
    good = tmp_path / "good.npz"
    certify(p.f, p.z, eps, p.radius, tol=0.1, certificate=good)
    d = dict(np.load(good))
    cp = np.flatnonzero(d["leaf_rule"] == 4)
    assert cp.size > 0 and verify_certificate(good).confirmed
    # every coupled leaf claims a quarter of its bound: some must fail (the origin cell is at ~0.012)
    b = d["leaf_bound"].copy()
    b[cp] *= 0.25
    bad = tmp_path / "bad1.npz"
    np.savez(bad, **dict(d, leaf_bound=b))
    chk = verify_certificate(bad)
    assert not chk.confirmed and (~chk.box_ok[cp]).any()
    # a "bound" leaf with no finite bound relabelled "coupled" at the final upper
    rule = d["leaf_rule"].copy()
    i = np.flatnonzero((rule == 3) & ~np.isfinite(d["leaf_bound"]) | (rule == 3) & (d["leaf_inner_lo"] <= 0))
    if i.size == 0:  # no such leaf: take the leaf with the largest plain bound
        i = np.array([int(np.flatnonzero(rule == 3)[np.argmax(d["leaf_bound"][rule == 3])])])
    rule[i[0]] = 4
    b2 = d["leaf_bound"].copy()
    b2[i[0]] = float(d["lower"]) * 0.5
    bad2 = tmp_path / "bad2.npz"
    np.savez(bad2, **dict(d, leaf_rule=rule, leaf_bound=b2))
    chk = verify_certificate(bad2)
    assert not chk.confirmed and not chk.box_ok[i[0]]
    # the same certificate without the net: coupled leaves cannot be re-validated
    d3 = {k: v for k, v in d.items() if k != "coupled_n"}
    bad3 = tmp_path / "bad3.npz"
    np.savez(bad3, **d3)
    assert not verify_certificate(bad3).confirmed


def test_coupled_off_reproduces_the_old_gap():
    """With the rule switched off, the eps = 1e-2 bracket stays open (regression reference)."""
    eps = 1e-2
    p, _, _ = _claim_instance("thm1", 2, eps)
    r = certify(p.f, p.z, eps, p.radius, tol=0.1, max_boxes=1000, coupled=False)
    assert r.ratio > 2.0 and r.rules["coupled"] == 0
