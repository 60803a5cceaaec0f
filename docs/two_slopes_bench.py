"""ns per element of the generalized ReLU's slope g and of phi = g t: torch.where against two_slopes.

One torch thread, float64, per-instance slopes of shape (B, 1, 1, 1) as in the batched search
(B = 4 instances x 128 points x 3 outputs x 256 samples); the two forms alternate, and the fastest
of --repeats rounds is kept. Usage: ``python docs/two_slopes_bench.py [--repeats 7]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args(argv)
    if args.repeats < 1:
        print(f"two_slopes_bench: --repeats must be >= 1, got {args.repeats}", file=sys.stderr)
        return 2
    import torch

    from slqc.activations import exact_rise, two_slopes

    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    t = torch.randn(4, 128, 3, 256, generator=g, dtype=torch.float64)
    a = torch.tensor([0.1, 0.1, 0.2, 0.5], dtype=torch.float64).reshape(4, 1, 1, 1)
    b = torch.tensor([1.0, 1.0, 1.0, 2.0], dtype=torch.float64).reshape(4, 1, 1, 1)
    d = exact_rise(a, b)
    forms = {
        "g where": lambda: torch.where(t >= 0, b, a),
        "g two_slopes": lambda: two_slopes(t, a, b, d),
        "phi where": lambda: torch.where(t >= 0, b, a) * t,
        "phi two_slopes": lambda: two_slopes(t, a, b, d) * t,
    }
    assert torch.equal(forms["phi where"](), forms["phi two_slopes"]())
    best = {k: float("inf") for k in forms}
    for _ in range(args.repeats):
        for name, fn in forms.items():
            fn()
            t0 = time.perf_counter()
            for _ in range(20):
                fn()
            best[name] = min(best[name], (time.perf_counter() - t0) / 20 / t.numel() * 1e9)
    out = {k: round(v, 2) for k, v in best.items()}
    out["ratio g"] = round(best["g where"] / best["g two_slopes"], 2)
    out["ratio phi"] = round(best["phi where"] / best["phi two_slopes"], 2)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
