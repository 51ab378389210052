"""The 95 % interval of each model's accuracy, one definition for every view that shows it
(the report's summary and significance sections, the gap to the published best)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mnistbench.analysis.statistics import seed_interval


def accuracy_intervals(frame: pd.DataFrame) -> dict[str, tuple[float, float, bool]]:
    """Per spec: the 95 % interval of its accuracy over the test digits (the Wilson
    interval each record holds, averaged over seeds) and, with several seeds, widened to
    cover Student's t interval over the seeds: a deterministic model repeats itself
    exactly over seeds, yet its accuracy is still an estimate from a finite test set."""
    out = {}
    ok = frame[frame["status"] == "ok"]
    for spec, group in ok.groupby("spec", sort=False):
        low = pd.to_numeric(group["accuracy_ci_low"], errors="coerce").mean()
        high = pd.to_numeric(group["accuracy_ci_high"], errors="coerce").mean()
        over_seeds = len(group) > 1
        if over_seeds:
            t_low, t_high = seed_interval(group["accuracy"].astype(float).tolist())
            low = np.nanmin([low, t_low])
            high = np.nanmax([high, t_high])
        out[str(spec)] = (low, high, over_seeds)
    return out
