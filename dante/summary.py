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

__all__ = ["summarize", "format_summary", "summarize_alignment", "format_alignment"]


def summarize(records: Iterable[dict], source: str = "full") -> list[dict]:
    """One row per (layer, eps) from instrument records (``kind == "instrument"``)."""
    records = [r for r in records if r.get("kind") == "instrument"]
    name = "kappa_cond2" if any(k.startswith("layer") and ".kappa_cond2@" in k for r in records[:1] for k in r) else "kappa_est"
    pat = re.compile(rf"^layer(\d+)\.{source}\.{name}@(.+)$")
    keys = sorted({(int(m.group(1)), m.group(2)) for r in records for k in r if (m := pat.match(k))},
                  key=lambda t: (t[0], float(t[1])))
    rows = []
    for layer, e in keys:
        p = f"layer{layer}.{source}."
        everything = [r for r in records if p + f"{name}@{e}" in r]
        # iterates where W_l = W_l* (e.g. a layer the remaining phases do not train, against the final
        # weights) have a zero inner product by construction; they are counted but not summarized
        rs = [r for r in everything if r.get(p + "dist") is None or r[p + "dist"] > 0]
        kest = [float(r[p + f"{name}@{e}"]) for r in rs]
        finite = [k for k in kest if math.isfinite(k)]
        claimed = [r.get(p + f"claimed_kappa@{e}") for r in rs]
        claimed = [c for c in claimed if c is not None]
        holds = [r.get(p + f"slqc@{e}") for r in rs]
        holds = [h for h in holds if h is not None]
        # condition 2 alone: a positive inner product and kappa_est <= claimed kappa
        cond2 = [math.isfinite(float(r[p + f"{name}@{e}"])) and float(r[p + f"{name}@{e}"]) <= r[p + f"claimed_kappa@{e}"]
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


def summarize_alignment(records: Iterable[dict], source: str = "full") -> list[dict]:
    """Aligned against unaligned teacher, one row per layer (records of ``reference = "teacher"``).

    Per layer: the median cosine ``cos(g, W_l - W_l*)`` and the share of positive inner products
    against the aligned teacher and against the teacher as drawn, the distances at the first and
    last measurement, and (hidden layers) how many measurements changed the permutation.
    """
    records = [r for r in records if r.get("kind") == "instrument"]
    layers = sorted({int(k.split(".")[0][5:]) for r in records[:1] for k in r if k.endswith(f".{source}.dist_raw")})
    rows = []
    for l in layers:
        p = f"layer{l}.{source}."
        rs = [r for r in records if r.get(p + "dist_raw") is not None]
        if not rs:
            continue
        row = {"layer": l, "n": len(rs)}
        for tag, suffix in (("aligned", ""), ("raw", "_raw")):
            cos = [r[p + "cosine" + suffix] for r in rs if r.get(p + "cosine" + suffix) is not None]
            inner = [r[p + "inner" + suffix] for r in rs if r.get(p + "inner" + suffix) is not None]
            row[f"median_cosine_{tag}"] = statistics.median(cos) if cos else None
            row[f"share_inner_positive_{tag}"] = sum(v > 0 for v in inner) / len(inner) if inner else None
            row[f"dist_first_{tag}"] = rs[0][p + "dist" + suffix]
            row[f"dist_last_{tag}"] = rs[-1][p + "dist" + suffix]
            row[f"dist_min_{tag}"] = min(r[p + "dist" + suffix] for r in rs)
        changes = [r.get(f"layer{l}.perm_changes") for r in rs]
        changes = [c for c in changes if c is not None]
        row["measurements_with_new_permutation"] = sum(c > 0 for c in changes) if changes else None
        row["comparisons"] = len(changes)
        rows.append(row)
    return rows


def format_alignment(rows: list[dict]) -> str:
    """Markdown table of :func:`summarize_alignment` rows (empty string without rows)."""
    if not rows:
        return ""

    def f(v):
        return "-" if v is None else (f"{v:.3g}" if isinstance(v, float) else str(v))

    head = ["layer", "n", "median cos (aligned)", "median cos (as drawn)", "share <g,W-W*> > 0 (aligned)",
            "share <g,W-W*> > 0 (as drawn)", "||W-W*|| first -> last (aligned)", "||W-W*|| first -> last (as drawn)",
            "permutation changed"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        perm = "-" if r["measurements_with_new_permutation"] is None else f"{r['measurements_with_new_permutation']} of {r['comparisons']}"
        lines.append("| " + " | ".join([
            str(r["layer"]), str(r["n"]), f(r["median_cosine_aligned"]), f(r["median_cosine_raw"]),
            f(r["share_inner_positive_aligned"]), f(r["share_inner_positive_raw"]),
            f"{f(r['dist_first_aligned'])} -> {f(r['dist_last_aligned'])}",
            f"{f(r['dist_first_raw'])} -> {f(r['dist_last_raw'])}", perm]) + " |")
    return "\n".join(lines)
