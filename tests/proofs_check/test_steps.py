"""Every step of every claim: verified steps hold at hypothesis-drawn points of their hypotheses,
failing steps break at their counterexample (sections 3.2-3.4 and 5 of the paper)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from proofs_check.core import (FAILS, NOTE, STATUSES, VERIFIED, VERIFIED_NUMERIC, Step, _given_mask,
                               _lambdify, evaluate_at, point_in_domain, relation_breaks_numeric,
                               relation_holds_numeric, sample_points)
from proofs_check.claim import VERDICT_KINDS, VERDICT_LABELS
from proofs_check.proofs import REGISTRY

#: Points per hypothesis example (drawn unit coordinates) and per drawn seed (random batch).
DRAWN_POINTS = 6
SEEDED_POINTS = 48
#: Tolerance of the float re-evaluation (same scale as the checker's).
RTOL = 1e-8

ALL_STEPS: list[Step] = [s for claim in REGISTRY.values() for s in claim.build()]
STEP_BY_ID = {s.id: s for s in ALL_STEPS}
_FUNCS: dict[tuple[str, bool], tuple] = {}


def _funcs(step: Step, corrected: bool):
    key = (step.id, corrected)
    if key not in _FUNCS:
        syms = [v.sym for v in step.vars]
        after = step.corrected_after if (corrected and step.corrected_after is not None) else step.after
        _FUNCS[key] = (syms, _lambdify(syms, step.before), _lambdify(syms, after))
    return _FUNCS[key]


def _check_points(step: Step, vals: dict, n: int, corrected: bool) -> int:
    """Assert the relation at every finite point inside the hypotheses; returns how many were checked."""
    syms, fb, fa = _funcs(step, corrected)
    rel = (step.corrected_rel or step.rel) if corrected else step.rel
    mask = _given_mask(step.given, syms, vals, n)
    with np.errstate(all="ignore"):
        bv = np.broadcast_to(np.asarray(fb(*[vals[s] for s in syms]), float), (n,))
        av = np.broadcast_to(np.asarray(fa(*[vals[s] for s in syms]), float), (n,))
    checked = 0
    for k in np.flatnonzero(mask):
        if not (np.isfinite(bv[k]) and np.isfinite(av[k])):
            continue
        checked += 1
        point = {str(s): float(vals[s][k]) for s in syms}
        assert relation_holds_numeric(float(bv[k]), float(av[k]), rel, RTOL), (
            f"{step.id}: symbolic/numeric '{rel}' refuted at {point}: before={bv[k]!r}, after={av[k]!r}")
    return checked


def test_registry_names():
    required = {"hazan", "thm1", "thm2", "cor1", "cor2", "thm3", "thm4", "thm5", "thm6", "thm7", "thm8",
                "lemma_lipschitz_monotone", "lemma_grelu_subgradient", "lemma_sigmoid_lipschitz",
                "lemma_softmax_lipschitz", "lemma_log_bound", "lemma_hoeffding_thm2"}
    assert required <= set(REGISTRY)


def test_step_ids_unique_and_prefixed():
    ids = [s.id for s in ALL_STEPS]
    assert len(ids) == len(set(ids))
    for claim in REGISTRY.values():
        for s in claim.build():
            assert s.id.startswith(claim.name + "."), s.id


@pytest.mark.parametrize("step_id", sorted(STEP_BY_ID))
def test_variables_in_dependency_order(step_id):
    step = STEP_BY_ID[step_id]
    seen: set = set()
    for v in step.vars:
        free = (sp.sympify(v.lo).free_symbols | sp.sympify(v.hi).free_symbols)
        assert free <= seen, f"{step_id}: bounds of {v.name} use later variables {free - seen}"
        seen.add(v.sym)
    used = sp.sympify(step.before).free_symbols | sp.sympify(step.after).free_symbols
    assert used <= seen, f"{step_id}: expressions use undeclared {used - seen}"


def test_every_claim_runs(all_results):
    assert set(all_results) == set(REGISTRY)
    for name, res in all_results.items():
        assert res.results, name
        assert all(r.status in STATUSES for r in res.results)
        line = res.summary()
        assert "\n" not in line and line.startswith(name + ": ")
        assert res.verdict_kind in VERDICT_KINDS
        assert res.verdict.startswith(VERDICT_LABELS[res.verdict_kind])


@pytest.mark.parametrize("step_id", sorted(STEP_BY_ID))
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_step_against_numbers(step_results, step_id, seed, data):
    """verified: holds at drawn points; fails/note: the counterexample breaks the printed line."""
    res = step_results[step_id]
    step = res.step
    nv = len(step.vars)
    if res.status in (VERIFIED, VERIFIED_NUMERIC) or (res.corrected is not None and res.corrected.ok):
        corrected = res.status not in (VERIFIED, VERIFIED_NUMERIC)
        if nv:
            u = data.draw(arrays(np.float64, (DRAWN_POINTS, nv), elements=st.floats(0.0, 1.0)), label="unit")
            vals = sample_points(step.vars, DRAWN_POINTS, np.random.default_rng(0), unit=u)
            _check_points(step, vals, DRAWN_POINTS, corrected)
            vals = sample_points(step.vars, SEEDED_POINTS, np.random.default_rng(seed))
            assert _check_points(step, vals, SEEDED_POINTS, corrected) > 0, f"{step_id}: no point checked"
        else:
            b, a = evaluate_at(step, {}, corrected=corrected)
            assert relation_holds_numeric(b, a, (step.corrected_rel or step.rel) if corrected else step.rel, RTOL)
    if res.status in (FAILS, NOTE):
        ce = res.printed.counterexample
        assert ce is not None, f"{step_id}: a failing step needs a counterexample"
        exact = {v.sym: sp.sympify(ce[v.name]) for v in step.vars}
        assert point_in_domain(step.vars, step.given, exact), f"{step_id}: counterexample outside hypotheses"
        b, a = evaluate_at(step, ce)
        assert relation_breaks_numeric(b, a, step.rel, RTOL), f"{step_id}: counterexample does not break it"
        syms, fb, fa = _funcs(step, False)
        fl = [float(sp.N(exact[s_])) for s_ in syms]
        assert relation_breaks_numeric(float(fb(*fl)), float(fa(*fl)), step.rel, 1e-6)


def test_note_steps_have_a_holding_correction(step_results):
    notes = [r for r in step_results.values() if r.status == NOTE]
    assert {r.step.id.split(".")[0] for r in notes} >= {"thm2", "thm3", "thm8"}
    for r in notes:
        assert r.step.typo and r.corrected is not None and r.corrected.ok, r.step.id
