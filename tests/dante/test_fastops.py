"""dante's fast path changes no number: twins against slqc's activations and against autograd.

* dante/fastops.py against slqc.activations, bit for bit (values, signed zeros, the subgradient
  g(0) = b of Definition 3), on drawn tensors with planted zeros;
* dante/glm.py's closed-form gradient of the first layer of a path (DANTE's inner phase) against
  autograd through slqc's activations, float64;
* whole training runs with the fast path against the code before it (slqc's activation under
  autograd everywhere, no closed form): equal bit for bit for the leaky ReLU (the benchmark's
  setting) and to 1e-6 for sigmoid and cross-entropy, whose closed form orders the multiplications
  differently.
"""

from __future__ import annotations

import pytest
import torch

import dante.model
from dante import MLP, TrainConfig, train
from dante.activations import get_activation
from dante.fastops import activate, grad_mul, unit_generalized_relu
from dante.glm import path_step_grads, supports_closed_form_path
from dante.losses import loss_value, one_hot

from .settings import TWIN_RTOL

ACTS = [("leaky_relu", 0.01, 1.0), ("leaky_relu", 0.2, 1.0), ("leaky_relu", 0.1, 2.0), ("relu", 0.01, 1.0),
        ("sigmoid", 0.01, 1.0), ("identity", 0.01, 1.0)]


def _z(dtype, seed=0, shape=(40, 7)):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(*shape, generator=g, dtype=dtype)
    z[0, :3] = 0.0
    z[1, :3] = -0.0
    z[2, 0] = torch.finfo(dtype).tiny * 2.0 ** -10  # subnormal, both signs
    z[2, 1] = -z[2, 0]
    return z


def _same(x, y):
    """Equal values and equal signs of zero."""
    return torch.equal(x, y) and torch.equal(torch.signbit(x), torch.signbit(y))


@pytest.mark.parametrize("name,a,b", ACTS, ids=[f"{n}-{a}-{b}" for n, a, b in ACTS])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_activate_equals_slqc_bit_for_bit(name, a, b, dtype):
    act = get_activation(name, a, b)
    z = _z(dtype)
    with torch.no_grad():
        assert _same(activate(act, z), act.phi(z))
    d = torch.randn(z.shape, generator=torch.Generator().manual_seed(1), dtype=dtype)
    z1, z2 = z.clone().requires_grad_(), z.clone().requires_grad_()
    y1, y2 = activate(act, z1), act.phi(z2)
    assert _same(y1.detach(), y2.detach())
    y1.backward(d)
    y2.backward(d)
    torch.testing.assert_close(z1.grad, z2.grad, rtol=0, atol=0)  # equal values (autograd may sign a zero gradient)
    if name == "leaky_relu":
        # Definition 3: g(0) = b, also at -0
        assert z1.grad[0, :3].tolist() == (b * d[0, :3]).tolist() and z1.grad[1, :3].tolist() == (b * d[1, :3]).tolist()
        assert z1.grad[2, 1] == a * d[2, 1]


def test_fast_path_is_taken_only_for_the_unit_generalized_relu():
    assert unit_generalized_relu(get_activation("leaky_relu", 0.01, 1.0))
    for name, a, b in [("leaky_relu", 0.1, 2.0), ("relu", 0.01, 1.0), ("sigmoid", 0.01, 1.0), ("identity", 0.01, 1.0)]:
        assert not unit_generalized_relu(get_activation(name, a, b))


