"""Matplotlib figures for the report, drawn on the Agg canvas without pyplot.

Figures are built as bare ``Figure`` objects (no global pyplot state, nothing opens a
window), then embedded as base64 PNG and, with ``--figures-dir``, also written as PNG and
SVG files for papers and slides.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import MaxNLocator

from mnistbench.files import atomic_write, slug

# Families are coloured in order of appearance: the report knows no family by name.
FAMILY_PALETTE = ("#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#6b7280")
SEED_ALPHAS = (1.0, 0.55, 0.35, 0.25)
MAX_UNITS = 32
DPI = 110


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


class FigureSink:
    """Turns figures into ``data:`` URIs, and also into files when a directory is given."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self.written: list[Path] = []

    def embed(self, fig: Figure, name: str) -> str:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI)
        png = buffer.getvalue()
        if self.directory is not None:
            stem = slug(name)
            svg = io.BytesIO()
            fig.savefig(svg, format="svg")
            for suffix, data in ((".png", png), (".svg", svg.getvalue())):
                target = self.directory / f"{stem}{suffix}"
                atomic_write(target, data)
                self.written.append(target)
        return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def pareto_front(times: Sequence[float], accuracies: Sequence[float]) -> list[int]:
    """Indices of the points no other point beats on both time (lower) and accuracy (higher),
    ordered by time."""
    order = sorted(range(len(times)), key=lambda i: (times[i], -accuracies[i]))
    front, best = [], -np.inf
    for i in order:
        if accuracies[i] > best:
            front.append(i)
            best = accuracies[i]
    return front


def accuracy_vs_time(
    labels: Sequence[str],
    families: Sequence[str],
    times: np.ndarray,
    time_std: np.ndarray,
    accuracy: np.ndarray,
    accuracy_std: np.ndarray,
) -> Figure:
    """Accuracy against fit time (log axis), error bars over seeds, Pareto frontier."""
    fig = _new_figure(8.0, 4.6)
    ax = fig.add_subplot()
    times = np.asarray(times, float)
    accuracy = np.asarray(accuracy, float)
    t_err = np.nan_to_num(np.asarray(time_std, float))
    a_err = np.nan_to_num(np.asarray(accuracy_std, float))
    lower = np.minimum(t_err, times * 0.9)  # a log axis cannot go below zero
    front = pareto_front(list(times), list(accuracy))
    if len(front) > 1:
        xs, ys = times[front], accuracy[front]
        ax.step(
            xs,
            ys,
            where="post",
            color="#9ca3af",
            lw=1.5,
            ls="--",
            zorder=1,
            label="Pareto frontier",
        )
    elif front:
        ax.plot([], [], color="#9ca3af", ls="--", label="Pareto frontier")
    for k, family in enumerate(dict.fromkeys(families)):
        idx = [i for i, f in enumerate(families) if f == family]
        ax.errorbar(
            times[idx],
            accuracy[idx],
            yerr=a_err[idx],
            xerr=[lower[idx], t_err[idx]],
            fmt="o",
            ms=7,
            capsize=3,
            color=FAMILY_PALETTE[k % len(FAMILY_PALETTE)],
            label=_literal(family or "other"),
            zorder=3,
        )
    numbered = len(labels) > MAX_NAMED_POINTS  # a wide run: names would pile into a cloud
    for i, label in enumerate(labels):
        if numbered and i not in front:
            text, size, weight = str(i + 1), 6.5, "normal"
        else:
            text = f"{i + 1} {_short(label)}" if numbered else _short(label)
            size, weight = 8, "bold" if i in front else "normal"
        ax.annotate(
            text,
            (times[i], accuracy[i]),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize=size,
            fontweight=weight,
            color="#111827",
        )
    if numbered:  # the key: every number with its name, beside the plot
        _number_key(fig, labels)
    ax.set_xscale("log")
    ax.set_xlabel("fit time (s, log scale)")
    ax.set_ylabel("test accuracy")
    ax.grid(True, which="both", alpha=0.25)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    if len(times):
        lo, hi = np.nanmin(times - lower), np.nanmax(times + t_err)
        if 0 < lo and hi < np.finfo(float).max / 2.2:  # (a hostile file's times may not be)
            ax.set_xlim(lo / 1.6, hi * 2.2)  # room for the labels on the right
    return fig


#: above this many points, only the Pareto frontier is named on the plot; every point is
#: numbered and the numbers are keyed beside it
MAX_NAMED_POINTS = 12
_KEY_ROWS = 34


