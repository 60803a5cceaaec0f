"""Verdicts for the paper's SLQC claims: run the registry's grids, decide, keep the evidence.

For each (claim, setting) of :mod:`slqc.claims`, :func:`run_check` returns one record
(the probability and SNGD claims return several) with a verdict:

* ``holds``: the search found no point of the domain that needs a kappa above the claimed
  one; the record carries the empirical kappa (a certified lower bound on the supremum:
  it was attained at an evaluated point) and the slack claimed / empirical.
* ``violated``: a point where Definition 1 / 4 fails with the claimed kappa. It is saved
  as a witness ``.npz`` and re-checked by :mod:`slqc.verify` (plain numpy, no shared
  code); a witness the re-check does not confirm turns the verdict into ``inconclusive``.
* ``vacuous``: the claimed kappa is not a positive number, or no point of the domain has
  f(x) - f(z) > eps (proven by an analytic bound, or: the search found none); the note
  says which. The empirical kappa is still measured where the search can run.
* ``inconclusive``: the check could not decide (hypotheses failed on the generated data,
  an iteration cap, an unconfirmed witness); the note says why.

Outputs: :func:`format_table` (terminal), :func:`markdown` (README / results file),
:func:`write_json` (``{"records": [...]}``, infinities as the string "inf"),
:func:`plot_records` (per claim: empirical kappa vs eps, log-log, against the claimed kappa).

Example:
    >>> recs = run_check(["thm1"], budget="quick", progress=False)   # doctest: +SKIP
    >>> recs[0]["verdict"]                                            # doctest: +SKIP
    'holds'
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from typing import Any, Iterable, Mapping

import torch
from tqdm.auto import tqdm

from .claims import CLAIMS, get_claim
from .claims.base import Claim, Problem, check_budget, positive_finite
from .search import probe as _probe_fn
from .verify import verify_witness
from .witness import jsonable, save_witness, witness_name

VERDICTS = ("holds", "violated", "vacuous", "inconclusive")

#: probe budget used for each check budget: (single SLQC checks, each draw of the probability claim)
PROBE_BUDGETS = {"quick": ("quick", "quick"), "standard": ("standard", "quick"), "thorough": ("thorough", "standard")}

_ABBREV = {"generalized_relu": "grelu", "distribution": "", "activation": ""}
_ORDER = ("activation", "a", "b", "W", "Wstar", "wstar", "W1", "W2", "hidden", "k", "m", "d", "distribution", "noise",
          "labels", "w2", "seed", "draws", "kappa_source", "reading")


def setting_label(setting: Mapping[str, Any]) -> str:
    """A compact one-line description of a setting (eps is shown in its own column)."""
    parts = []
    for key in _ORDER:
        if key not in setting:
            continue
        v = setting[key]
        if key == "Wstar" or (key, v) in (("wstar", 1.0), ("k", 1), ("labels", "idealized")):
            continue
        if isinstance(v, float):
            v = f"{v:g}"
        if key in ("activation", "distribution"):
            parts.append(str(_ABBREV.get(v, v)))
        elif key == "seed":
            parts.append(f"s{v}")
        elif key == "wstar":
            parts.append(f"|w*|={v}W")
        elif key in ("kappa_source", "reading"):
            parts.append(f"{v}")
        else:
            parts.append(f"{key}={v}")
    return " ".join(parts)


class Checker:
    """Runs the verdicts of one ``slqc check`` invocation.

    Args:
        budget: ``quick``, ``standard`` or ``thorough`` (grid size and search effort).
        device: torch device of the search (``cpu``/``cuda``; None = cpu).
        seed: offset added to every setting's data seed, and the search's seed.
        witness_dir: where witness files go (default: a fresh temporary folder).

    Attributes:
        in_draws: True while a probability claim runs its data draws; their searches use the
            cheaper ``draw_budget`` of :data:`PROBE_BUDGETS`.
    """

    in_draws = False

    def __init__(self, budget: str = "quick", device: Any = None, seed: int = 0, witness_dir: str | None = None):
        self.budget = check_budget(budget)
        self.device = device
        self.seed = int(seed)
        self.probe_budget, self.draw_budget = PROBE_BUDGETS[budget]
        self._witness_dir = witness_dir

    @property
    def witness_dir(self) -> str:
        if self._witness_dir is None:
            self._witness_dir = tempfile.mkdtemp(prefix="slqc-witnesses-")
        os.makedirs(self._witness_dir, exist_ok=True)
        return self._witness_dir

    # ------------------------------------------------------------------ building blocks
    def probe(self, problem: Problem, eps: float, kappa_stop: float | None = None, budget: str | None = None):
        """The engine's search on one problem (domain B(center, radius))."""
        if budget is None:
            budget = self.draw_budget if kappa_stop is not None and self.in_draws else self.probe_budget
        return _probe_fn(problem.f, problem.z, eps, problem.radius, center=problem.center, budget=budget,
                         seed=self.seed, device=self.device, kappa_stop=kappa_stop)

    def save_witness(self, claim: Claim, setting: Mapping[str, Any], problem: Problem, x: Any, eps: float,
                     kappa: float, tag: str = "", kind: str = "slqc", bound: float | None = None) -> str:
        """Write the witness file of a violation and return its path."""
        model = dict(problem.model, kind=kind)
        if bound is not None:
            model["bound"] = bound
        path = os.path.join(self.witness_dir, witness_name(claim.name, dict(setting), tag))
        meta = {"claim": claim.name, "theorem": claim.theorem, "setting": dict(setting), "budget": self.budget}
        return save_witness(path, problem.X, problem.Y, problem.z, x, eps, kappa, model, W2=problem.W2, meta=meta)

    @staticmethod
    def confirm(path: str) -> bool:
        """True when the independent numpy re-check confirms the witness."""
        return verify_witness(path).fails

    def record(self, claim: Claim, setting: Mapping[str, Any], *, kappa_claimed: float, kappa_empirical: float | None,
               verdict: str, witness: str | None, points: int, seconds: float, note: str = "",
               extra: Mapping[str, Any] | None = None, slack: Any = "auto", hypotheses: Mapping | None = None) -> dict:
        """One JSON-ready record (infinities stay floats here; :func:`write_json` encodes them)."""
        if verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {verdict!r}")
        if slack == "auto":
            slack = None
            if verdict == "holds" and kappa_empirical is not None and positive_finite(kappa_claimed):
                slack = math.inf if kappa_empirical == 0 else kappa_claimed / kappa_empirical
        rec = {
            "claim": claim.name, "theorem": claim.theorem, "section": claim.section,
            "setting": dict(setting), "label": setting_label(setting), "eps": float(setting.get("eps", math.nan)),
            "kappa_claimed": float(kappa_claimed),
            "kappa_empirical": None if kappa_empirical is None else float(kappa_empirical),
            "verdict": verdict, "slack": slack, "witness": witness, "points_evaluated": int(points),
            "seconds": float(seconds), "note": note,
        }
        if hypotheses is not None:
            rec["hypotheses"] = {k: {"holds": bool(v[0]), "detail": v[1]} for k, v in hypotheses.items()}
        if extra:
            rec.update(extra)
        return rec

    # ------------------------------------------------------------------ the SLQC verdict
    def slqc_record(self, claim: Claim, setting: Mapping[str, Any], problem: Problem) -> dict:
        """Verdict of one (claim, setting) for a claim of the form "f is (eps, kappa, z)-SLQC on B(c, R)"."""
        t0 = time.perf_counter()
        eps = float(setting["eps"])
        kappa_c = claim.kappa(setting)
        failed = [f"{k} ({v[1]})" for k, v in problem.hypotheses.items() if not v[0]]
        common = dict(kappa_claimed=kappa_c, hypotheses=problem.hypotheses, extra={"info": problem.info})
        if failed:
            return self.record(claim, setting, kappa_empirical=None, verdict="inconclusive", witness=None, points=0,
                               seconds=time.perf_counter() - t0, note="hypotheses fail on the generated data: "
                               + "; ".join(failed), **common)
        if problem.gap_upper is not None and problem.gap_upper <= eps:
            return self.record(claim, setting, kappa_empirical=0.0, verdict="vacuous", witness=None, points=0,
                               seconds=time.perf_counter() - t0, slack=None,
                               note=f"no point has f(x)-f(z) > eps: sup gap <= {problem.gap_upper:.3g} <= eps "
                                    f"(analytic bound)", **common)
        if not positive_finite(kappa_c):
            res = self.probe(problem, eps)
            return self.record(claim, setting, kappa_empirical=res.kappa, verdict="vacuous", witness=None,
                               points=res.points_evaluated, seconds=time.perf_counter() - t0, slack=None,
                               note=f"claimed kappa = {kappa_c:.4g} is not positive; empirical kappa measured anyway",
                               **common)
        res = self.probe(problem, eps, kappa_stop=kappa_c)
        cand = self.candidate_worst(problem, eps)
        found_at = "the search"
        if cand is not None and cand[0] > res.kappa and not (res.violation or res.exceeded):
            k, x, gap, inner, gnorm = cand
            res.kappa, res.witness, res.witness_gap, res.witness_inner, res.witness_gnorm = k, x, gap, inner, gnorm
            res.violation = math.isinf(k)
            res.exceeded = k > kappa_c
            res.points_evaluated += problem.candidates.shape[0]
            found_at = "an analytic candidate point"
        secs = time.perf_counter() - t0
        if res.violation or res.exceeded:
            path = self.save_witness(claim, setting, problem, res.witness, eps, kappa_c)
            check = verify_witness(path)
            what = ("no kappa works there (<g, x - z> <= 0 or g = 0)" if res.violation
                    else f"kappa_min = {res.kappa:.4g} > claimed (search stopped there)")
            note = f"witness ({found_at}): f(x)-f(z)={res.witness_gap:.3g} > eps, {what}"
            verdict = "violated"
            if not check.fails:
                verdict, note = "inconclusive", note + "; NOT confirmed by the numpy re-check: " + check.message
            rec = self.record(claim, setting, kappa_empirical=res.kappa, verdict=verdict, witness=path,
                              points=res.points_evaluated, seconds=secs, note=note, **common)
            rec["witness_check"] = check.to_dict()
            return rec
        if res.kappa == 0:
            return self.record(claim, setting, kappa_empirical=0.0, verdict="vacuous", witness=None,
                               points=res.points_evaluated, seconds=secs, slack=None,
                               note=f"the search found no point with f(x)-f(z) > eps (largest gap seen "
                                    f"{res.max_gap:.3g})", **common)
        return self.record(claim, setting, kappa_empirical=res.kappa, verdict="holds", witness=None,
                           points=res.points_evaluated, seconds=secs,
                           note=f"worst point ({found_at}): f(x)-f(z)={res.witness_gap:.3g}", **common)

    @staticmethod
    def candidate_worst(problem: Problem, eps: float) -> tuple | None:
        """(kappa_min, x, gap, inner, gnorm) at the worst of the problem's candidate points, or None."""
        if problem.candidates is None or problem.candidates.shape[0] == 0:
            return None
        from .definitions import kappa_from_terms, slqc_terms

        t = slqc_terms(problem.f, problem.candidates, problem.z)
        k = kappa_from_terms(t, eps)
        i = int(torch.argmax(k))
        if float(k[i]) <= 0:
            return None
        return (float(k[i]), problem.candidates[i], float(t.gap[i]), float(t.inner[i]), float(t.gnorm[i]))


