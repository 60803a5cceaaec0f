"""Registry contract tests: every claim of slqc.claims, driven by the registry itself.

* the claimed-kappa function equals its sympy expression (on every grid setting and on
  hypothesis-drawn ones);
* the hypotheses hold on the generated data (||x_i|| <= 1, ||w*|| <= W, labels);
* every claim carries its theorem number and section; the grids are JSON-ready and
  cover what a sceptical reviewer asks for (eps down to 1e-4, m < d, every distribution).
"""

from __future__ import annotations

import json
import math

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from slqc.claims import CLAIMS, get_claim, list_claims
from slqc.claims.base import BUDGETS, positive_finite
from slqc.claims.noisy_glm import m_bound
from slqc.claims.one_hidden import eps_positive
from slqc.data import DISTRIBUTIONS
from slqc.testing import glm_settings, one_hidden_settings

#: relative tolerance between the float twin and the 30-digit sympy evaluation
KAPPA_RTOL = 1e-9

NAMES = list(CLAIMS)


def _close(x: float, y: float) -> bool:
    if math.isinf(x) or math.isinf(y):
        return x == y
    return abs(x - y) <= KAPPA_RTOL * max(abs(x), abs(y), 1e-300)


@pytest.mark.parametrize("name", NAMES)
def test_claim_metadata(name):
    c = get_claim(name)
    assert c.name == name
    assert c.theorem and c.section and c.statement and c.hypotheses
    assert c.section in (type(c).__doc__ or "") + (__import__(type(c).__module__, fromlist=["x"]).__doc__ or "")
    d = c.describe()
    json.dumps(d)
    assert set(d["settings"]) == set(BUDGETS)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("budget", BUDGETS)
def test_kappa_matches_sympy_on_grid(name, budget):
    c = get_claim(name)
    settings = c.settings(budget)
    assert settings, "every claim has settings at every budget"
    for s in settings:
        json.dumps(s)
        assert _close(c.kappa(s), c.kappa_sympy(s)), s


@pytest.mark.parametrize("name", ["thm1", "thm2", "thm3", "cor1", "cor2", "thm4", "thm5"])
@given(s=glm_settings(activations=("generalized_relu",)), W1=st.floats(0.1, 10), W2=st.floats(0.1, 10))
def test_kappa_matches_sympy_drawn(name, s, W1, W2):
    c = get_claim(name)
    s = dict(s, W1=W1, W2=W2)
    assert _close(c.kappa(s), c.kappa_sympy(s))


@given(eps=st.floats(1e-8, 50.0), k=st.integers(2, 50))
def test_cross_entropy_kappas_drawn(eps, k):
    for name in ("thm6", "thm7"):
        c = get_claim(name)
        s = {"eps": eps, "k": k}
        assert _close(c.kappa(s), c.kappa_sympy(s))
    # Theorem 7 is Theorem 6's constant times d'
    assert _close(get_claim("thm7").kappa({"eps": eps, "k": k}), k * get_claim("thm6").kappa({"eps": eps}))


def test_closed_forms_by_hand():
    assert get_claim("thm1").kappa({"a": 0.1, "b": 1.0, "W": 1.0}) == pytest.approx(20.0)
    assert get_claim("cor1").kappa({"b": 2.0, "W": 3.0}) == pytest.approx(24.0)
    assert get_claim("hazan").kappa({"Wstar": 2.0}) == pytest.approx(math.e**2)
    # Theorem 4: positive only above eps_+ = 4 b^5 W2^2 W1^2 / a
    s = {"a": 0.5, "b": 1.0, "W1": 1.0, "W2": 1.0}
    assert eps_positive(s) == pytest.approx(8.0)
    assert get_claim("thm4").kappa(dict(s, eps=1.0)) < 0
    assert get_claim("thm4").kappa(dict(s, eps=16.0)) == pytest.approx(1 / (0.5 / 4 - 1 / 16))
    # the proof's sample size of Theorem 2, and its sympy twin
    c = get_claim("thm2")
    t = {"a": 0.5, "b": 1.0, "W": 1.0, "eps": 0.01}
    expr = c.m_bound_expr().subs({sympy.Symbol(k, positive=True): v for k, v in dict(t, delta=0.1).items()})
    assert m_bound(t, 0.1) == pytest.approx(float(expr), rel=KAPPA_RTOL)
    assert m_bound(t, 0.1) == pytest.approx(288 * math.log(10) / (0.25 * 1e-4))


def test_unknown_claim_is_a_value_error():
    with pytest.raises(ValueError, match="unknown claim 'thm99'"):
        get_claim("thm99")


def test_registry_order_and_names():
    assert [c.name for c in list_claims()] == ["hazan", "thm1", "thm2", "thm3", "cor1", "cor2", "thm4", "thm5",
                                              "thm6", "thm7", "thm8"]


def _slqc_settings(budget):
    for c in list_claims():
        for s in c.settings(budget):
            if c.kind == "probability":
                s = dict(s, m=s["ms"][0], seed=s["seed"] * 1000)
            yield c, s


