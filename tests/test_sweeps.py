"""Parameter sweeps in a spec: a list value expands into one spec per value (the cartesian
product for several), each its own label, comparable, resumable and plotted."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

import mnistbench
from mnistbench.analysis.compare import compare_runs
from mnistbench.analysis.training_size import sweeps
from mnistbench.errors import ModelSpecError
from mnistbench.models import apply_settings, parse_spec, parse_spec_list
from mnistbench.models.specs import MAX_SWEEP, expand_spec
from mnistbench.report import write_report
from mnistbench.report.training_size_figures import sweep_figure


def test_a_list_is_a_sweep_and_a_tuple_a_value():
    assert [s.label for s in parse_spec_list("knn:n_neighbors=[1,3,5,10]")] == [
        f"knn:n_neighbors={k}" for k in (1, 3, 5, 10)
    ]
    labels = [
        s.label for s in parse_spec_list("mlp:hidden_units=[(128,),(512,256)],dropout=[0,0.2],knn")
    ]
    assert labels == [
        "mlp:dropout=0.0,hidden_units=(128,)",
        "mlp:dropout=0.2,hidden_units=(128,)",
        "mlp:dropout=0.0,hidden_units=(512,256)",
        "mlp:dropout=0.2,hidden_units=(512,256)",
        "knn",
    ]
    assert parse_spec("mlp:hidden_units=(64,32)").label == "mlp:hidden_units=(64,32)"
    # each variant is an ordinary spec: its label parses back to itself
    assert all(parse_spec(label).label == label for label in labels)
    assert [
        s.label for s in apply_settings(parse_spec_list("knn,sgd"), ["knn.n_neighbors=[2,4]"])
    ] == ["knn:n_neighbors=2", "knn:n_neighbors=4", "sgd"]
    # a spec selected twice (in a sweep and by hand) runs once
    assert len(parse_spec_list("knn:n_neighbors=[3,5],knn:n_neighbors=3")) == 2


def test_sweeps_that_cannot_be_run_are_refused_clearly():
    with pytest.raises(ModelSpecError, match="write a tuple"):
        parse_spec_list("mlp:hidden_units=[64,32]")
    with pytest.raises(ModelSpecError, match="sweeps over no value"):
        parse_spec_list("knn:n_neighbors=[]")
    with pytest.raises(ModelSpecError, match="combinations"):
        expand_spec(f"knn:n_neighbors={list(range(1, 41))},leaf_size={list(range(1, 31))}")
    assert 40 * 30 > MAX_SWEEP
    with pytest.raises(ModelSpecError, match="sweep of 2"):
        parse_spec("knn:n_neighbors=[1,2]")


def test_a_knn_sweep_gives_four_comparable_results_and_a_plot(tmp_path):
    run = mnistbench.run(
        models="knn:n_neighbors=[1,3,5,10]",
        dataset="digits",
        seeds=[0, 1],
        out=tmp_path,
        run_id="sweep",
        threads=1,
    )
    frame = run.to_frame()
    labels = [f"knn:n_neighbors={k}" for k in (1, 3, 5, 10)]
    assert list(dict.fromkeys(frame["spec"])) == labels and (frame["status"] == "ok").all()
    assert len(set(frame["task_id"])) == 8
    comparison = compare_runs(run, run)
    assert sorted(comparison.table["spec"]) == sorted(labels) and comparison.ok
    (sweep,) = sweeps(run)
    assert sweep.param == "n_neighbors" and sweep.values == [1, 3, 5, 10] and sweep.numeric
    assert list(sweep.points["n_seeds"]) == [2, 2, 2, 2]
    assert isinstance(sweep_figure(sweep), Figure)
    html = write_report([run.path], tmp_path / "r.html").read_text()
    assert 'id="sweeps"' in html and "knn: n_neighbors" in html
    assert 'id="scaling"' not in html  # one size: no curve section
