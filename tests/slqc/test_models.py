"""Batched closed-form objectives vs per-point autograd twins; activations; data and generators."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given

from slqc.activations import get_activation
from slqc.data import DISTRIBUTIONS, sample_inputs
from slqc.generators import make_glm, make_one_hidden
from slqc.models import GLMObjective, OneHiddenObjective

from .strategies import seeds

# difference quotients (phi(t) - phi(s)) / (t - s) carry ~1e-12 relative rounding
QUOTIENT_RTOL = 1e-9

CASES = [  # (activation, kwargs, loss, outputs)
    ("generalized_relu", dict(a=0.1, b=1.0), "squared", 1),
    ("generalized_relu", dict(a=0.5, b=2.0), "squared", 3),
    ("relu", dict(b=1.5), "squared", 1),
    ("relu", dict(b=1.0), "squared", 2),
    ("sigmoid", {}, "squared", 1),
    ("sigmoid", {}, "bce", 1),
    ("softmax", {}, "ce", 4),
    ("softmax", {}, "squared", 3),
]


def per_point_twin(obj, W):
    """Reference: one point at a time, written from the paper's formula with plain autograd."""
    vals, grads = [], []
    for p in range(W.shape[0]):
        w = W[p].clone().requires_grad_(True)
        t = obj.X @ w
        phi = obj.act.phi(t)
        if obj.loss.name == "squared":
            per = ((obj.Y - phi) ** 2).reshape(obj.m, -1).sum(1)
        elif obj.loss.name == "bce":
            per = -(obj.Y * torch.log(phi) + (1 - obj.Y) * torch.log(1 - phi))
        else:
            per = -(obj.Y * torch.log(phi)).sum(1)
        v = per.mean()
        (g,) = torch.autograd.grad(v, w)
        vals.append(v.detach())
        grads.append(g)
    return torch.stack(vals), torch.stack(grads)


