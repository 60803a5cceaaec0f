"""Command line: ``python -m proofs_check [CLAIM ...] [--json PATH] [--markdown PATH] [--check-json PATH]``.

Prints every step of every requested claim with its status and one summary line per claim.
Bad input (an unknown claim, a missing or malformed ``--check-json``) prints one line
``proofs_check: error: ...`` and exits with code 2.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import Sequence

from .proofs import REGISTRY
from .report import (InputError, dump_json, load_check_json, render_markdown, render_text, resolve,
                     run_claims, to_json)


#: Default worker processes: two where the machine has them.
DEFAULT_JOBS = min(2, os.cpu_count() or 1)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise InputError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m proofs_check",
                description="Symbolic audit of the proofs of Sinha et al. (2020), section 5.")
    p.add_argument("claims", nargs="*", metavar="CLAIM",
                   help=f"claims to audit (default: all): {', '.join(REGISTRY)}")
    p.add_argument("--json", metavar="PATH", help="write the full report as JSON")
    p.add_argument("--markdown", metavar="PATH", help="write the report as Markdown (REPORT.md)")
    p.add_argument("--check-json", metavar="PATH",
                   help="JSON of `slqc check --json`; each summary then mentions its verdict counts")
    p.add_argument("--jobs", type=int, default=DEFAULT_JOBS, metavar="N",
                   help=f"worker processes (default {DEFAULT_JOBS}; the output does not depend on it)")
    p.add_argument("--quiet", action="store_true", help="print only the summary lines")
    p.add_argument("--list", action="store_true", help="list the claim names and exit")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = "python -m proofs_check" + ("" if not argv else " " + " ".join(shlex.quote(a) for a in argv))
    try:
        args = build_parser().parse_args(argv)
        if args.list:
            for name, claim in REGISTRY.items():
                print(f"{name:<26} {claim.title}")
            return 0
        names = resolve(args.claims)
        if args.jobs < 1:
            raise InputError("--jobs must be >= 1")
        check = load_check_json(args.check_json) if args.check_json else None
        results = run_claims(names, jobs=args.jobs)
        text = render_text(results, check)
        if args.quiet:
            text = text[text.index("=== summary"):]
        sys.stdout.write(text)
        if args.markdown:
            with open(args.markdown, "w", encoding="utf-8") as fh:
                fh.write(render_markdown(results, command, check))
        if args.json:
            dump_json(to_json(results, command, check), args.json)
    except InputError as exc:
        print(f"proofs_check: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"proofs_check: error: {exc}", file=sys.stderr)
        return 2
    return 0
