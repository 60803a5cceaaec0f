"""``slqc bench --certify``: the certification benchmark of issue 11.

Four parts, each a list of rows printed as a table (and written as JSON with ``--json``):

1. ``bracket``: quadratic forms (analytic kappa_emp = sqrt(eps lambda_max)) and Theorem 1
   instances with d <= 3, bracketed to tol = 0.1 with no target: goal upper / lower <= 1.10 and
   the analytic supremum inside every bracket.
   Then (part ``one_hidden``) four one-hidden-layer instances (Theorems 4-5): identity
   activations with h = 1 (a quadratic form: analytic value) and small claim instances.
2. ``soundness``: points sampled in every leaf box of the certificates of part 1, with f, grad f
   evaluated by the engine (not by the bounds): a box is wrong when a sampled point breaks its
   enclosure (f - f(z) > gap_hi, <g, x - z> < inner_lo or ||g|| > gnorm_hi) or its rule
   (outside: the point lies in the ball). Goal: 0 wrong boxes. The numpy checker
   (:mod:`slqc.certificate`) re-validates every certificate too.
3. ``claims``: the claimed constants of Theorem 1, Theorem 3, Hazan et al. and Theorem 6 at
   d = 2, 3, 4 (goal: certified), and Corollary 1 on nonnegative data (violated: must never
   certify).
4. ``scaling``: per claim, d = 6, 8, 10, ... until a run does not certify within the limit of
   the budget (``scaling``: this part only, 60 s per run; ``scaling10``: this part only, 600 s
   per run, the issue's "largest d within 10 minutes"; ``full``: parts 1-4, 600 s per run;
   ``quick`` runs parts 1-3 only); the largest d certified is reported. With ``--json`` the
   rows are saved after each scaling run, so a run stopped early keeps what it measured. The limits are CPU
   seconds of the process (``time.process_time``, one torch
   thread unless OMP_NUM_THREADS says otherwise), so that other jobs on a shared machine do not
   shrink them; wall seconds are reported beside.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from .certify import QuadraticForm, certify
from .certificate import _boxes, verify_certificate

#: CPU seconds per run of each budget (quick: parts 1-3; scaling: part 4; full: all, 10 minutes per run)
BUDGET_LIMITS = {"quick": 60.0, "scaling": 60.0, "scaling10": 600.0, "full": 600.0}
SCALING_D = {"quick": (), "scaling": (6, 8, 10, 12, 14, 16), "scaling10": (6, 8, 10, 12, 14, 16, 20),
             "full": (6, 8, 10, 12, 14, 16, 20)}
#: the cap on leaves per run (memory: about 0.65 GB per million leaves at d = 12, one process);
#: the first scaling10 run used 5 million, which bound before the 600 CPU s at d = 12
MAX_BOXES = {"quick": 5_000_000, "scaling": 5_000_000, "scaling10": 12_000_000, "full": 12_000_000}
#: budgets that run the scaling part only
SCALING_ONLY = ("scaling", "scaling10")
#: CPU seconds per bracket run (the eps = 1e-2 Theorem 1 rows do not close; see the docs)
BRACKET_LIMIT = 20.0
BRACKET_GOAL = 1.10
M = 32


def _claim_instance(name: str, d: int, eps: float, m: int = M, **extra):
    from .claims import get_claim

    claim = get_claim(name)
    s = dict(claim.settings("quick")[0])
    s.update(d=d, m=m, eps=eps, **extra)
    if name == "thm6":
        s["labels"] = "idealized"
    if name == "thm3" and "k" not in extra:
        s["k"] = 2  # two outputs: W is d x 2 (the registry's quick setting has k = 3)
    p = claim.build(s)
    return p, claim.kappa(s), s


def soundness_check(objective, z: torch.Tensor, eps: float, cert_path: str | Path, per_box: int = 4,
                    seed: int = 0, max_boxes: int = 20000) -> dict:
    """Sample points in every leaf of a certificate and test the leaf's stored enclosures.

    Args:
        objective: the objective certified (evaluated by its own value_and_grad / autograd).
        z: reference point.
        eps: eps of the certificate.
        cert_path: the certificate file.
        per_box: uniform points per leaf (plus the leaf's centre and two corners).
        seed: RNG seed.
        max_boxes: check at most this many leaves (a uniform subset beyond).

    Returns:
        dict with boxes checked, points, wrong boxes and the largest kappa_min sampled.
    """
    from .definitions import f_at, slqc_terms

    data = np.load(cert_path)
    lo_all, hi_all, _ = _boxes(data["root_lo"], data["root_hi"], data["tree_parent"].astype(np.int64),
                               data["tree_dim"].astype(np.int64), data["tree_side"].astype(np.int64),
                               data["tree_split"].astype(np.float64))
    nodes, rule = data["leaf_node"], data["leaf_rule"]
    rng = np.random.default_rng(seed)
    sel = np.arange(nodes.size) if nodes.size <= max_boxes else rng.choice(nodes.size, max_boxes, replace=False)
    c, R = np.asarray(data["center"]), float(data["radius"])
    lo, hi = lo_all[nodes[sel]], hi_all[nodes[sel]]
    u = rng.random((sel.size, per_box, lo.shape[1]))
    pts = lo[:, None] + u * (hi - lo)[:, None]
    pts = np.concatenate([pts, ((lo + hi) / 2)[:, None], lo[:, None], hi[:, None]], axis=1)
    P = pts.shape[1]
    flat = torch.tensor(pts.reshape(-1, lo.shape[1]), dtype=torch.float64)
    fz = f_at(objective, z)
    terms = slqc_terms(objective, flat.reshape(-1, *z.shape), z, fz)
    gap, inner, gn = (t.numpy().reshape(sel.size, P) for t in (terms.gap, terms.inner, terms.gnorm))
    inball = np.linalg.norm(pts - c, axis=2) <= R
    r = rule[sel][:, None]
    rel = 1e-9
    bad = np.zeros_like(inball)
    with_bounds = r != 0
    bad |= with_bounds & (gap > data["leaf_gap_hi"][sel][:, None] + rel * (1 + np.abs(gap)))
    bad |= with_bounds & (inner < data["leaf_inner_lo"][sel][:, None] - rel * (1 + np.abs(inner)))
    bad |= with_bounds & (gn > data["leaf_gnorm_hi"][sel][:, None] * (1 + rel) + 1e-300)
    bad |= (r == 0) & inball
    bad |= (r == 1) & inball & (gap > eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        km = np.where(gap > eps, np.where(inner > 0, eps * gn / inner, np.inf), 0.0)
    # rule coupled: kappa_min <= the leaf's bound at every point of the leaf in the ball
    bad |= (r == 4) & inball & (km > data["leaf_bound"][sel][:, None] * (1 + rel))
    km_in = np.where(inball, km, 0.0)
    return {"boxes": int(sel.size), "points": int(sel.size * P), "wrong_boxes": int(bad.any(1).sum()),
            "max_sampled_kappa": float(km_in.max()), "upper": float(data["upper"])}


def _row_bracket(name, f, z, eps, radius, analytic, tmp, limit):
    path = Path(tmp) / f"{name}.npz"
    r = certify(f, z, eps, radius, tol=0.1, max_boxes=2_000_000, certificate=path, cpu_limit=limit)
    chk = verify_certificate(path)
    snd = soundness_check(f, z, eps, path)
    inside = None if analytic is None else bool(r.lower <= analytic <= r.upper)
    return {"part": "bracket", "instance": name, "d": int(z.numel()), "eps": eps, "lower": r.lower,
            "upper": r.upper, "ratio": r.ratio, "analytic": analytic, "analytic_inside": inside,
            "closed": bool(r.ratio <= BRACKET_GOAL), "boxes": r.boxes, "seconds": r.seconds,
            "cpu_seconds": r.cpu_seconds, "stopped": r.stopped,
            "checker": chk.confirmed, "checker_failed_boxes": chk.failed, "sampled_boxes": snd["boxes"],
            "sampled_points": snd["points"], "wrong_boxes": snd["wrong_boxes"],
            "max_sampled_kappa": snd["max_sampled_kappa"],
            "sampled_below_upper": bool(snd["max_sampled_kappa"] <= r.upper)}


def _print(line: str) -> None:
    print(line, flush=True)


def run_bench(budget: str = "quick", device=None, progress=_print, on_row=None) -> dict:
    """Run the four parts (see the module docstring); returns {"rows": [...], "summary": {...}}.

    Args:
        budget: quick, scaling, scaling10 or full; ``scaling:thm1+hazan`` (or ``scaling10:...``)
            runs the scaling part for those claims only, in that order.
        device: torch device of the bounds.
        progress: called with one line per row.
        on_row: called with the list of rows after each scaling row (to save partial results).
    """
    budget, _, only = budget.partition(":")
    if budget not in BUDGET_LIMITS:
        raise ValueError(f"unknown certify budget {budget!r}; choose one of: {', '.join(BUDGET_LIMITS)} "
                         f"(scaling:thm1+hazan limits the scaling part to some claims)")
    limit = BUDGET_LIMITS[budget]
    rows: list[dict] = []
    claims = ("thm1", "thm3", "hazan", "thm6")
    if only:
        claims = tuple(c for c in only.split("+") if c)
        if not set(claims) <= {"thm1", "thm3", "hazan", "thm6"}:
            raise ValueError(f"scaling claims must be among thm1, thm3, hazan, thm6, got {only!r}")
    with tempfile.TemporaryDirectory() as tmp:
        if budget in SCALING_ONLY:
            rows.append({"part": "note", "text": "scaling only"})
            return _scaling(rows, claims, budget, limit, device, progress, on_row)
        # 1-2. brackets and soundness
        g = torch.Generator().manual_seed(0)
        Q, _ = torch.linalg.qr(torch.randn(3, 3, generator=g, dtype=torch.float64))
        rot = Q @ torch.diag(torch.tensor([2.0, 1.0, 0.25], dtype=torch.float64)) @ Q.T
        rot = (rot + rot.T) / 2
        quads = [("quad I d=1", torch.eye(1, dtype=torch.float64), 0.25),
                 ("quad I d=2", torch.eye(2, dtype=torch.float64), 0.01),
                 ("quad I d=3", torch.eye(3, dtype=torch.float64), 0.01),
                 ("quad diag(1,3,.5)", torch.diag(torch.tensor([1.0, 3.0, 0.5], dtype=torch.float64)), 0.01),
                 ("quad rotated (2,1,.25)", rot, 0.01)]
        for name, A, eps in quads:
            n = A.shape[0]
            lam = float(torch.linalg.eigvalsh(A).max())
            rows.append(_row_bracket(name, QuadraticForm(A), torch.zeros(n, dtype=torch.float64), eps, 1.0,
                                     math.sqrt(lam * eps), tmp, BRACKET_LIMIT))
            progress(_fmt(rows[-1]))
        for d in (1, 2, 3):
            for eps in (1e-3, 1e-4, 1e-2):
                if d == 1 and eps != 1e-3:
                    continue
                p, _, _ = _claim_instance("thm1", d, eps)
                rows.append(_row_bracket(f"thm1 d={d} m={M}", p.f, p.z, eps, p.radius, None, tmp, BRACKET_LIMIT))
                progress(_fmt(rows[-1]))
        # 2b. one hidden layer (Theorems 4-5): sound, loose interval bounds through the hidden layer
        from .models import OneHiddenObjective

        Xq = torch.randn(8, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        zq = torch.zeros(2, 1, dtype=torch.float64)
        fq = OneHiddenObjective(Xq, Xq @ zq[:, 0], torch.ones(1, dtype=torch.float64), "identity", "identity")
        lam = float(torch.linalg.eigvalsh(Xq.T @ Xq / 8).max())
        oh = [("one-hidden identity h=1 (quadratic)", fq, zq, 0.04, 1.0, math.sqrt(lam * 0.04))]
        for name, cfg in (("thm4", dict(d=2, hidden=1)), ("thm4", dict(d=1, hidden=2)), ("thm5", dict(d=1, hidden=2))):
            from .claims import get_claim

            cl = get_claim(name)
            st = dict(cl.settings("quick")[0], m=8, **cfg)
            pr = cl.build(st)
            oh.append((f"{name} d={cfg['d']} h={cfg['hidden']} m=8", pr.f, pr.z, 0.05, pr.radius, None))
        for name, f, z, eps, R, an in oh:
            row = _row_bracket(name, f, z, eps, R, an, tmp, BRACKET_LIMIT)
            row["part"] = "one_hidden"
            rows.append(row)
            progress(_fmt(row))
        # 3. claims at their claimed kappa
        for name in ("thm1", "thm3", "hazan", "thm6"):
            for d in (2, 3, 4):
                rows.append(_row_claim(name, d, 1e-3, tmp, limit, device))
                progress(_fmt(rows[-1]))
        for d in (2, 3, 4):
            rows.append(_row_claim("cor1", d, 1e-3, tmp, limit, device, distribution="nonneg"))
            progress(_fmt(rows[-1]))
    return _scaling(rows, claims, budget, limit, device, progress)


def _scaling(rows, claims, budget, limit, device, progress, on_row=None) -> dict:
    # 4. scaling in d
    for name in claims if SCALING_D[budget] else ():
        best = None
        for d in SCALING_D[budget]:
            row = _row_claim(name, d, 1e-3, None, limit, device, max_boxes=MAX_BOXES[budget])
            row["part"] = "scaling"
            rows.append(row)
            progress(_fmt(row))
            if on_row is not None:
                on_row(rows)
            if not row["certified"]:
                break
            best = d
        rows.append({"part": "largest_d", "claim": name, "largest_d": best, "limit_s": limit,
                     "max_boxes": MAX_BOXES[budget]})
        progress(f"largest d certified within {limit:g} CPU s: {name} d={best}")
        if on_row is not None:
            on_row(rows)
    br = [r for r in rows if r["part"] == "bracket"]
    cl = [r for r in rows if r["part"] == "claims"]
    summary = {
        "budget": budget, "limit_s_per_run": limit,
        "brackets_closed_d_le_3": sum(r["closed"] for r in br), "brackets": len(br),
        "brackets_not_closed": [f"{r['instance']} eps={r['eps']:g}" for r in br if not r["closed"]],
        "analytic_inside_all": all(r["analytic_inside"] for r in rows if r.get("analytic_inside") is not None),
        "wrong_boxes": sum(r["wrong_boxes"] for r in rows if "wrong_boxes" in r),
        "sampled_points": sum(r["sampled_points"] for r in rows if "sampled_points" in r),
        "one_hidden": [f"{r['instance']}: [{r['lower']:.4g}, {r['upper']:.4g}]" for r in rows
                       if r["part"] == "one_hidden"],
        "checker_confirmed_all": all(r["checker"] for r in rows if "checker" in r),
        "claims_certified": {f"{r['claim']} d={r['d']}": r["certified"] for r in cl},
        "violated_never_certified": not any(r["certified"] for r in cl if r["claim"] == "cor1"),
        "largest_d": {r["claim"]: r["largest_d"] for r in rows if r["part"] == "largest_d"},
        "threads": torch.get_num_threads(), "cpus": os.cpu_count(), "niceness": os.nice(0),
        "torch": torch.__version__, "device": str(device or "cpu"),
    }
    return {"rows": rows, "summary": summary}


def _row_claim(name, d, eps, tmp, limit, device, max_boxes=5_000_000, **extra):
    p, kappa, s = _claim_instance(name, d, eps, **extra)
    path = None if tmp is None else Path(tmp) / f"{name}_{d}.npz"
    r = certify(p.f, p.z, eps, p.radius, kappa=kappa, max_boxes=max_boxes, device=device, certificate=path,
                cpu_limit=limit)
    row = {"part": "claims", "claim": name, "d": d, "m": s["m"], "k": s.get("k", 1), "eps": eps,
           "distribution": s["distribution"], "kappa_claimed": kappa, "lower": r.lower, "upper": r.upper,
           "certified": bool(r.certified), "stopped": r.stopped, "boxes": r.boxes, "seconds": r.seconds,
           "cpu_seconds": r.cpu_seconds}
    if path is not None:
        chk = verify_certificate(path)
        row.update(checker=chk.confirmed, checker_failed_boxes=chk.failed)
    return row


def _fmt(r: dict) -> str:
    if r["part"] in ("bracket", "one_hidden"):
        an = "-" if r["analytic"] is None else f"{r['analytic']:.6g} {'in' if r['analytic_inside'] else 'OUT'}"
        return (f"{r['part']:<8} {r['instance']:<24} eps={r['eps']:<7g} [{r['lower']:.6g}, {r['upper']:.6g}] "
                f"ratio {r['ratio']:.4f} analytic {an}  boxes {r['boxes']} cpu {r['cpu_seconds']:.1f}s  "
                f"checker {'ok' if r['checker'] else 'FAIL'}  wrong {r['wrong_boxes']}/{r['sampled_boxes']}")
    return (f"{r['part']:<8} {r['claim']:<6} d={r['d']:<3} k={r['k']} {r['distribution']:<7} eps={r['eps']:g} "
            f"kappa={r['kappa_claimed']:.4g} upper={r['upper']:.4g} "
            f"{'CERTIFIED' if r['certified'] else 'not certified'}"
            f" ({r['stopped']}) boxes {r['boxes']} cpu {r['cpu_seconds']:.1f}s wall {r['seconds']:.1f}s"
            + (f" checker {'ok' if r.get('checker') else 'FAIL'}" if "checker" in r else ""))


def run_cli(args) -> int:
    """Entry point of ``slqc bench --certify`` (args: budget, device, json)."""
    from . import _validate as V
    from .jsonio import write

    budgets = [b.strip() for b in (args.budget or "quick").split(",") if b.strip()]
    dev = V.resolve_device(getattr(args, "device", None))
    out = {}
    t0 = time.perf_counter()
    for b in budgets:
        if b.partition(":")[0] not in BUDGET_LIMITS:
            raise ValueError(f"unknown certify budget {b!r}; choose one of: {', '.join(BUDGET_LIMITS)}")
    def partial(b):
        def save(rows):
            if getattr(args, "json", None):
                write(args.json, dict(out, **{b: {"rows": rows, "summary": {"partial": True}}}))
        return save

    for b in budgets:
        res = run_bench(b, dev, on_row=partial(b))
        out[b] = res
        s = res["summary"]
        print(f"[{b}] brackets closed (ratio <= {BRACKET_GOAL}): {s['brackets_closed_d_le_3']}/{s['brackets']}; "
              f"analytic inside every bracket: {s['analytic_inside_all']}; wrong boxes: {s['wrong_boxes']} "
              f"({s['sampled_points']} sampled points); numpy checker confirmed all: {s['checker_confirmed_all']}")
        print(f"[{b}] violated claim (cor1, nonneg data) never certified: {s['violated_never_certified']}; "
              f"largest d certified within {s['limit_s_per_run']:g} CPU s per run: {s['largest_d']}")
        print(f"[{b}] threads {s['threads']}, cpus {s['cpus']}, niceness {s['niceness']}, torch {s['torch']}, "
              f"device {s['device']}")
    print(f"total {time.perf_counter() - t0:.1f} s")
    if getattr(args, "json", None):
        write(args.json, out)
        print(f"wrote {args.json}")
    return 0
