"""``slqc verify`` refuses bad files and rejects tampered witnesses (issues 10 and 14).

Every bad file gives one line on stderr and exit code 2, never a traceback; a tampered
witness (NaN, a point far outside B(0, W), labels off the idealized model, a lowered
kappa, ...) is rejected, while the untampered witness it came from is confirmed.
"""

from __future__ import annotations

import json
import sys
import types
import zipfile

import numpy as np
import pytest

from slqc import cli
from slqc.claims import get_claim
from slqc.verify import WitnessError, verify_witness
from slqc.witness import save_witness

#: Corollary 1's known violation: ReLU, nonnegative inputs, m < d (a zero-gradient point exists).
COR1 = {"activation": "relu", "b": 1.0, "W": 1.0, "wstar": 1.0, "m": 8, "d": 16, "k": 1, "distribution": "nonneg",
        "seed": 0, "eps": 1e-3}


def _cor1_parts():
    claim = get_claim("cor1")
    pb = claim.build(COR1)
    X, Y, z = pb.X.numpy(), pb.Y.numpy(), pb.z.numpy()
    x = -X.mean(0) / np.linalg.norm(X.mean(0))  # every <x, x_i> < 0: gradient 0, gap = mean y_i^2
    model = dict(pb.model, kind="slqc")
    meta = {"claim": "cor1", "theorem": claim.theorem, "setting": dict(COR1)}
    return dict(X=X, Y=Y, z=z, x=x, eps=COR1["eps"], kappa=claim.kappa(COR1), model=model, meta=meta)


def _save(tmp_path, name, radius=1.0, center=None, **over):
    p = _cor1_parts()
    p.update(over)
    return save_witness(str(tmp_path / name), p["X"], p["Y"], p["z"], p["x"], p["eps"], p["kappa"], p["model"],
                        meta=p["meta"], center=center, radius=radius)


def _raw(tmp_path, name, **over):
    """Write an .npz directly (bypassing save_witness's own refusals), from the good witness plus overrides."""
    p = _cor1_parts()
    arrays = {"X": p["X"], "Y": p["Y"][:, None], "z": p["z"], "x": p["x"], "eps": p["eps"], "kappa": p["kappa"],
              "model": json.dumps(p["model"]), "meta": json.dumps(p["meta"]), "center": np.zeros_like(p["z"]),
              "radius": 1.0}
    for k, v in over.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v
    path = str(tmp_path / name)
    np.savez(path, **arrays)
    return path


def _run(capsys, *paths):
    code = cli.main(["verify", *paths])
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_exit_2(capsys, path, *needles):
    code, out, err = _run(capsys, path)
    lines = err.strip().splitlines()
    assert code == 2, (out, err)
    assert len(lines) == 1 and lines[0].startswith("slqc: error:"), err
    assert "Traceback" not in err and "allow_pickle" not in err and "CONFIRMED" not in out
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def test_untampered_witness_is_confirmed(tmp_path, capsys):
    path = _save(tmp_path, "good")
    r = verify_witness(path)
    assert r.valid and r.fails and r.gnorm == 0.0, r.message
    # gap = f(x) - f(w*) = mean y_i^2 (f(w*) = 0, phi(<x, x_i>) = 0), an independent closed form
    assert r.gap == pytest.approx(float(np.mean(_cor1_parts()["Y"] ** 2)), rel=1e-12)
    assert "labels = model at z (idealized)" in r.checks and "x in B(center, R)" in r.checks
    code, out, _ = _run(capsys, path)
    assert code == 0 and "CONFIRMED" in out


# ---------------------------------------------------------------------- tampered witnesses (issue 10)
def test_nan_x_is_refused(tmp_path, capsys):
    x = _cor1_parts()["x"].copy()
    x[0] = np.nan
    path = _raw(tmp_path, "nan_x.npz", x=x)
    with pytest.raises(WitnessError):
        verify_witness(path)
    _assert_one_line_exit_2(capsys, path, "'x'", "non-finite")


def test_nan_in_X_is_a_bad_file_not_not_confirmed(tmp_path, capsys):
    X = _cor1_parts()["X"].copy()
    X[2, 3] = np.nan
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "nan_X.npz", X=X), "'X'", "non-finite")


def test_inf_anywhere_is_refused(tmp_path, capsys):
    for key, val in (("eps", np.inf), ("kappa", np.inf), ("radius", np.inf)):
        _assert_one_line_exit_2(capsys, _raw(tmp_path, f"inf_{key}.npz", **{key: val}), key)


def test_x_scaled_outside_the_ball_is_rejected(tmp_path, capsys):
    x = 50.0 * _cor1_parts()["x"]
    path = _raw(tmp_path, "far.npz", x=x)
    r = verify_witness(path)
    assert not r.valid and not r.fails
    assert any("x in B(center, R)" in p for p in r.problems)
    _assert_one_line_exit_2(capsys, path, "REJECTED", "x in B(center, R)")