def select_claims(names: Iterable[str] | None) -> list[Claim]:
    """Claims by name (all when ``names`` is empty). Raises ValueError on an unknown name."""
    names = list(names or [])
    return [get_claim(n) for n in names] if names else list(CLAIMS.values())


def run_check(names: Iterable[str] | None = None, budget: str = "quick", device: Any = None, seed: int = 0,
              witness_dir: str | None = None, progress: bool = True, jobs: int = 1) -> list[dict]:
    """Run the checks of the named claims (all by default) and return their records.

    Args:
        names: claim names (see ``slqc list``); None or empty = all.
        budget: ``quick`` (< 2 minutes for all claims on 2 CPU cores), ``standard``
            (the README run), ``thorough`` (for a GPU).
        device: torch device for the search.
        seed: offset added to every setting's seed, and seed of the search.
        witness_dir: folder for witness files (default: a temporary folder).
        progress: show a progress bar on stderr.
        jobs: worker processes (each with one torch thread); 1 = in this process.

    Returns:
        The list of records (dicts), in the order of the registry and of each grid,
        whatever the number of jobs.

    Raises:
        ValueError: unknown claim name or budget.
    """
    claims = select_claims(names)
    check_budget(budget)
    if witness_dir is None:
        witness_dir = tempfile.mkdtemp(prefix="slqc-witnesses-")
    tasks = [(c.name, dict(s, seed=int(s.get("seed", 0)) + int(seed))) for c in claims for s in c.settings(budget)]
    bar = tqdm(total=len(tasks), desc="slqc check", disable=not progress, file=sys.stderr, unit="setting")
    args = (budget, device, int(seed), witness_dir)
    results: list[list[dict]] = [[] for _ in tasks]
    if int(jobs) <= 1 or len(tasks) <= 1:
        for i, (name, setting) in enumerate(tasks):
            bar.set_postfix_str(name)
            results[i] = _evaluate_task(name, setting, *args)
            bar.update(1)
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = mp.get_context("spawn")  # never fork a process whose torch thread pools are already running
        with ProcessPoolExecutor(max_workers=int(jobs), mp_context=ctx, initializer=_init_worker) as pool:
            futures = {pool.submit(_evaluate_task, name, setting, *args): i for i, (name, setting) in enumerate(tasks)}
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                bar.set_postfix_str(tasks[futures[fut]][0])
                bar.update(1)
    bar.close()
    return [r for rs in results for r in rs]


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def _evaluate_task(name: str, setting: dict, budget: str, device: Any, seed: int, witness_dir: str) -> list[dict]:
    """Records of one (claim, setting); a setting the engine refuses is reported, not hidden."""
    claim = get_claim(name)
    checker = Checker(budget, device=device, seed=seed, witness_dir=witness_dir)
    checker.in_draws = claim.kind == "probability"
    try:
        return claim.evaluate(setting, checker)
    except ValueError as err:
        return [checker.record(claim, setting, kappa_claimed=_safe_kappa(claim, setting), kappa_empirical=None,
                               verdict="inconclusive", witness=None, points=0, seconds=0.0, note=f"error: {err}")]