def _number_key(fig: Figure, labels: Sequence[str]) -> None:
    """``n name`` for every point, in columns to the right of the plot."""
    columns = -(-len(labels) // _KEY_ROWS)
    per = -(-len(labels) // columns)  # balanced columns
    width, height = fig.get_size_inches()
    fig.set_size_inches(width + 2.1 * columns, max(height, 0.13 * per))
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):  # as every figure here is (_new_figure)
        engine.set(rect=(0, 0, width / (width + 2.1 * columns), 1))
    for c in range(columns):
        rows = labels[c * per : (c + 1) * per]
        text = "\n".join(f"{c * per + i + 1:>3} {_short(r, 30)}" for i, r in enumerate(rows))
        fig.text(
            (width + 0.1 + 2.1 * c) / (width + 2.1 * columns),
            0.97,
            text,
            va="top",
            ha="left",
            fontsize=6.5,
            family="monospace",
            color="#374151",
        )


def _short(label: str, limit: int = 28) -> str:
    """A name shortened for a figure, drawn literally (see :func:`_literal`)."""
    return _literal(label if len(label) <= limit else label[: limit - 1] + "…")


def _literal(text: str) -> str:
    """``text`` as matplotlib draws it literally: an escaped ``$`` never starts
    mathematics, so a ``$...$`` in a model or class name is text, not a formula."""
    return text.replace("$", r"\$")


def weight_grid(
    images: np.ndarray, titles: Sequence[str] | None, *, shared_scale: bool, columns: int
) -> Figure:
    """A grid of weight images. Signed weights get a diverging map centred on zero (one
    scale for all when ``shared_scale``, so templates compare); non-negative ones, grey."""
    images = np.asarray(images, float)[:MAX_UNITS]
    n = len(images)
    columns = max(1, min(columns, n))
    rows = int(np.ceil(n / columns))
    signed = bool(np.nanmin(images) < 0)
    fig = _new_figure(1.25 * columns + (0.6 if shared_scale else 0), 1.3 * rows + 0.1)
    axes = fig.subplots(rows, columns, squeeze=False)
    limit = float(np.nanmax(np.abs(images))) or 1.0
    mappable = None
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        img = images[i]
        if signed:
            lim = limit if shared_scale else (float(np.nanmax(np.abs(img))) or 1.0)
            mappable = ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
        else:
            mappable = ax.imshow(img, cmap="gray_r", interpolation="nearest")
        if titles is not None and i < len(titles):
            ax.set_title(_short(str(titles[i]), 14), fontsize=9)
    if shared_scale and mappable is not None:
        fig.colorbar(mappable, ax=axes, shrink=0.8, pad=0.02)
    return fig


def learning_curves(
    histories: Sequence[Sequence[dict]], seeds: Sequence[int], target: float | None = None
) -> Figure:
    """Loss and accuracy per epoch, training solid and validation dashed, one shade per
    seed; the top axis gives the elapsed seconds of the first seed."""
    fig = _new_figure(9.0, 3.0)
    ax_loss, ax_acc = fig.subplots(1, 2)
    loss_key = _loss_key(histories)
    for k, (history, seed) in enumerate(zip(histories, seeds, strict=True)):
        alpha = SEED_ALPHAS[min(k, len(SEED_ALPHAS) - 1)]
        epochs = [row.get("epoch", i + 1) for i, row in enumerate(history)]
        for ax, metric in ((ax_loss, loss_key), (ax_acc, "accuracy")):
            for prefix, style, colour in (("", "-", "#2563eb"), ("val_", "--", "#dc2626")):
                values = [row.get(prefix + metric) for row in history]
                if all(v is None for v in values):
                    continue
                name = "validation" if prefix else "training"
                ax.plot(
                    epochs,
                    [np.nan if v is None else v for v in values],
                    style,
                    marker="o",
                    ms=3,
                    color=colour,
                    alpha=alpha,
                    label=f"{name} (seed {seed})" if len(seeds) > 1 else name,
                )
    for ax, metric in ((ax_loss, loss_key), (ax_acc, "accuracy")):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric.replace("_", " "))
        ax.grid(True, alpha=0.25)
        ax.spines[["right"]].set_visible(False)
    n_epochs = max((len(h) for h in histories), default=1)
    for ax in (ax_loss, ax_acc):  # an axis with no data of its own still spans the epochs
        ax.set_xlim(0.7, n_epochs + 0.3)
    if target is not None:
        ax_acc.axhline(target, color="#059669", lw=1, ls=":", label=f"target {target:g}")
    fig.legend(
        *ax_acc.get_legend_handles_labels(), loc="outside right upper", fontsize=7, frameon=False
    )
    first = histories[0] if histories else []
    first_epochs = np.array([row.get("epoch", i + 1) for i, row in enumerate(first)], float)
    elapsed = np.array([row.get("elapsed_s", np.nan) for row in first], float)
    if len(first_epochs) > 1 and np.all(np.isfinite(elapsed)) and np.all(np.diff(elapsed) > 0):
        for ax in (ax_loss, ax_acc):
            top = ax.secondary_xaxis(
                "top",
                functions=(
                    lambda e, x=first_epochs, y=elapsed: np.interp(e, x, y),
                    lambda s, x=first_epochs, y=elapsed: np.interp(s, y, x),
                ),
            )
            top.set_xlabel("elapsed s (first seed)", fontsize=8)
            top.xaxis.set_major_locator(MaxNLocator(4))
            top.tick_params(labelsize=7)
    return fig


