"""Figures of a run or of several runs overlaid (the paper's Figure 2 layout, plus the instruments).

Top row: training loss, test loss and test accuracy versus weights updated (Sinha et al., 2020,
section 4: "the X-axis is the number of weights updated"), DANTE in blue and SGD in green as in the
paper, other methods in other colours. Below, one row per layer: the kappa estimate
``eps ||g|| / <g, W_l - W_l*>`` on a log scale with the claimed kappa dashed, and the cosine between
the gradient and ``W_l - W_l*``, versus the iterate index. Panels whose data are missing are skipped.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Sequence

__all__ = ["load_run", "plot_runs", "METHOD_COLORS"]

METHOD_COLORS = {"dante": "tab:blue", "sgd": "tab:green", "momentum": "tab:olive", "adam": "tab:red",
                 "adagrad": "tab:purple", "rmsprop": "tab:brown", "altmin-sgd": "tab:cyan"}


def load_run(source) -> dict:
    """Read a run: a run directory, a ``metrics.jsonl`` path, or a live :class:`dante.TrainResult`.

    Returns:
        ``{"label", "method", "eval": [...], "instrument": [...]}``.

    Raises:
        ValueError: the path holds no ``metrics.jsonl``.
    """
    from .runlog import read_jsonl

    if hasattr(source, "history"):
        cfg = source.config
        return {"label": f"{cfg.method} lr={cfg.lr:g}", "method": cfg.method, "eval": list(source.history),
                "instrument": list(source.instruments)}
    path = Path(source)
    metrics = path / "metrics.jsonl" if path.is_dir() else path
    if not metrics.is_file():
        raise ValueError(f"no metrics.jsonl in {path}")
    cfg_path = metrics.parent / "config.json"
    cfg = json.loads(cfg_path.read_text()) if cfg_path.is_file() else {}
    method = cfg.get("method", "run")
    records = list(read_jsonl(metrics))
    label = f"{method} lr={cfg['lr']:g}" if "lr" in cfg else metrics.parent.name
    return {"label": f"{label} ({metrics.parent.name})", "method": method,
            "eval": [r for r in records if r.get("kind", "eval") == "eval"],
            "instrument": sorted((r for r in records if r.get("kind") == "instrument"), key=lambda r: r["step"])}


def _series(records, key, xkey):
    xs, ys = [], []
    for r in records:
        v = r.get(key)
        if v is None or r.get(xkey) is None:
            continue
        xs.append(r[xkey])
        ys.append(float(v))
    return xs, ys


def plot_runs(sources: Sequence, out: str | Path, source: str = "full", eps: float | None = None) -> Path:
    """Draw the runs into one PNG.

    Args:
        sources: run directories, ``metrics.jsonl`` files or live results.
        out: output PNG path.
        source: instrument source, ``full`` or ``batch``.
        eps: which epsilon's kappa estimate to draw (default: the first logged).

    Returns:
        The written path.
    """
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    runs = [load_run(s) for s in sources]
    layer_keys: dict[int, set] = {}
    pat = re.compile(rf"^layer(\d+)\.{source}\.kappa_est@(.+)$")
    for run in runs:
        for rec in run["instrument"][:1] + run["instrument"][-1:]:
            for k in rec:
                mm = pat.match(k)
                if mm:
                    layer_keys.setdefault(int(mm.group(1)), set()).add(mm.group(2))
    eps_keys = sorted({e for s in layer_keys.values() for e in s}, key=float)
    e_key = f"{eps:g}" if eps is not None else (eps_keys[0] if eps_keys else None)
    layers = sorted(layer_keys)
    nrows = 1 + len(layers)
    fig, axes = plt.subplots(nrows, 3, figsize=(15, 3.6 * nrows), squeeze=False)
    seen_colors: dict[str, int] = {}
    for run in runs:
        base = METHOD_COLORS.get(run["method"], "tab:gray")
        n = seen_colors.get(base, 0)
        seen_colors[base] = n + 1
        style = ["-", "--", ":", "-."][n % 4]
        for ax, key, title in zip(axes[0], ("train_loss", "test_loss", "test_acc"),
                                  ("training loss", "test loss", "test accuracy")):
            xs, ys = _series(run["eval"], key, "weights_updated")
            if xs:
                ax.plot(xs, ys, style, color=base, label=run["label"])
            ax.set_title(title)
            ax.set_xlabel("weights updated")
        for row, l in enumerate(layers, start=1):
            ax_k, ax_c, ax_n = axes[row]
            if e_key is not None:
                key = f"layer{l}.{source}.kappa_est@{e_key}"
                xs, ys = _series(run["instrument"], key, "step")
                fin = [(x, y) for x, y in zip(xs, ys) if math.isfinite(y) and y > 0]
                if fin:
                    ax_k.plot(*zip(*fin), style, color=base, marker=".", ms=3, label=run["label"])
                inf_x = [x for x, y in zip(xs, ys) if not math.isfinite(y)]
                if inf_x:  # inner <= 0: no finite kappa; marked along the top edge of the panel
                    ax_k.plot(inf_x, [0.97 - 0.04 * runs.index(run)] * len(inf_x), "x", color=base, ms=4,
                              transform=ax_k.get_xaxis_transform())
                cx, cy = _series(run["instrument"], f"layer{l}.{source}.claimed_kappa@{e_key}", "step")
                if cx:
                    ax_k.plot(cx, cy, "--", color="black", lw=1, label="claimed kappa" if run is runs[0] else None)
                if fin or cx:
                    ax_k.set_yscale("log")
                ax_k.set_title(f"layer {l}: kappa estimate (eps={e_key}; x at top: inner <= 0)", fontsize=9)
                ax_k.set_xlabel("iteration")
            xs, ys = _series(run["instrument"], f"layer{l}.{source}.cosine", "step")
            if xs:
                ax_c.plot(xs, ys, style, color=base, lw=1)
            ax_c.axhline(0, color="gray", lw=0.5)
            ax_c.set_title(f"layer {l}: cos(grad, W - W*)")
            ax_c.set_xlabel("iteration")
            xs, ys = _series(run["instrument"], f"layer{l}.{source}.dist", "step")
            if xs:
                ax_n.plot(xs, ys, style, color=base, lw=1)
            ax_n.set_title(f"layer {l}: ||W - W*||")
            ax_n.set_xlabel("iteration")
    if not any(_series(run["eval"], "test_acc", "weights_updated")[0] for run in runs):
        axes[0][2].text(0.5, 0.5, "no accuracy (not a classifier)", ha="center", va="center", transform=axes[0][2].transAxes)
        axes[0][2].set_xticks([])
        axes[0][2].set_yticks([])
    axes[0][0].legend(fontsize=7)
    if layers:
        axes[1][0].legend(fontsize=7)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
