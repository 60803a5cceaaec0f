"""Write ``RESULTS.md`` from the outputs of the experiment scripts (never typed by hand).

Reads ``ROOT/<script>/results.json`` and ``table.md`` for every script of
:data:`experiments.registry.SCRIPTS`, computes each script's verdicts and headline sentences with
its own ``verdicts(data)`` and ``headlines(data)``, copies the PNGs plotted against weights updated (and the theory
plots) next to the results file (``figures/``), and writes one Markdown file with the date, the
exact commands and which scripts did not finish.

Usage: ``python -m experiments.make_results [--from out/experiments] [--to experiments/RESULTS.md]``
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from slqc import jsonio

from . import cli, registry


def _load(root: Path, name: str) -> tuple[dict[str, Any] | None, str | None]:
    j, m = root / name / "results.json", root / name / "table.md"
    data = jsonio.read(j) if j.is_file() else None
    md = m.read_text() if m.is_file() else None
    return data, md


def _demote(md: str) -> str:
    """Drop the generated-comment line and push headings down two levels."""
    out = []
    for line in md.splitlines():
        if line.startswith("<!--"):
            continue
        if line.startswith("#"):
            line = "##" + line
        out.append(line)
    return "\n".join(out).strip()


NOT_RUN = [
    "MNIST and KMNIST (Figures 2, 5, 6, 7, Tables 1, 2, 4, Figure 9): no files on this machine; run with "
    "`--datasets mnist --data-dir DIR`. The full Fashion-MNIST split (same 784-input format) stands in for them.",
    "Figures 3 and 4 (CIFAR-10, SVHN, Tiny ImageNet): not run (no data here; 3072/12288-input networks "
    "do not fit the CPU budget). `dante` loads CIFAR-10 and SVHN when given, so `fig2_leaky_relu "
    "--datasets cifar10 --data-dir DIR --device cuda` runs the same protocol on them.",
    "Figure 8 (AM-Adam, Taylor's ADMM): not reproduced (no implementation of either here).",
    "Table 3's UCI sets (Air-Foil, Forest Fires, CCPP) and Table 4's (Ionosphere, SVMGuide4, USPS, "
    "Vehicle): not bundled; run with `--datasets csv:PATH`. We use scikit-learn's diabetes (Table 3) and "
    "digits, wine, breast_cancer (Table 4).",
    "Figure 7's five-hidden-layer network: off (`fig7_sngd_epochs --deep`).",
]

FULL_COMMAND = "python -m experiments.run_all --full --device cuda"


def _setup_lines(mode: str) -> list[str]:
    from . import sizes
    from .protocol import LR_GRID_OVERRIDES, LR_GRIDS, MOMENTUM_GRIDS
    from .report import md_table

    sz = sizes.SIZES[mode]
    grid_rows = [[m, ", ".join(f"{v:g}" for v in g)] for m, g in LR_GRIDS.items()]
    grid_rows += [[f"{m} ({a}/{lo})", ", ".join(f"{v:g}" for v in g)] for (m, a, lo), g in LR_GRID_OVERRIDES.items()]
    grid_rows += [[f"{m} momentum", ", ".join(f"{v:g}" for v in g)] for m, g in MOMENTUM_GRIDS.items()]
    img = sz["image"]
    img_size = ("the full split (60 000 training, 10 000 test images)" if img["n_train"] is None
                else f"a fixed random subset of {img['n_train']} training and {img['n_test']} test images")
    budget = []
    if mode != "full":
        sub = sz.get("hidden_subset", {})
        cut = "; ".join(f"{a} `{' '.join(m)}`" for a, m in registry.BUDGET_ARGS[mode].items() if m)
        image_sets = sorted({name for name, m in registry.BUDGET_ARGS[mode].items() if "fashion-mnist" in " ".join(m)})
        budget = [f"- **Budget of this run ({mode} mode, not the full protocol).** Networks: of the paper's list, only "
                  f"hidden layers {sub.get('small')} (the paper's first network, n_0-100-10); extra arguments per "
                  f"script (from `experiments/registry.py`): {cut or 'none'}.",
                  f"- **Fashion-MNIST, the full split (60 000 training / 10 000 test images, no subset)** in "
                  f"{', '.join(image_sets) or 'no script'}: {img['epochs']} passes, batch {img['batch_size']}. The other "
                  "scripts ran on the small sets only; their Fashion-MNIST runs (and every deeper network, and 10 "
                  "passes) are left to a GPU: commands and measured cost estimates under 'Full-data runs left to a "
                  "GPU'."]
    return [
        f"## Setup (from `experiments/sizes.py`, `experiments/registry.py` and `experiments/protocol.py`)", "",
        *budget,
        f"- Seeds: {sz['seeds']} per setting (0 to {sz['seeds'] - 1}); tables give mean ± 95 % confidence "
        "half-width (Student t over seeds). A difference counts only beyond 2 standard errors.",
        f"- Learning rate: per dataset, network, activation/loss and method, the argmin of the validation loss "
        f"(20 % of the training split) averaged over {len(sz['select_seeds'])} selection seeds "
        f"({', '.join(map(str, sz['select_seeds']))}), over the grid below; while the pick sits at an end of the "
        f"grid one more rate (one grid ratio further) is tried, up to {sz['max_extend']} per setting. The pick is "
        "bold in every table; a pick still at an edge after that is listed under 'Edge picks'.",
        f"- Small sets (digits, diabetes, wine, breast_cancer): all data, {sz['small']['epochs']} passes "
        f"(Table 3: 100, Table 4: 50, Figure 7: 40), batch {sz['small']['batch_size']}.",
        f"- Fashion-MNIST (where it runs): {img_size}, {img['epochs']} passes, batch {img['batch_size']} (the paper trained on "
        "MNIST for an unstated number of passes; its MNIST numbers are not ours to compare with Fashion-MNIST's, "
        "which is a harder set).",
        "- Output layer: the paper's (`experiments.protocol.paper_output`): under the squared loss the output unit "
        "has the hidden activation (the paper's Eq. 4; Figures 2, 5, 7, Tables 1, 2 and the theory comparison set "
        "`TrainConfig.output_activation` to it), cross-entropy keeps the logits (Figure 6); regression and "
        "autoencoders (Tables 3, 4) use `dante`'s default there, which is also the hidden activation. `dante`'s "
        "default for classifiers under the squared loss (a linear output, chosen for out-of-the-box training) is "
        "not used by any script.",
        "- Every method gets the same number of passes over the training data (sweeps). DANTE (round-robin in "
        "`dante`'s `paper` order: L..1 for one hidden layer as in Algorithm 2, 1..L for deeper nets) uses the paper's T = 5 SNGD epochs per phase "
        "where the budget allows two full rounds, else the largest T that does.",
        "- Collapsed runs, per seed: a classifier run whose test accuracy is within 5 points of chance (or not "
        "finite) has collapsed. It is flagged in the tables with its seed, and left out of every DANTE-vs-baseline "
        "comparison (means and standard errors there are over the seeds that learned), so it is never counted as a "
        "DANTE win or a tie. A method with fewer than 2 seeds that learned has failed as a whole: a failed baseline "
        "(or a failed DANTE), never a win for the other. The mean ± CI columns are over all seeds.",
        "- Loss units: our squared loss sums over the outputs and averages over samples (divide by the number "
        "of outputs for a per-output mean); the paper does not state its unit, and its numbers are printed as "
        "they are, only in columns labelled *paper*.",
        "- The x-axis of the curves is the number of weights updated (as in the paper); wall-time "
        "versions are in the output folders. Wall times come from a shared 2-core machine under load "
        "from other jobs, so they are noisy.",
        "", md_table(["method", "learning-rate grid (start)"], grid_rows), "",
        "Not run here:", "", *[f"- {t}" for t in NOT_RUN], "",
    ]


COSTS_JSON = Path(__file__).resolve().parent / "full_data_cost.json"


def cost_lines(all_data: dict[str, dict], costs_path: str | os.PathLike = COSTS_JSON) -> list[str]:
    """'Full-data runs left to a GPU': every script's Fashion-MNIST cost estimate (from
    ``python -m experiments.full_data_cost --json experiments/full_data_cost.json``), whether it
    ran here, and the command for a GPU."""
    from .report import md_table

    costs = jsonio.read(costs_path) if Path(costs_path).is_file() else None
    out = ["## Full-data runs left to a GPU", ""]
    if costs is None:
        return out + ["No cost measurement (`python -m experiments.full_data_cost --json experiments/full_data_cost.json`).", ""]
    unit = costs["seconds_per_pass"]
    out += [f"Measured by `{costs['command']}` ({costs['date']}, {costs['machine']}, load average "
            f"{costs['load_average'][0]:.1f}): one run per protocol on {costs['dataset']} "
            f"({costs['n_train']} training / {costs['n_test']} test images), on {costs['device']}, one torch thread. "
            "Seconds per pass: " + ", ".join(f"{k} {v:.2f}" for k, v in unit.items() if k != "svm_fit")
            + f"; one linear-SVM fit on the autoencoder features {unit['svm_fit']:.1f} s. The estimate multiplies "
            f"them by each script's runs at {costs['mode']} sizes (first network, all seeds, grid without and with "
            "the most extensions). It is one core's time at the load of the measurement (shorter on a quiet "
            "machine); divide it by the runs at once with `--jobs` or `--executor ray`, and expect minutes on a GPU.", ""]
    rows = []
    for name, e in costs["estimates"].items():
        data = all_data.get(name) or {}
        ran = "fashion-mnist" in (data.get("settings", {}).get("datasets") or [])
        rows.append([name, e["what"], f"{e['runs'][0]}-{e['runs'][1]}",
                     f"{e['seconds'][0] / 60:.0f}-{e['seconds'][1] / 60:.0f} min",
                     "yes (this file)" if ran else "**no**", f"`{e['command']}`"])
    out += [md_table(["script", "what", "runs", "estimate (one core)", "ran on the full split here", "command (GPU)"],
                     rows), "",
            f"Every network of the paper, 10 passes, the full split everywhere (not estimated; hours on 2 cores): "
            f"`{FULL_COMMAND}`; on a Ray cluster, one task per run: `{FULL_COMMAND} --executor ray --address HEAD:6379 "
            "--jobs 8`.", ""]
    return out


def _section(text: str, title: str) -> list[str]:
    """The lines of the ``## title`` section of a Markdown text (without the heading)."""
    lines = text.splitlines()
    try:
        i = next(k for k, line in enumerate(lines) if line.strip() == f"## {title}")
    except StopIteration:
        return []
    out = []
    for line in lines[i + 1:]:
        if line.startswith("## "):
            break
        out.append(line)
    return out


