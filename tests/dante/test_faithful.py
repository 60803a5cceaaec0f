"""The trainer follows the paper and fails loudly: twins against slqc (one convention), the budget cut,
the paper's layer order and Algorithm 2, bias instrumentation, resume against a moved final
reference, and the CLI's bad inputs (one line, exit 2)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from dante import SNGD, MLP, TrainConfig, resume, train
from dante.activations import get_activation
from dante.cli import main
from dante.glm import glm_step_grads
from dante.losses import loss_value, one_hot
from dante.runlog import read_jsonl
from dante.schemes import build_plan
from slqc.claims.sngd import ngd
from slqc.models import GLMObjective

from .settings import TWIN_RTOL

DIGITS_STEPS = -(-1348 // 64)


def _cfg(tmp_path, **kw):
    base = dict(data="digits", arch="64-16-10", method="dante", lr=0.05, epochs=4, sngd_epochs=1, batch_size=64,
                progress=False, out=str(tmp_path / "run"))
    base.update(kw)
    return TrainConfig(**base)


# -- one convention with slqc ------------------------------------------------------------------------

def test_generalized_relu_is_slqcs_with_g0_equal_b():
    act = get_activation("leaky_relu", 0.1, 0.7)
    assert type(act).__module__ == "slqc.activations" and act.name == "generalized_relu"
    t = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    act(t).sum().backward()
    assert t.grad.tolist() == [0.1, 0.7, 0.7]  # g(0) = b (Definition 3)
    assert get_activation("linear").name == "identity"


@pytest.mark.parametrize("activation", ["generalized_relu", "sigmoid", "identity"])
@pytest.mark.parametrize("bias", [False])
def test_glm_gradient_equals_slqc_glm_objective(activation, bias):
    """Twin: dante.glm's closed-form output-layer gradient equals slqc.models.GLMObjective.value_and_grad."""
    g = torch.Generator().manual_seed(3)
    net = MLP([5, 4], activation, None, bias=bias, generator=g, dtype=torch.float64)
    X = torch.rand(30, 5, generator=g, dtype=torch.float64) - 0.3
    X[0] = 0.0  # a zero pre-activation: g(0) = b in both
    Y = torch.rand(30, 4, generator=g, dtype=torch.float64)
    f = glm_step_grads(net, 1, X, Y, "mse")
    vals, grads = GLMObjective(X, Y, activation, "squared").value_and_grad(net.weights[0].detach()[None])
    assert float(f) == pytest.approx(float(vals[0]), rel=TWIN_RTOL)
    torch.testing.assert_close(net.weights[0].grad, grads[0], rtol=TWIN_RTOL, atol=1e-12)
    with torch.no_grad():
        assert float(loss_value("squared", net(X), Y)) == pytest.approx(float(vals[0]), rel=TWIN_RTOL)


def test_cross_entropy_is_slqcs_ce():
    g = torch.Generator().manual_seed(1)
    X = torch.rand(20, 5, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (20,), generator=g)
    W = torch.randn(5, 3, generator=g, dtype=torch.float64)
    net = MLP([5, 3], "generalized_relu", "identity", bias=False, dtype=torch.float64)
    with torch.no_grad():
        net.weights[0].copy_(W)
    want = float(GLMObjective(X, one_hot(y, 3, torch.float64), "softmax", "ce")(W[None])[0])
    with torch.no_grad():
        assert float(loss_value("cross_entropy", net(X), y)) == pytest.approx(want, rel=1e-12)


def test_sngd_equals_the_registry_sngd():
    """Twin: full-batch dante.SNGD on a GLM follows slqc.claims.sngd.ngd (plain numpy) step for step."""
    import inspect

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6)) / 3
    wstar = rng.standard_normal(6)
    act = get_activation("generalized_relu", 0.1, 1.0)
    y = act(torch.from_numpy(X @ wstar)).numpy()
    w1 = rng.standard_normal(6)
    eta, T = 0.05, 30
    if "act" in inspect.signature(ngd).parameters:  # the registry's loop on slqc activations (torch)
        ref = ngd(torch.from_numpy(X), torch.from_numpy(y), act, torch.from_numpy(w1), 0.0, eta, T, {})
        ref = {k: (v.numpy() if torch.is_tensor(v) else v) for k, v in ref.items()}
    else:  # older registry: numpy phi and g
        phi, gfun = (lambda t: np.where(t >= 0, t, 0.1 * t)), (lambda t: np.where(t >= 0, 1.0, 0.1))
        ref = ngd(X, y, phi, gfun, w1, 0.0, eta, T, {})
    net = MLP([6, 1], act, None, bias=False, dtype=torch.float64)
    with torch.no_grad():
        net.weights[0].copy_(torch.from_numpy(w1)[:, None])
    opt = SNGD([{"params": [net.weights[0]]}], lr=eta)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(y)[:, None]
    for _ in range(T - 1):  # ngd evaluates w_1..w_T and steps T - 1 times
        opt.zero_grad()
        loss_value("squared", net(Xt), Yt).backward()
        opt.step()
    np.testing.assert_allclose(net.weights[0].detach().numpy()[:, 0], ref["last_w"], rtol=1e-10, atol=1e-12)


# -- budget, order, Algorithm 2 --------------------------------------------------------------------

def test_budget_cut_lowers_T_so_every_layer_gets_a_phase(recwarn):
    res = train(TrainConfig(arch="64-16-10", epochs=5, sngd_epochs=5, batch_size=128, progress=False))
    trained = {tuple(p["train_layers"]) for p in res.passes}
    assert trained == {(1,), (2,)}
    assert "lowered from 5 to 2" in res.message
    assert any("lowered from 5 to 2" in str(w.message) for w in recwarn)


