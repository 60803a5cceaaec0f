"""CPU seconds of one whole `slqc check --budget quick` (one job, one thread) in this process, as JSON.

Used for the before/after table of instance batching in docs/speed.md: run it alternately on two
checkouts, e.g.

    for i in 1 2 3; do
      for tree in /tmp/before /work/main; do
        for b in 1 16; do PYTHONPATH=$tree python docs/quick_check_time.py --batch $b; done
      done
    done

and take the median per (checkout, batch); ``--claims thm4,thm6`` times some claims only. The
digits data are loaded before the clock starts. Like the ``slqc`` command line, the script raises
glibc's malloc thresholds where :func:`slqc._malloc.tune_malloc` can be imported (``SLQC_MALLOC=0``
turns it off); ``malloc_tuned`` in the output says whether it did. An older checkout on PYTHONPATH still imports it when this
project is installed in editable mode (the editable finder supplies the module the checkout lacks),
so time such a checkout with ``SLQC_MALLOC=0``. ``sys_s`` and ``minor_faults`` are the run's
system time and minor page faults (``getrusage``), which show the malloc settings' effect.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=1, help="slqc check --batch (1: one setting at a time)")
    p.add_argument("--claims", default="", help="comma-separated claims (default: all)")
    args = p.parse_args(argv)
    if args.batch < 1:
        print(f"quick_check_time: --batch must be >= 1, got {args.batch}", file=sys.stderr)
        return 2
    import torch

    import slqc
    import slqc.data
    from slqc.check import run_check, select_claims

    claims = [c for c in args.claims.split(",") if c] or None
    try:
        select_claims(claims)
    except ValueError as e:
        print(f"quick_check_time: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2

    try:
        from slqc._malloc import tune_malloc
    except ImportError:  # a checkout from before it
        tuned = False
    else:
        tuned = tune_malloc()
    torch.set_num_threads(1)
    slqc.data._digits()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    c0, w0 = time.process_time(), time.perf_counter()
    recs = run_check(claims, budget="quick", progress=False, jobs=1, batch=args.batch,
                     witness_dir=tempfile.mkdtemp(prefix="slqc-time-"))
    print(json.dumps({"slqc": slqc.__file__, "batch": args.batch, "cpu_s": round(time.process_time() - c0, 3),
                      "wall_s": round(time.perf_counter() - w0, 3), "malloc_tuned": tuned,
                      "sys_s": round(resource.getrusage(resource.RUSAGE_SELF).ru_stime - r0.ru_stime, 3),
                      "minor_faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0.ru_minflt, "records": len(recs),
                      "verdicts": [r["verdict"] for r in recs]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
