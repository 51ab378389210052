"""Each model against its family's best published accuracy: the gap in points, anchors
applied only on the data set and split they were measured on, augmented models marked, in
the terminal, the report and ``mnistbench models``.

The built-in anchors are full-MNIST results; these tests register two models anchored on
``digits`` (real classes, a test's own anchors) so a run of seconds has rows to show."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import mnistbench
from mnistbench.analysis.frontier import gap_points, published_gaps
from mnistbench.cli import main
from mnistbench.commands.frontier_display import published_gap_table
from mnistbench.models import ModelEntry, PublishedResult, get_entry, register, unregister
from mnistbench.report.html import build_report
from mnistbench.results import load_run

DIGITS_ANCHOR = PublishedResult(0.95, "a test's anchor on digits", "digits", "stratified")
HIGH_ANCHOR = PublishedResult(0.999, "a test's high anchor on digits", "digits", "stratified")
SPECS = "anchored_knn,anchored_svc:virtual_sv=True,knn"


@pytest.fixture(scope="module")
def anchored(tmp_path_factory):
    """Two models anchored on digits' stratified split, and one run of them beside knn
    (anchored on full MNIST), two seeds."""
    entries = [
        ModelEntry("anchored_knn", get_entry("knn").cls, "k-NN, anchored", published=DIGITS_ANCHOR),
        ModelEntry("anchored_svc", get_entry("svc").cls, "SVC, anchored", published=HIGH_ANCHOR),
    ]
    for entry in entries:
        register(entry)
    try:
        out = tmp_path_factory.mktemp("published")
        run = mnistbench.run(SPECS, "digits", out=out, seeds=[0, 1], threads=1, run_id="run")
        yield run
    finally:
        for entry in entries:
            unregister(entry.name)


def test_the_gap_is_accuracy_minus_anchor_in_points(anchored):
    assert gap_points(0.9771, 0.9827) == pytest.approx(-0.56)
    gaps = published_gaps(anchored).set_index("model")
    frame = anchored.to_frame()
    for model, anchor in (("anchored_knn", DIGITS_ANCHOR), ("anchored_svc", HIGH_ANCHOR)):
        row = gaps.loc[model]
        mean = frame.loc[frame["model"] == model, "accuracy"].mean()
        assert row["accuracy"] == pytest.approx(mean) and row["n_seeds"] == 2
        assert row["anchor"] == anchor.accuracy and row["source"] == anchor.source
        assert row["gap_points"] == pytest.approx((mean - anchor.accuracy) * 100)
        assert row["accuracy_low"] <= row["accuracy"] <= row["accuracy_high"]
        assert row["dataset"] == "digits"
    assert gaps.loc["anchored_svc", "gap_points"] < 0  # 0.999 is beyond a quick SVC


def test_an_anchor_is_never_applied_to_another_data_set_or_split(anchored, tmp_path):
    # knn's anchor is full MNIST's official split: not set against a run on digits
    assert "knn" not in set(published_gaps(anchored)["model"])
    anchor = get_entry("knn").published
    assert anchor.dataset == "mnist" and anchor.split == "official"
    assert anchor.applies_to("mnist", "official") and anchor.applies_to("mnist", None)
    assert not anchor.applies_to("mnist", "stratified")
    assert not anchor.applies_to("mnist-5k", "official")
    assert not anchor.applies_to("fashion-mnist", "official")
    # the same records said to be on another data set, then another split: no row
    for field, value in (("dataset", "mnist-5k"), ("split_scheme", "official")):
        copy = tmp_path / field
        shutil.copytree(anchored.path, copy)
        for path in (copy / "tasks").glob("*.json"):
            record = json.loads(path.read_text())
            record[field] = value
            path.write_text(json.dumps(record))
        assert published_gaps(load_run(copy)).empty
        assert 'id="published"' not in build_report([load_run(copy)])


def test_augmented_models_are_marked(anchored):
    gaps = published_gaps(anchored).set_index("model")
    assert gaps.loc["anchored_svc", "augmented"] and not gaps.loc["anchored_knn", "augmented"]
    # the model decides from its parameters
    entry = get_entry("anchored_svc")
    assert entry.is_augmented({"virtual_sv": True}) and not entry.is_augmented()
    cnn = get_entry("cnn")
    assert cnn.is_augmented(cnn.presets["augment"]) and not cnn.is_augmented(cnn.presets["best"])


def test_the_terminal_shows_the_table_after_run_and_summary(anchored, capsys, tmp_path):
    assert main(["summary", str(anchored.path)]) == 0
    out = capsys.readouterr().out
    assert "Against the best published result" in out
    assert "a test's anchor on digits" in out and "(augmented)" in out
    assert "pts" in out and "saw more than the training digits" in out
    table = published_gap_table(published_gaps(anchored))
    assert table is not None and table.row_count == 2
    assert published_gap_table(published_gaps(anchored).iloc[0:0]) is None
    args = ["run", "--dataset", "digits", "--models", "anchored_knn,knn", "--threads", "1"]
    assert main([*args, "--out", str(tmp_path), "--run-id", "cli"]) == 0  # still registered
    out = capsys.readouterr().out
    assert "Against the best published result" in out and "(augmented)" not in out
    # a run with no anchor that applies prints no such table
    assert (
        main(
            [
                "run",
                "--dataset",
                "digits",
                "--models",
                "knn",
                "--threads",
                "1",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert "Against the best published result" not in capsys.readouterr().out


def test_the_report_section_shows_anchor_source_gap_and_mark(anchored):
    html = build_report([anchored])
    section = html[html.index('<section id="published">') :]
    section = section[: section.index("</section>")]
    assert 'href="#published"' in html
    assert "a test&#39;s anchor on digits" in section and "0.9500" in section
    assert section.count('class="pill augmented"') == 1 and "saw more than the training" in section
    assert (
        "anchored_svc:virtual_sv=True" in section
        and '<td class="spec mono" data-v="knn"' not in section
    )
    # the significance ranking marks the augmented model too
    significance = html[html.index('<section id="significance">') :]
    significance = significance[: significance.index("</section>")]
    assert significance.count('class="pill augmented"') == 1


def test_models_lists_anchors_and_the_tuned_preset(capsys):
    assert main(["models"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    anchor = get_entry("knn").published
    assert f"published best: {anchor.accuracy:.4f} on mnist" in out
    assert "@tuned (the tuned profile" in out and "augmented" in out


def test_runs_without_records_give_an_empty_table(tmp_path: Path):
    run = mnistbench.run("knn", "digits", out=tmp_path, threads=1)
    assert published_gaps(run).empty


def test_a_run_over_several_data_sets_is_set_against_the_anchor_on_its_own_data(tmp_path):
    """A spec run on digits and mnist-5k is two results: only the digits one meets the
    digits anchor, with digits' accuracy alone (never pooled with mnist-5k's)."""
    # its own name: the module's fixture may still hold "anchored_knn" registered
    register(ModelEntry("anchored_knn_2", get_entry("knn").cls, "", published=DIGITS_ANCHOR))
    try:
        run = mnistbench.run(
            "anchored_knn_2", ["digits", "mnist-5k"], out=tmp_path, seeds=[0], threads=1
        )
        gaps = published_gaps(run)
    finally:
        unregister("anchored_knn_2")
    frame = run.to_frame()
    digits = frame.loc[frame["dataset"] == "digits", "accuracy"].mean()
    assert list(gaps["dataset"]) == ["digits"]
    assert gaps["accuracy"].iloc[0] == pytest.approx(digits)
    assert digits != pytest.approx(frame.loc[frame["dataset"] == "mnist-5k", "accuracy"].mean())
