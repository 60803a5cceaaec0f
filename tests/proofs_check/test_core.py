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
    """The summary lines quoted in docs/proofs_check.md are those of the current code."""
    summaries = {res.summary() for res in all_results.values()}
    quoted = [line for line in DOCS.read_text().splitlines()
              if line.split(":")[0] in all_results and "; steps " in line]
    assert quoted
    for line in quoted:
        assert line in summaries, f"stale docs line: {line[:80]}"
