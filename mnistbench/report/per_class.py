"""Section 7 of the report: F1 per class (mean over seeds) and each model's most confident
mistakes (first seed)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mnistbench.report import figures as F
from mnistbench.report.per_spec import class_names, finished_by_spec
from mnistbench.results import SavedRun

MISTAKES_PER_MODEL = 12


def f1_figure(run: SavedRun, sink: F.FigureSink) -> str | None:
    specs, rows = [], []
    for spec, results in finished_by_spec(run).items():
        f1 = [
            r.record.metrics.per_class.f1
            if r.record.metrics and r.record.metrics.per_class
            else None
            for r in results
        ]
        f1 = [v for v in f1 if v]
        if f1:
            specs.append(spec)
            rows.append(np.mean(np.asarray(f1, float), axis=0))
    if not rows:
        return None
    width = max(len(r) for r in rows)
    matrix = np.full((len(rows), width), np.nan)
    for i, r in enumerate(rows):
        matrix[i, : len(r)] = r
    return sink.embed(F.f1_heatmap(matrix, specs, class_names(run, width)), "per-class-f1")


def mistake_gallery(run: SavedRun, limit: int = MISTAKES_PER_MODEL) -> list[dict[str, Any]]:
    """The first seed's most confident mistakes per spec."""
    out = []
    for spec, results in finished_by_spec(run).items():
        res = results[0]
        arrays = res.arrays
        images = arrays.get("mistake_image")
        if images is None:
            continue
        names = class_names(run, int(run.meta.split.get("n_classes") or 10))
        conf = arrays.get("mistake_confidence")
        margin = arrays.get("mistake_margin") if conf is None else None
        items = []
        for k in range(min(limit, len(images))):
            true, pred = int(arrays["mistake_true"][k]), int(arrays["mistake_pred"][k])
            items.append(
                {
                    "src": F.digit_png(images[k]),
                    "true": names[true] if true < len(names) else str(true),
                    "pred": names[pred] if pred < len(names) else str(pred),
                    "confidence": f"{100 * float(conf[k]):.0f} %"
                    if conf is not None
                    else f"margin {float(margin[k]):.2f}"
                    if margin is not None and k < len(margin)
                    else "–",
                }
            )
        out.append(
            {
                "spec": spec,
                "seed": res.record.seed,
                "digits": items,
                "has_confidence": conf is not None,
                "has_margin": margin is not None,
            }
        )
    return out
