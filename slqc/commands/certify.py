"""``slqc certify``: a certified bracket on the worst-case kappa of one claim instance (issue 11)."""

from __future__ import annotations

import argparse
import math

import torch

from .. import _validate as V

#: claims whose objectives the certifier can bound (GLM layers with squared loss, bce, or softmax + ce
#: with k <= 6 outputs; one hidden layer with W2 fixed, Theorems 4-5, by loose interval bounds)
CERTIFIABLE = ("thm1", "thm3", "cor1", "cor2", "hazan", "thm6", "thm4", "thm5", "thm7")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "certify", help="prove an upper bound on the worst-case kappa of one instance (branch and bound)",
        description="Build one instance of a claim (its first quick setting, changed by the flags), then prove "
                    "lower <= sup kappa_min over the ball <= upper by branch and bound over boxes, with rigorous "
                    "float64 interval bounds. With the claim's kappa (default) the claim is 'certified' on the "
                    "instance when upper <= kappa; --no-kappa brackets the supremum to --tol instead. "
                    "--quadratic L1,L2,... certifies f(x) = sum_j L_j x_j^2 instead (kappa_emp = sqrt(eps max L)).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--claim", default="thm1", help=f"one of {', '.join(CERTIFIABLE)}")
    p.add_argument("--quadratic", metavar="L1,L2,...", help="certify the quadratic form diag(L) with z = 0 instead")
    p.add_argument("--d", type=int, default=3, help="input dimension")
    p.add_argument("--m", type=int, default=32, help="samples")
    p.add_argument("--eps", type=float, default=1e-3)
    p.add_argument("--W", type=float, default=None, help="domain radius / norm bound (claim default if omitted)")
    p.add_argument("--seed", type=int, default=None, help="data seed (claim default if omitted)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override any key of the claim's setting (a, b, k, distribution, labels, wstar, ...)")
    p.add_argument("--kappa", type=float, default=None, help="target kappa (default: the claim's kappa)")
    p.add_argument("--no-kappa", action="store_true", help="no target: bracket the supremum to --tol")
    p.add_argument("--tol", type=float, default=0.1, help="without a target: stop when upper <= (1 + tol) lower")
    p.add_argument("--max-boxes", type=int, default=200_000)
    p.add_argument("--time-limit", type=float, default=None, help="seconds")
    p.add_argument("--batch", type=int, default=2048, help="boxes split per batched step")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--certificate", metavar="PATH.npz", help="write the certificate (re-check it with slqc verify)")
    p.add_argument("--json", metavar="PATH", help="also write the result as JSON")
    p.set_defaults(func=run)


def _value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def build_instance(args) -> tuple:
    """(objective, z, radius, claimed kappa or None, setting dict) from the command-line flags."""
    eps = V.positive("eps", args.eps)
    if args.quadratic:
        from ..certify import QuadraticForm

        try:
            lam = [float(v) for v in args.quadratic.split(",")]
        except ValueError:
            raise ValueError(f"--quadratic needs comma-separated numbers, got {args.quadratic!r}") from None
        if not lam or min(lam) < 0:
            raise ValueError("--quadratic needs nonnegative eigenvalues")
        n = len(lam)
        q = QuadraticForm(torch.diag(torch.tensor(lam, dtype=torch.float64)))
        radius = V.positive("W", args.W if args.W is not None else 1.0)
        setting = {"model": "quadratic", "eigenvalues": lam, "eps": eps, "W": radius,
                   "analytic_kappa": math.sqrt(eps * max(lam))}
        return q, torch.zeros(n, dtype=torch.float64), radius, None, setting
    from ..claims import get_claim

    if args.claim not in CERTIFIABLE:
        raise ValueError(f"certify supports the claims {', '.join(CERTIFIABLE)}, not {args.claim!r}")
    claim = get_claim(args.claim)
    setting = dict(claim.settings("quick")[0])
    setting.update(d=int(args.d), m=int(args.m), eps=eps)
    if args.d < 1 or args.m < 1:
        raise ValueError("--d and --m must be >= 1")
    if args.W is not None:
        setting["W"] = V.positive("W", args.W)
        if "Wstar" in setting:
            setting["Wstar"] = setting["W"]
    if args.seed is not None:
        setting["seed"] = int(args.seed)
    for item in args.set:
        if "=" not in item:
            raise ValueError(f"--set needs KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        setting[k.strip()] = _value(v.strip())
    prob = claim.build(setting)
    return prob.f, prob.z, prob.radius, claim.kappa(setting), dict(setting, claim=args.claim)


def run(args) -> int:
    from ..certify import certify
    from ..jsonio import write

    dev = V.resolve_device(args.device)
    f, z, radius, claimed, setting = build_instance(args)
    kappa = None if args.no_kappa else (args.kappa if args.kappa is not None else claimed)
    if kappa is not None and args.kappa is None and not kappa > 0:
        # Theorems 4-5: the claimed kappa is <= 0 below eps_+ (a vacuous claim); bracket instead
        print(f"note        : the claimed kappa is {kappa:.6g} <= 0 (the claim says nothing here); "
              f"bracketing the supremum instead")
        kappa = None
    r = certify(f, z, args.eps, radius, kappa=kappa, tol=args.tol, max_boxes=args.max_boxes, device=dev,
                certificate=args.certificate, batch=args.batch, time_limit=args.time_limit,
                meta={"claim": setting.get("claim"), "setting": setting})
    shown = {k: v for k, v in setting.items() if k not in ("claim",)}
    print(f"instance    : {setting.get('claim', 'quadratic')} " + " ".join(f"{k}={v}" for k, v in shown.items()))
    print(f"bracket     : {r.lower:.6g} <= kappa_emp <= {r.upper:.6g}  (ratio {r.ratio:.4g})")
    if kappa is not None:
        verdict = ("CERTIFIED (upper <= kappa)" if r.certified else
                   ("REFUTED (a point needs more than kappa)" if r.lower > kappa else "not certified"))
        print(f"kappa       : {kappa:.6g}  {verdict}")
    print(f"boxes       : {r.boxes} leaves (" + ", ".join(f"{k} {v}" for k, v in r.rules.items())
          + f"), {r.evaluated} evaluated, stopped: {r.stopped}")
    print(f"time        : {r.seconds:.2f} s on {dev}")
    if r.certificate:
        print(f"certificate : {r.certificate}  (check it: slqc verify {r.certificate})")
    if args.json:
        write(args.json, dict(r.to_dict(), setting=setting))
        print(f"wrote       : {args.json}")
    if kappa is not None:
        return 0 if r.certified else 1
    return 0
