"""Seed statistics: mean +- standard deviation of final metrics and of training curves.

The standard deviation is the sample one (``ddof=1``) when there are at least two seeds, and 0 for
a single seed (reported with ``n=1`` so a reader is not misled).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def mean_std(values: Sequence[float | None]) -> dict[str, Any]:
    """Mean and sample std of the finite values; ``n`` counts them, ``n_nonfinite`` the rest.

    Example:
        >>> mean_std([1.0, 2.0, 3.0])
        {'mean': 2.0, 'std': 1.0, 'n': 3, 'n_nonfinite': 0}
    """
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    bad = len(values) - len(finite)
    if not finite:
        return {"mean": None, "std": None, "n": 0, "n_nonfinite": bad}
    arr = np.asarray(finite, dtype=float)
    std = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
    return {"mean": float(arr.mean()), "std": std, "n": int(arr.size), "n_nonfinite": bad}


def fmt(ms: dict[str, Any] | None, digits: int = 4, percent: bool = False) -> str:
    """Format a :func:`mean_std` dict as ``"m ± s"`` (``"n/a"`` when empty, ``"(k diverged)"`` noted).

    Example:
        >>> fmt({'mean': 0.5, 'std': 0.01, 'n': 3, 'n_nonfinite': 0}, percent=True)
        '50.00 ± 1.00 %'
    """
    if ms is None or ms.get("mean") is None:
        return "n/a" + (f" ({ms['n_nonfinite']} diverged)" if ms and ms.get("n_nonfinite") else "")
    m, s = ms["mean"], ms["std"]
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
