"""The report's assembly: every section's context from saved runs, rendered through the
Jinja template and written as one file.

Everything here reads results written by ``mnistbench run`` (``load_run``); nothing
trains. User-originated strings go to the template as plain strings and are escaped by
Jinja2's autoescape; only our own figure ``data:`` URIs are marked safe by the template.
Each section's context is built by its own module and drawn by the template of the same
name in ``templates/`` (``header``, ``summary``, ``published``, ``tradeoff``, ``training_size``,
``confusion``, ``weights``, ``learning_curves``, ``per_class``, ``explorer``,
``significance``, ``extra_tests``, ``preset_speedups``, ``ranking``, ``comparison``);
``report.html`` is the page.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from mnistbench.analysis.compare import Comparison, compare_runs
from mnistbench.analysis.summary import aggregate, mixed_hosts
from mnistbench.files import atomic_write, timestamp
from mnistbench.report import figures as F
from mnistbench.report.comparison import comparison_context
from mnistbench.report.confusion import confusion_tables
from mnistbench.report.explorer import confused_pairs, explorer_context
from mnistbench.report.extra_tests import extra_tests_context
from mnistbench.report.header import header_info
from mnistbench.report.incidents import (
    disturbed,
    disturbed_timings,
    failures,
    phase_signals,
    timeouts,
)
from mnistbench.report.learning_curves import TARGET_ACCURACY, curves_overview, learning_curves
from mnistbench.report.per_class import f1_figure, mistake_gallery
from mnistbench.report.preset_speedups import preset_speedups_context
from mnistbench.report.published import published_context
from mnistbench.report.ranking import ranking_context
from mnistbench.report.significance import significance_context
from mnistbench.report.summary import parameters, summary_notes, summary_rows
from mnistbench.report.tradeoff import tradeoff_figure
from mnistbench.report.training_size import training_size_context
from mnistbench.report.tuning import tuning_context
from mnistbench.report.weights import weight_maps
from mnistbench.results import SavedRun, load_run
from mnistbench.results.study_log import read_study_log


def run_sections(run: SavedRun, sink: F.FigureSink) -> dict[str, Any]:
    """Sections 2–8 of one run."""
    frame = run.to_frame()
    rows, headers = summary_rows(frame, phase_signals(run)) if not frame.empty else ([], [])
    agg = aggregate(frame) if not frame.empty else pd.DataFrame()
    scatter = tradeoff_figure(agg, sink)
    return {
        "summary": rows,
        "summary_headers": headers,
        "summary_notes": summary_notes(run),
        "failures": failures(run),
        "timeouts": timeouts(run),
        "disturbed": disturbed(run),
        "disturbed_timings": disturbed_timings(run),
        "mixed_hosts": mixed_hosts(frame) if not frame.empty else {},
        "params": parameters(run),
        "scatter": scatter,
        "confusions": confusion_tables(run),
        "weights": weight_maps(run, sink),
        # the run's --target-accuracy (older runs recorded none: the section's own)
        "curves": learning_curves(run, sink, run.meta.target_accuracy or TARGET_ACCURACY),
        "target": run.meta.target_accuracy or TARGET_ACCURACY,
        "curves_overview": curves_overview(run, sink),
        "explorer": explorer_context(run),
        "confused": confused_pairs(run),
        "specs": list(dict.fromkeys(r["spec"] for r in rows)),
        "f1": f1_figure(run, sink),
        "mistakes": mistake_gallery(run),
        "significance": significance_context(run, frame) if not frame.empty else None,
        **preset_speedups_context(frame),
        **published_context(run),  # 2b against the best published result (when one applies)
        **extra_tests_context(run),  # 7d a second test part (QMNIST's lost digits)
        **training_size_context(run, sink),  # 3b training-set size, 3c sweeps (when present)
    }


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("mnistbench.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(context: dict[str, Any]) -> str:
    """Render the report template with ``context`` (autoescaped)."""
    context = {"generated": timestamp(), **context}
    return _environment().get_template("report.html").render(**context)


def _title(runs: Sequence[SavedRun]) -> str:
    names = ", ".join(r.run_id for r in runs)
    return f"mnistbench report: {names}"


def build_report(
    runs: Sequence[SavedRun],
    figures_dir: Path | None = None,
    study: dict[str, Any] | None = None,
) -> str:
    """The whole report for ``runs`` as one HTML string; sections 2–8 describe the last
    run, section 9 compares every later run with the first. With ``study`` (a tuning
    study's log), section 8c shows accuracy against its budget and, from the last run,
    the test accuracy of each model's ``@tuned`` configuration."""
    if not runs:
        if study is None:
            raise ValueError("a report needs at least one run or a tuning study")
        return _study_report(study, F.FigureSink(figures_dir))
    sink = F.FigureSink(figures_dir)
    primary = runs[-1]
    comparisons = [comparison_context(compare_runs(runs[0], r)) for r in runs[1:]]
    return render(
        {
            "title": _title(runs),
            "headers": [header_info(r) for r in runs],
            "primary": header_info(primary),
            "sections": run_sections(primary, sink),
            "comparisons": comparisons,
            "tuning": tuning_context(study, primary, sink) if study is not None else None,
            "ranking": ranking_context(runs, sink),  # 8b, when the runs hold several data sets
        }
    )


def _study_report(study: dict[str, Any], sink: F.FigureSink) -> str:
    """A report of a tuning study alone: its budget section (no test accuracies)."""
    return render(
        {
            "title": f"mnistbench report: tuning study on {study.get('dataset')}",
            "headers": [],
            "primary": None,
            "sections": None,
            "comparisons": [],
            "tuning": tuning_context(study, None, sink),
            "ranking": None,
        }
    )


REPORTS_DIR = Path("reports")


def default_report_path(run_dirs: Sequence[Path], study_dir: Path | None = None) -> Path:
    """``reports/<run id>.html``; for a comparison, ``reports/<first>-vs-<last>.html``;
    for a tuning study alone, ``reports/<its folder's name>.html``."""
    if not run_dirs and study_dir is not None:
        return REPORTS_DIR / f"{Path(study_dir).resolve().name}.html"
    names = [Path(p).resolve().name for p in run_dirs]
    stem = names[-1] if len(names) == 1 else f"{names[0]}-vs-{names[-1]}"
    return REPORTS_DIR / f"{stem}.html"


def write_report(
    run_dirs: Sequence[Path],
    path: Path,
    figures_dir: Path | None = None,
    study_dir: Path | None = None,
) -> Path:
    """Read the run directories (and a tuning study's folder: ``mnistbench tune``'s
    ``OUT/tune-<dataset>``), never train, and write one self-contained HTML file
    atomically, so a failure leaves no half-written report."""
    study = read_study_log(study_dir) if study_dir is not None else None
    runs = [load_run(p) for p in run_dirs]
    for run in runs:  # a damaged NPZ stops the report before any file is written
        for res in run.results:
            res.arrays  # noqa: B018
    html = build_report(runs, figures_dir, study)
    path = Path(path)
    atomic_write(path, html.encode("utf-8"))
    _readable(path)
    return path


def _readable(path: Path) -> None:
    """``atomic_write`` creates private files; a report is meant to be shared."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def write_comparison_report(comparison: Comparison, path: Path) -> Path:
    """A self-contained HTML holding the comparison (section 9) and both runs' headers,
    for ``mnistbench compare --html``."""
    html = render(
        {
            "title": _title([comparison.baseline, comparison.current]),
            "headers": [header_info(comparison.baseline), header_info(comparison.current)],
            "primary": None,
            "sections": None,
            "comparisons": [comparison_context(comparison)],
        }
    )
    path = Path(path)
    atomic_write(path, html.encode("utf-8"))
    _readable(path)
    return path
