"""The generalized ReLU's subgradient without torch.where: g = a or b to the last bit (Definition 3, g(0) = b).

Reference: ``torch.where(t >= 0, b, a)`` and ``torch.where(t >= 0, b t, a t)``, compared bit for bit.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from slqc.activations import GeneralizedReLU, ReLU, exact_rise, two_slopes
from slqc.models import GLMObjective
from slqc.stack import _SlopeAct

EDGES = [0.0, -0.0, math.nan, math.inf, -math.inf, 1e-300, -1e-300, 5e-324, -5e-324]


def _t(dtype, n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.cat([torch.randn(n, generator=g, dtype=dtype) * 3, torch.tensor(EDGES, dtype=torch.float64).to(dtype)])


def _same(x, y):
    return torch.equal(torch.nan_to_num(x, nan=7.0), torch.nan_to_num(y, nan=7.0))


@settings(max_examples=60, deadline=None)
@given(a=st.floats(0.0, 4.0), extra=st.floats(0.0, 8.0), f32=st.booleans())
def test_slope_and_phi_equal_where_bit_for_bit(a, extra, f32):
    dtype = torch.float32 if f32 else torch.float64
    b = a + extra
    if b <= 0:
        return
    act = ReLU(b) if a == 0 else GeneralizedReLU(a, b)
    t = _t(dtype)
    A, B = float(torch.tensor(act.a, dtype=dtype)), float(torch.tensor(act.b, dtype=dtype))
    assert _same(act.grad(t), torch.where(t >= 0, torch.full_like(t, B), torch.full_like(t, A)))
    assert _same(act.phi(t), torch.where(t >= 0, act.b * t, act.a * t))


@pytest.mark.parametrize("a, b", [(0.19216462551524305, 0.9410478535132479), (0.7197046875953674, 1.9097932577133179)])
def test_no_exact_step_falls_back_to_the_two_masks(a, b):
    """float32 pairs with a + (b - a) != b: a has a finer last bit than b, every a + d can be a tie that
    rounds to even, so no step exists (exact_rise gives None) and the two-mask form keeps g exact."""
    A, B = torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32)
    assert not torch.equal(A + (B - A), B)
    assert exact_rise(A, B) is None
    act = GeneralizedReLU(a, b)
    assert act._rise(torch.float32) is None and act._rise(torch.float64) is not None
    t = _t(torch.float32)
    assert _same(act.grad(t), torch.where(t >= 0, B, A)) and _same(two_slopes(t, A, B), torch.where(t >= 0, B, A))
    assert _same(act.phi(t), torch.where(t >= 0, b * t, a * t))


def test_autograd_gives_g_with_g0_equal_b_and_no_curvature():
    act = GeneralizedReLU(0.25, 2.0)
    t = torch.tensor([-1.0, 0.0, 3.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(act.phi(t).sum(), t, create_graph=True)
    assert g.tolist() == [0.25, 2.0, 2.0]
    assert not g.requires_grad  # g is a constant of t: no second derivative


def test_per_instance_slopes_of_the_stack():
    g = torch.Generator().manual_seed(3)
    a = torch.rand(6, 1, 1, 1, generator=g, dtype=torch.float64)
    b = a + torch.rand(6, 1, 1, 1, generator=g, dtype=torch.float64) * 4
    s = _SlopeAct(a, b)
    t = torch.randn(6, 5, 2, 7, generator=g, dtype=torch.float64)
    t[0, 0, 0, :3] = torch.tensor([0.0, -0.0, math.nan])
    assert _same(s.phi(t), torch.where(t >= 0, b * t, a * t))
    s.d = None  # the two-mask form
    assert _same(s.grad(t), torch.where(t >= 0, b.expand_as(t), a.expand_as(t)))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_engine_fused_path_uses_exact_slopes(dtype):
    """The engine's cache-blocked closed form (models.py) against autograd through the where-based phi."""
    g = torch.Generator().manual_seed(4)
    a, b = 0.19216462551524305, 0.9410478535132479
    X = torch.randn(40, 5, generator=g, dtype=dtype)
    Y = torch.rand(40, generator=g, dtype=dtype)
    f = GLMObjective(X, Y, GeneralizedReLU(a, b), "squared")
    W = torch.randn(7, 5, generator=g, dtype=dtype)
    v, grad = f.value_and_grad(W)
    Wg = W.clone().requires_grad_(True)
    t = Wg @ X.T
    ref = ((torch.where(t >= 0, b * t, a * t) - Y) ** 2).mean(1)
    (rg,) = torch.autograd.grad(ref.sum(), Wg)
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == torch.float64 else dict(rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(v, ref.detach(), **tol)
    torch.testing.assert_close(grad, rg, **tol)


@pytest.mark.parametrize("exact", [True, False])
def test_out_buffer_is_written_and_returned(exact):
    a, b = torch.tensor(0.25, dtype=torch.float64), torch.tensor(2.0, dtype=torch.float64)
    t = _t(torch.float64)
    buf = torch.full_like(t, 9.0)
    got = two_slopes(t, a, b, exact_rise(a, b) if exact else None, out=buf)
    assert got.data_ptr() == buf.data_ptr() and _same(buf, torch.where(t >= 0, b, a))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_stack_phi_as_the_larger_product_equals_g_t_bit_for_bit(dtype):
    """_SlopeAct.phi without autograd is max(a t, b t) (a <= b): the very products g(t) t, signs of
    zero included; a = 0 (ReLU) differs only at t = +inf (NaN for inf). With autograd it is g(t) t,
    whose gradient at 0 is b; with a > b it is g(t) t too."""
    g = torch.Generator().manual_seed(5)
    a = torch.tensor([0.0, 0.1, 0.5, 1.0, 2.0], dtype=dtype).reshape(5, 1, 1)
    b = torch.tensor([1.0, 1.0, 0.75, 1.0, 3.0], dtype=dtype).reshape(5, 1, 1)
    t = torch.cat([torch.randn(5, 1, 300, generator=g, dtype=dtype) * 3,
                   torch.tensor(EDGES, dtype=torch.float64).to(dtype).expand(5, 1, len(EDGES))], dim=2)
    s = _SlopeAct(a, b)
    assert s.ordered
    want = two_slopes(t, a, b, s.d) * t
    got = s.phi(t)
    same = (got == want) | (torch.isnan(got) & torch.isnan(want))
    relu_inf = (a == 0) & (t == math.inf)
    assert bool((same | relu_inf).all()) and bool(torch.isnan(got[relu_inf]).all())
    assert torch.equal(torch.signbit(got[~torch.isnan(got)]), torch.signbit(want[~torch.isnan(got)]))
    tg = torch.tensor([[[-1.0, 0.0, 2.0]]], dtype=dtype, requires_grad=True)
    (grad,) = torch.autograd.grad(_SlopeAct(a[1:2], b[1:2]).phi(tg).sum(), tg)
    assert grad.tolist() == [[[float(a[1]), 1.0, 1.0]]]
    flip = _SlopeAct(torch.tensor(2.0, dtype=dtype), torch.tensor(1.0, dtype=dtype))  # a > b: g(t) t
    assert not flip.ordered
    assert _same(flip.phi(t), two_slopes(t, torch.tensor(2.0, dtype=dtype), torch.tensor(1.0, dtype=dtype)) * t)
