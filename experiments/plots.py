"""Training curves in the layout of the paper's Figures 2, 5, 6, 7.

One row per network, three columns (training loss, test accuracy, test loss), methods as coloured
lines with a +-1 std band over seeds (on log axes the band is clipped at half the smallest mean, so
it never runs off the plot). The x-axis is the number of weights updated (as in the paper) or the
wall time in seconds; every axis carries its quantity as y label. One colour per method in every
figure (:data:`COLORS`; DANTE blue and SGD green as in the paper, DANTE's T values in shades of
blue). The plotter skips quantities a run did not log.
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
    fig, axes = plt.subplots(n, len(columns), figsize=(4.2 * len(columns), 2.6 * n), squeeze=False)
    for r, row in enumerate(rows):
        for c, (y_key, y_label) in enumerate(columns):
            ax = axes[r][c]
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
                ax.yaxis.set_minor_formatter(NullFormatter())
                if floor is not None:
                    ax.set_ylim(bottom=floor)
            if r == 0:
                ax.set_title(y_label, fontsize=9)
            ax.set_ylabel(f"{row['title']}\n{y_label}" if c == 0 else y_label, fontsize=7)
            if r == n - 1:
                ax.set_xlabel(X_LABELS.get(x_key, x_key), fontsize=8)
            ax.tick_params(labelsize=7)
            if r == 0 and c == len(columns) - 1 and ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    # fixed margins instead of tight_layout (which renders the figure twice; slow on a busy CPU)
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.5 / (2.6 * n) + 0.04, top=1 - 0.75 / (2.6 * n),
                        wspace=0.25, hspace=0.35)
    path = Path(path)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
