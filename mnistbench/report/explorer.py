"""The report's digit explorer, probability bars and confused pairs, from saved arrays only.

The harness stores, per task, its answers for the run's probe digits (``probe_*``), an
occlusion map (``occlusion`` from probabilities, ``occlusion_decision`` from a decision
function) and, where the model has them, input gradients (``saliency_grad``). The explorer
shows every model's answer, confidence, probabilities and saliency for one digit at a time:
the probe digits, and the digits most models of the run got wrong (found from the saved
predictions; only those whose image some model stored among its mistakes). Results written
before any of this was recorded still make a report: the section says "not recorded".
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from mnistbench.results import Result, SavedRun

#: Models listed per digit before "show all".
ROWS_SHOWN = 12
#: Digits most models got wrong, offered beside the probe digits.
OFTEN_WRONG = 8
CONFUSED_PAIRS = 3


def _png(rgb: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(
        buffer, format="PNG", optimize=True
    )
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _diverging(values: np.ndarray) -> np.ndarray:
    """Red for positive, blue for negative, white at zero, on the map's own symmetric scale."""
    v = np.nan_to_num(np.asarray(values, np.float64))
    limit = float(np.abs(v).max()) or 1.0
    t = np.clip(v / limit, -1, 1)[..., None]
    white = np.array([255.0, 255.0, 255.0])
    red, blue = np.array([185.0, 28.0, 28.0]), np.array([29.0, 78.0, 216.0])
    rgb = np.where(t >= 0, white + t * (red - white), white - t * (blue - white))
    return rgb.round().astype(np.uint8)


def heat_png(values: np.ndarray) -> str:
    """One map at its own pixel size (the page scales it up, pixelated) as a data URI."""
    return _png(_diverging(values))


def heat_strip(maps: np.ndarray) -> str:
    """Several maps side by side, one pixel of white between them, each on its own scale."""
    tiles = [_diverging(m) for m in maps]
    h = tiles[0].shape[0]
    gap = np.full((h, 1, 3), 255, np.uint8)
    parts: list[np.ndarray] = []
    for tile in tiles:
        parts += [tile, gap]
    return _png(np.concatenate(parts[:-1], axis=1))


def digit_src(image: np.ndarray) -> str:
    """A test digit as stored (uint8, ink high), ink on paper, at its own pixel size."""
    grey = 255 - np.asarray(image, np.uint8)
    return _png(np.repeat(grey[..., None], 3, axis=2))


def _first_seed(run: SavedRun) -> list[Result]:
    """One finished result per spec (its first seed), in the run's order."""
    chosen: dict[str, Result] = {}
    for res in run.results:
        if res.ok and res.record.spec not in chosen:
            chosen[res.record.spec] = res
    return list(chosen.values())


def _names(run: SavedRun, n: int) -> list[str]:
    names = list(run.meta.split.get("class_names") or [])
    return names if len(names) >= n else [str(i) for i in range(max(n, 10))]


def _shape_ok(array: Any, shape: tuple[int, ...]) -> bool:
    return isinstance(array, np.ndarray) and array.shape[: len(shape)] == shape


def _answer(
    res: Result, test_index: int, slot: int | None, true: int, names: Sequence[str]
) -> dict[str, Any]:
    """One model's answer for one test digit (``slot``: its place among the probes)."""
    a = res.arrays
    y_pred = a.get("y_pred")
    row: dict[str, Any] = {
        "spec": res.record.spec,
        "family": res.record.family or "",
        "pred": "–",
        "correct": None,
        "confidence": "–",
        "bars": [],
        "occ": None,
        "occ_kind": "",
        "grad": None,
        "grad_all": None,
    }
    if not isinstance(y_pred, np.ndarray) or not 0 <= test_index < len(y_pred):
        return row
    pred = int(y_pred[test_index])
    row["pred"] = names[pred] if 0 <= pred < len(names) else str(pred)
    row["correct"] = pred == true
    proba = a.get("proba")
    if isinstance(proba, np.ndarray) and proba.ndim == 2 and test_index < len(proba):
        p = np.asarray(proba[test_index], np.float64)
        row["confidence"] = f"{100 * float(p.max()):.0f} %"
        row["bars"] = [
            {
                "h": f"{100 * float(v):.1f}",
                "top": i == int(p.argmax()),
                "true": i == true,
                "title": f"{names[i] if i < len(names) else i}: {100 * float(v):.1f} %",
            }
            for i, v in enumerate(p)
        ]
    elif slot is not None and _shape_ok(a.get("probe_decision"), (slot + 1,)):
        scores = np.asarray(a["probe_decision"][slot], np.float64)
        order = np.sort(scores)
        row["confidence"] = f"margin {order[-1] - order[-2]:.2f}" if len(order) > 1 else "–"
    elif isinstance(a.get("decision_margin"), np.ndarray) and test_index < len(
        a["decision_margin"]
    ):
        row["confidence"] = f"margin {float(a['decision_margin'][test_index]):.2f}"
    if slot is not None:
        for key, kind in (("occlusion", "probability"), ("occlusion_decision", "score")):
            maps = a.get(key)
            if isinstance(maps, np.ndarray) and maps.ndim == 3 and slot < len(maps):
                row["occ"], row["occ_kind"] = heat_png(maps[slot]), kind
                break
        grads = a.get("saliency_grad")
        if isinstance(grads, np.ndarray) and grads.ndim == 4 and slot < len(grads):
            g = grads[slot]
            top = pred if 0 <= pred < len(g) else int(np.abs(g).sum(axis=(1, 2)).argmax())
            row["grad"] = heat_png(g[top])
            row["grad_all"] = heat_strip(g)
    return row


