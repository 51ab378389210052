"""The CI gate: it fails when a change lowers a model's accuracy beyond the threshold."""

from __future__ import annotations

import json
import shutil

import pytest


def test_baseline_copy_with_one_model_a_point_worse_fails(tmp_path, capsys):
    from benchmarks.gate import BASELINE
    from mnistbench.analysis.compare import DEFAULT_THRESHOLDS
    from mnistbench.cli import main

    worse = tmp_path / "worse"
    shutil.copytree(BASELINE, worse)
    (task,) = [
        p
        for p in (worse / "tasks").glob("*.json")
        if json.loads(p.read_text())["spec"].startswith("mlp")
    ]
    record = json.loads(task.read_text())
    record["metrics"]["accuracy"] -= 0.01
    record["metrics"]["error_rate"] += 0.01
    task.write_text(json.dumps(record))
    argv = [
        "--metrics",
        "error_rate",
        "--max-error-increase",
        str(DEFAULT_THRESHOLDS.max_error_increase),
    ]
    assert main(["compare", str(BASELINE), str(BASELINE), *argv]) == 0
    capsys.readouterr()
    assert main(["compare", str(BASELINE), str(worse), *argv]) == 1
    out = capsys.readouterr().out
    assert "regression" in out and "mlp:epochs=2,min_steps=0" in out


@pytest.mark.slow
def test_gate_fails_on_a_weakened_model(tmp_path, capsys, monkeypatch):
    """The real gate (a seeded quick run, ~20 s) after a "change" to k-NN's tuned defaults
    that cripples it (a 2-D PCA): the spec stays ``knn``, its accuracy drops."""
    from benchmarks.gate import main
    from mnistbench.models import get_entry

    monkeypatch.setitem(get_entry("knn").cls.defaults, "pca_components", 2)
    status = main(["--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 1
    assert "regression knn:" in out
    assert "linear_svc" in out  # the other models were compared too, and passed
