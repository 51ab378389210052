"""Growth and sweeps, from saved results: how accuracy and cost change with the training-set
size (``--train-sizes``) and with a swept parameter (``knn:n_neighbors=[1,3,5,10]``).

Values only, shared by the terminal summary and the report. A curve is one ``model_spec``
measured at several sizes; its growth exponent k is the least-squares slope of log time
against log size over the sizes where every seed finished (time ∝ n^k). A sweep is a group
of specs of one model and preset, measured at one size, whose parameters differ.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mnistbench.results import SavedRun

#: the timings a growth exponent is fitted to
GROWTH_METRICS = ("fit_wall_s", "predict_s")


def curve_points(run: SavedRun) -> pd.DataFrame:
    """One row per task with its curve (``model_spec``) and its size in rows (the whole
    training part, recorded as None, filled in from the run's split)."""
    frame = run.to_frame()
    if frame.empty:
        return frame.assign(n=pd.Series(dtype=float))
    n_train = (run.meta.split or {}).get("n_train")
    sizes = pd.to_numeric(frame["train_size"], errors="coerce")
    frame["n"] = sizes.fillna(float(n_train) if n_train else np.nan)
    return frame


def curve_table(points: pd.DataFrame) -> pd.DataFrame:
    """Per curve and size: accuracy, fit and predict seconds (mean and sd over ok seeds),
    ok and timed-out seed counts. Sizes ascending within a curve, curves in run order."""
    columns = [
        "model_spec",
        "family",
        "n",
        "n_ok",
        "n_timeout",
        "accuracy",
        "accuracy_std",
        "fit_wall_s",
        "fit_wall_s_std",
        "predict_s",
        "predict_s_std",
    ]
    if points.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for (spec, n), group in points.groupby(["model_spec", "n"], sort=False):
        ok = group[group["status"] == "ok"]
        row: dict[str, Any] = {
            "model_spec": spec,
            "family": group["family"].iloc[0] or "",
            "n": float(n),
            "n_ok": len(ok),
            "n_timeout": int((group["status"] == "timeout").sum()),
        }
        for key in ("accuracy", *GROWTH_METRICS):
            values = pd.to_numeric(ok[key], errors="coerce").dropna()
            row[key] = float(values.mean()) if len(values) else math.nan
            row[f"{key}_std"] = float(values.std(ddof=1)) if len(values) > 1 else math.nan
        rows.append(row)
    order = {s: i for i, s in enumerate(dict.fromkeys(points["model_spec"]))}
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(
        ["model_spec", "n"], key=lambda c: c.map(order) if c.name == "model_spec" else c
    ).reset_index(drop=True)


def is_curve(table: pd.DataFrame) -> bool:
    """Whether some model was measured at two sizes or more."""
    return bool(not table.empty and (table.groupby("model_spec")["n"].nunique() > 1).any())


def power_law(n: Sequence[float], t: Sequence[float]) -> tuple[float, float] | None:
    """(k, c) of t ≈ c · n^k, least squares on log-log; None with fewer than two sizes or
    a time that is not positive."""
    n_arr, t_arr = np.asarray(n, float), np.asarray(t, float)
    keep = np.isfinite(n_arr) & np.isfinite(t_arr) & (n_arr > 0) & (t_arr > 0)
    if len(np.unique(n_arr[keep])) < 2:
        return None
    k, log_c = np.polyfit(np.log(n_arr[keep]), np.log(t_arr[keep]), 1)
    return float(k), float(math.exp(log_c))


def growth_exponents(table: pd.DataFrame) -> pd.DataFrame:
    """Per curve: the fitted exponent k of fit and of predict time (``k_fit``,
    ``k_predict``, with ``c_*`` the constant), the sizes it was fitted on, and where the
    curve stopped (the smallest size that ran out of its budget; NaN: it did not)."""
    rows = []
    for spec, group in table.groupby("model_spec", sort=False):
        finished = group[(group["n_ok"] > 0) & (group["n_timeout"] == 0)]
        row: dict[str, Any] = {
            "model_spec": spec,
            "family": group["family"].iloc[0],
            "sizes": [int(n) for n in finished["n"]],
        }
        for key, short in (("fit_wall_s", "fit"), ("predict_s", "predict")):
            fit = power_law(finished["n"], finished[key])
            row[f"k_{short}"], row[f"c_{short}"] = fit if fit else (math.nan, math.nan)
        stopped = group.loc[group["n_timeout"] > 0, "n"]
        row["stopped_at"] = float(stopped.min()) if len(stopped) else math.nan
        largest = finished.iloc[-1] if len(finished) else None
        row["largest_n"] = float(largest["n"]) if largest is not None else math.nan
        row["accuracy_at_largest"] = float(largest["accuracy"]) if largest is not None else math.nan
        rows.append(row)
    return pd.DataFrame(
        rows,
        columns=[
            "model_spec",
            "family",
            "sizes",
            "k_fit",
            "c_fit",
            "k_predict",
            "c_predict",
            "stopped_at",
            "largest_n",
            "accuracy_at_largest",
        ],
    )


@dataclass(frozen=True)
class Crossover:
    """Where ``leader`` overtakes ``other`` in accuracy as the training set grows."""

    leader: str
    other: str
    between: tuple[int, int]  # the two measured sizes around the crossing
    at: float  # the crossing, interpolated on log size

    def describe(self) -> str:
        return (
            f"{self.leader} overtakes {self.other} at about n={self.at:,.0f} "
            f"(between {self.between[0]:,} and {self.between[1]:,})"
        )


def crossovers(table: pd.DataFrame) -> list[Crossover]:
    """Every pair of curves whose accuracy order flips between two sizes both measured,
    the crossing interpolated linearly in log n."""
    acc = table[table["n_ok"] > 0].pivot_table(
        index="n", columns="model_spec", values="accuracy", sort=True
    )
    specs = list(dict.fromkeys(table["model_spec"]))
    out = []
    for i, a in enumerate(specs):
        for b in specs[i + 1 :]:
            if a not in acc or b not in acc:
                continue
            both = acc[[a, b]].dropna()
            diff = (both[a] - both[b]).to_numpy()
            sizes = both.index.to_numpy(float)
            for j in range(len(diff) - 1):
                d0, d1 = diff[j], diff[j + 1]
                if d0 == 0 or d0 * d1 >= 0:
                    continue
                lo, hi = math.log(sizes[j]), math.log(sizes[j + 1])
                at = math.exp(lo + (hi - lo) * d0 / (d0 - d1))
                leader, other = (a, b) if d1 > 0 else (b, a)
                out.append(Crossover(leader, other, (int(sizes[j]), int(sizes[j + 1])), at))
    return sorted(out, key=lambda c: c.at)


# ------------------------------------------------------------------ sweeps


@dataclass
class Sweep:
    """Specs of one model and preset at one size that differ in ``param`` (the x axis) and
    possibly in others (one line per combination of those, named in ``series``)."""

    model: str
    preset: str | None
    n: float
    param: str
    values: list[Any]  # x values in order (numbers, or text for anything else)
    numeric: bool
    points: pd.DataFrame  # spec, series, x, accuracy(+_std), fit_wall_s(+_std), n_seeds
    others: list[str] = field(default_factory=list)  # the other parameters that vary


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "(" + ",".join(_text(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def sweeps(run: SavedRun) -> list[Sweep]:
    """Every group of specs of one model and preset, at one training size, whose recorded
    parameters differ: a sweep written as a list (``knn:n_neighbors=[1,3,5,10]``) or the
    same variants written one by one. The x axis is the varying parameter with the most
    values; the other varying ones name the lines."""
    points = curve_points(run)
    if points.empty:
        return []
    params: dict[str, dict[str, Any]] = {}
    for res in sorted(run.results, key=lambda r: r.record.seed):
        if res.ok and res.record.spec not in params:
            params[res.record.spec] = res.record.params
    ok = points[(points["status"] == "ok") & points["spec"].isin(params)]
    out = []
    for (model, n), group in ok.groupby(["model", "n"], sort=False):
        for preset, sub in group.groupby(group["preset"].fillna(""), sort=False):
            specs = list(dict.fromkeys(sub["spec"]))
            if len(specs) < 2:
                continue
            sweep = _sweep(str(model), preset or None, float(n), specs, params, sub)
            if sweep is not None:
                out.append(sweep)
    return out


def _sweep(
    model: str,
    preset: str | None,
    n: float,
    specs: list[str],
    params: dict[str, dict[str, Any]],
    frame: pd.DataFrame,
) -> Sweep | None:
    keys = sorted({k for s in specs for k in params[s]})
    shown = {
        k: [json.dumps(params[s].get(k), sort_keys=True, default=str) for s in specs] for k in keys
    }
    varying = [k for k in keys if len(set(shown[k])) > 1]
    if not varying:
        return None
    param = max(varying, key=lambda k: (len(set(shown[k])), -varying.index(k)))
    others = [k for k in varying if k != param]
    raw: list[Any] = [params[s].get(param) for s in specs]  # JSON values, None if unset
    numeric = all(_is_number(v) for v in raw)
    rows = []
    for spec, value in zip(specs, raw, strict=True):
        tasks = frame[frame["spec"] == spec]
        row: dict[str, Any] = {
            "spec": spec,
            "x": float(value) if numeric else _text(value),
            "series": ", ".join(f"{k}={_text(params[spec].get(k))}" for k in others),
            "n_seeds": len(tasks),
        }
        for key in ("accuracy", "fit_wall_s"):
            values = pd.to_numeric(tasks[key], errors="coerce").dropna()
            row[key] = float(values.mean()) if len(values) else math.nan
            row[f"{key}_std"] = float(values.std(ddof=1)) if len(values) > 1 else math.nan
        rows.append(row)
    table = pd.DataFrame(rows)
    if numeric:
        table = table.sort_values(["series", "x"], kind="stable").reset_index(drop=True)
    values = list(dict.fromkeys(table["x"]))
    return Sweep(model, preset, n, param, values, numeric, table, others)
