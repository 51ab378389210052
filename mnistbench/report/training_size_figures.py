"""Figures for training-size curves and parameter sweeps (bare matplotlib Figures on the Agg
canvas, as in ``figures``): accuracy against size, fit and predict time against size with
the fitted power laws, and a swept parameter's accuracy and fit time. Names are drawn
literally (``figures._short``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from mnistbench.analysis.training_size import Sweep
from mnistbench.report.figures import FAMILY_PALETTE, LINE_STYLES, _new_figure, _short

MARKERS = "os^Dv<>p"
TIMEOUT_COLOUR = "#b45309"


def _styles(specs: list[str]) -> dict[str, dict]:
    """One colour per curve (cycling), line style and marker varying past the palette."""
    out = {}
    for i, spec in enumerate(specs):
        k = i // len(FAMILY_PALETTE)
        out[spec] = {
            "color": FAMILY_PALETTE[i % len(FAMILY_PALETTE)],
            "ls": LINE_STYLES[k % len(LINE_STYLES)],
            "marker": MARKERS[k % 8],
        }
    return out


def _finish(ax, xlabel: str, ylabel: str, *, logy: bool = False) -> None:
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.25)
    ax.spines[["top", "right"]].set_visible(False)


def _mark_stops(ax, table: pd.DataFrame, styles: dict[str, dict]) -> bool:
    """An ✕ on the x axis at each curve's first size that ran out of time."""
    stops = table[table["n_timeout"] > 0].groupby("model_spec", sort=False)["n"].min()
    where = blended_transform_factory(ax.transData, ax.transAxes)
    for spec, n in stops.items():
        ax.plot(
            [n],
            [0.03],
            marker="x",
            ms=9,
            mew=2.2,
            color=styles[spec]["color"],
            transform=where,
            clip_on=False,
            zorder=4,
        )
    return not stops.empty


def accuracy_vs_size(table: pd.DataFrame) -> Figure:
    """Test accuracy against training-set size (log x), one line per model, error bars
    over seeds; ✕ where a curve stopped (--task-timeout)."""
    fig = _new_figure(8.0, 4.4)
    ax = fig.add_subplot()
    specs = list(dict.fromkeys(table["model_spec"]))
    styles = _styles(specs)
    for spec in specs:
        rows = table[(table["model_spec"] == spec) & (table["n_ok"] > 0)]
        ax.errorbar(
            rows["n"],
            rows["accuracy"],
            yerr=np.nan_to_num(rows["accuracy_std"]),
            capsize=3,
            ms=5,
            lw=1.5,
            label=_short(spec, 36),
            **styles[spec],
        )
    if _mark_stops(ax, table, styles):
        ax.plot([], [], "x", color=TIMEOUT_COLOUR, label="ran out of time here")
    _finish(ax, "training-set size (rows, log scale)", "test accuracy")
    ax.legend(loc="lower right", fontsize=8, framealpha=0.9)
    return fig


def time_vs_size(table: pd.DataFrame, exponents: pd.DataFrame) -> Figure:
    """Fit and predict seconds against size, log-log, each model's fitted power law dashed
    and its exponent k in the legend; ✕ where a curve stopped."""
    fig = _new_figure(10.0, 4.2)
    axes = fig.subplots(1, 2)
    specs = list(dict.fromkeys(table["model_spec"]))
    styles = _styles(specs)
    k_of = exponents.set_index("model_spec") if not exponents.empty else pd.DataFrame()
    for ax, key, short, title in (
        (axes[0], "fit_wall_s", "fit", "fit time"),
        (axes[1], "predict_s", "predict", "predict time (test set)"),
    ):
        for spec in specs:
            rows = table[(table["model_spec"] == spec) & (table["n_ok"] > 0) & (table[key] > 0)]
            if rows.empty:
                continue
            k = k_of.loc[spec, f"k_{short}"] if spec in k_of.index else np.nan
            c = k_of.loc[spec, f"c_{short}"] if spec in k_of.index else np.nan
            label = _short(spec, 30) + (f" (k={k:.2f})" if np.isfinite(k) else "")
            style = styles[spec]
            ax.errorbar(
                rows["n"],
                rows[key],
                yerr=np.nan_to_num(rows[f"{key}_std"]),
                capsize=3,
                ms=5,
                lw=1.3,
                label=label,
                **style,
            )
            if np.isfinite(k):
                xs = np.geomspace(rows["n"].min(), rows["n"].max(), 20)
                ax.plot(xs, c * xs**k, color=style["color"], lw=0.9, ls=":", alpha=0.8)
        _mark_stops(ax, table, styles)
        _finish(ax, "training-set size (rows, log scale)", f"{title} (s, log scale)", logy=True)
        ax.legend(loc="upper left", fontsize=7, framealpha=0.9)
    return fig


def sweep_figure(sweep: Sweep) -> Figure:
    """Accuracy and fit time against the swept value, one line per combination of the
    other varying parameters, error bars over seeds."""
    fig = _new_figure(10.0, 3.8)
    ax_acc, ax_fit = fig.subplots(1, 2)
    points = sweep.points
    positions = {v: i for i, v in enumerate(sweep.values)}
    series = list(dict.fromkeys(points["series"]))
    styles = _styles(series)
    for name in series:
        rows = points[points["series"] == name]
        xs = (
            rows["x"].to_numpy(float)
            if sweep.numeric
            else np.array([positions[v] for v in rows["x"]], float)
        )
        for ax, key in ((ax_acc, "accuracy"), (ax_fit, "fit_wall_s")):
            ax.errorbar(
                xs,
                rows[key],
                yerr=np.nan_to_num(rows[f"{key}_std"]),
                capsize=3,
                ms=5,
                lw=1.4,
                label=_short(name, 40) if name else None,
                **styles[name],
            )
    numbers = np.asarray([v for v in sweep.values if sweep.numeric], float)
    log_x = (
        sweep.numeric and numbers.size and numbers.min() > 0 and numbers.max() / numbers.min() >= 20
    )
    for ax, ylabel in ((ax_acc, "test accuracy"), (ax_fit, "fit time (s, log scale)")):
        if log_x:
            ax.set_xscale("log")
        if not sweep.numeric:
            ax.set_xticks(
                range(len(sweep.values)),
                [_short(str(v), 16) for v in sweep.values],
                rotation=20 if len(sweep.values) > 4 else 0,
                fontsize=8,
            )
        ax.set_xlabel(_short(sweep.param, 40))
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.25)
        ax.spines[["top", "right"]].set_visible(False)
    ax_fit.set_yscale("log")
    if any(series):
        ax_acc.legend(fontsize=7, framealpha=0.9)
    return fig