def test_stored_domain_larger_than_the_claims_is_rejected(tmp_path, capsys):
    """A tampered radius cannot smuggle a far point in: the stored domain must lie in B(0, W)."""
    path = _raw(tmp_path, "bigR.npz", x=50.0 * _cor1_parts()["x"], radius=100.0)
    _assert_one_line_exit_2(capsys, path, "REJECTED", "B(c, R) in B(0, W)")


def test_labels_shifted_off_the_model_are_rejected(tmp_path, capsys):
    Y = _cor1_parts()["Y"][:, None] + 0.05
    path = _raw(tmp_path, "labels.npz", Y=Y)
    r = verify_witness(path)
    assert not r.valid and any("idealized" in p for p in r.problems)
    _assert_one_line_exit_2(capsys, path, "REJECTED", "idealized")


def test_inputs_outside_the_unit_ball_are_rejected(tmp_path, capsys):
    p = _cor1_parts()
    X = 3.0 * p["X"]
    Y = np.maximum(X @ p["z"], 0)[:, None]  # labels still the model's, only ||x_i|| <= 1 breaks
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "bigX.npz", X=X, Y=Y), "||x_i|| <= 1")


def test_teacher_outside_its_norm_bound_is_rejected(tmp_path, capsys):
    p = _cor1_parts()
    z = 2.0 * p["z"]
    Y = np.maximum(p["X"] @ z, 0)[:, None]
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "bigz.npz", z=z, Y=Y), "||z|| <= W")


def test_lowered_kappa_is_rejected(tmp_path, capsys):
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "kappa.npz", kappa=0.5), "kappa = claimed constant")


def test_a_greater_than_b_is_rejected(tmp_path, capsys):
    """Theorem 1 needs 0 < a <= b: a file claiming a = 2 b is rejected."""
    setting = {"activation": "generalized_relu", "a": 2.0, "b": 1.0, "W": 1.0, "m": 8, "d": 4, "k": 1,
               "distribution": "ball", "seed": 0, "eps": 1e-3}
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 4))
    X /= 2 * np.linalg.norm(X, axis=1, keepdims=True)
    z = np.array([1.0, 0, 0, 0])
    t = X @ z
    Y = np.where(t >= 0, t, 2.0 * t)
    model = {"model": "glm", "activation": {"name": "generalized_relu", "a": 2.0, "b": 1.0}, "loss": "squared",
             "kind": "slqc"}
    path = save_witness(str(tmp_path / "ab"), X, Y, z, -z, 1e-3, 2 * 1 * 1 / 2.0, model,
                        meta={"claim": "thm1", "setting": setting}, radius=1.0)
    _assert_one_line_exit_2(capsys, path, "0 < a <= b")


def test_kappa_and_eps_out_of_range_are_refused(tmp_path, capsys):
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "k0.npz", kappa=0.0), "kappa must be > 0")
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "kneg.npz", kappa=-3.0), "kappa must be > 0")
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "eneg.npz", eps=-1e-3), "eps must be > 0")
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "rneg.npz", radius=-1.0), "radius must be > 0")


def test_save_witness_refuses_nan(tmp_path):
    p = _cor1_parts()
    x = p["x"].copy()
    x[1] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        save_witness(str(tmp_path / "n"), p["X"], p["Y"], p["z"], x, 1e-3, 2.0, p["model"], radius=1.0)


# ---------------------------------------------------------------------- bad files (issue 14): one per kind
def test_missing_file(tmp_path, capsys):
    _assert_one_line_exit_2(capsys, str(tmp_path / "nope.npz"), "no witness file")


def test_directory(tmp_path, capsys):
    _assert_one_line_exit_2(capsys, str(tmp_path), "directory")


def test_garbage_file(tmp_path, capsys):
    path = tmp_path / "garbage.npz"
    path.write_bytes(b"\x80\x04garbage that is no zip at all" * 10)
    _assert_one_line_exit_2(capsys, str(path), "not an .npz")


def test_empty_file(tmp_path, capsys):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    _assert_one_line_exit_2(capsys, str(path), "not an .npz")


def test_truncated_npz(tmp_path, capsys):
    good = _save(tmp_path, "full")
    data = open(good, "rb").read()
    for i, cut in enumerate((len(data) // 2, len(data) - 30, 200)):
        path = tmp_path / f"trunc{i}.npz"
        path.write_bytes(data[:cut])
        _assert_one_line_exit_2(capsys, str(path))


def test_corrupted_member_of_the_zip(tmp_path, capsys):
    """A zip whose central directory is intact but whose X member has garbage bytes."""
    path = tmp_path / "corrupt.npz"
    good = _save(tmp_path, "full2")
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, b"\x93NUMPY garbage" if item.filename == "X.npy" else data)
    _assert_one_line_exit_2(capsys, str(path), "cannot read")


def test_missing_entries(tmp_path, capsys):
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "nokappa.npz", kappa=None), "missing kappa")


