"""The empirical-kappa search against analytic ground truth and metamorphic rewrites."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import slqc
from slqc.generators import make_glm

from .strategies import spd_matrices

SMALL = {"samples": 512, "rays": 64, "starts": 8, "steps": 30}  # enough for d <= 8 GLMs

# Named tolerances: the probe reports a certified lower bound on a supremum.
BELOW_TOL = 0.05  # may be at most 5% below the true supremum
ABOVE_RTOL = 1e-9  # and never above it (float rounding only)


@settings(max_examples=8)
@given(spd=spd_matrices(max_dim=50, max_cond=100.0), eps=st.sampled_from([1e-3, 0.05, 1.0]))
def test_quadratic_kappa_is_sqrt_eps_lambda_max(spd, eps):
    S, lmax, lmin, seed = spd
    d = S.shape[0]
    z = 0.3 * torch.randn(d, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    f = lambda x: torch.einsum("pi,ij,pj->p", x - z, S, x - z)
    # a ball around the origin containing the whole level set {f = eps} (radius sqrt(eps/lmin) around z)
    R = float(z.norm()) + 2 * math.sqrt(eps / lmin)
    res = slqc.probe(f, z, eps, R, budget="quick", seed=seed)
    truth = math.sqrt(eps * lmax)
    # closed form: sup over {f(x) - f(z) > eps} of eps ||2S(x-z)|| / (2 (x-z)^T S (x-z)) = sqrt(eps lambda_max(S))
    assert not res.violation
    assert res.kappa <= truth * (1 + ABOVE_RTOL)
    assert res.kappa >= truth * (1 - BELOW_TOL), (res.kappa, truth, res.strategies)
    # the witness is a real point that attains the reported value
    assert float(slqc.kappa_min(f, res.witness.unsqueeze(0), z, eps)[0]) == pytest.approx(res.kappa, rel=1e-9)


def test_double_well_is_not_slqc_and_the_witness_proves_it():
    f = lambda x: (x[:, 0] ** 2 - 1) ** 2 + x[:, 1] ** 2
    z = torch.tensor([1.0, 0.0], dtype=torch.float64)
    eps = 0.1
    res = slqc.probe(f, z, eps, radius=2.0)
    assert res.kappa == math.inf and res.violation
    x = res.witness.clone().requires_grad_(True)
    v = f(x.unsqueeze(0))[0]
    (g,) = torch.autograd.grad(v, x)
    assert float(v.detach()) - float(f(z.unsqueeze(0))[0]) > eps
    assert float(g @ (x.detach() - z)) <= 0


def test_kappa_stop_ends_the_search_with_a_point_above_it():
    f = lambda x: (x**2).sum(1)  # kappa_emp = sqrt(eps) = 0.5
    res = slqc.probe(f, torch.zeros(4, dtype=torch.float64), 0.25, 3.0, kappa_stop=0.3)
    assert res.exceeded and res.kappa > 0.3
    k = slqc.kappa_min(f, res.witness.unsqueeze(0), torch.zeros(4, dtype=torch.float64), 0.25)
    assert float(k[0]) > 0.3


def test_vacuous_domain_reports_zero():
    f = lambda x: (x**2).sum(1)
    res = slqc.probe(f, torch.zeros(3, dtype=torch.float64), eps=10.0, radius=1.0)  # f <= 1 < eps on the ball
    assert res.kappa == 0.0 and res.witness is None and res.max_gap <= 10.0


def test_probe_is_reproducible():
    p = make_glm(8, 64, 2.0, "generalized_relu", a=0.1, b=1.0, seed=3)
    r1 = slqc.probe(p.objective, p.w_star, 0.01, 2.0, seed=5, budget=SMALL)
    r2 = slqc.probe(p.objective, p.w_star, 0.01, 2.0, seed=5, budget=SMALL)
    assert r1.kappa == r2.kappa and r1.points_evaluated == r2.points_evaluated


def test_rotation_of_data_and_weights_leaves_glm_kappa_unchanged():
    # Metamorphic: X -> X Q^T, w -> Q w leaves every <w, x_i> and hence f, kappa_min and the ball unchanged.
    d, eps = 6, 0.02
    p = make_glm(d, 80, 2.0, "generalized_relu", a=0.2, b=1.0, distribution="ball", seed=11)
    Q, _ = torch.linalg.qr(torch.randn(d, d, dtype=torch.float64, generator=torch.Generator().manual_seed(2)))
    f1 = p.objective
    f2 = slqc.models.GLMObjective(p.X @ Q.T, p.Y, f1.act)
    x = 2 * torch.rand(50, d, dtype=torch.float64, generator=torch.Generator().manual_seed(4)) - 1
    torch.testing.assert_close(slqc.kappa_min(f2, x @ Q.T, Q @ p.w_star, eps), slqc.kappa_min(f1, x, p.w_star, eps),
                               rtol=1e-9, atol=0)
    k1 = slqc.probe(f1, p.w_star, eps, 2.0, budget=SMALL, seed=0).kappa
    k2 = slqc.probe(f2, Q @ p.w_star, eps, 2.0, budget=SMALL, seed=0).kappa
    # the search itself is randomized, so the two searches see different points: equal up to search accuracy
    assert k2 == pytest.approx(k1, rel=BELOW_TOL)


@pytest.mark.parametrize("bad, match", [
    (dict(eps=0.0), "eps"), (dict(radius=-1.0), "radius"), (dict(budget="huge"), "budget"), (dict(budget={"rayz": 3}), "budget"),
    (dict(center=torch.zeros(4, dtype=torch.float64)), "center"),
])
def test_probe_bad_input(bad, match):
    kw = dict(f=lambda x: (x**2).sum(1), z=torch.zeros(3, dtype=torch.float64), eps=0.1, radius=1.0)
    kw.update(bad)
    with pytest.raises(ValueError, match=match):
        slqc.probe(**kw)


def test_probe_on_device(device):
    f = lambda x: (x**2).sum(1)
    res = slqc.probe(f, torch.zeros(3, dtype=torch.float64), 0.25, 2.0, device=device)
    assert res.kappa == pytest.approx(0.5, rel=1e-3)
