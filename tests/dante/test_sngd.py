"""SNGD (Algorithm 1): the step is w - eta g/||g|| per parameter group, exactly."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from dante import SNGD

from .settings import EXACT_RTOL


def _params(seed, shapes):
    g = torch.Generator().manual_seed(seed)
    ps = [torch.nn.Parameter(torch.randn(*s, generator=g, dtype=torch.float64)) for s in shapes]
    grads = [torch.randn(*s, generator=g, dtype=torch.float64) for s in shapes]
    return ps, grads


@given(seed=st.integers(0, 2**31 - 1), lr=st.floats(1e-4, 10.0, allow_nan=False, allow_infinity=False))
def test_step_is_normalized_per_group(seed, lr):
    (w1, b1, w2), (g1, gb1, g2) = _params(seed, [(4, 3), (3,), (3, 2)])
    start = [p.detach().clone() for p in (w1, b1, w2)]
    opt = SNGD([{"params": [w1, b1]}, {"params": [w2]}], lr=lr)
    for p, g in zip((w1, b1, w2), (g1, gb1, g2)):
        p.grad = g.clone()
    opt.step()
    n1 = torch.sqrt((g1 ** 2).sum() + (gb1 ** 2).sum())  # group 1: weight and bias together
    n2 = torch.sqrt((g2 ** 2).sum())
    torch.testing.assert_close(w1.detach(), start[0] - lr * g1 / n1, rtol=EXACT_RTOL, atol=0)
    torch.testing.assert_close(b1.detach(), start[1] - lr * gb1 / n1, rtol=EXACT_RTOL, atol=0)
    torch.testing.assert_close(w2.detach(), start[2] - lr * g2 / n2, rtol=EXACT_RTOL, atol=0)
    # each group moves exactly eta
    moved = torch.sqrt(((w1.detach() - start[0]) ** 2).sum() + ((b1.detach() - start[1]) ** 2).sum())
    assert float(moved) == pytest.approx(lr, rel=1e-12)


def test_zero_gradient_leaves_weights_unchanged():
    (w,), _ = _params(0, [(3, 2)])
    before = w.detach().clone()
    opt = SNGD([w], lr=0.5)
    w.grad = torch.zeros_like(w)
    opt.step()
    assert torch.equal(w.detach(), before)
    assert torch.isfinite(w).all()


def test_param_without_grad_is_skipped():
    (w, v), (g, _) = _params(1, [(2, 2), (2,)])
    before_v = v.detach().clone()
    opt = SNGD([{"params": [w, v]}], lr=0.1)
    w.grad = g.clone()
    opt.step()
    assert torch.equal(v.detach(), before_v)
    torch.testing.assert_close(w.detach() + 0.1 * g / g.norm(), _params(1, [(2, 2), (2,)])[0][0].detach(),
                               rtol=EXACT_RTOL, atol=1e-15)


def test_momentum_on_normalized_direction():
    (w,), (g,) = _params(2, [(5,)])
    w0 = w.detach().clone()
    opt = SNGD([w], lr=0.2, momentum=0.5)
    grads = [g, 3 * g.flip(0), -g]
    v = torch.zeros_like(w0)
    ref = w0.clone()
    for gi in grads:
        w.grad = gi.clone()
        opt.step()
        v = 0.5 * v + gi / gi.norm() if v.abs().sum() > 0 else gi / gi.norm()
        ref = ref - 0.2 * v
    torch.testing.assert_close(w.detach(), ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kwargs", [dict(lr=0.0), dict(lr=-1.0), dict(lr=0.1, momentum=1.0), dict(lr=0.1, momentum=-0.1)],
                         ids=["lr0", "lr-neg", "mu1", "mu-neg"])
def test_bad_hyperparameters(kwargs):
    with pytest.raises(ValueError):
        SNGD([torch.nn.Parameter(torch.zeros(2))], **kwargs)


def test_drop_in_torch_optimizer_conventions():
    """state_dict round trip and closure, as any torch.optim.Optimizer."""
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    opt = SNGD([w], lr=0.1, momentum=0.9)

    def closure():
        opt.zero_grad()
        loss = (w ** 2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss.detach()) == 5.0
    opt2 = SNGD([torch.nn.Parameter(w.detach().clone())], lr=0.1, momentum=0.9)
    opt2.load_state_dict(opt.state_dict())
    assert torch.equal(next(iter(opt2.state.values()))["momentum_buffer"], next(iter(opt.state.values()))["momentum_buffer"])
