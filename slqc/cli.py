"""The ``slqc`` command line.

Subcommands live in :mod:`slqc.commands`, one module each, and register themselves with
``add_parser(subparsers)``. Errors in the user's input (ValueError, missing files) print one
line ``slqc: error: ...`` and exit with code 2; Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Subcommand modules in the order ``slqc --help`` lists them; missing ones are skipped.
SUBCOMMANDS = ("check", "list", "verify", "probe", "falsify", "certify", "bench")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slqc",
        description="Check the SLQC claims of DANTE (Sinha et al. 2020) by computation: exact Definition 1/4 "
                    "checks and an empirical-kappa search.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            mod = importlib.import_module(f"slqc.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"slqc.commands.{name}":
                continue
            raise
        mod.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ._malloc import tune_malloc

    tune_malloc()  # freed tensors' pages stay with the process (SLQC_MALLOC=0: glibc's defaults)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, IsADirectoryError, PermissionError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(f"slqc: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("slqc: interrupted; files written so far are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