@pytest.mark.parametrize("name,a,b", ACTS, ids=[f"{n}-{a}-{b}" for n, a, b in ACTS])
def test_grad_mul_equals_delta_times_slqc_subgradient(name, a, b):
    act = get_activation(name, a, b)
    for zeros in (True, False):
        z = _z(torch.float64, seed=3)
        if not zeros:
            z[z == 0] = 0.5
        d = torch.randn(z.shape, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
        want = d * act.grad(z)
        got = grad_mul(act, z, d.clone(), act.phi(z))
        torch.testing.assert_close(got, want, rtol=1e-15, atol=0)


PATH_CASES = [
    dict(id="leaky-mse-linear-out", act=("leaky_relu", 0.01, 1.0), out="identity", loss="mse"),
    dict(id="leaky-mse-leaky-out", act=("leaky_relu", 0.01, 1.0), out=None, loss="mse"),
    dict(id="leaky-b2-mse", act=("leaky_relu", 0.1, 2.0), out=None, loss="mse"),
    dict(id="relu-mse", act=("relu", 0.01, 1.0), out=None, loss="mse"),
    dict(id="sigmoid-mse", act=("sigmoid", 0.01, 1.0), out=None, loss="mse"),
    dict(id="leaky-xent", act=("leaky_relu", 0.01, 1.0), out="identity", loss="cross_entropy"),
]


def _slqc_run(net, a, path):
    """The network path through slqc's own activations (no dante fast path), under autograd."""
    for l in path:
        W = net.weights[l - 1]
        z = torch.addmm(net.biases[l - 1], a, W) if net.has_bias else a @ W
        a = (net.output_activation if l == net.n_layers else net.activation).phi(z)
    return a


@pytest.mark.parametrize("case", PATH_CASES, ids=[c["id"] for c in PATH_CASES])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("path", [(1, 2, 3), (2, 3), (3,)], ids=["inner", "middle", "outer"])
def test_path_gradient_equals_autograd_through_slqc(case, bias, path):
    """Twin: the closed-form gradient of the first layer of a path (fixed later layers) equals autograd."""
    g = torch.Generator().manual_seed(11)
    name, a_, b_ = case["act"]
    act = get_activation(name, a_, b_)
    out = get_activation(case["out"]) if case["out"] else None
    net = MLP("6-5-4-3", act, out, bias=bias, generator=g, dtype=torch.float64)
    m = 13
    a = torch.randn(m, net.widths[path[0] - 1], generator=g, dtype=torch.float64)
    a[0] = 0.0  # a zero pre-activation without biases: g(0) = b on both sides
    labels = torch.randint(0, 3, (m,), generator=g)
    t = labels if case["loss"] == "cross_entropy" else one_hot(labels, 3, torch.float64)
    assert supports_closed_form_path(net, path, case["loss"])
    first = net.layer_params(path[0])
    with torch.enable_grad():
        ref_loss = loss_value(case["loss"], _slqc_run(net, a, path), t)
    ref = torch.autograd.grad(ref_loss, first)
    value = path_step_grads(net, path, a, t, case["loss"])
    assert float(value) == pytest.approx(float(ref_loss.detach()), rel=1e-12)
    for p, r in zip(first, ref):
        torch.testing.assert_close(p.grad, r, rtol=TWIN_RTOL, atol=1e-14)
    fixed = [q for l in range(1, 4) if l != path[0] for q in net.layer_params(l)]
    assert all(q.grad is None for q in fixed)  # no gradient of a fixed layer is formed


def test_path_closed_form_refuses_what_it_does_not_cover():
    net = MLP("3-4-2", "sigmoid", "sigmoid", dtype=torch.float64)
    assert not supports_closed_form_path(net, (1, 2), "cross_entropy")  # ce needs the linear output
    assert supports_closed_form_path(net, (1, 2), "mse")
    assert not supports_closed_form_path(net, (), "mse")


TRAIN_CASES = [
    dict(id="defaults", kw=dict(), exact=True),
    dict(id="paper-T2-leaky-out", kw=dict(sngd_epochs=2, epochs=6, output_activation="generalized_relu", lr=0.05,
                                          batch_size=64), exact=True),
    dict(id="deep", kw=dict(arch="64-32-16-10", epochs=6), exact=True),
    dict(id="greedy-autoencoder", kw=dict(task="autoencoder", scheme="greedy", arch="64-32-16-32-64", epochs=4,
                                          lr=0.05, batch_size=64), exact=True),
    dict(id="sgd", kw=dict(method="sgd", epochs=3), exact=True),
    dict(id="altmin-sgd", kw=dict(method="altmin-sgd", epochs=4), exact=True),
    dict(id="dante-momentum-no-bias", kw=dict(momentum=0.5, bias=False, epochs=4), exact=True),
    dict(id="sigmoid", kw=dict(activation="sigmoid", epochs=4), exact=False),
    dict(id="cross-entropy", kw=dict(loss="ce", epochs=4), exact=False),
]


@pytest.mark.parametrize("case", TRAIN_CASES, ids=[c["id"] for c in TRAIN_CASES])
def test_training_with_the_fast_path_equals_the_code_before_it(case, monkeypatch):
    """Before/after twin: default float32 runs on digits, fast path against slqc's activations under
    autograd with the closed form only for one-layer paths (the trainer before the fast path)."""
    kw = dict(data="digits", progress=False, seed=3, **case["kw"])
    fast = train(TrainConfig(**kw))
    monkeypatch.setattr(dante.model, "activate", lambda act, z: act.phi(z))
    import dante.glm as glm

    monkeypatch.setattr(glm, "activate", lambda act, z: act.phi(z))
    monkeypatch.setattr(glm, "grad_mul", lambda act, z, d, out=None: d.mul_(out.mul(1 - out) if act.name == "sigmoid"
                                                                              else act.grad(z)))
    import dante.trainer as tr

    real = tr.supports_closed_form_path
    monkeypatch.setattr(tr, "supports_closed_form_path", lambda m, path, loss: len(path) == 1 and real(m, path, loss))
    slow = train(TrainConfig(**kw))
    assert [h["step"] for h in fast.history] == [h["step"] for h in slow.history]
    for x, y in zip(fast.model.state_dict().values(), slow.model.state_dict().values()):
        if case["exact"]:
            assert torch.equal(x, y)
        else:
            torch.testing.assert_close(x, y, rtol=1e-6, atol=1e-7)
    for hx, hy in zip(fast.history, slow.history):
        assert hx["train_loss"] == pytest.approx(hy["train_loss"], rel=0 if case["exact"] else 1e-6)