def claim_rows(text: str) -> dict[tuple[str, str], tuple[str, str]]:
    """``{(claim, evidence's subject): (evidence, verdict)}`` from a RESULTS.md's claims table."""
    rows = {}
    for line in _section(text, "The paper's claims against our runs (computed; details below)"):
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 3 and line.startswith("|") and not line.startswith("|---") and cells[0] != "paper's claim":
            subject = cells[1].split(":")[0] if ":" in cells[1] else ""  # no "dataset: ..." prefix: one row per claim
            rows[(cells[0], subject)] = (cells[1], cells[2])
    return rows


def headline_items(text: str) -> dict[tuple[str, str], str]:
    """``{(script, subject): headline}`` from a RESULTS.md's headline list."""
    out, script = {}, ""
    for line in _section(text, "Headlines (computed from the runs below)"):
        if line.startswith("**") and "**" in line[2:]:
            script = line[2:line.index("**", 2)]
        elif line.startswith("- "):
            body = line[2:]
            key = (script, body.split(":")[0])
            while key in out:
                key = (key[0], key[1] + "'")
            out[key] = body
    return out


def changes(previous: str, current: str) -> list[str]:
    """'What changed since the previous RESULTS.md': verdicts that changed, claims and headlines
    that are new or gone, and headlines whose text changed (old and new)."""
    old_c, new_c = claim_rows(previous), claim_rows(current)
    old_h, new_h = headline_items(previous), headline_items(current)
    out = []
    for key in new_c:
        if key in old_c and old_c[key][1] != new_c[key][1]:
            out.append(f"- Verdict **changed**: {key[0]} ({key[1] or 'all'}): *{old_c[key][1]}* -> *{new_c[key][1]}*")
        elif key in old_c and old_c[key][0] != new_c[key][0] and not key[1]:
            out.append(f"- Evidence changed, same verdict: {key[0]}: was *{old_c[key][0]}*; now *{new_c[key][0]}*")
    for key in new_c:
        if key not in old_c:
            out.append(f"- New claim row: {key[0]} ({key[1]}): *{new_c[key][1]}*")
    for key in old_c:
        if key not in new_c:
            out.append(f"- Claim row gone: {key[0]} ({key[1]}): was *{old_c[key][1]}*")
    same = sum(1 for k in new_c if k in old_c and old_c[k][1] == new_c[k][1])
    out.append(f"- Verdicts unchanged: {same} of {len(new_c)} claim rows.")
    changed = [k for k in new_h if k in old_h and old_h[k] != new_h[k]]
    new = [k for k in new_h if k not in old_h]
    gone = [k for k in old_h if k not in new_h]
    for k in changed:
        out += [f"- Headline changed, {k[0]}, {k[1]}:", f"  - was: {old_h[k]}", f"  - now: {new_h[k]}"]
    for k in new:
        out.append(f"- New headline, {k[0]}, {k[1]}.")
    for k in gone:
        out += [f"- Headline gone, {k[0]}, {k[1]}: {old_h[k]}"]
    unchanged = sum(1 for k in new_h if k in old_h and old_h[k] == new_h[k])
    out.append(f"- Headlines unchanged: {unchanged} of {len(new_h)}.")
    return out