@pytest.mark.parametrize("act, kw, loss, k", CASES, ids=[f"{c[0]}-{c[2]}-k{c[3]}" for c in CASES])
def test_closed_form_equals_per_point_autograd(act, kw, loss, k):
    p = make_glm(5, 40, 2.0, act, outputs=k, loss=loss, seed=1, **kw)
    obj = p.objective
    W = torch.randn((9,) + tuple(obj.point_shape), dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    W[0] = 0  # every <w, x_i> = 0: the subgradient convention g(0) = b must hold
    v1, g1 = obj.value_and_grad(W)
    v2, g2 = per_point_twin(obj, W)
    torch.testing.assert_close(v1, v2, rtol=1e-10, atol=1e-13)
    torch.testing.assert_close(g1, g2, rtol=1e-10, atol=1e-13)
    v3 = obj(W)
    torch.testing.assert_close(v3, v2, rtol=1e-10, atol=1e-13)
    torch.testing.assert_close(obj.value(W), v2, rtol=1e-10, atol=1e-13)  # value-only path


def test_blocked_path_covers_many_blocks(monkeypatch):
    import slqc.models

    monkeypatch.setattr(slqc.models, "_BLOCK_ELEMS", 600 * 7)  # blocks of 256 points x chunks of 16 samples, ragged
    p = make_glm(7, 600, 1.0, "generalized_relu", a=0.3, b=1.0, seed=2)
    W = torch.randn(333, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    v1, g1 = p.objective.value_and_grad(W)
    v2, g2 = per_point_twin(p.objective, W[:20])
    torch.testing.assert_close(v1[:20], v2, rtol=1e-10, atol=1e-13)
    torch.testing.assert_close(g1[:20], g2, rtol=1e-10, atol=1e-13)
    Wr = W.clone().requires_grad_(True)
    (ga,) = torch.autograd.grad(p.objective(Wr).sum(), Wr)
    torch.testing.assert_close(g1, ga, rtol=1e-10, atol=1e-13)


def test_subgradient_convention_at_zero():
    act = get_activation("generalized_relu", a=0.2, b=0.9)
    t = torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(act.phi(t).sum(), t)
    torch.testing.assert_close(g, torch.tensor([0.2, 0.9, 0.9], dtype=torch.float64))
    torch.testing.assert_close(act.grad(t.detach()), g)
    relu = get_activation("relu", b=2.0)
    torch.testing.assert_close(relu.grad(torch.tensor([-1.0, 0.0, 3.0])), torch.tensor([0.0, 2.0, 2.0]))


@given(seed=seeds)
def test_activation_constants_bound_the_slopes(seed):
    g = torch.Generator().manual_seed(seed)
    t = 10 * torch.randn(2000, dtype=torch.float64, generator=g)
    s = t + torch.randn(2000, dtype=torch.float64, generator=g)
    for name, kw in [("generalized_relu", dict(a=0.05, b=1.3)), ("relu", dict(b=0.7)), ("sigmoid", {})]:
        act = get_activation(name, **kw)
        slope = (act.phi(t) - act.phi(s)) / (t - s)
        assert float(slope.max()) <= act.lipschitz * (1 + QUOTIENT_RTOL)
        assert float(slope.min()) >= act.a * (1 - QUOTIENT_RTOL)
    # softmax: ||softmax(u) - softmax(v)|| <= 1/2 ||u - v||
    u = torch.randn(500, 5, dtype=torch.float64, generator=g)
    v = u + 0.1 * torch.randn(500, 5, dtype=torch.float64, generator=g)
    sm = get_activation("softmax")
    ratio = (sm.phi(u) - sm.phi(v)).norm(dim=1) / (u - v).norm(dim=1)
    assert float(ratio.max()) <= sm.lipschitz


def test_one_hidden_objective_matches_a_hand_written_network():
    prob = make_one_hidden(4, 3, 30, W1=1.5, W2=2.0, act1="generalized_relu", act2="generalized_relu", seed=0)
    obj = prob.objective
    W1 = torch.randn(5, 4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    a1, a2 = obj.act1, obj.act2
    for p in range(5):
        out = a2.phi(a1.phi(prob.X @ W1[p]) @ prob.W2_star)
        assert float(obj(W1[p:p + 1])[0]) == pytest.approx(float(((prob.Y - out) ** 2).mean()), rel=1e-12)
    assert float(obj(prob.W1_star.unsqueeze(0))[0]) == pytest.approx(0.0, abs=1e-25)
    multi = make_one_hidden(4, 3, 30, W1=1.5, W2=2.0, outputs=2, seed=0)
    assert float(multi.objective(multi.W1_star.unsqueeze(0))[0]) == pytest.approx(0.0, abs=1e-25)


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_inputs_lie_in_the_unit_ball(dist):
    X = sample_inputs(dist, 300, 20, seed=4)
    assert X.shape == (300, 20)
    norms = torch.linalg.vector_norm(X, dim=1)
    assert float(norms.max()) <= 1 + 1e-12
    if dist == "sphere":
        torch.testing.assert_close(norms, torch.ones(300, dtype=torch.float64))
    if dist in ("nonneg", "digits"):
        assert float(X.min()) >= 0
    torch.testing.assert_close(X, sample_inputs(dist, 300, 20, seed=4))  # reproducible


def test_generated_glm_meets_its_hypotheses():
    p = make_glm(10, 50, 3.0, "generalized_relu", a=0.1, b=1.0, outputs=2, distribution="digits", seed=0)
    assert float(torch.linalg.vector_norm(p.w_star)) == pytest.approx(3.0)
    assert float(p.objective(p.w_star.unsqueeze(0))[0]) == pytest.approx(0.0, abs=1e-25)  # idealized: w* is a minimizer
    n = make_glm(10, 50, 3.0, "sigmoid", noise=0.1, seed=0)
    assert float((n.Y - n.clean_Y).abs().max()) <= 0.1
    assert n.meta["labels_in_unit_interval"] == bool(((n.Y >= 0) & (n.Y <= 1)).all())


@pytest.mark.parametrize("call, match", [
    (lambda: sample_inputs("cauchy", 3, 3), "distribution"),
    (lambda: sample_inputs("digits", 3, 65), "64"),
    (lambda: sample_inputs("ball", 0, 3), "m >= 1"),
    (lambda: get_activation("generalized_relu", a=2.0, b=1.0), "a <= b"),
    (lambda: get_activation("generalized_relu", a=0.0, b=1.0), "finite number > 0"),
    (lambda: get_activation("swish"), "unknown activation"),
    (lambda: make_glm(3, 5, -1.0, "sigmoid"), "W"),
    (lambda: make_glm(3, 5, 1.0, "relu", loss="bce"), "sigmoid"),
    (lambda: GLMObjective(torch.zeros(4, 3), torch.zeros(5), "sigmoid"), "rows"),
    (lambda: GLMObjective(torch.full((4, 3), math.nan), torch.zeros(4), "sigmoid"), "NaN"),
    (lambda: OneHiddenObjective(torch.zeros(4, 3), torch.zeros(4), torch.zeros(2, 2), "relu", "relu"), "W2"),
])
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
