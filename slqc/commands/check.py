"""``slqc check``: a verdict, with evidence, for every SLQC claim of the paper (see :mod:`slqc.check`).

Every input is checked before any work starts (claim names, output paths, device, thread and
job counts); each finished setting is appended to a JSON-lines journal; Ctrl-C stops the
workers and writes the JSON, Markdown and plots of what is done (exit code 130); ``--resume``
runs only the settings that the journal lacks.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time

from ..claims import CLAIMS
from ..check import DEFAULT_BATCH
from ..claims.base import BUDGETS
from ..stack import COMPILE_ENV
from . import _common as C

#: options of :func:`slqc.certify.certify` used by ``--certify`` (bounded effort per record)
CERTIFY_OPTIONS = {"max_boxes": 20_000, "time_limit": 30.0}


def add_parser(sub) -> None:
    p = sub.add_parser(
        "check", help="decide, by computation, whether each SLQC claim of the paper holds",
        description="Run the registry's grid of settings for each claim (all claims by default), search each "
                    "domain for the point that needs the largest kappa, and print a verdict per setting: holds / "
                    "violated (with a witness file re-checkable by `slqc verify`) / vacuous / inconclusive.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("claims", nargs="*", metavar="CLAIM", help=f"claims to check (default: all of {', '.join(CLAIMS)})")
    p.add_argument("--budget", default="quick", choices=BUDGETS,
                   help="quick: about a minute on 2 CPU cores; standard: the README run; thorough: for a GPU")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--seed", type=int, default=0, help="offset added to every data seed and every search seed")
    p.add_argument("--json", metavar="PATH", help='write {"records": [...]} (infinities as "inf")')
    p.add_argument("--markdown", metavar="PATH", help="write the summary and the tables as Markdown")
    p.add_argument("--plots", metavar="DIR", help="write per-claim plots of empirical kappa vs eps (log-log)")
    p.add_argument("--witness-dir", metavar="DIR", help="folder for witness .npz files (default: a temporary folder)")
    p.add_argument("--corpus", metavar="DIR", action="append", default=[],
                   help="folder of earlier witness files, read only (repeatable; e.g. docs/check_witnesses): each "
                        "setting's earlier witness point is re-evaluated as a candidate, as is one in --witness-dir")
    p.add_argument("--journal", metavar="PATH",
                   help="JSON-lines journal, one line per finished setting (default: the --json path with "
                        "suffix .jsonl, else journal.jsonl in the witness folder)")
    p.add_argument("--resume", action="store_true", help="skip the settings already in the journal")
    p.add_argument("--insert-summary", metavar="DOC.md",
                   help="replace the summary table between the slqc-check-summary markers in DOC.md")
    p.add_argument("--from-json", metavar="PATH",
                   help="do not run: render the table, Markdown, plots and summary of a saved --json file")
    p.add_argument("--falsify", action="store_true",
                   help="also run the adversary over instances (slqc falsify) for each claim")
    p.add_argument("--certify", action="store_true",
                   help="certify an upper bound kappa_upper on each decided record (models the certifier bounds)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                   help="worker processes (one torch thread each); 1 runs in this process. With several, the "
                        "instance batches are cut at one worker's share of the expected cost and run costliest "
                        "first")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads in this process (default: torch's)")
    p.add_argument("--batch", type=int, default=DEFAULT_BATCH,
                   help="instance batching: up to this many settings of one point shape share one search (SLQC "
                        "settings, and the searches Theorem 8 declares); those with the same samples, activation "
                        "family and loss share each batched product (B instances x P points per kernel); same "
                        "records up to float rounding; 1 = one at a time (default: %(default)s)")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the fused elementwise passes of the squared loss (sets SLQC_COMPILE=1; the first call compiles for a minute or more; meant for GPUs: no gain measured on CPU at the quick sizes)")
    p.add_argument("--executor", default="local", choices=("local", "ray"),
                   help="local: this process or --jobs spawned workers; ray: one Ray task per instance batch "
                        '(pip install -e ".[ray]"), results streamed into the same journal')
    p.add_argument("--address", metavar="HOST:PORT",
                   help="with --executor ray: a running cluster (default: a local instance with --jobs CPUs); "
                        "give --jobs as the cluster's CPUs so that the batches are planned for them")
    p.set_defaults(func=run)


def validate(args: argparse.Namespace) -> None:
    """Check every input of ``slqc check`` before any work (one ValueError line each).

    Raises:
        ValueError: unknown claim, bad count, absent device, unusable path, missing markers.
    """
    from .. import _validate as V
    from ..check import select_claims
    from ..report import BEGIN_MARK, END_MARK

    select_claims(args.claims)
    C.count("--jobs", args.jobs)
    C.count("--threads", args.threads)
    C.count("--batch", args.batch)
    if args.address and args.executor != "ray":
        raise ValueError("--address goes with --executor ray")
    if args.executor == "ray":
        try:
            import ray  # noqa: F401 (only: is it installed?)
        except ImportError:
            raise ValueError('--executor ray needs Ray: pip install -e ".[ray]"') from None
    V.resolve_device(args.device)
    C.input_file("--from-json", args.from_json)
    for opt, path in (("--json", args.json), ("--markdown", args.markdown), ("--journal", args.journal)):
        C.output_file(opt, path)
    for opt, path in (("--plots", args.plots), ("--witness-dir", args.witness_dir)):
        C.output_dir(opt, path)
    for path in args.corpus:
        if not os.path.isdir(path):
            raise ValueError(f"--corpus {path}: no such folder")
    if args.insert_summary:
        C.input_file("--insert-summary", args.insert_summary)
        with open(args.insert_summary, encoding="utf-8") as fh:
            text = fh.read()
        if BEGIN_MARK not in text or END_MARK not in text:
            raise ValueError(f"--insert-summary {args.insert_summary} lacks the markers {BEGIN_MARK} and {END_MARK}")
        if not os.access(args.insert_summary, os.W_OK):
            raise ValueError(f"--insert-summary: {args.insert_summary} is not writable")
    if args.resume and args.from_json:
        raise ValueError("--resume and --from-json do not go together (--from-json runs nothing)")


def journal_path(args: argparse.Namespace, witness_dir: str) -> str:
    """The journal file: ``--journal``, else beside ``--json`` (suffix ``.jsonl``), else in the witness folder."""
    if args.journal:
        return args.journal
    if args.json:
        stem, _ = os.path.splitext(args.json)
        return stem + ".jsonl"
    return os.path.join(witness_dir, "journal.jsonl")


def write_outputs(args: argparse.Namespace, records: list[dict], meta: dict, command: str | None) -> None:
    """Write the JSON, Markdown, summary and plots that were asked for."""
    from ..report import insert_summary, markdown, plot_records, write_json

    if args.json and not args.from_json:
        write_json(records, args.json, meta=meta)
        print(f"wrote {args.json}")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as fh:
            fh.write(markdown(records, command=command))
        print(f"wrote {args.markdown}")
    if args.insert_summary:
        insert_summary(args.insert_summary, records, command=command)
        print(f"updated the summary table in {args.insert_summary}")
    if args.plots:
        for path in plot_records(records, args.plots):
            print(f"wrote {path}")


def run(args: argparse.Namespace) -> int:
    import tempfile

    from ..check import Interrupted, run_check
    from ..report import format_table, read_doc

    validate(args)
    command = "slqc check " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if sys.argv[1:2] == ["check"] else None
    meta = {"budget": args.budget, "seed": args.seed, "device": args.device, "jobs": args.jobs,
            "batch": args.batch, "executor": args.executor, "seconds": None,
            "command": command}
    if args.from_json:
        doc = read_doc(args.from_json)
        records = doc["records"]
        if args.claims:
            records = [r for r in records if r["claim"] in args.claims]
        command = (doc.get("meta") or {}).get("command") or command
        print(format_table(records))
        write_outputs(args, records, meta, command)
        return 0
    if args.threads:
        import torch

        torch.set_num_threads(int(args.threads))
    if args.compile:  # read by every worker process (spawned with this environment)
        os.environ[COMPILE_ENV] = "1"
    _print_thm2_estimate(args)
    witness_dir = args.witness_dir or tempfile.mkdtemp(prefix="slqc-witnesses-")
    journal = journal_path(args, witness_dir)
    C.output_file("--journal", journal)
    t0 = time.perf_counter()
    try:
        records = run_check(args.claims, budget=args.budget, device=args.device, seed=args.seed,
                            witness_dir=witness_dir, progress=not args.no_progress, jobs=args.jobs, journal=journal,
                            resume=args.resume, certify=CERTIFY_OPTIONS if args.certify else None,
                            executor=args.executor, address=args.address, batch=args.batch, corpus=args.corpus)
        records += _falsify_records(args, witness_dir) if args.falsify else []
    except Interrupted as stop:
        meta.update(seconds=time.perf_counter() - t0, interrupted=True, done=stop.done, total=stop.total,
                    journal=journal)
        print(f"slqc: interrupted after {stop.done} of {stop.total} settings; writing what is done "
              f"(resume with --resume; journal {journal})", file=sys.stderr)
        write_outputs(args, stop.records, meta, command)
        return 130
    seconds = time.perf_counter() - t0
    meta.update(seconds=seconds, journal=journal)
    print(format_table(records))
    print(f"\n{len(records)} records in {seconds:.1f} s (budget {args.budget}, {args.jobs} job(s))")
    write_outputs(args, records, meta, command)
    return 0


def _falsify_records(args: argparse.Namespace, witness_dir: str) -> list[dict]:
    """Records of the adversary over instances (:func:`slqc.falsify.falsify`), one call per claim."""
    try:
        from ..falsify import falsify
    except ImportError:
        print("slqc: --falsify skipped: slqc.falsify is not available in this installation", file=sys.stderr)
        return []
    from ..check import select_claims

    out: list[dict] = []
    for claim in select_claims(args.claims):
        try:
            res = falsify(claim.name, budget=args.budget, seed=args.seed, device=args.device,
                          witness_dir=witness_dir, progress=not args.no_progress)
        except ValueError as err:  # a claim the adversary does not cover
            print(f"slqc: --falsify {claim.name}: {str(err).splitlines()[0]}", file=sys.stderr)
            continue
        out += res.records()
    return out


def _print_thm2_estimate(args: argparse.Namespace) -> None:
    """Before a thorough run of Theorem 2 (the proof's sample sizes), print the predicted time."""
    if args.budget != "thorough" or (args.claims and "thm2" not in args.claims):
        return
    from ..claims import get_claim
    from ..claims.noisy_glm import estimate_seconds

    e = estimate_seconds(get_claim("thm2").settings("thorough"), args.device)
    print(f"slqc check: thm2 at the proof's sample sizes: estimated {e['seconds'] / 60:.1f} min of search on "
          f"{e['device']} (engine {e['rate'] / 1e9:.3g} G multiply-adds/s; an upper bound: no early stop)",
          file=sys.stderr, flush=True)
