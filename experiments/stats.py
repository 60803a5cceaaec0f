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


# A classifier whose mean test accuracy is below ``chance + COLLAPSE_MARGIN`` has not learned: a
# comparison against it says nothing about DANTE (issue: SGD at 9.65-10 % in sigmoid networks).
COLLAPSE_MARGIN = 0.05


def collapsed(summary: dict[str, Any] | None, n_classes: int | None) -> bool:
    """True if a classifier's mean test accuracy is within :data:`COLLAPSE_MARGIN` of chance
    (``1 / n_classes``); False for regression (``n_classes`` None) or a missing accuracy.

    Example:
        >>> collapsed({"test_acc": {"mean": 0.0965}}, 10), collapsed({"test_acc": {"mean": 0.9}}, 10)
        (True, False)
    """
    if not n_classes or not summary:
        return False
    acc = (summary.get("test_acc") or {}).get("mean")
    return acc is not None and acc < 1.0 / n_classes + COLLAPSE_MARGIN


def verdict(
    dante: dict[str, Any] | None,
    baseline: dict[str, Any] | None,
    key: str,
    higher_is_better: bool,
    n_classes: int | None = None,
    baseline_name: str = "SGD",
) -> str:
    """The one verdict word of a DANTE-vs-baseline comparison on ``key`` (summaries of
    :func:`mean_std` dicts): ``"DANTE"``, ``baseline_name``, ``"tie"``, or ``"failed baseline"`` /
    ``"DANTE failed"`` when that side collapsed to chance (:func:`collapsed`; never a win).

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
    v = compare((dante or {}).get(key), (baseline or {}).get(key), higher_is_better)
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
