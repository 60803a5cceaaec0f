"""Every experiment script runs at toy size (``--quick``) and writes what it promises.

Cockpit-style example tests: each script's ``main`` runs in-process under ``MPLBACKEND=agg`` into
a temporary directory; its ``results.json`` must hold the protocol fields, its ``table.md`` a row
per method, and every listed plot must be a PNG.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from experiments import cli, registry, verify
from experiments.protocol import LABELS
from experiments.report import is_png
from slqc import jsonio

ROOT = Path(__file__).resolve().parents[2]

# (script, extra arguments, labels that must each appear as a table row)
SCRIPTS = [
    {"id": "fig2", "name": "fig2_leaky_relu", "args": ["--datasets", "digits", "--seeds", "1"], "seeds": 1,
     "rows": ["DANTE", "SGD"]},
    {"id": "fig5", "name": "fig5_sigmoid", "args": ["--datasets", "digits"], "rows": ["DANTE", "SGD"]},
    {"id": "fig6", "name": "fig6_cross_entropy", "args": ["--datasets", "digits"], "rows": ["DANTE", "SGD"]},
    {"id": "fig7", "name": "fig7_sngd_epochs", "args": ["--datasets", "digits", "--seeds", "1"], "seeds": 1,
     "rows": ["SGD", "DANTE T=1", "DANTE T=2"]},
    {"id": "table1", "name": "table1_adaptive", "args": ["--datasets", "digits"],
     "rows": [LABELS[m] for m in ("dante", "sgd", "adam", "adagrad", "rmsprop", "momentum", "dante+momentum")]},
    {"id": "table2", "name": "table2_altmin", "args": ["--datasets", "digits"],
     "rows": ["DANTE", "SGD", "SGD+AltMin (picked)", "SGD+AltMin lr="]},
    {"id": "table3", "name": "table3_regression", "args": [], "rows": ["DANTE", "SGD", "constant (train mean)"]},
    {"id": "table4", "name": "table4_autoencoder", "args": ["--datasets", "digits,wine", "--seeds", "1"], "seeds": 1,
     "rows": ["DANTE", "SGD", "raw inputs", "untrained network (init)"]},
    {"id": "theory", "name": "theory_vs_practice", "args": ["--datasets", "digits", "--seeds", "1"], "seeds": 1,
     "rows": ["DANTE", "SGD"]},
]

RESULT_FIELDS = ("method", "label", "grid", "pick", "runs", "summary")


@pytest.fixture(autouse=True)
def _agg(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "agg")


def _run(name: str, out: Path, args: list[str]) -> int:
    mod = importlib.import_module(f"experiments.{name}")
    return cli.run(mod.main, ["--quick", "--out", str(out), *args])


def _table_rows(md: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in md.splitlines()
            if line.startswith("|") and not line.startswith("|---")]


def check_outputs(out: Path, rows: list[str], n_seeds: int = 2) -> dict:
    data = jsonio.read(out / "results.json")
    assert data["complete"] is True
    assert data["mode"] == "quick" and data["command"].startswith("python -m experiments.")
    for key in ("date", "settings", "results", "paper", "files"):
        assert key in data
    assert data["results"], "no settings ran"
    for r in data["results"]:
        for f in RESULT_FIELDS:
            assert f in r, f
        assert sum(g["picked"] for g in r["grid"]) == 1
        picked = next(g for g in r["grid"] if g["picked"])
        assert picked["lr"] == r["pick"]["lr"]
        assert len(r["runs"]) == n_seeds
        assert r["summary"]["test_loss"]["n"] + r["summary"]["test_loss"]["n_nonfinite"] == n_seeds
        if len(r["grid"]) > 1:  # the pick is the argmin of the finite validation metrics
            finite = [g for g in r["grid"] if g["val_metric"] is not None and math.isfinite(g["val_metric"])]
            if finite:
                assert picked["val_metric"] == min(g["val_metric"] for g in finite)
    md = (out / "table.md").read_text()
    cells = [c for row in _table_rows(md) for c in row]
    for label in rows:
        assert any(c == label or c.startswith(label) for c in cells), f"no row for {label!r}"
    assert verify.problems(data) == []  # the independent re-check agrees
    mod = registry.module(out.name)
    for v in mod.verdicts(data):  # every script states its own verdicts: [claim, evidence, verdict]
        assert len(v) == 3 and all(isinstance(c, str) and c for c in v)
    assert all(isinstance(h, str) and h for h in mod.headlines(data))
    pngs = data["files"].get("png", [])
    assert pngs, "no plot written"
    for p in pngs:
        assert is_png(out / p), p
    return data


# classifier scripts whose squared-loss networks must have the paper's output unit (the hidden activation)
PAPER_OUTPUT_SCRIPTS = ("fig2_leaky_relu", "fig5_sigmoid", "fig6_cross_entropy", "fig7_sngd_epochs",
                        "table1_adaptive", "table2_altmin", "theory_vs_practice")


def check_paper_output(data: dict) -> None:
    """Every setting's config has the paper's output unit: under the squared loss the hidden activation
    (the paper's Eq. 4), not dante's linear default for classifiers; cross-entropy keeps the logits.
    Checked through dante's own reading of the config (``TrainConfig.output_activation_name``)."""
    from dante.config import TrainConfig

    for r in data["results"]:
        cfg = r["config"]
        if cfg.get("method") is None or "activation" not in cfg:
            continue
        fields = {k: v for k, v in cfg.items() if k in TrainConfig.__dataclass_fields__}
        out = TrainConfig.from_dict({**fields, "am_min_rounds": fields.get("am_min_rounds", 1)}).output_activation_name()
        if cfg["loss"] == "mse":
            assert cfg.get("output_activation") == cfg["activation"], r.get("label")
            assert out == cfg["activation"]
        else:
            assert cfg.get("output_activation") is None and out == "identity"  # logits


@pytest.mark.parametrize("case", SCRIPTS, ids=[c["id"] for c in SCRIPTS])
def test_script_quick(case, tmp_path):
    out = tmp_path / case["name"]
    assert _run(case["name"], out, case["args"]) == 0
    data = check_outputs(out, case["rows"], case.get("seeds", 2))
    if case["name"].startswith("fig") and case["name"] != "fig7_sngd_epochs":
        for r in data["results"]:
            assert r["runs"][0]["history"][-1]["weights_updated"] > 0
    if case["name"] in PAPER_OUTPUT_SCRIPTS:
        check_paper_output(data)
    if case["name"] == "table4_autoencoder":  # Figure 9: reconstructions of the digits' autoencoders
        assert "digits_fig9_reconstructions.png" in data["files"]["png"]
        d = next(r for r in data["results"] if r["dataset"] == "digits" and r["method"] == "dante")
        assert d["figure9_sq_err"]["n"] == 10 and d["figure9_sq_err"]["mean"] > 0
        assert "wine_fig9_reconstructions.png" not in data["files"]["png"]  # not an image set
        assert any(v[0].startswith("Fig. 9") for v in registry.verdicts("table4_autoencoder", data))
    if case["name"] == "theory_vs_practice":
        r = data["results"][0]
        assert r["n_records"] > 0 and r["layers"]
        st = next(iter(r["layers"].values()))["0.1"]
        for key in ("held", "held_by_2", "cond1", "inner_pos", "median_kappa_est", "claim"):
            assert key in st
        assert st["median_kappa_est"] > 0  # read from the logged kappa_cond2 series, not missing


def test_table1_rows_per_method_and_paper_column(tmp_path):
    out = tmp_path / "t1"
    assert _run("table1_adaptive", out, ["--datasets", "digits", "--seeds", "1"]) == 0
    md = (out / "table.md").read_text()
    assert "paper (MNIST): test loss" in md
    rows = [r for r in _table_rows(md) if r[0] == "digits"]
    assert len(rows) == 7
    assert "0.030775" in md  # the paper's DANTE number, in its own column


@pytest.mark.parametrize("args,msg", [
    (["--datasets", "nosuchset"], "unknown dataset"),
    (["--data-dir", "/nonexistent/dir"], "data directory not found"),
    (["--datasets", "mnist"], "mnist"),  # no IDX files given
    (["--seeds", "0"], "--seeds"),
    (["--bogus"], "unrecognized"),
], ids=["unknown-dataset", "missing-data-dir", "mnist-without-files", "zero-seeds", "bad-flag"])
def test_bad_input_one_line_exit_2(args, msg, tmp_path, capsys):
    mod = importlib.import_module("experiments.fig2_leaky_relu")
    try:
        rc = cli.run(mod.main, ["--quick", "--out", str(tmp_path / "o"), *args])
    except SystemExit as exc:  # argparse errors
        rc = exc.code
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and err.startswith("error:") and msg in err


def test_interrupted_run_keeps_finished_settings(tmp_path, monkeypatch):
    import experiments.protocol as protocol

    real = protocol.train_once
    calls = {"n": 0}

    def flaky(config, train_fn=None):
        calls["n"] += 1
        if calls["n"] > 4:  # the first setting (2 validation + 2 seed runs) finishes
            raise KeyboardInterrupt
        return real(config, train_fn)

    monkeypatch.setattr(protocol, "train_once", flaky)
    out = tmp_path / "fig2"
    assert _run("fig2_leaky_relu", out, ["--datasets", "digits"]) == 130
    data = jsonio.read(out / "results.json")
    assert data["complete"] is False
    assert len(data["results"]) == 1 and data["results"][0]["method"] == "dante"
    md = (out / "table.md").read_text()
    assert "Incomplete run" in md and "| DANTE" in md  # the finished setting stays readable


def test_run_all_quick_writes_results(tmp_path):
    from experiments import run_all

    out = tmp_path / "all"
    rc = cli.run(run_all.main, ["--quick", "--out", str(out), "--only", "table3_regression", "--seeds", "1",
                                "--results", str(tmp_path / "RESULTS.md")])
    assert rc == 0
    text = (tmp_path / "RESULTS.md").read_text()
    assert "python -m experiments.run_all --quick" in text
    assert "Did not finish:** fig2_leaky_relu" in text  # the scripts it skipped are named
    assert "The paper's claims against our runs" in text and "Table 3: DANTE lower regression error" in text
    assert "| Table 3: DANTE lower regression error | diabetes: test MSE DANTE" in text
    assert "python -m experiments.run_all --full --device cuda" in text  # the full protocol's command
    record = jsonio.read(out / "run_all.json")
    assert set(record["status"]) == {"table3_regression"}
    assert all(v.startswith("exit 0") for v in record["status"].values())


def test_registry_lists_every_script_with_its_own_verdicts():
    files = {p.stem for p in (ROOT / "experiments").glob("*.py")}
    scripts = {n for n in files if n.startswith(("fig", "table", "theory")) and not n.endswith("_protocol")}
    assert scripts == set(registry.SCRIPTS)
    for name in registry.SCRIPTS:
        mod = registry.module(name)
        assert callable(mod.main) and callable(mod.headlines) and callable(mod.verdicts)
    with pytest.raises(KeyError):
        registry.module("nosuch")


def test_make_results_and_run_all_do_not_import_each_other():
    import ast

    def imported(name):
        tree = ast.parse((ROOT / "experiments" / f"{name}.py").read_text())
        out = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                out.add(node.module or "")
                out.update(a.name for a in node.names)
            elif isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
        return out
    assert "make_results" in imported("run_all") and "registry" in imported("make_results")
    assert not {"run_all", "experiments.run_all"} & imported("make_results")
    assert not {"run_all", "make_results"} & imported("registry")


def test_python_m_experiments_lists_and_runs(tmp_path):
    env = {**os.environ, "MPLBACKEND": "agg", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "experiments"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0
    listed = [line.split()[0] for line in proc.stdout.splitlines() if line.startswith("  ")]
    assert listed[:len(registry.SCRIPTS)] == list(registry.SCRIPTS)



def test_python_m_experiments_dispatch(capsys, tmp_path):
    from experiments.__main__ import main

    assert main(["nosuch"]) == 2
    assert capsys.readouterr().err.startswith("error: unknown experiment 'nosuch'")
    assert main(["table3_regression", "--quick", "--datasets", "nosuchset", "--out", str(tmp_path / "o")]) == 2
    assert "unknown dataset" in capsys.readouterr().err


def test_verify_catches_a_wrong_summary_and_pick(tmp_path):
    data = {"results": [{"dataset": "d", "arch": "a", "method": "sgd", "pick": {"lr": 1.0},
                         "grid": [{"lr": 0.1, "val_metric": 0.2, "picked": False},
                                  {"lr": 1.0, "val_metric": 0.3, "picked": True}],
                         "runs": [{"seed": 0, "final": {"test_loss": 1.0}}, {"seed": 1, "final": {"test_loss": 3.0}}],
                         "summary": {"test_loss": {"mean": 2.0, "std": 1.0, "n": 2}}}]}
    found = verify.problems(data)
    assert len(found) == 2  # pick is not the argmin; std should be sqrt(2)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    assert verify.main([str(path)]) == 1
    data["results"][0]["grid"][0]["picked"], data["results"][0]["grid"][1]["picked"] = True, False
    data["results"][0]["pick"] = {"lr": 0.1}
    data["results"][0]["summary"]["test_loss"]["std"] = math.sqrt(2.0)
    assert verify.problems(data) == []  # the corrected file checks out
