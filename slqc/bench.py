"""Benchmark of the engine's batched GLM loss-and-gradient (issue: `slqc bench`).

Measured side by side in one run (these machines are noisy; ratios, not absolute times,
are the result):

* ``speedup_vs_naive``: at P=4096 points, m=256 samples, d=16 (the size of the theorem
  checks), the time of a naive loop that evaluates one point at a time with autograd,
  divided by the engine's batched closed-form evaluation. Target >= 50.
* ``fraction_of_gemm``: at P=4096, m=1024, d=128, the time of the two bare matrix
  products of the same shapes ((P,d)@(d,m) and (P,m)@(m,d)) divided by the time of the
  engine's evaluation. Target >= 0.5 (1.0 would mean the elementwise work is free).

Both use float64 and a generalized-ReLU GLM with squared loss. Each timing is the median
of several repeats.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

import torch

from .generators import make_glm

TARGETS = {"speedup_vs_naive": 50.0, "fraction_of_gemm": 0.5}


def _median_time(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _naive(obj, W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference a user would write: one autograd call per point."""
    vals, grads = [], []
    for p in range(W.shape[0]):  # deliberately a Python loop over points
        w = W[p].clone().requires_grad_(True)
        v = ((obj.act.phi(obj.X @ w) - obj.Y) ** 2).mean()
        (g,) = torch.autograd.grad(v, w)
        vals.append(v.detach())
        grads.append(g)
    return torch.stack(vals), torch.stack(grads)


def run_bench(points: int = 4096, m_small: int = 256, d_small: int = 16, m_large: int = 1024, d_large: int = 128,
              repeats: int = 5, naive_points: int | None = None, seed: int = 0) -> dict:
    """Run both measurements and return a JSON-ready dict.

    Args:
        points: P, the number of weight points evaluated at once.
        m_small, d_small: shape of the speed-up measurement.
        m_large, d_large: shape of the GEMM-fraction measurement.
        repeats: timing repeats (median reported).
        naive_points: points the naive loop evaluates (its time is scaled to P); all P by default.
        seed: data seed.
    """
    if min(points, m_small, d_small, m_large, d_large, repeats) < 1:
        raise ValueError("bench sizes and repeats must be >= 1")
    g = torch.Generator().manual_seed(seed)
    out: dict = {"dtype": "float64", "threads": torch.get_num_threads(), "torch": torch.__version__,
                 "targets": TARGETS}

    # (1) batched engine vs naive per-point autograd, P x m x d = points x m_small x d_small
    prob = make_glm(d_small, m_small, 2.0, "generalized_relu", a=0.1, b=1.0, seed=seed)
    W = torch.randn(points, d_small, generator=g, dtype=torch.float64)
    obj = prob.objective
    t_engine = _median_time(lambda: obj.value_and_grad(W), repeats)
    n_naive = points if naive_points is None else min(points, naive_points)
    t_naive = _median_time(lambda: _naive(obj, W[:n_naive]), max(1, repeats // 2)) * (points / n_naive)
    v1, g1 = obj.value_and_grad(W[:8])
    v2, g2 = _naive(obj, W[:8])
    out["small"] = {"P": points, "m": m_small, "d": d_small, "engine_s": t_engine, "naive_s": t_naive,
                    "naive_points_timed": n_naive,
                    "max_abs_diff_vs_naive": float(max((v1 - v2).abs().max(), (g1 - g2).abs().max()))}
    out["speedup_vs_naive"] = t_naive / t_engine

    # (2) engine vs the bare GEMMs of the same shapes, P x m x d = points x m_large x d_large
    prob = make_glm(d_large, m_large, 2.0, "generalized_relu", a=0.1, b=1.0, seed=seed)
    obj = prob.objective
    W = torch.randn(points, d_large, generator=g, dtype=torch.float64)
    Xt = obj.X.T.contiguous()
    T = torch.empty(points, m_large, dtype=torch.float64)
    G = torch.empty(points, d_large, dtype=torch.float64)

    def gemms():
        torch.mm(W, Xt, out=T)
        torch.mm(T, obj.X, out=G)

    t_gemm = _median_time(gemms, repeats)
    t_eval = _median_time(lambda: obj.value_and_grad(W), repeats)
    out["large"] = {"P": points, "m": m_large, "d": d_large, "gemm_s": t_gemm, "engine_s": t_eval}
    out["fraction_of_gemm"] = t_gemm / t_eval
    out["meets_targets"] = {k: bool(out[k] >= v) for k, v in TARGETS.items()}
    return out