def _safe_kappa(claim: Claim, setting: Mapping[str, Any]) -> float:
    try:
        return float(claim.kappa(setting))
    except Exception:  # noqa: BLE001 - only for the error record
        return math.nan


# ---------------------------------------------------------------------- output
def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    v = float(v)
    if math.isnan(v):
        return "-"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.3g}"


def summary(records: list[dict]) -> list[dict]:
    """Per claim: number of records per verdict, smallest slack, largest finite empirical kappa."""
    out = []
    for name in dict.fromkeys(r["claim"] for r in records):
        rs = [r for r in records if r["claim"] == name]
        counts = {v: sum(r["verdict"] == v for r in rs) for v in VERDICTS}
        slacks = [r["slack"] for r in rs if isinstance(r.get("slack"), (int, float)) and r["verdict"] == "holds"]
        overall = ("violated" if counts["violated"] else "holds" if counts["holds"] else
                   "vacuous" if counts["vacuous"] else "inconclusive")
        readings = sorted({str(r["setting"]["reading"]) for r in rs if r["verdict"] == "violated"
                           and "reading" in r["setting"]})
        if readings:
            overall += f" (reading {', '.join(readings)})"
        out.append({"claim": name, "theorem": rs[0]["theorem"], "records": len(rs), **counts,
                    "min_slack": min(slacks) if slacks else None, "overall": overall})
    return out


