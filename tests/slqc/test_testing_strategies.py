"""slqc.testing: the strategies draw settings whose hypotheses hold, and assert_slqc fails loudly."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings

from slqc.generators import make_glm
from slqc.testing import assert_slqc, glm_cases, glm_settings, one_hidden_cases
from slqc.verify import verify_witness


@given(glm_settings(activations=("generalized_relu", "relu", "sigmoid")))
def test_glm_settings_are_valid(s):
    assert 1e-4 <= s["eps"] <= 1e-1 * (1 + 1e-6)
    assert s["m"] >= 1 and s["d"] >= 1 and s["W"] > 0 and 0 < s["wstar"] <= 1
    if s["activation"] == "generalized_relu":
        assert 0 < s["a"] <= s["b"]


@given(glm_cases(activations=("generalized_relu", "relu"), outputs=(1, 3), max_m=16, max_d=8))
def test_glm_cases_satisfy_hypotheses(c):
    assert all(ok for ok, _ in c.problem.hypotheses.values()), c.problem.hypotheses
    assert float(torch.linalg.vector_norm(c.problem.X, dim=1).max()) <= 1 + 1e-12
    assert float(torch.linalg.vector_norm(c.z)) <= c.W * (1 + 1e-12)
    assert float(c.f(c.z.unsqueeze(0))[0]) == pytest.approx(0.0, abs=1e-24)  # idealized labels


@given(one_hidden_cases(max_m=8, max_d=4, max_hidden=3, outputs=(1, 2)))
def test_one_hidden_cases_satisfy_hypotheses(c):
    assert all(ok for ok, _ in c.problem.hypotheses.values()), c.problem.hypotheses
    assert float(torch.linalg.vector_norm(c.z)) <= c.W1 * (1 + 1e-12)


def test_assert_slqc_passes_on_a_quadratic():
    """f(x) = ||x||^2, z = 0: kappa_emp = sqrt(eps), so kappa = 2 sqrt(eps) is enough."""
    f = lambda x: (x**2).sum(1)  # noqa: E731
    res = assert_slqc(f, torch.zeros(3, dtype=torch.float64), 0.04, kappa=0.4, radius=2.0)
    assert res.kappa <= 0.2 * (1 + 1e-9)


def test_assert_slqc_fails_with_witness_on_a_double_well(tmp_path):
    f = lambda x: (x[:, 0] ** 2 - 1) ** 2 + x[:, 1] ** 2  # noqa: E731
    with pytest.raises(AssertionError) as err:
        assert_slqc(f, torch.tensor([1.0, 0.0], dtype=torch.float64), 0.1, kappa=10.0, radius=2.0,
                    save_dir=str(tmp_path))
    msg = str(err.value)
    assert "f(x) - f(z)" in msg and "witness saved to" in msg
    assert list(tmp_path.glob("*.npz"))


def test_assert_slqc_glm_witness_is_rechecked(tmp_path):
    """Corollary 1's constant on a ReLU GLM with nonnegative inputs and m < d fails; the witness re-checks."""
    p = make_glm(16, 8, 1.0, "relu", b=1.0, distribution="nonneg", seed=0)
    with pytest.raises(AssertionError) as err:
        assert_slqc(p.objective, p.w_star, 1e-3, kappa=2.0, radius=1.0, save_dir=str(tmp_path))
    assert "slqc verify" in str(err.value)
    (path,) = tmp_path.glob("*.npz")
    assert verify_witness(str(path)).fails


@settings(max_examples=2, deadline=None)
@given(glm_cases(max_m=32, max_d=8))
def test_readme_example_theorem1(c):
    # the five-line property test of the README
    assert_slqc(c.f, c.z, c.eps, kappa=2 * c.b**3 * c.W / c.a, radius=c.W)
    assert math.isfinite(c.eps)


def test_failing_calls_share_one_temporary_folder(monkeypatch):
    """A shrinking property test fails many times: its witnesses go to one folder, not one folder each."""
    monkeypatch.delenv("SLQC_WITNESS_DIR", raising=False)
    f = lambda x: (x[:, 0] ** 2 - 1) ** 2 + x[:, 1] ** 2  # noqa: E731
    z = torch.tensor([1.0, 0.0], dtype=torch.float64)
    folders = set()
    for eps in (0.1, 0.2):
        with pytest.raises(AssertionError) as err:
            assert_slqc(f, z, eps, kappa=10.0, radius=2.0)
        path = str(err.value).split("witness saved to ")[1].split()[0]
        folders.add(path.rsplit("/", 1)[0])
    assert len(folders) == 1
