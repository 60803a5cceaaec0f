"""Instruments: fast batched values equal a per-point autograd twin (float64, rtol 1e-6), plus
the definitions' own identities and a metamorphic check (permuting hidden units)."""

from __future__ import annotations

import json
import math

import pytest
import torch

from dante import MLP, TrainConfig, make_synthetic, train
from dante.claims import claimed_kappa
from dante.instruments import measure_layers
from dante.losses import loss_value, one_hot
from dante.quantities import default_quantities
from dante.runlog import read_jsonl
from slqc import jsonio
from slqc.definitions import kappa_min as slqc_kappa_min
from .twin import measure_layers_bruteforce

from .settings import INSTRUMENT_CASES, TWIN_RTOL

EPS = (0.01, 0.1)


def _problem(case, m=12):
    g = torch.Generator().manual_seed(case["seed"])
    net = MLP(case["arch"], case["activation"], case["out"], generator=g, dtype=torch.float64)
    ref = MLP(case["arch"], case["activation"], case["out"], generator=g, dtype=torch.float64)
    X = torch.rand(m, net.widths[0], generator=g, dtype=torch.float64)
    if case["loss"] == "mse":
        T = one_hot(torch.randint(0, net.widths[-1], (m,), generator=g), net.widths[-1], torch.float64)
    else:
        T = torch.randint(0, net.widths[-1], (m,), generator=g)
    refs = {l: ref.weights[l - 1].detach().clone() for l in range(1, net.n_layers + 1)}
    info = {"n_layers": net.n_layers, "activation": net.activation.to_dict(),
            "output_activation": net.output_activation.to_dict(), "loss": case["loss"], "n_outputs": net.widths[-1]}
    return net, X, T, refs, info


def _compare(fast, slow):
    assert set(fast) == set(slow)
    for k, v in slow.items():
        w = fast[k]
        if isinstance(v, float) and math.isfinite(v):
            assert w == pytest.approx(v, rel=TWIN_RTOL, abs=1e-12), k
        else:
            assert w == v, k


@pytest.mark.parametrize("case", INSTRUMENT_CASES, ids=[c["id"] for c in INSTRUMENT_CASES])
@pytest.mark.parametrize("source", ["full", "batch"])
def test_fast_equals_autograd_twin(case, source):
    net, X, T, refs, info = _problem(case)
    layers = list(range(1, net.n_layers + 1))
    fast = measure_layers(net, X, T, case["loss"], refs, layers, default_quantities(EPS), source, 0, info)
    slow = measure_layers_bruteforce(net, X, T, case["loss"], refs, layers, EPS, source, info)
    _compare(fast, slow)


def test_kappa_min_is_slqc_kappa_min_of_the_layer_problem():
    """Twin: kappa_min@eps of the instruments equals slqc.definitions.kappa_min of the layer problem
    f(V) = loss with W_l replaced by V, at x = W_l and z = W_l* (one definition, the paper's)."""
    for case in INSTRUMENT_CASES:
        net, X, T, refs, info = _problem(case)
        layers = list(range(1, net.n_layers + 1))
        out = measure_layers(net, X, T, case["loss"], refs, layers, default_quantities(EPS), "full", 0, info)
        for l in layers:
            def f(V, l=l):
                return torch.stack([loss_value(case["loss"], net.run(X, layers, weights={l: v}), T) for v in V])

            for e in EPS:
                want = float(slqc_kappa_min(f, net.weights[l - 1].detach()[None], refs[l], e)[0])
                got = out[f"layer{l}.full.kappa_min@{e:g}"]
                assert got == pytest.approx(want, rel=TWIN_RTOL) or got == want, (case["id"], l, e)


