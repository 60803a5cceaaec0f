"""A claim (theorem, corollary or lemma) as a list of steps, and its one-line verdict.

The verdict of a claim is computed from the statuses of its steps:

* ``step`` steps are the proof's own lines; ``statement`` steps compare the statement's
  hypotheses with the ones the proof uses; ``constant`` steps check the claimed constant
  (``role="vacuity"``: kappa is positive only where condition 1 of Definition 1 already holds;
  ``role="no-kappa"``: no kappa > 0 makes the bound non-negative); ``correction`` steps check a
  repaired argument or constant.
* Verdicts: ``proof verified`` (no failing proof or statement step), ``follows after
  correction`` (failures, but every correction step verified), ``does not follow``;
  ``vacuous`` is appended when a vacuity step is verified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import sympy as sp

from .core import FAILS, NOTE, VERIFIED, VERIFIED_NUMERIC, Step, StepResult, check_step, iter_counts


@dataclass(frozen=True)
class Claim:
    """A claim of the paper and the step list that audits its proof.

    Args:
        name: Registry name (shared with ``slqc check``), e.g. ``thm1``.
        title: Short title with the paper's theorem number.
        section: Where the statement and the proof are (``"3.2.1; proof 5.1"``).
        statement: The statement as the audit reads it (plain text).
        build: Callable returning the steps (built lazily, sympy is slow to import).
        kappa: The claimed SLQC constant (sympy) or None.
        corrected_kappa: A corrected constant checked by ``correction`` steps, or None.
        correction_text: What the correction steps establish (plain text, no verdict).
        depends: Claims whose verdicts this proof relies on.
        reading: How a garbled part of the text is read.
        lemma: Whether this is a lemma entry.
    """

    name: str
    title: str
    section: str
    statement: str
    build: Callable[[], list[Step]]
    kappa: Any = None
    corrected_kappa: Any = None
    correction_text: str = ""
    depends: tuple[str, ...] = ()
    reading: str = ""
    lemma: bool = False


@dataclass
class ClaimResult:
    """Step results of one claim and its computed verdict."""

    claim: Claim
    results: list[StepResult]
    kappa_region: str = ""
    depends_verdicts: dict[str, str] = field(default_factory=dict)

    # -- derived -----------------------------------------------------------------
    def _of(self, kind: str) -> list[StepResult]:
        return [r for r in self.results if r.step.kind == kind]

    @property
    def counts(self) -> dict[str, int]:
        return iter_counts(self.results)

    @property
    def failing(self) -> list[StepResult]:
        return [r for r in self._of("step") if r.status == FAILS]

    @property
    def statement_failing(self) -> list[StepResult]:
        return [r for r in self._of("statement") if r.status == FAILS]

    @property
    def constant_failing(self) -> list[StepResult]:
        return [r for r in self._of("constant") if r.status == FAILS and not r.step.role]

    @property
    def notes(self) -> list[StepResult]:
        return [r for r in self.results if r.status == NOTE]

    @property
    def vacuous(self) -> bool:
        return any(r.step.role == "vacuity" and r.status in (VERIFIED, VERIFIED_NUMERIC)
                   for r in self.results)

    @property
    def no_kappa(self) -> bool:
        return any(r.step.role == "no-kappa" and r.status in (VERIFIED, VERIFIED_NUMERIC)
                   for r in self.results)

    @property
    def corrections(self) -> list[StepResult]:
        return self._of("correction")

    @property
    def correction_ok(self) -> bool:
        c = self.corrections
        return bool(c) and all(r.status in (VERIFIED, VERIFIED_NUMERIC) for r in c)

    @property
    def depends_ok(self) -> bool:
        return all(v == "proof verified" for v in self.depends_verdicts.values())

    def repaired(self, r: StepResult) -> bool:
        """Whether a failing step is replaced by a verified correction."""
        if r.corrected is not None and r.corrected.ok:
            return True
        if not r.step.repaired_by:
            return False
        by_id = {x.step.id: x for x in self.corrections}
        return all(i in by_id and by_id[i].status in (VERIFIED, VERIFIED_NUMERIC) for i in r.step.repaired_by)

    @property
    def broken(self) -> list[StepResult]:
        return self.failing + self.statement_failing + self.constant_failing

    @property
    def verdict(self) -> str:
        """``proof verified`` / ``follows after correction`` / ``does not follow`` (+ vacuous)."""
        broken = self.broken
        if not broken and self.depends_ok:
            v = "proof verified"
        elif (all(self.repaired(r) for r in broken) and self.depends_ok
              and all(r.status in (VERIFIED, VERIFIED_NUMERIC) for r in self.corrections)):
            v = "follows after correction"
        else:
            v = "does not follow"
        if self.vacuous:
            v += "; vacuous"
        return v

    @property
    def readings_failing(self) -> list[StepResult]:
        return [r for r in self._of("reading") if r.status == FAILS]

    def summary(self, check_counts: dict[str, int] | None = None) -> str:
        """One line: verdict, step counts, failing step ids, constants, slqc-check counts."""
        c = self.counts
        parts = [f"{self.claim.name}: {self.verdict}",
                 f"steps {c[VERIFIED]} verified, {c[VERIFIED_NUMERIC]} verified-numeric, "
                 f"{c[FAILS]} fails, {c[NOTE]} notes"]
        if self.failing:
            parts.append("failing proof steps: " + ", ".join(_lbl(r) for r in self.failing))
        if self.statement_failing:
            parts.append("statement vs proof: " + ", ".join(_lbl(r) for r in self.statement_failing))
        if self.constant_failing:
            parts.append("constants: " + ", ".join(_lbl(r) for r in self.constant_failing))
        if self.readings_failing:
            parts.append("other reading fails: " + ", ".join(_lbl(r) for r in self.readings_failing))
        if self.claim.kappa is not None:
            k = f"kappa = {sp.sstr(self.claim.kappa)}"
            if self.kappa_region:
                k += f" (positive for {self.kappa_region})"
            parts.append(k)
        if self.vacuous:
            parts.append("kappa > 0 only where the error cannot exceed eps (condition 1 holds everywhere)")
        if self.no_kappa:
            parts.append("no kappa > 0 makes the proof's bound non-negative where the claim is non-trivial")
        if self.corrections:
            state = "verified" if self.correction_ok else "NOT verified"
            txt = self.claim.correction_text or "corrected argument"
            if self.claim.corrected_kappa is not None:
                txt += f" [kappa' = {sp.sstr(self.claim.corrected_kappa)}]"
            parts.append(f"correction {state}: {txt}")
        for dep, verdict in self.depends_verdicts.items():
            parts.append(f"relies on {dep} ({verdict})")
        if check_counts is not None:
            if sum(check_counts.values()) == 0:
                parts.append("slqc check: no records")
            else:
                parts.append("slqc check: " + ", ".join(f"{n} {k}" for k, n in check_counts.items()))
        return "; ".join(parts)


def _lbl(r: StepResult) -> str:
    return f"{r.step.id} ({r.step.label})"


def evaluate(claim: Claim, kappa_region: str = "", depends_verdicts: dict[str, str] | None = None) -> ClaimResult:
    """Run every step of a claim."""
    results = [check_step(s) for s in claim.build()]
    return ClaimResult(claim, results, kappa_region, dict(depends_verdicts or {}))
