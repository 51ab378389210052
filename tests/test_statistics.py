"""Is the difference real? Intervals that cover, McNemar against a hand-computed case,
Holm's correction, the ranking, and the run's significance section."""

from __future__ import annotations

import numpy as np
import pytest

from mnistbench.analysis.statistics import (
    holm,
    mcnemar,
    pairwise,
    rank,
    seed_interval,
    wilson_interval,
)
from mnistbench.analysis.summary import significance
from mnistbench.cli import main
from mnistbench.results import load_run


def _pair(only_first: int, only_second: int, both: int = 50, neither: int = 5):
    first = [True] * only_first + [False] * only_second + [True] * both + [False] * neither
    second = [False] * only_first + [True] * only_second + [True] * both + [False] * neither
    return np.array(first), np.array(second)


def test_mcnemar_exact_against_a_hand_computed_case():
    # 1 digit only the first model gets right, 8 only the second: under "no difference"
    # b ~ Binomial(9, 1/2), and P(b <= 1) = (1 + 9) / 512, doubled for two sides.
    result = mcnemar(*_pair(1, 8))
    assert (result.only_first, result.only_second) == (1, 8)
    assert result.p_value == pytest.approx(2 * 10 / 512)
    assert mcnemar(*_pair(8, 1)).p_value == pytest.approx(2 * 10 / 512)  # symmetric
    assert mcnemar(*_pair(0, 0)).p_value == 1.0  # no discordant digit: no evidence
    assert mcnemar(*_pair(3, 3)).p_value == 1.0
    with pytest.raises(ValueError, match="differ in length"):
        mcnemar(np.ones(3, bool), np.ones(4, bool))


def test_holm_correction():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5]) == [0.5]
    assert holm([0.4, 0.9]) == pytest.approx([0.8, 0.9])


def test_ranking_separates_only_what_the_test_separates():
    rng = np.random.default_rng(0)
    truth = rng.random(2000)
    # two weak models as accurate as each other, wrong on different digits
    correct = {"strong": truth < 0.97, "weak": truth < 0.80, "weak_too": rng.random(2000) < 0.80}
    pairs = pairwise(correct)
    ranked = rank({k: float(v.mean()) for k, v in correct.items()}, pairs)
    assert {r.name: r.rank for r in ranked} == {"strong": 1, "weak": 2, "weak_too": 2}
    assert ranked[0].ties == () and set(ranked[1].ties) == {ranked[2].name}
    winners = {frozenset((p.first, p.second)): p.winner for p in pairs}
    assert winners[frozenset(("strong", "weak"))] == "strong"
    assert winners[frozenset(("weak", "weak_too"))] is None


def test_the_wilson_interval_covers_the_true_accuracy():
    rng = np.random.default_rng(1)
    true, n, trials = 0.9, 500, 2000
    hits = 0
    for correct in rng.binomial(n, true, size=trials):
        low, high = wilson_interval(int(correct), n)
        hits += low <= true <= high
    assert 0.93 <= hits / trials <= 0.97


def test_the_seed_interval_covers_the_true_mean():
    rng = np.random.default_rng(2)
    hits = 0
    for _ in range(2000):
        low, high = seed_interval(rng.normal(0.95, 0.004, size=4).tolist())
        hits += low <= 0.95 <= high
    assert 0.93 <= hits / 2000 <= 0.97
    assert np.isnan(seed_interval([0.9])[0])


def test_a_run_ranks_its_models_and_the_report_shows_the_matrix(tmp_path, capsys):
    out = tmp_path / "results"
    assert (
        main(
            [
                "run",
                "--dataset",
                "digits",
                "--models",
                "knn,sgd@notebook,linear_svc",
                "--seeds",
                "0,1",
                "--out",
                str(out),
                "--run-id",
                "r",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "Ranking on the same test digits" in printed and "95 % CI" in printed
    run = load_run(out / "r")
    sig = significance(run)
    assert sig.seed == 0 and len(sig.pairs) == 3 and not sig.without_predictions
    for r in run.results:
        low, high = r.record.metrics.accuracy_ci
        assert low < r.record.metrics.accuracy < high
    # the pairs agree with a recount from the saved predictions
    arrays = {r.record.spec: r.arrays for r in run.results if r.record.seed == 0}
    knn = arrays["knn"]["y_pred"] == arrays["knn"]["y_true"]
    sgd = arrays["sgd@notebook"]["y_pred"] == arrays["sgd@notebook"]["y_true"]
    pair = next(p for p in sig.pairs if {p.first, p.second} == {"knn", "sgd@notebook"})
    mine = pair.test.only_first if pair.first == "knn" else pair.test.only_second
    assert mine == int(np.sum(knn & ~sgd))
    assert main(["report", str(out / "r"), "-o", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text()
    assert '<section id="significance">' in html and "Holm-corrected" in html