def test_wrong_shapes(tmp_path, capsys):
    p = _cor1_parts()
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "shapeX.npz", X=p["X"].reshape(-1)), "X must be (m, d)")
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "shapeY.npz", Y=p["Y"][:5]), "Y must be (m, k)")
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "shapex.npz", x=p["x"][:7]), "same shape")
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "shapez.npz", z=p["z"][:7], x=p["x"][:7]), "GLM point")
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "shapec.npz", center=np.zeros(3)), "center")


def test_non_numeric_entry(tmp_path, capsys):
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "strX.npz", X=np.array(["a", "b"])), "not numeric")


def test_model_not_json_or_unknown(tmp_path, capsys):
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "mj.npz", model="{not json"), "not JSON")
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "mu.npz", model=json.dumps({"model": "mlp9"})), "mlp9")
    bad_act = json.dumps({"model": "glm", "activation": {"name": "relu", "b": "x"}, "loss": "squared"})
    _assert_one_line_exit_2(capsys, _raw(tmp_path, "ma.npz", model=bad_act), "finite number 'b'")


def test_old_file_without_domain(tmp_path, capsys):
    """No centre/radius: the claim's B(0, W) from meta's setting; no claim and no radius: refused."""
    path = _raw(tmp_path, "old.npz", center=None, radius=None)
    r = verify_witness(path)
    assert r.valid and r.fails and "old file" in r.checks["x in B(center, R)"]
    far = _raw(tmp_path, "oldfar.npz", center=None, radius=None, x=3.0 * _cor1_parts()["x"])
    assert not verify_witness(far).valid
    bare = _raw(tmp_path, "bare.npz", center=None, radius=None, meta=json.dumps({}))
    _assert_one_line_exit_2(capsys, bare, "stores no domain")


def test_exit_codes_over_several_files(tmp_path, capsys):
    good = _save(tmp_path, "g")
    holds = _save(tmp_path, "h", x=_cor1_parts()["z"])  # x = z: gap 0, the definition holds
    assert _run(capsys, good)[0] == 0
    assert _run(capsys, good, holds)[0] == 1
    assert _run(capsys, good, holds, str(tmp_path / "missing.npz"))[0] == 2


def test_no_kappa_witness(tmp_path, capsys):
    """kind no_kappa: confirmed when gap > eps and g = 0, whatever the stored (claimed) kappa, even <= 0."""
    p = _cor1_parts()
    meta = {"claim": "cor1", "setting": dict(COR1)}
    path = save_witness(str(tmp_path / "nk"), p["X"], p["Y"], p["z"], p["x"], 1e-3, p["kappa"],
                        dict(p["model"], kind="no_kappa"), meta=meta, radius=1.0)
    r = verify_witness(path)
    assert r.fails and r.kind == "no_kappa" and "no kappa works" in r.message
    generic = save_witness(str(tmp_path / "nk2"), p["X"], p["Y"], p["z"], p["x"], 1e-3, -4.0,
                           dict(p["model"], kind="no_kappa"), radius=1.0)
    assert verify_witness(generic).fails
    assert _run(capsys, generic)[0] == 0


def test_certificate_dispatch(tmp_path, capsys, monkeypatch):
    path = str(tmp_path / "cert.npz")
    np.savez(path, kind="certificate", lower=0.0)
    fake = types.ModuleType("slqc.certificate")

    class _C:
        confirmed, message = True, "fake checker"

        def to_dict(self):
            return {"confirmed": True, "message": self.message}

    fake.verify_certificate = lambda p: _C()
    monkeypatch.setitem(sys.modules, "slqc.certificate", fake)
    code, out, _ = _run(capsys, path)
    assert code == 0 and "certificate CONFIRMED" in out
    monkeypatch.setitem(sys.modules, "slqc.certificate", None)  # import fails: one line, exit 2
    _assert_one_line_exit_2(capsys, path, "certificate")


def test_unreadable_file(tmp_path, capsys):
    import os

    path = _save(tmp_path, "locked")
    os.chmod(path, 0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read any file (root)")
        _assert_one_line_exit_2(capsys, path, "permission denied")
    finally:
        os.chmod(path, 0o600)


def test_real_certificate_is_dispatched(tmp_path, capsys):
    """A certificate written by slqc.certify goes to slqc.certificate.verify_certificate (exit 0 when confirmed)."""
    import torch

    from slqc.activations import get_activation
    from slqc.certify import certify
    from slqc.models import GLMObjective

    X = torch.tensor([[0.6, 0.0], [0.0, 0.8], [0.3, 0.3]], dtype=torch.float64)
    z = torch.tensor([0.5, 0.2], dtype=torch.float64)
    t = X @ z
    f = GLMObjective(X, torch.where(t >= 0, t, 0.5 * t), get_activation("generalized_relu", a=0.5, b=1.0))
    path = str(tmp_path / "cert.npz")
    res = certify(f, z, 0.01, 1.0, kappa=4.0, certificate=path)
    code, out, _ = _run(capsys, path)
    assert code == (0 if res.certified else 1)
    assert "certificate" in out
    with pytest.raises(WitnessError, match="certificate"):
        verify_witness(path)
