"""`mnistbench summary RUN_DIR [RUN_DIR ...]`: the models ranked across data sets, over one
run made on several data sets or runs made separately (each data set split one way).

Prints the accuracy matrix (models × data sets, 95 % intervals), the average ranks with the
Friedman test and Nemenyi's groups on accuracy and on fit time, and per data set the gain of
each family's best model over the first family's best (``mnistbench.analysis.ranking``).
``mnistbench run`` prints the same at the end of a run over several data sets."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from mnistbench.analysis.ranking import Ranking, RankTest, rank_runs
from mnistbench.analysis.statistics import ALPHA
from mnistbench.commands.common import EXIT_OK
from mnistbench.commands.display import console
from mnistbench.commands.extra_tests_view import show_extra_tests
from mnistbench.commands.frontier_display import print_published_gaps
from mnistbench.results import load_run

HELP = "rank the models across data sets (one run over several, or separate runs)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "runs",
        type=Path,
        nargs="+",
        metavar="RUN_DIR",
        help="run directories; two runs of one data set must share its split",
    )


def execute(args: argparse.Namespace) -> int:
    runs = [load_run(path) for path in args.runs]
    console.print(ranking_view(rank_runs(runs)))
    print_published_gaps(runs)
    show_extra_tests(runs)  # QMNIST's second test part (Yadav & Bottou 2019)
    return EXIT_OK


def ranking_view(ranking: Ranking) -> Group:
    """Everything the summary shows, for the console."""
    parts: list = [matrix_table(ranking)]
    for test in (ranking.accuracy, ranking.fit_time):
        parts.append(rank_lines(test))
    gains = gains_table(ranking)
    if gains is not None:
        parts.append(gains)
    if ranking.left_out:
        missing = "; ".join(f"{m} (no {', '.join(d)})" for m, d in ranking.left_out.items())
        parts.append(Text(f"not ranked, not on every data set: {missing}", style="yellow"))
    return Group(*parts)


def matrix_table(ranking: Ranking) -> Table:
    table = Table(title="Accuracy across data sets (95 % interval)")
    table.add_column("model")
    table.add_column("family")
    for split in ranking.datasets:
        table.add_column(escape(split.name), justify="right")
    table.add_column("mean rank", justify="right")
    for model in ranking.models:
        row = [escape(model), escape(ranking.families.get(model) or "-")]
        for name in ranking.dataset_names:
            cell = ranking.cells[(model, name)]
            seeds = f" ×{cell.n_seeds}" if cell.n_seeds > 1 else ""
            row.append(f"{cell.accuracy:.4f} ({_interval(cell.low, cell.high)}){seeds}")
        rank = ranking.accuracy.average_ranks.get(model)
        row.append(f"{rank:.2f}" if rank is not None else "-")
        table.add_row(*row)
    table.caption = "; ".join(
        f"{s.name}: split {s.fingerprint}, {s.n_test or '?'} test digits, run {', '.join(s.runs)}"
        for s in ranking.datasets
    )
    return table


def rank_lines(test: RankTest) -> Text:
    """The average ranks and the verdict on one metric, as a few lines."""
    better = "higher" if test.higher_is_better else "lower"
    ranks = ", ".join(f"{m} {r:.2f}" for m, r in test.average_ranks.items())
    lines = [f"{test.metric} ({better} is better), average rank: {ranks or '-'}"]
    if not test.tested:
        lines.append(f"  {test.reason}")
    else:
        assert test.p_value is not None and test.statistic is not None
        verdict = "the ranks differ" if test.p_value < ALPHA else "no difference shown"
        lines.append(
            f"  Friedman chi2 = {test.statistic:.2f}, p = {test.p_value:.3g}: {verdict} "
            f"(alpha {ALPHA:g})"
        )
        groups = test.not_told_apart()
        if groups:
            shown = "; ".join(" = ".join(g) for g in groups)
            lines.append(f"  Nemenyi cannot tell apart: {shown}")
        else:
            lines.append("  Nemenyi tells every pair apart")
    return Text("\n".join(lines))


def gains_table(ranking: Ranking) -> Table | None:
    if not ranking.gains:
        return None
    table = Table(title="Per data set: the best model of each family against the other's best")
    for col in ("data set", "best", "against", "gain", "95 % interval", "McNemar p"):
        table.add_column(col, justify="right" if col in ("gain", "McNemar p") else "left")
    table.add_column("fit time", justify="right")
    table.add_column("latency", justify="right")
    for g in ranking.gains:
        table.add_row(
            escape(g.dataset),
            escape(f"{g.model} ({g.family})"),
            escape(f"{g.base_model} ({g.base_family})"),
            f"{g.gain * 100:+.2f} pts",
            _interval(g.low * 100, g.high * 100, "{:+.2f}"),
            f"{g.p_value:.3g}" if g.p_value is not None else "-",
            _cost(g.fit_s, g.base_fit_s, g.fit_ratio),
            _cost(g.latency_s, g.base_latency_s, g.latency_ratio, ms=True),
        )
    table.caption = (
        "gain in accuracy points, paired on the test digits (the smallest seed both have); "
        "cost: the best's against the other's"
    )
    return table


def _interval(low: float, high: float, fmt: str = "{:.4f}") -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "-"
    return f"{fmt.format(low)}–{fmt.format(high)}"


def _cost(value: float | None, base: float | None, ratio: float | None, ms: bool = False) -> str:
    if value is None or base is None:
        return "-"
    unit, scale = ("ms", 1000.0) if ms else ("s", 1.0)
    times = f", ×{ratio:.3g}" if ratio is not None else ""
    return f"{value * scale:.3g} vs {base * scale:.3g} {unit}{times}"
