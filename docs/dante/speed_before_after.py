"""Where the time of a DANTE sweep went: the trainer before and after the fast path, interleaved.

"Before" is emulated in this process by switching the fast path off (the same switches as the twin test
``tests/dante/test_fastops.py::test_training_with_the_fast_path_equals_the_code_before_it``): slqc's
``torch.where`` activations under autograd everywhere, and the closed-form gradient only for one-layer
paths (the outer phase), so the inner phase runs through autograd. The minibatch gather
(``index_select`` instead of ``A[idx]``) is not switched off, so "before" is slightly flattered.

Each repeat runs, back to back and from fresh networks: SGD epoch, DANTE outer sweep, DANTE inner sweep,
once before and once after (order alternated per repeat), and checks that both give the same weights. Then one inner sweep of each is profiled with
``torch.profiler`` (top operators by self CPU time).

Usage (from the repository root)::

    nice -n 10 python docs/dante/speed_before_after.py [--repeats 7] [--data fashion-mnist] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import warnings

import torch

import dante.glm as glm
import dante.model as model
import dante.trainer as trainer
from dante import TrainConfig, load_dataset, train


@contextlib.contextmanager
def before():
    """The trainer with the fast path off (see the module docstring)."""
    saved = (model.activate, glm.activate, glm.grad_mul, trainer.supports_closed_form_path)
    real = trainer.supports_closed_form_path
    model.activate = glm.activate = lambda act, z: act.phi(z)
    glm.grad_mul = lambda act, z, d, out=None: d.mul_(out.mul(1 - out) if act.name == "sigmoid" else act.grad(z))
    trainer.supports_closed_form_path = lambda m, path, loss: len(path) == 1 and real(m, path, loss)
    try:
        yield
    finally:
        model.activate, glm.activate, glm.grad_mul, trainer.supports_closed_form_path = saved


def sweeps(ds, arch: str, batch: int, seed: int) -> dict:
    common = dict(data=ds, arch=arch, batch_size=batch, seed=seed, progress=False,
                  output_activation="generalized_relu")
    sgd = train(TrainConfig(method="sgd", lr=0.1, epochs=1, **common))
    dante = train(TrainConfig(method="dante", lr=0.03, epochs=2, sngd_epochs=1, layer_order="backward", **common))
    p = dante.passes
    out = {"weights": [sgd.model.state_dict(), dante.model.state_dict()]}
    for clock, sec, cache in (("", "seconds", "cache_seconds"), ("_cpu", "cpu_seconds", "cache_cpu_seconds")):
        out.update({"sgd_epoch" + clock: sgd.passes[0][sec], "outer_sweep" + clock: p[0][sec] - p[0][cache],
                    "outer_cache" + clock: p[0][cache], "inner_sweep" + clock: p[1][sec]})
    return out


def profile_inner(ds, arch: str, batch: int, top: int = 8) -> str:
    from torch.profiler import ProfilerActivity, profile

    cfg = TrainConfig(data=ds, arch=arch, batch_size=batch, seed=0, progress=False, method="dante", lr=0.03,
                      epochs=1, sngd_epochs=1, layer_order="forward", output_activation="generalized_relu")
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        train(cfg)
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--data", default="fashion-mnist")
    p.add_argument("--arch", default="784-100-10")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--no-profile", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    ds = load_dataset(args.data)
    rows = {"before": [], "after": []}
    for r in range(args.repeats):
        order = ("before", "after") if r % 2 == 0 else ("after", "before")
        for name in order:
            with before() if name == "before" else contextlib.nullcontext():
                rows[name].append(sweeps(ds, args.arch, args.batch_size, r))
    print(f"{args.data} {args.arch}, batch {args.batch_size}, leaky ReLU output, 1 torch thread, "
          f"{args.repeats} interleaved repeats; seconds (wall clock, and CPU time of the process), median [min-max]; ratios paired per repeat")
    print("| clock | code | SGD epoch | DANTE inner sweep | DANTE outer sweep (cached) | feature cache | inner / SGD | outer / SGD |")
    print("|---|---|---|---|---|---|---|---|")

    def mr(vals):
        return f"{statistics.median(vals):.3f} [{min(vals):.3f}-{max(vals):.3f}]"

    for clock, label in (("", "wall"), ("_cpu", "CPU")):
        for name in ("before", "after"):
            rs = rows[name]
            col = [mr([x[k + clock] for x in rs]) for k in ("sgd_epoch", "inner_sweep", "outer_sweep", "outer_cache")]
            col += [mr([x[k + clock] / x["sgd_epoch" + clock] for x in rs]) for k in ("inner_sweep", "outer_sweep")]
            print(f"| {label} | {name} | " + " | ".join(col) + " |")
    same = all(torch.equal(x, y) for b, a in zip(rows["before"], rows["after"])
               for sb, sa in zip(b["weights"], a["weights"]) for x, y in zip(sb.values(), sa.values()))
    print(f"weights after the SGD epoch and after the two DANTE sweeps, before vs after, every repeat: "
          f"{'equal bit for bit' if same else 'DIFFERENT'}")
    if not args.no_profile:
        for name in ("before", "after"):
            with before() if name == "before" else contextlib.nullcontext():
                print(f"\nprofile of one DANTE inner sweep, {name} (torch.profiler, top operators by self CPU):")
                print(profile_inner(ds, args.arch, args.batch_size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
