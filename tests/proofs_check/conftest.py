"""Fixtures of the proofs_check tests: one evaluation of every claim per session."""

from __future__ import annotations

import pytest

from proofs_check.report import run_claims

#: Worker processes for the session evaluation (the CI machine has 2 cores).
JOBS = 2


@pytest.fixture(scope="session")
def all_results():
    """ClaimResult of every registered claim, keyed by claim name."""
    return {res.claim.name: res for res in run_claims(None, jobs=JOBS)}


@pytest.fixture(scope="session")
def step_results(all_results):
    """StepResult of every step, keyed by step id."""
    return {r.step.id: r for res in all_results.values() for r in res.results}
