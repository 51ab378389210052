"""Section 5 of the report: what each model learnt, drawn in pixel space (first seed)."""

from __future__ import annotations

from typing import Any

from mnistbench.report import figures as F
from mnistbench.report.per_spec import class_names, finished_by_spec
from mnistbench.results import SavedRun
from mnistbench.results.record import WeightInfo


def weight_maps(run: SavedRun, sink: F.FigureSink) -> list[dict[str, Any]]:
    """First seed's weight images per spec, captioned as the model describes them."""
    out = []
    for spec, results in finished_by_spec(run).items():
        res = results[0]
        images = res.arrays.get("weight_images")
        if images is None or images.ndim != 3 or images.size == 0:
            continue
        n_classes = len(run.meta.split.get("class_names") or []) or 10
        # Records from before models described their weights: one image per class is
        # the best guess there is.
        info = res.record.weights or WeightInfo(per_class=len(images) == n_classes)
        if info.per_class:
            caption = info.caption
            titles = class_names(run, len(images))
            fig = F.weight_grid(images, titles, shared_scale=True, columns=5)
        else:
            kind = info.caption
            shown = min(len(images), F.MAX_UNITS)
            caption = f"{kind}: {shown} of {len(images)}, each on its own symmetric scale"
            fig = F.weight_grid(images, None, shared_scale=False, columns=8)
        out.append(
            {
                "spec": spec,
                "caption": caption,
                "seed": res.record.seed,
                "src": sink.embed(fig, f"weights-{spec}"),
            }
        )
    return out
