"""A claim (theorem, corollary or lemma) as a list of steps, and its one-line verdict.

The verdict of a claim is computed from the statuses of its steps:

* ``step`` steps are the proof's own lines; ``statement`` steps compare the statement's
  hypotheses with the ones the proof uses; ``constant`` steps check the claimed constant
  (``role="vacuity"``: kappa is positive only where condition 1 of Definition 1 already holds;
  ``role="no-kappa"``: no kappa > 0 makes the bound non-negative); ``correction`` steps check a
  repaired argument or constant.
* Verdicts (:attr:`ClaimResult.verdict`, machine form :attr:`ClaimResult.verdict_kind`):

  - ``proof verified`` (``proof-verified``): no failing proof, statement or constant step;
  - ``follows after a local fix (...)`` (``local-fix``): steps fail, each is replaced by a
    verified correction and the paper's route then goes through; the parenthesis states the
    corrected constant ``kappa'`` and its ratio to the claimed one (or ``same kappa``);
  - ``statement holds, proof steps fail`` (``statement-holds``): steps of the paper's proof
    fail and are not repaired in place; the correction steps prove the statement, with the
    claimed constant, by another argument (Theorems 6 and 7: convexity);
  - ``does not follow`` (``does-not-follow``): some failure has no verified correction.

  ``; vacuous`` is appended when a vacuity step is verified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import sympy as sp

from .core import (FAILS, NOTE, VERIFIED, VERIFIED_NUMERIC, Step, StepResult, Var, _symbolic_sign,
                   check_step, iter_counts)

#: How correction steps establish a claim (see :class:`Claim`).
FIXES = ("local", "another-argument")
#: Machine form of the verdicts, in order of strength.
VERDICT_KINDS = ("proof-verified", "local-fix", "statement-holds", "does-not-follow")
VERDICT_LABELS = {"proof-verified": "proof verified", "local-fix": "follows after a local fix",
                  "statement-holds": "statement holds, proof steps fail", "does-not-follow": "does not follow"}


def _ratio(kappa: Any, corrected: Any) -> sp.Expr:
    r = sp.simplify(sp.sympify(corrected) / sp.sympify(kappa))
    e = sp.expand(r)
    return e if len(sp.sstr(e)) <= len(sp.sstr(r)) else r


def _endpoint(expr: sp.Expr, v: Var, lower: bool) -> tuple[sp.Expr, bool]:
    """Limit of ``expr`` at one end of ``v``'s interval and whether that end is attained."""
    end = sp.sympify(v.lo if lower else v.hi)
    if end in (sp.oo, -sp.oo):
        return sp.limit(expr, v.sym, end), False
    opened = v.lo_open if lower else v.hi_open
    if opened:
        return sp.limit(expr, v.sym, end, "+" if lower else "-"), False
    return sp.simplify(expr.subs(v.sym, end)), True


def _extreme(expr: sp.Expr, vars: tuple[Var, ...], lowest: bool) -> tuple[sp.Expr, bool] | None:
    """Infimum (``lowest``) or supremum of ``expr`` over the box, by monotonicity in each variable.

    Variables are eliminated last-first (their end points may depend on earlier ones); in each,
    the sign of the derivative must be provable (:func:`~proofs_check.core._symbolic_sign`),
    and the expression is replaced by its limit at the end that the sign selects.

    Returns:
        ``(value, attained)``, or None when a derivative's sign cannot be decided.
    """
    attained = True
    for v in reversed(vars):
        if not expr.has(v.sym):
            continue
        d = sp.diff(expr, v.sym)
        if _symbolic_sign(d, vars, strict=False):
            up = True
        elif _symbolic_sign(-d, vars, strict=False):
            up = False
        else:
            return None
        expr, att = _endpoint(expr, v, lower=(up == lowest))
        attained = attained and att
        if expr.has(sp.nan) or expr == sp.zoo:
            return None
    return sp.simplify(expr), attained