def edge_picks(all_data: dict[str, dict]) -> list[str]:
    """Settings whose pick stayed at an end of the (extended) grid, one line each."""
    out = []
    for name, data in all_data.items():
        for r in data.get("results", []):
            if r.get("interior") is False:
                out.append(f"{name}: {r.get('dataset')} {r.get('arch')} {r.get('activation', '')} "
                           f"{r.get('key', r.get('label'))}: pick {r.get('pick')}")
    return out


def write(root: str | os.PathLike, target: str | os.PathLike, notes: Sequence[str] = (),
          previous: str | os.PathLike | None = None) -> Path:
    """Compose the results file from ``root`` into ``target``; returns ``target``.

    ``ROOT/run_all.json`` (written by :mod:`experiments.run_all`) supplies the run_all command, its
    start time and each script's exit status; a script re-run on its own afterwards shows its own
    command and a later date in the Runs table. ``notes`` (e.g. how the scripts were started when
    not by one run_all) are printed verbatim under "How this file was made". ``previous`` (default:
    the target as it was before) is compared with the new file: the verdicts and headlines that
    changed are listed under "What changed since the previous RESULTS.md".
    """
    root, target = Path(root), Path(target)
    prev_path = Path(previous) if previous else target
    prev_text = prev_path.read_text() if prev_path.is_file() else None
    shown = os.path.relpath(target) if not os.path.relpath(target).startswith("..") else str(target)
    ra = jsonio.read(root / "run_all.json") if (root / "run_all.json").is_file() else {}
    run_all_command, status = ra.get("command"), ra.get("status", {})
    target.parent.mkdir(parents=True, exist_ok=True)
    fig_dir = target.parent / "figures"
    if fig_dir.is_dir():  # drop the figures of an earlier run (only the ones this function copies)
        for old in fig_dir.glob("*__*.png"):
            old.unlink()
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = [
        "# Results: the DANTE paper's experiments (Section 4), re-run on data we can run",
        "",
        f"<!-- generated by `python -m experiments.make_results --from {root} --to {shown}`; do not edit -->",
        "",
        f"Generated on {now} on {platform.machine()} with {os.cpu_count()} CPUs "
        f"(python {sys.version.split()[0]}). Every number below comes from the runs listed here; "
        "the paper's own numbers appear only in columns or tables labelled *paper* with the paper's dataset.",
        "",
    ]
    if run_all_command:
        head += [f"Full run: started {ra.get('started')}, {ra.get('total_seconds', 0) / 60:.0f} minutes:", "",
                 "```", run_all_command, "```", "",
                 "Scripts re-run after it on their own carry a later date and their own command in the Runs "
                 "table; this file is rewritten by:", "", "```",
                 f"python -m experiments.make_results --from {root} --to {shown}", "```", ""]
    if notes:
        head += ["## How this file was made", "", *[f"- {n}" for n in notes], "",
                 "This file is rewritten from those outputs by (with the sentences above as `--note` arguments):",
                 "", "```", f"python -m experiments.make_results --from {root} --to {shown}", "```", ""]
    all_data = {n: _load(root, n)[0] for n in registry.SCRIPTS}
    modes = sorted({d.get("mode") for d in all_data.values() if d})
    head += [f"Full protocol (every network, the full Fashion-MNIST split everywhere the paper used MNIST; hours on "
             f"2 CPU cores, minutes on a GPU):", "", "```", FULL_COMMAND, "```", ""]
    head += _setup_lines(modes[0] if len(modes) == 1 and modes[0] in ("quick", "standard", "full") else "standard")
    rows, sections, headlines, missing = [], [], [], []
    for name in registry.SCRIPTS:
        data, md = _load(root, name)
        st = (status or {}).get(name, "")
        if data is None:
            missing.append(name)
            rows.append([name, "not run", st or "-", "-", "-"])
            continue
        complete = bool(data.get("complete"))
        if not complete:
            missing.append(name)
        rows.append([name, "complete" if complete else "**incomplete**", st or "-", data.get("date", ""),
                     f"`{data.get('command', '')}`"])
        try:
            hl = registry.headlines(name, data)
        except Exception as exc:  # noqa: BLE001 - a summary bug must not hide the tables
            hl = [f"(headline computation failed: {exc})"]
        if hl:
            headlines.append(f"**{name}** ({data.get('mode')} mode, {len(data.get('settings', {}).get('seeds', []))} seeds):")
            headlines += [f"- {h}" for h in hl]
            headlines.append("")
        sec = [f"## {name}", "", f"Command: `{data.get('command', '')}` ({data.get('date', '')}, "
               f"{data.get('mode')} mode)", ""]
        if md:
            sec += [_demote(md), ""]
        for note in data.get("notes", []):
            sec += [f"Note: {note}", ""]
        for fname in data.get("files", {}).get("png", []):
            if "wall_time" in fname:
                continue
            src = root / name / fname
            if src.is_file():
                fig_dir.mkdir(parents=True, exist_ok=True)
                dst = fig_dir / f"{name}__{fname}"
                shutil.copyfile(src, dst)
                sec += [f"![{name} {fname}](figures/{dst.name})", ""]
        wall = [f for f in data.get("files", {}).get("png", []) if "wall_time" in f]
        if wall:
            sec += [f"(Wall-time versions of the plots: `{root / name}/` " + ", ".join(f"`{w}`" for w in wall) + ")", ""]
        sections += sec
    from .report import md_table

    body = head + ["## Runs", "", md_table(["script", "status", "in run_all", "date (UTC)", "command"], rows), ""]
    if missing:
        body += [f"**Did not finish:** {', '.join(missing)}. Their sections (if any) hold only what was "
                 "written before they stopped.", ""]
    vrows = []
    for name, data in all_data.items():
        if data:
            try:
                vrows += registry.verdicts(name, data)
            except Exception as exc:  # noqa: BLE001 - a summary bug must not hide the tables
                vrows.append([name, f"(verdict computation failed: {exc})", "-"])
    if vrows:
        body += ["## The paper's claims against our runs (computed; details below)", "",
                 "On our data (digits, the full Fashion-MNIST split, scikit-learn sets), not the paper's; a "
                 "difference counts only beyond 2 standard errors over the seeds; a method at chance accuracy is a "
                 "failed run, not a loss for the other.", "",
                 md_table(["paper's claim", "our evidence", "verdict"], vrows), ""]
    edges = edge_picks({n: d for n, d in all_data.items() if d})
    body += ["## Edge picks", "", *(f"- {e}" for e in edges)] if edges else \
        ["## Edge picks", "", "None: every learning-rate pick is interior to its (extended) grid."]
    body += [""]
    body += cost_lines(all_data)
    tail = ["## Headlines (computed from the runs below)", ""] + headlines + sections
    if prev_text is not None:
        cur = "\n".join(body + tail)
        body += ["## What changed since the previous RESULTS.md", "",
                 "Computed by comparing this file's claims table and headlines with those of the file it replaces "
                 "(same subject = same claim and dataset/variant).", "", *changes(prev_text, cur), ""]
    body += tail
    target.write_text("\n".join(body).rstrip() + "\n")
    print(f"[make_results] wrote {target}", flush=True)
    return target


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments.make_results", description=__doc__.splitlines()[0])
    p.add_argument("--from", dest="root", default=str(cli.DEFAULT_OUT_ROOT))
    p.add_argument("--to", dest="target", default=str(registry.RESULTS_MD))
    p.add_argument("--note", action="append", default=[],
                   help="a sentence for the 'How this file was made' section (repeatable)")
    p.add_argument("--previous", default=None,
                   help="the results file to list changes against (default: the target before it is rewritten)")
    args = p.parse_args(argv)
    if not Path(args.root).is_dir():
        raise cli.UsageError(f"no results directory {args.root}")
    if args.previous and not Path(args.previous).is_file():
        raise cli.UsageError(f"no previous results file {args.previous}")
    write(args.root, args.target, args.note, args.previous)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main, sys.argv[1:]))
