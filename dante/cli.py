"""Command line: ``dante train ...``, ``dante plot RUN_DIR ...``, ``dante summary RUN_DIR``.

Bad input prints one line ``dante: error: ...`` on stderr and exits with status 2 (no traceback).
Exit status of ``train``: 0 completed (or converged), 130 interrupted (Ctrl-C), 3 non-finite loss.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Sequence

__all__ = ["main", "build_parser"]

EXIT_USAGE, EXIT_INTERRUPTED, EXIT_NONFINITE = 2, 130, 3


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise _UsageError(message)


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    return v


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (flags map one-to-one onto :class:`dante.TrainConfig` fields and take its defaults)."""
    from .config import TrainConfig
    from .schemes import LAYER_ORDERS, METHODS, SCHEMES

    d = TrainConfig()
    p = _Parser(prog="dante", description="DANTE (Sinha et al., 2020): alternating SNGD training, instrumented.")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    t = sub.add_parser("train", help="train a network (DANTE or a baseline)")
    t.add_argument("--data", default=d.data, help="digits | fashion-mnist | mnist | kmnist | cifar10 | svhn | "
                   "synthetic[:ARCH] | csv:PATH | diabetes | wine | breast_cancer (default digits)")
    t.add_argument("--arch", default=d.arch, help=f"layer widths, e.g. 784-100-10 (default {d.arch})")
    t.add_argument("--method", default=d.method, help=f"{' | '.join(METHODS)} (default {d.method})")
    t.add_argument("--activation", default=d.activation,
                   help="hidden activation: generalized_relu (alias leaky_relu; slopes a=0.01, b=1) | sigmoid | relu")
    t.add_argument("--loss", default=d.loss, help="squared (alias mse) | ce (alias cross_entropy)")
    t.add_argument("--lr", type=float, default=d.lr,
                   help=f"learning rate; for DANTE the SNGD step length (default {d.lr:g}, from the measured sweep of "
                   "python -m dante.bench_defaults)")
    t.add_argument("--momentum", type=float, default=d.momentum)
    t.add_argument("--sngd-epochs", type=_positive_int, default=d.sngd_epochs,
                   help=f"T: data passes per DANTE phase (default {d.sngd_epochs}; lowered when T x layers > --epochs "
                   "so that every layer gets a phase)")
    t.add_argument("--epochs", type=_positive_int, default=None,
                   help=f"total data passes for every method (default {d.epochs})")
    t.add_argument("--batch-size", type=_positive_int, default=d.batch_size, help=f"default {d.batch_size}")
    t.add_argument("--seed", type=int, default=d.seed)
    t.add_argument("--task", default=d.task, help="classify | regress | autoencoder")
    t.add_argument("--scheme", default=d.scheme, help=f"{' | '.join(SCHEMES)} (multi-layer DANTE)")
    t.add_argument("--layer-order", default=d.layer_order,
                   help=f"{' | '.join(LAYER_ORDERS)}: round-robin order; 'paper' (default) is W_2 then W_1 for one "
                   "hidden layer (Algorithm 2) and 1..L for deeper nets (section 3.5)")
    t.add_argument("--instrument", action="store_true", help="log the per-layer SLQC quantities")
    t.add_argument("--reference", default=d.reference,
                   help="W* of the instruments: final | phase | teacher | teacher-raw. 'teacher' is aligned with the "
                   "student at every measurement up to hidden-unit permutations and (homogeneous activations) "
                   "per-unit rescaling, since a student converges to an equivalent network, not to the teacher as "
                   "drawn; 'teacher-raw' is the teacher as drawn")
    t.add_argument("--eps", type=float, nargs="+", default=list(d.eps), help="epsilons of the kappa estimate")
    t.add_argument("--instrument-every", type=_positive_int, default=None, help="steps between measurements")
    t.add_argument("--instrument-samples", type=_positive_int, default=None,
                   help="size of the fixed training subset used as the full batch")
    t.add_argument("--device", default=d.device)
    t.add_argument("--threads", type=_positive_int, default=None,
                   help="torch CPU threads (default: torch's choice; 1 avoids oversubscription on busy machines)")
    t.add_argument("--dtype", default=d.dtype, help="float32 | float64")
    t.add_argument("--out", default=None, help="run directory (config.json, metrics.jsonl, checkpoints/, final.json); "
                   "without it nothing is saved")
    t.add_argument("--data-dir", default=None, help="folder with the data files")
    t.add_argument("--log-every", type=_positive_int, default=None, help="evaluate every N steps (default: every pass)")
    t.add_argument("--output-activation", default=None,
                   help="output layer activation (default: identity, a linear output, for classification, chosen by "
                   "the defaults sweep; the hidden activation for regression and autoencoders, as in the paper's "
                   "Eq. 4); --output-activation generalized_relu gives the paper's classifier")
    t.add_argument("--no-bias", action="store_true", help="layers without biases (the theory's setting)")
    t.add_argument("--no-cache", action="store_true", help="recompute the frozen layers every step (for checking)")
    t.add_argument("--no-closed-form", action="store_true", help="autograd also for one-layer paths (for checking)")
    t.add_argument("--am-tol", type=float, default=d.am_tol, help="Algorithm 2's eps on |f_t - f_(t-1)| (0: off)")
    t.add_argument("--am-min-rounds", type=_positive_int, default=d.am_min_rounds,
                   help="Algorithm 2's T_AM: minimum number of alternation rounds")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--resume", default=None, metavar="RUN_DIR", help="continue RUN_DIR from its last checkpoint "
                   "(--epochs sets a new total budget; other flags are taken from RUN_DIR/config.json)")
    pl = sub.add_parser("plot", help="plot one or more runs (PNG)")
    pl.add_argument("runs", nargs="+", metavar="RUN_DIR")
    pl.add_argument("--out", default=None, help="PNG path (default RUN_DIR/plot.png of the first run)")
    pl.add_argument("--source", default="full", help="instrument source: full | batch")
    pl.add_argument("--eps", type=float, default=None, help="epsilon of the kappa panel (default: first logged)")
    sm = sub.add_parser("summary", help="per-layer SLQC summary of an instrumented run (Markdown table)")
    sm.add_argument("run", metavar="RUN_DIR")
    sm.add_argument("--source", default="full", help="instrument source: full | batch")
    return p


