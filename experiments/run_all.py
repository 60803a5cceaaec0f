"""Run every experiment script in turn, then write the results summary.

``python -m experiments.run_all --full`` runs all protocols at the sizes of
:mod:`experiments.sizes` (each into ``OUT/<script>``) and then
``python -m experiments.make_results`` writes ``experiments/RESULTS.md`` from what ran. Other modes
write ``OUT/RESULTS.md`` instead, so a quick check never overwrites the committed results. A
script that fails (or is interrupted) is reported and the others still run; RESULTS.md says which
did not finish.

Usage: ``python -m experiments.run_all [--quick|--full] [--out DIR] [--seeds N] [--data-dir DIR]
[--only a,b] [--results PATH] [--jobs N]``
"""

from __future__ import annotations

import datetime as _dt
import importlib
import json
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from . import cli

SCRIPTS = (
    "fig2_leaky_relu",
    "fig5_sigmoid",
    "fig6_cross_entropy",
    "fig7_sngd_epochs",
    "table1_adaptive",
    "table2_altmin",
    "table3_regression",
    "table4_autoencoder",
    "theory_vs_practice",
)
RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"

# Extra arguments in standard/full mode that keep ``run_all --full`` within the hour on 2 cores:
# Fashion-MNIST (a subset) runs in Figure 2 and in theory-beside-practice (as the issue asks);
# the other protocols run on digits only. Each script alone defaults to digits + Fashion-MNIST.
BUDGET_ARGS: dict[str, list[str]] = {
    "fig5_sigmoid": ["--datasets", "digits"],
    "fig6_cross_entropy": ["--datasets", "digits"],
    "table1_adaptive": ["--datasets", "digits"],
    "table2_altmin": ["--datasets", "digits"],
}


def _run_parallel(names, args_of, root: Path, jobs: int) -> dict[str, str]:
    """Run the scripts as ``python -m experiments.<name>`` subprocesses, ``jobs`` at a time, the
    longest first; each one's output goes to ``ROOT/<name>.log``."""
    root.mkdir(parents=True, exist_ok=True)
    queue = sorted(names, key=lambda n: -EXPECTED_SECONDS.get(n, 0))
    running: dict[str, tuple[subprocess.Popen, float, object]] = {}
    status: dict[str, str] = {}
    try:
        while queue or running:
            while queue and len(running) < jobs:
                name = queue.pop(0)
                cmd = [sys.executable, "-m", f"experiments.{name}", *args_of(name)]
                print(f"[run_all] {' '.join(cmd[1:])}  (log: {root / (name + '.log')})", flush=True)
                log = open(root / f"{name}.log", "w")
                running[name] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), time.perf_counter(), log)
            time.sleep(1.0)
            for name, (proc, t0, log) in list(running.items()):
                if proc.poll() is not None:
                    log.close()
                    status[name] = f"exit {proc.returncode} after {time.perf_counter() - t0:.0f} s"
                    print(f"[run_all] {name}: {status[name]}", flush=True)
                    del running[name]
    except KeyboardInterrupt:
        for name, (proc, t0, log) in running.items():
            proc.terminate()  # our own children only; each keeps its results.json
            proc.wait()
            log.close()
            status[name] = "interrupted"
        raise
    return status


# Rough seconds of each script in full mode on the 2-core machine (orders the parallel queue).
EXPECTED_SECONDS = {"fig6_cross_entropy": 600, "fig2_leaky_relu": 600, "theory_vs_practice": 400,
                    "fig7_sngd_epochs": 300, "fig5_sigmoid": 250, "table1_adaptive": 200,
                    "table2_altmin": 120, "table4_autoencoder": 120, "table3_regression": 40}


def main(argv: Sequence[str] | None = None) -> int:
    p = cli.parser("run_all", __doc__.splitlines()[0])
    p.add_argument("--only", default=None, help="comma-separated subset of: " + ", ".join(SCRIPTS))
    p.add_argument("--results", default=None, help="where to write the summary (default: see module doc)")
    p.add_argument("--jobs", type=int, default=1,
                   help="scripts run at once, each in its own process with one torch thread (default 1)")
    args = p.parse_args(argv)
    cli.check_common(args)
    only = SCRIPTS if args.only is None else tuple(s.strip() for s in args.only.split(","))
    for s in only:
        if s not in SCRIPTS:
            raise cli.UsageError(f"unknown script {s!r} (known: {', '.join(SCRIPTS)})")
    mode = cli.mode_of(args)
    root = Path(args.out) if args.out else cli.DEFAULT_OUT_ROOT
    common: list[str] = [f"--{mode}"] if mode != "standard" else []
    if args.seeds:
        common += ["--seeds", str(args.seeds)]
    if args.data_dir:
        common += ["--data-dir", args.data_dir]
    status: dict[str, str] = {}
    t_all = time.perf_counter()
    started = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    def args_of(name: str) -> list[str]:
        budget = BUDGET_ARGS.get(name, []) if mode != "quick" else []
        return [*common, *budget, "--out", str(root / name)]

    if args.jobs > 1:
        status = _run_parallel(only, args_of, root, args.jobs)
    for name in only if args.jobs <= 1 else ():
        t0 = time.perf_counter()
        mod = importlib.import_module(f"experiments.{name}")
        sub = args_of(name)
        print(f"[run_all] python -m experiments.{name} {' '.join(sub)}", flush=True)
        try:
            rc = cli.run(mod.main, sub)
        except Exception:  # noqa: BLE001 - one broken script must not stop the others
            traceback.print_exc()
            rc = 1
        status[name] = f"exit {rc} after {time.perf_counter() - t0:.0f} s"
        print(f"[run_all] {name}: {status[name]}", flush=True)
        if rc == 130:
            break
    print(f"[run_all] total {time.perf_counter() - t_all:.0f} s", flush=True)
    from . import make_results

    command = " ".join(["python", "-m", "experiments.run_all", *(argv or [])])
    record = {"command": command, "started": started, "total_seconds": round(time.perf_counter() - t_all),
              "status": status}
    root.mkdir(parents=True, exist_ok=True)
    (root / "run_all.json").write_text(json.dumps(record, indent=1))
    target = Path(args.results) if args.results else (RESULTS_MD if mode == "full" else root / "RESULTS.md")
    make_results.write(root, target)
    return 0 if all(v.startswith("exit 0") for v in status.values()) else 1


if __name__ == "__main__":
    sys.exit(cli.run(main, sys.argv[1:]))
