"""``slqc bench``: batched GLM evaluation vs a naive loop and vs bare GEMMs (see slqc.bench)."""

from __future__ import annotations

import argparse

from ..bench import TARGETS, print_batching, run_batching, run_bench
from ._common import write_json


def add_parser(sub) -> None:
    p = sub.add_parser(
        "bench", help="benchmark the batched loss-and-gradient evaluation",
        description="Measure side by side, in one run: speedup_vs_naive (batched engine vs a per-point autograd "
                    "loop at P=4096, m=256, d=16; target >= 50) and fraction_of_gemm (bare GEMM time / engine "
                    "time at P=4096, m=1024, d=128; target >= 0.5), float64; then the instance-batching speed-up of "
                    "slqc check --budget quick (its default --batch against --batch 1; target >= 2).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--points", type=int, default=4096, help="P, weight points per evaluation")
    p.add_argument("--m-small", type=int, default=256)
    p.add_argument("--d-small", type=int, default=16)
    p.add_argument("--m-large", type=int, default=1024)
    p.add_argument("--d-large", type=int, default=128)
    p.add_argument("--repeats", type=int, default=5, help="timing repeats (median)")
    p.add_argument("--naive-points", type=int, default=None,
                   help="time the naive loop on this many points and scale to P (default: all P)")
    p.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    p.add_argument("--search", action="store_true",
                   help="instead: the search-strength benchmark (found / true kappa on analytic functions)")
    p.add_argument("--certify", action="store_true",
                   help="instead: the certification benchmark (certified brackets on kappa)")
    p.add_argument("--budget", default=None,
                   help="with --search / --certify: the search budget(s), comma-separated; with --batching: the "
                        "check budget (default quick; the target of 2 is the quick budget's)")
    p.add_argument("--seeds", default=None, help="with --search: seeds, comma-separated")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--throughput", action="store_true",
                   help="instead: engine multiply-adds/s at P=4096, d=16 for m = 1024 ... 262144 (target: ratio "
                        ">= 0.5) and peak memory at m = 1e6, d = 16 (target < 2 GB on CPU)")
    p.add_argument("--batching", action="store_true",
                   help="instead: only the instance-batching section (slqc check --budget quick, or --budget, with its default "
                        "--batch against --batch 1, interleaved per instance batch, median of min(--repeats, 3); "
                        "target speed-up >= 2, every record equal)")
    p.add_argument("--no-batching", action="store_true",
                   help="skip the instance-batching section of the plain run (it runs the quick check twice)")
    p.add_argument("--device-report", action="store_true",
                   help="instead: fraction_of_gemm at the three issue-12 shapes (fp64, fp32) and the thorough probe "
                        "on --device beside the host CPU; implied by --device cuda")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.search and args.certify:
        raise ValueError("give one of --search and --certify")
    if args.search:
        from ..search_bench import run_cli

        return run_cli(args)
    if args.certify:
        from ..certify_bench import run_cli

        return run_cli(args)
    if getattr(args, "throughput", False) or getattr(args, "device_report", False) or args.device != "cpu":
        from ..bench import run_sections_cli as _engine_sections

        return _engine_sections(args)
    if args.batching and args.no_batching:
        raise ValueError("give one of --batching and --no-batching")
    if args.batching:
        from ..claims.base import check_budget

        rb = run_batching(budget=check_budget(args.budget or "quick"), repeats=max(1, min(args.repeats, 3)))
        print_batching(rb)
        if args.json:
            write_json(args.json, {"batching": rb})
            print(f"wrote {args.json}")
        return 0
    r = run_bench(points=args.points, m_small=args.m_small, d_small=args.d_small, m_large=args.m_large,
                  d_large=args.d_large, repeats=args.repeats, naive_points=args.naive_points)
    s, L = r["small"], r["large"]
    print(f"speedup_vs_naive : {r['speedup_vs_naive']:8.1f}  (target >= {TARGETS['speedup_vs_naive']:g}; "
          f"naive {s['naive_s']:.3f} s vs engine {s['engine_s']:.4f} s at P={s['P']}, m={s['m']}, d={s['d']})")
    print(f"fraction_of_gemm : {r['fraction_of_gemm']:8.3f}  (target >= {TARGETS['fraction_of_gemm']:g}; "
          f"GEMMs {L['gemm_s']:.4f} s vs engine {L['engine_s']:.4f} s at P={L['P']}, m={L['m']}, d={L['d']})")
    print(f"threads {r['threads']}, torch {r['torch']}, float64")
    if not args.no_batching:
        r["batching"] = run_batching(repeats=1)
        print_batching(r["batching"])
    if args.json:
        write_json(args.json, r)
        print(f"wrote {args.json}")
    return 0
