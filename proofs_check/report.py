"""Run claims and render the audit as text, Markdown (``REPORT.md``) and standard JSON.

``--check-json`` input is the JSON of ``slqc check --json``:
``{"records": [{"claim": "thm1", "verdict": "holds" | "violated" | "vacuous" | "inconclusive", ...}]}``;
each claim summary then carries the verdict counts of that run for the same claim.

The text and Markdown reports hold verdicts, statuses and the counterexamples that decide them,
and nothing that depends on the installed releases (no version numbers, no sample counts):
``REPORT.md`` is byte-identical across numpy / sympy releases as long as sympy prints the same
expressions. Versions and sample counts are in the JSON report. JSON goes through
:mod:`slqc.jsonio` (imported lazily: it pulls in ``slqc``, hence torch).
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Iterable, Sequence

import sympy as sp

from .claim import VERDICT_KINDS, Claim, ClaimResult, evaluate
from .core import FAILS, NOTE, NUMERIC_POINTS, STATUSES, StepResult, kappa_positive_region
from .proofs import REGISTRY
from .symbols import eps

CHECK_VERDICTS = ("holds", "violated", "vacuous", "inconclusive")


class InputError(ValueError):
    """Bad user input (unknown claim, unreadable or malformed --check-json)."""


# ---------------------------------------------------------------------------------------- run


def _region(claim: Claim) -> str:
    if claim.kappa is None:
        return ""
    try:
        return kappa_positive_region(claim.kappa, eps)
    except (NotImplementedError, ValueError, TypeError):  # pragma: no cover - sympy gave up
        return ""


def _evaluate_name(name: str) -> ClaimResult:
    claim = REGISTRY[name]
    return evaluate(claim, _region(claim))


def resolve(names: Sequence[str] | None) -> list[str]:
    """Validate claim names (all claims when empty); raises :class:`InputError`."""
    if not names:
        return list(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise InputError(f"unknown claim(s) {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    out: list[str] = []
    for n in names:
        if n not in out:
            out.append(n)
    return out


def run_claims(names: Sequence[str] | None = None, jobs: int = 1) -> list[ClaimResult]:
    """Evaluate the claims (and the claims they depend on), in registry order.

    Args:
        names: Claim names; all when None or empty.
        jobs: Worker processes (1 = in this process).

    Returns:
        One :class:`ClaimResult` per requested claim, with dependency verdicts filled in.
    """
    wanted = resolve(names)
    needed = list(wanted)
    for n in wanted:
        for dep in REGISTRY[n].depends:
            if dep not in needed:
                needed.append(dep)
    if jobs > 1 and len(needed) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            done = dict(zip(needed, pool.map(_evaluate_name, needed)))
    else:
        done = {n: _evaluate_name(n) for n in needed}
    for res in done.values():
        res.depends_verdicts = {d: done[d].verdict for d in res.claim.depends}
    return [done[n] for n in wanted]


# ------------------------------------------------------------------------------ slqc check JSON


def load_check_json(path: str) -> dict[str, dict[str, int]]:
    """Verdict counts per claim from a ``slqc check --json`` file; raises :class:`InputError`."""
    from slqc import jsonio

    try:
        data = jsonio.read(path)
    except OSError as exc:
        raise InputError(f"cannot read --check-json {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"--check-json {path} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise InputError(f"--check-json {path} is not UTF-8 text") from None
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise InputError(f"--check-json {path}: expected an object with a 'records' list")
    counts: dict[str, Counter[str]] = {}
    for k, rec in enumerate(data["records"]):
        if not isinstance(rec, dict) or not isinstance(rec.get("claim"), str) \
                or not isinstance(rec.get("verdict"), str):
            raise InputError(f"--check-json {path}: record {k} needs string 'claim' and 'verdict'")
        counts.setdefault(rec["claim"], Counter())[rec["verdict"]] += 1
    out: dict[str, dict[str, int]] = {}
    for claim, cnt in counts.items():
        ordered = {v: cnt[v] for v in CHECK_VERDICTS if cnt[v]}
        ordered.update({v: n for v, n in sorted(cnt.items()) if v not in ordered})
        out[claim] = ordered
    return out


def _check_for(check: dict[str, dict[str, int]] | None, name: str) -> dict[str, int] | None:
    if check is None:
        return None
    return check.get(name, {})


# ------------------------------------------------------------------------------------ helpers


def _point(r: StepResult) -> str:
    ce = r.printed.counterexample
    if ce is None:
        return ""
    if not ce:
        return "the instance in the step text"
    return ", ".join(f"{k}={v}" for k, v in ce.items())


def _evidence(r: StepResult) -> str:
    if r.status in (FAILS, NOTE):
        vals = r.printed.values or {}
        s = f"counterexample {_point(r)}"
        if vals:
            s += f" (before={vals['before']:.6g}, after={vals['after']:.6g})"
        if r.corrected is not None:
            c_rel = r.step.corrected_rel or r.step.rel
            c_after = r.step.corrected_after if r.step.corrected_after is not None else r.step.after
            s += f"; corrected '{c_rel} {sp.sstr(c_after)}': {r.corrected.status} ({r.corrected.method})"
        return s
    if r.printed.method == "numeric":
        return f"numeric: {r.printed.detail}"
    return r.printed.method


#: Longest expression printed in the text report (longer ones are in the JSON).
MAX_EXPR_CHARS = 240


def _expr(e: Any) -> str:
    s = sp.sstr(e)
    return s if len(s) <= MAX_EXPR_CHARS else s[:MAX_EXPR_CHARS] + " ... (full form in --json)"


# --------------------------------------------------------------------------------------- text


def render_text(results: Iterable[ClaimResult], check: dict[str, dict[str, int]] | None = None) -> str:
    """Plain-text report: every step with its status, then one summary line per claim."""
    results = list(results)
    lines: list[str] = []
    for res in results:
        c = res.claim
        lines.append(f"=== {c.name}: {c.title} [section {c.section}]")
        lines.append(f"    statement: {c.statement}")
        if c.reading:
            lines.append(f"    reading: {c.reading}")
        for r in res.results:
            kind = "" if r.step.kind == "step" else f"[{r.step.kind}] "
            lines.append(f"  {r.status:<16} {r.step.id} ({r.step.label}): {kind}{r.step.text}")
            lines.append(f"  {'':<16}   {_expr(r.step.before)}  {r.step.rel}  {_expr(r.step.after)}")
            lines.append(f"  {'':<16}   -> {_evidence(r)}")
        lines.append(f"  summary: {res.summary(_check_for(check, c.name))}")
        lines.append("")
    lines.append("=== summary")
    for res in results:
        lines.append(res.summary(_check_for(check, res.claim.name)))
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------- markdown


def _md(s: str) -> str:
    """Text inside a code span of a table cell: only the pipe needs escaping."""
    return s.replace("|", "\\|").replace("\n", " ")


def _mdt(s: str) -> str:
    """Plain Markdown text: escape pipes, emphasis markers and tag openers."""
    for a, b in (("\\", "\\\\"), ("|", "\\|"), ("*", "\\*"), ("_", "\\_"), ("<", "&lt;"), ("\n", " ")):
        s = s.replace(a, b)
    return s


def render_markdown(results: Iterable[ClaimResult], command: str,
                    check: dict[str, dict[str, int]] | None = None) -> str:
    """``REPORT.md``: the command on top, a summary table, then one table of steps per claim."""
    results = list(results)
    out = [f"<!-- generated by `{command}`; do not edit by hand -->", "# proofs_check report", "",
           f"Generated by `{command}`. Statuses: `verified` (symbolic), "
           "`verified-numeric` (sympy could not decide; dense numeric check over the hypotheses), "
           "`fails` (with a counterexample point, re-checked exactly), `note` (a typo: the printed "
           "line fails, the corrected line holds and the rest of the proof is unchanged). Verdicts: "
           "`proof verified`; `follows after a local fix` (failing steps replaced by verified "
           "corrections, the paper's route then goes through; the corrected constant kappa' and "
           "its ratio to the claimed one are stated); `statement holds, proof steps fail` (the "
           "statement, with the claimed constant, is proved by another argument); `does not "
           "follow`; `vacuous` is appended when kappa > 0 only where condition 1 of Definition 1 "
           "holds everywhere. Counterexamples are the simplest rounded points that break a step "
           "exactly; sample counts and package versions are in the `--json` report.", "",
           "## Summary", "", "| claim | verdict | verified | verified-numeric | fails | notes |",
           "|---|---|---|---|---|---|"]
    for res in results:
        n = res.counts
        out.append(f"| {_mdt(res.claim.name)} | {res.verdict} | {n['verified']} | {n['verified-numeric']} | "
                   f"{n['fails']} | {n['note']} |")
    out += ["", "One line per claim:", ""]
    out += [f"- {_mdt(res.summary(_check_for(check, res.claim.name)))}" for res in results]
    for res in results:
        c = res.claim
        out += ["", f"## {c.name}: {_mdt(c.title)}", "", f"Section {c.section}. Statement: {_mdt(c.statement)}"]
        if c.reading:
            out += ["", f"Reading: {_mdt(c.reading)}"]
        out += ["", "| step | paper | kind | status | relation | evidence |", "|---|---|---|---|---|---|"]
        for r in res.results:
            rel = f"`{_md(sp.sstr(r.step.before))}` {r.step.rel} `{_md(sp.sstr(r.step.after))}`"
            if len(rel) > 260:
                rel = _mdt(r.step.text)
            out.append(f"| {_mdt(r.step.id)} | {_mdt(r.step.label)} | {r.step.kind} | **{r.status}** | {rel} | "
                       f"{_mdt(_evidence(r))} |")
        out += ["", f"Summary: {_mdt(res.summary(_check_for(check, c.name)))}"]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------- json


def to_json(results: Iterable[ClaimResult], command: str,
            check: dict[str, dict[str, int]] | None = None) -> dict[str, Any]:
    """JSON-ready report (standard JSON: no NaN/Infinity literals)."""
    claims = []
    for res in results:
        c = res.claim
        claims.append({
            "name": c.name, "title": c.title, "section": c.section, "statement": c.statement,
            "lemma": c.lemma, "reading": c.reading,
            "kappa": None if c.kappa is None else sp.sstr(c.kappa),
            "kappa_positive_region": res.kappa_region,
            "corrected_kappa": None if c.corrected_kappa is None else sp.sstr(c.corrected_kappa),
            "kappa_ratio": None if c.kappa_ratio is None else sp.sstr(c.kappa_ratio),
            "kappa_ratio_text": res.ratio_text, "fix": c.fix,
            "verdict": res.verdict, "verdict_kind": res.verdict_kind, "vacuous": res.vacuous,
            "no_kappa": res.no_kappa, "summary": res.summary(_check_for(check, c.name)),
            "counts": res.counts, "depends": res.depends_verdicts,
            "slqc_check": _check_for(check, c.name),
            "steps": [r.to_dict() for r in res.results],
        })
    import numpy as np

    from slqc import jsonio

    return jsonio.encode({"tool": "proofs_check", "command": command, "sympy": sp.__version__,
                          "numpy": np.__version__, "numeric_points": NUMERIC_POINTS,
                          "statuses": list(STATUSES), "verdict_kinds": list(VERDICT_KINDS),
                          "claims": claims})


def dump_json(obj: dict[str, Any], path: str) -> None:
    """Write the report as standard JSON with :func:`slqc.jsonio.write`."""
    from slqc import jsonio

    jsonio.write(path, obj)
