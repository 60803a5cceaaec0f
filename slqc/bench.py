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

Further sections (``slqc bench --throughput``, ``slqc bench --device cuda``):

* :func:`run_throughput`: multiply-adds per second of the engine at P=4096, d=16 as m grows
  from 1024 to 262144 (issue 15: the ratio must stay >= 0.5 now that samples stream in chunks);
  :func:`peak_memory`: peak resident memory of a streamed draw, evaluation and probe at
  m = 1e6, d = 16 (target < 2 GB on CPU).
* :func:`run_device_bench`: fraction_of_gemm at P=4096,m=1024,d=128; P=65536,m=1024,d=128;
  P=65536,m=256,d=16 in float64 and float32 (synchronized), and the thorough probe on the
  device beside the host CPU (issue 12).
* :func:`run_batching` (``slqc bench --batching``, and part of the plain ``slqc bench``):
  ``slqc check --budget quick`` over every claim with instance batching (its default ``--batch``) and
  one setting at a time (``--batch 1``), in this process, interleaved; the speed-up and
  whether every record agrees (issue 12: target >= 2).
"""

from __future__ import annotations

import math
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


# ------------------------------------------------------------------ instance batching (issue 12)
BATCHING_TARGET = 2.0  # quick check, one setting at a time / batched


def _records_agree(a: list[dict], b: list[dict], rtol: float = 1e-9) -> tuple[int, list[str]]:
    """Records that agree (claim, label, verdict, points, kappa within rtol), and the labels of those that do not."""
    same, diff = 0, []
    for x, y in zip(a, b):
        kx, ky = x.get("kappa_empirical"), y.get("kappa_empirical")
        ok = (x["claim"], x["label"], x["verdict"]) == (y["claim"], y["label"], y["verdict"])
        if kx is None or ky is None or kx in (0.0, float("inf")) or ky in (0.0, float("inf")):
            ok = ok and kx == ky
        else:
            ok = ok and abs(kx - ky) <= rtol * abs(kx)
        if ok:
            same += 1
        else:
            diff.append(f"{x['claim']} {x['label']}")
    if len(a) != len(b):
        diff.append(f"record counts differ: {len(a)} vs {len(b)}")
    return same, diff


def run_batching(budget: str = "quick", batch: int | None = None, repeats: int = 1, claims=None,
                 progress: bool = False) -> dict:
    """``slqc check`` with instance batching against one setting at a time, interleaved in one process.

    The machine's speed drifts by tens of percent within seconds, so the two sides are
    interleaved per instance batch: for every batch of the plan (:func:`slqc.check.plan_batches`)
    its settings run one at a time and then as one batch (the order alternates between repeats),
    through the worker function of ``slqc check`` (``_evaluate_batch``; ``--batch 1`` runs each
    setting through the same function alone). A repeat's sum over the batches is one whole
    quick check per side.

    Args:
        budget: the check budget (quick by default: the issue's goal, and the only budget with a
            target; ``target`` and ``meets_target`` are None at the others).
        batch: instances per batch of the batched run (default: ``slqc check``'s).
        repeats: interleaved repeats.
        claims: claim names (all by default).
        progress: show a tqdm bar over the batches.

    Returns:
        JSON-ready dict: per side the seconds (median over repeats of the whole check, and every
        repeat), CPU seconds likewise; ``speedup`` (wall) and ``speedup_cpu`` from the medians;
        ``speedup_min_cpu``: the sums over batches of each batch's fastest repeat (the least
        disturbed estimate); ``per_batch`` (claims, size, CPU seconds per side); ``records``,
        ``agree``, ``disagree``; ``identical`` (:func:`identical_instances`). One torch thread,
        as in a check worker.
    """
    from .check import DEFAULT_BATCH

    batch = DEFAULT_BATCH if batch is None else int(batch)
    if batch < 2 or int(repeats) < 1:
        raise ValueError("run_batching needs batch >= 2 and repeats >= 1")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as a check worker runs (CPU seconds would also count idle-spinning threads)
    try:
        return _run_batching(budget, batch, int(repeats), claims, progress)
    finally:
        torch.set_num_threads(threads)


def _run_batching(budget: str, batch: int, repeats: int, claims, progress: bool) -> dict:
    import tempfile

    from tqdm.auto import tqdm

    from .check import _evaluate_batch, plan_batches, select_claims

    _warm_up(claims)
    tasks = [(c.name, dict(s, seed=int(s.get("seed", 0)))) for c in select_claims(claims) for s in c.settings(budget)]
    plan = plan_batches(tasks, list(range(len(tasks))), batch)
    sides = ("one_at_a_time", "batched")
    wall = {k: [0.0] * repeats for k in sides}
    cpu = {k: [0.0] * repeats for k in sides}
    per_batch = [{"claims": sorted({tasks[i][0] for i in b}), "size": len(b), "cpu": {k: [] for k in sides}}
                 for b in plan]
    recs: dict[str, list] = {k: [None] * len(tasks) for k in sides}
    bar = tqdm(total=repeats * len(plan), desc="bench --batching", disable=not progress, leave=False)
    for r in range(repeats):
        for pb, b in zip(per_batch, plan):
            items = [tasks[i] for i in b]
            for side in (sides if (r % 2 == 0) else sides[::-1]):  # alternate which side goes first
                wd = tempfile.mkdtemp(prefix="slqc-bench-")
                t0, c0 = time.perf_counter(), time.process_time()
                if side == "batched":
                    out = _evaluate_batch(items, budget, None, 0, wd)
                else:
                    out = [_evaluate_batch([it], budget, None, 0, wd)[0] for it in items]
                dw, dc = time.perf_counter() - t0, time.process_time() - c0
                wall[side][r] += dw
                cpu[side][r] += dc
                pb["cpu"][side].append(dc)
                for i, rs in zip(b, out):
                    recs[side][i] = rs
            bar.update(1)
    bar.close()
    flat = {k: [rec for rs in recs[k] for rec in rs] for k in sides}
    same, diff = _records_agree(flat["one_at_a_time"], flat["batched"])
    ident = identical_instances(repeats=repeats)
    one, bat = statistics.median(wall["one_at_a_time"]), statistics.median(wall["batched"])
    c1, cb = statistics.median(cpu["one_at_a_time"]), statistics.median(cpu["batched"])
    m1 = sum(min(pb["cpu"]["one_at_a_time"]) for pb in per_batch)
    mb = sum(min(pb["cpu"]["batched"]) for pb in per_batch)
    ceiling = batching_ceiling(per_batch)
    return {"budget": budget, "batch": batch, "jobs": 1, "threads": torch.get_num_threads(), "repeats": repeats,
            "seconds": {"one_at_a_time": one, "batched": bat}, "cpu_seconds": {"one_at_a_time": c1, "batched": cb},
            "min_cpu_seconds": {"one_at_a_time": m1, "batched": mb},
            "runs": wall, "cpu_runs": cpu, "speedup": one / bat, "speedup_cpu": c1 / cb, "speedup_min_cpu": m1 / mb,
            "target": BATCHING_TARGET if budget == "quick" else None,
            "meets_target": one / bat >= BATCHING_TARGET if budget == "quick" else None,
            "per_batch": per_batch, "ceiling": ceiling, "records": len(flat["batched"]), "agree": same,
            "disagree": diff, "identical": ident}


def batching_ceiling(per_batch: list[dict]) -> dict:
    """What any plan of instance batching could reach at the measured costs: a model fitted to the bench.

    Each batch of B >= 2 settings gets the line T(b) = O + c b through its two fastest timings
    (B settings one at a time cost B T(1), as one batch T(B)): O = (one - batched) / (B - 1) is
    the shared cost (the search's control work, paid once per batch), c = (batched - O) / B the
    cost per instance (arithmetic, which no batching shares); a batch that ran slower batched
    than one at a time (noise) gets O = 0 and c = one / B. A batch of one is counted whole as
    per-instance cost. The ceiling is the speed-up of a single batch of every setting that pays the
    largest fitted O once: sum one / (max O + sum B c). Fills ``shared_cpu`` and
    ``per_instance_cpu`` into each batch (None for O of a batch of one).

    Returns:
        ``{"one_at_a_time": s, "one_batch": s, "speedup": x}`` in CPU seconds (fastest repeats).
    """
    one, per_inst, shared = 0.0, 0.0, [0.0]
    for pb in per_batch:
        a, b, n = min(pb["cpu"]["one_at_a_time"]), min(pb["cpu"]["batched"]), int(pb["size"])
        if n >= 2:
            o = max(0.0, (a - b) / (n - 1))
            c = max(0.0, min(b - o, a) / n)  # never above the cost one at a time (a noisy batched run)
            shared.append(o)
        else:
            o, c = None, a
        pb["shared_cpu"], pb["per_instance_cpu"] = o, c
        one += a
        per_inst += n * c
    best = max(shared) + per_inst
    return {"one_at_a_time": one, "one_batch": best, "speedup": one / best if best > 0 else math.inf}


def _warm_up(claims) -> None:
    """Build every quick setting once, so that neither timed side pays the imports and data loads."""
    from .check import select_claims

    for claim in select_claims(claims):
        for setting in claim.settings("quick"):
            try:
                claim.build(setting)
            except (ValueError, KeyError):  # a setting built per draw (Theorem 2) loads nothing here
                pass


def identical_instances(B: int = 4, repeats: int = 1, claim: str = "thm1") -> dict:
    """CPU seconds per instance of the first quick setting of ``claim`` searched B times alone and B at once.

    The best case of instance batching: the B instances follow the same path (same data, same
    seed), so no instance waits for another.
    """
    from .claims import get_claim
    from .search import probe, probe_batch

    c = get_claim(claim)
    s = c.settings("quick")[0]
    p = c.build(s)
    eps = float(s["eps"])
    alone, together = [], []
    for _ in range(int(repeats)):
        c0 = time.process_time()
        for _ in range(B):
            probe(p.f, p.z, eps, p.radius, budget="quick")
        alone.append((time.process_time() - c0) / B)
        c0 = time.process_time()
        probe_batch([p.f] * B, [p.z] * B, eps, p.radius, budget="quick")
        together.append((time.process_time() - c0) / B)
    a, t = statistics.median(alone), statistics.median(together)
    return {"claim": claim, "setting": s, "B": B, "cpu_s_per_instance_alone": a, "cpu_s_per_instance_batched": t,
            "speedup_cpu": a / t}


def print_batching(r: dict) -> None:
    print(f"instance batching, slqc check --budget {r['budget']} (all claims, 1 job, {r['threads']} thread(s), "
          f"{len(r['per_batch'])} batches interleaved, median of {r['repeats']}): "
          f"one setting at a time {r['seconds']['one_at_a_time']:.1f} s, --batch {r['batch']} "
          f"{r['seconds']['batched']:.1f} s: speed-up {r['speedup']:.2f}x ("
          + (f"target >= {r['target']:g}: {'met' if r['meets_target'] else 'NOT met'}" if r.get("target")
             else "the target is the quick budget's") + f"); CPU seconds {r['cpu_seconds']['one_at_a_time']:.1f} vs "
          f"{r['cpu_seconds']['batched']:.1f}: {r['speedup_cpu']:.2f}x; fastest repeat per batch "
          f"{r['min_cpu_seconds']['one_at_a_time']:.1f} vs {r['min_cpu_seconds']['batched']:.1f} CPU s: "
          f"{r['speedup_min_cpu']:.2f}x; {r['agree']} of {r['records']} records agree"
          + (f"; DISAGREE: {', '.join(r['disagree'])}" if r["disagree"] else ""))
    for pb in r["per_batch"]:
        a, b = min(pb["cpu"]["one_at_a_time"]), min(pb["cpu"]["batched"])
        fit = (f"; shared {pb['shared_cpu']:.3f} + {pb['per_instance_cpu']:.3f} per instance"
               if pb.get("shared_cpu") is not None else "")
        print(f"  {pb['size']:2d} settings ({', '.join(pb['claims'])}): {a:.2f} vs {b:.2f} CPU s, {a / b:.2f}x{fit}")
    if "ceiling" in r:
        c = r["ceiling"]
        print(f"  ceiling at these costs (every setting in one batch, the largest shared cost paid once): "
              f"{c['one_at_a_time']:.2f} vs {c['one_batch']:.2f} CPU s, {c['speedup']:.2f}x")
    i = r["identical"]
    print(f"  best case, {i['B']} identical instances of the first quick {i['claim']} setting: "
          f"{i['cpu_s_per_instance_alone']:.3f} CPU s per instance alone, {i['cpu_s_per_instance_batched']:.3f} "
          f"batched: {i['speedup_cpu']:.2f}x")


# ------------------------------------------------------------------ streaming over samples (issue 15)
THROUGHPUT_TARGET = 0.5  # multiply-adds/s at m = 262144 over those at m = 1024 (P = 4096, d = 16)
PEAK_MEMORY_TARGET_GB = 2.0  # at m = 1e6, d = 16 on CPU


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn: Callable[[], object], repeats: int, device: torch.device) -> float:
    """Median seconds of fn() with the device synchronized around each call."""

    def run():
        fn()
        _sync(device)

    _sync(device)
    return _median_time(run, repeats)


def run_throughput(points: int = 4096, d: int = 16, ms: tuple[int, ...] = (1024, 16384, 131072, 262144),
                   repeats: int = 3, device: str = "cpu", seed: int = 0) -> dict:
    """Engine throughput (multiply-adds per second) of value_and_grad as m grows, P and d fixed.

    One evaluation of P points on m samples costs 2 P m d multiply-adds (the two GEMMs). The
    ratio of the last m to the first is the issue-15 figure (target >= 0.5 at 262144 vs 1024).

    Returns:
        dict with ``rows`` (m, seconds, gmac_per_s, block points, sample chunk), ``ratio``, ``target``.
    """
    from .models import block_elems, block_shape

    dev = torch.device(device)
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(points, d, generator=g, dtype=torch.float64).to(dev)
    rows = []
    for m in ms:
        obj = make_glm(d, m, 2.0, "generalized_relu", a=0.1, b=1.0, seed=seed, device=dev).objective
        t = _timed(lambda: obj.value_and_grad(W), repeats, dev)
        pb, chunk = block_shape(points, m, 1, block_elems(dev))
        rows.append({"m": m, "seconds": t, "gmac_per_s": 2.0 * points * m * d / t / 1e9, "block_points": pb,
                     "sample_chunk": chunk})
        del obj
    ratio = rows[-1]["gmac_per_s"] / rows[0]["gmac_per_s"]
    return {"P": points, "d": d, "device": str(dev), "rows": rows, "ratio": ratio, "target": THROUGHPUT_TARGET,
            "meets_target": bool(ratio >= THROUGHPUT_TARGET)}


_PEAK_SCRIPT = r"""
import resource, sys, time, torch
torch.set_num_threads(int(sys.argv[4]))
from slqc.generators import make_glm
import slqc
m, d, P = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
t0 = time.perf_counter()
p = make_glm(d, m, 1.0, "generalized_relu", a=0.5, b=1.0, noise=1.0, seed=0)
t_gen = time.perf_counter() - t0
W = torch.randn(P, d, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
t0 = time.perf_counter()
p.objective.value_and_grad(W)
t_eval = time.perf_counter() - t0
t0 = time.perf_counter()
r = slqc.probe(p.objective, p.w_star, 1e-2, 1.0, budget={"samples": 64, "rays": 8, "grid": 6, "bisect": 8,
                                                         "starts": 8, "steps": 2})
t_probe = time.perf_counter() - t0
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, t_gen, t_eval, t_probe, r.points_evaluated)
"""


def peak_memory(m: int = 10**6, d: int = 16, points: int = 4096, threads: int | None = None) -> dict:
    """Peak resident memory of a fresh process that draws a noisy GLM at m samples (streamed), evaluates
    value_and_grad at P points, and runs a small probe (the ascent's chunked autograd path included).

    Returns:
        dict with ``peak_gb`` (ru_maxrss), the seconds of each step, ``target_gb`` and ``meets_target``.
    """
    import subprocess
    import sys

    n = torch.get_num_threads() if threads is None else int(threads)
    out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(m), str(d), str(points), str(n)],
                         capture_output=True, text=True, check=True).stdout.split()
    kb, t_gen, t_eval, t_probe, pts = out[-5:]
    gb = int(kb) / 2**20
    return {"m": m, "d": d, "P": points, "peak_gb": gb, "generate_s": float(t_gen), "value_and_grad_s": float(t_eval),
            "probe_s": float(t_probe), "probe_points": int(pts), "target_gb": PEAK_MEMORY_TARGET_GB,
            "meets_target": bool(gb < PEAK_MEMORY_TARGET_GB)}


# ------------------------------------------------------------------ device report (issue 12)
DEVICE_SHAPES = ((4096, 1024, 128), (65536, 1024, 128), (65536, 256, 16))


def fraction_of_gemm(P: int, m: int, d: int, dtype: torch.dtype = torch.float64, device: str = "cpu",
                     repeats: int = 5, seed: int = 0) -> dict:
    """Bare-GEMM time over engine time (value_and_grad) at one shape, synchronized on the device."""
    dev = torch.device(device)
    g = torch.Generator().manual_seed(seed)
    obj = make_glm(d, m, 2.0, "generalized_relu", a=0.1, b=1.0, seed=seed, dtype=dtype, device=dev).objective
    W = torch.randn(P, d, generator=g, dtype=torch.float64).to(dtype=dtype, device=dev)
    Xt = obj.X.T.contiguous()
    T = torch.empty(P, m, dtype=dtype, device=dev)
    G = torch.empty(P, d, dtype=dtype, device=dev)

    def gemms():
        torch.mm(W, Xt, out=T)
        torch.mm(T, obj.X, out=G)

    t_gemm = _timed(gemms, repeats, dev)
    del T
    t_eval = _timed(lambda: obj.value_and_grad(W), repeats, dev)
    return {"P": P, "m": m, "d": d, "dtype": str(dtype).replace("torch.", ""), "gemm_s": t_gemm, "engine_s": t_eval,
            "fraction_of_gemm": t_gemm / t_eval, "engine_gmac_per_s": 2.0 * P * m * d / t_eval / 1e9}


def probe_time(device: str = "cpu", budget: str = "thorough", repeats: int = 1) -> dict:
    """Seconds of the default ``slqc probe`` problem (d=16, m=256, generalized ReLU a=0.1, eps=0.01) on a device."""
    from .search import probe

    dev = torch.device(device)
    p = make_glm(16, 256, 1.0, "generalized_relu", a=0.1, b=1.0, seed=0, device=dev)
    times, res = [], None
    for _ in range(max(1, repeats)):
        _sync(dev)
        t0 = time.perf_counter()
        res = probe(p.objective, p.w_star, 0.01, 1.0, budget=budget, seed=0, device=dev)
        _sync(dev)
        times.append(time.perf_counter() - t0)
    return {"device": str(dev), "budget": budget, "seconds": statistics.median(times), "kappa": res.kappa,
            "points": res.points_evaluated}


def run_device_bench(device: str = "cuda", shapes=DEVICE_SHAPES, dtypes=(torch.float64, torch.float32),
                     repeats: int = 5, probe_budget: str = "thorough") -> dict:
    """fraction_of_gemm at the issue-12 shapes and dtypes on ``device``, and the probe on ``device``
    beside the same probe on the host CPU, in one run.
    """
    rows = [fraction_of_gemm(P, m, d, dtype=dt, device=device, repeats=repeats)
            for (P, m, d) in shapes for dt in dtypes]
    probes = [probe_time(device, probe_budget)]
    if torch.device(device).type != "cpu":
        probes.append(probe_time("cpu", probe_budget))
    out = {"device": device, "threads": torch.get_num_threads(), "torch": torch.__version__, "gemm": rows,
           "probe": probes}
    if len(probes) == 2:
        out["probe_speedup_vs_cpu"] = probes[1]["seconds"] / probes[0]["seconds"]
    if torch.device(device).type == "cuda":
        out["device_name"] = torch.cuda.get_device_name(torch.device(device))
    return out


def run_sections_cli(args) -> int:
    """``slqc bench --throughput`` / ``--device-report`` / ``--device cuda``: print the sections, write --json."""
    from . import _validate as V
    from . import jsonio

    device = str(V.resolve_device(args.device))
    out: dict = {"threads": torch.get_num_threads(), "torch": torch.__version__}
    if getattr(args, "throughput", False):
        tp = run_throughput(points=args.points, device=device, repeats=max(1, min(args.repeats, 3)))
        out["throughput"] = tp
        print(f"engine throughput, P={tp['P']}, d={tp['d']}, float64, {device} (2 P m d multiply-adds per evaluation):")
        for r in tp["rows"]:
            print(f"  m={r['m']:>7d}  {r['gmac_per_s']:7.2f} G multiply-adds/s  ({r['seconds']:.4f} s; blocks of "
                  f"{r['block_points']} points x {r['sample_chunk']} samples)")
        print(f"  ratio m={tp['rows'][-1]['m']} / m={tp['rows'][0]['m']}: {tp['ratio']:.3f} "
              f"(target >= {tp['target']:g}: {'met' if tp['meets_target'] else 'NOT met'})")
        if device == "cpu":
            pm = peak_memory(threads=torch.get_num_threads())
            out["peak_memory"] = pm
            print(f"peak memory at m={pm['m']:.0e}, d={pm['d']}: {pm['peak_gb']:.3f} GB (target < {pm['target_gb']:g} GB: "
                  f"{'met' if pm['meets_target'] else 'NOT met'}); draw {pm['generate_s']:.2f} s, value_and_grad "
                  f"at P={pm['P']} {pm['value_and_grad_s']:.2f} s, probe of {pm['probe_points']} points "
                  f"{pm['probe_s']:.2f} s")
    if getattr(args, "device_report", False) or device != "cpu":
        rep = run_device_bench(device, repeats=args.repeats)
        out["device_report"] = rep
        print(f"device report on {rep.get('device_name', device)} (synchronized; GEMM time / engine time):")
        for r in rep["gemm"]:
            print(f"  P={r['P']:>6d} m={r['m']:>5d} d={r['d']:>4d} {r['dtype']:8s} fraction_of_gemm {r['fraction_of_gemm']:6.3f}"
                  f"  (engine {r['engine_s']:.4f} s, {r['engine_gmac_per_s']:.1f} G multiply-adds/s)")
        for p in rep["probe"]:
            print(f"  probe --budget {p['budget']} on {p['device']}: {p['seconds']:.2f} s ({p['points']} points)")
        if "probe_speedup_vs_cpu" in rep:
            print(f"  probe speed-up on {device} vs the host CPU: {rep['probe_speedup_vs_cpu']:.2f}x")
    if args.json:
        jsonio.write(args.json, out)
        print(f"wrote {args.json}")
    return 0
