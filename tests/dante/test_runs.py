"""Run directories, CLI, bad input, Ctrl-C / non-finite handling and resume."""

from __future__ import annotations

import json

import pytest
import torch

from dante import TrainConfig, resume, train
from dante.cli import main
from dante.runlog import read_jsonl

DIGITS_STEPS = -(-1348 // 64)  # steps per pass on digits with batch 64


def _cfg(tmp_path, **kw):
    base = dict(data="digits", arch="64-16-10", method="dante", lr=0.05, epochs=4, sngd_epochs=1, batch_size=64,
                progress=False, out=str(tmp_path / "run"))
    base.update(kw)
    return TrainConfig(**base)


BAD_INPUTS = [
    dict(id="unknown-data", argv=["--data", "nope"], match="unknown dataset"),
    dict(id="unknown-method", argv=["--method", "lbfgs"], match="unknown method"),
    dict(id="arch-mismatch", argv=["--arch", "10-5-10"], match="input width 10"),
    dict(id="output-mismatch", argv=["--arch", "64-5-3"], match="3 outputs"),
    dict(id="lr-zero", argv=["--lr", "0"], match="lr must be"),
    dict(id="lr-negative", argv=["--lr", "-0.1"], match="lr must be"),
    dict(id="T-zero", argv=["--sngd-epochs", "0"], match="sngd_epochs"),
    dict(id="bad-arch", argv=["--arch", "64-x-10"], match="bad architecture"),
    dict(id="teacher-missing", argv=["--instrument", "--reference", "teacher"], match="teacher"),
    dict(id="greedy-classifier", argv=["--scheme", "greedy"], match="autoencoder"),
    dict(id="missing-idx", argv=["--data", "mnist", "--data-dir", "/nonexistent", "--arch", "784-10-10"],
         match="missing file /nonexistent/train-images-idx3-ubyte.gz"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c["id"] for c in BAD_INPUTS])
def test_bad_input_one_line_exit_2(case, capsys):
    code = main(["train", "--no-progress", "--epochs", "1"] + case["argv"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("dante: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert case["match"] in err


@pytest.mark.parametrize("kw", [dict(data="nope"), dict(method="foo"), dict(arch="10-5-10"), dict(lr=0.0),
                                dict(lr=-1.0), dict(sngd_epochs=0), dict(epochs=0), dict(batch_size=0)],
                         ids=["data", "method", "arch", "lr0", "lr-neg", "T0", "epochs0", "batch0"])
def test_library_raises_value_error(kw):
    with pytest.raises(ValueError):
        train(TrainConfig(progress=False, **kw))


def test_cli_train_writes_run_dir_and_plot(tmp_path, capsys):
    run = tmp_path / "run"
    code = main(["train", "--arch", "64-16-10", "--epochs", "2", "--sngd-epochs", "1", "--lr", "0.05", "--instrument",
                 "--out", str(run), "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("completed: ")
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["arch"] == "64-16-10" and cfg["method"] == "dante" and TrainConfig.from_dict(cfg).lr == 0.05
    final = json.loads((run / "final.json").read_text())
    recs = list(read_jsonl(run / "metrics.jsonl"))
    evals = [r for r in recs if r["kind"] == "eval"]
    assert final["test_acc"] == pytest.approx(evals[-1]["test_acc"]) and final["status"] == "completed"
    assert any(r["kind"] == "instrument" and "layer1.full.kappa_cond2@0.01" in r for r in recs)
    assert (run / "checkpoints" / "last.pt").is_file() and (run / "checkpoints" / "model.pt").is_file()
    assert main(["plot", str(run), "--out", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    assert main(["summary", str(run)]) == 0
    table = capsys.readouterr().out
    from dante.summary import summarize

    inst = [r for r in recs if r["kind"] == "instrument"]
    rows = {(r["layer"], r["eps"]): r for r in summarize(inst)}
    moving = [r for r in inst if r["layer2.full.dist"] > 0]
    share = sum(r["layer2.full.inner"] > 0 for r in moving) / len(moving)
    assert rows[(2, 0.01)]["share_inner_positive"] == pytest.approx(share)
    assert rows[(2, 0.01)]["n"] == len(inst) and rows[(2, 0.01)]["n_moving"] == len(moving)
    assert rows[(2, 0.01)]["claim"] == "Theorem 3" and "| 2 | 0.01 |" in table
    # an existing run is not overwritten
    assert main(["train", "--out", str(run), "--no-progress"]) == 2


def test_interrupt_keeps_logs_and_resume_matches_uninterrupted(tmp_path):
    straight = train(_cfg(tmp_path, out=None))

    def ctrl_c(step, loss):
        if step == 2 * DIGITS_STEPS + 3:  # in the middle of the third pass
            raise KeyboardInterrupt

    cut = train(_cfg(tmp_path), on_step=ctrl_c)
    run = tmp_path / "run"
    assert cut.status == "interrupted"
    assert json.loads((run / "final.json").read_text())["status"] == "interrupted"
    evals = [r for r in read_jsonl(run / "metrics.jsonl") if r["kind"] == "eval"]
    assert [r["epoch"] for r in evals] == [0.0, 1.0, 2.0]
    # the returned model is the last checkpoint (end of pass 2), which is finite
    assert all(torch.isfinite(p).all() for p in cut.model.parameters())
    done = resume(run, progress=False)
    assert done.status == "completed"
    for a, b in zip(straight.model.parameters(), done.model.parameters()):
        assert torch.equal(a.detach(), b.detach())
    evals = [r for r in read_jsonl(run / "metrics.jsonl") if r["kind"] == "eval"]
    assert [r["epoch"] for r in evals] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert [r["train_loss"] for r in evals] == pytest.approx([h["train_loss"] for h in straight.history], rel=1e-6)


def test_non_finite_loss_stops_cleanly(tmp_path, capsys):
    run = tmp_path / "run"
    code = main(["train", "--method", "sgd", "--lr", "1e12", "--arch", "64-16-10", "--epochs", "3", "--out", str(run),
                 "--no-progress"])
    assert code == 3
    err = capsys.readouterr().err
    assert "non-finite" in err and "Traceback" not in err
    final = json.loads((run / "final.json").read_text())
    assert final["status"] == "non-finite"
    ck = torch.load(run / "checkpoints" / "last.pt", weights_only=False)
    assert all(torch.isfinite(v).all() for v in ck["model"].values())
    assert [r for r in read_jsonl(run / "metrics.jsonl") if r["kind"] == "eval"][0]["step"] == 0


def test_resume_with_instruments_final_reference(tmp_path):
    """A run with final-reference instruments interrupted and resumed logs every scheduled step once."""
    kw = dict(instrument=True, reference="final", instrument_every=DIGITS_STEPS, epochs=3)

    def ctrl_c(step, loss):
        if step == DIGITS_STEPS + 2:
            raise KeyboardInterrupt

    train(_cfg(tmp_path, **kw), on_step=ctrl_c)
    done = resume(tmp_path / "run", progress=False)
    steps = [r["step"] for r in read_jsonl(tmp_path / "run" / "metrics.jsonl") if r["kind"] == "instrument"]
    assert steps == [0, DIGITS_STEPS, 2 * DIGITS_STEPS]
    assert [r["step"] for r in done.instruments] == [0, DIGITS_STEPS, 2 * DIGITS_STEPS]
