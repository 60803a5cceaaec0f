"""Training curves in the layout of the paper's Figures 2, 5, 6, 7.

One row per network, three columns (training loss, test accuracy, test loss), methods as coloured
lines with a +-1 std band over seeds (on log axes the band is clipped at half the smallest mean, so
it never runs off the plot, and the top is cut at 10x the largest starting loss, so that a diverged
run leaves through the top instead of squashing the others). The x-axis is the number of weights updated (as in the paper) or the
wall time in seconds; every axis carries its quantity as y label. One colour per method in every
figure (:data:`COLORS`; DANTE blue and SGD green as in the paper, DANTE's T values in shades of
blue). The plotter skips quantities a run did not log. Where a row has a DANTE series with its
``config``, DANTE's phases are shaded on every panel of the row: the passes in which it trains an
odd-numbered layer (layer 1 of a one-hidden-layer net), as its round-robin schedule places them
(:func:`dante_phases`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

if os.environ.get("MPLBACKEND") is None:  # headless default; an explicit MPLBACKEND wins
    matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

import numpy as np  # noqa: E402

from .stats import curve_mean_std  # noqa: E402

X_LABELS = {"weights_updated": "weights updated", "wall_time": "wall time (s)", "step": "step"}
Y_COLUMNS = (("train_loss", "training loss"), ("test_acc", "test accuracy"), ("test_loss", "test loss"))
COLORS = {
    "dante": "tab:blue", "sgd": "tab:green", "momentum": "tab:orange", "adam": "tab:red",
    "adagrad": "tab:purple", "rmsprop": "tab:brown", "dante+momentum": "tab:cyan", "altmin-sgd": "tab:olive",
    "T1": "#9ecae1", "T2": "#6baed6", "T5": "tab:blue", "T10": "#08519c", "T20": "#08306b",
}
_SPARE = ("tab:gray", "tab:pink", "black", "#bcbd22", "#8c564b")
DPI = 150


def color_of(key: str, index: int = 0) -> str:
    """The colour of a method key (:data:`COLORS`); ``method@x`` variants (e.g. a fixed learning
    rate) take a spare colour by ``index``, never one of another method."""
    return COLORS.get(key, _SPARE[index % len(_SPARE)])
LOSS_COLUMNS = (("train_loss", "training loss"), ("test_loss", "test loss"))
PHASE_COLOR = "tab:blue"


def layer_sequence(n_layers: int, order: str = "paper") -> list[int]:
    """The round-robin order of :class:`dante.TrainConfig`'s ``layer_order`` (layers 1..L):
    ``paper`` is L..1 for one hidden layer (Algorithm 2) and 1..L for deeper nets.

    Example:
        >>> layer_sequence(2), layer_sequence(4), layer_sequence(3, "backward")
        ([2, 1], [1, 2, 3, 4], [3, 2, 1])
    """
    if order == "backward" or (order == "paper" and n_layers == 2):
        return list(range(n_layers, 0, -1))
    return list(range(1, n_layers + 1))


def dante_phases(config: dict[str, Any], histories: Sequence[Sequence[dict[str, Any]]],
                 x_key: str) -> list[tuple[float, float, int]]:
    """``[(x_start, x_end, layer)]``: DANTE's phases of ``T = sngd_epochs`` passes each, in the
    order of :func:`layer_sequence`, placed on ``x_key`` through the seeds' mean (epoch -> x) curve.
    Empty for another method, a greedy scheme, or histories without epochs."""
    if config.get("method") != "dante" or config.get("scheme", "round-robin") != "round-robin":
        return []
    t = max(1, int(config.get("sngd_epochs") or 1))
    n_layers = len(str(config.get("arch", "")).split("-")) - 1
    epochs = int(config.get("epochs") or 0)
    curve = curve_mean_std(histories, "epoch", x_key)
    if n_layers < 2 or not epochs or len(curve["x"]) < 2:
        return []
    seq = layer_sequence(n_layers, str(config.get("layer_order", "paper")))
    out, e, k = [], 0, 0
    while e < epochs:
        e1 = min(e + t, epochs)
        out.append((float(np.interp(e, curve["x"], curve["mean"])), float(np.interp(e1, curve["x"], curve["mean"])),
                    seq[k % n_layers]))
        e, k = e1, k + 1
    return out


def plot_rows(
    rows: Sequence[dict[str, Any]],
    path: str | os.PathLike,
    x_key: str = "weights_updated",
    title: str = "",
    columns: Sequence[tuple[str, str]] = Y_COLUMNS,
) -> Path:
    """Plot a grid of curves and save it as PNG.

    Args:
        rows: one dict per figure row: ``{"title": str, "series": [{"label", "key",
            "histories": [history per seed]}]}``; ``key`` picks the colour.
        path: the PNG file to write.
        x_key: ``"weights_updated"`` or ``"wall_time"``.
        title: the figure title.
        columns: ``(history key, axis label)`` per column.

    Returns:
        The path written.
    """
    n = max(1, len(rows))
    fig, axes = plt.subplots(n, len(columns), figsize=(4.2 * len(columns) + 2.6, 2.6 * n), squeeze=False,
                             sharex="col" if n > 1 else False)
    shaded = False
    for r, row in enumerate(rows):
        src = next((s for s in row["series"] if s.get("key") == "dante" and s.get("config")), None)
        phases = dante_phases(src["config"], src["histories"], x_key) if src else []
        for c, (y_key, y_label) in enumerate(columns):
            ax = axes[r][c]
            for x0, x1, layer in phases:
                if layer % 2 == 1:
                    ax.axvspan(x0, x1, color=PHASE_COLOR, alpha=0.08, lw=0)
                    shaded = True
            log = y_key.endswith("loss")
            curves = [(i, s, curve_mean_std(s["histories"], x_key, y_key)) for i, s in enumerate(row["series"])]
            curves = [t for t in curves if t[2]["x"]]
            pos = [m for _, _, cur in curves for m in cur["mean"] if m > 0]
            floor = 0.5 * min(pos) if log and pos else None
            spare = 0
            for i, s, cur in curves:
                key = s.get("key", "")
                color = color_of(key, spare)
                spare += key not in COLORS
                ax.plot(cur["x"], cur["mean"], label=s["label"], color=color, lw=1.3)
                lo = [m - d for m, d in zip(cur["mean"], cur["std"])]
                hi = [m + d for m, d in zip(cur["mean"], cur["std"])]
                if floor is not None:  # a band below 0 has no place on a log axis: clip it
                    lo = [max(v, floor) for v in lo]
                ax.fill_between(cur["x"], lo, hi, color=color, alpha=0.2, lw=0)
            if log:
                ax.set_yscale("log")
                lo_hi = [m for _, _, cur in curves for m in cur["mean"] if m > 0]
                if lo_hi and max(lo_hi) / min(lo_hi) > 30:  # several decades: label the decades only
                    ax.yaxis.set_minor_formatter(NullFormatter())
                if floor is not None:
                    ax.set_ylim(bottom=floor)
                starts = [cur["mean"][0] for _, _, cur in curves if cur["mean"] and cur["mean"][0] > 0]
                if starts and max(m for _, _, cur in curves for m in cur["mean"]) > 10 * max(starts):
                    ax.set_ylim(top=10 * max(starts))  # a diverged run leaves through the top, not squashing the rest
            if r == 0:
                ax.set_title(y_label, fontsize=9)
            ax.set_ylabel(f"{row['title']}\n{y_label}" if c == 0 else y_label, fontsize=7)
            if r == n - 1:
                ax.set_xlabel(X_LABELS.get(x_key, x_key), fontsize=8)
            ax.tick_params(which="both", labelsize=7)
            if r == 0 and c == len(columns) - 1 and ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)  # outside: no curve hidden
    if shaded:
        title = (title + "; " if title else "") + "shaded: DANTE's phases on layer 1 (odd layers)"
    if title:
        fig.suptitle(title, fontsize=10)
    # fixed margins instead of tight_layout (which renders the figure twice; slow on a busy CPU)
    fig.subplots_adjust(left=0.085, right=0.80, bottom=0.5 / (2.6 * n) + 0.04, top=1 - 0.75 / (2.6 * n),
                        wspace=0.28, hspace=0.35)
    path = Path(path)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
