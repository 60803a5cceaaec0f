"""Tests of slqc.certify (issue 11): analytic brackets, soundness against sampling, planted
violations that must not certify, and the numpy certificate checker agreeing on every box.

References are independent of the bounds: closed forms (quadratic forms, a one-sample GLM),
dense sampling evaluated by the engine's value_and_grad, the adversarial search ``probe``, and
the plain-numpy checker of :mod:`slqc.certificate`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import slqc
from slqc.certificate import verify_certificate
from slqc.certify import QuadraticForm, certify
from slqc.certify_bench import soundness_check
from slqc.claims import get_claim
from slqc.cli import main
from slqc.models import GLMObjective, OneHiddenObjective

#: bracket target of issue 11 (upper / lower) with tol = 0.1
BRACKET = 1.10
#: relative slack for "computed <= bound" comparisons against float evaluations
RTOL = 1e-9

f64 = torch.float64


def claim_instance(name, d, eps, m=16, **extra):
    claim = get_claim(name)
    s = dict(claim.settings("quick")[0])
    s.update(d=d, m=m, eps=eps, **extra)
    if name == "thm6":
        s["labels"] = "idealized"
    p = claim.build(s)
    return p, claim.kappa(s)


# ---------------------------------------------------------------------- analytic brackets
@pytest.mark.parametrize("lam, eps", [([1.0], 0.25), ([1.0, 1.0], 0.01), ([1.0, 3.0, 0.5], 0.01), ([0.2, 2.0], 0.04)],
                         ids=["I1", "I2", "diag3", "diag2"])
def test_quadratic_bracket_contains_analytic_supremum(lam, eps):
    q = QuadraticForm(torch.diag(torch.tensor(lam, dtype=f64)))
    r = certify(q, torch.zeros(len(lam), dtype=f64), eps=eps, radius=1.0, tol=0.1)
    exact = math.sqrt(max(lam) * eps)  # sup kappa_min = sqrt(lambda_max eps)
    assert r.lower <= exact * (1 + RTOL)
    assert exact <= r.upper
    assert r.upper <= BRACKET * r.lower * (1 + RTOL)
    assert r.stopped == "closed"


def test_rotated_quadratic_bracket():
    g = torch.Generator().manual_seed(3)
    Q, _ = torch.linalg.qr(torch.randn(3, 3, generator=g, dtype=f64))
    A = Q @ torch.diag(torch.tensor([2.0, 1.0, 0.25], dtype=f64)) @ Q.T
    A = (A + A.T) / 2
    r = certify(QuadraticForm(A), torch.zeros(3, dtype=f64), eps=0.01, radius=1.0, tol=0.1)
    exact = math.sqrt(2.0 * 0.01)
    assert r.lower <= exact * (1 + 1e-6) and exact <= r.upper <= BRACKET * r.lower * (1 + RTOL)


@pytest.mark.parametrize("wstar", [0.5, 0.0], ids=["smooth", "z_at_kink"])
def test_one_sample_glm_bracket(wstar):
    """d = m = 1, x_1 = 1: kappa_min(w) = eps / |w - w*|, so sup = eps / (distance from w* to the level set)
    = b sqrt(eps) (the slope b side is nearer). With w* = 0 the reference sits on the kink."""
    a, b, eps = 0.2, 1.5, 0.01
    f = GLMObjective(torch.ones(1, 1, dtype=f64), torch.tensor([b * wstar], dtype=f64),
                     slqc.activations.get_activation("generalized_relu", a=a, b=b))
    r = certify(f, torch.tensor([wstar], dtype=f64), eps=eps, radius=1.0, tol=0.05)
    exact = b * math.sqrt(eps)
    assert r.lower <= exact * (1 + RTOL) <= r.upper * (1 + RTOL)
    assert r.upper <= 1.05 * r.lower * (1 + RTOL)


def test_theorem1_bracket_closes_and_holds_the_search():
    p, _ = claim_instance("thm1", 2, 1e-3)
    r = certify(p.f, p.z, 1e-3, p.radius, tol=0.1)
    assert r.upper <= BRACKET * r.lower * (1 + RTOL)
    found = slqc.probe(p.f, p.z, 1e-3, p.radius, budget="quick").kappa  # independent lower bound
    assert found <= r.upper * (1 + RTOL)


# ---------------------------------------------------------------------- soundness against sampling
CASES = [
    dict(id="quadratic", kind="quad"),
    dict(id="thm1-grelu", claim="thm1", d=2, eps=1e-3),
    dict(id="cor1-relu-ball", claim="cor1", d=2, eps=1e-3),
    dict(id="hazan-sigmoid", claim="hazan", d=2, eps=1e-2),
    dict(id="thm6-bce", claim="thm6", d=2, eps=1e-2),
    dict(id="thm3-multi", claim="thm3", d=1, eps=1e-2, extra={"k": 2}),
]


def _case(c):
    if c.get("kind") == "quad":
        A = torch.tensor([[1.0, 0.3], [0.3, 0.5]], dtype=f64)
        return QuadraticForm(A), torch.zeros(2, dtype=f64), 0.01, 1.0
    p, _ = claim_instance(c["claim"], c["d"], c["eps"], **c.get("extra", {}))
    return p.f, p.z, c["eps"], p.radius


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_no_box_wrong_against_sampling_and_checker_agrees(case, tmp_path):
    f, z, eps, R = _case(case)
    path = tmp_path / "c.npz"
    r = certify(f, z, eps, R, tol=0.3, max_boxes=3000, certificate=path)
    s = soundness_check(f, z, eps, path, per_box=6, seed=1)
    assert s["wrong_boxes"] == 0
    assert s["max_sampled_kappa"] <= r.upper * (1 + RTOL)
    chk = verify_certificate(path)
    assert chk.confirmed, chk.message
    assert chk.box_ok is not None and chk.box_ok.all() and chk.boxes == r.boxes


def test_dense_sampling_of_the_ball_stays_below_upper():
    p, _ = claim_instance("thm1", 2, 1e-3)
    r = certify(p.f, p.z, 1e-3, p.radius, tol=0.1)
    g = torch.Generator().manual_seed(0)
    ang = torch.rand(200_000, generator=g, dtype=f64) * 2 * math.pi
    rad = torch.sqrt(torch.rand(200_000, generator=g, dtype=f64)) * p.radius
    x = torch.stack((rad * torch.cos(ang), rad * torch.sin(ang)), 1)
    assert float(slqc.kappa_min(p.f, x, p.z, 1e-3).max()) <= r.upper * (1 + RTOL)


# ---------------------------------------------------------------------- planted violations
def test_violated_corollary1_never_certifies(tmp_path):
    p, kappa = claim_instance("cor1", 3, 1e-3, distribution="nonneg")
    r = certify(p.f, p.z, 1e-3, p.radius, kappa=kappa, certificate=tmp_path / "v.npz")
    assert r.certified is False and r.upper == math.inf and r.lower == math.inf
    chk = verify_certificate(tmp_path / "v.npz")
    assert chk.confirmed and "not certified" in chk.message


def test_target_below_the_supremum_is_refuted():
    q = QuadraticForm(torch.eye(2, dtype=f64))
    r = certify(q, torch.zeros(2, dtype=f64), eps=0.01, radius=1.0, kappa=0.09)  # sup = 0.1
    assert r.certified is False and r.lower > 0.09 and r.stopped == "refuted"


def test_claims_certify_on_small_instances(tmp_path):
    for name in ("thm1", "hazan", "thm6"):
        p, kappa = claim_instance(name, 3, 1e-3)
        r = certify(p.f, p.z, 1e-3, p.radius, kappa=kappa, certificate=tmp_path / f"{name}.npz")
        assert r.certified and r.upper <= kappa
        assert verify_certificate(tmp_path / f"{name}.npz").confirmed


# ---------------------------------------------------------------------- the checker rejects forgeries
def _rewrite(src, dst, **changes):
    d = dict(np.load(src))
    d.update(changes)
    np.savez(dst, **d)
    return dst


def test_checker_rejects_tampered_certificates(tmp_path):
    q = QuadraticForm(torch.eye(2, dtype=f64))
    good = tmp_path / "good.npz"
    r = certify(q, torch.zeros(2, dtype=f64), eps=0.01, radius=1.0, tol=0.1, certificate=good)
    assert verify_certificate(good).confirmed
    d = np.load(good)
    # a smaller upper than proven
    bad1 = _rewrite(good, tmp_path / "b1.npz", upper=np.array(r.lower * 0.9))
    assert not verify_certificate(bad1).confirmed
    # a box relabelled "level" where f - f(z) exceeds eps
    rule = d["leaf_rule"].copy()
    i = int(np.flatnonzero(rule == 3)[np.argmax(d["leaf_bound"][rule == 3])])
    rule[i] = 1
    bad2 = _rewrite(good, tmp_path / "b2.npz", leaf_rule=rule)
    chk = verify_certificate(bad2)
    assert not chk.confirmed and chk.failed >= 1 and not chk.box_ok[i]
    # a leaf dropped from the cover
    keep = np.arange(d["leaf_node"].size) != 0
    bad3 = _rewrite(good, tmp_path / "b3.npz", **{k: d[k][keep] for k in d.files if k.startswith("leaf_")})
    assert "leaves" in verify_certificate(bad3).message
    # a root that does not contain the ball
    bad4 = _rewrite(good, tmp_path / "b4.npz", root_lo=d["root_lo"] + 0.01)
    assert not verify_certificate(bad4).confirmed


# ---------------------------------------------------------------------- API and CLI
def test_bad_input_raises_one_clear_error():
    q = QuadraticForm(torch.eye(2, dtype=f64))
    with pytest.raises(ValueError, match="eps"):
        certify(q, torch.zeros(2, dtype=f64), eps=0.0, radius=1.0)
    with pytest.raises(ValueError, match="tol"):
        certify(q, torch.zeros(2, dtype=f64), eps=0.1, radius=1.0, tol=-1)
    with pytest.raises(ValueError, match="certify needs"):  # no bounds(lo, hi, z) and not a known model
        certify(lambda x: (x * x).sum(1), torch.zeros(2, dtype=f64), eps=0.1, radius=1.0)
    oh = OneHiddenObjective(torch.eye(2, dtype=f64), torch.zeros(2, dtype=f64), torch.ones(2, dtype=f64),
                            "generalized_relu", "generalized_relu", "bce")
    with pytest.raises(ValueError, match="bce"):  # bce needs a sigmoid output
        certify(oh, torch.zeros(2, 2, dtype=f64), eps=0.1, radius=1.0)


def test_public_export_and_result_dict():
    assert slqc.certify is certify and slqc.certify.certify is certify
    r = slqc.certify(QuadraticForm(torch.eye(1, dtype=f64)), torch.zeros(1, dtype=f64), eps=0.25, radius=1.0,
                     kappa=1.0)
    d = r.to_dict()
    assert d["certified"] is True and d["upper"] <= 1.0
    assert set(d["rules"]) == {"outside", "level", "kappa", "bound", "coupled"}


def test_cli_certify_and_verify(tmp_path, capsys):
    cert = tmp_path / "c.npz"
    assert main(["certify", "--claim", "thm1", "--d", "2", "--m", "8", "--certificate", str(cert)]) == 0
    out = capsys.readouterr().out
    assert "CERTIFIED" in out and cert.exists()
    assert main(["verify", str(cert)]) == 0
    assert main(["certify", "--quadratic", "1,2", "--eps", "0.01", "--no-kappa"]) == 0
    assert "ratio" in capsys.readouterr().out
    assert main(["certify", "--claim", "cor1", "--d", "2", "--set", "distribution=nonneg"]) == 1
    assert main(["certify", "--claim", "thm8"]) == 2
    assert "error" in capsys.readouterr().err


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    p, kappa = claim_instance("thm1", 2, 1e-3)
    a = certify(p.f, p.z, 1e-3, p.radius, tol=0.1)
    f = GLMObjective(p.f.X.cuda(), p.f.Y.cuda(), p.f.act, p.f.loss)
    b = certify(f, p.z.cuda(), 1e-3, p.radius, tol=0.1, device="cuda")
    assert b.upper <= BRACKET * b.lower * (1 + RTOL)
    assert abs(a.upper - b.upper) <= 1e-6 * a.upper


# ---------------------------------------------------------------------- slow tier
@pytest.mark.slow
@pytest.mark.parametrize("name", ["thm1", "thm3", "hazan", "thm6"])
def test_claims_certify_at_d4(name):
    p, kappa = claim_instance(name, 4, 1e-3, m=32)
    r = certify(p.f, p.z, 1e-3, p.radius, kappa=kappa, max_boxes=2_000_000)
    assert r.certified and r.upper <= kappa


@pytest.mark.slow
@pytest.mark.parametrize("eps", [1e-3, 1e-4])
def test_theorem1_bracket_d3(eps, tmp_path):
    p, _ = claim_instance("thm1", 3, eps, m=32)
    r = certify(p.f, p.z, eps, p.radius, tol=0.1, max_boxes=2_000_000, certificate=tmp_path / "c.npz")
    assert r.upper <= BRACKET * r.lower * (1 + RTOL)
    assert soundness_check(p.f, p.z, eps, tmp_path / "c.npz", per_box=2)["wrong_boxes"] == 0
    assert verify_certificate(tmp_path / "c.npz").confirmed


def test_bench_certify_rejects_unknown_budget(capsys):
    assert main(["bench", "--certify", "--budget", "bogus"]) == 2
    assert "budget" in capsys.readouterr().err
