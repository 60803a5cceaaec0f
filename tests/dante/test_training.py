"""Training behaviour: caching, budgets, the planted teacher, digits, multi-layer schemes, baselines."""

from __future__ import annotations

import pytest
import torch

from dante import MLP, TrainConfig, evaluate, load_dataset, make_synthetic, train
from dante.losses import one_hot
from dante.schemes import build_plan

from .settings import CACHE_RTOL, METHOD_CASES

TEACHER_FACTOR = 20.0   # DANTE's final training loss must be this many times below the starting loss
DIGITS_ACC = 0.90       # digits 64-100-10 reaches >= 90% test accuracy


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def _weights(res):
    return [p.detach().clone() for p in res.model.parameters()]


@pytest.mark.parametrize("case", [
    dict(id="2layer-classify", data="digits", arch="64-12-10", task="classify", scheme="round-robin", epochs=5, T=2),
    dict(id="3layer-forward", data="digits", arch="64-10-8-10", task="classify", scheme="round-robin", epochs=4, T=1,
         order="forward"),
    dict(id="greedy-autoencoder", data="digits", arch="64-16-8-16-64", task="autoencoder", scheme="greedy", epochs=6, T=1),
], ids=lambda c: c["id"])
def test_cached_phase_equals_uncached(case):
    """Computing the phase input once per phase gives the same weights as recomputing it per step."""
    kw = dict(data=case["data"], arch=case["arch"], task=case["task"], scheme=case["scheme"], epochs=case["epochs"],
              sngd_epochs=case["T"], method="dante", lr=0.03, dtype="float64", progress=False, batch_size=128,
              layer_order=case.get("order", "backward"))
    a = train(TrainConfig(**kw, cache_hidden=True))
    b = train(TrainConfig(**kw, cache_hidden=False))
    for x, y in zip(_weights(a), _weights(b)):
        torch.testing.assert_close(x, y, rtol=CACHE_RTOL, atol=1e-12)
    assert a.history[-1]["weights_updated"] == b.history[-1]["weights_updated"]


