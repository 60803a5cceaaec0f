"""``slqc verify``: re-check witness files with plain numpy (no code shared with the search).

Exit codes: 0 every file confirmed; 1 some well-formed, valid witness is not confirmed (the
definition holds at its point); 2 some file is bad: unreadable, truncated, garbage,
malformed, with NaN / inf or out-of-range numbers, or a witness the re-check rejects
(outside its stored domain, a hypothesis of the claim fails on the stored instance).
Each bad file gets one line. Files whose ``kind`` entry is ``"certificate"`` go to
:func:`slqc.certificate.verify_certificate`.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile

from ..jsonio import encode


def add_parser(sub) -> None:
    p = sub.add_parser("verify", help="re-check a witness (or certificate) .npz with plain numpy",
                       description="Load each witness file, check that its numbers are finite, that the point lies "
                                   "in the stored domain and that the stored instance satisfies the claim's "
                                   "hypotheses, then recompute f(x) - f(z), <grad f(x), x - z> and ||grad f(x)|| "
                                   "with plain numpy (slqc.verify imports nothing from the search) and say whether "
                                   "Definition 1/4 fails there with the stored eps and kappa. Certificate files "
                                   "(kind = certificate) are re-checked by slqc.certificate. Exit code 0: every "
                                   "file confirmed; 1: some witness not confirmed; 2: some file bad or rejected.")
    p.add_argument("witness", nargs="+", metavar="WITNESS.npz")
    p.add_argument("--json", action="store_true", help="print the results as JSON lines")
    p.set_defaults(func=run)


def _is_certificate(path: str) -> bool:
    """True when the .npz holds ``kind == "certificate"`` (any read error: False, the witness path reports it)."""
    try:
        if not zipfile.is_zipfile(path):
            return False
        import numpy as np

        with np.load(path, allow_pickle=False) as d:
            return "kind" in d.files and str(d["kind"]) == "certificate"
    except Exception:  # noqa: BLE001 - the witness loader gives the one-line reason
        return False


def _one(path: str, as_json: bool) -> int:
    if _is_certificate(path):
        try:
            from ..certificate import verify_certificate
        except ImportError:
            raise ValueError(f"{path} is a certificate, but this install has no certificate checker "
                             "(slqc.certificate)") from None
        c = verify_certificate(path)
        if as_json:
            print(json.dumps(encode({"file": path, "kind": "certificate", **c.to_dict()})))
        else:
            print(f"{path}: certificate {'CONFIRMED' if c.confirmed else 'NOT CONFIRMED'}: {c.message}")
        return 0 if c.confirmed else 1
    from ..verify import verify_witness

    r = verify_witness(path)
    if as_json:
        print(json.dumps(encode({"witness": path, **r.to_dict()})))
        return 0 if r.fails else (1 if r.valid else 2)
    if not r.valid:
        print(f"slqc: error: {path}: {r.message}", file=sys.stderr)
        return 2
    print(f"{path}:" + (f" ({r.claim})" if r.claim else ""))
    print(f"  eps = {r.eps:.6g}   kappa = {r.kappa:.6g}   eps/kappa = {r.radius:.6g}   kind = {r.kind}")
    print(f"  f(x) - f(z)         = {r.gap:.10g}")
    print(f"  <grad f(x), x - z>  = {r.inner:.10g}")
    print(f"  ||grad f(x)||       = {r.gnorm:.10g}")
    if r.kind == "suboptimality":
        print(f"  bound               = {r.bound:.10g}")
    print(f"  checked: {'; '.join(f'{k} ({v})' for k, v in r.checks.items())}")
    print(f"  {'CONFIRMED' if r.fails else 'NOT CONFIRMED'}: {r.message}")
    return 0 if r.fails else 1


def run(args: argparse.Namespace) -> int:
    """Re-check every file; one error line per bad file; exit code as in the module docstring."""
    worst = 0
    for path in args.witness:
        try:
            code = _one(path, args.json)
        except (ValueError, FileNotFoundError, IsADirectoryError, PermissionError, OSError) as e:
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            if path not in msg:
                msg = f"{path}: {msg}"
            print(f"slqc: error: {msg}", file=sys.stderr)
            code = 2
        worst = max(worst, code)
    return worst
