"""Section 3 of the report: accuracy against fit time, one point per model with error bars
over seeds and the Pareto frontier drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mnistbench.report import figures as F


def tradeoff_figure(agg: pd.DataFrame, sink: F.FigureSink) -> str | None:
    """The scatter of the models (``aggregate``'s rows) that finished with a fit time."""
    if agg.empty or "fit_wall_s" not in agg or "accuracy" not in agg:
        return None
    ok = agg[agg["fit_wall_s"].gt(0) & agg["accuracy"].notna()]
    if ok.empty:
        return None
    fig = F.accuracy_vs_time(
        list(ok["spec"]),
        list(ok["family"].fillna("")),
        ok["fit_wall_s"].to_numpy(),
        ok.get("fit_wall_s_std", pd.Series(np.nan, ok.index)).to_numpy(),
        ok["accuracy"].to_numpy(),
        ok.get("accuracy_std", pd.Series(np.nan, ok.index)).to_numpy(),
    )
    return sink.embed(fig, "accuracy-vs-fit-time")
