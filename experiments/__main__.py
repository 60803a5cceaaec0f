"""``python -m experiments``: list the experiment scripts, or run one (or all).

Usage:
    ``python -m experiments``                      list the scripts and what they re-run
    ``python -m experiments NAME [ARGS...]``       run ``experiments.NAME`` (e.g. ``fig2_leaky_relu --quick``)
    ``python -m experiments all [ARGS...]``        run every script, then write RESULTS.md (``run_all``)
    ``python -m experiments results [ARGS...]``    rewrite RESULTS.md from finished runs (``make_results``)
    ``python -m experiments verify FILES...``      re-check ``results.json`` files
    ``python -m experiments replot ROOT [NAMES]``  redraw the curve figures of finished runs (``replot``)
    ``python -m experiments costs [ARGS...]``      time one full-data run per protocol (``full_data_cost``)

Exit codes: those of the script; 2 for an unknown name.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from . import cli, registry

TOOLS = {"all": "run_all", "results": "make_results", "verify": "verify", "replot": "replot",
         "costs": "full_data_cost"}


def listing() -> str:
    """The scripts and tools, one per line."""
    width = max(len(n) for n in [*registry.SCRIPTS, *TOOLS])
    lines = ["experiment scripts (python -m experiments NAME [--quick|--full] [--device cuda] ...):"]
    lines += [f"  {n:<{width}}  {t}" for n, t in registry.SCRIPTS.items()]
    lines += ["tools:"]
    lines += [f"  {n:<{width}}  python -m experiments.{m}" for n, m in TOOLS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    from slqc._malloc import tune_malloc

    tune_malloc()  # freed tensors' pages stay with the process (SLQC_MALLOC=0: glibc's defaults)
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "list"):
        print(__doc__.strip().splitlines()[0])
        print(listing())
        return 0
    name, rest = args[0], args[1:]
    if name in TOOLS:
        import importlib

        mod = importlib.import_module(f"experiments.{TOOLS[name]}")
        if name == "verify":
            return int(mod.main(rest) or 0)
        return cli.run(mod.main, rest)
    if name not in registry.SCRIPTS:
        print(f"error: unknown experiment {name!r} (known: {', '.join([*registry.SCRIPTS, *TOOLS])})", file=sys.stderr)
        return 2
    return cli.run(registry.module(name).main, rest)


if __name__ == "__main__":
    sys.exit(main())