def ratio_range(ratio: sp.Expr, vars: tuple[Var, ...]) -> str:
    """Range of a constant ratio over the hypotheses, e.g. ``(4, oo)``; empty when undecided."""
    lo, hi = _extreme(ratio, vars, True), _extreme(ratio, vars, False)
    if lo is None or hi is None:
        return ""
    if lo[0] == hi[0]:
        return f"{sp.sstr(lo[0])}"
    lb = "[" if lo[1] and lo[0].is_finite else "("
    rb = "]" if hi[1] and hi[0].is_finite else ")"
    return f"{lb}{sp.sstr(lo[0])}, {sp.sstr(hi[0])}{rb}"


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
        fix: How the correction steps establish the claim: ``local`` (failing steps of the
            paper's route are replaced in place) or ``another-argument`` (the statement is
            proved by a different argument; the failing steps stay failed).
        hypotheses: Variable intervals over which the ratio ``corrected_kappa / kappa`` is
            bounded (:func:`ratio_range`).
        ratio_at: A reference point (symbol -> value) where the ratio is also printed.
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
    fix: str = "local"
    hypotheses: tuple[Var, ...] = ()
    ratio_at: tuple[tuple[Any, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.fix not in FIXES:
            raise ValueError(f"{self.name}: unknown fix {self.fix!r}; one of {FIXES}")

    @property
    def kappa_ratio(self) -> sp.Expr | None:
        """``corrected_kappa / kappa`` simplified (None when either constant is missing)."""
        if self.kappa is None or self.corrected_kappa is None:
            return None
        return _ratio(self.kappa, self.corrected_kappa)


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
        """Whether every ``no-kappa`` step is verified (and there is one)."""
        steps = [r for r in self.results if r.step.role == "no-kappa"]
        return bool(steps) and all(r.status in (VERIFIED, VERIFIED_NUMERIC) for r in steps)

    @property
    def corrections(self) -> list[StepResult]:
        return self._of("correction")

    @property
    def correction_ok(self) -> bool:
        c = self.corrections
        return bool(c) and all(r.status in (VERIFIED, VERIFIED_NUMERIC) for r in c)

    @property
    def depends_ok(self) -> bool:
        return all(v.split(";")[0] == VERDICT_LABELS["proof-verified"] for v in self.depends_verdicts.values())

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
    def verdict_kind(self) -> str:
        """One of :data:`VERDICT_KINDS` (see the module docstring)."""
        broken = self.broken
        if not broken and self.depends_ok:
            return "proof-verified"
        if (all(self.repaired(r) for r in broken) and self.depends_ok
                and all(r.status in (VERIFIED, VERIFIED_NUMERIC) for r in self.corrections)):
            return "statement-holds" if self.claim.fix == "another-argument" else "local-fix"
        return "does-not-follow"

    @property
    def constant_change(self) -> str:
        """For a local fix: ``same kappa`` or ``kappa' = ... = (ratio) x claimed``; else empty."""
        c = self.claim
        if c.kappa is None or c.corrected_kappa is None:
            return ""
        ratio = c.kappa_ratio
        if ratio == 1:
            return "same kappa"
        return f"kappa' = {sp.sstr(c.corrected_kappa)} = ({sp.sstr(ratio)}) x claimed"

    @property
    def ratio_text(self) -> str:
        """``kappa'/kappa = r``, its range over the hypotheses and its value at ``ratio_at``."""
        c = self.claim
        ratio = c.kappa_ratio
        if ratio is None or ratio == 1:
            return ""
        txt = f"kappa'/kappa = {sp.sstr(ratio)}"
        extra = []
        rng = ratio_range(ratio, c.hypotheses) if c.hypotheses else ""
        if rng:
            extra.append(f"in {rng} over the hypotheses")
        if c.ratio_at:
            at = dict(c.ratio_at)
            val = sp.nsimplify(sp.simplify(ratio.subs(at)))
            extra.append(f"{sp.sstr(val)} at " + ", ".join(f"{sp.sstr(k)} = {sp.sstr(v)}" for k, v in c.ratio_at))
        return txt + (" (" + "; ".join(extra) + ")" if extra else "")

    @property
    def verdict(self) -> str:
        """The label of :attr:`verdict_kind`; a local fix states its constant; ``; vacuous`` appended."""
        kind = self.verdict_kind
        v = VERDICT_LABELS[kind]
        if kind == "local-fix" and self.constant_change:
            v += f" ({self.constant_change})"
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
            if self.ratio_text:
                parts.append(self.ratio_text)
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
