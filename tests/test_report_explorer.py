"""The report's digit explorer, classical learning curves, ranked mistakes and the model
filter (issue 12), built from the shared real run (``report_run`` in conftest.py)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np

from mnistbench.report import write_report
from mnistbench.report.explorer import ROWS_SHOWN

NEW_ARRAYS = (
    "probe_index",
    "probe_hard",
    "probe_true",
    "probe_image",
    "probe_proba",
    "probe_decision",
    "occlusion",
    "occlusion_decision",
    "saliency_grad",
    "decision_margin",
    "mistake_margin",
    "probe_seconds",
    "curve_seconds",
)


def _specs(html: str) -> list[str]:
    return re.findall(r'<input type="checkbox" class="spec-filter" value="([^"]+)"', html)


def test_explorer_shows_every_model_for_every_digit(report_html):
    html = report_html.read_text()
    assert '<section id="explorer">' in html
    specs = _specs(html)
    assert len(specs) == 7
    panels = html.split('class="digit-panel"')[1:]
    assert len(panels) >= 12  # the probe digits, then digits most models get wrong
    assert html.count('<button type="button" class="probe') == len(panels)
    assert "likely hard" in html and "easy" in html and "most get wrong" in html
    for panel in panels:
        rows = re.findall(r'<tr class="answer[^"]*" data-spec="([^"]+)"', panel)
        assert [r.replace("&#34;", '"') for r in rows] == specs
    first = panels[0]
    assert first.count('alt="occlusion map of') == len(specs)  # every model has one
    assert first.count('alt="gradient map of') == 3  # the Keras models
    assert "margin " in first and " %" in first  # decision margins and probabilities
    assert 'class="bars"' in first


def test_classical_curves_ranked_mistakes_and_confused_pairs(report_html):
    html = report_html.read_text()
    assert 'alt="every model\'s learning curve against elapsed seconds"' in html
    assert re.search(
        r'<summary class="mono">sgd</summary>\s*<p class="axis">replayed after '
        r"the timed fit",
        html,
    )
    assert "ranked by decision margin" in html
    assert "most confused (true → predicted, all seeds)" in html


def test_runs_without_saliency_still_report(report_run, tmp_path):
    """Results written before issue 12: no probe arrays, no classical histories."""
    run = tmp_path / "old"
    shutil.copytree(report_run, run)
    for npz in (run / "tasks").glob("*.npz"):
        with np.load(npz) as data:
            arrays = {k: data[k] for k in data.files if k not in NEW_ARRAYS}
        np.savez_compressed(npz, **arrays)
    for path in (run / "tasks").glob("*.json"):
        record = json.loads(path.read_text())
        if record.get("family") == "classical":
            record["history"] = []
        path.write_text(json.dumps(record))
    html = write_report([run], tmp_path / "old.html").read_text()
    assert "Saliency and probe digits were not recorded for this run" in html
    assert "not recorded" in html and 'alt="occlusion map of' not in html
    assert "replayed after the timed fit" not in html
    assert '<section id="explorer">' in html


def test_explorer_limits_rows_to_stay_readable(report_run, tmp_path):
    """Thirty models: every answer is in the page, the first few shown until 'show all'."""
    from benchmarks.report_build import widen

    wide = widen(Path(report_run), tmp_path / "wide", 30)
    html = write_report([wide], tmp_path / "wide.html").read_text()
    assert len(_specs(html)) == 30
    panel = html.split('class="digit-panel"')[1]
    assert len(re.findall(r'<tr class="answer', panel)) == 30
    assert len(re.findall(r'<tr class="answer extra"', panel)) == 30 - ROWS_SHOWN
    assert "show all 30 models" in panel