def test_kappa_estimate_and_slqc_follow_definition_4():
    """kappa_cond2 <= claimed kappa <=> condition 2 (when condition 1 fails); inf <=> inner <= 0."""
    case = INSTRUMENT_CASES[0]
    for seed in range(8):
        net, X, T, refs, info = _problem({**case, "seed": seed})
        out = measure_layers(net, X, T, "mse", refs, [1, 2], default_quantities(EPS), "full", 0, info)
        for l in (1, 2):
            p = f"layer{l}.full."
            inner, gn = out[p + "inner"], out[p + "grad_norm"]
            for e in EPS:
                kest = out[p + f"kappa_cond2@{e:g}"]
                assert f"{p}kappa_est@{e:g}" not in out  # one name per quantity
                kmin = out[p + f"kappa_min@{e:g}"]
                assert kmin == (0.0 if out["full.loss"] - out[p + "loss_ref"] <= e else kest)
                assert (kest == math.inf) == (inner <= 0)
                if kest != math.inf:
                    assert kest == pytest.approx(e * gn / inner, rel=1e-12)
                kappa = out[p + f"claimed_kappa@{e:g}"]
                if kappa is None:
                    assert out[p + f"slqc@{e:g}"] is None
                    continue
                cond1 = out["full.loss"] - out[p + "loss_ref"] <= e
                assert out[p + f"slqc@{e:g}"] == (cond1 or kest <= kappa * (1 + 1e-12))


def test_permuting_hidden_units_changes_nothing():
    """Metamorphic: permute layer-1 units of the network and of the reference together."""
    case = INSTRUMENT_CASES[0]
    net, X, T, refs, info = _problem(case)
    perm = torch.tensor([2, 0, 1])
    net2 = MLP(case["arch"], case["activation"], None, dtype=torch.float64)
    with torch.no_grad():
        net2.weights[0].copy_(net.weights[0][:, perm])
        net2.biases[0].copy_(net.biases[0][perm])
        net2.weights[1].copy_(net.weights[1][perm, :])
        net2.biases[1].copy_(net.biases[1])
    refs2 = {1: refs[1][:, perm], 2: refs[2][perm, :]}
    a = measure_layers(net, X, T, "mse", refs, [1, 2], default_quantities(EPS), "full", 0, info)
    b = measure_layers(net2, X, T, "mse", refs2, [1, 2], default_quantities(EPS), "full", 0, info)
    _compare(a, b)


def test_claimed_kappa_closed_forms():
    leaky = {"name": "leaky_relu", "a": 0.01, "b": 1.0}
    assert claimed_kappa(2, 2, leaky, leaky, "mse", 0.1, radius=3.0) == (pytest.approx(2 * 1.0 * 3.0 / 0.01), "Theorem 3")
    k, src = claimed_kappa(3, 3, leaky, {"name": "linear"}, "cross_entropy", 0.1, radius=3.0, n_outputs=10)
    assert src == "Theorem 7" and k == pytest.approx(0.1 * 10 / (1 - math.exp(-0.1)) ** 2)
    # Theorem 5: (a/(4 b^5 W2^2 W1) - W1/eps)^-1; positive only for tiny W1
    k, src = claimed_kappa(1, 2, leaky, leaky, "mse", 1.0, radius=0.01, outer_radius=1.0)
    assert src == "Theorem 5" and k == pytest.approx(1 / (0.01 / (4 * 1 * 0.01) - 0.01 / 1.0))
    assert claimed_kappa(1, 2, leaky, leaky, "mse", 0.1, radius=2.0, outer_radius=2.0) == (None, "Theorem 5 (vacuous)")
    assert claimed_kappa(2, 3, leaky, leaky, "mse", 0.1, radius=2.0) == (None, "none")
    sig = {"name": "sigmoid"}
    assert claimed_kappa(2, 2, sig, sig, "mse", 0.1, radius=2.0)[0] == pytest.approx(math.exp(2.0))


def test_run_logs_use_the_one_json_codec(tmp_path):
    """metrics.jsonl is standard JSON with slqc.jsonio's policy: inf -> "inf", nan -> "nan"."""
    from dante.runlog import JsonlWriter

    path = tmp_path / "m.jsonl"
    JsonlWriter(path).write({"a": math.inf, "b": -math.inf, "c": math.nan, "d": [1.0]})
    line = path.read_text().strip()
    assert json.loads(line) == {"a": "inf", "b": "-inf", "c": "nan", "d": [1.0]}
    assert line == jsonio.dumps({"a": math.inf, "b": -math.inf, "c": math.nan, "d": [1.0]})
    (rec,) = read_jsonl(path)
    assert rec["a"] == math.inf and rec["b"] == -math.inf and math.isnan(rec["c"])


