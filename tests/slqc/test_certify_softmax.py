"""Tests of the softmax + cross-entropy bounds of slqc.certify (Theorem 7, issue 11).

References: the engine's value_and_grad at sampled points of random boxes and of the ball,
the search ``probe`` (an independent lower bound), and the plain-numpy checker of
slqc.certificate, including forged certificates it must reject.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import slqc
from slqc.certificate import verify_certificate
from slqc.certify import SoftmaxCEBounds, certify
from slqc.certify_bench import soundness_check
from slqc.claims import get_claim
from slqc.definitions import f_at, slqc_terms
from slqc.models import GLMObjective

f64 = torch.float64
RTOL = 1e-9


def _thm7(**cfg):
    c = get_claim("thm7")
    s = dict(c.settings("quick")[0])
    s.update(**cfg)
    return c.build(s), c.kappa(s)


@pytest.mark.parametrize("labels", ["idealized", "onehot"])
def test_box_enclosures_hold_at_sampled_points(labels):
    g = torch.Generator().manual_seed(2)
    m, d, k = 8, 2, 3
    X = torch.randn(m, d, generator=g, dtype=f64) / math.sqrt(d)
    z = torch.randn(d, k, generator=g, dtype=f64)
    Y = torch.softmax(X @ z, 1) if labels == "idealized" else \
        torch.nn.functional.one_hot(torch.arange(m) % k, k).to(f64)
    f = GLMObjective(X, Y, "softmax", "ce")
    bd = SoftmaxCEBounds(f, z)
    B, P = 200, 64
    c = (torch.rand(B, d, k, generator=g, dtype=f64) - 0.5) * 4
    half = torch.rand(B, 1, 1, generator=g, dtype=f64) ** 2 + 1e-6
    lo, hi = c - half, c + half
    b = bd.bounds(lo, hi)
    x = lo[:, None] + torch.rand(B, P, d, k, generator=g, dtype=f64) * (hi - lo)[:, None]
    x = torch.cat((x, lo[:, None], hi[:, None]), 1)
    t = slqc_terms(f, x.reshape(-1, d, k), z, f_at(f, z))
    gap, inner, gn = (v.reshape(B, P + 2) for v in (t.gap, t.inner, t.gnorm))
    assert bool((gap <= b.gap_hi[:, None] + RTOL * (1 + gap.abs())).all())
    assert bool((inner >= b.inner_lo[:, None] - RTOL * (1 + inner.abs())).all())
    assert bool((gn <= b.gnorm_hi[:, None] * (1 + RTOL)).all())
    small = half[:, 0, 0] < 1e-4  # not vacuous: tight on small boxes
    assert bool(small.any())
    assert bool((b.gnorm_hi[small] <= 1.01 * gn[small].max(1).values + 1e-12).all())
    assert bool((b.gap_hi[small] <= gap[small].max(1).values + 1e-3).all())


def test_theorem7_bracket_closes_sound_and_checked(tmp_path):
    p, kappa = _thm7(d=1, k=2, m=8, eps=0.05)
    path = tmp_path / "c.npz"
    r = certify(p.f, p.z, 0.05, p.radius, tol=0.1, certificate=path)
    assert r.stopped == "closed" and r.upper <= 1.10 * r.lower * (1 + RTOL)
    s = soundness_check(p.f, p.z, 0.05, path, per_box=6, seed=3)
    assert s["wrong_boxes"] == 0 and s["max_sampled_kappa"] <= r.upper * (1 + RTOL)
    chk = verify_certificate(path)
    assert chk.confirmed and chk.box_ok.all() and abs(chk.lower_recomputed - r.lower) <= 1e-9 * r.lower
    assert slqc.probe(p.f, p.z, 0.05, p.radius, budget="quick").kappa <= r.upper * (1 + RTOL)
    # the claimed constant certifies on the instance, and the checker agrees
    rk = certify(p.f, p.z, 0.05, p.radius, kappa=kappa, certificate=tmp_path / "k.npz")
    assert rk.certified and verify_certificate(tmp_path / "k.npz").confirmed


def test_checker_rejects_forged_softmax_certificates(tmp_path):
    p, _ = _thm7(d=1, k=2, m=8, eps=0.05)
    good = tmp_path / "g.npz"
    r = certify(p.f, p.z, 0.05, p.radius, tol=0.1, certificate=good)
    d = dict(np.load(good))
    np.savez(tmp_path / "b1.npz", **dict(d, upper=np.array(r.lower * 0.9)))
    assert not verify_certificate(tmp_path / "b1.npz").confirmed
    Y = d["Y"].copy()
    Y[:, ::-1] = d["Y"]  # swap the two classes: another objective
    np.savez(tmp_path / "b2.npz", **dict(d, Y=Y))
    assert not verify_certificate(tmp_path / "b2.npz").confirmed


def test_bad_targets_raise():
    X = torch.eye(2, dtype=f64)
    f = GLMObjective(X, torch.tensor([[1.5, -0.5], [0.0, 1.0]], dtype=f64), "softmax", "ce")
    with pytest.raises(ValueError, match=">= 0"):
        certify(f, torch.zeros(2, 2, dtype=f64), eps=0.1, radius=1.0)
