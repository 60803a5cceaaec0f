"""Work of `slqc check --budget quick` one setting at a time and batched, counted where the searches spend it.

The unit is the pre-activation entry: a GLM stack's (point, output, sample) entry (B x P x k x m)
and a one-hidden-layer stack's (point, hidden unit, sample) entry, of two kinds:

* ``products``: entries made by a product over d (``GLMStack._preact``, ``OneHiddenStack._pre``),
  then the elementwise passes after it: the points evaluated one by one, and the directions of the
  lines (rays, bisections, secant retractions) whose pre-activations the stacks' line form takes once;
* ``line``: entries of the points of those lines (``GLMStack.line``, ``OneHiddenStack.line``), made
  by one elementwise pass t_z + s t_u before the same passes, no product.

The same in both ways of running, so the counts compare the arithmetic of the two ways without
timing anything (the machines here drift by tens of percent). Each entry is filed under the search
step that asked for it (the two innermost functions of ``slqc.search`` on the stack, the line's own
machinery left out), and the padding of a batch, the points it evaluates for one instance because
another instance needs them, shows as the difference between the two columns. Prints a table;
``--json`` writes the counts. Used in docs/speed.md:

    python docs/batch_work.py --json docs/batch_work.json
    python docs/batch_work.py --claims thm1,cor1,hazan,thm6,thm8
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile


def _site() -> str:
    """The two innermost slqc.search functions on the caller's stack, as 'inner<outer' (the frames of
    a line, ``_Rays._line`` and ``_Rays.values``, skipped: the step is the one that asked for the line)."""
    f = sys._getframe(2)
    names: list[str] = []
    while f is not None and len(names) < 2:
        if f.f_code.co_filename.replace("\\", "/").endswith("slqc/search.py"):
            ray = type(f.f_locals.get("self")).__name__ == "_Rays"
            if not (ray and f.f_code.co_name in ("_line", "values")):
                names.append(f.f_code.co_name)
        f = f.f_back
    return "<".join(names) or "(outside the search)"


def count(claims: list[str] | None, batch: int) -> dict[str, dict[str, int]]:
    """Entries per kind (``products``, ``line``) and search step of one quick check (one job), by patching the stacks."""
    from slqc import stack
    from slqc.check import run_check

    counts: dict[str, collections.Counter] = {"products": collections.Counter(), "line": collections.Counter()}
    glm_pre, hidden_pre = stack.GLMStack._preact, stack.OneHiddenStack._pre
    glm_line, hidden_line = stack.GLMStack.line, stack.OneHiddenStack.line

    def glm(self, W):
        counts["products"][_site()] += W.shape[0] * W.shape[1] * self.m * self.k
        return glm_pre(self, W)

    def hidden(self, W1):
        out = hidden_pre(self, W1)
        counts["products"][_site()] += out.numel()
        return out

    def lines(real, per_point):
        def line(self, z, U):
            fn = real(self, z, U)
            if fn is None:
                return None

            def values(s):
                counts["line"][_site()] += s.numel() * per_point(self)
                return fn(s)

            return values

        return line

    stack.GLMStack._preact, stack.OneHiddenStack._pre = glm, hidden
    stack.GLMStack.line = lines(glm_line, lambda st: st.m * st.k)
    stack.OneHiddenStack.line = lines(hidden_line, lambda st: st.m * st.h)
    try:
        run_check(claims, budget="quick", progress=False, jobs=1, batch=batch,
                  witness_dir=tempfile.mkdtemp(prefix="slqc-work-"))
    finally:
        stack.GLMStack._preact, stack.OneHiddenStack._pre = glm_pre, hidden_pre
        stack.GLMStack.line, stack.OneHiddenStack.line = glm_line, hidden_line
    return {k: dict(v) for k, v in counts.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--claims", default="", help="comma-separated claims (default: all)")
    p.add_argument("--batch", type=int, default=16, help="slqc check --batch of the batched run (default 16)")
    p.add_argument("--json", default=None, help="write the counts here")
    args = p.parse_args(argv)
    if args.batch < 2:
        print(f"batch_work: --batch must be >= 2 (the batched run), got {args.batch}", file=sys.stderr)
        return 2
    import torch

    from slqc.claims import get_claim

    claims = [c.strip() for c in args.claims.split(",") if c.strip()] or None
    for name in claims or ():
        try:
            get_claim(name)
        except ValueError as e:  # one line: the unknown name and the known ones
            print(f"batch_work: {e}", file=sys.stderr)
            return 2
    torch.set_num_threads(1)
    alone, batched = count(claims, 1), count(claims, args.batch)
    print(f"pre-activation entries of slqc check --budget quick ({args.claims or 'all claims'}), millions:")
    print(f"| kind | search step | one setting at a time | --batch {args.batch} | batched / alone |")
    print("|---|---|---|---|---|")
    total = {}
    for kind in ("products", "line"):
        a_, b_ = alone[kind], batched[kind]
        sites = sorted(set(a_) | set(b_), key=lambda k: -max(a_.get(k, 0), b_.get(k, 0)))
        total[kind] = {"one_at_a_time": sum(a_.values()), "batched": sum(b_.values())}
        for k in sites + ["total"]:
            a = total[kind]["one_at_a_time"] if k == "total" else a_.get(k, 0)
            b = total[kind]["batched"] if k == "total" else b_.get(k, 0)
            print(f"| {kind} | {k} | {a / 1e6:.2f} | {b / 1e6:.2f} | {b / a if a else float('nan'):.3f} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"claims": claims, "batch": args.batch, "one_at_a_time": alone, "batched": batched,
                       "total": total}, fh, indent=1, sort_keys=True)
            fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
