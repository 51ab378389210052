"""Adding a model really is one file: a plug-in installed through the ``mnistbench.models``
entry points passes the conformance kit and the CI gate with the committed baseline as it
is (the gate judges the baseline's models and lists the plug-in as new, not judged).

The plug-in is a real installed distribution: a module and a ``*.dist-info`` folder with
its entry point, on ``PYTHONPATH`` of a fresh interpreter, as ``pip install`` leaves one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = "gate_plugin_nb"

MODULE = '''
"""Gaussian naive Bayes as a third-party plug-in: one module, one entry-point factory."""

from typing import Any, ClassVar

import numpy as np
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline

from mnistbench.models import ModelEntry
from mnistbench.models.sklearn_base import SklearnModel


class PluginNB(SklearnModel):
    """Each pixel a Gaussian per class."""

    defaults: ClassVar[dict[str, Any]] = {"var_smoothing": 0.05}
    weight_caption: ClassVar[str] = "class means"
    weights_per_class: ClassVar[bool] = True

    def make_pipeline(self) -> Pipeline:
        return Pipeline([("clf", GaussianNB(var_smoothing=self.var_smoothing))])

    @property
    def n_parameters(self) -> int:
        clf = self.pipeline_[-1]
        return int(clf.theta_.size + clf.var_.size + clf.class_prior_.size)

    def weight_images(self) -> np.ndarray:
        return self.pipeline_[-1].theta_.reshape(-1, *self.image_shape_).astype(np.float32)


def entries() -> list[ModelEntry]:
    return [ModelEntry("%(name)s", PluginNB, "Gaussian naive Bayes (a plug-in)")]
'''


def install_plugin(site: Path) -> dict[str, str]:
    """Write the distribution into ``site``; the environment of a Python that has it."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{PLUGIN}.py").write_text(MODULE % {"name": PLUGIN})
    dist = site / f"{PLUGIN}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PLUGIN}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[mnistbench.models]\n{PLUGIN} = {PLUGIN}:entries\n")
    path = os.pathsep.join([str(site), str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path.rstrip(os.pathsep), "TF_CPP_MIN_LOG_LEVEL": "2"}


def _python(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def test_a_plugin_passes_the_conformance_kit(tmp_path):
    env = install_plugin(tmp_path / "site")
    code = textwrap.dedent(f"""
        from mnistbench.models import registered_models
        from mnistbench.testing import check_model
        assert registered_models()[-1].name == "{PLUGIN}"
        print(check_model("{PLUGIN}"))
    """)
    proc = _python(env, "-c", code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"{PLUGIN} passes" in proc.stdout


@pytest.mark.slow
def test_the_gate_passes_with_a_plugin_and_the_committed_baseline(tmp_path):
    """The real gate (a seeded quick run of every model on mnist-5k, about a minute)."""
    from benchmarks.gate import BASELINE
    from mnistbench.results import load_run

    env = install_plugin(tmp_path / "site")
    before = sorted(p.name for p in BASELINE.rglob("*"))
    proc = _python(env, "-m", "benchmarks.gate", "--out", str(tmp_path / "runs"))
    out = " ".join((proc.stdout + proc.stderr).split())  # the table may wrap lines
    assert proc.returncode == 0, out[-3000:]
    note = out[out.index("new, not judged:") :].split("(not in the baseline")[0]
    assert PLUGIN in note  # listed beside any other model the baseline lacks
    assert "tensorflow" not in proc.stderr.lower()  # no retracing warnings from the gate
    assert "no regression" in out
    run = load_run(tmp_path / "runs" / "current")
    assert PLUGIN in [r.record.spec for r in run.results if r.ok]  # it ran, and was not judged
    assert sorted(p.name for p in BASELINE.rglob("*")) == before  # no refresh


def test_compare_judges_the_baseline_and_lists_a_new_model(tmp_path, capsys):
    """What the gate asks of compare, on a real run of the plug-in on the gate's data beside
    the committed baseline's records: without ``--allow-new`` the runs are not comparable."""
    import shutil

    from benchmarks.gate import BASELINE, DATASET, SEED
    from mnistbench.analysis.compare import compare_runs
    from mnistbench.cli import main
    from mnistbench.results import load_run

    env = install_plugin(tmp_path / "site")
    argv = ["--models", PLUGIN, "--dataset", DATASET, "--seeds", str(SEED), "--threads", "1"]
    out = tmp_path / "runs"
    proc = _python(env, "-m", "mnistbench", "run", *argv, "--out", str(out), "--run-id", "cur")
    assert proc.returncode == 0, proc.stderr[-3000:]
    current = out / "cur"
    for record in (BASELINE / "tasks").glob("*.json"):  # the baseline's models, unchanged
        shutil.copy2(record, current / "tasks" / record.name)
    baseline, run = load_run(BASELINE), load_run(current)

    strict = compare_runs(baseline, run, metrics=["error_rate"])
    assert not strict.ok and any(PLUGIN in p for p in strict.problems)
    gate = compare_runs(baseline, run, metrics=["error_rate"], allow_new=True)
    assert gate.ok and gate.problems == [] and gate.unmatched_current == [PLUGIN]
    assert f"new, not judged: {PLUGIN} (not in the baseline {baseline.run_id})" in gate.notes
    assert PLUGIN not in list(gate.table["spec"])
    assert len(gate.table) == len(baseline.results)

    compare = ["compare", str(BASELINE), str(current), "--metrics", "error_rate"]
    assert main(compare) == 2
    capsys.readouterr()
    assert main([*compare, "--allow-new"]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert f"note new, not judged: {PLUGIN}" in printed and "no regression" in printed