def _probe_set(
    results: Sequence[Result],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The run's probe digits (index, hard flag, true label, image) from the first task
    that recorded them whole."""
    for res in results:
        a = res.arrays
        index = a.get("probe_index")
        if not isinstance(index, np.ndarray) or index.ndim != 1 or not len(index):
            continue
        n = len(index)
        if all(_shape_ok(a.get(k), (n,)) for k in ("probe_hard", "probe_true", "probe_image")):
            return index, a["probe_hard"], a["probe_true"], a["probe_image"]
    return None


def _often_wrong(
    results: Sequence[Result], exclude: set[int], limit: int = OFTEN_WRONG
) -> list[tuple[int, int, int, np.ndarray]]:
    """(test index, how many models got it wrong, true label, image) of the digits most
    models got wrong, among those some model stored among its mistakes."""
    known: dict[int, tuple[int, np.ndarray]] = {}
    for res in results:
        a = res.arrays
        idx, true, img = a.get("mistake_index"), a.get("mistake_true"), a.get("mistake_image")
        if not (
            isinstance(idx, np.ndarray)
            and isinstance(true, np.ndarray)
            and isinstance(img, np.ndarray)
        ):
            continue
        if not len(idx) == len(true) == len(img):
            continue
        for i, t, im in zip(idx, true, img, strict=True):
            known.setdefault(int(i), (int(t), im))
    counts = []
    for i, (label, image) in known.items():
        if i in exclude:
            continue
        wrong = 0
        for res in results:
            y_pred = res.arrays.get("y_pred")
            if isinstance(y_pred, np.ndarray) and 0 <= i < len(y_pred):
                wrong += int(y_pred[i]) != label
        counts.append((i, wrong, label, image))
    counts.sort(key=lambda c: (-c[1], c[0]))
    return [c for c in counts if c[1] > 0][:limit]


def explorer_context(run: SavedRun, rows_shown: int = ROWS_SHOWN) -> dict[str, Any]:
    """Every digit the explorer offers, each with every model's answer (first seed)."""
    results = _first_seed(run)
    n_classes = int(run.meta.split.get("n_classes") or 10)
    names = _names(run, n_classes)
    probes = _probe_set(results)
    digits: list[dict[str, Any]] = []
    seen: set[int] = set()
    if probes is not None:
        index, hard, true, images = probes
        for slot, (i, h, t, im) in enumerate(zip(index, hard, true, images, strict=True)):
            i = int(i)
            seen.add(i)
            rows = [_answer(r, i, _slot(r, i, slot), int(t), names) for r in results]
            digits.append(
                {
                    "index": i,
                    "true": _name(names, int(t)),
                    "src": digit_src(im),
                    "group": "likely hard" if h else "easy",
                    "rows": rows,
                    "n_wrong": sum(r["correct"] is False for r in rows),
                }
            )
    for i, wrong, t, im in _often_wrong(results, seen):
        rows = [_answer(r, i, None, t, names) for r in results]
        digits.append(
            {
                "index": i,
                "true": _name(names, t),
                "src": digit_src(im),
                "group": "most get wrong",
                "rows": rows,
                "n_wrong": wrong,
            }
        )
    return {
        "digits": digits,
        "n_models": len(results),
        "rows_shown": rows_shown,
        "recorded": probes is not None,
        "class_names": names[:n_classes],
        "has_grad": any(isinstance(r.arrays.get("saliency_grad"), np.ndarray) for r in results),
        "probe_seconds": _seconds(results, "probe_seconds"),
        "curve_seconds": _seconds(results, "curve_seconds"),
    }


def _slot(res: Result, test_index: int, default: int) -> int | None:
    """Where ``test_index`` sits among this task's probe digits (None: not a probe there)."""
    index = res.arrays.get("probe_index")
    if not isinstance(index, np.ndarray) or index.ndim != 1:
        return None
    if default < len(index) and int(index[default]) == test_index:
        return default
    where = np.flatnonzero(index == test_index)
    return int(where[0]) if len(where) else None


def _name(names: Sequence[str], label: int) -> str:
    return names[label] if 0 <= label < len(names) else str(label)


def _seconds(results: Sequence[Result], key: str) -> str | None:
    values = [
        float(r.arrays[key])
        for r in results
        if isinstance(r.arrays.get(key), np.ndarray) and r.arrays[key].size == 1
    ]
    if not values:
        return None
    return f"median {np.median(values):.3f} s, max {max(values):.3f} s per task"


def confused_pairs(run: SavedRun, limit: int = CONFUSED_PAIRS) -> dict[str, list[str]]:
    """Per spec, the most frequent (true → predicted) confusions, summed over seeds."""
    out: dict[str, list[str]] = {}
    totals: dict[str, np.ndarray] = {}
    for res in run.results:
        cm = res.arrays.get("confusion") if res.ok else None
        if not isinstance(cm, np.ndarray) or cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
            continue
        spec = res.record.spec
        if spec in totals and totals[spec].shape != cm.shape:
            continue
        totals[spec] = totals.get(spec, 0) + cm
    for spec, cm in totals.items():
        names = _names(run, cm.shape[0])
        off = np.array(cm, dtype=np.int64)
        np.fill_diagonal(off, 0)
        flat = np.argsort(-off, axis=None, kind="stable")[:limit]
        pairs = []
        for k in flat:
            i, j = divmod(int(k), cm.shape[0])
            if off[i, j] > 0:
                pairs.append(f"{names[i]} → {names[j]} ({off[i, j]:,})")
        out[spec] = pairs
    return out
