"""`mnistbench compare --format markdown|json`: a pull-request-sized change that worsens a
model shows up in a Markdown table with the regression named; JSON holds the whole
comparison; the exit status is that of the text format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mnistbench.analysis.compare import compare_runs
from mnistbench.analysis.compare_formats import code, to_markdown
from mnistbench.cli import main
from mnistbench.results import load_run
from mnistbench.results.metric_table import BY_KEY, format_change, format_value

MODELS = "linear_svc,sgd,knn"


@pytest.fixture(scope="module")
def base_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("compare-formats")
    status = main(
        [
            "run",
            "--dataset",
            "digits",
            "--models",
            MODELS,
            "--seeds",
            "0",
            "--out",
            str(out),
            "--run-id",
            "base",
            "--quiet",
            "--threads",
            "1",
        ]
    )
    assert status == 0
    return out / "base"


def worse_copy(base: Path, dest: Path, spec: str = "knn", by: float = 0.01) -> Path:
    """A copy of ``base`` whose ``spec`` lost ``by`` of accuracy: a change that broke it."""
    shutil.copytree(base, dest)
    for path in (dest / "tasks").glob("*.json"):
        record = json.loads(path.read_text())
        if record["spec"] == spec:
            record["metrics"]["accuracy"] -= by
            record["metrics"]["error_rate"] += by
            path.write_text(json.dumps(record))
    return dest


def table_rows(markdown: str) -> list[list[str]]:
    """The cells of the Markdown table's body (header and rule dropped)."""
    lines = [ln for ln in markdown.splitlines() if ln.startswith("|")]
    assert lines[1].startswith("|---"), lines
    width = lines[0].count(" | ") + 1
    rows = [[c.strip() for c in ln.strip("|").split(" | ")] for ln in lines[2:]]
    assert all(len(r) == width for r in rows), rows
    return rows


def test_injected_regression_is_named_in_the_markdown_table(base_run, tmp_path, capsys):
    current = worse_copy(base_run, tmp_path / "worse")
    status = main(["compare", str(base_run), str(current), "--format", "markdown"])
    out = capsys.readouterr().out
    assert status == 1  # as with the text format
    assert out.startswith("### mnistbench compare: 2 regressions")
    rows = table_rows(out)
    error = BY_KEY["error_rate"]
    knn_error = [r for r in rows if r[0] == "`knn`" and r[2] == error.label]
    assert len(knn_error) == 1
    row = knn_error[0]
    comparison = compare_runs(load_run(base_run), load_run(current))
    table = comparison.table.set_index("spec")
    assert row[3] == format_value(table.loc["knn", "error_rate_base"], error.fmt)
    assert row[4] == format_value(table.loc["knn", "error_rate_current"], error.fmt)
    assert row[5] == format_change(table.loc["knn", "error_rate_delta"], error) == "+1.00 pt"
    assert row[6] == "**regression**"
    # Only the models that changed are in the table; the regression is named below it.
    assert {r[0] for r in rows} == {"`knn`"}
    assert "- `knn: error_rate" in out


def test_markdown_of_an_unchanged_run_says_so(base_run, capsys):
    assert main(["compare", str(base_run), str(base_run), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### mnistbench compare: no regression")
    assert "| model |" not in out
    assert "Every metric of 3 models is inside its threshold." in out


def test_markdown_names_improvements_and_noise(base_run, tmp_path, capsys):
    current = worse_copy(base_run, tmp_path / "better", spec="sgd", by=-0.02)
    assert (
        main(
            [
                "compare",
                str(base_run),
                str(current),
                "--format",
                "markdown",
                "--metrics",
                "error_rate",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("### mnistbench compare: no regression (1 improvement)")
    assert table_rows(out)[0][0] == "`sgd`" and table_rows(out)[0][-1] == "improvement"


def test_json_holds_the_whole_comparison(base_run, tmp_path, capsys):
    current = worse_copy(base_run, tmp_path / "worse")
    status = main(
        [
            "compare",
            str(base_run),
            str(current),
            "--format",
            "json",
            "--metrics",
            "error_rate,log_loss,fit_wall_s",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert status == 1
    assert data["outcome"] == "regression" and data["ok"] is False
    assert [m["key"] for m in data["metrics"]] == ["error_rate", "log_loss", "fit_wall_s"]
    assert data["metrics"][0]["label"] == BY_KEY["error_rate"].label
    by_spec = {m["spec"]: m for m in data["models"]}
    assert list(by_spec) == MODELS.split(",")
    knn = by_spec["knn"]["metrics"]["error_rate"]
    assert knn["verdict"] == "regression" and knn["change_kind"] == "delta"
    assert knn["change"] == pytest.approx(0.01)
    assert by_spec["linear_svc"]["metrics"]["log_loss"]["base"] is None  # no probabilities
    assert by_spec["knn"]["metrics"]["fit_wall_s"]["change_kind"] == "ratio"
    assert len(data["regressions"]) == 1 and data["regressions"][0].startswith("knn:")
    assert data["problems"] == [] and data["baseline"]["path"] == str(base_run)


def test_runs_that_cannot_be_compared_still_get_a_document_and_exit_2(base_run, tmp_path, capsys):
    current = worse_copy(base_run, tmp_path / "other")
    meta = json.loads((current / "run.json").read_text())
    meta["dataset"] = "mnist-5k"
    (current / "run.json").write_text(json.dumps(meta))
    for fmt in ("markdown", "json"):
        assert main(["compare", str(base_run), str(current), "--format", fmt]) == 2
        captured = capsys.readouterr()
        assert captured.err.startswith("mnistbench: error: cannot compare: different data sets")
        if fmt == "json":
            data = json.loads(captured.out)
            assert data["outcome"] == "not comparable" and data["problems"]
        else:
            assert "cannot be compared" in captured.out and "different data sets" in captured.out


def test_unreadable_run_writes_no_document(base_run, tmp_path, capsys):
    assert main(["compare", str(base_run), str(tmp_path), "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "not a mnistbench run" in captured.err


def test_text_from_files_cannot_break_the_markdown():
    assert code("knn") == "`knn`"
    assert code("a|b") == "`a\\|b`"
    assert code("x`y") == "`` x`y ``"
    assert code("<script>\nalert(1)") == "`<script> alert(1)`"


def test_html_report_path_goes_to_stderr_with_a_document(base_run, tmp_path, capsys):
    html = tmp_path / "c.html"
    assert (
        main(["compare", str(base_run), str(base_run), "--format", "json", "--html", str(html)])
        == 0
    )
    captured = capsys.readouterr()
    json.loads(captured.out)
    assert html.exists() and "report:" in captured.err


def test_markdown_reads_labels_and_formats_from_the_metric_table(base_run, monkeypatch):
    import mnistbench.analysis.compare_formats as formats

    renamed = {
        **formats.BY_KEY,
        "error_rate": BY_KEY["error_rate"].__class__(
            **{**BY_KEY["error_rate"].__dict__, "label": "test error"}
        ),
    }
    monkeypatch.setattr(formats, "BY_KEY", renamed)
    comparison = compare_runs(load_run(base_run), load_run(base_run))
    assert "compared on accuracy, test error," in to_markdown(comparison)
