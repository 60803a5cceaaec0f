"""Tests of the one-hidden-layer bounds of slqc.certify (Theorems 4-5, issue 11): interval bounds
through the hidden layer with W2 fixed. They are loose; the tests check soundness against
independent references: an analytic supremum (identity activations reduce f to a quadratic
form), the engine's value_and_grad at sampled points of random boxes and of the ball, and the
plain-numpy checker of slqc.certificate.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import slqc
from slqc.certificate import verify_certificate
from slqc.certify import OneHiddenBounds, certify
from slqc.certify_bench import soundness_check
from slqc.claims import get_claim
from slqc.definitions import f_at, slqc_terms
from slqc.models import OneHiddenObjective

f64 = torch.float64
RTOL = 1e-9


def _claim(name, **cfg):
    c = get_claim(name)
    s = dict(c.settings("quick")[0])
    s.update(**cfg)
    return c.build(s)


def _random_model(act1, act2, loss, seed=0, m=8, d=2, h=2):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(m, d, generator=g, dtype=f64) / math.sqrt(d)
    W2 = torch.randn(h, generator=g, dtype=f64)
    z = torch.randn(d, h, generator=g, dtype=f64) * 0.4
    f0 = OneHiddenObjective(X, torch.zeros(m, dtype=f64), W2, act1, act2, loss)
    t = f0.act1.phi(X @ z) @ W2
    Y = f0.act2.phi(t) if loss == "squared" else torch.sigmoid(t)  # idealized labels
    return OneHiddenObjective(X, Y, W2, act1, act2, loss), z


def test_identity_network_is_a_quadratic_form_and_its_bracket_holds_the_analytic_value(tmp_path):
    """phi1 = phi2 = identity, h = 1, w2 = 1, Y = X z: f(w) = (w - z)^T (X^T X / m) (w - z), so
    sup kappa_min = sqrt(eps lambda_max)."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(8, 2, generator=g, dtype=f64)
    z = torch.zeros(2, 1, dtype=f64)
    f = OneHiddenObjective(X, X @ z[:, 0], torch.ones(1, dtype=f64), "identity", "identity")
    eps = 0.04
    exact = math.sqrt(eps * float(torch.linalg.eigvalsh(X.T @ X / 8).max()))
    r = certify(f, z, eps, 1.0, tol=0.1, certificate=tmp_path / "c.npz")
    assert r.lower <= exact * (1 + RTOL) and exact <= r.upper <= 1.1 * r.lower * (1 + RTOL)
    chk = verify_certificate(tmp_path / "c.npz")
    assert chk.confirmed and chk.box_ok.all(), chk.message


MODELS = [("generalized_relu", "generalized_relu", "squared"), ("relu", "identity", "squared"),
          ("sigmoid", "sigmoid", "squared"), ("generalized_relu", "sigmoid", "bce"), ("identity", "relu", "squared")]


@pytest.mark.parametrize("act1, act2, loss", MODELS, ids=["-".join(m) for m in MODELS])
def test_box_enclosures_hold_at_sampled_points(act1, act2, loss):
    """Random boxes of many sizes (some around the origin, where every kink meets): f - f(z),
    <g, W1 - W1*> and ||g|| at 64 points of each box lie inside the box's enclosures."""
    f, z = _random_model(act1, act2, loss)
    bd = OneHiddenBounds(f, z)
    g = torch.Generator().manual_seed(1)
    B, P = 200, 64
    c = (torch.rand(B, 2, 2, generator=g, dtype=f64) - 0.5) * 2
    c[:20] *= 0.01
    half = torch.rand(B, 1, 1, generator=g, dtype=f64) ** 2 * 0.5 + 1e-6
    lo, hi = c - half, c + half
    b = bd.bounds(lo, hi)
    x = lo[:, None] + torch.rand(B, P, 2, 2, generator=g, dtype=f64) * (hi - lo)[:, None]
    x = torch.cat((x, lo[:, None], hi[:, None]), 1)
    t = slqc_terms(f, x.reshape(-1, 2, 2), z, f_at(f, z))
    gap, inner, gn = (v.reshape(B, P + 2) for v in (t.gap, t.inner, t.gnorm))
    assert bool((gap <= b.gap_hi[:, None] + RTOL * (1 + gap.abs())).all())
    assert bool((inner >= b.inner_lo[:, None] - RTOL * (1 + inner.abs())).all())
    assert bool((gn <= b.gnorm_hi[:, None] * (1 + RTOL)).all())
    # not vacuous: the enclosures of the smallest boxes are within 10 % of the sampled range
    small = half[:, 0, 0] < 1e-4
    assert bool(small.any())
    assert bool((b.gnorm_hi[small] <= 1.1 * gn[small].max(1).values + 1e-12).all())


@pytest.mark.parametrize("name, cfg", [("thm4", dict(d=2, hidden=1, m=8)), ("thm5", dict(d=1, hidden=2, m=8))],
                         ids=["thm4", "thm5"])
def test_claim_instances_sound_against_sampling_and_checker(name, cfg, tmp_path):
    p = _claim(name, **cfg)
    eps = 0.05
    path = tmp_path / "c.npz"
    r = certify(p.f, p.z, eps, p.radius, tol=0.3, max_boxes=6000, certificate=path)
    assert math.isfinite(r.upper)
    s = soundness_check(p.f, p.z, eps, path, per_box=6, seed=3)
    assert s["wrong_boxes"] == 0 and s["max_sampled_kappa"] <= r.upper * (1 + RTOL)
    chk = verify_certificate(path)
    assert chk.confirmed and chk.box_ok.all() and abs(chk.lower_recomputed - r.lower) <= 1e-9 * r.lower
    # dense sampling of the ball (W1 of shape (d, h), norm <= radius)
    g = torch.Generator().manual_seed(4)
    v = torch.randn(50_000, *p.z.shape, generator=g, dtype=f64)
    n = v.reshape(v.shape[0], -1).norm(dim=1)[:, None, None]
    rad = torch.rand(v.shape[0], 1, 1, generator=g, dtype=f64) ** (1 / p.z.numel()) * p.radius
    assert float(slqc.kappa_min(p.f, v / n * rad, p.z, eps).max()) <= r.upper * (1 + RTOL)


def test_checker_rejects_a_forged_one_hidden_certificate(tmp_path):
    p = _claim("thm4", d=1, hidden=2, m=8)
    good = tmp_path / "g.npz"
    r = certify(p.f, p.z, 0.05, p.radius, tol=0.3, certificate=good)
    assert verify_certificate(good).confirmed
    d = dict(np.load(good))
    np.savez(tmp_path / "b.npz", **dict(d, upper=np.array(r.lower * 0.9)))
    assert not verify_certificate(tmp_path / "b.npz").confirmed
    W2 = d["W2"].copy()
    W2 *= 3.0  # another network: the stored bounds no longer hold
    np.savez(tmp_path / "b2.npz", **dict(d, W2=W2))
    assert not verify_certificate(tmp_path / "b2.npz").confirmed
