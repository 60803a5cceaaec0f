"""Command-line conventions shared by every experiment script.

Every script accepts ``[--quick | --full] [--out DIR] [--seeds N] [--data-dir DIR] [--device D]``
(and most ``--datasets A,B``), and the execution options ``[--executor local|ray] [--address ADDR]
[--jobs N] [--resume]``: every training run is one task (:mod:`experiments.protocol`), journaled in
``OUT/runs.jsonl`` as it finishes; ``--resume`` reuses the journal of an interrupted run. Bad input (an unknown dataset, a missing data directory, a bad flag) prints one
line ``error: ...`` on stderr and exits with status 2. Ctrl-C keeps what was written (the
``results.json`` of the finished settings) and exits with status 130.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

DEFAULT_OUT_ROOT = Path("out") / "experiments"

KNOWN_DATASETS = (
    "digits",
    "fashion-mnist",
    "mnist",
    "kmnist",
    "cifar10",
    "svhn",
    "synthetic",
    "diabetes",
    "wine",
    "breast_cancer",
)


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        print(f"error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def add_runner_args(p: argparse.ArgumentParser, jobs_help: str | None = None) -> None:
    """``--executor``, ``--address``, ``--jobs``, ``--resume`` and ``--gpus-per-run``."""
    p.add_argument("--executor", default="local", choices=("local", "ray"),
                   help="where the training runs go: local (this process, or a process pool with --jobs > 1; "
                        "the default) or ray (one Ray task per run; pip install -e '.[ray]')")
    p.add_argument("--address", default=None,
                   help="with --executor ray: a running Ray cluster (HOST:PORT or auto); without it a local "
                        "instance on 127.0.0.1 with --jobs CPUs is started and stopped")
    p.add_argument("--jobs", type=int, default=1, help=jobs_help or
                   "training runs at once (local process pool, or CPUs of the local Ray instance; default 1)")
    p.add_argument("--resume", action="store_true",
                   help="reuse the runs journaled in OUT/runs.jsonl by an earlier (interrupted) run of the same command")
    p.add_argument("--gpus-per-run", type=float, default=None,
                   help="with --executor ray and --device cuda: GPUs each run reserves (default 0.25)")


def parser(name: str, description: str, datasets: str | None = None, runner: bool = True) -> argparse.ArgumentParser:
    """The common argument parser; ``datasets`` is the default of ``--datasets`` (None: no flag);
    ``runner`` adds the execution options (:func:`add_runner_args`)."""
    p = _Parser(prog=f"python -m experiments.{name}", description=description)
    p.set_defaults(script_name=name)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="toy sizes (the test suite uses this)")
    g.add_argument("--full", action="store_true", help="the sizes of experiments/RESULTS.md")
    p.add_argument("--out", default=None, help=f"output directory (default {DEFAULT_OUT_ROOT}/{name})")
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (default by mode)")
    p.add_argument("--data-dir", default=None, help="directory with dataset files (IDX, CSV)")
    p.add_argument("--device", default="cpu", help="torch device of the training runs: cpu (default) or cuda")
    if datasets is not None:
        p.add_argument(
            "--datasets",
            default=datasets,
            help=f"comma-separated dataset names or csv:PATH (default {datasets!r}; "
            f"known: {', '.join(KNOWN_DATASETS)})",
        )
    if runner:
        add_runner_args(p)
    return p


def mode_of(args: argparse.Namespace) -> str:
    return "quick" if args.quick else "full" if args.full else "standard"


def out_dir_of(args: argparse.Namespace, name: str) -> Path:
    return Path(args.out) if args.out else DEFAULT_OUT_ROOT / name


def check_common(args: argparse.Namespace) -> None:
    """Validate ``--seeds``, ``--data-dir`` and ``--device``; raise :class:`UsageError` on bad input."""
    device = getattr(args, "device", "cpu")
    if device != "cpu":
        if not (device == "cuda" or device.startswith("cuda:")):
            raise UsageError(f"--device must be cpu or cuda[:N], got {device!r}")
        import torch

        if not torch.cuda.is_available():
            raise UsageError(f"--device {device}: no CUDA device on this machine")
    if args.seeds is not None and args.seeds < 1:
        raise UsageError(f"--seeds must be >= 1, got {args.seeds}")
    if args.data_dir is not None and not os.path.isdir(args.data_dir):
        raise UsageError(f"data directory not found: {args.data_dir}")
    if getattr(args, "jobs", 1) < 1:
        raise UsageError(f"--jobs must be >= 1, got {args.jobs}")
    if getattr(args, "address", None) and getattr(args, "executor", "local") != "ray":
        raise UsageError("--address goes with --executor ray")
    gpus = getattr(args, "gpus_per_run", None)
    if gpus is not None and not 0 <= gpus <= 1:
        raise UsageError(f"--gpus-per-run must be in [0, 1], got {gpus}")
    if hasattr(args, "executor") and hasattr(args, "script_name") and args.script_name != "run_all":
        setup_runner(args)


def setup_runner(args: argparse.Namespace) -> None:
    """Make the runner of this script's training runs from its execution options: the executor, and
    the journal ``OUT/runs.jsonl`` (emptied unless ``--resume``)."""
    from . import protocol

    gpus = args.gpus_per_run
    if gpus is None:
        gpus = 0.25 if str(getattr(args, "device", "cpu")).startswith("cuda") and args.executor == "ray" else 0.0
    journal = out_dir_of(args, args.script_name) / protocol.JOURNAL
    protocol.use_runner(args.executor, jobs=args.jobs, address=args.address, num_gpus=gpus,
                        journal=journal, resume=args.resume)


def parse_datasets(spec: str) -> list[str]:
    """Split ``--datasets`` and check every name.

    Raises:
        UsageError: for an unknown name or a ``csv:PATH`` whose file does not exist.
    """
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise UsageError("no dataset given")
    for n in names:
        if n.startswith("csv:"):
            if not os.path.isfile(n[4:]):
                raise UsageError(f"CSV file not found: {n[4:]}")
        elif n not in KNOWN_DATASETS:
            raise UsageError(f"unknown dataset {n!r} (known: {', '.join(KNOWN_DATASETS)}, csv:PATH)")
    return names


def run(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Call ``main`` with the error conventions of this module and return the exit status."""
    try:
        return int(main(argv) or 0)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the finished settings are kept in results.json and every finished run in "
              "runs.jsonl (rerun with --resume)", file=sys.stderr)
        return 130
    finally:
        from . import protocol

        protocol.reset_runner()
