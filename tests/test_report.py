"""The HTML report, built from a real run (``report_run`` in conftest.py)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mnistbench.cli import main
from mnistbench.errors import ResultsError
from mnistbench.report import write_report
from mnistbench.report.tables import generic_table

SECTIONS = ("header", "summary", "tradeoff", "confusion", "weights", "curves", "perclass", "tuned")
XSS = "<script>alert(1)</script>"


def _copy(run: Path, tmp_path: Path, name: str = "copy") -> Path:
    target = tmp_path / name
    shutil.copytree(run, target)
    meta = json.loads((target / "run.json").read_text())
    meta["run_id"] = name
    (target / "run.json").write_text(json.dumps(meta))
    return target


def _edit_records(run: Path, change) -> None:
    for path in sorted((run / "tasks").glob("*.json")):
        record = json.loads(path.read_text())
        change(record)
        path.write_text(json.dumps(record))


def _edit_meta(run: Path, change) -> None:
    meta = json.loads((run / "run.json").read_text())
    change(meta)
    (run / "run.json").write_text(json.dumps(meta))


def test_report_holds_sections_one_to_eight_and_is_self_contained(report_html):
    html = report_html.read_text()
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    assert 'id="compare"' not in html  # one run: no comparison
    assert report_html.stat().st_size < 10 * 2**20
    # Nothing is fetched: no external scripts, styles or images.
    assert not re.search(r'(src|href)="(?!data:|#)', html)
    assert "<link" not in html
    for spec in ("linear_svc@notebook", "knn", "cnn:epochs=1,min_steps=0"):
        assert spec in html
    assert html.count('<img src="data:image/png;base64,') > 20
    assert "class templates" in html and "first-layer filters" in html
    assert "first-layer units" in html and "class means" in html
    assert "fit speedup" in html  # section 8 from analysis.speedups


def test_user_strings_are_escaped(report_run, tmp_path):
    run = _copy(report_run, tmp_path)

    def poison(record):
        record["params"]["note"] = XSS
        record["spec"] = record["spec"] + XSS if record["model"] == "knn" else record["spec"]

    _edit_records(run, poison)
    _edit_meta(run, lambda m: m.update(data_source=XSS, dataset="csv:/tmp/" + XSS))
    html = write_report([run], tmp_path / "r.html").read_text()
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<script>") == 1  # our own sorting script only


def test_failed_tasks_are_listed(report_run, tmp_path):
    run = _copy(report_run, tmp_path)

    def fail(record):
        if record["model"] == "sgd" or (record["model"] == "knn" and record["seed"] == 1):
            record.update(status="error", error="ValueError: the model blew up")
            for key in ("metrics", "timing", "history", "n_parameters"):
                record.pop(key, None)

    _edit_records(run, fail)
    for npz in (run / "tasks").glob("sgd*.npz"):
        npz.unlink()
    html = write_report([run], tmp_path / "r.html").read_text()
    assert "3 task(s) failed" in html
    assert "ValueError: the model blew up" in html
    assert 'class="failed"' in html and "0/2" in html and "1/2" in html


def test_parallel_timings_are_flagged(report_run, tmp_path):
    run = _copy(report_run, tmp_path)
    _edit_records(run, lambda r: r.update(parallel_jobs=2))
    html = write_report([run], tmp_path / "r.html").read_text()
    assert "Timings disturbed" in html and "--jobs 2" in html
    clean = write_report([report_run], tmp_path / "clean.html").read_text()
    assert "Timings disturbed" not in clean


def test_class_names_of_other_data_sets(report_run, tmp_path):
    from mnistbench.data.catalogue import lookup

    run = _copy(report_run, tmp_path)

    def fashion(meta):
        meta["dataset"] = "fashion-mnist"
        meta["split"]["class_names"] = list(lookup("fashion-mnist").class_names)

    _edit_meta(run, fashion)
    html = write_report([run], tmp_path / "r.html").read_text()
    assert "fashion-mnist" in html
    assert "Ankle boot" in html and "T-shirt" in html


def test_full_size_images_render(tmp_path):
    """28x28 digits (mnist-5k) as well as the 8x8 ones of the shared fixture."""
    out = tmp_path / "results"
    assert (
        main(
            [
                "run",
                "--dataset",
                "mnist-5k",
                "--models",
                "sgd",
                "--out",
                str(out),
                "--run-id",
                "m5k",
                "--quiet",
            ]
        )
        == 0
    )
    html = write_report([out / "m5k"], tmp_path / "r.html").read_text()
    assert "mnist-5k" in html and "28×28" in html
    assert "Per-class F1" in html


def test_report_never_trains(report_run, tmp_path, monkeypatch):
    import mnistbench.harness.runner as runner
    import mnistbench.models as models

    def no_training(*args, **kwargs):
        raise AssertionError("the report must not train")

    monkeypatch.setattr(models, "get_model", no_training)
    monkeypatch.setattr(runner, "run_task", no_training)
    assert write_report([report_run], tmp_path / "r.html").exists()


def test_failed_build_leaves_no_file(report_run, tmp_path, monkeypatch):
    import mnistbench.report.html as html_module

    target = tmp_path / "out" / "r.html"
    target.parent.mkdir()
    target.write_text("old report")

    def broken(context):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(html_module, "render", broken)
    with pytest.raises(RuntimeError):
        write_report([report_run], target)
    assert target.read_text() == "old report"
    assert [p.name for p in target.parent.iterdir()] == ["r.html"]


def test_unreadable_run_is_a_results_error(tmp_path):
    with pytest.raises(ResultsError):
        write_report([tmp_path / "missing"], tmp_path / "r.html")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "run.json").write_text("{not json")
    with pytest.raises(ResultsError):
        write_report([tmp_path / "bad"], tmp_path / "r.html")


def test_cli_report(report_run, tmp_path, capsys):
    out = tmp_path / "reports" / "x.html"
    figures = tmp_path / "figures"
    assert main(["report", str(report_run), "-o", str(out), "--figures-dir", str(figures)]) == 0
    assert out.exists() and str(out) in capsys.readouterr().out
    names = {p.name for p in figures.iterdir()}
    assert {"accuracy-vs-fit-time.png", "accuracy-vs-fit-time.svg", "per-class-f1.svg"} <= names
    assert any(n.startswith("weights-knn") for n in names)

    assert main(["report", str(tmp_path / "nope"), "-o", str(tmp_path / "n.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mnistbench: error:") and err.count("\n") == 1
    assert not (tmp_path / "n.html").exists()


def test_run_with_report_flag(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (
        main(
            [
                "run",
                "--dataset",
                "digits",
                "--models",
                "knn,knn@seed",
                "--out",
                str(tmp_path / "results"),
                "--run-id",
                "flag",
                "--quiet",
                "--report",
            ]
        )
        == 0
    )
    html = (tmp_path / "reports" / "flag.html").read_text()
    assert "knn@notebook" in html and "fit speedup" in html


def test_generic_table_formats_columns_added_later():
    frame = pd.DataFrame(
        [
            {
                "tuned": "knn",
                "accuracy_gain": 0.01,
                "fit_speedup": 3.0,
                "tuned_fit_s": 1.5,
                "note": "as written",
                "disturbed": True,
                "new_ratio": 0.5,
                "missing": float("nan"),
            }
        ]
    )
    table = generic_table(frame)
    texts = [c.text for c in table["rows"][0]]
    assert texts == ["knn", "+0.0100", "3.00×", "1.500", "as written", "yes", "0.50×", "–"]
    assert table["headers"][-2] == "new ratio"


def _fake_comparison(report_run, tmp_path, *, same_data: bool):
    """A hand-made Comparison, to test rendering alone."""
    from mnistbench.analysis.compare import Comparison
    from mnistbench.results import load_run

    base = load_run(report_run)
    current = load_run(_copy(report_run, tmp_path, "current"))
    table = pd.DataFrame(
        [
            {
                "spec": "knn",
                "model": "knn",
                "accuracy_base": 0.98,
                "accuracy_current": 0.95,
                "accuracy_delta": -0.03,
                "accuracy_verdict": "regression",
                "fit_wall_s_base": 1.0,
                "fit_wall_s_current": 0.5,
                "fit_wall_s_ratio": 0.5,
                "fit_wall_s_verdict": "improvement",
            },
            {
                "spec": "sgd" + XSS,
                "model": "sgd",
                "accuracy_base": 0.93,
                "accuracy_current": 0.93,
                "accuracy_delta": 0.0,
                "accuracy_verdict": "unchanged",
                "fit_wall_s_base": 1.0,
                "fit_wall_s_current": 1.1,
                "fit_wall_s_ratio": 1.1,
                "fit_wall_s_verdict": "within noise",
            },
        ]
    )
    return Comparison(
        baseline=base,
        current=current,
        same_data=same_data,
        problems=[] if same_data else ["data set or split fingerprint differ"],
        table=table,
        unmatched_baseline=["cnn"],
        unmatched_current=[],
        regressions=["knn: accuracy 0.9800 -> 0.9500"],
        metrics=["accuracy", "fit_wall_s"],
    )


def test_comparison_report_renders_a_comparison(report_run, tmp_path):
    from mnistbench.report import write_comparison_report

    comparison = _fake_comparison(report_run, tmp_path, same_data=False)
    html = write_comparison_report(comparison, tmp_path / "cmp.html").read_text()
    assert '<section id="compare">' in html and '<section id="summary">' not in html
    assert "These runs used different data" in html
    assert html.count('class="run-card"') == 2  # both runs' headers
    assert 'class="bad"' in html and 'class="good"' in html  # regression, improvement
    assert "-0.0300" in html and "0.50×" in html
    assert "Only in the baseline" in html and "1 regression(s)" in html
    assert XSS not in html and "&lt;script&gt;" in html
    same = write_comparison_report(
        _fake_comparison(report_run, tmp_path / "b", same_data=True), tmp_path / "same.html"
    ).read_text()
    assert "used different data" not in same


def test_report_of_two_runs_compares_them(report_run, tmp_path):
    current = _copy(report_run, tmp_path, "slower")

    def slower(record):
        if record["model"] == "knn":
            record["timing"]["fit_wall_s"] *= 3
            record["timing"]["predict_s"] *= 3
        for phase in record["timing"].get("phases", {}).values():  # taken on a quiet machine
            phase.update(verdict="clean", reasons=[])

    _edit_records(current, slower)
    base = _copy(report_run, tmp_path, "quiet-base")
    _edit_records(
        base,
        lambda r: [
            p.update(verdict="clean", reasons=[]) for p in r["timing"].get("phases", {}).values()
        ],
    )
    html = write_report([base, current], tmp_path / "r.html").read_text()
    assert '<section id="compare">' in html
    assert "regression" in html
    assert "used different data" not in html

    other = _copy(report_run, tmp_path, "other-data")
    _edit_meta(other, lambda m: m["split"].update(fingerprint="0000000000000000"))
    _edit_records(other, lambda r: r.update(split_fingerprint="0000000000000000"))
    html = write_report([report_run, other], tmp_path / "o.html").read_text()
    assert "These runs used different data" in html
