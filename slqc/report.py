"""The output side of ``slqc check``: tables, Markdown, plots, summaries and JSON files of records.

A record is the dict built by :meth:`slqc.check.Checker.record` (fields ``claim``, ``setting``,
``eps``, ``kappa_claimed``, ``kappa_empirical``, ``kappa_upper``, ``verdict``, ``slack``,
``no_kappa_point``, ``vacuous_as_stated``, ``searched``, ``witness``, ...). Everything here reads
records only; nothing runs a search.

* :func:`format_table`: the terminal table; :func:`markdown`: the summary and per-claim tables;
* :func:`insert_summary`: replace the summary block between two markers of a Markdown file;
* :func:`write_json` / :func:`read_json`: ``{"records": [...], "meta": {...}}`` through
  :mod:`slqc.jsonio` (infinities as the string ``"inf"``);
* :func:`plot_records`: per claim, empirical kappa against eps (log-log) beside the claimed kappa.

Example:
    >>> rec = {"claim": "thm1", "theorem": "Theorem 1", "label": "a=0.1", "eps": 0.01, "kappa_claimed": 20.0,
    ...        "kappa_empirical": 0.5, "slack": 40.0, "verdict": "holds", "setting": {"eps": 0.01}}
    >>> summary([rec])[0]["overall"]
    'holds'
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, Mapping

from . import jsonio

VERDICTS = ("holds", "violated", "vacuous", "inconclusive")

_ABBREV = {"generalized_relu": "grelu", "distribution": "", "activation": ""}
_ORDER = ("activation", "a", "b", "W", "Wstar", "wstar", "W1", "W2", "hidden", "k", "m", "d", "distribution", "noise",
          "labels", "w2", "seed", "draws", "kappa_source", "reading", "source")


def setting_label(setting: Mapping[str, Any]) -> str:
    """A compact one-line description of a setting (eps is shown in its own column).

    Example:
        >>> setting_label({"activation": "generalized_relu", "a": 0.1, "b": 1.0, "m": 8, "seed": 3})
        'grelu a=0.1 b=1 m=8 s3'
    """
    parts = []
    for key in _ORDER:
        if key not in setting:
            continue
        v = setting[key]
        if key == "Wstar" or (key, v) in (("wstar", 1.0), ("k", 1), ("labels", "idealized"), ("source", "grid")):
            continue
        if isinstance(v, float):
            v = f"{v:g}"
        if key in ("activation", "distribution"):
            parts.append(str(_ABBREV.get(v, v)))
        elif key == "seed":
            parts.append(f"s{v}")
        elif key == "wstar":
            parts.append(f"|w*|={v}W")
        elif key in ("kappa_source", "reading", "source"):
            parts.append(f"{v}")
        else:
            parts.append(f"{key}={v}")
    return " ".join(parts)


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
    """Per claim: records per verdict, points where no kappa works, smallest slack, overall verdict.

    The overall verdict is ``violated`` when any record is violated (with ``no kappa works`` when a
    record found a point where no kappa works), else ``holds`` when any record holds, else
    ``vacuous``, else ``inconclusive``.
    """
    out = []
    for name in dict.fromkeys(r["claim"] for r in records):
        rs = [r for r in records if r["claim"] == name]
        counts = {v: sum(r["verdict"] == v for r in rs) for v in VERDICTS}
        no_kappa = sum(bool(r.get("no_kappa_point")) for r in rs)
        slacks = [r["slack"] for r in rs if isinstance(r.get("slack"), (int, float)) and r["verdict"] == "holds"]
        overall = ("violated" if counts["violated"] else "holds" if counts["holds"] else
                   "vacuous" if counts["vacuous"] else "inconclusive")
        if no_kappa:
            overall += ", no kappa works"
        readings = sorted({str(r["setting"]["reading"]) for r in rs if r["verdict"] == "violated"
                           and "reading" in r["setting"]})
        if readings:
            overall += f" (reading {', '.join(readings)})"
        out.append({"claim": name, "theorem": rs[0]["theorem"], "records": len(rs), **counts, "no_kappa": no_kappa,
                    "min_slack": min(slacks) if slacks else None, "overall": overall})
    return out


def format_table(records: list[dict], note_width: int = 70) -> str:
    """A plain-text table: claim, setting, eps, kappa claimed / empirical / upper, slack, verdict, note."""
    head = ["claim", "setting", "eps", "kappa claimed", "kappa empirical", "kappa upper", "slack", "verdict", "note"]
    rows = [[r["claim"], r["label"], _fmt(r["eps"]), _fmt(r["kappa_claimed"]), _fmt(r["kappa_empirical"]),
             _fmt(r.get("kappa_upper")), _fmt(r["slack"]), _verdict_text(r), (r.get("note") or "")[:note_width]]
            for r in records]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [line(head), line(["-" * w for w in widths])] + [line(r) for r in rows]
    out.append("")
    for s in summary(records):
        out.append(f"{s['claim']:6s} {s['overall']:12s} holds={s['holds']} violated={s['violated']} "
                   f"(no kappa works: {s['no_kappa']}) vacuous={s['vacuous']} inconclusive={s['inconclusive']} "
                   f"min slack={_fmt(s['min_slack'])}")
    return "\n".join(out)


def _verdict_text(r: Mapping[str, Any]) -> str:
    """The verdict, with ``no kappa works`` / ``as stated`` qualifiers from the record's flags."""
    v = r["verdict"]
    if v == "violated" and r.get("no_kappa_point"):
        return "violated, no kappa works"
    return v


