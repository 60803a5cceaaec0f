"""docs/needle_geometry.py: the witness geometry it prints, against numpy on the same file, and its bad input."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

from . import docs_scripts

ROOT = docs_scripts.ROOT
WITNESS = os.path.join(ROOT, "docs", "check_witnesses", "thm4-dacb51a7d7.npz")


def _script():
    return docs_scripts.load("needle_geometry")


def test_prints_the_place_of_the_witness_point(capsys):
    assert _script().main([WITNESS, "--points", "20"]) == 0
    out = capsys.readouterr().out
    got = {k: float(v) for k, v in re.findall(r"([\w|\-/(),]+)=(-?[\d.]+)", out)}
    d = np.load(WITNESS, allow_pickle=True)
    x, z, R = d["x"], d["z"], float(d["radius"])
    c = d["center"] if "center" in d else np.zeros_like(z)
    assert got["|x-z|/R"] == pytest.approx(np.linalg.norm(x - z) / R, abs=1e-3)
    assert got["|x-c|/R"] == pytest.approx(np.linalg.norm(x - c) / R, abs=1e-4)
    assert got["cos(x,z)"] == pytest.approx((x * z).sum() / (np.linalg.norm(x) * np.linalg.norm(z)), abs=1e-3)
    assert re.search(r"sphere: \d+/20 above the level set, \d+ with <g, x - z> < 0", out)


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    mod = _script()
    assert mod.main([str(tmp_path / "missing.npz")]) == 2
    assert mod.main([WITNESS, "--points", "0"]) == 2
    glm = os.path.join(ROOT, "docs", "check_witnesses")
    other = next(f for f in sorted(os.listdir(glm)) if f.startswith("thm1") or f.startswith("cor1"))
    assert mod.main([os.path.join(glm, other)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("needle_geometry: ") for line in err)
