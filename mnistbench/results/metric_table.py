"""The one table of metrics: key, label, unit, which direction is better, how it is shown.

The terminal summary, the HTML report, ``compare``, the aggregation over seeds and the asv
suite all read this table, so a new metric is one row here (and its value in the record).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from mnistbench.errors import MnistbenchError


@dataclass(frozen=True)
class Metric:
    """One measured quantity of a task.

    ``source`` says where the record keeps it (``metrics``, ``timing`` or the record
    itself); ``change`` how a comparison expresses a difference (``delta``: current - base,
    judged against the error threshold; ``ratio``: current / base, judged against the
    slowdown threshold); the flags say who shows it by default.
    """

    key: str
    label: str
    unit: str
    better: str  # "higher" or "lower"
    fmt: str  # a kind understood by format_value
    source: str
    change: str = "delta"
    terminal: bool = False  # a column of the terminal summary
    report: bool = False  # a column of the HTML summary
    compare: bool = False  # judged by `mnistbench compare` unless --metrics says otherwise
    asv: bool = False  # an asv track_<key> benchmark (asv reads smaller as better)
    phase: str | None = None  # the timed phase whose disturbance verdict covers it

    @property
    def higher_is_better(self) -> bool:
        return self.better == "higher"


METRICS: tuple[Metric, ...] = (
    Metric(
        "accuracy",
        "accuracy",
        "fraction",
        "higher",
        "acc",
        "metrics",
        terminal=True,
        report=True,
        compare=True,
    ),
    Metric(
        "error_rate",
        "error",
        "error rate",
        "lower",
        "pct",
        "metrics",
        report=True,
        compare=True,
        asv=True,
    ),
    Metric(
        "log_loss",
        "log loss",
        "nats",
        "lower",
        "f4",
        "metrics",
        terminal=True,
        report=True,
        asv=True,
    ),
    Metric(
        "macro_f1", "macro-F1", "fraction", "higher", "f4", "metrics", terminal=True, report=True
    ),
    Metric(
        "fit_wall_s",
        "fit s",
        "s",
        "lower",
        "sec",
        "timing",
        "ratio",
        terminal=True,
        report=True,
        compare=True,
        phase="fit",
    ),
    Metric("fit_cpu_s", "fit CPU s", "s", "lower", "sec", "timing", "ratio", phase="fit"),
    Metric(
        "predict_s",
        "predict s",
        "s",
        "lower",
        "sec",
        "timing",
        "ratio",
        terminal=True,
        report=True,
        compare=True,
        phase="predict",
    ),
    Metric(
        "predict_throughput",
        "digits / s",
        "digits/s",
        "higher",
        "int",
        "timing",
        "ratio",
        report=True,
        phase="predict",
    ),
    Metric(
        "latency_p50_s",
        "latency p50 ms",
        "s",
        "lower",
        "ms",
        "timing",
        "ratio",
        terminal=True,
        report=True,
        phase="latency",
    ),
    Metric(
        "latency_p95_s",
        "latency p95 ms",
        "s",
        "lower",
        "ms",
        "timing",
        "ratio",
        report=True,
        phase="latency",
    ),
    Metric("fit_peak_rss_mb", "peak MB", "MB", "lower", "int", "timing", "ratio", report=True),
    Metric(
        "n_parameters",
        "parameters",
        "parameters",
        "lower",
        "int",
        "record",
        "ratio",
        terminal=True,
        report=True,
    ),
    # Seconds into the fit to the run's target validation accuracy (``--target-accuracy``),
    # from the saved history; inf where it was never reached, none without a history.
    Metric(
        "time_to_accuracy_s",
        "time to target s",
        "s",
        "lower",
        "reach",
        "record",
        "ratio",
        report=True,
        asv=True,
        phase="fit",
    ),
    # Training FLOP/s of the fit: the arithmetic counted from the layers over the fit time
    # (Keras models; none for the others).
    Metric(
        "flop_rate",
        "train GFLOP/s",
        "FLOP/s",
        "higher",
        "giga",
        "record",
        "ratio",
        report=True,
        phase="fit",
    ),
)

BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}


def metric(key: str) -> Metric:
    """The row for ``key``; a clear error naming the known keys otherwise."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise MnistbenchError(f"unknown metric {key!r}; known: {', '.join(BY_KEY)}") from None


def selected(flag: str) -> list[Metric]:
    """The rows whose ``flag`` (terminal, report, compare, asv) is set, in table order."""
    return [m for m in METRICS if getattr(m, flag)]


def record_value(record: Any, m: Metric) -> Any:
    """The value of ``m`` in a TaskRecord (None where the record has none)."""
    holder = record if m.source == "record" else getattr(record, m.source, None)
    return getattr(holder, m.key, None) if holder is not None else None


def finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def format_value(value: Any, kind: str) -> str:
    """One number as a table cell shows it; missing values become an en dash (a time to
    accuracy that never came, "not reached")."""
    if kind == "reach" and value is not None and value == math.inf:
        return "not reached"
    if not finite(value):
        return "–"
    v = float(value)
    if kind in ("acc", "f4"):
        return f"{v:.4f}"
    if kind == "pct":
        return f"{100 * v:.2f} %"
    if kind == "giga":
        return f"{v / 1e9:.2f}"
    if kind in ("sec", "reach"):
        return f"{v:.3f}" if v < 10 else f"{v:.1f}"
    if kind == "ms":
        return f"{1e3 * v:.2f}"
    if kind == "int":
        return f"{v:,.0f}"
    if kind == "ratio":
        return f"{v:.2f}×"
    if kind == "signed":
        return f"{v:+.4f}"
    return f"{v:.4g}"


def format_change(value: Any, m: Metric) -> str:
    """A comparison's change for ``m``: a ratio, points for rates, or a signed delta."""
    if not finite(value):
        return "–"
    if m.change == "ratio":
        return format_value(value, "ratio")
    if m.fmt == "pct":
        return f"{100 * float(value):+.2f} pt"
    return format_value(value, "signed")