def _loss_key(histories: Sequence[Sequence[dict]]) -> str:
    """``loss`` (log loss) where any row has it, else ``hinge_loss`` (models that have only
    a decision function)."""
    rows = [row for history in histories for row in history]
    if any("loss" in row for row in rows) or not any("hinge_loss" in row for row in rows):
        return "loss"
    return "hinge_loss"


LINE_STYLES = ("-", "--", "-.", ":")


def curves_by_time(
    histories: Sequence[Sequence[dict]], labels: Sequence[str], families: Sequence[str]
) -> Figure:
    """Every model's validation accuracy and training loss against elapsed seconds, on one
    log time axis (one history per model, its first seed); colour by family, line style
    and marker cycle within a family."""
    fig = _new_figure(10.0, 3.6 + 0.12 * max(0, len(labels) - 10))
    ax_acc, ax_loss = fig.subplots(1, 2)
    seen: dict[str, int] = {}
    palette = list(dict.fromkeys(families))
    for history, label, family in zip(histories, labels, families, strict=True):
        k = seen.get(family, 0)
        seen[family] = k + 1
        colour = FAMILY_PALETTE[palette.index(family) % len(FAMILY_PALETTE)]
        style = dict(
            ls=LINE_STYLES[k % len(LINE_STYLES)],
            marker="os^Dv<>p"[k % 8],
            ms=3,
            color=colour,
            lw=1.3,
        )
        t = np.array([row.get("elapsed_s", np.nan) for row in history], float)
        keep = np.isfinite(t) & (t > 0)
        acc = np.array([row.get("val_accuracy", np.nan) for row in history], float)
        key = "loss" if any("loss" in row for row in history) else "hinge_loss"
        loss = np.array([row.get(key, np.nan) for row in history], float)
        short = _short(label, 32) + (" (hinge)" if key == "hinge_loss" else "")
        if np.isfinite(acc[keep]).any():
            ax_acc.plot(t[keep], acc[keep], label=short, **style)
        if np.isfinite(loss[keep]).any():
            ax_loss.plot(t[keep], loss[keep], label=short, **style)
    for ax, name in ((ax_acc, "validation accuracy"), (ax_loss, "training loss")):
        ax.set_xscale("log")
        ax.set_xlabel("elapsed s (log scale)")
        ax.set_ylabel(name)
        ax.grid(True, which="both", alpha=0.25)
        ax.spines[["top", "right"]].set_visible(False)
    handles: dict[str, Any] = {}
    for ax in (ax_acc, ax_loss):
        for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(text, handle)
    if handles:
        fig.legend(
            list(handles.values()),
            list(handles),
            loc="outside right upper",
            fontsize=7,
            frameon=False,
            ncols=1 if len(handles) <= 18 else 2,
        )
    return fig


def f1_heatmap(matrix: np.ndarray, rows: Sequence[str], columns: Sequence[str]) -> Figure:
    """Per-class F1, models by classes, each cell annotated."""
    matrix = np.asarray(matrix, float)
    fig = _new_figure(max(6.0, 0.75 * len(columns) + 2.8), 0.42 * len(rows) + 1.3)
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(
        range(len(columns)),
        [_short(c, 12) for c in columns],
        rotation=30 if max(map(len, columns), default=0) > 2 else 0,
        ha="right" if max(map(len, columns), default=0) > 2 else "center",
        fontsize=8,
    )
    ax.set_yticks(range(len(rows)), [_short(r, 32) for r in rows], fontsize=8)
    for (i, j), value in np.ndenumerate(matrix):
        if np.isfinite(value):
            ax.text(
                j,
                i,
                f"{value:.2f}",
                ha="center",
                va="center",
                fontsize=7,
                color="black" if value > 0.6 else "white",
            )
    fig.colorbar(image, ax=ax, label="F1", shrink=0.9)
    return fig


def digit_png(image: np.ndarray, size: int = 56) -> str:
    """A small ink-on-paper PNG of one test image (uint8), as a ``data:`` URI."""
    from PIL import Image

    pixels = 255 - np.asarray(image, dtype=np.uint8)
    img = Image.fromarray(pixels, mode="L")
    scale = max(1, size // max(pixels.shape))
    img = img.resize((pixels.shape[1] * scale, pixels.shape[0] * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
