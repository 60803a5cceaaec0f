"""Summaries of the instrument logs: how often each layer met the SLQC inequality during a run.

For each layer, source and epsilon: the number of measured iterates and of those with
``W_l != W_l*`` (the shares below are over the latter), the share with a positive
inner product ``<g, W_l - W_l*>`` (a finite kappa exists), the median and maximum finite kappa
estimate, the median claimed kappa, the share of iterates where Definition 4 held at the claimed
kappa (condition 1 *or* 2), and the share where condition 2 held by itself (``0 < kappa_est <=
claimed kappa``): condition 1 alone is met whenever the reference is worse than the iterate
(Sinha et al., 2020, section 3.2; claims in :mod:`dante.claims`).
"""

from __future__ import annotations

import math
import re
import statistics
from typing import Iterable

__all__ = ["summarize", "format_summary"]


def summarize(records: Iterable[dict], source: str = "full") -> list[dict]:
    """One row per (layer, eps) from instrument records (``kind == "instrument"``)."""
    records = [r for r in records if r.get("kind") == "instrument"]
    pat = re.compile(rf"^layer(\d+)\.{source}\.kappa_est@(.+)$")
    keys = sorted({(int(m.group(1)), m.group(2)) for r in records for k in r if (m := pat.match(k))},
                  key=lambda t: (t[0], float(t[1])))
    rows = []
    for layer, e in keys:
        p = f"layer{layer}.{source}."
        everything = [r for r in records if p + f"kappa_est@{e}" in r]
        # iterates where W_l = W_l* (e.g. a layer the remaining phases do not train, against the final
        # weights) have a zero inner product by construction; they are counted but not summarized
        rs = [r for r in everything if r.get(p + "dist") is None or r[p + "dist"] > 0]
        kest = [float(r[p + f"kappa_est@{e}"]) for r in rs]
        finite = [k for k in kest if math.isfinite(k)]
        claimed = [r.get(p + f"claimed_kappa@{e}") for r in rs]
        claimed = [c for c in claimed if c is not None]
        holds = [r.get(p + f"slqc@{e}") for r in rs]
        holds = [h for h in holds if h is not None]
        # condition 2 alone: a positive inner product and kappa_est <= claimed kappa
        cond2 = [math.isfinite(float(r[p + f"kappa_est@{e}"])) and float(r[p + f"kappa_est@{e}"]) <= r[p + f"claimed_kappa@{e}"]
                 for r in rs if r.get(p + f"claimed_kappa@{e}") is not None]
        rows.append({
            "layer": layer, "eps": float(e), "n": len(everything), "n_moving": len(rs),
            "share_inner_positive": len(finite) / len(rs) if rs else None,
            "median_kappa_est": statistics.median(finite) if finite else None,
            "max_kappa_est": max(finite) if finite else None,
            "median_claimed_kappa": statistics.median(claimed) if claimed else None,
            "claim": next((r.get(p + f"claim@{e}") for r in rs if r.get(p + f"claim@{e}")), None),
            "share_slqc_holds": sum(holds) / len(holds) if holds else None,
            "share_condition2": sum(cond2) / len(cond2) if cond2 else None,
        })
    return rows


def format_summary(rows: list[dict]) -> str:
    """Markdown table of :func:`summarize` rows."""
    def f(v):
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:.3g}"
        return str(v)

    head = ["layer", "eps", "n", "n with W != W*", "share <g,W-W*> > 0", "median kappa est", "max kappa est", "claimed kappa (median)",
            "claim", "share SLQC holds", "share via condition 2"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join(f(r[k]) for k in ("layer", "eps", "n", "n_moving", "share_inner_positive", "median_kappa_est",
                                                          "max_kappa_est", "median_claimed_kappa", "claim",
                                                          "share_slqc_holds", "share_condition2")) + " |")
    return "\n".join(lines)
