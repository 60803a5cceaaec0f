"""The contract every claim of the registry satisfies.

A :class:`Claim` is one statement of the paper (a theorem, corollary or background
result) turned into something a computer can test:

* ``statement`` and ``hypotheses``: the claim in words, with the theorem number and
  section of the paper;
* :meth:`Claim.kappa`: the claimed kappa as plain float arithmetic, and
  :meth:`Claim.kappa_expr`: the same constant as a sympy expression (the registry tests
  check that the two agree);
* :meth:`Claim.settings`: the grid of settings a sceptical reviewer would test, per
  budget (``quick``, ``standard``, ``thorough``);
* :meth:`Claim.build`: the objective, reference point and domain of one setting, with
  its hypotheses checked on the generated data;
* :meth:`Claim.evaluate`: the verdict records for one setting, computed with a checker that
  satisfies :class:`CheckerAPI` (default: the SLQC check of
  :meth:`slqc.check.Checker.slqc_record`; the probability and SNGD claims override it).

A setting is a plain JSON-ready dict; the keys a claim's sympy expression uses are the
names of its symbols (``a``, ``b``, ``W``, ``eps``, ``W1``, ``W2``, ``k``, ``Wstar``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

import sympy
import torch

from ..search import BUDGETS as _SEARCH_BUDGETS

#: The budget names, in increasing effort: the keys of :data:`slqc.search.BUDGETS` (the one place
#: that names them); :data:`slqc.check.PLANS` says what a check spends at each.
BUDGETS: tuple[str, ...] = tuple(_SEARCH_BUDGETS)

#: Symbols shared by all claims; a setting key with the same name supplies its value.
SYMBOLS = {name: sympy.Symbol(name, positive=True) for name in ("a", "b", "W", "eps", "W1", "W2", "k", "Wstar", "D")}


@dataclass
class Problem:
    """One concrete instance of a claim: what the search needs and what a witness stores.

    Attributes:
        f: objective, a batch of points (P, *z.shape) -> values (P,).
        z: reference point of the claim (w*, W* or W1*).
        radius: radius R of the domain B(center, R).
        center: center of the domain (None = origin).
        X: inputs (m, d).
        Y: targets (m,) or (m, k).
        model: JSON-ready description of the model (see :mod:`slqc.witness`).
        W2: fixed outer weights for one-hidden-layer claims, else None.
        W2_star: the teacher's outer weights of a one-hidden-layer claim (stored in witnesses
            so that ``slqc verify`` can re-derive the idealized labels), else None.
        hypotheses: name -> (holds, detail) for each hypothesis checked on the data.
        gap_upper: a proven upper bound on sup_{x in domain} f(x) - f(z), or None.
        info: extra numbers to report (norms, label range, ...).
        candidates: extra points (P, *z.shape) of the domain that the check evaluates
            besides the search: analytic guesses at the worst case (see
            :func:`slqc.claims._build.candidate_points`), or None.
        search: entries of the search budget (:data:`slqc.search.BUDGETS`) that this instance
            needs more of, as factors, e.g. ``{"vstarts": 4}``; the check multiplies its plan's
            budget by them and says so in each record (``searched.budget_scale``).
    """

    f: Any
    z: torch.Tensor
    radius: float
    X: torch.Tensor
    Y: torch.Tensor
    model: dict
    center: torch.Tensor | None = None
    W2: torch.Tensor | None = None
    W2_star: torch.Tensor | None = None
    hypotheses: dict = field(default_factory=dict)
    gap_upper: float | None = None
    info: dict = field(default_factory=dict)
    candidates: torch.Tensor | None = None
    search: dict = field(default_factory=dict)


class CheckerAPI(Protocol):
    """What a claim's :meth:`Claim.evaluate` may use of the checker (:class:`slqc.check.Checker`).

    Attributes:
        device: torch device of the searches.
        budget: the check budget (a name of :data:`BUDGETS`).
        in_draws: True while a probability claim runs its data draws (cheaper searches).
    """

    device: Any
    budget: str
    in_draws: bool

    def probe(self, problem: Problem, eps: float, kappa_stop: float | None = None, budget: str | None = None) -> Any:
        """The search over the problem's domain (a :class:`slqc.search.ProbeResult`)."""

    def record(self, claim: "Claim", setting: Mapping[str, Any], *, kappa_claimed: float,
               kappa_empirical: float | None, verdict: str, witness: str | None, points: int, seconds: float,
               note: str = "", extra: Mapping[str, Any] | None = None, slack: Any = "auto",
               hypotheses: Mapping | None = None, no_kappa_point: bool = False,
               vacuous_as_stated: bool | None = None, searched: Mapping[str, Any] | None = None) -> dict:
        """One JSON-ready verdict record."""

    def slqc_record(self, claim: "Claim", setting: Mapping[str, Any], problem: Problem) -> dict:
        """The verdict of "f is (eps, kappa, z)-SLQC on the problem's domain"."""

    def probe_many(self, problems: list[Problem], eps: float, kappa_stop: float | None = None,
                   budget: str | None = None) -> list[Any]:
        """:meth:`probe` on several problems at once (instance batching), one result each."""

    def save_witness(self, claim: "Claim", setting: Mapping[str, Any], problem: Problem, x: Any, eps: float,
                     kappa: float, tag: str = "", kind: str = "slqc", bound: float | None = None,
                     meta: Mapping[str, Any] | None = None) -> str:
        """Write a witness file and return its path."""

    def confirm(self, path: str) -> bool:
        """True when the independent re-check confirms the witness."""

    def ngd(self, run: Any) -> dict:
        """One NGD run (:func:`slqc.claims.sngd.ngd` on an ``NGDRun``), or its result run ahead in a batch."""