@pytest.mark.parametrize("budget", ["quick", "standard"])
def test_hypotheses_hold_on_generated_settings(budget):
    """Every setting of the grid builds, and its hypotheses hold on the generated data."""
    seen = set()
    for c, s in _slqc_settings(budget):
        key = (c.name, json.dumps({k: v for k, v in s.items() if k != "eps"}, sort_keys=True))
        if key in seen:  # eps does not change the data
            continue
        seen.add(key)
        pb = c.build(s)
        bad = {k: v for k, v in pb.hypotheses.items() if not v[0]}
        assert not bad, (c.name, s, bad)
        assert "||x_i|| <= 1" in pb.hypotheses
        assert pb.radius > 0 and tuple(pb.z.shape) == tuple(pb.f.point_shape)
        if pb.gap_upper is not None:  # the bound is an upper bound at the points it covers
            import torch

            g = torch.Generator().manual_seed(0)
            x = torch.randn((64,) + tuple(pb.z.shape), generator=g, dtype=torch.float64)
            x = x / torch.linalg.vector_norm(x.reshape(64, -1), dim=1).reshape((64,) + (1,) * pb.z.ndim) * pb.radius
            gap = pb.f(x) - pb.f(pb.z.unsqueeze(0))
            assert float(gap.max()) <= pb.gap_upper * (1 + 1e-12) + 1e-15


def test_standard_grid_is_sceptical():
    """eps down to 1e-4, m < d, every distribution, several W, a, b and seeds."""
    for name in ("thm1", "thm3", "cor1", "cor2"):
        ss = get_claim(name).settings("standard")
        assert min(s["eps"] for s in ss) <= 1e-4
        assert any(s["m"] < s["d"] for s in ss)
        assert {s["distribution"] for s in ss} == set(DISTRIBUTIONS)
        assert len({s["W"] for s in ss}) >= 3 and len({s["seed"] for s in ss}) >= 3
        assert len({s["b"] for s in ss}) >= 2
    assert len({s.get("a") for s in get_claim("thm1").settings("standard")}) >= 4
    labels = {s.get("labels") for s in get_claim("thm6").settings("standard")}
    assert labels == {"idealized", "bernoulli", "threshold"}
    assert {s["w2"] for s in get_claim("thm4").settings("standard")} == {"w2*", "other"}


@given(one_hidden_settings())
def test_one_hidden_kappa_is_never_useful(s):
    """Theorem 4: kappa > 0 forces eps > eps_+ >= sup gap over the domain (proven bound)."""
    c = get_claim("thm4")
    for eps in (s["eps"], 2 * eps_positive(s)):
        t = dict(s, eps=eps)
        k = c.kappa(t)
        if positive_finite(k):
            pb = c.build(t)
            assert pb.gap_upper <= eps


@pytest.mark.parametrize("name", ["thm1", "thm3", "cor2", "thm4", "thm7"])
def test_candidate_points_lie_in_the_domain(name):
    c = get_claim(name)
    for s in c.settings("quick"):
        pb = c.build(s)
        P = pb.candidates.shape[0]
        assert P > 0 and tuple(pb.candidates.shape[1:]) == tuple(pb.z.shape)
        norms = pb.candidates.reshape(P, -1).norm(dim=1)
        assert float(norms.max()) <= pb.radius * (1 + 1e-12)


def test_candidates_reach_the_zero_gradient_cone():
    """ReLU GLM on nonnegative inputs: -mean(x) points into {w: <w, x_i> <= 0 for all i}, gradient 0."""
    from slqc.definitions import value_and_grad

    c = get_claim("cor1")
    s = dict(c.settings("quick")[0], distribution="nonneg", m=8, d=16, eps=1e-3)
    pb = c.build(s)
    _, g = value_and_grad(pb.f, pb.candidates[:1])
    assert float(g.abs().max()) == 0.0
    assert bool(((pb.X @ pb.candidates[0]) < 0).all())


@pytest.mark.parametrize("name", ["thm4", "thm5"])
def test_one_hidden_grids_hold_the_papers_slope_and_pairs_of_hard_factors(name):
    """Section 4 trains with the leaky ReLU a = 0.01, b = 1; small a meets nonnegative data with m < d."""
    ss = get_claim(name).settings("standard")
    assert any(s["a"] == 0.01 and s["b"] == 1.0 for s in ss)
    assert any(s["a"] <= 0.1 and s["distribution"] == "nonneg" and s["m"] < s["d"] for s in ss)
    assert any(s["a"] == 0.01 and s["w2"] == "other" for s in ss)


def test_glm_grids_hold_pairs_of_hard_factors():
    for name in ("thm1", "thm3"):
        ss = get_claim(name).settings("standard")
        assert any(s["a"] == 0.01 and s["distribution"] == "nonneg" and s["m"] < s["d"] for s in ss)
    for name in ("cor1", "cor2"):
        ss = get_claim(name).settings("standard")
        assert any(s["b"] == 2.0 and s["distribution"] == "nonneg" and s["m"] < s["d"] for s in ss)


def test_budget_names_come_from_the_search():
    from slqc.search import BUDGETS as SEARCH_BUDGETS

    assert BUDGETS == tuple(SEARCH_BUDGETS)
