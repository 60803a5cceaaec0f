"""Run every experiment script in turn, then write the results summary.

``python -m experiments.run_all [--full]`` runs all protocols of :mod:`experiments.registry` at the
sizes of :mod:`experiments.sizes` (each into ``OUT/<script>``, with the mode's budget arguments of
:data:`experiments.registry.BUDGET_ARGS`) and then :func:`experiments.make_results.write` writes
``experiments/RESULTS.md`` from what ran. Quick mode writes ``OUT/RESULTS.md`` instead, so a test
never overwrites the committed results. ``--deadline-minutes M`` (with ``--jobs`` > 1) stops the
scripts still running after M minutes; each keeps its finished settings, marked incomplete. A
script that fails (or is interrupted) is reported and the others still run; RESULTS.md says which
did not finish.

Execution: by default (``--executor local``) ``--jobs N`` runs N scripts at once, each in its own
process training one run at a time. ``--executor ray [--address ADDR]`` runs the scripts one after
another in this process and sends every training run, a (config, seed) pair, to Ray as one task:
to the cluster at ``ADDR``, or to one local instance on 127.0.0.1 with ``--jobs`` CPUs, kept for
the whole sweep. Either way every finished run is journaled in ``OUT/<script>/runs.jsonl`` the
moment it returns, and ``--resume`` continues an interrupted sweep from those journals.

Usage: ``python -m experiments.run_all [--quick|--full] [--out DIR] [--seeds N] [--data-dir DIR]
[--device cuda] [--only a,b] [--results PATH] [--jobs N] [--deadline-minutes M]
[--executor local|ray] [--address ADDR] [--resume]``
"""

from __future__ import annotations

import datetime as _dt
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from slqc import jsonio

from . import cli, make_results
from .registry import BUDGET_ARGS, EXPECTED_SECONDS, RESULTS_MD, SCRIPTS, module


def _run_parallel(names, args_of, root: Path, jobs: int, deadline_s: float | None = None) -> dict[str, str]:
    """Run the scripts as ``python -m experiments.<name>`` subprocesses, ``jobs`` at a time, the
    longest first; each one's output goes to ``ROOT/<name>.log``. After ``deadline_s`` seconds the
    running scripts are terminated (status "stopped at the deadline") and the queued ones skipped."""
    t_start = time.perf_counter()
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
            if deadline_s is not None and time.perf_counter() - t_start > deadline_s:
                for name, (proc, t0, log) in running.items():
                    proc.terminate()  # our own children only; each keeps its results.json
                    proc.wait()
                    log.close()
                    status[name] = f"stopped at the deadline after {time.perf_counter() - t0:.0f} s"
                for name in queue:
                    status[name] = "not started (deadline)"
                print(f"[run_all] deadline of {deadline_s:.0f} s reached", flush=True)
                return status
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


def main(argv: Sequence[str] | None = None) -> int:
    p = cli.parser("run_all", __doc__.splitlines()[0], runner=False)
    p.add_argument("--only", default=None, help="comma-separated subset of: " + ", ".join(SCRIPTS))
    p.add_argument("--results", default=None, help="where to write the summary (default: see module doc)")
    cli.add_runner_args(p, jobs_help="--executor local: scripts run at once, each in its own process with one "
                        "torch thread; --executor ray: CPUs of the local Ray instance (default 1)")
    p.add_argument("--deadline-minutes", type=float, default=None,
                   help="with --jobs > 1 and --executor local: stop the scripts still running after this many minutes")
    args = p.parse_args(argv)
    cli.check_common(args)
    ray = args.executor == "ray"
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
    if args.device != "cpu":
        common += ["--device", args.device]
    if args.resume:
        common += ["--resume"]
    if ray:
        common += ["--executor", "ray", "--jobs", str(args.jobs)] + (["--address", args.address] if args.address else [])
        if args.gpus_per_run is not None:
            common += ["--gpus-per-run", str(args.gpus_per_run)]
    status: dict[str, str] = {}
    t_all = time.perf_counter()
    started = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    def args_of(name: str) -> list[str]:
        budget = BUDGET_ARGS[mode].get(name, [])
        return [*common, *budget, "--out", str(root / name)]

    parallel = args.jobs > 1 and not ray
    if parallel:
        deadline = 60 * args.deadline_minutes if args.deadline_minutes else None
        status = _run_parallel(only, args_of, root, args.jobs, deadline)
    elif ray and not args.address:
        from . import protocol

        protocol.start_local_ray(args.jobs)  # one instance for every script of the sweep
    try:
        _run_in_process([] if parallel else only, args_of, status)
    finally:
        if ray and not args.address:
            from . import protocol

            protocol.stop_local_ray()
    _finish(args, argv, root, mode, status, t_all, started)
    return 0 if all(v.startswith("exit 0") for v in status.values()) else 1


def _run_in_process(names, args_of, status: dict[str, str]) -> None:
    """Run the scripts one after another in this process (their runs may still go to Ray)."""
    for name in names:
        t0 = time.perf_counter()
        mod = module(name)
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


def _finish(args, argv, root: Path, mode: str, status: dict[str, str], t_all: float, started: str) -> None:
    print(f"[run_all] total {time.perf_counter() - t_all:.0f} s", flush=True)

    command = " ".join(["python", "-m", "experiments.run_all", *(argv or [])])
    record = {"command": command, "started": started, "total_seconds": round(time.perf_counter() - t_all),
              "status": status}
    jsonio.write(root / "run_all.json", record)
    target = Path(args.results) if args.results else (RESULTS_MD if mode != "quick" else root / "RESULTS.md")
    make_results.write(root, target)


if __name__ == "__main__":
    sys.exit(cli.run(main, sys.argv[1:]))
