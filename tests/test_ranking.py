"""The ranking across data sets: average ranks, the Friedman test and Nemenyi's groups, the
per-data-set gain of one family's best over the other's, and the refusals (too few data
sets, one data set split two ways). Unit tests on records made here, whose ranks and test
statistics are known by hand, and one real run over three data sets through the summary
command and the report."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from mnistbench.analysis.ranking import MIN_DATASETS, RankingError, rank_runs
from mnistbench.cli import main
from mnistbench.report import write_report
from mnistbench.results import Result, SavedRun
from mnistbench.results.record import Metrics, RunMeta, TaskRecord, Timing
from tests.test_multi_dataset import write_digits_csv

N_TEST = 200
FAMILIES = {"a": "alpha", "b": "alpha", "c": "beta"}


def fake_run(
    run_id: str,
    dataset: str,
    right: dict[str, int],
    fit_s: dict[str, float],
    *,
    fingerprint: str | None = None,
    split_seed: int = 0,
) -> SavedRun:
    """A run of one data set whose model ``m`` gets the first ``right[m]`` of N_TEST digits
    right (so the better model is right wherever the worse one is)."""
    fingerprint = fingerprint or f"{dataset}-print"
    meta = RunMeta(
        run_id=run_id,
        dataset=dataset,
        split={"fingerprint": fingerprint, "seed": split_seed, "n_test": N_TEST},
    )
    y_true = np.arange(N_TEST, dtype=np.int16) % 10
    results = []
    for model, n_right in right.items():
        y_pred = y_true.copy()
        y_pred[n_right:] = (y_pred[n_right:] + 1) % 10
        record = TaskRecord(
            task_id=f"{model}--seed0",
            spec=model,
            model=model,
            seed=0,
            family=FAMILIES[model],
            dataset=dataset,
            split_fingerprint=fingerprint,
            metrics=Metrics(accuracy=n_right / N_TEST, accuracy_ci=[0.0, 1.0]),
            timing=Timing(fit_wall_s=fit_s[model], latency_p50_s=fit_s[model] / 1000),
        )
        arrays = {"y_pred": y_pred, "y_true": y_true}
        results.append(Result(record, Path(run_id) / f"{model}.json", arrays))
    return SavedRun(Path(run_id), meta, results)


def four_data_sets() -> list[SavedRun]:
    fits = {"a": 2.0, "b": 1.0, "c": 8.0}
    return [
        fake_run(f"r{i}", name, {"a": 180 - i, "b": 170 - i, "c": 190}, fits)
        for i, name in enumerate(("d1", "d2", "d3", "d4"))
    ]


def test_average_ranks_and_the_friedman_statistic_known_by_hand():
    ranking = rank_runs(four_data_sets())
    assert ranking.models == ["c", "a", "b"]  # c best everywhere, then a, then b
    assert ranking.accuracy.average_ranks == {"c": 1.0, "a": 2.0, "b": 3.0}
    # chi2_F = 12N / (k(k+1)) * sum R_j^2 - 3N(k+1) = 4 * 14 - 48 = 8 (N = 4, k = 3)
    assert ranking.accuracy.statistic == pytest.approx(8.0)
    assert ranking.accuracy.p_value == pytest.approx(math.exp(-4.0))  # chi2 sf with 2 dof
    assert ranking.accuracy.posthoc is not None
    # Nemenyi: 1 vs 3 ranks apart over 4 data sets is significant, neighbours are not
    assert ranking.accuracy.posthoc.loc["c", "b"] < 0.05
    assert ranking.accuracy.not_told_apart() == [("c", "a"), ("a", "b")]
    # fit time: lower is better
    assert ranking.fit_time.average_ranks == {"b": 1.0, "a": 2.0, "c": 3.0}
    assert ranking.matrix().loc["a", "d2"] == pytest.approx(179 / N_TEST)


def test_the_gain_of_one_family_best_over_the_other_on_paired_digits():
    ranking = rank_runs(four_data_sets())
    gains = {g.dataset: g for g in ranking.gains}
    assert set(gains) == {"d1", "d2", "d3", "d4"}
    g = gains["d2"]
    # families in alphabetical order: beta's best against alpha's best
    assert (g.base_family, g.base_model, g.family, g.model) == ("alpha", "a", "beta", "c")
    assert g.gain == pytest.approx(11 / N_TEST)
    # c gets right every digit a does and 11 more: McNemar's exact p = 2 * 0.5 ** 11
    assert g.p_value == pytest.approx(2 * 0.5**11)
    assert g.low < g.gain < g.high and g.low > 0
    assert g.fit_ratio == pytest.approx(4.0) and g.latency_ratio == pytest.approx(4.0)


def test_too_few_data_sets_says_so_instead_of_testing():
    ranking = rank_runs(four_data_sets()[:2])
    assert not ranking.accuracy.tested and ranking.accuracy.posthoc is None
    assert f"needs at least {MIN_DATASETS} data sets" in (ranking.accuracy.reason or "")
    assert ranking.accuracy.average_ranks == {"c": 1.0, "a": 2.0, "b": 3.0}  # ranks still shown


def test_two_models_are_too_few_for_the_library():
    runs = [
        fake_run(f"r{i}", f"d{i}", {"a": 150 + i, "c": 190}, {"a": 1.0, "c": 2.0}) for i in range(3)
    ]
    ranking = rank_runs(runs)
    assert not ranking.accuracy.tested
    assert "friedmanchisquare takes three samples" in (ranking.accuracy.reason or "")


def test_a_model_missing_from_a_data_set_is_left_out_and_named():
    runs = four_data_sets()
    runs[0].results.pop()  # no c on d1
    ranking = rank_runs(runs)
    assert ranking.left_out == {"c": ["d1"]}
    assert ranking.models == ["a", "b"]
    assert "c" not in ranking.accuracy.average_ranks


def test_one_data_set_split_two_ways_is_refused_with_the_reason():
    fits = {"a": 1.0, "b": 1.0, "c": 1.0}
    runs = [
        fake_run("first", "d1", {"a": 1, "b": 2, "c": 3}, fits),
        fake_run("second", "d1", {"a": 1, "b": 2, "c": 3}, fits, fingerprint="x", split_seed=1),
    ]
    with pytest.raises(RankingError) as caught:
        rank_runs(runs)
    message = str(caught.value)
    assert "runs first and second both hold d1, split differently" in message
    assert "seed 0 vs 1" in message


def test_scipy_agrees_on_the_ranks_of_ties():
    """Two models tie on a data set: they share the average of their ranks."""
    runs = [
        fake_run(f"r{i}", f"d{i}", {"a": 180, "b": 180, "c": 190}, {"a": 1.0, "b": 1.0, "c": 1.0})
        for i in range(3)
    ]
    ranking = rank_runs(runs)
    assert ranking.accuracy.average_ranks == {"c": 1.0, "a": 2.5, "b": 2.5}
    direct = stats.friedmanchisquare([180] * 3, [180] * 3, [190] * 3)
    assert ranking.accuracy.p_value == pytest.approx(direct.pvalue)


@pytest.fixture(scope="module")
def three_data_sets(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("ranked")
    big = write_digits_csv(tmp / "digits28.csv")
    inverted = write_digits_csv(tmp / "inverted28.csv", invert=True)
    args = [
        "run",
        "--dataset",
        f"digits,csv:{big},csv:{inverted}",
        "--models",
        "sgd,knn,linear_svc",
        "--threads",
        "1",
        "--quiet",
        "--out",
        str(tmp),
        "--run-id",
        "three",
    ]
    assert main(args) == 0
    return tmp / "three"


def test_summary_of_a_real_run_over_three_data_sets(three_data_sets, capsys):
    capsys.readouterr()
    assert main(["summary", str(three_data_sets)]) == 0
    out = capsys.readouterr().out
    assert "Accuracy across data sets" in out
    assert re.search(r"accuracy \(higher is better\), average rank: \w+ \d\.\d\d", out)
    assert re.search(r"Friedman chi2 = \d+\.\d\d, p = [\d.e-]+", out)
    assert "fit time (lower is better)" in out


def test_the_report_draws_the_ranking_and_its_critical_difference_diagram(
    three_data_sets, tmp_path
):
    html = write_report([three_data_sets], tmp_path / "r.html").read_text()
    section = html[html.index('<section id="ranking">') :]
    section = section[: section.index("</section>")]
    assert section.count('class="cd-diagram" src="data:image/png;base64,') == 2
    assert "Friedman χ² =" in section
    for name in ("digits", "digits28.csv", "inverted28.csv"):
        assert name in section
    assert 'href="#ranking"' in html


def test_the_report_of_two_data_sets_says_they_are_too_few(tmp_path):
    runs = four_data_sets()[:2]
    from mnistbench.report.html import build_report

    html = build_report(runs)
    section = html[html.index('<section id="ranking">') :]
    section = section[: section.index("</section>")]
    assert 'class="note too-few"' in section
    assert "needs at least 3 data sets" in section
    assert "cd-diagram" not in section


def test_the_report_says_why_runs_split_differently_are_not_ranked():
    from mnistbench.report.html import build_report

    fits = {"a": 1.0, "b": 1.0, "c": 1.0}
    runs = [
        fake_run("first", "d1", {"a": 1, "b": 2, "c": 3}, fits),
        fake_run("second", "d2", {"a": 1, "b": 2, "c": 3}, fits),
        fake_run("third", "d1", {"a": 1, "b": 2, "c": 3}, fits, fingerprint="x", split_seed=1),
    ]
    html = build_report(runs)
    section = html[html.index('<section id="ranking">') :]
    section = section[: section.index("</section>")]
    assert "Not ranked: runs first and third both hold d1, split differently" in section
    assert "seed 0 vs 1" in section


def test_several_seeds_average_and_take_student_t_over_the_seeds():
    from mnistbench.analysis.statistics import seed_interval

    runs = four_data_sets()
    for run in runs:  # a second seed of every model, two digits worse
        for res in list(run.results):
            rec = res.record
            again = TaskRecord(
                task_id=rec.task_id.replace("seed0", "seed1"),
                spec=rec.spec,
                model=rec.model,
                seed=1,
                family=rec.family,
                dataset=rec.dataset,
                split_fingerprint=rec.split_fingerprint,
                metrics=Metrics(accuracy=rec.metrics.accuracy - 2 / N_TEST),
                timing=rec.timing,
            )
            run.results.append(Result(again, res.path, res.arrays))
    ranking = rank_runs(runs)
    cell = ranking.cells[("a", "d1")]
    assert cell.n_seeds == 2
    assert cell.accuracy == pytest.approx((180 + 178) / 2 / N_TEST)
    assert (cell.low, cell.high) == pytest.approx(seed_interval([180 / N_TEST, 178 / N_TEST]))
    assert ranking.accuracy.average_ranks == {"c": 1.0, "a": 2.0, "b": 3.0}
