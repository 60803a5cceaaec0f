"""Definition 1 / 4: exact checks against brute force and closed forms."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import slqc
from slqc.definitions import value_and_grad

from .strategies import eps_values, seeds

RTOL = 1e-9


def quadratic(S: torch.Tensor, z: torch.Tensor):
    return lambda x: torch.einsum("pi,ij,pj->p", x - z, S, x - z)


def _brute_force_holds(f, x, z, eps, kappa, n_y: int, gen) -> torch.Tensor:
    """Definition 1 by dense sampling of y in B(z, eps/kappa) (surface and interior)."""
    x = x.detach()
    xg = x.clone().requires_grad_(True)
    vals = f(xg)
    (g,) = torch.autograd.grad(vals.sum(), xg)
    gap = vals.detach() - f(z.unsqueeze(0)).detach()[0]
    n = z.numel()
    u = torch.randn(n_y, n, generator=gen, dtype=torch.float64)
    u /= u.norm(dim=1, keepdim=True)
    r = (eps / kappa) * torch.rand(n_y, 1, generator=gen, dtype=torch.float64) ** 0.25
    y = z.reshape(1, -1) + torch.cat([u * (eps / kappa), r * u])  # (2 n_y, n)
    # <g, y - x> <= 0 for every sampled y
    ok = torch.einsum("pn,yn->py", g.reshape(len(x), -1), y) - (g.reshape(len(x), -1) * x.reshape(len(x), -1)).sum(1,
                                                                                                                  keepdim=True)
    cond2 = (g.reshape(len(x), -1).norm(dim=1) > 0) & (ok <= 1e-12).all(1)
    return (gap <= eps) | cond2


@given(seed=seeds, eps=eps_values, d=st.integers(1, 3))
def test_is_slqc_never_holds_where_a_sampled_y_breaks_it(seed, eps, d):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(d, d, generator=g, dtype=torch.float64)
    S = A @ A.T + 0.1 * torch.eye(d, dtype=torch.float64)
    z = torch.randn(d, generator=g, dtype=torch.float64)
    f = quadratic(S, z)
    x = z + 2 * torch.randn(200, d, generator=g, dtype=torch.float64)
    kappa = float(torch.rand(1, generator=g)) * 3 + 0.05
    exact = slqc.is_slqc(f, x, z, eps, kappa)
    brute = _brute_force_holds(f, x, z, eps, kappa, 4000, g)
    # brute force samples only part of the ball, so it can only be more lenient:
    assert not bool((exact & ~brute).any()), "is_slqc says 'holds' where a sampled y breaks the inequality"
    # ... and with 4000 y per point on tiny dimensions it agrees except within a hair of the boundary
    km = slqc.kappa_min(f, x, z, eps)
    clear = (km < kappa * 0.98) | (km > kappa * 1.02)
    assert bool((exact[clear] == brute[clear]).all())


@given(seed=seeds, eps=eps_values)
def test_is_slqc_threshold_is_kappa_min(seed, eps):
    g = torch.Generator().manual_seed(seed)
    d = 4
    A = torch.randn(d, d, generator=g, dtype=torch.float64)
    f = quadratic(A @ A.T + 0.2 * torch.eye(d, dtype=torch.float64), torch.zeros(d, dtype=torch.float64))
    z = torch.zeros(d, dtype=torch.float64)
    x = 3 * torch.randn(64, d, generator=g, dtype=torch.float64)
    km = slqc.kappa_min(f, x, z, eps)
    for i in range(x.shape[0]):  # tiny test: a per-point loop over kappas is the reference here
        k = float(km[i])
        if k == 0:
            assert bool(slqc.is_slqc(f, x[i:i + 1], z, eps, 1e-6)[0])
            continue
        assert bool(slqc.is_slqc(f, x[i:i + 1], z, eps, k * (1 + 1e-9))[0])
        assert bool(slqc.is_slqc(f, x[i:i + 1], z, eps, 10 * k)[0])
        assert not bool(slqc.is_slqc(f, x[i:i + 1], z, eps, k * (1 - 1e-6))[0])


def test_kappa_min_closed_form_on_a_quadratic():
    # f(x) = ||x||^2, z = 0: kappa_min(x) = eps * 2||x|| / (2||x||^2) = eps / ||x|| when ||x||^2 > eps.
    z = torch.zeros(3, dtype=torch.float64)
    x = torch.tensor([[2.0, 0, 0], [0, 0.5, 0], [0.1, 0, 0]], dtype=torch.float64)
    km = slqc.kappa_min(lambda p: (p**2).sum(1), x, z, 0.2)
    expected = torch.tensor([0.2 / 2.0, 0.2 / 0.5, 0.0], dtype=torch.float64)
    torch.testing.assert_close(km, expected, rtol=RTOL, atol=0)


def test_kappa_min_inf_where_gradient_vanishes_or_points_towards_z():
    f = lambda x: (x[:, 0] ** 2 - 1) ** 2 + x[:, 1] ** 2  # double well, z = (1, 0)
    z = torch.tensor([1.0, 0.0], dtype=torch.float64)
    x = torch.tensor([[0.0, 0.0], [-0.5, 0.0], [1.5, 0.0]], dtype=torch.float64)
    km = slqc.kappa_min(f, x, z, 0.1)
    assert km[0] == math.inf and km[1] == math.inf and math.isfinite(float(km[2]))


def test_matrix_points_use_frobenius():
    # f(W) = ||W||_F^2 over 2x3 matrices equals the vector case on 6 coordinates.
    z = torch.zeros(2, 3, dtype=torch.float64)
    x = torch.randn(10, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    km_mat = slqc.kappa_min(lambda W: (W**2).sum((1, 2)), x, z, 0.3)
    km_vec = slqc.kappa_min(lambda w: (w**2).sum(1), x.reshape(10, 6), z.reshape(6), 0.3)
    torch.testing.assert_close(km_mat, km_vec, rtol=RTOL, atol=0)


def test_value_and_grad_autograd_matches_per_point():
    g = torch.Generator().manual_seed(0)
    f = lambda x: torch.sin(x).sum(1) + (x**2).sum(1) ** 1.5
    x = torch.randn(7, 5, dtype=torch.float64, generator=g)
    vals, grads = value_and_grad(f, x)
    for p in range(7):
        xp = x[p:p + 1].clone().requires_grad_(True)
        (gp,) = torch.autograd.grad(f(xp).sum(), xp)
        torch.testing.assert_close(grads[p], gp[0], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(eps=0.0, kappa=1.0), "eps"),
        (dict(eps=-1.0, kappa=1.0), "eps"),
        (dict(eps=0.1, kappa=0.0), "kappa"),
        (dict(eps=float("nan"), kappa=1.0), "eps"),
    ],
)
def test_bad_numbers_raise_clear_errors(kwargs, message):
    f = lambda x: (x**2).sum(1)
    with pytest.raises(ValueError, match=message):
        slqc.is_slqc(f, torch.zeros(2, 3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64), **kwargs)


def test_bad_shapes_and_values_raise():
    z = torch.zeros(3, dtype=torch.float64)
    with pytest.raises(ValueError, match="shape"):
        slqc.kappa_min(lambda x: (x**2).sum(1), torch.zeros(2, 4, dtype=torch.float64), z, 0.1)
    with pytest.raises(ValueError, match="NaN"):
        slqc.kappa_min(lambda x: (x**2).sum(1), torch.full((2, 3), float("nan"), dtype=torch.float64), z, 0.1)
    with pytest.raises(ValueError, match="shape"):
        slqc.kappa_min(lambda x: (x**2), torch.zeros(2, 3, dtype=torch.float64), z, 0.1)
    with pytest.raises(ValueError, match="NaN or inf"):
        slqc.kappa_min(lambda x: x.sum(1) / 0.0, torch.ones(2, 3, dtype=torch.float64), z, 0.1)
