"""``slqc probe``: the empirical kappa of one GLM setting given on the command line."""

from __future__ import annotations

import argparse
import os

import torch

from .. import _validate as V
from ..activations import ACTIVATIONS
from ..data import DISTRIBUTIONS
from ..generators import make_glm
from ..losses import LOSSES
from ..search import BUDGETS, probe
from ..stack import COMPILE_ENV
from . import _common as C
from ._common import write_json


def add_parser(sub) -> None:
    p = sub.add_parser(
        "probe", help="measure the empirical kappa of one GLM setting",
        description="Draw an idealized (or noisy) GLM, then search the ball B(0, W) for the point that needs the "
                    "largest kappa in Definition 1/4 with reference point w*. Prints kappa, where it was found "
                    "and how many points were evaluated.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--activation", default="generalized_relu", choices=[a for a in ACTIVATIONS if a != "identity"])
    p.add_argument("--a", type=float, default=0.1, help="generalized ReLU slope for t <= 0 (0 < a <= b)")
    p.add_argument("--b", type=float, default=1.0, help="slope for t > 0 (generalized ReLU, ReLU)")
    p.add_argument("--loss", default="squared", choices=LOSSES)
    p.add_argument("--W", type=float, default=1.0, help="norm bound ||w*|| <= W; the domain is B(0, W)")
    p.add_argument("--eps", type=float, default=0.01)
    p.add_argument("--m", type=int, default=256, help="samples")
    p.add_argument("--d", type=int, default=16, help="input dimension")
    p.add_argument("--outputs", type=int, default=1, help="outputs k (k > 1: multi-output layer, Frobenius norms)")
    p.add_argument("--noise", type=float, default=0.0, help="half-width of uniform label noise (noisy GLM)")
    p.add_argument("--data", default="ball", choices=DISTRIBUTIONS, help="input distribution")
    p.add_argument("--seed", type=int, default=0, help="seed of the data and of the search")
    p.add_argument("--budget", default="quick", choices=tuple(BUDGETS))
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--json", metavar="PATH", help="also write the result as JSON")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the fused elementwise passes of the squared loss (sets SLQC_COMPILE=1; the first call compiles for a minute or more; meant for GPUs: no gain measured on CPU at the quick sizes)")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    dev = V.resolve_device(args.device)
    act_kw = {}
    if args.activation == "generalized_relu":
        act_kw = {"a": args.a, "b": args.b}
    elif args.activation == "relu":
        act_kw = {"b": args.b}
    V.positive("eps", args.eps)
    V.positive("--W", args.W)
    C.finite("--noise", args.noise, minimum=0.0)
    if args.json:
        C.output_file("--json", args.json)
    if args.compile:
        os.environ[COMPILE_ENV] = "1"
    prob = make_glm(args.d, args.m, args.W, args.activation, outputs=args.outputs, loss=args.loss,
                    distribution=args.data, noise=args.noise, seed=args.seed, device=dev, **act_kw)
    res = probe(prob.objective, prob.w_star, args.eps, args.W, budget=args.budget, seed=args.seed, device=dev,
                progress=args.progress)
    status = "VIOLATION (no kappa works)" if res.violation else ("vacuous (f - f(z) <= eps on the whole ball)"
                                                                 if res.kappa == 0 else "finite")
    act = prob.meta["activation"]
    act_s = act["name"] + "(" + ", ".join(f"{k}={v:g}" for k, v in act.items() if k != "name") + ")"
    print(f"setting     : {act_s} loss={args.loss} W={args.W} eps={args.eps} m={args.m} "
          f"d={args.d} outputs={args.outputs} data={args.data} noise={args.noise} seed={args.seed}")
    print(f"kappa       : {res.kappa:.6g}  [{status}]")
    if res.witness is not None:
        w = res.witness
        print(f"found at    : ||x|| = {float(torch.linalg.vector_norm(w)):.6g}, ||x - w*|| = "
              f"{float(torch.linalg.vector_norm(w - prob.w_star)):.6g}, f(x) - f(w*) = {res.witness_gap:.6g}, "
              f"<g, x - w*> = {res.witness_inner:.6g}, ||g|| = {res.witness_gnorm:.6g}")
    print("strategies  : " + ", ".join(f"{k} kappa={v['kappa']:.6g} ({v['points']} points)"
                                       for k, v in res.strategies.items()))
    print(f"evaluated   : {res.points_evaluated} points in {res.seconds:.2f} s")
    if args.json:
        d = res.to_dict()
        d["setting"] = prob.meta
        d["w_star"] = prob.w_star.cpu().tolist()
        write_json(args.json, d)
        print(f"wrote       : {args.json}")
    return 0