def _check_source(source: str) -> None:
    from .instruments import SOURCES

    if source not in SOURCES:
        raise ValueError(f"unknown --source {source!r}; choose one of {', '.join(SOURCES)}")


def _summary(args) -> int:
    from pathlib import Path

    from .plot import load_run
    from .summary import format_alignment, format_summary, summarize, summarize_alignment

    _check_source(args.source)
    run = load_run(Path(args.run))
    if not run["instrument"]:
        raise ValueError(f"no instrument records in {args.run} (train with --instrument)")
    print(format_summary(summarize(run["instrument"], args.source)))
    aligned = format_alignment(summarize_alignment(run["instrument"], args.source))
    if aligned:
        print("\nAligned teacher (the reference) against the teacher as drawn:\n")
        print(aligned)
    return 0


def _train(args) -> int:
    import torch

    from .config import TrainConfig
    from .trainer import resume, train

    if args.threads is not None:
        if args.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)

    if args.resume:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = resume(args.resume, epochs=args.epochs, progress=not args.no_progress)
    else:
        cfg = TrainConfig(data=args.data, arch=args.arch, method=args.method, activation=args.activation,
                          loss=args.loss, lr=args.lr, momentum=args.momentum, sngd_epochs=args.sngd_epochs,
                          epochs=args.epochs if args.epochs is not None else TrainConfig.epochs,
                          batch_size=args.batch_size, seed=args.seed, task=args.task,
                          scheme=args.scheme, instrument=args.instrument, reference=args.reference,
                          eps=tuple(args.eps), device=args.device, out=args.out, data_dir=args.data_dir,
                          progress=not args.no_progress, log_every=args.log_every,
                          output_activation=args.output_activation, bias=not args.no_bias,
                          cache_hidden=not args.no_cache, closed_form=not args.no_closed_form,
                          layer_order=args.layer_order, am_tol=args.am_tol, am_min_rounds=args.am_min_rounds,
                          instrument_every=args.instrument_every, instrument_samples=args.instrument_samples,
                          dtype=args.dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the notes are printed below, once
            res = train(cfg)
    f = res.final
    acc = f"{f['test_acc']:.4f}" if f["test_acc"] is not None else "n/a"
    where = f" run_dir={res.run_dir}" if res.run_dir else ""
    print(f"{res.status}: train_loss={f['train_loss']:.6g} test_loss={f['test_loss']:.6g} test_acc={acc} "
          f"steps={res.steps}{where}")
    if res.message and res.status in ("completed", "converged"):
        print(f"dante: note: {res.message}", file=sys.stderr)
    if res.run_dir is None:
        print("dante: note: no --out given, so nothing was saved (give --out RUN_DIR to keep the logs, "
              "checkpoints and final.json)", file=sys.stderr)
    if res.status == "interrupted":
        print(f"dante: {res.message}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if res.status == "non-finite":
        print(f"dante: {res.message}", file=sys.stderr)
        return EXIT_NONFINITE
    return 0


def _plot(args) -> int:
    from pathlib import Path

    from .plot import plot_runs

    _check_source(args.source)
    out = args.out or str(Path(args.runs[0]) / "plot.png")
    path = plot_runs(args.runs, out, source=args.source, eps=args.eps)
    print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dante`` console script.

    Args:
        argv: arguments without the program name (default ``sys.argv[1:]``).

    Returns:
        The exit status.
    """
    from slqc._malloc import tune_malloc

    tune_malloc()  # freed tensors' pages stay with the process (SLQC_MALLOC=0: glibc's defaults)
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
        if args.command is None:
            raise _UsageError("missing command: use 'dante train ...' or 'dante plot RUN_DIR ...'")
        return {"train": _train, "plot": _plot, "summary": _summary}[args.command](args)
    except (_UsageError, ValueError) as exc:
        print(f"dante: error: {str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("dante: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # --help
        return int(exc.code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
