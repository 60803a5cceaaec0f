"""Command line: ``dante train ...``, ``dante plot RUN_DIR ...``, ``dante summary RUN_DIR``.

Bad input prints one line ``dante: error: ...`` on stderr and exits with status 2 (no traceback).
Exit status of ``train``: 0 completed (or converged), 130 interrupted (Ctrl-C), 3 non-finite loss.
"""

from __future__ import annotations

import argparse
import sys
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
    """The argument parser (flags map one-to-one onto :class:`dante.TrainConfig` fields)."""
    from .schemes import METHODS, SCHEMES, LAYER_ORDERS

    p = _Parser(prog="dante", description="DANTE (Sinha et al., 2020): alternating SNGD training, instrumented.")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    t = sub.add_parser("train", help="train a network (DANTE or a baseline)")
    t.add_argument("--data", default="digits", help="digits | fashion-mnist | mnist | kmnist | cifar10 | svhn | "
                   "synthetic[:ARCH] | csv:PATH | diabetes | wine | breast_cancer (default digits)")
    t.add_argument("--arch", default="64-100-10", help="layer widths, e.g. 784-100-10 (default 64-100-10)")
    t.add_argument("--method", default="dante", help=f"{' | '.join(METHODS)} (default dante)")
    t.add_argument("--activation", default="leaky_relu", help="leaky_relu | sigmoid | relu")
    t.add_argument("--loss", default="mse", help="mse | cross_entropy")
    t.add_argument("--lr", type=float, default=0.01, help="learning rate (SNGD step length for DANTE)")
    t.add_argument("--momentum", type=float, default=0.0)
    t.add_argument("--sngd-epochs", type=_positive_int, default=5, help="T: data passes per DANTE phase (default 5)")
    t.add_argument("--epochs", type=_positive_int, default=10, help="total data passes for every method (default 10)")
    t.add_argument("--batch-size", type=_positive_int, default=64)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--task", default="classify", help="classify | regress | autoencoder")
    t.add_argument("--scheme", default="round-robin", help=f"{' | '.join(SCHEMES)} (multi-layer DANTE)")
    t.add_argument("--layer-order", default="backward", help=f"{' | '.join(LAYER_ORDERS)} (round-robin order)")
    t.add_argument("--instrument", action="store_true", help="log the per-layer SLQC quantities")
    t.add_argument("--reference", default="final", help="final | teacher | phase (the W* of the instruments)")
    t.add_argument("--eps", type=float, nargs="+", default=[0.01, 0.1], help="epsilons of the kappa estimate")
    t.add_argument("--instrument-every", type=_positive_int, default=None, help="steps between measurements")
    t.add_argument("--instrument-samples", type=_positive_int, default=None,
                   help="size of the fixed training subset used as the full batch")
    t.add_argument("--device", default="cpu")
    t.add_argument("--threads", type=_positive_int, default=None,
                   help="torch CPU threads (default: torch's choice; 1 avoids oversubscription on busy machines)")
    t.add_argument("--dtype", default="float32", help="float32 | float64")
    t.add_argument("--out", default=None, help="run directory (config.json, metrics.jsonl, checkpoints/, final.json)")
    t.add_argument("--data-dir", default=None, help="folder with the data files")
    t.add_argument("--log-every", type=_positive_int, default=None, help="evaluate every N steps (default: every pass)")
    t.add_argument("--output-activation", default=None, help="e.g. linear (default: hidden activation for mse)")
    t.add_argument("--no-bias", action="store_true", help="layers without biases (the theory's setting)")
    t.add_argument("--no-cache", action="store_true", help="recompute the frozen layers every step (for checking)")
    t.add_argument("--no-closed-form", action="store_true", help="autograd also for one-layer paths (for checking)")
    t.add_argument("--am-tol", type=float, default=0.0, help="Algorithm 2's |f_t - f_(t-1)| threshold (0: off)")
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


def _summary(args) -> int:
    from pathlib import Path

    from .plot import load_run
    from .summary import format_summary, summarize

    run = load_run(Path(args.run))
    if not run["instrument"]:
        raise ValueError(f"no instrument records in {args.run} (train with --instrument)")
    print(format_summary(summarize(run["instrument"], args.source)))
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
        given_epochs = "--epochs" in sys.argv or any(a.startswith("--epochs=") for a in sys.argv)
        res = resume(args.resume, epochs=args.epochs if given_epochs else None, progress=not args.no_progress)
    else:
        cfg = TrainConfig(data=args.data, arch=args.arch, method=args.method, activation=args.activation,
                          loss=args.loss, lr=args.lr, momentum=args.momentum, sngd_epochs=args.sngd_epochs,
                          epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, task=args.task,
                          scheme=args.scheme, instrument=args.instrument, reference=args.reference,
                          eps=tuple(args.eps), device=args.device, out=args.out, data_dir=args.data_dir,
                          progress=not args.no_progress, log_every=args.log_every,
                          output_activation=args.output_activation, bias=not args.no_bias,
                          cache_hidden=not args.no_cache, closed_form=not args.no_closed_form, layer_order=args.layer_order, am_tol=args.am_tol,
                          instrument_every=args.instrument_every, instrument_samples=args.instrument_samples,
                          dtype=args.dtype)
        res = train(cfg)
    f = res.final
    acc = f"{f['test_acc']:.4f}" if f["test_acc"] is not None else "n/a"
    where = f" run_dir={res.run_dir}" if res.run_dir else ""
    print(f"{res.status}: train_loss={f['train_loss']:.6g} test_loss={f['test_loss']:.6g} test_acc={acc} "
          f"steps={res.history[-1]['step'] if res.history else 0}{where}")
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
