"""Side-by-side timings of the stacks' elementwise passes, old form against new, at the block shapes
the quick check runs (one thread, float64, median of interleaved repeats, in one process).

    python docs/pass_bench.py [--repeats 7] [--json FILE]

Rows:

* ``bce``: binary cross-entropy summed over the samples of a block (B, n, 1, m), the linear term
  <W, X^T y> taken from the points: softplus(t) = -log s(-t) sample by sample (before) against
  the logarithms of products of 1 + e^t (:func:`slqc.losses.softplus_sum`, now).
* ``ce``: multi-class cross-entropy of a block (B, n, k, m), outputs on axis 2: log-softmax
  (before) against sum_i s_i logsumexp_j t_ij with the linear term <W, X^T Y> taken from the
  points (:func:`slqc.losses.logsumexp_sum`, now), for soft labels (weights s_i, one logarithm
  per sample) and hard ones (s_i = 1, logarithms of products).
* ``plin_phi``: the generalized ReLU's phi(t) = g(t) t without autograd, per-instance slopes a <= b:
  g(t) t (before) against max(a t, b t) (``slqc.stack._SlopeAct.phi``, now), equal to the bit.
* ``hidden_loss``: the one-hidden-layer stack's squared loss with k = 3 outputs, summed per point:
  over the innermost outputs first in the samples-first layout (before) against over the samples
  first in the units-first layout (``OneHiddenStack._per``, now).
* ``hidden_out`` / ``hidden_out_t``: the one-hidden-layer stack's W2^T H and W2 D in its units-first
  layout (B, h, n, m) (``OneHiddenStack._out`` / ``_out_t``). One output: the sum over the h
  units written out (before) against a product with one row (now), and a broadcast product
  against a product with inner size 1 (the broadcast, kept). Three outputs (Theorem 5): the
  samples-first layout's (m n, h) @ (h, k) products (before) against (k, h) @ (h, n m) (now).

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

from slqc.losses import logsumexp_sum, softplus_sum
from slqc.stack import _SlopeAct

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
        XtY = torch.bmm(X.transpose(1, 2), Y)
        yield (f"bce B={B} n={n} m={m}",
               lambda t=t, W=W, XtY=XtY: F.logsigmoid(-t).sum((2, 3)).neg_().sub_(torch.bmm(W, XtY).squeeze(2)),
               lambda t=t, W=W, XtY=XtY: softplus_sum(t).sum(2).sub_(torch.bmm(W, XtY).squeeze(2)))
    # multi-class cross-entropy: Theorem 7's blocks (k = 4 outputs on axis 2), soft and hard labels
    for B, n, hard in ((3, 42, False), (16, 32, False), (4, 64, False), (4, 64, True)):
        d, k, m = 16, 4, 256
        X = torch.randn(B, m, d, generator=g, dtype=DT) / 4
        W = torch.randn(B, n, d, k, generator=g, dtype=DT)
        if hard:
            Y = F.one_hot(torch.randint(k, (B, m), generator=g), k).to(DT)
        else:
            Y = torch.softmax(torch.randn(B, m, k, generator=g, dtype=DT), 2)
        t = torch.bmm(W.transpose(2, 3).reshape(B, n * k, d), X.transpose(1, 2)).reshape(B, n, k, m)
        Ykm = Y.transpose(1, 2).unsqueeze(1)
        XtY = torch.bmm(X.transpose(1, 2), Y)
        s = None if hard else Y.sum(2).unsqueeze(1)
        yield (f"ce B={B} n={n} k={k} m={m} {'hard' if hard else 'soft'}",
               lambda t=t, Ykm=Ykm: -(Ykm * torch.log_softmax(t, dim=2)).sum((2, 3)),
               lambda t=t, W=W, XtY=XtY, s=s: logsumexp_sum(t, 2, s).sub_((W * XtY.unsqueeze(1)).sum((2, 3))))
    # the piecewise-linear phi(t) = g(t) t of a block (B, n, 1, m) without autograd, per-instance slopes:
    # g(t) t (before) against max(a t, b t) (now, _SlopeAct.phi), equal to the bit
    for B, n in ((6, 85), (16, 32)):
        m = 256
        t = torch.randn(B, n, 1, m, generator=g, dtype=DT)
        a = torch.rand(B, 1, 1, 1, generator=g, dtype=DT) / 2
        slopes = _SlopeAct(a, a + torch.rand(B, 1, 1, 1, generator=g, dtype=DT))
        yield (f"plin_phi B={B} n={n} m={m}", lambda t=t, s=slopes: s.grad(t) * t, lambda t=t, s=slopes: s.phi(t))
    # the squared loss of a one-hidden-layer block with k = 3 outputs, summed per point: over the innermost
    # outputs first in the samples-first layout (B, m, n, k) (before), over the samples first in the units-first
    # layout (B, k, n, m) (now, OneHiddenStack._per)
    for B, n in ((4, 85), (8, 42)):
        k, m = 3, 128
        r = torch.randn(B, k, n, m, generator=g, dtype=DT)
        rs = r.permute(0, 3, 2, 1).contiguous()
        yield (f"hidden_loss B={B} n={n} m={m} k={k}", lambda rs=rs: (rs * rs).sum(-1).mean(1),
               lambda r=r, m=m: (r * r).sum(3).sum(1) / m)
    # one hidden layer: Theorem 4's blocks (h = 3 hidden units, m = 128 samples, k = 1 output), Theorem 5's
    # (k = 3 outputs) and wider layers; the stack's layout is units first, (B, h, n, m)
    for B, n, h, k in ((2, 170, 3, 1), (8, 128, 3, 1), (4, 128, 8, 1), (4, 128, 16, 1), (4, 85, 3, 3), (8, 42, 3, 3)):
        m = 128
        H = torch.randn(B, h, n, m, generator=g, dtype=DT)
        D = torch.randn(B, k, n, m, generator=g, dtype=DT)
        W2 = torch.randn(B, h, k, generator=g, dtype=DT)
        W2t = W2.transpose(1, 2).contiguous()
        if k == 1:
            def out_sum(H=H, W2=W2, B=B, h=h):
                w = W2[:, :, 0].reshape(B, h, 1, 1)
                acc = H[:, 0] * w[:, 0]
                for j in range(1, h):
                    acc.add_(H[:, j] * w[:, j])
                return acc.unsqueeze(1)

            # W2^T H with one output: the sum over the units written out (before, the samples-first layout's
            # faster form) against the product with one row, which in this layout is the faster
            yield (f"hidden_out B={B} n={n} m={m} h={h} k=1", out_sum,
                   lambda H=H, W2t=W2t, B=B, n=n, m=m, h=h: torch.bmm(W2t, H.reshape(B, h, n * m)).reshape(B, 1, n, m))
            yield (f"hidden_out_t B={B} n={n} m={m} h={h} k=1",
                   lambda D=D, W2=W2, B=B, n=n, m=m, h=h: torch.bmm(W2, D.reshape(B, 1, n * m)).reshape(B, h, n, m),
                   lambda D=D, W2=W2, B=B, h=h: D * W2.reshape(B, h, 1, 1))
        else:
            # several outputs: the samples-first layout's (m n, h) @ (h, k) (before) against the units-first
            # (k, h) @ (h, n m) (now); the first gets its operand in its own layout, untimed
            Hs = H.permute(0, 3, 2, 1).contiguous()  # (B, m, n, h)
            Ds = D.permute(0, 3, 2, 1).contiguous()
            yield (f"hidden_out B={B} n={n} m={m} h={h} k={k}",
                   lambda Hs=Hs, W2=W2, B=B, n=n, m=m, h=h, k=k: torch.bmm(Hs.reshape(B, m * n, h), W2)
                   .reshape(B, m, n, k).permute(0, 3, 2, 1),
                   lambda H=H, W2t=W2t, B=B, n=n, m=m, h=h, k=k: torch.bmm(W2t, H.reshape(B, h, n * m)).reshape(B, k, n, m))
            yield (f"hidden_out_t B={B} n={n} m={m} h={h} k={k}",
                   lambda Ds=Ds, W2t=W2t, B=B, n=n, m=m, h=h, k=k: torch.bmm(Ds.reshape(B, m * n, k), W2t)
                   .reshape(B, m, n, h).permute(0, 3, 2, 1),
                   lambda D=D, W2=W2, B=B, n=n, m=m, h=h, k=k: torch.bmm(W2, D.reshape(B, k, n * m)).reshape(B, h, n, m))


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
