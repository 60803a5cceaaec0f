"""slqc.verify: the independent numpy re-check, tested against the engine's torch objectives.

The re-check shares no code with the search; these tests compare its values and
gradients with the engine's (a brute-force twin in the other direction), check the
closed-form condition against dense sampling of the ball, and run ``slqc verify``.
"""

from __future__ import annotations

import ast
import json
import pathlib

import numpy as np
import pytest
import torch

from slqc import cli
from slqc.definitions import value_and_grad
from slqc.generators import make_glm, make_one_hidden
from slqc.verify import check_point, objective, verify_witness
from slqc.witness import load_witness, save_witness

#: agreement between the numpy re-check and the engine's float64 evaluation
RTOL = 1e-10

CASES = [
    dict(id="grelu-1out", kind="glm", act="generalized_relu", a=0.1, b=1.0, k=1, loss="squared"),
    dict(id="grelu-3out", kind="glm", act="generalized_relu", a=0.3, b=2.0, k=3, loss="squared"),
    dict(id="relu-1out", kind="glm", act="relu", a=None, b=1.5, k=1, loss="squared"),
    dict(id="sigmoid-sq", kind="glm", act="sigmoid", a=None, b=None, k=1, loss="squared"),
    dict(id="sigmoid-bce", kind="glm", act="sigmoid", a=None, b=None, k=1, loss="bce"),
    dict(id="softmax-ce", kind="glm", act="softmax", a=None, b=None, k=4, loss="ce"),
    dict(id="onehidden-1out", kind="one_hidden", act="generalized_relu", a=0.2, b=1.0, k=1, loss="squared"),
    dict(id="onehidden-3out", kind="one_hidden", act="generalized_relu", a=0.2, b=1.0, k=3, loss="squared"),
]


def _build(case, seed=0):
    if case["kind"] == "glm":
        p = make_glm(5, 12, 2.0, case["act"], outputs=case["k"], loss=case["loss"], seed=seed, a=case["a"], b=case["b"])
        f = p.objective
        model = {"model": "glm", "activation": f.act.to_dict(), "loss": f.loss.name, "outputs_1d": not f.multi}
        return f, p.X, p.Y, p.w_star, None, model
    from slqc.activations import get_activation

    act = get_activation("generalized_relu", a=case["a"], b=case["b"])
    p = make_one_hidden(5, 3, 12, 1.5, 1.0, act, act, outputs=case["k"], seed=seed)
    f = p.objective
    model = {"model": "one_hidden", "act1": act.to_dict(), "act2": act.to_dict(), "loss": "squared",
             "outputs_1d": case["k"] == 1}
    return f, p.X, p.Y, p.W1_star, f.W2, model


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_numpy_objective_matches_engine(case):
    f, X, Y, z, W2, model = _build(case)
    g = torch.Generator().manual_seed(1)
    x = torch.randn((6,) + tuple(z.shape), generator=g, dtype=torch.float64)
    vals, grads = value_and_grad(f, x)
    Yn = Y.numpy().reshape(X.shape[0], -1)
    for p in range(x.shape[0]):
        v, gr = objective(model, X.numpy(), Yn, x[p].numpy(), None if W2 is None else W2.numpy())
        assert v == pytest.approx(float(vals[p]), rel=RTOL, abs=1e-14)
        np.testing.assert_allclose(gr, grads[p].numpy(), rtol=RTOL, atol=1e-13)


@pytest.mark.parametrize("case", CASES[:3], ids=[c["id"] for c in CASES[:3]])
def test_closed_form_condition_matches_dense_sampling(case):
    """The definition fails at x iff some sampled y in B(z, eps/kappa) has <g, y - x> > 0 (up to sampling)."""
    f, X, Y, z, W2, model = _build(case)
    rng = np.random.default_rng(0)
    Yn = Y.numpy().reshape(X.shape[0], -1)
    for trial in range(20):
        x = rng.standard_normal(z.shape) * 1.5
        eps, kappa = 10 ** rng.uniform(-3, -1), 10 ** rng.uniform(-2, 1)
        r = check_point(model, X.numpy(), Yn, z.numpy(), x, eps, kappa)
        _, gr = objective(model, X.numpy(), Yn, x)
        u = rng.standard_normal((20000,) + z.shape)
        u /= np.linalg.norm(u.reshape(len(u), -1), axis=1).reshape((-1,) + (1,) * z.ndim)
        ys = z.numpy() + (eps / kappa) * u  # boundary of the ball: where the max is attained
        sampled = (ys - x).reshape(len(u), -1) @ gr.reshape(-1)
        if r.gap > eps and r.gnorm > 0:
            # closed form max >= every sample, and it is attained at y* = z + r g / ||g||
            assert sampled.max() <= r.margin + 1e-12
            ystar = z.numpy() + (eps / kappa) * gr / np.linalg.norm(gr)
            assert float(((ystar - x) * gr).sum()) == pytest.approx(r.margin, rel=1e-9, abs=1e-12)
            if not r.fails:
                assert sampled.max() <= 1e-12 * max(1.0, abs(r.inner))


