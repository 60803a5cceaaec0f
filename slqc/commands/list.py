"""``slqc list``: print the registry of claims (statement, hypotheses, claimed kappa, section)."""

from __future__ import annotations

import argparse
import textwrap

from .. import jsonio


def add_parser(sub) -> None:
    p = sub.add_parser("list", help="print the registry of the paper's SLQC claims",
                       description="Print each claim of the registry: name, theorem and section, claimed kappa, "
                                   "statement, hypotheses, readings tested, and grid sizes per budget.")
    p.add_argument("--json", action="store_true", help="print the registry as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..claims import list_claims

    claims = [c.describe() for c in list_claims()]
    if args.json:
        print(jsonio.dumps(claims, indent=1))
        return 0
    for c in claims:
        sizes = ", ".join(f"{b}: {n}" for b, n in c["settings"].items())
        print(f"{c['name']:6s} {c['theorem']} (section {c['section']}, proof {c['proof']})")
        print(f"       kappa = {c['kappa']}    [{c['kind']}; settings {sizes}]")
        print(textwrap.fill(c["statement"], 100, initial_indent="       ", subsequent_indent="       "))
        print(textwrap.fill("hypotheses: " + "; ".join(c["hypotheses"]), 100, initial_indent="       ",
                            subsequent_indent="         "))
        for r, what in c["readings"].items():
            print(textwrap.fill(f"reading {r}: {what}", 100, initial_indent="       ", subsequent_indent="         "))
        print()
    return 0
