"""Seed statistics: mean, standard deviation and 95 % confidence interval of final metrics and of
training curves; the DANTE-vs-baseline verdict; failed (collapsed) baselines.

The standard deviation is the sample one (``ddof=1``) when there are at least two seeds, and 0 for
a single seed (reported with ``n=1`` so a reader is not misled). The confidence interval is the
Student-t interval of the mean, ``mean +- t_{0.975, n-1} * std / sqrt(n)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def t_quantile(n: int, level: float = 0.95) -> float:
    """Two-sided Student-t quantile ``t_{(1+level)/2, n-1}`` (``inf`` for ``n < 2``).

    Example:
        >>> round(t_quantile(5), 4)
        2.7764
    """
    if n < 2:
        return math.inf
    from scipy import stats as _st

    return float(_st.t.ppf(0.5 + level / 2, n - 1))


def mean_std(values: Sequence[float | None]) -> dict[str, Any]:
    """Mean, sample std and 95 % CI half-width of the finite values; ``n`` counts them,
    ``n_nonfinite`` the rest. ``ci95`` is ``None`` for a single value (no interval).

    Example:
        >>> round(mean_std([1.0, 2.0, 3.0])["ci95"], 4)  # t_{0.975,2} = 4.3027, / sqrt(3)
        2.4841
        >>> {k: v for k, v in mean_std([1.0, 2.0, 3.0]).items() if k != "ci95"}
        {'mean': 2.0, 'std': 1.0, 'n': 3, 'n_nonfinite': 0}
    """
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    bad = len(values) - len(finite)
    if not finite:
        return {"mean": None, "std": None, "n": 0, "n_nonfinite": bad, "ci95": None}
    arr = np.asarray(finite, dtype=float)
    std = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
    ci = t_quantile(arr.size) * std / math.sqrt(arr.size) if arr.size > 1 else None
    return {"mean": float(arr.mean()), "std": std, "n": int(arr.size), "n_nonfinite": bad, "ci95": ci}


def fmt(ms: dict[str, Any] | None, digits: int = 4, percent: bool = False) -> str:
    """Format a :func:`mean_std` dict as ``"m ± h"`` with ``h`` the 95 % CI half-width (the std
    when the dict has no ``ci95``, e.g. an older file); ``"n/a"`` when empty, ``"(k diverged)"`` noted.

    Example:
        >>> fmt({'mean': 0.5, 'std': 0.01, 'n': 3, 'n_nonfinite': 0}, percent=True)
        '50.00 ± 1.00 %'
        >>> fmt({'mean': 0.5, 'std': 0.01, 'n': 5, 'n_nonfinite': 0, 'ci95': 0.0124})
        '0.5 ± 0.012'
    """
    if ms is None or ms.get("mean") is None:
        return "n/a" + (f" ({ms['n_nonfinite']} diverged)" if ms and ms.get("n_nonfinite") else "")
    m = ms["mean"]
    s = ms["ci95"] if ms.get("ci95") is not None else ms["std"]
    if percent:
        out = f"{100 * m:.2f} ± {100 * s:.2f} %"
    else:
        out = f"{m:.{digits}g} ± {s:.2g}"
    if ms.get("n_nonfinite"):
        out += f" ({ms['n_nonfinite']} diverged)"
    return out


def curve_mean_std(
    histories: Sequence[Sequence[dict[str, Any]]], x_key: str, y_key: str
) -> dict[str, list[float]]:
    """Average ``y_key`` across seeds at matching log indices.

    Runs of one setting log at the same steps, so the ``i``-th entries are aligned; the curves are
    cut to the shortest run. ``x`` is the mean of ``x_key`` across seeds (wall time differs a bit).
    Entries whose ``y`` is missing or non-finite are skipped for that index.

    Returns:
        ``{"x": [...], "mean": [...], "std": [...]}`` (possibly empty lists).
    """
    hs = [h for h in histories if h]
    if not hs:
        return {"x": [], "mean": [], "std": []}
    n = min(len(h) for h in hs)
    xs, ms, ss = [], [], []
    for i in range(n):
        ys = [h[i].get(y_key) for h in hs]
        ys = [float(y) for y in ys if y is not None and math.isfinite(float(y))]
        xv = [h[i].get(x_key) for h in hs]
        xv = [float(x) for x in xv if x is not None]
        if not ys or not xv:
            continue
        xs.append(float(np.mean(xv)))
        ms.append(float(np.mean(ys)))
        ss.append(float(np.std(ys, ddof=1)) if len(ys) > 1 else 0.0)
    return {"x": xs, "mean": ms, "std": ss}


def compare(
    a: dict[str, Any] | None, b: dict[str, Any] | None, higher_is_better: bool
) -> str:
    """Which of two :func:`mean_std` results is better: ``"A"``, ``"B"`` or ``"tie"``.

    A difference counts only if it exceeds twice its standard error,
    ``2 * sqrt(s_a^2/n_a + s_b^2/n_b)`` (with a single seed each, any difference counts and the
    verdict is marked weak by the caller through ``n``). Missing values lose.

    Example:
        >>> compare({'mean': 0.9, 'std': 0.01, 'n': 3}, {'mean': 0.8, 'std': 0.01, 'n': 3}, True)
        'A'
    """
    am = a.get("mean") if a else None
    bm = b.get("mean") if b else None
    if am is None and bm is None:
        return "tie"
    if am is None:
        return "B"
    if bm is None:
        return "A"
    se = math.sqrt(a["std"] ** 2 / max(a["n"], 1) + b["std"] ** 2 / max(b["n"], 1))
    diff = (am - bm) if higher_is_better else (bm - am)
    if abs(diff) <= 2 * se:
        return "tie"
    return "A" if diff > 0 else "B"


# A classifier run whose test accuracy is below ``chance + COLLAPSE_MARGIN`` has not learned (issue 13:
# SGD at 9.65-10 % in sigmoid networks, SGD+AltMin lr = 1 seeds that diverge): a comparison against it
# says nothing about DANTE.
COLLAPSE_MARGIN = 0.05

# A method with fewer learned seeds than this (of at least as many run) failed as a whole: no
# confidence interval can be formed from the seeds that learned.
MIN_LEARNED = 2


def seed_collapsed(final: dict[str, Any] | None, n_classes: int | None) -> bool:
    """True if ONE classifier run (its ``final`` numbers) collapsed: its test accuracy is missing,
    non-finite or within :data:`COLLAPSE_MARGIN` of chance (``1 / n_classes``). Runs without a
    ``test_acc`` (regression, autoencoders) and ``n_classes`` None never collapse.

    Example:
        >>> seed_collapsed({"test_acc": 0.102}, 10), seed_collapsed({"test_acc": 0.156}, 10), seed_collapsed({"test_loss": 9.0}, 10)
        (True, False, False)
    """
    if not n_classes or not final or "test_acc" not in final:
        return False
    acc = final.get("test_acc")
    if acc is None or not math.isfinite(float(acc)):
        return True
    return float(acc) < 1.0 / n_classes + COLLAPSE_MARGIN


def summarize_runs(runs: Sequence[dict[str, Any]], n_classes: int | None = None) -> dict[str, Any]:
    """The summary of one setting's runs: :func:`mean_std` of every numeric ``final`` key and of
    ``seconds`` over all seeds, plus the per-seed collapse flags.

    ``summary["collapsed_seeds"]`` lists the seeds whose run collapsed (:func:`seed_collapsed`);
    when there is any, ``summary["learned"]`` holds the same statistics over the other seeds, which
    are the ones :func:`verdict` compares (a collapsed seed is never counted as a win or a tie).

    Args:
        runs: ``[{"seed", "final": {...}, "seconds"?}, ...]``.
        n_classes: classes of the data set (None: regression, no collapse).

    Returns:
        ``{key: mean_std, ..., "seconds": mean_std, "collapsed_seeds": [...], "learned"?: {...}}``.
    """
    keys = sorted({k for r in runs for k, v in r["final"].items() if isinstance(v, (int, float)) or v is None})
    keys = [k for k in keys if not isinstance(runs[0]["final"].get(k, 0.0), bool)]
    summary: dict[str, Any] = {k: mean_std([r["final"].get(k) for r in runs]) for k in keys}
    if all("seconds" in r for r in runs):
        summary["seconds"] = mean_std([r["seconds"] for r in runs])
    flagged = [int(r["seed"]) for r in runs if seed_collapsed(r["final"], n_classes)]
    summary["collapsed_seeds"] = flagged
    if flagged:
        kept = [r for r in runs if int(r["seed"]) not in flagged]
        summary["learned"] = {k: mean_std([r["final"].get(k) for r in kept]) for k in keys}
    return summary


def annotate(row: dict[str, Any]) -> dict[str, Any]:
    """Add the per-seed collapse flags to a result row written before they existed (idempotent;
    rows without runs or classes are left as they are). Returns the row."""
    s = row.get("summary")
    runs = row.get("runs") or []
    if isinstance(s, dict) and "collapsed_seeds" not in s and runs and row.get("n_classes") \
            and all(isinstance(r.get("final"), dict) and "seed" in r for r in runs):
        flags = summarize_runs(row["runs"], row["n_classes"])
        s["collapsed_seeds"] = flags["collapsed_seeds"]
        if "learned" in flags:
            s["learned"] = flags["learned"]
    return row


def learned(summary: dict[str, Any] | None) -> dict[str, Any]:
    """The statistics over the seeds that learned (the summary itself when none collapsed)."""
    if not summary:
        return {}
    return summary.get("learned") or summary


def n_seeds(summary: dict[str, Any] | None) -> int:
    """Seeds a summary was computed from (the largest ``n`` + ``n_nonfinite`` of its statistics)."""
    ns = [v.get("n", 0) + v.get("n_nonfinite", 0) for k, v in (summary or {}).items()
          if isinstance(v, dict) and "n" in v and k != "learned"]
    return max(ns) if ns else 0


def collapsed(summary: dict[str, Any] | None, n_classes: int | None) -> bool:
    """True if a classifier failed as a whole: with per-seed flags (:func:`summarize_runs`), fewer
    than :data:`MIN_LEARNED` seeds learned (none, for a single-seed run); for an older summary
    without them, its mean test accuracy is within :data:`COLLAPSE_MARGIN` of chance. Always False
    for regression (``n_classes`` None) or a missing accuracy.

    Example:
        >>> collapsed({"test_acc": {"mean": 0.0965}}, 10), collapsed({"test_acc": {"mean": 0.9}}, 10)
        (True, False)
        >>> collapsed({"test_acc": {"mean": 0.6, "n": 5}, "collapsed_seeds": [0, 1, 2, 3]}, 10)
        True
    """
    if not n_classes or not summary:
        return False
    if "collapsed_seeds" in summary:
        n = n_seeds(summary)
        return n > 0 and n - len(summary["collapsed_seeds"]) < min(MIN_LEARNED, n)
    acc = (summary.get("test_acc") or {}).get("mean")
    return acc is not None and acc < 1.0 / n_classes + COLLAPSE_MARGIN


def seed_note(summary: dict[str, Any] | None, label: str = "") -> str:
    """``"SGD: seeds 1, 3 of 5 collapsed to chance (not counted)"``, or ``""`` when none did."""
    flagged = (summary or {}).get("collapsed_seeds") or []
    if not flagged:
        return ""
    who = f"{label}: " if label else ""
    return (f"{who}seed{'s' if len(flagged) > 1 else ''} {', '.join(map(str, flagged))} of {n_seeds(summary)} "
            "collapsed to chance (not counted)")


def verdict(
    dante: dict[str, Any] | None,
    baseline: dict[str, Any] | None,
    key: str,
    higher_is_better: bool,
    n_classes: int | None = None,
    baseline_name: str = "SGD",
) -> str:
    """The one verdict word of a DANTE-vs-baseline comparison on ``key`` (summaries of
    :func:`summarize_runs` or older :func:`mean_std` dicts): ``"DANTE"``, ``baseline_name``,
    ``"tie"``, or ``"failed baseline"`` / ``"DANTE failed"`` / ``"both failed"`` when that side
    failed as a whole (:func:`collapsed`; never a win or a tie).

    Seeds flagged as collapsed are left out of the comparison on both sides: the two means and
    their standard errors are those of the seeds that learned (``summary["learned"]``), so a
    baseline seed at chance can never make DANTE win or tie.

    Example:
        >>> acc = lambda m: {"test_acc": {"mean": m, "std": 0.001, "n": 5}}
        >>> verdict(acc(0.9), acc(0.1), "test_acc", True, 10), verdict(acc(0.9), acc(0.8), "test_acc", True, 10)
        ('failed baseline', 'DANTE')
    """
    d_bad, b_bad = collapsed(dante, n_classes), collapsed(baseline, n_classes)
    if d_bad and b_bad:
        return "both failed"
    if b_bad:
        return "failed baseline"
    if d_bad:
        return "DANTE failed"
    v = compare(learned(dante).get(key), learned(baseline).get(key), higher_is_better)
    return {"A": "DANTE", "B": baseline_name, "tie": "tie"}[v]


CLAIM_WORDS = {
    "DANTE": "holds",
    "tie": "not distinguishable",
    "failed baseline": "no valid comparison (the baseline failed)",
    "both failed": "no valid comparison (both failed)",
    "DANTE failed": "does not hold (DANTE failed)",
}


def claim_word(word: str) -> str:
    """The verdict on a "DANTE is better" claim from a :func:`verdict` word (any baseline name
    means the baseline won: "does not hold").

    Example:
        >>> claim_word("DANTE"), claim_word("SGD"), claim_word("tie")
        ('holds', 'does not hold', 'not distinguishable')
    """
    return CLAIM_WORDS.get(word, "does not hold")