def format_table(records: list[dict], note_width: int = 70) -> str:
    """A plain-text table: claim, setting, eps, claimed kappa, empirical kappa, slack, verdict, note."""
    head = ["claim", "setting", "eps", "kappa claimed", "kappa empirical", "slack", "verdict", "note"]
    rows = [[r["claim"], r["label"], _fmt(r["eps"]), _fmt(r["kappa_claimed"]), _fmt(r["kappa_empirical"]),
             _fmt(r["slack"]), r["verdict"], (r.get("note") or "")[:note_width]] for r in records]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [line(head), line(["-" * w for w in widths])] + [line(r) for r in rows]
    out.append("")
    for s in summary(records):
        out.append(f"{s['claim']:6s} {s['overall']:12s} holds={s['holds']} violated={s['violated']} "
                   f"vacuous={s['vacuous']} inconclusive={s['inconclusive']} min slack={_fmt(s['min_slack'])}")
    return "\n".join(out)


def markdown(records: list[dict], command: str | None = None) -> str:
    """Markdown: a summary per claim, then the full table per claim."""
    lines = []
    if command:
        lines += [f"Produced by `{command}`.", ""]
    lines += ["| claim | theorem | records | holds | violated | vacuous | inconclusive | smallest slack | verdict |",
              "|---|---|---|---|---|---|---|---|---|"]
    for s in summary(records):
        lines.append(f"| {s['claim']} | {s['theorem']} | {s['records']} | {s['holds']} | {s['violated']} | "
                     f"{s['vacuous']} | {s['inconclusive']} | {_fmt(s['min_slack'])} | **{s['overall']}** |")
    for name in dict.fromkeys(r["claim"] for r in records):
        lines += ["", f"### {name}", "", "| setting | eps | kappa claimed | kappa empirical | slack | verdict | note |",
                  "|---|---|---|---|---|---|---|"]
        for r in (r for r in records if r["claim"] == name):
            note = (r.get("note") or "").replace("|", "\\|")
            if r.get("witness"):
                note += f" (witness `{os.path.basename(r['witness'])}`)"
            lines.append(f"| {r['label']} | {_fmt(r['eps'])} | {_fmt(r['kappa_claimed'])} | "
                         f"{_fmt(r['kappa_empirical'])} | {_fmt(r['slack'])} | {r['verdict']} | {note} |")
    return "\n".join(lines) + "\n"


