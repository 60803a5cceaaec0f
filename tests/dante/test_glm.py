"""Closed-form GLM-layer gradient (dante.glm) against autograd, and the trainer's fast path."""

from __future__ import annotations

import pytest
import torch

from dante import MLP, TrainConfig, train
from dante.glm import glm_step_grads, supports_closed_form
from dante.losses import loss_value, one_hot

from .settings import PATH_ATOL, PATH_RTOL, TWIN_RTOL

CASES = [
    dict(id="leaky-mse-out", act="leaky_relu", out=None, loss="mse", layer=2),
    dict(id="leaky-mse-hidden", act="leaky_relu", out=None, loss="mse", layer=1),
    dict(id="sigmoid-mse", act="sigmoid", out=None, loss="mse", layer=2),
    dict(id="relu-mse", act="relu", out=None, loss="mse", layer=2),
    dict(id="linear-out-mse", act="leaky_relu", out="linear", loss="mse", layer=2),
    dict(id="xent", act="leaky_relu", out="linear", loss="cross_entropy", layer=2),
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_closed_form_equals_autograd(case, bias):
    g = torch.Generator().manual_seed(7)
    net = MLP("5-4-3", case["act"], case["out"], bias=bias, generator=g, dtype=torch.float64)
    l = case["layer"]
    a = torch.randn(9, net.widths[l - 1], generator=g, dtype=torch.float64)
    labels = torch.randint(0, 3, (9,), generator=g)
    t = labels if case["loss"] == "cross_entropy" else one_hot(labels, net.widths[l], torch.float64)
    assert supports_closed_form(net, l, case["loss"])
    with torch.enable_grad():
        ref_loss = loss_value(case["loss"], net.run(a, [l]), t)
    ref = torch.autograd.grad(ref_loss, net.layer_params(l))
    value = glm_step_grads(net, l, a, t, case["loss"])
    assert float(value) == pytest.approx(float(ref_loss.detach()), rel=1e-12)
    for p, r in zip(net.layer_params(l), ref):
        torch.testing.assert_close(p.grad, r, rtol=TWIN_RTOL, atol=1e-14)


def test_sigmoid_output_with_cross_entropy_is_not_claimed():
    net = MLP("3-2-2", "sigmoid", dtype=torch.float64)
    assert not supports_closed_form(net, 2, "cross_entropy")


@pytest.mark.parametrize("loss,arch", [("mse", "64-12-10"), ("cross_entropy", "64-12-10"), ("mse", "64-10-8-10")])
def test_trainer_fast_path_equals_autograd_path(loss, arch):
    kw = dict(data="digits", arch=arch, method="dante", loss=loss, lr=0.03, epochs=4, sngd_epochs=1, dtype="float64",
              progress=False, batch_size=128)
    a = train(TrainConfig(**kw, closed_form=True))
    b = train(TrainConfig(**kw, closed_form=False))
    for x, y in zip(a.model.parameters(), b.model.parameters()):
        torch.testing.assert_close(x.detach(), y.detach(), rtol=PATH_RTOL, atol=PATH_ATOL)