def markdown(records: list[dict], command: str | None = None) -> str:
    """Markdown: a summary per claim, then the full table per claim."""
    lines = []
    if command:
        lines += [f"Produced by `{command}`.", ""]
    lines += ["| claim | theorem | records | holds | violated | no kappa works | vacuous | inconclusive | "
              "smallest slack | verdict |", "|---|---|---|---|---|---|---|---|---|---|"]
    for s in summary(records):
        lines.append(f"| {s['claim']} | {s['theorem']} | {s['records']} | {s['holds']} | {s['violated']} | "
                     f"{s['no_kappa']} | {s['vacuous']} | {s['inconclusive']} | {_fmt(s['min_slack'])} | "
                     f"**{s['overall']}** |")
    for name in dict.fromkeys(r["claim"] for r in records):
        lines += ["", f"### {name}", "", "| setting | eps | kappa claimed | kappa empirical | kappa upper | slack | "
                  "verdict | searched | note |", "|---|---|---|---|---|---|---|---|---|"]
        for r in (r for r in records if r["claim"] == name):
            note = (r.get("note") or "").replace("|", "\\|")
            if r.get("witness"):
                note += f" (witness `{os.path.basename(r['witness'])}`)"
            lines.append(f"| {r['label']} | {_fmt(r['eps'])} | {_fmt(r['kappa_claimed'])} | "
                         f"{_fmt(r['kappa_empirical'])} | {_fmt(r.get('kappa_upper'))} | {_fmt(r['slack'])} | "
                         f"{_verdict_text(r)} | {_searched_text(r.get('searched'))} | {note} |")
    return "\n".join(lines) + "\n"


def _searched_text(searched: Mapping[str, Any] | None) -> str:
    """A short form of a record's ``searched`` field: budget, seeds, instance source."""
    if not searched:
        return "-"
    seeds = ",".join(str(s) for s in searched.get("seeds", []))
    return f"{searched.get('budget', '?')} seeds {seeds or '-'} ({searched.get('source', 'grid')})"


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
    """Write ``{"records": [...]}`` (plus ``meta``) with :mod:`slqc.jsonio` (non-finite floats as strings).

    Raises:
        ValueError: ``path`` is a folder or cannot be written.
    """
    doc: dict[str, Any] = {"records": list(records)}
    if meta:
        doc["meta"] = dict(meta)
    jsonio.write(path, doc)


def read_json(path: str) -> list[dict]:
    """Records of a JSON file written by :func:`write_json` (``"inf"``/``"nan"`` strings back to floats).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not JSON, or no ``records`` list.
    """
    return read_doc(path)["records"]


def read_doc(path: str) -> dict:
    """The whole document of :func:`write_json` (``records`` and ``meta``), decoded.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not JSON, or no ``records`` list.
    """
    try:
        doc = jsonio.read(path)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not JSON ({err.msg}, line {err.lineno})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        raise ValueError(f"{path}: expected an object with a 'records' list (the --json of slqc check)")
    return doc


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