@pytest.mark.parametrize("reference", ["final", "teacher", "teacher-raw", "phase"])
def test_training_logs_instruments_for_each_reference(tmp_path, reference):
    ds = make_synthetic("6-5-3", seed=0, n_train=200, n_test=50)
    cfg = TrainConfig(data=ds, arch="6-5-3", task="regress", method="dante", lr=0.02, epochs=4, sngd_epochs=1,
                      batch_size=50, instrument=True, reference=reference, instrument_every=2, progress=False,
                      out=str(tmp_path / "run"), dtype="float64")
    res = train(cfg)
    recs = [r for r in read_jsonl(tmp_path / "run" / "metrics.jsonl") if r["kind"] == "instrument"]
    assert len(recs) == len(res.instruments) == 8  # 4 steps per pass, every 2nd step, 4 passes
    for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    last = res.instruments[-1]
    if reference == "final":
        # the twin of the replayed record: W* = final weights
        assert res.instruments[0]["step"] == 0
        assert any(k.startswith("layer1.") for k in last) and any(k.startswith("layer2.") for k in last)
    elif reference == "phase":
        # only the trained layer is measured, and its W* is the phase's end: at the last step of the
        # phase the distance is one SNGD step or less
        assert all(set(int(k.split(".")[0][5:]) for k in r if k.startswith("layer")) == set(r["train_layers"]) for r in res.instruments)
        # SNGD moves each layer group exactly lr per step, so ||W_l - W_l*|| <= lr * (steps left in the phase)
        steps_per_phase = 4  # 200 points, batch 50, T = 1
        for r in res.instruments:
            (l,) = r["train_layers"]
            left = steps_per_phase - r["step"] % steps_per_phase
            assert r[f"layer{l}.full.dist"] <= cfg.lr * left * (1 + 1e-9)
    else:
        W1 = ds.teacher["W1"].double()
        first = res.instruments[0]
        init = MLP("6-5-3", generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        raw = float((init.weights[0].detach() - W1).norm())
        key = "layer1.full.dist" if reference == "teacher-raw" else "layer1.full.dist_raw"
        assert first[key] == pytest.approx(raw, rel=1e-12)
        if reference == "teacher":  # the first record has no earlier permutation; later ones count changes
            assert first["layer1.perm_changes"] is None and all(r["layer1.perm_changes"] >= 0 for r in recs[1:])


def test_final_reference_replay_matches_direct_measurement(tmp_path):
    """The second pass (replay of snapshots against the final weights) equals measuring the
    snapshot's weights directly with the final weights as reference."""
    ds = make_synthetic("5-4-2", seed=3, n_train=64, n_test=16)
    cfg = TrainConfig(data=ds, arch="5-4-2", task="regress", method="sgd", lr=0.05, epochs=2, batch_size=16,
                      instrument=True, reference="final", instrument_every=1, progress=False, dtype="float64",
                      log_every=1)
    res = train(cfg)
    final = {l: res.model.weights[l - 1].detach().clone() for l in (1, 2)}
    rec0 = res.instruments[0]
    init = MLP("5-4-2", generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    info = {"n_layers": 2, "activation": init.activation.to_dict(), "output_activation": init.output_activation.to_dict(),
            "loss": "mse", "n_outputs": 2}
    direct = measure_layers_bruteforce(init, ds.X_train.double(), ds.y_train.double(), "mse", final, [1, 2], cfg.eps,
                                       "full", info)
    for k, v in direct.items():
        if isinstance(v, float) and math.isfinite(v):
            assert rec0[k] == pytest.approx(v, rel=TWIN_RTOL, abs=1e-12), k