class Claim:
    """Base class of the registry entries (see the module docstring).

    Subclasses set the class attributes and implement :meth:`kappa`,
    :meth:`kappa_expr`, :meth:`settings` and :meth:`build`.
    """

    name: str = ""
    theorem: str = ""
    section: str = ""
    proof_section: str = ""
    statement: str = ""
    hypotheses: tuple[str, ...] = ()
    kind: str = "slqc"  # "slqc" | "probability" | "sngd"
    #: the readings of an ambiguous statement that the grid covers (name -> explanation)
    readings: Mapping[str, str] = {}

    # ------------------------------------------------------------------ the constant
    def kappa(self, setting: Mapping[str, Any]) -> float:  # pragma: no cover - abstract
        """The claimed kappa for ``setting`` (plain float arithmetic)."""
        raise NotImplementedError

    def kappa_expr(self) -> sympy.Expr:  # pragma: no cover - abstract
        """The claimed kappa as a sympy expression in :data:`SYMBOLS`."""
        raise NotImplementedError

    def kappa_sympy(self, setting: Mapping[str, Any]) -> float:
        """Evaluate :meth:`kappa_expr` at ``setting`` (the symbolic twin of :meth:`kappa`)."""
        expr = self.kappa_expr()
        subs = {s: sympy.Float(float(setting[s.name]), 30) for s in expr.free_symbols}
        return float(expr.subs(subs).evalf(30))

    # ------------------------------------------------------------------ the grid
    def settings(self, budget: str = "quick") -> list[dict]:  # pragma: no cover - abstract
        """The settings checked at ``budget``."""
        raise NotImplementedError

    def build(self, setting: Mapping[str, Any], device: Any = None) -> Problem:  # pragma: no cover
        """Objective, reference point, domain and hypothesis checks of one setting."""
        raise NotImplementedError

    def evaluate(self, setting: Mapping[str, Any], checker: CheckerAPI) -> list[dict]:
        """Verdict records of one setting (default: one SLQC check)."""
        problem = self.build(setting, device=checker.device)
        return [checker.slqc_record(self, setting, problem)]

    def prefetch(self, setting: Mapping[str, Any], problem: Problem) -> list[tuple[float, float | None]]:
        """The searches (eps, kappa_stop) that a custom :meth:`evaluate` asks ``checker.probe`` for on
        ``build(setting)`` (default: none declared).

        ``slqc check`` runs the declared searches batched with other settings of the same point
        shape (instance batching) and hands the results to :meth:`evaluate` through the checker.
        """
        return []

    def prefetch_runs(self, setting: Mapping[str, Any], problem: Problem,
                      found: Mapping[tuple[float, float | None], Any], budget: str) -> list:
        """The NGD runs (:class:`slqc.claims.sngd.NGDRun`) that :meth:`evaluate` asks ``checker.ngd`` for, once
        its declared searches are ``found`` (default: none declared).

        ``slqc check`` runs the runs of every setting of an instance batch as one stacked loop
        (:func:`slqc.claims.sngd.ngd_many`) and hands the results to :meth:`evaluate` through the checker.
        """
        return []

    # ------------------------------------------------------------------ description
    def describe(self) -> dict:
        """JSON-ready summary (what ``slqc list`` prints)."""
        return {
            "name": self.name,
            "theorem": self.theorem,
            "section": self.section,
            "proof": self.proof_section,
            "kind": self.kind,
            "statement": self.statement,
            "hypotheses": list(self.hypotheses),
            "kappa": str(self.kappa_expr()),
            "readings": dict(self.readings),
            "settings": {b: len(self.settings(b)) for b in BUDGETS},
        }


def check_budget(budget: str) -> str:
    """Validate a budget name."""
    if budget not in BUDGETS:
        raise ValueError(f"unknown budget {budget!r}; choose one of: {', '.join(BUDGETS)}")
    return budget


def positive_finite(x: float) -> bool:
    """True when x is a finite number > 0 (a usable kappa)."""
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def grid(base: Mapping[str, Any], **axes: list) -> list[dict]:
    """One-factor-at-a-time grid: ``base`` plus, for each axis, base with that key varied.

    Duplicates are removed, order is kept. Values of an axis may be dicts, which update
    several keys at once (e.g. ``md=[{"m": 8, "d": 16}]``).
    """
    out: list[dict] = [dict(base)]
    for key, values in axes.items():
        for v in values:
            s = dict(base)
            if isinstance(v, Mapping):
                s.update(v)
            else:
                s[key] = v
            out.append(s)
    seen, unique = set(), []
    for s in out:
        sig = tuple(sorted((k, repr(v)) for k, v in s.items()))
        if sig not in seen:
            seen.add(sig)
            unique.append(s)
    return unique


def product(settings: list[dict], key: str, values: list) -> list[dict]:
    """Cartesian product of a list of settings with the values of one more key."""
    return [dict(s, **{key: v}) for s in settings for v in values]