def test_paper_layer_order_by_default():
    assert [p.train_layers for p in build_plan("dante", 2, 2, 1)] == [(2,), (1,)]  # Algorithm 2: W2 then W1
    assert [p.train_layers for p in build_plan("dante", 3, 3, 1)] == [(1,), (2,), (3,)]  # section 3.5
    assert TrainConfig().layer_order == "paper"


def test_instrument_records_say_what_they_vary(tmp_path):
    res = train(_cfg(tmp_path, out=None, epochs=2, instrument=True, instrument_every=DIGITS_STEPS))
    assert "b_l held fixed" in res.instruments[0]["instrumented"]
    res = train(_cfg(tmp_path, out=None, epochs=2, instrument=True, instrument_every=DIGITS_STEPS, bias=False))
    assert res.instruments[0]["instrumented"] == "W_l (no biases)"


# -- resume against the final reference --------------------------------------------------------------

def test_extending_a_final_reference_run_remeasures_against_the_new_end(tmp_path):
    kw = dict(instrument=True, reference="final", instrument_every=DIGITS_STEPS, epochs=2, dtype="float64")
    first = train(_cfg(tmp_path, **kw))
    done = resume(tmp_path / "run", epochs=4, progress=False)
    recs = [r for r in read_jsonl(tmp_path / "run" / "metrics.jsonl") if r["kind"] == "instrument"]
    assert [r["step"] for r in recs] == [0, DIGITS_STEPS, 2 * DIGITS_STEPS, 3 * DIGITS_STEPS]
    init = MLP("64-16-10", generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    W2_new = done.model.weights[1].detach().double()
    want = float((init.weights[1].detach() - W2_new).norm())
    assert recs[0]["layer2.full.dist"] == pytest.approx(want, rel=1e-9)
    W2_old = first.model.weights[1].detach().double()
    assert abs(recs[0]["layer2.full.dist"] - float((init.weights[1].detach() - W2_old).norm())) > 1e-3


def test_interrupt_in_final_instrument_pass_keeps_completed(tmp_path, monkeypatch):
    from dante.instruments import Instrumenter

    def boom(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(Instrumenter, "_replay", boom)
    res = train(_cfg(tmp_path, epochs=2, instrument=True, reference="final", instrument_every=DIGITS_STEPS))
    assert res.status == "completed" and "final instrument pass" in res.message
    assert json.loads((tmp_path / "run" / "final.json").read_text())["status"] == "completed"
    monkeypatch.undo()
    again = resume(tmp_path / "run", progress=False)
    assert again.status == "completed" and [r["step"] for r in again.instruments] == [0, DIGITS_STEPS]


# -- CLI bad input: one line, exit 2 ---------------------------------------------------------------

def _one_line_exit_2(code, capsys, match):
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("dante: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert match in err


def test_train_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    _one_line_exit_2(main(["train", "--epochs", "1", "--out", str(f), "--no-progress"]), capsys, "is a file")


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("logged") / "run"
    train(TrainConfig(arch="64-8-10", epochs=2, batch_size=256, instrument=True, instrument_every=3, eps=(0.1,),
                      progress=False, out=str(run)))
    return run


def test_plot_out_unwritable(logged_run, capsys):
    _one_line_exit_2(main(["plot", str(logged_run), "--out", "/proc/x.png"]), capsys, "cannot write /proc/x.png")


def test_plot_eps_not_logged(logged_run, capsys, tmp_path):
    _one_line_exit_2(main(["plot", str(logged_run), "--eps", "0.5", "--out", str(tmp_path / "p.png")]), capsys,
                     "eps 0.5 was not logged; the runs logged eps 0.1")


@pytest.mark.parametrize("cmd", ["plot", "summary"])
def test_unknown_source(logged_run, capsys, cmd):
    _one_line_exit_2(main([cmd, str(logged_run), "--source", "foo"]), capsys, "unknown --source 'foo'")


def test_corrupt_config_on_resume_names_the_file(tmp_path, capsys):
    train(_cfg(tmp_path, epochs=2))
    (tmp_path / "run" / "config.json").write_text("{not json")
    _one_line_exit_2(main(["train", "--resume", str(tmp_path / "run"), "--no-progress"]), capsys,
                     str(tmp_path / "run" / "config.json"))


def test_no_out_says_nothing_was_saved(capsys):
    assert main(["train", "--arch", "64-8-10", "--epochs", "2", "--batch-size", "256", "--no-progress"]) == 0
    assert "no --out given, so nothing was saved" in capsys.readouterr().err


def test_stdout_steps_match_final_json(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--arch", "64-8-10", "--epochs", "2", "--batch-size", "100", "--log-every", "5",
                 "--out", str(run), "--no-progress"]) == 0
    out = capsys.readouterr().out
    steps = int(out.split("steps=")[1].split()[0])
    assert steps == json.loads((run / "final.json").read_text())["step"] == 2 * math.ceil(1348 / 100)


def test_old_config_keeps_its_behaviour():
    """A config.json from before the new defaults resumes as it ran: leaky output, layer order L..1."""
    old = TrainConfig().to_dict()
    for k in ("am_min_rounds",):
        old.pop(k)
    old.update(output_activation=None, layer_order="backward", activation="leaky_relu", loss="mse")
    cfg = TrainConfig.from_dict(old)
    assert cfg.output_activation == "leaky_relu" and cfg.layer_order == "backward"
    assert TrainConfig.from_dict(TrainConfig().to_dict()).output_activation_name() == "identity"
