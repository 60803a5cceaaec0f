"""Figures of a run or of several runs overlaid (the paper's Figure 2 quantities, plus the instruments).

Top row: training loss, test loss and test accuracy. Below, one row per layer: the kappa estimate
``eps ||g|| / <g, W_l - W_l*>`` (``kappa_cond2``, the smallest kappa meeting condition 2 of
Definition 4) on a log scale with the claimed kappa dashed, the cosine between the gradient and
``W_l - W_l*``, and ``||W_l - W_l*||``. For an aligned teacher reference (:mod:`dante.align`) the
values against the teacher as drawn are drawn thin and dashed beside the aligned ones.

Conventions: every panel shares one x-axis, passes over the training data (``epoch``); every
method has one colour in every figure (:data:`METHOD_COLORS`; repeated runs of a method differ by
line style); the passes in which a DANTE run trains layer ``l`` are shaded in that layer's row;
iterates where ``W_l = W_l*`` (a layer that no later phase trains, against the final weights) are
left out of the kappa and cosine panels, since both are undefined there. Panels whose data are
missing are skipped. Figures are written at :data:`DPI` dots per inch.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Sequence

__all__ = ["load_run", "plot_runs", "METHOD_COLORS", "DPI"]

#: one colour per method, in every figure (SGD-like methods in greens/olives are avoided for DANTE)
METHOD_COLORS = {"dante": "tab:blue", "sgd": "tab:orange", "momentum": "tab:green", "adam": "tab:red",
                 "adagrad": "tab:purple", "rmsprop": "tab:brown", "altmin-sgd": "tab:cyan"}
DPI = 160
_STYLES = ["-", "--", ":", "-."]


def _plan_layers(cfg: dict) -> list[tuple[int, ...]] | None:
    """Layers trained by each pass of an alternating run (``None`` for backprop methods or unknown configs)."""
    from .schemes import ALTERNATING_METHODS, build_plan, phase_length
    from .model import parse_arch

    try:
        if cfg.get("method") not in ALTERNATING_METHODS:
            return None
        L = len(parse_arch(cfg["arch"])) - 1
        T = phase_length(cfg["method"], L, cfg["epochs"], cfg["sngd_epochs"], cfg.get("scheme", "round-robin"))
        plan = build_plan(cfg["method"], L, cfg["epochs"], T, cfg.get("scheme", "round-robin"),
                          cfg.get("layer_order", "backward"))
    except (KeyError, TypeError, ValueError):
        return None
    return [p.train_layers for p in plan]


def load_run(source) -> dict:
    """Read a run: a run directory, a ``metrics.jsonl`` path, or a live :class:`dante.TrainResult`.

    Returns:
        ``{"label", "method", "eval": [...], "instrument": [...], "plan": [...] or None}``.

    Raises:
        ValueError: the path holds no ``metrics.jsonl``, or its ``config.json`` is unreadable.
    """
    from .runlog import read_json, read_jsonl

    if hasattr(source, "history"):
        cfg = source.config
        return {"label": f"{cfg.method} lr={cfg.lr:g}", "method": cfg.method, "eval": list(source.history),
                "instrument": list(source.instruments), "plan": _plan_layers(cfg.to_dict())}
    path = Path(source)
    metrics = path / "metrics.jsonl" if path.is_dir() else path
    if not metrics.is_file():
        raise ValueError(f"no metrics.jsonl in {path}")
    cfg_path = metrics.parent / "config.json"
    cfg = read_json(cfg_path) if cfg_path.is_file() else {}
    method = cfg.get("method", "run")
    records = list(read_jsonl(metrics))
    label = f"{method} lr={cfg['lr']:g}" if "lr" in cfg else metrics.parent.name
    return {"label": f"{label} ({metrics.parent.name})", "method": method,
            "eval": [r for r in records if r.get("kind", "eval") == "eval"],
            "instrument": sorted((r for r in records if r.get("kind") == "instrument"), key=lambda r: r["step"]),
            "plan": _plan_layers(cfg) if cfg else None}


def _series(records, key, xkey="epoch", keep=lambda r: True):
    xs, ys = [], []
    for r in records:
        v = r.get(key)
        if v is None or r.get(xkey) is None or not keep(r):
            continue
        xs.append(r[xkey])
        ys.append(float(v))
    return xs, ys


def _kappa_key(records, l, source, e_key) -> str:
    for name in ("kappa_cond2", "kappa_est"):  # kappa_est: the name in older logs
        key = f"layer{l}.{source}.{name}@{e_key}"
        if any(key in r for r in records[:1] + records[-1:]):
            return key
    return f"layer{l}.{source}.kappa_cond2@{e_key}"


def _shade_phases(ax, plan, layer, color) -> None:
    """Shade the passes in which ``layer`` is trained (DANTE phases)."""
    start = None
    for i, layers in enumerate(plan + [()]):
        if layer in layers and start is None:
            start = i
        elif layer not in layers and start is not None:
            ax.axvspan(start, i, color=color, alpha=0.08, lw=0)
            start = None


def plot_runs(sources: Sequence, out: str | Path, source: str = "full", eps: float | None = None) -> Path:
    """Draw the runs into one PNG.

    Args:
        sources: run directories, ``metrics.jsonl`` files or live results.
        out: output PNG path.
        source: instrument source, ``full`` or ``batch``.
        eps: which epsilon's kappa estimate to draw (default: the first logged).

    Returns:
        The written path.

    Raises:
        ValueError: unknown source, an ``eps`` that no run logged, or an output path that cannot be written.
    """
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    from .instruments import SOURCES

    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")
    runs = [load_run(s) for s in sources]
    layer_keys: dict[int, set] = {}
    pat = re.compile(rf"^layer(\d+)\.{source}\.kappa_(?:cond2|est)@(.+)$")
    for run in runs:
        for rec in run["instrument"][:1] + run["instrument"][-1:]:
            for k in rec:
                mm = pat.match(k)
                if mm:
                    layer_keys.setdefault(int(mm.group(1)), set()).add(mm.group(2))
    eps_keys = sorted({e for s in layer_keys.values() for e in s}, key=float)
    if eps is not None and f"{eps:g}" not in eps_keys:
        logged = f"the runs logged eps {', '.join(eps_keys)}" if eps_keys else "the runs have no instrument records"
        raise ValueError(f"eps {eps:g} was not logged; {logged}")
    e_key = f"{eps:g}" if eps is not None else (eps_keys[0] if eps_keys else None)
    layers = sorted(layer_keys)
    nrows = 1 + len(layers)
    fig, axes = plt.subplots(nrows, 3, figsize=(15, 3.4 * nrows), squeeze=False, sharex=True)
    seen: dict[str, int] = {}
    for ri, run in enumerate(runs):
        base = METHOD_COLORS.get(run["method"], "tab:gray")
        n = seen.get(base, 0)
        seen[base] = n + 1
        style = _STYLES[n % len(_STYLES)]
        for ax, key in zip(axes[0], ("train_loss", "test_loss", "test_acc")):
            xs, ys = _series(run["eval"], key)
            if xs:
                ax.plot(xs, ys, style, color=base, label=run["label"])
        recs = run["instrument"]
        for row, l in enumerate(layers, start=1):
            ax_k, ax_c, ax_n = axes[row]
            if run["plan"] and n == 0:
                for ax in (ax_k, ax_c, ax_n):
                    _shade_phases(ax, run["plan"], l, base)
            dkey = f"layer{l}.{source}.dist"
            moving = lambda r, dkey=dkey: r.get(dkey) is None or r[dkey] > 0  # noqa: E731
            if e_key is not None:
                xs, ys = _series(recs, _kappa_key(recs, l, source, e_key), keep=moving)
                fin = [(x, y) for x, y in zip(xs, ys) if math.isfinite(y) and y > 0]
                if fin:  # the line breaks where no finite kappa exists
                    ax_k.plot(xs, [y if math.isfinite(y) and y > 0 else math.nan for y in ys], style, color=base,
                              marker=".", ms=3, lw=1, label=run["label"])
                inf_x = [x for x, y in zip(xs, ys) if not math.isfinite(y)]
                if inf_x:  # inner <= 0: no finite kappa; marked along the top edge of the panel
                    ax_k.plot(inf_x, [0.97 - 0.04 * ri] * len(inf_x), "x", color=base, ms=4,
                              transform=ax_k.get_xaxis_transform())
                cx, cy = _series(recs, f"layer{l}.{source}.claimed_kappa@{e_key}", keep=moving)
                if cx:
                    ax_k.plot(cx, cy, "--", color=base, lw=1.2, alpha=0.8, label=f"claimed kappa ({run['method']})")
                if fin or cx:
                    ax_k.set_yscale("log")
                claims = {r.get(f"layer{l}.{source}.claim@{e_key}") for r in recs} - {None}
                claim = ", ".join(sorted(claims)) if claims else "no claim"
                ax_k.set_title(f"layer {l}: kappa estimate, eps={e_key} ({claim}; x at top: inner <= 0)", fontsize=9)
                ax_k.set_ylabel("eps ||g|| / <g, W - W*>")
                if fin or cx:
                    ax_k.legend(fontsize=6, loc="best", framealpha=0.6)
            xs, ys = _series(recs, f"layer{l}.{source}.cosine", keep=moving)
            if xs:
                ax_c.plot(xs, ys, style, color=base, lw=1)
            xs, ys = _series(recs, f"layer{l}.{source}.cosine_raw", keep=moving)
            if xs:
                ax_c.plot(xs, ys, ":", color=base, lw=0.8, alpha=0.7)
            ax_c.axhline(0, color="gray", lw=0.5)
            ax_c.set_ylim(-1.05, 1.05)
            ax_c.set_title(f"layer {l}: cos(grad, W - W*)", fontsize=9)
            ax_c.set_ylabel("cosine")
            xs, ys = _series(recs, dkey)
            if xs:
                ax_n.plot(xs, ys, style, color=base, lw=1)
            xs, ys = _series(recs, f"layer{l}.{source}.dist_raw")
            if xs:
                ax_n.plot(xs, ys, ":", color=base, lw=0.8, alpha=0.7)
            ax_n.set_title(f"layer {l}: ||W - W*||_F", fontsize=9)
            ax_n.set_ylabel("distance")
            if any(run_aligned(r["instrument"]) for r in runs) and ri == len(runs) - 1:
                from matplotlib.lines import Line2D

                handles = [Line2D([], [], color="black", lw=1, label="W* = teacher aligned with the student"),
                           Line2D([], [], color="black", lw=0.8, ls=":", label="W* = teacher as drawn")]
                ax_c.legend(handles=handles, fontsize=6)
                ax_n.legend(handles=handles, fontsize=6)
    for ax, title, ylabel in zip(axes[0], ("training loss", "test loss", "test accuracy"),
                                 ("loss", "loss", "accuracy")):
        ax.set_title(title, fontsize=9)
        ax.set_ylabel(ylabel)
    if not any(_series(run["eval"], "test_acc")[0] for run in runs):
        axes[0][2].text(0.5, 0.5, "no accuracy (not a classifier)", ha="center", va="center",
                        transform=axes[0][2].transAxes)
        axes[0][2].set_yticks([])
    for ax in axes[-1]:
        ax.set_xlabel("passes over the training data")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=DPI)
    except OSError as exc:
        raise ValueError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return out


def run_aligned(records: list[dict]) -> bool:
    """Whether instrument records carry unaligned-teacher values (an aligned ``teacher`` reference)."""
    return any(k.endswith(".dist_raw") for r in records[:1] for k in r)