def test_relu_zero_gradient_witness(tmp_path):
    """ReLU GLM, every <w, x_i> < 0: gradient 0 and f(w) - f(w*) > eps -- the definition fails."""
    X = np.array([[0.6, 0.0], [0.0, 0.8]])
    ws = np.array([1.0, 1.0])
    Y = np.maximum(X @ ws, 0)[:, None]
    x = np.array([-1.0, -1.0])
    path = save_witness(str(tmp_path / "w"), X, Y, ws, x, 0.01, 2.0,
                        {"model": "glm", "activation": {"name": "relu", "b": 1.0}, "loss": "squared"}, radius=2.0)
    r = verify_witness(path)
    assert r.fails and r.gnorm == 0.0
    assert r.gap == pytest.approx((0.36 + 0.64) / 2)


def test_holding_point_is_not_confirmed(tmp_path):
    f, X, Y, z, W2, model = _build(CASES[0])
    x = z + 0.5  # gap > eps likely, but the gradient points away from z for this convex-ish GLM
    path = save_witness(str(tmp_path / "h"), X, Y, z, z, 0.01, 1.0, model, radius=2.0)
    r = verify_witness(path)  # x = z: gap 0 <= eps, condition 1 holds
    assert not r.fails and r.gap == 0.0
    assert "condition 1 holds" in r.message
    assert x.shape == z.shape


def test_witness_roundtrip(tmp_path):
    f, X, Y, z, W2, model = _build(CASES[6])
    path = save_witness(str(tmp_path / "oh.npz"), X, Y, z, z * 0.5, 0.1, 3.0, model, W2=W2, meta={"claim": "thm4"})
    w = load_witness(path)
    assert w.X.shape == (12, 5) and w.Y.shape == (12, 1) and w.W2.shape == (3,)
    assert w.model["model"] == "one_hidden" and w.meta["claim"] == "thm4"
    assert w.eps == 0.1 and w.kappa == 3.0
    with pytest.raises(ValueError):
        save_witness(str(tmp_path / "bad"), X, Y, z, z[0], 0.1, 1.0, model)


def test_cli_verify(tmp_path, capsys):
    X = np.array([[0.6, 0.0], [0.0, 0.8]])
    Y = np.maximum(X @ np.array([1.0, 1.0]), 0)
    model = {"model": "glm", "activation": {"name": "relu", "b": 1.0}, "loss": "squared"}
    bad = save_witness(str(tmp_path / "bad"), X, Y, np.array([1.0, 1.0]), np.array([-1.0, -1.0]), 0.01, 2.0, model,
                       radius=2.0)
    good = save_witness(str(tmp_path / "good"), X, Y, np.array([1.0, 1.0]), np.array([1.0, 1.0]), 0.01, 2.0, model,
                        radius=2.0)
    assert cli.main(["verify", bad]) == 0
    out = capsys.readouterr().out
    assert "f(x) - f(z)" in out and "<grad f(x), x - z>" in out and "||grad f(x)||" in out and "CONFIRMED" in out
    assert cli.main(["verify", good]) == 1
    assert cli.main(["verify", "--json", bad]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["fails"] is True
    assert cli.main(["verify", str(tmp_path / "missing.npz")]) == 2
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    assert cli.main(["verify", str(tmp_path / "junk.npz")]) == 2


def test_verify_imports_only_numpy_and_stdlib():
    """The re-check shares no code with the search: its imports are numpy, json and the standard library."""
    import slqc.verify as V

    tree = ast.parse(pathlib.Path(V.__file__).read_text())
    mods = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports in slqc.verify"
            mods.add(node.module.split(".")[0])
    assert mods <= {"numpy", "json", "math", "os", "zipfile", "dataclasses", "__future__"}, mods