def test_dante_drives_planted_teacher_loss_down():
    ds = make_synthetic("10-8-3", seed=0, n_train=1000, n_test=200)
    kw = dict(data=ds, arch="10-8-3", task="regress", epochs=40, sngd_epochs=5, batch_size=32, progress=False)
    dante = train(TrainConfig(method="dante", lr=0.1, **kw))
    sgd_start = train(TrainConfig(method="sgd", lr=0.1, **{**kw, "epochs": 1})).history[0]["train_loss"]
    # independent reference for the starting loss: the same seeded initialization, evaluated by hand
    init = MLP("10-8-3", generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        by_hand = float(((init(ds.X_train) - ds.y_train) ** 2).sum(dim=1).mean())
    assert sgd_start == pytest.approx(by_hand, rel=1e-5)
    assert dante.final["train_loss"] * TEACHER_FACTOR <= sgd_start


def test_dante_digits_reaches_90_percent(digits):
    res = train(TrainConfig(data=digits, arch="64-100-10", method="dante", lr=0.05, epochs=20, sngd_epochs=5,
                            progress=False))
    # independent accuracy: argmax of the returned model on the test split
    with torch.no_grad():
        acc = float((res.model(digits.X_test).argmax(1) == digits.y_test).double().mean())
    assert acc == pytest.approx(res.final["test_acc"], abs=1e-12)
    assert acc >= DIGITS_ACC


def test_round_robin_reduces_loss_on_deeper_net(digits):
    res = train(TrainConfig(data=digits, arch="64-32-16-10", method="dante", lr=0.1, epochs=12, sngd_epochs=1,
                            progress=False))
    losses = [h["train_loss"] for h in res.history]
    assert losses[-1] < 0.5 * losses[0]


def test_greedy_autoencoder_reduces_loss(digits):
    res = train(TrainConfig(data=digits, arch="64-32-16-32-64", task="autoencoder", scheme="greedy", method="dante",
                            lr=0.1, epochs=12, sngd_epochs=1, progress=False))
    X = digits.X_train
    with torch.no_grad():
        by_hand = float(((res.model(X) - X) ** 2).sum(dim=1).mean())
    assert res.final["train_loss"] == pytest.approx(by_hand, rel=1e-5)
    assert res.final["train_loss"] < 0.5 * res.history[0]["train_loss"]
    assert res.final["test_acc"] is None


@pytest.mark.parametrize("case", METHOD_CASES, ids=[c["id"] for c in METHOD_CASES])
def test_every_method_learns_digits(digits, case):
    res = train(TrainConfig(data=digits, arch="64-32-10", method=case["method"], lr=case["lr"], epochs=4, sngd_epochs=1,
                            progress=False))
    assert res.status == "completed"
    assert res.final["train_loss"] < res.history[0]["train_loss"]
    assert res.final["test_acc"] > 0.5


def test_budget_and_weights_updated_count(digits):
    """DANTE with T=2 on 2 layers, 5 passes: W2, W2, W1, W1, W2 (stops mid-round)."""
    res = train(TrainConfig(data=digits, arch="64-20-10", method="dante", epochs=5, sngd_epochs=2, batch_size=64,
                            progress=False))
    steps = -(-digits.X_train.shape[0] // 64)
    n1, n2 = 64 * 20 + 20, 20 * 10 + 10
    assert [h["epoch"] for h in res.history] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert [h["weights_updated"] for h in res.history] == [0, steps * n2, 2 * steps * n2, 2 * steps * n2 + steps * n1,
                                                         2 * steps * n2 + 2 * steps * n1, 3 * steps * n2 + 2 * steps * n1]
    assert res.history[-1]["step"] == 5 * steps
    sgd = train(TrainConfig(data=digits, arch="64-20-10", method="sgd", epochs=5, batch_size=64, progress=False))
    assert sgd.history[-1]["weights_updated"] == 5 * steps * (n1 + n2)
    assert [p.train_layers for p in build_plan("dante", 2, 5, 2)] == [(2,), (2,), (1,), (1,), (2,)]


def test_same_seed_same_run_and_cross_entropy(digits):
    kw = dict(data=digits, arch="64-16-10", method="dante", loss="cross_entropy", epochs=2, sngd_epochs=1, progress=False)
    a, b = train(TrainConfig(**kw)), train(TrainConfig(**kw))
    for x, y in zip(_weights(a), _weights(b)):
        assert torch.equal(x, y)
    # cross-entropy on logits, checked by hand
    with torch.no_grad():
        logits = a.model(digits.X_test)
        ce = float(-torch.log_softmax(logits, 1)[torch.arange(len(digits.y_test)), digits.y_test].mean())
    assert a.final["test_loss"] == pytest.approx(ce, rel=1e-5)


def test_evaluate_matches_definition(digits):
    net = MLP("64-8-10", generator=torch.Generator().manual_seed(5))
    T = one_hot(digits.y_test, 10)
    loss, acc = evaluate(net, digits.X_test, T, "mse", digits.y_test)
    with torch.no_grad():
        out = net(digits.X_test)
    assert loss == pytest.approx(float(((out - T) ** 2).sum(1).mean()), rel=1e-6)
    assert acc == pytest.approx(float((out.argmax(1) == digits.y_test).double().mean()), abs=1e-12)


def test_train_on_each_device(device, digits):
    """Same run on every available device (ids contain ``cuda`` for the GPU tier) agrees with the CPU."""
    kw = dict(data=digits, arch="64-16-10", method="dante", lr=0.05, epochs=2, sngd_epochs=1, progress=False)
    here = train(TrainConfig(device=device, **kw))
    cpu = train(TrainConfig(device="cpu", **kw))
    assert here.final["train_loss"] == pytest.approx(cpu.final["train_loss"], rel=1e-4)
    assert next(here.model.parameters()).device.type == device


def test_algorithm2_stopping_threshold(digits):
    """Algorithm 2: continue while |f_t - f_(t-1)| >= eps or t < T_AM; f_0 is the initial loss, so a huge
    eps stops after round 1 (2 passes here), and T_AM = 3 forces 3 rounds."""
    kw = dict(data=digits, arch="64-16-10", method="dante", lr=0.05, epochs=10, sngd_epochs=1, progress=False)
    res = train(TrainConfig(am_tol=1e9, **kw))
    assert res.status == "converged"
    assert [h["epoch"] for h in res.history] == [0.0, 1.0, 2.0]
    res = train(TrainConfig(am_tol=1e9, am_min_rounds=3, **kw))
    assert res.status == "converged" and res.history[-1]["epoch"] == 6.0
    # the first round is compared with the initial loss: eps just above |f_1 - f_0| stops after round 1
    f0 = res.history[0]["train_loss"]
    two = train(TrainConfig(epochs=2, **{k: v for k, v in kw.items() if k != "epochs"}))
    gap = abs(two.history[-1]["train_loss"] - f0)
    assert train(TrainConfig(am_tol=gap * 1.01, **kw)).history[-1]["epoch"] == 2.0
    assert train(TrainConfig(am_tol=gap * 0.99, **kw)).history[-1]["epoch"] > 2.0
    never = train(TrainConfig(data=digits, arch="64-16-10", method="dante", lr=0.05, epochs=4, sngd_epochs=1,
                              am_tol=1e-12, progress=False))
    assert never.status == "completed" and never.history[-1]["epoch"] == 4.0
