"""The checker against known truths: identities, classical inequalities, false statements."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from proofs_check.core import (FAILS, NOTE, VERIFIED, VERIFIED_NUMERIC, MonoCert, Step, V,
                               check_relation, check_step, kappa_positive_region, relation_breaks_numeric,
                               sample_points)
from proofs_check.proofs.thm4 import KAPPA, THRESHOLD
from proofs_check.symbols import eps

x, y, u = sp.symbols("x y u", real=True)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "proofs_check.md"

CASES = [  # (id, before, rel, after, vars, expected statuses)
    {"id": "pythagoras", "before": sp.sin(u) ** 2 + sp.cos(u) ** 2, "rel": "==", "after": 1,
     "vars": (V(u, -sp.oo, sp.oo, num_lo=-5, num_hi=5),), "ok": {VERIFIED}},
    {"id": "am_gm", "before": x**2 + y**2, "rel": ">=", "after": 2 * x * y,
     "vars": (V(x, -sp.oo, sp.oo, num_lo=-3, num_hi=3), V(y, -sp.oo, sp.oo, num_lo=-3, num_hi=3)),
     "ok": {VERIFIED}},
    {"id": "square_ge_self_fails_on_unit", "before": x**2, "rel": ">=", "after": x,
     "vars": (V(x, 0, 2),), "ok": {FAILS}},
    {"id": "strict_equality_fails", "before": x - x, "rel": ">", "after": 0,
     "vars": (V(x, 0, 2),), "ok": {FAILS}},
    {"id": "exp_ge_one_plus_x", "before": sp.exp(x), "rel": ">=", "after": 1 + x,
     "vars": (V(x, -sp.oo, sp.oo, num_lo=-5, num_hi=5),), "ok": {VERIFIED, VERIFIED_NUMERIC}},
    {"id": "log_le_x_minus_one_wrong_way", "before": sp.log(x), "rel": ">=", "after": x - 1,
     "vars": (V(x, 0, 4, lo_open=True),), "ok": {FAILS}},
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_known_relations(case):
    res = check_relation(case["before"], case["after"], case["rel"], case["vars"], key=case["id"])
    assert res.status in case["ok"]
    if res.status == FAILS:
        pt = {sp.Symbol(k, real=True): sp.sympify(v) for k, v in res.counterexample.items()}
        b = float(sp.N(sp.sympify(case["before"]).xreplace(pt)))
        a = float(sp.N(sp.sympify(case["after"]).xreplace(pt)))
        assert relation_breaks_numeric(b, a, case["rel"])


def test_typo_becomes_note_and_wrong_bound_fails():
    base = (V(x, 0, 1),)
    typo = Step("t.typo", "", "", x**2, x, "==", base, corrected_rel="<=", typo=True)
    wrong = Step("t.wrong", "", "", x**2, x, "==", base, corrected_rel="<=")
    assert check_step(typo).status == NOTE
    r = check_step(wrong)
    assert r.status == FAILS and r.corrected is not None and r.corrected.ok


def test_monotone_certificate():
    step = Step("t.mono", "", "", eps - (1 - sp.exp(-eps)) ** 2, 0, ">", (V(eps, 0, sp.oo, lo_open=True, num_hi=3),),
                mono=MonoCert(eps, 0, (1 - sp.exp(-eps)) ** 2 + sp.exp(-2 * eps)))
    r = check_step(step)
    assert r.status == VERIFIED and "monotone" in r.printed.method


def test_sampler_respects_dependent_intervals():
    a_, b_ = sp.symbols("a_ b_", positive=True)
    vars_ = (V(a_, 0, 2, lo_open=True), V(b_, a_, 3))
    vals = sample_points(vars_, 500, np.random.default_rng(1))
    assert np.all(vals[b_] >= vals[a_]) and np.all(vals[a_] > 0) and np.all(vals[b_] <= 3)


def test_kappa_region_matches_threshold():
    assert kappa_positive_region(KAPPA, eps) == f"eps > {sp.sstr(THRESHOLD)} only"


def test_docs_excerpt_is_fresh(all_results):
    """Every line of the ``text`` blocks of docs/proofs_check.md is a line of the current output."""
    from proofs_check.report import render_text

    output = set(render_text(list(all_results.values())).splitlines())
    quoted, inside = [], False
    for line in DOCS.read_text().splitlines():
        if line.startswith("```"):
            inside = line == "```text"
            continue
        if inside:
            quoted.append(line)
    summaries = {res.summary() for res in all_results.values()}
    assert sum(line in summaries for line in quoted) >= 5 and any("thm4.no_kappa " in q for q in quoted)
    for line in quoted:
        assert line in output, f"stale docs line: {line[:100]}"


# --------------------------------------------------------------------- thm4.no_kappa (issue 9)

def test_thm4_sup_bound_is_zero_exactly_at_the_equality_point():
    """The sup over kappa of the corrected bound is 0 at a = b, eps = (2b^2W2W1)^2, negative elsewhere."""
    from proofs_check.proofs.thm4 import MAX_ERR, SUP_BOUND
    from proofs_check.symbols import W1, W2, a, b

    at = {a: sp.Rational(1, 50), b: sp.Rational(1, 50), W1: 2, W2: 2}
    at[eps] = MAX_ERR.xreplace(at)
    assert at[eps] == sp.Rational(4, 390625)
    assert SUP_BOUND.xreplace(at) == 0  # so the earlier strict '< 0' was false there
    # an independent reference: the bound's closed form (2a eps - 8 b^5 W2^2 W1^2) / b
    rng = np.random.default_rng(3)
    for _ in range(50):
        bb, w1, w2 = (float(x) for x in rng.uniform(0.05, 2.0, 3))
        aa = bb * float(rng.uniform(0.05, 1.0))
        ee = (2 * bb**2 * w2 * w1) ** 2 * float(rng.uniform(0.01, 1.0))
        ref = (2 * aa * ee - 8 * bb**5 * w2**2 * w1**2) / bb
        val = float(SUP_BOUND.xreplace({a: aa, b: bb, W1: w1, W2: w2, eps: ee}))
        assert val == pytest.approx(ref, rel=1e-9, abs=1e-300) and val < 0
        assert val < aa * ee / bb - 4 * bb**4 * w2**2 * w1**2 * (1 - 1e-12)


def test_thm4_no_kappa_steps_are_verified(step_results):
    ids = ["thm4.no_kappa", "thm4.no_kappa_equality", "thm4.no_kappa_any", "thm4.no_kappa_target"]
    assert [step_results[i].status for i in ids] == [VERIFIED] * 4
    assert step_results["thm4.no_kappa"].step.rel == "<="
    assert step_results["thm4.no_kappa_target"].step.rel == "<"


def _strict_no_kappa_step() -> Step:
    from proofs_check.proofs.thm4 import NONTRIVIAL, SUP_BOUND
    return Step("t.no_kappa_strict", "", "", SUP_BOUND, 0, "<", NONTRIVIAL)


def test_counterexample_does_not_depend_on_sample_order(monkeypatch):
    """The chosen counterexample is a function of the set of violating points (issue 9: it used to
    depend on how numpy's argsort broke ties, which differs between releases and CPUs)."""
    import proofs_check.core as core

    step = _strict_no_kappa_step()
    first = core.numeric_search(step.before, step.after, step.rel, step.vars, step.given, key="t")
    assert first.status == FAILS
    ce = {k: sp.Rational(v) for k, v in first.counterexample.items()}
    assert ce["a"] == ce["b"] and ce["epsilon"] == (2 * ce["b"] ** 2 * ce["W_2"] * ce["W_1"]) ** 2
    draw = core.sample_points

    def permuted(vars_, n, rng, unit=None):
        vals = draw(vars_, n, rng, unit)
        perm = np.random.default_rng(99).permutation(n)
        return {s_: x_[perm] for s_, x_ in vals.items()}

    monkeypatch.setattr(core, "sample_points", permuted)
    again = core.numeric_search(step.before, step.after, step.rel, step.vars, step.given, key="t")
    assert again.counterexample == first.counterexample


def test_candidates_are_a_total_order():
    from proofs_check.core import _candidates

    vars_ = (V(x, 0, 3), V(y, 0, 3))
    vals = {x: np.array([0.5, 1.04, 2.0, 0.5]), y: np.array([1.0, 2.0, 0.33, 1.0])}
    idx = np.arange(4)
    out = _candidates(vars_, vals, idx, 1)
    assert out == _candidates(vars_, vals, idx[::-1], 1)
    assert out == [("1", "2"), ("1/2", "1"), ("2", "3/10")]  # 1.04 -> 1, 0.33 -> 3/10 at 1 digit; shortest first


# ------------------------------------------------------------------- verdict labels (issue 10)

def test_ratio_range_on_known_functions():
    from proofs_check.claim import ratio_range

    assert ratio_range(1 + 1 / x, (V(x, 0, sp.oo, lo_open=True),)) == "(1, oo)"
    assert ratio_range(x**2, (V(x, 1, 2),)) == "[1, 4]"
    assert ratio_range(x / y, (V(x, 1, 2), V(y, 1, 2))) == "[1/2, 2]"
    assert ratio_range(sp.sin(x), (V(x, 0, 10),)) == ""  # not monotone: undecided, nothing printed


def test_verdict_kinds(all_results):
    kinds = {n: r.verdict_kind for n, r in all_results.items()}
    assert kinds["thm1"] == "proof-verified"
    assert kinds["thm2"] == kinds["thm3"] == "local-fix"
    assert kinds["thm6"] == kinds["thm7"] == "statement-holds"
    assert {kinds[n] for n in ("cor1", "cor2", "thm4", "thm5")} == {"does-not-follow"}
    assert all_results["thm3"].verdict == "follows after a local fix (same kappa)"
    assert all_results["thm6"].verdict == "statement holds, proof steps fail"
    # the failing steps of Theorems 6 and 7 stay failed: no in-place correction of them
    for n in ("thm6", "thm7"):
        assert all(r.corrected is None for r in all_results[n].broken)


def test_thm2_corrected_constant_and_ratio(all_results):
    """kappa' / kappa = 4 + 2/(bW) (checked numerically from the two constants), in (4, oo)."""
    from proofs_check.proofs.thm2 import KAPPA, KAPPA_CORR
    from proofs_check.symbols import W, a, b

    res = all_results["thm2"]
    assert res.verdict == "follows after a local fix (kappa' = 4*b**2*(2*W*b + 1)/a = (4 + 2/(W*b)) x claimed)"
    assert res.ratio_text == "kappa'/kappa = 4 + 2/(W*b) (in (4, oo) over the hypotheses; 6 at b = 1, W = 1)"
    f = sp.lambdify((a, b, W), KAPPA_CORR / KAPPA)
    rng = np.random.default_rng(0)
    aa = rng.uniform(0.01, 2, 1000)
    bb = aa + rng.uniform(0, 3, 1000)
    ww = rng.uniform(0.01, 5, 1000)
    r = f(aa, bb, ww)
    assert np.allclose(r, 4 + 2 / (bb * ww)) and np.all(r > 4)
    assert f(1.0, 1.0, 1.0) == pytest.approx(6.0)
    assert f(0.1, 1e4, 1e4) == pytest.approx(4.0, abs=1e-6) and f(0.1, 0.1, 0.1) > 100
    # on b W >= 1 (e.g. the unit setting and above) the ratio lies in (4, 6]: the "4-6x"
    big = bb * ww >= 1
    assert np.all((r[big] > 4) & (r[big] <= 6))