BEGIN_MARK = "<!-- slqc-check-summary:begin -->"
END_MARK = "<!-- slqc-check-summary:end -->"


def insert_summary(doc_path: str, records: list[dict], command: str | None = None) -> None:
    """Replace the block between :data:`BEGIN_MARK` and :data:`END_MARK` in ``doc_path`` by the summary table.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file lacks the two markers.
    """
    with open(doc_path) as fh:
        text = fh.read()
    if BEGIN_MARK not in text or END_MARK not in text:
        raise ValueError(f"{doc_path} needs the markers {BEGIN_MARK} and {END_MARK} around the table")
    head, rest = text.split(BEGIN_MARK, 1)
    _, tail = rest.split(END_MARK, 1)
    table = markdown(records, command=command).split("\n### ", 1)[0].rstrip()
    with open(doc_path, "w") as fh:
        fh.write(head + BEGIN_MARK + "\n" + table + "\n" + END_MARK + tail)


def write_json(records: list[dict], path: str, meta: Mapping[str, Any] | None = None) -> None:
    """Write ``{"records": [...]}`` (plus ``meta``) with infinities as the string "inf" and NaN as null."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    doc = {"records": jsonable(records)}
    if meta:
        doc["meta"] = jsonable(dict(meta))
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=1, allow_nan=False)


def read_json(path: str) -> list[dict]:
    """Records of a JSON file written by :func:`write_json` ("inf" strings back to floats)."""
    with open(path) as fh:
        doc = json.load(fh)

    def back(v):
        if isinstance(v, dict):
            return {k: back(x) for k, x in v.items()}
        if isinstance(v, list):
            return [back(x) for x in v]
        if v == "inf":
            return math.inf
        if v == "-inf":
            return -math.inf
        return v

    return back(doc["records"])


def plot_records(records: list[dict], directory: str) -> list[str]:
    """Per claim: empirical kappa vs eps (log-log), one line per setting, against the claimed kappa.

    Records without a positive finite empirical kappa are drawn at the top edge
    (violations, marked x) or skipped (vacuous). Returns the paths written.
    """
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    os.makedirs(directory, exist_ok=True)
    paths = []
    for name in dict.fromkeys(r["claim"] for r in records):
        rs = [r for r in records if r["claim"] == name and r.get("eps") and math.isfinite(r["eps"])]
        groups: dict[str, list[dict]] = {}
        for r in rs:
            key = setting_label({k: v for k, v in r["setting"].items() if k != "eps"})
            groups.setdefault(key, []).append(r)
        lines = sorted((k, v) for k, v in groups.items() if len(v) >= 2)[:6]
        singles = [r for k, v in groups.items() if k not in dict(lines) for r in v]
        fig, ax = plt.subplots(figsize=(7, 4.8))
        drawn = False
        finite = lambda v: isinstance(v, (int, float)) and 0 < v < math.inf  # noqa: E731
        top = max([r["kappa_claimed"] for r in rs if finite(r["kappa_claimed"])] +
                  [r["kappa_empirical"] for r in rs if finite(r["kappa_empirical"])] + [1.0]) * 3
        for i, (key, g) in enumerate(lines):
            g = sorted(g, key=lambda r: r["eps"])
            color = f"C{i % 10}"
            emp = [(r["eps"], r["kappa_empirical"]) for r in g if finite(r["kappa_empirical"])]
            cl = [(r["eps"], r["kappa_claimed"]) for r in g if finite(r["kappa_claimed"])]
            if emp:
                ax.plot(*zip(*emp), "o-", color=color, label=key[:60])
                drawn = True
            if cl:
                ax.plot(*zip(*cl), "--", color=color, alpha=0.6)
                drawn = True
        other = [(r["eps"], r["kappa_empirical"]) for r in singles if finite(r["kappa_empirical"])]
        if other:
            ax.plot(*zip(*other), ".", color="grey", label="other settings (empirical)")
            drawn = True
        other_cl = [(r["eps"], r["kappa_claimed"]) for r in singles if finite(r["kappa_claimed"])]
        if other_cl:
            ax.plot(*zip(*other_cl), "_", color="grey", ms=12, label="other settings (claimed)")
        bad = [r["eps"] for r in rs if r["verdict"] == "violated"]
        if bad:
            ax.plot(bad, [top] * len(bad), "x", color="red", ms=9, label="violated (witness saved)")
            drawn = True
        if not drawn:
            plt.close(fig)
            continue
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("eps")
        ax.set_ylabel("kappa")
        ax.set_title(f"{name} ({rs[0]['theorem'] if rs else ''}): empirical (solid) vs claimed (dashed)", fontsize=9)
        ax.legend(fontsize=6, loc="best")
        fig.tight_layout()
        path = os.path.join(directory, f"kappa_vs_eps_{name}.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
