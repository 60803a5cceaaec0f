"""Side-by-side timings of the stacks' elementwise passes, old form against new, at the block shapes
the quick check runs (one thread, float64, median of interleaved repeats, in one process).

    python docs/pass_bench.py [--repeats 7] [--json FILE]

Rows:

* ``bce``: binary cross-entropy summed over the samples of a block (B, n, 1, m): the two
  log-sigmoids y log s(t) + (1 - y) log s(-t) (before) against softplus(t) = -log s(-t) with the
  linear term <W, X^T y> taken from the points (``GLMStack._loss_at``, now).
* ``ce``: multi-class cross-entropy of a block (B, n, k, m), outputs on axis 2: log-softmax
  (kept) against s logsumexp(t) - <y, t> (tried, and slower at these shapes).
* ``hidden_out`` / ``hidden_out_t``: the one-hidden-layer stack with one output, H W2 and D W2^T
  (B, m, n, h): matrix products of inner size h and 1 (before) against the sum over the h hidden
  units written out and a broadcast product (``OneHiddenStack._out`` / ``_out_t``, now; the sum is
  written out up to ``slqc.stack._OUT_LOOP_MAX_H`` hidden units, the rows at h = 8 and 16 show why).

Each row also reports the largest difference between the two forms' results.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

DT = torch.float64


def _time(fn, repeats: int, inner: int = 50) -> list[float]:
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        out.append((time.perf_counter() - t0) / inner * 1e6)
    return out


def _cases(g: torch.Generator):
    # binary cross-entropy: Theorem 6's blocks (B instances, n points, m = 256 samples, d = 16)
    for B, n in ((3, 170), (5, 100), (16, 32)):
        d, m = 16, 256
        X = torch.randn(B, m, d, generator=g, dtype=DT) / 4
        W = torch.randn(B, n, d, generator=g, dtype=DT)
        Y = torch.rand(B, m, 1, generator=g, dtype=DT)
        t = torch.bmm(W, X.transpose(1, 2)).reshape(B, n, 1, m)
        Ykm = Y.transpose(1, 2).unsqueeze(1)
        XtY = torch.bmm(X.transpose(1, 2), Y)
        yield (f"bce B={B} n={n} m={m}",
               lambda t=t, Ykm=Ykm: -(Ykm * F.logsigmoid(t) + (1 - Ykm) * F.logsigmoid(-t)).sum((2, 3)),
               lambda t=t, W=W, XtY=XtY: F.logsigmoid(-t).sum((2, 3)).neg_().sub_(torch.bmm(W, XtY).squeeze(2)))
    # multi-class cross-entropy: Theorem 7's blocks (k = 4 outputs on axis 2)
    for B, n in ((3, 42), (16, 32), (4, 64)):
        k, m = 4, 256
        t = torch.randn(B, n, k, m, generator=g, dtype=DT)
        Y = torch.softmax(torch.randn(B, 1, k, m, generator=g, dtype=DT), 2)
        S = Y.sum(2)
        yield (f"ce B={B} n={n} k={k} m={m}",
               lambda t=t, Y=Y: -(Y * torch.log_softmax(t, dim=2)).sum((2, 3)),
               lambda t=t, Y=Y, S=S: (torch.logsumexp(t, dim=2) * S).sum(2) - (Y * t).sum((2, 3)))
    # one hidden layer, one output: Theorem 4's blocks (h = 3 hidden units, m = 128 samples), and wider layers
    for B, n, h in ((2, 170, 3), (8, 128, 3), (4, 128, 8), (4, 128, 16)):
        m = 128
        H = torch.randn(B, m, n, h, generator=g, dtype=DT)
        D = torch.randn(B, m, n, 1, generator=g, dtype=DT)
        W2 = torch.randn(B, h, 1, generator=g, dtype=DT)
        W2t = W2.transpose(1, 2).contiguous()

        def out_new(H=H, W2=W2, B=B, h=h):
            w = W2[:, :, 0].reshape(B, h, 1, 1)
            acc = H[..., 0] * w[:, 0]
            for j in range(1, h):
                acc.add_(H[..., j] * w[:, j])
            return acc.unsqueeze(3)

        yield (f"hidden_out B={B} n={n} m={m} h={h}",
               lambda H=H, W2=W2, B=B, m=m, n=n, h=h: torch.bmm(H.reshape(B, m * n, h), W2).reshape(B, m, n, 1),
               out_new)
        yield (f"hidden_out_t B={B} n={n} m={m} h={h}",
               lambda D=D, W2t=W2t, B=B, m=m, n=n, h=h: torch.bmm(D.reshape(B, m * n, 1), W2t).reshape(B, m, n, h),
               lambda D=D, W2t=W2t, B=B, h=h: D * W2t.reshape(B, 1, 1, h))


def run(repeats: int = 7, inner: int = 50) -> list[dict]:
    from slqc._malloc import tune_malloc

    tune_malloc()  # as the command line does: freed blocks stay with the process (else page faults dominate)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rows = []
        for name, old, new in _cases(torch.Generator().manual_seed(0)):
            to, tn = [], []
            for r in range(repeats):  # interleaved, the order alternating
                pair = ((old, to), (new, tn)) if r % 2 == 0 else ((new, tn), (old, to))
                for fn, acc in pair:
                    acc.extend(_time(fn, 1, inner))
            a, b = old(), new()
            rows.append({"case": name, "old_us": statistics.median(to), "new_us": statistics.median(tn),
                         "speedup": statistics.median(to) / statistics.median(tn),
                         "max_abs_diff": float((a - b).abs().max()), "max_abs": float(a.abs().max())})
        return rows
    finally:
        torch.set_num_threads(threads)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=7, help="interleaved repeats per case (median reported)")
    p.add_argument("--json", default=None, help="also write the rows here")
    args = p.parse_args(argv)
    if args.repeats < 1:
        print("pass_bench: --repeats must be >= 1", file=sys.stderr)
        return 2
    rows = run(args.repeats)
    print("| case | before (us) | now (us) | speed-up | max |difference| (of max |value|) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['old_us']:.0f} | {r['new_us']:.0f} | {r['speedup']:.2f}x | "
              f"{r['max_abs_diff']:.1e} (of {r['max_abs']:.1e}) |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
