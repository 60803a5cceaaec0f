"""``slqc falsify CLAIM``: search the instances of a claim for its worst case (see :mod:`slqc.falsify`)."""

from __future__ import annotations

import argparse
import os

from ..claims.base import BUDGETS

#: the claims of :mod:`slqc.falsify` (repeated here so that the parser does not import the adversary;
#: a test checks they agree)
SUPPORTED = ("hazan", "thm1", "thm3", "cor1", "cor2", "thm4", "thm5", "thm6", "thm7")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "falsify", help="adversary over a claim's instances: the smallest slack, or a point where no kappa works",
        description="Search the data sets (rows in the unit ball), teachers (within their norm bounds) and "
                    "parameters (a, b, W, m, d, eps within the hypotheses) of a claim for the instance with the "
                    "smallest slack claimed/empirical kappa, or with a point where no kappa works. Random "
                    "instances are screened in batches, the worst get the engine's search, and mutations of the "
                    "worst are tried in turn. The worst instance is saved as a witness that `slqc verify` "
                    "re-checks alone. Exit code 0 whatever the finding (the verdict is in the output).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("claim", metavar="CLAIM", help=f"one of: {', '.join(SUPPORTED)}")
    p.add_argument("--budget", default="quick", choices=BUDGETS, help="size of the outer and inner searches")
    p.add_argument("--instances", type=int, default=None, help="instances screened in all (default: the budget's)")
    p.add_argument("--seed", type=int, default=0, help="seed of the adversary and of the inner searches")
    p.add_argument("--json", metavar="PATH", help='write {"records": [...]} (slqc check format) and the details')
    p.add_argument("--witness-dir", metavar="DIR", help="folder for the witness .npz (default: a temporary folder)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--fix", action="append", default=[], metavar="KEY=VALUE",
                   help="pin a setting value of every instance (repeatable), e.g. --fix w2=w2* --fix data=nonneg; "
                        "keys: m, d, data, teacher, w2, hidden, k, a, b, W, W1, W2, eps, wstar")
    p.add_argument("--all", action="store_true", help="with --json: also a record per searched instance")
    p.add_argument("--no-progress", action="store_true", help="no per-generation lines on stderr")
    p.set_defaults(func=run)


def parse_fixed(items: list[str]) -> dict:
    """``["w2=w2*", "m=8", "a=0.1"]`` -> ``{"w2": "w2*", "m": 8, "a": 0.1}``.

    Raises:
        ValueError: an item without ``=``, an unknown key, or a number that does not parse.
    """
    from ..falsify import FIXABLE

    out: dict = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or key not in FIXABLE:
            raise ValueError(f"--fix {item!r}: use KEY=VALUE with KEY one of {', '.join(FIXABLE)}")
        try:
            if key in ("m", "d", "hidden", "k"):
                out[key] = int(val)
            elif key in ("data", "teacher", "w2"):
                out[key] = val
            else:
                out[key] = float(val)
        except ValueError:
            raise ValueError(f"--fix {item!r}: {val!r} is not a number") from None
    return out


def run(args: argparse.Namespace) -> int:
    from .. import jsonio
    from ..falsify import SUPPORTED, falsify

    if args.claim not in SUPPORTED:
        raise ValueError(f"falsify supports the claims {', '.join(SUPPORTED)}; got {args.claim!r}")
    if args.instances is not None and args.instances < 2:
        raise ValueError(f"--instances must be >= 2, got {args.instances}")
    if args.json:  # refuse a bad output path before any work
        parent = os.path.dirname(os.path.abspath(args.json))
        if os.path.isdir(args.json):
            raise ValueError(f"--json {args.json} is a directory; give a file path")
        if os.path.exists(parent) and not os.path.isdir(parent):
            raise ValueError(f"--json {args.json}: {parent} is not a directory")
        if os.path.isdir(parent) and not os.access(parent, os.W_OK):
            raise ValueError(f"--json {args.json}: cannot write in {parent}")
    if args.witness_dir and os.path.exists(args.witness_dir) and not os.path.isdir(args.witness_dir):
        raise ValueError(f"--witness-dir {args.witness_dir} is not a directory")
    device = None if args.device == "cpu" else args.device
    if device is not None:
        from .._validate import resolve_device

        resolve_device(device)
    res = falsify(args.claim, budget=args.budget, instances=args.instances, seed=args.seed, device=device,
                  witness_dir=args.witness_dir, progress=not args.no_progress, fixed=parse_fixed(args.fix))
    print(res.summary())
    if args.json:
        w = res.worst
        doc = {"records": res.records(all_instances=args.all),
               "meta": {"command": "falsify", "claim": args.claim, "budget": args.budget, "seed": args.seed,
                        "instances": res.screened, "seconds": res.seconds},
               "worst": {"setting": w.instance.setting, "kappa_claimed": w.kappa_claimed,
                         "kappa_empirical": w.kappa_empirical, "slack": w.slack, "violation": w.violation,
                         "witness": res.witness, "confirmed": res.confirmed}}
        jsonio.write(args.json, doc)
        print(f"wrote {args.json}")
    return 0
