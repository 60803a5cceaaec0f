"""Verdicts for the paper's SLQC claims: run the registry's grids, decide, keep the evidence.

For each (claim, setting) of :mod:`slqc.claims`, :func:`run_check` returns one record
(the probability and SNGD claims return several) with a verdict:

* ``holds``: the search (every seed of the budget) found no point of the domain that needs
  a kappa above the claimed one; the record carries the empirical kappa (a certified lower
  bound on the supremum: it was attained at an evaluated point) and the slack claimed / empirical.
* ``violated``: a point where Definition 1 / 4 fails with the claimed kappa, saved as a
  witness ``.npz`` and re-checked by :mod:`slqc.verify` (plain numpy, no shared code); a
  witness the re-check does not confirm turns the verdict into ``inconclusive``. A point
  with f(x) - f(z) > eps and <grad f(x), x - z> <= 0 fails the definition for *every*
  kappa: it is reported as violated whatever the claimed constant is (even one <= 0), and
  the record's ``no_kappa_point`` is True.
* ``vacuous``: the claim says nothing testable as stated: the claimed kappa is not a
  positive number, or no point of the domain has f(x) - f(z) > eps (proven by an analytic
  bound, or: the search found none); the note says which. The empirical kappa is still
  measured where the search can run.
* ``inconclusive``: the check could not decide (hypotheses failed on the generated data,
  an iteration cap, an unconfirmed witness); the note says why.

Every SLQC record carries two facts apart from the verdict: ``no_kappa_point`` (a point
where no kappa works was found) and ``vacuous_as_stated`` (claimed kappa <= 0, or no point
above the level set), and ``searched`` says what was searched: budget, search seeds,
strategies, points, and the instance source (``grid`` or ``adversary``).

:func:`run_check` streams each finished setting to a JSON-lines journal, can resume from
it, and stops its workers within seconds on Ctrl-C (:class:`Interrupted` carries the
records finished so far). The output side (tables, Markdown, plots, JSON) is
:mod:`slqc.report`.

Example:
    >>> recs = run_check(["thm1"], budget="quick", progress=False)   # doctest: +SKIP
    >>> recs[0]["verdict"]                                            # doctest: +SKIP
    'holds'
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import math
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import torch
from tqdm.auto import tqdm

from . import jsonio
from .claims import CLAIMS, get_claim
from .claims.base import BUDGETS, Claim, Problem, check_budget, positive_finite
from .executors import make_executor
from .report import VERDICTS, setting_label
from .search import ProbeResult
from .search import probe as _probe_fn
from .verify import verify_witness
from .witness import save_witness, witness_name

#: settings per instance batch of ``slqc check`` (``--batch``)
DEFAULT_BATCH = 16

__all__ = ["PLANS", "CheckPlan", "Checker", "Interrupted", "VERDICTS", "expected_cost", "journal_records",
           "run_check", "select_claims", "task_key"]


@dataclass(frozen=True)
class CheckPlan:
    """What a check budget spends per setting.

    Attributes:
        probe: search budget (a key of :data:`slqc.search.BUDGETS`) of each SLQC verdict.
        draws: search budget of each data draw of the probability claim (Theorem 2).
        seeds: search seeds per verdict (offset by the run's ``--seed``); the worst point over
            all of them decides.
    """

    probe: str
    draws: str
    seeds: tuple[int, ...]


#: check budget -> its plan; the budget names are :data:`slqc.claims.base.BUDGETS` (from the search).
PLANS: dict[str, CheckPlan] = {
    "quick": CheckPlan("quick", "quick", (0,)),
    "standard": CheckPlan("standard", "quick", (0, 1)),
    "thorough": CheckPlan("thorough", "standard", (0, 1, 2)),
}
assert tuple(PLANS) == BUDGETS

class Interrupted(KeyboardInterrupt):
    """Raised by :func:`run_check` on Ctrl-C, after the workers stopped.

    Attributes:
        records: the records of the settings finished before the interrupt (registry order).
        done: finished settings; total: settings of the run.
    """

    def __init__(self, records: list[dict], done: int, total: int):
        super().__init__(f"interrupted after {done} of {total} settings")
        self.records, self.done, self.total = records, done, total


class Checker:
    """Runs the verdicts of one ``slqc check`` invocation (the ``CheckerAPI`` of :mod:`slqc.claims.base`).

    Args:
        budget: ``quick``, ``standard`` or ``thorough`` (grid size and search effort, see :data:`PLANS`).
        device: torch device of the search (``cpu``/``cuda``; None = cpu).
        seed: offset added to every setting's data seed, and to every search seed.
        witness_dir: where witness files go (default: a fresh temporary folder).
        source: where the instances come from, reported in each record's ``searched``
            (``grid``: the registry's grids; ``adversary``: :mod:`slqc.falsify`).
        corpus: further folders of earlier witness files, read only (:meth:`earlier_witness`).

    Attributes:
        in_draws: True while a probability claim runs its data draws; their searches use the
            cheaper ``draws`` budget of the plan and one seed.
    """

    in_draws = False

    def __init__(self, budget: str = "quick", device: Any = None, seed: int = 0, witness_dir: str | None = None,
                 source: str = "grid", corpus: Iterable[str] = ()):
        self.budget = check_budget(budget)
        self.device = device
        self.seed = int(seed)
        self.plan = PLANS[budget]
        self.probe_budget, self.draw_budget = self.plan.probe, self.plan.draws
        self.seeds = tuple(self.seed + s for s in self.plan.seeds)
        self.source = source
        self._witness_dir = witness_dir
        self.corpus = [str(d) for d in corpus]
        # searches run ahead, batched with other settings (Claim.prefetch): (eps, kappa_stop) -> result
        self.prefetched: dict[tuple[float, float | None], ProbeResult] = {}
        # NGD runs run ahead, stacked with other settings' (Claim.prefetch_runs): NGDRun.key() -> result
        self.prefetched_runs: dict[tuple, dict] = {}

    @property
    def witness_dir(self) -> str:
        """The witness folder (created on first use)."""
        if self._witness_dir is None:
            self._witness_dir = tempfile.mkdtemp(prefix="slqc-witnesses-")
        os.makedirs(self._witness_dir, exist_ok=True)
        return self._witness_dir

    # ------------------------------------------------------------------ building blocks
    def probe(self, problem: Problem, eps: float, kappa_stop: float | None = None,
              budget: str | None = None) -> ProbeResult:
        """The engine's search on one problem (domain B(center, radius)), over the plan's seeds.

        Inside the data draws of a probability claim: the ``draws`` budget and the first seed
        only. Otherwise every seed runs until one finds a violation (or a kappa above
        ``kappa_stop``); the result is the worst point over the seeds run, and its
        ``searched`` attribute lists them.
        """
        draws = self.in_draws and kappa_stop is not None
        if budget is None and not draws and (float(eps), kappa_stop) in self.prefetched:
            return self.prefetched.pop((float(eps), kappa_stop))  # run ahead, batched (Claim.prefetch)
        if budget is None:
            budget = self.draw_budget if draws else self.probe_budget
        seeds = self.seeds[:1] if draws else self.seeds
        res = probe_seeds(problem, eps, seeds, budget=search_budget(budget, problem), kappa_stop=kappa_stop,
                          device=self.device)
        return _scaled_note(res, problem)

    def ngd(self, run: Any) -> dict:
        """The NGD run of :func:`slqc.claims.sngd.ngd` (an ``NGDRun``); a run made ahead in a batch
        (:meth:`Claim.prefetch_runs`) is handed over, with ``batch_seconds``: its share of the stacked loop."""
        from .claims.sngd import ngd

        done = self.prefetched_runs.pop(run.key(), None)
        return done if done is not None else ngd(*run)

    def probe_many(self, problems: list[Problem], eps: float, kappa_stop: float | None = None,
                   budget: str | None = None) -> list[ProbeResult]:
        """:meth:`probe` on several problems at once (instance batching, :func:`slqc.search.probe_batch`).

        Each result equals that of :meth:`probe` on its problem alone, up to float rounding.

        Raises:
            ValueError: as :meth:`probe` on the problem that caused it.
        """
        from .search import probe_batch

        draws = self.in_draws and kappa_stop is not None
        if budget is None:
            budget = self.draw_budget if draws else self.probe_budget
        seeds = self.seeds[:1] if draws else self.seeds
        if len({_scale_key(p) for p in problems}) > 1:
            raise ValueError("probe_many: the problems ask for different search budgets (Problem.search)")
        outs = probe_batch([p.f for p in problems], [p.z for p in problems], eps, [p.radius for p in problems],
                           centers=[p.center for p in problems], budget=search_budget(budget, problems[0]),
                           seed=list(seeds), device=self.device, kappa_stop=kappa_stop)
        for r in outs:
            if isinstance(r, Exception):
                raise r
        return [_scaled_note(r, p) for r, p in zip(outs, problems)]  # type: ignore[arg-type]

    def save_witness(self, claim: Claim, setting: Mapping[str, Any], problem: Problem, x: Any, eps: float,
                     kappa: float, tag: str = "", kind: str = "slqc", bound: float | None = None,
                     meta: Mapping[str, Any] | None = None) -> str:
        """Write the witness file of a violation (with the problem's domain) and return its path."""
        model = dict(problem.model, kind=kind)
        if bound is not None:
            model["bound"] = bound
        path = os.path.join(self.witness_dir, witness_name(claim.name, dict(setting), tag))
        info = {"claim": claim.name, "theorem": claim.theorem, "setting": dict(setting), "budget": self.budget,
                "seeds": list(self.seeds), "source": self.source, **dict(meta or {})}
        kw: dict[str, Any] = {}
        if "radius" in _SAVE_PARAMS:
            center = problem.center if problem.center is not None else torch.zeros_like(problem.z)
            kw = {"center": center, "radius": float(problem.radius)}
        if "W2_star" in _SAVE_PARAMS and problem.W2_star is not None:
            kw["W2_star"] = problem.W2_star
        return save_witness(path, problem.X, problem.Y, problem.z, x, eps, kappa, model, W2=problem.W2, meta=info,
                            **kw)

    @staticmethod
    def confirm(path: str) -> bool:
        """True when the independent numpy re-check confirms the witness."""
        return verify_witness(path).fails

    def searched(self, res: ProbeResult | None = None, candidates: int = 0) -> dict:
        """The ``searched`` field of a record: budget, seeds, strategies, points, instance source."""
        out: dict[str, Any] = {"budget": self.budget, "probe_budget": self.probe_budget, "seeds": list(self.seeds),
                               "source": self.source, "candidates": int(candidates)}
        if res is not None:
            out.update(getattr(res, "searched", None) or {})
            out["budget"] = self.budget
            out.setdefault("seeds", list(self.seeds))
            out["strategies"] = sorted(res.strategies)
            out["points"] = int(res.points_evaluated)
        return out

    def record(self, claim: Claim, setting: Mapping[str, Any], *, kappa_claimed: float, kappa_empirical: float | None,
               verdict: str, witness: str | None, points: int, seconds: float, note: str = "",
               extra: Mapping[str, Any] | None = None, slack: Any = "auto", hypotheses: Mapping | None = None,
               no_kappa_point: bool = False, vacuous_as_stated: bool | None = None,
               searched: Mapping[str, Any] | None = None) -> dict:
        """One JSON-ready record (infinities stay floats here; :func:`slqc.report.write_json` encodes them).

        Raises:
            ValueError: unknown verdict.
        """
        if verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {verdict!r}")
        if slack == "auto":
            slack = None
            if verdict == "holds" and kappa_empirical is not None and positive_finite(kappa_claimed):
                slack = math.inf if kappa_empirical == 0 else kappa_claimed / kappa_empirical
        if vacuous_as_stated is None:  # callers that do not say: a vacuous verdict, or a kappa that is no constant
            vacuous_as_stated = verdict == "vacuous" or not positive_finite(kappa_claimed)
        rec = {
            "claim": claim.name, "theorem": claim.theorem, "section": claim.section,
            "setting": dict(setting), "label": setting_label(setting), "eps": float(setting.get("eps", math.nan)),
            "kappa_claimed": float(kappa_claimed),
            "kappa_empirical": None if kappa_empirical is None else float(kappa_empirical),
            "kappa_upper": None,
            "verdict": verdict, "no_kappa_point": bool(no_kappa_point), "vacuous_as_stated": bool(vacuous_as_stated),
            "slack": slack, "witness": witness, "points_evaluated": int(points),
            "seconds": float(seconds), "note": note,
            "searched": dict(searched) if searched is not None else self.searched(),
        }
        if hypotheses is not None:
            rec["hypotheses"] = {k: {"holds": bool(v[0]), "detail": v[1]} for k, v in hypotheses.items()}
        if extra:
            rec.update(extra)
        return rec

    # ------------------------------------------------------------------ the SLQC verdict
    def slqc_record(self, claim: Claim, setting: Mapping[str, Any], problem: Problem,
                    result: ProbeResult | None = None) -> dict:
        """Verdict of one (claim, setting) for a claim of the form "f is (eps, kappa, z)-SLQC on B(c, R)".

        ``result``: the search's result on this problem when it was already run (instance
        batching, :meth:`slqc_records`); None runs it here.

        With ``certify`` set on the checker, a decided record also gets ``kappa_upper``: the
        certified upper bound of :func:`slqc.certify.certify` on the empirical kappa (models the
        certifier can bound only; the note says when it cannot).
        """
        rec = self._slqc_verdict(claim, setting, problem, result)
        decided = rec["verdict"] in ("holds", "vacuous") and rec.get("kappa_empirical") is not None
        if self.certify is not None and decided:
            self._add_upper(rec, problem)
        return rec

    #: options of :func:`slqc.certify.certify` for ``slqc check --certify`` (None = do not certify)
    certify: dict | None = None

    def _add_upper(self, rec: dict, problem: Problem) -> None:
        """Set ``rec["kappa_upper"]`` (and ``certified``) from the certifier, or say why not in the note."""
        from .certify import certify

        kc = rec["kappa_claimed"]
        try:
            res = certify(problem.f, problem.z, rec["eps"], problem.radius, center=problem.center,
                          kappa=kc if positive_finite(kc) else None, device=self.device, **(self.certify or {}))
        except ValueError as err:
            rec["note"] += f"; certify: {str(err).splitlines()[0]}"
            return
        rec["kappa_upper"] = float(res.upper)
        rec["certified"] = res.certified
        rec["certify"] = {"lower": float(res.lower), "upper": float(res.upper), "boxes": int(res.boxes),
                          "seconds": float(res.seconds), "stopped": getattr(res, "stopped", None)}

    @staticmethod
    def search_needed(claim: Claim, setting: Mapping[str, Any], problem: Problem) -> tuple[float, float | None] | None:
        """(eps, kappa_stop) of the search a SLQC verdict runs on this problem; None when it decides without one
        (hypotheses that fail on the data, or an analytic bound that makes the claim vacuous)."""
        eps = float(setting["eps"])
        if any(not v[0] for v in problem.hypotheses.values()):
            return None
        if problem.gap_upper is not None and problem.gap_upper <= eps:
            return None
        kappa_c = claim.kappa(setting)
        return eps, (kappa_c if positive_finite(kappa_c) else None)

    def search_many(self, requests: list[tuple[Problem, float, float | None] | None]) -> list[Any]:
        """The plan's searches for several (problem, eps, kappa_stop) requests, run as batched searches.

        Problems of one point shape, dtype and device whose objectives stack
        (:func:`slqc.stack.batch_key` is not None) are searched together
        (:func:`slqc.search.probe_batch`): objectives that share sample count, activation family
        and loss run B instances x P points per kernel, and the groups of a
        :class:`~slqc.stack.GroupStack` share the search's control work. Each result equals
        :meth:`probe` on its problem alone up to float rounding.

        Returns:
            Per request: a :class:`ProbeResult`, the ValueError its search raised, or None (no
            request, or a batch refused as a whole: the caller searches alone).
        """
        from .search import probe_batch
        from .stack import batch_key

        results: list[Any] = [None] * len(requests)
        groups: dict[Any, list[int]] = {}
        for i, req in enumerate(requests):
            if req is None:
                continue
            z = torch.as_tensor(req[0].z)
            key = (("shape", tuple(z.shape), z.dtype, str(z.device), _scale_key(req[0]))
                   if batch_key(req[0].f) is not None else ("alone", i))
            groups.setdefault(key, []).append(i)
        for idx in groups.values():
            probs = [requests[i][0] for i in idx]  # type: ignore[index]
            try:
                outs = probe_batch([p.f for p in probs], [p.z for p in probs], [requests[i][1] for i in idx],
                                   [p.radius for p in probs], centers=[p.center for p in probs],
                                   budget=search_budget(self.probe_budget, probs[0]), seed=list(self.seeds),
                                   device=self.device, kappa_stop=[requests[i][2] for i in idx])
            except ValueError:  # the batch as a whole refused: one at a time, each with its own error
                outs = [None] * len(idx)
            for i, p, r in zip(idx, probs, outs):
                results[i] = _scaled_note(r, p)
        return results

    def slqc_records(self, items: list[tuple[Claim, Mapping[str, Any], Problem]]) -> list[dict]:
        """:meth:`slqc_record` for several SLQC settings, their searches run as batched searches
        (:meth:`search_many`), so the verdicts are the same as one setting at a time."""
        needs = [self.search_needed(*item) for item in items]
        found = self.search_many([None if n is None else (item[2], n[0], n[1]) for item, n in zip(items, needs)])
        return [self.slqc_record_from(claim, setting, problem, r) for (claim, setting, problem), r in zip(items, found)]

    def slqc_record_from(self, claim: Claim, setting: Mapping[str, Any], problem: Problem, result: Any) -> dict:
        """:meth:`slqc_record` with a search run ahead (a :meth:`search_many` result; None: search now)."""
        try:
            if isinstance(result, Exception):
                raise result
            return self.slqc_record(claim, setting, problem, result)
        except ValueError as err:  # as one setting alone would report it (see _evaluate_task)
            return self.error_record(claim, setting, err)

    def error_record(self, claim: Claim, setting: Mapping[str, Any], err: Exception) -> dict:
        """The record of a setting the engine refused: inconclusive, with the error in the note."""
        return self.record(claim, setting, kappa_claimed=_safe_kappa(claim, setting), kappa_empirical=None,
                           verdict="inconclusive", witness=None, points=0, seconds=0.0, note=f"error: {err}",
                           vacuous_as_stated=False)

    def _slqc_verdict(self, claim: Claim, setting: Mapping[str, Any], problem: Problem,
                      result: ProbeResult | None = None) -> dict:
        """The verdict record of :meth:`slqc_record`, before any certification."""
        t0 = time.perf_counter()
        eps = float(setting["eps"])
        kappa_c = claim.kappa(setting)
        usable = positive_finite(kappa_c)
        failed = [f"{k} ({v[1]})" for k, v in problem.hypotheses.items() if not v[0]]
        common = dict(kappa_claimed=kappa_c, hypotheses=problem.hypotheses, extra={"info": problem.info})
        if failed:
            return self.record(claim, setting, kappa_empirical=None, verdict="inconclusive", witness=None, points=0,
                               seconds=time.perf_counter() - t0, note="hypotheses fail on the generated data: "
                               + "; ".join(failed), vacuous_as_stated=False, **common)
        if problem.gap_upper is not None and problem.gap_upper <= eps:
            searched = dict(self.searched(), seeds=[], points=0, analytic_bound=float(problem.gap_upper))
            return self.record(claim, setting, kappa_empirical=0.0, verdict="vacuous", witness=None, points=0,
                               seconds=time.perf_counter() - t0, slack=None, vacuous_as_stated=True,
                               searched=searched, note=f"no point has f(x)-f(z) > eps: sup gap <= "
                                                   f"{problem.gap_upper:.3g} <= eps (analytic bound)", **common)
        searched_here = result is None
        res = self.probe(problem, eps, kappa_stop=kappa_c if usable else None) if searched_here else result
        earlier, earlier_name = self.earlier_witness(claim, setting, problem)
        res, found_at = self._with_candidates(problem, eps, res, kappa_c if usable else math.inf, earlier)
        n_cand = 0 if problem.candidates is None else int(problem.candidates.shape[0])
        searched = self.searched(res, candidates=n_cand)
        if earlier_name is not None:
            searched["earlier_witness"] = earlier_name
        secs = time.perf_counter() - t0 + (0.0 if searched_here else result.seconds)
        above = res.max_gap > eps or res.kappa > 0
        as_stated = (not usable) or not above
        flags = dict(no_kappa_point=bool(res.violation), vacuous_as_stated=as_stated, searched=searched)
        if res.violation or (usable and res.exceeded):
            kind = "no_kappa" if res.violation else "slqc"
            path = self.save_witness(claim, setting, problem, res.witness, eps, kappa_c, kind=kind,
                                     meta={"no_kappa_point": bool(res.violation), "kappa_claimed": kappa_c})
            check = verify_witness(path)
            if res.violation:
                what = "no kappa works there (<g, x - z> <= 0 or g = 0)"
                if not usable:
                    what += f"; the claimed kappa {kappa_c:.4g} is not positive, so the claim is also vacuous as stated"
            else:
                what = f"kappa_min = {res.kappa:.4g} > claimed (search stopped there)"
            note = f"witness ({found_at}): f(x)-f(z)={res.witness_gap:.3g} > eps, {what}"
            verdict = "violated"
            if not check.fails:
                verdict, note = "inconclusive", note + "; NOT confirmed by the numpy re-check: " + check.message
            rec = self.record(claim, setting, kappa_empirical=res.kappa, verdict=verdict, witness=path,
                              points=res.points_evaluated, seconds=secs, note=note, slack=None, **flags, **common)
            rec["witness_check"] = check.to_dict()
            return rec
        if not usable:
            return self.record(claim, setting, kappa_empirical=res.kappa, verdict="vacuous", witness=None,
                               points=res.points_evaluated, seconds=secs, slack=None,
                               note=f"claimed kappa = {kappa_c:.4g} is not positive; empirical kappa measured anyway "
                                    f"(no point where no kappa works found)", **flags, **common)
        if res.kappa == 0:
            return self.record(claim, setting, kappa_empirical=0.0, verdict="vacuous", witness=None,
                               points=res.points_evaluated, seconds=secs, slack=None,
                               note=f"the search found no point with f(x)-f(z) > eps (largest gap seen "
                                    f"{res.max_gap:.3g})", **flags, **common)
        return self.record(claim, setting, kappa_empirical=res.kappa, verdict="holds", witness=None,
                           points=res.points_evaluated, seconds=secs,
                           note=f"worst point ({found_at}): f(x)-f(z)={res.witness_gap:.3g}", **flags, **common)

    def earlier_witness(self, claim: Claim, setting: Mapping[str, Any],
                        problem: Problem) -> tuple[torch.Tensor | None, str | None]:
        """The point of the SLQC witness that an earlier run left in the witness folder (or, failing
        that, in a ``corpus`` folder) for this (claim, setting), as a candidate (1, *z.shape), and
        the file's path; (None, None) when there is none.

        A regression corpus, as fuzzers keep one: a violation found once is re-evaluated on every
        re-run with the same ``--witness-dir``, so a search path that misses it (the search is a
        lower bound, and its path moves with float rounding) cannot turn the verdict back. Only
        the point is taken from the file; its kappa is computed afresh on this problem. Files that
        are unreadable, of another shape, or whose point lies outside this domain are ignored.
        """
        from .witness import load_witness

        name = witness_name(claim.name, dict(setting), "")
        for folder in ([] if self._witness_dir is None else [self._witness_dir]) + self.corpus:
            path = os.path.join(folder, name)
            if not os.path.exists(path):
                continue
            try:
                x = torch.as_tensor(load_witness(path).x, dtype=problem.z.dtype, device=problem.z.device)
            except (ValueError, OSError):
                continue
            if tuple(x.shape) != tuple(problem.z.shape):
                continue
            center = torch.zeros_like(x) if problem.center is None else torch.as_tensor(problem.center).to(x)
            if float(torch.linalg.vector_norm(x - center)) > float(problem.radius):
                continue
            return x.unsqueeze(0), path
        return None, None

    @staticmethod
    def _with_candidates(problem: Problem, eps: float, res: ProbeResult, kappa_stop: float,
                         earlier: torch.Tensor | None = None) -> tuple[ProbeResult, str]:
        """The search result, replaced by the worst analytic candidate point, or by an earlier run's
        witness point (:meth:`earlier_witness`), when that one is worse."""
        if res.violation or res.exceeded:
            return res, "the search"
        n = (0 if problem.candidates is None else int(problem.candidates.shape[0])) + \
            (0 if earlier is None else int(earlier.shape[0]))
        best, found_at = None, "the search"
        for pts, label in ((problem.candidates, "an analytic candidate point"), (earlier, "an earlier run's witness")):
            cand = Checker.points_worst(problem, eps, pts)
            if cand is not None and cand[0] > res.kappa and (best is None or cand[0] > best[0]):
                best, found_at = cand, label
        if best is None:
            return dataclasses.replace(res, points_evaluated=res.points_evaluated + n), "the search"
        k, x, gap, inner, gnorm = best
        return dataclasses.replace(
            res, kappa=k, witness=x, witness_gap=gap, witness_inner=inner, witness_gnorm=gnorm,
            violation=math.isinf(k), exceeded=k > kappa_stop, points_evaluated=res.points_evaluated + n,
            max_gap=max(res.max_gap, gap)), found_at

    @staticmethod
    def points_worst(problem: Problem, eps: float, points: torch.Tensor | None) -> tuple | None:
        """(kappa_min, x, gap, inner, gnorm) at the worst of ``points`` (P, *z.shape) on the problem, or None."""
        if points is None or points.shape[0] == 0:
            return None
        from .definitions import kappa_from_terms, slqc_terms

        t = slqc_terms(problem.f, points, problem.z)
        k = kappa_from_terms(t, eps)
        i = int(torch.argmax(k))
        if float(k[i]) <= 0:
            return None
        return (float(k[i]), points[i], float(t.gap[i]), float(t.inner[i]), float(t.gnorm[i]))


# ---------------------------------------------------------------------- several search seeds
#: the keyword arguments :func:`slqc.witness.save_witness` accepts (the domain and W2* are recent)
_SAVE_PARAMS = frozenset(inspect.signature(save_witness).parameters)


def search_budget(budget: Any, problem: Problem) -> Any:
    """The search budget ``budget`` as this problem needs it: the same name, or, where the problem
    asks for more of some entries (``Problem.search``: entry -> factor), the named budget's numbers
    with those entries multiplied.

    Raises:
        ValueError: a factor for an entry the budget does not have, or a factor that is not > 0.
    """
    scale = _scale(problem)
    if not scale or not isinstance(budget, str):
        return budget
    from .search import BUDGETS as SEARCH_BUDGETS

    cfg = dict(SEARCH_BUDGETS[budget])
    for k, f in scale.items():
        if k not in cfg or not positive_finite(f):
            raise ValueError(f"Problem.search: {k}={f!r}; give factors > 0 for entries of {', '.join(cfg)}")
        cfg[k] = max(1, int(round(cfg[k] * float(f))))
    return cfg


def _scale(problem: Any) -> dict:
    """The problem's search budget factors (``Problem.search``; {} for objects without them)."""
    return getattr(problem, "search", None) or {}


def _scale_key(problem: Problem) -> tuple:
    return tuple(sorted(_scale(problem).items()))


def _scaled_note(res: Any, problem: Problem) -> Any:
    """A search result with the problem's budget factors noted in ``searched.budget_scale`` (when it has any)."""
    scale = _scale(problem)
    if scale and isinstance(res, ProbeResult):
        res.searched["budget_scale"] = dict(scale)
    return res


def probe_seeds(problem: Problem, eps: float, seeds: Iterable[int], budget: Any, kappa_stop: float | None = None,
                device: Any = None) -> ProbeResult:
    """The worst result of the search over several seeds (stops at the first violation / excess).

    Args:
        problem: the instance (objective, z, domain).
        eps: eps of the definition.
        seeds: search seeds, run in order.
        budget: search budget: a name, or its numbers (see :func:`search_budget`).
        kappa_stop: stop at a point needing more than this kappa.
        device: torch device.

    Returns:
        A :class:`ProbeResult` (the worst point over the seeds run; points summed), with
        ``searched["seeds"]`` naming the seeds that ran.
    """
    return _probe_fn(problem.f, problem.z, eps, problem.radius, center=problem.center, budget=budget,
                     seed=[int(s) for s in seeds], device=device, kappa_stop=kappa_stop)


# ---------------------------------------------------------------------- the run
def select_claims(names: Iterable[str] | None) -> list[Claim]:
    """Claims by name (all when ``names`` is empty). Raises ValueError on an unknown name."""
    names = list(names or [])
    return [get_claim(n) for n in names] if names else list(CLAIMS.values())


def task_key(name: str, setting: Mapping[str, Any], budget: str) -> str:
    """A stable identifier of one (claim, setting, budget) task, used by the journal."""
    blob = json.dumps(jsonio.encode({"claim": name, "setting": dict(setting), "budget": budget}), sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


#: relative cost of one setting per claim kind, for claims without a fitted factor below
_KIND_COST = {"slqc": 1.0, "probability": 3.0, "sngd": 2.0}

#: relative cost of one setting per claim, and the exponents of m k h (samples x outputs x hidden
#: units) and of d: a least-squares fit of log seconds to the journal of the standard run of 2026-12-01,
#: 16:14 UTC, on an AMD EPYC (``python docs/schedule_replay.py --fit``: rms error 0.27 in log seconds over
#: 306 settings, where the model it replaced, kind x (m d k h)^0.3, has 0.59). Settings searched in
#: batches are cheaper per instance, which the exponents absorb (small d: smaller batches and more
#: samples per point). The constants before (a fit on another machine's journal, d^-0.266) predicted
#: that run at rms 0.38.
_CLAIM_COST = {"hazan": 1.15, "thm1": 1.0, "thm2": 2.04, "thm3": 2.44, "cor1": 0.84, "cor2": 2.02, "thm4": 1.04,
               "thm5": 1.41, "thm6": 1.0, "thm7": 4.64, "thm8": 1.91}
_COST_SAMPLES_EXP, _COST_D_EXP = 0.053, -0.062


def expected_cost(claim: Claim, setting: Mapping[str, Any], budget: str) -> float:
    """A rough relative cost of one setting: the claim's fitted factor x (m k h)^0.053 x d^-0.062 x seeds.

    Weights the progress bar and plans the batches for several workers (:func:`plan_batches`).
    The factors and exponents are a fit to the per-setting seconds of the standard run (see
    ``_CLAIM_COST``); a claim without a factor gets its kind's (``_KIND_COST``).
    """
    mkh = float(setting.get("m", 64)) * float(setting.get("k") or 1) * float(setting.get("hidden") or 1)
    d = float(setting.get("d", 8))
    factor = _CLAIM_COST.get(claim.name, _KIND_COST.get(claim.kind, 1.0))
    return factor * max(mkh, 1.0) ** _COST_SAMPLES_EXP * max(d, 1.0) ** _COST_D_EXP * len(PLANS[budget].seeds)


def journal_records(path: str) -> dict[str, list[dict]]:
    """Task key -> records of a journal written by :func:`run_check` (truncated last line skipped)."""
    out: dict[str, list[dict]] = {}
    if not os.path.exists(path):
        return out
    for entry in jsonio.read_jsonl(path):
        if isinstance(entry, dict) and "key" in entry and isinstance(entry.get("records"), list):
            out[entry["key"]] = entry["records"]
    return out


def run_check(names: Iterable[str] | None = None, budget: str = "quick", device: Any = None, seed: int = 0,
              witness_dir: str | None = None, progress: bool = True, jobs: int = 1, journal: str | None = None,
              resume: bool = False, certify: Mapping[str, Any] | None = None, executor: str = "local",
              address: str | None = None, batch: int = DEFAULT_BATCH, corpus: Iterable[str] = ()) -> list[dict]:
    """Run the checks of the named claims (all by default) and return their records.

    Args:
        names: claim names (see ``slqc list``); None or empty = all.
        budget: ``quick`` (about a minute for all claims on 2 CPU cores), ``standard``
            (the README run), ``thorough`` (for a GPU).
        device: torch device for the search.
        seed: offset added to every setting's seed, and to every search seed.
        witness_dir: folder for witness files (default: a temporary folder).
        progress: show a progress bar on stderr, weighted by :func:`expected_cost`.
        jobs: worker processes (each with one torch thread); 1 = in this process. With several,
            the batches are planned for them (:func:`plan_batches`), so records of runs with
            different ``jobs`` agree up to float rounding.
        journal: JSON-lines file; each finished setting is appended as ``{"key", "claim", "records"}``.
        resume: keep the settings already in ``journal`` and run only the others (otherwise the
            journal is started afresh).
        certify: options of :func:`slqc.certify.certify` (e.g. ``{"max_boxes": 20000}``): certify an
            upper bound ``kappa_upper`` on every decided SLQC record; None = no certification.
        executor: ``local`` (this process, or ``jobs`` spawned workers) or ``ray`` (one Ray task per
            setting, streamed back into the same journal; see :mod:`slqc.executors`).
        address: Ray cluster address for ``executor="ray"`` (None: a local instance with ``jobs`` CPUs).
        batch: instance batching: up to this many settings of one point shape share one search
            (:func:`plan_batches`, :meth:`Checker.search_many`: SLQC settings, and the searches a
            custom evaluation declares with :meth:`Claim.prefetch`); 1 = one setting at a time.
            The records are the same either way, up to float rounding.
        corpus: folders of earlier witness files (read only; e.g. ``docs/check_witnesses``): each
            setting's earlier witness point is re-evaluated as a candidate
            (:meth:`Checker.earlier_witness`), as is one in ``witness_dir``.

    Returns:
        The list of records (dicts), in the order of the registry and of each grid,
        whatever the number of jobs.

    Raises:
        ValueError: unknown claim name or budget, jobs < 1, batch < 1.
        Interrupted: Ctrl-C; the workers are stopped and the exception carries the finished records.
    """
    claims = select_claims(names)
    check_budget(budget)
    if int(jobs) < 1:
        raise ValueError(f"--jobs must be >= 1, got {jobs}")
    if int(batch) < 1:
        raise ValueError(f"--batch must be >= 1, got {batch}")
    gpu_share = 1.0 / int(jobs) if str(device or "cpu").startswith("cuda") else 0.0
    pool = make_executor(executor, jobs=int(jobs), address=address, num_gpus=gpu_share)
    if witness_dir is None:
        witness_dir = tempfile.mkdtemp(prefix="slqc-witnesses-")
    tasks = [(c.name, dict(s, seed=int(s.get("seed", 0)) + int(seed))) for c in claims for s in c.settings(budget)]
    keys = [task_key(n, s, budget) for n, s in tasks]
    done: dict[str, list[dict]] = {}
    if journal:
        os.makedirs(os.path.dirname(os.path.abspath(journal)), exist_ok=True)
        if resume:
            done = {k: v for k, v in journal_records(journal).items() if k in set(keys)}
            print(f"slqc check: resuming; {len(done)} of {len(tasks)} settings are already in {journal}",
                  file=sys.stderr)
        else:
            open(journal, "w").close()
    weights = [expected_cost(get_claim(n), s, budget) for n, s in tasks]
    # smoothing=0: the remaining time from the average rate since the start (batches go out costliest first,
    # so the first updates come late and in bursts; tqdm's moving average would then promise hours)
    bar = tqdm(total=sum(weights), desc="slqc check", disable=not progress, file=sys.stderr, unit="cost",
               smoothing=0,
               bar_format="{l_bar}{bar}| {percentage:3.0f}% [{elapsed}<{remaining}]{postfix}")
    results: dict[int, list[dict]] = {}
    for i, k in enumerate(keys):
        if k in done:
            results[i] = done[k]
            bar.update(weights[i])
    todo = [i for i in range(len(tasks)) if i not in results]
    args = (budget, device, int(seed), witness_dir, None if certify is None else dict(certify), tuple(corpus))

    def finish(i: int, recs: list[dict]) -> None:
        results[i] = recs
        if journal:
            jsonio.append_jsonl(journal, {"key": keys[i], "claim": tasks[i][0], "records": recs})
        bar.set_postfix_str(tasks[i][0])
        bar.update(weights[i])

    def ordered() -> list[dict]:
        return [r for i in sorted(results) for r in results[i]]

    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    batches = plan_batches(tasks, todo, int(batch), jobs=int(jobs), costs=weights)
    try:
        for j, recs_list in pool.map_unordered(_evaluate_batch, [([tasks[i] for i in b], *args) for b in batches]):
            for i, recs in zip(batches[j], recs_list):
                finish(i, recs)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, _exit_now)  # a second Ctrl-C leaves at once
        pool.shutdown()
        bar.close()
        raise Interrupted(ordered(), len(results), len(tasks)) from None
    bar.close()
    return ordered()


def _exit_now(signum: int, frame: Any) -> None:  # pragma: no cover - exercised by a subprocess test
    os.write(2, b"slqc: interrupted twice; exiting now\n")
    os._exit(130)


def _evaluate_task(name: str, setting: dict, budget: str, device: Any, seed: int, witness_dir: str,
                   certify: dict | None = None, corpus: tuple[str, ...] = ()) -> list[dict]:
    """Records of one (claim, setting); a setting the engine refuses is reported, not hidden."""
    return _evaluate_with(get_claim(name), setting,
                          Checker(budget, device=device, seed=seed, witness_dir=witness_dir, corpus=corpus), certify)


def _evaluate_with(claim: Claim, setting: dict, checker: Checker, certify: dict | None,
                   prefetched: Mapping[tuple[float, float | None], ProbeResult] | None = None,
                   runs: Mapping[tuple, dict] | None = None) -> list[dict]:
    """claim.evaluate on a checker of its own (searches run ahead in ``prefetched``, NGD runs in ``runs``);
    a refused setting is reported."""
    checker.certify = certify
    checker.in_draws = claim.kind == "probability"
    checker.prefetched = dict(prefetched or {})
    checker.prefetched_runs = dict(runs or {})
    try:
        return claim.evaluate(setting, checker)
    except ValueError as err:
        return [checker.error_record(claim, setting, err)]


def _plain_slqc(claim: Claim) -> bool:
    return claim.kind == "slqc" and type(claim).evaluate is Claim.evaluate


def batchable(claim: Claim) -> bool:
    """True for a claim whose searches can share a batched search with other settings: the plain SLQC
    check, or a custom evaluation that declares its searches (:meth:`Claim.prefetch`)."""
    return _plain_slqc(claim) or type(claim).prefetch is not Claim.prefetch


def _group_key(name: str, setting: Mapping[str, Any]) -> tuple:
    """The point shape that the setting probably has: (d, hidden) for a first layer of a network
    (whatever its outputs), (d,) or (d, k) for a GLM. The worker regroups exactly by the
    problems' shapes (:meth:`Checker.search_many`)."""
    if setting.get("hidden") is not None:
        return ("layer", setting.get("d"), setting.get("hidden"))
    k = setting.get("k", 1)
    return ("glm", setting.get("d")) + (() if k in (None, 1) else (k,))


def plan_batches(tasks: list[tuple[str, dict]], todo: list[int], batch: int, jobs: int = 1,
                 costs: Sequence[float] | None = None) -> list[list[int]]:
    """Task indices grouped into instance batches of at most ``batch`` (other claims: one per batch).

    Settings of batchable claims (:func:`batchable`) with the same :func:`_group_key` (point
    shape) go together, in registry order, whatever their claim, sample count or activation;
    every other setting is a batch of its own.

    With several workers (``jobs`` > 1) and ``costs`` (:func:`expected_cost` of every task), the
    plan is made for the workers: a group is also cut into batches of at most one worker's fair
    share of the run, sum(costs of todo) / jobs (contiguous pieces of about equal cost), so that
    no batch runs longer than the whole run should; and the batches come out costliest first
    (longest processing time first), so that the last ones to start are short. Otherwise the
    batches come out in registry order.
    """
    costs = list(costs) if costs is not None else None
    share = sum(costs[i] for i in todo) / jobs if costs is not None and jobs > 1 else math.inf
    out: list[list[int]] = []
    groups: dict[tuple, list[int]] = {}
    for i in todo:
        name, setting = tasks[i]
        if batch > 1 and batchable(get_claim(name)):
            groups.setdefault(_group_key(name, setting), []).append(i)
        else:
            out.append([i])
    for idx in groups.values():
        pieces = -(-len(idx) // batch)
        if share < math.inf:
            pieces = max(pieces, math.ceil(sum(costs[i] for i in idx) / share))  # type: ignore[index]
        out.extend(_split(idx, [1.0] * len(idx) if costs is None else [costs[i] for i in idx], pieces, batch))
    if share < math.inf:
        return sorted(out, key=lambda b: (-sum(costs[i] for i in b), b[0]))  # type: ignore[index]
    return sorted(out, key=lambda b: b[0])


def _split(idx: list[int], cost: list[float], pieces: int, size: int) -> list[list[int]]:
    """``idx`` cut into about ``pieces`` contiguous pieces of at most ``size`` and about equal total ``cost``."""
    target = sum(cost) / max(1, pieces)
    out: list[list[int]] = []
    cur: list[int] = []
    acc = 0.0
    for i, c in zip(idx, cost):
        # close the piece when full, or when this task would take it further past the target than short of it
        if cur and (len(cur) >= size or acc + c - target > target - acc):
            out.append(cur)
            cur, acc = [], 0.0
        cur.append(i)
        acc += c
    if cur:
        out.append(cur)
    return out


def _evaluate_batch(items: list[tuple[str, dict]], budget: str, device: Any, seed: int, witness_dir: str,
                    certify: dict | None = None, corpus: tuple[str, ...] = ()) -> list[list[dict]]:
    """Records of several settings (one list per setting, in order), their SLQC searches batched."""
    if len(items) == 1:
        return [_evaluate_task(items[0][0], items[0][1], budget, device, seed, witness_dir, certify, corpus)]
    checker = Checker(budget, device=device, seed=seed, witness_dir=witness_dir, corpus=corpus)
    checker.certify = certify
    out: list[list[dict] | None] = [None] * len(items)
    built: list[tuple[int, Claim, dict, Problem]] = []
    requests: list[tuple[Problem, float, float | None] | None] = []
    owner: list[int] = []  # the item of each request
    for j, (name, setting) in enumerate(items):
        claim = get_claim(name)
        try:
            problem = claim.build(setting, device=device)
        except ValueError as err:
            out[j] = [checker.error_record(claim, setting, err)]
            continue
        built.append((j, claim, setting, problem))
        if _plain_slqc(claim):
            need = checker.search_needed(claim, setting, problem)
            wants = [] if need is None else [need]
        else:
            wants = claim.prefetch(setting, problem)
        requests.extend((problem, float(e), k) for e, k in wants)
        owner.extend([j] * len(wants))
    found = checker.search_many(requests)
    ready: dict[int, dict] = {}
    for j, claim, setting, problem in built:
        if not _plain_slqc(claim):
            mine = [(req, r) for req, r, o in zip(requests, found, owner) if o == j]
            ready[j] = {(req[1], req[2]): r for req, r in mine if isinstance(r, ProbeResult)}  # type: ignore[index]
    runs = _run_ahead(built, ready, budget)
    for j, claim, setting, problem in built:
        if _plain_slqc(claim):
            mine = [r for r, o in zip(found, owner) if o == j]
            out[j] = [checker.slqc_record_from(claim, setting, problem, mine[0] if mine else None)]
        else:  # a custom evaluation: its declared searches and runs are handed over, anything else it runs itself
            out[j] = _evaluate_with(claim, setting, Checker(budget, device=device, seed=seed, witness_dir=witness_dir,
                                                            corpus=corpus), certify, ready[j], runs.get(j))
    return out  # type: ignore[return-value]


def _run_ahead(built: list[tuple[int, Claim, dict, Problem]], ready: Mapping[int, dict], budget: str) -> dict:
    """The NGD runs that the batch's custom claims declare (:meth:`Claim.prefetch_runs`), as one stacked
    loop (:func:`slqc.claims.sngd.ngd_many`): item -> {NGDRun.key(): result with ``batch_seconds``, the run's
    share of the loop's time by iterations}."""
    from .claims.sngd import ngd_many

    specs: list[tuple[int, Any]] = []
    for j, claim, setting, problem in built:
        if j in ready:
            try:
                specs.extend((j, run) for run in claim.prefetch_runs(setting, problem, ready[j], budget))
            except ValueError:  # evaluate meets the same error and reports it
                continue
    if len(specs) < 2:  # nothing to share: evaluate runs its own
        return {}
    t0 = time.perf_counter()
    results = ngd_many([run for _, run in specs])
    secs = time.perf_counter() - t0
    total = sum(r["iterations"] for r in results) or 1
    out: dict[int, dict] = {}
    for (j, run), res in zip(specs, results):  # each run's share of the loop: by its iterations
        out.setdefault(j, {})[run.key()] = dict(res, batch_seconds=secs * res["iterations"] / total)
    return out


def _safe_kappa(claim: Claim, setting: Mapping[str, Any]) -> float:
    try:
        return float(claim.kappa(setting))
    except Exception:  # noqa: BLE001 - only for the error record
        return math.nan
