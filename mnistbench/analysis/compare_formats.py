"""A ``Comparison`` as documents for other tools: Markdown for a pull-request comment, JSON
for programs (values only; ``mnistbench compare --format`` prints them).

Labels, units and number formats come from the metric table, as in the terminal table and
the HTML report; text that came from files (specs, error messages, run names) is put in
code spans, so nothing in it can turn into Markdown or HTML.
"""

from __future__ import annotations

import json
import math
from typing import Any

from mnistbench.analysis.compare import Comparison, change_column
from mnistbench.results.metric_table import BY_KEY, format_change, format_value

FORMATS = ("text", "markdown", "json")
JSON_SCHEMA = "mnistbench.compare/1"
#: Verdicts a Markdown table shows; "unchanged" rows are only counted.
NOTABLE = ("regression", "improvement", "within noise")


def outcome(comparison: Comparison) -> str:
    """``not comparable``, ``regression`` or ``ok``: what the exit status says (a strict
    comparison with disturbed timings is not comparable)."""
    if comparison.problems or (comparison.strict_timing and comparison.disturbed):
        return "not comparable"
    return "regression" if comparison.regressions else "ok"


# ------------------------------------------------------------------------------ Markdown


def code(text: Any) -> str:
    """``text`` as an inline code span that is safe inside a Markdown table cell: one line,
    pipes escaped (GitHub and GitLab read ``\\|`` as a pipe even inside code), and a fence
    longer than any run of backticks in it."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    if not text:
        return ""
    longest = _longest_backtick_run(text)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _longest_backtick_run(text: str) -> int:
    longest = current = 0
    for ch in text:
        current = current + 1 if ch == "`" else 0
        longest = max(longest, current)
    return longest


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _headline(comparison: Comparison, counts: dict[str, int]) -> str:
    state = outcome(comparison)
    if state == "not comparable":
        if not comparison.problems:
            return "### mnistbench compare: timings were disturbed (strict timing)"
        return "### mnistbench compare: the runs cannot be compared"
    if state == "regression":
        return f"### mnistbench compare: {_plural(len(comparison.regressions), 'regression')}"
    parts = [f"{_plural(counts['improvement'], 'improvement')}"] if counts["improvement"] else []
    if counts["within noise"]:
        parts.append(f"{counts['within noise']} within noise")
    return "### mnistbench compare: no regression" + (f" ({', '.join(parts)})" if parts else "")


def _counts(comparison: Comparison) -> dict[str, int]:
    verdicts = comparison.table.filter(like="_verdict")
    values = list(verdicts.to_numpy().ravel()) if not verdicts.empty else []
    return {v: values.count(v) for v in ("regression", "improvement", "unchanged", "within noise")}


def _data_line(comparison: Comparison) -> str:
    base, cur = comparison.baseline, comparison.current
    split = (cur.meta.split or {}).get("fingerprint")
    data = f" on {code(cur.meta.dataset)}" if cur.meta.dataset else ""
    if split:
        data += f" (split {code(split)})"
    # Copies of one run share its id; their directories tell them apart.
    names = (base.run_id, cur.run_id) if base.run_id != cur.run_id else (base.path, cur.path)
    return (
        f"Baseline {code(names[0])} → current {code(names[1])}{data}; "
        f"{comparison.thresholds.describe()}."
    )


def to_markdown(comparison: Comparison) -> str:
    """A compact Markdown summary: a headline, the runs, a table of every model and metric
    whose verdict is not "unchanged" (regressions first), then each regression and each
    reason the runs cannot be compared, one line each."""
    counts = _counts(comparison)
    lines = [_headline(comparison, counts), "", _data_line(comparison), ""]

    if comparison.problems:
        lines += ["**Cannot compare:**", ""]
        lines += [f"- {code(p)}" for p in comparison.problems]
        lines.append("")

    rows = []
    for _, row in comparison.table.iterrows():
        for key in comparison.metrics:
            m = BY_KEY[key]
            verdict = row[f"{key}_verdict"]
            if verdict not in NOTABLE:
                continue
            shown = f"**{verdict}**" if verdict == "regression" else verdict
            rows.append(
                (
                    NOTABLE.index(verdict),
                    [
                        code(row["spec"]),
                        f"{row['n_seeds_base']}/{row['n_seeds_current']}",
                        m.label,
                        format_value(row[f"{key}_base"], m.fmt),
                        format_value(row[f"{key}_current"], m.fmt),
                        format_change(row[change_column(m)], m),
                        shown,
                    ],
                )
            )
    if rows:
        lines += [
            "| model | seeds | metric | base | current | change | verdict |",
            "|---|---:|---|---:|---:|---:|---|",
        ]
        lines += ["| " + " | ".join(cells) + " |" for _, cells in sorted(rows, key=lambda r: r[0])]
        lines.append("")
    elif not comparison.table.empty:
        lines += [
            f"Every metric of {_plural(len(comparison.table), 'model')} is inside its threshold.",
            "",
        ]

    if comparison.regressions:
        lines += ["**Regressions:**", ""]
        lines += [f"- {code(r)}" for r in comparison.regressions]
        lines.append("")
    if comparison.disturbed:
        lines += ["**Timings not judged** (taken while the machine was disturbed):", ""]
        lines += [f"- {code(d)}" for d in comparison.disturbed]
        lines.append("")
    if counts["within noise"]:
        lines += [
            "*Within noise*: the change passes the threshold but the seeds of the two "
            "runs overlap, so it does not fail.",
            "",
        ]
    labels = ", ".join(BY_KEY[k].label for k in comparison.metrics)
    lines.append(
        f"<sub>{_plural(len(comparison.table), 'model')} compared on {labels}; "
        f"{counts['unchanged']} unchanged.</sub>"
    )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- JSON


def _run_info(run: Any) -> dict[str, Any]:
    split = run.meta.split or {}
    return {
        "run_id": run.run_id,
        "path": str(run.path),
        "dataset": run.meta.dataset,
        "split_scheme": split.get("scheme"),
        "split_fingerprint": split.get("fingerprint"),
        "specs": list(run.meta.specs),
        "seeds": list(run.meta.seeds),
        "status": run.meta.status,
    }


def to_json(comparison: Comparison) -> dict[str, Any]:
    """Everything the comparison holds, as plain JSON values (NaN becomes null): the runs,
    the thresholds, the metrics judged (from the metric table), per model and metric the
    base and current means, the change and the verdict, the regressions and the problems."""
    models = []
    for _, row in comparison.table.iterrows():
        metrics: dict[str, Any] = {}
        for key in comparison.metrics:
            m = BY_KEY[key]
            metrics[key] = {
                "base": _float(row[f"{key}_base"]),
                "current": _float(row[f"{key}_current"]),
                "change": _float(row[change_column(m)]),
                "change_kind": m.change,
                "verdict": row[f"{key}_verdict"],
            }
        models.append(
            {
                "spec": row["spec"],
                "model": row["model"],
                "n_seeds_base": int(row["n_seeds_base"]),
                "n_seeds_current": int(row["n_seeds_current"]),
                "metrics": metrics,
            }
        )
    return {
        "schema": JSON_SCHEMA,
        "outcome": outcome(comparison),
        "ok": comparison.ok,
        "same_data": comparison.same_data,
        "baseline": _run_info(comparison.baseline),
        "current": _run_info(comparison.current),
        "thresholds": {
            "max_error_increase": comparison.thresholds.max_error_increase,
            "max_slowdown": comparison.thresholds.max_slowdown,
        },
        "metrics": [
            {
                "key": k,
                "label": BY_KEY[k].label,
                "unit": BY_KEY[k].unit,
                "better": BY_KEY[k].better,
                "change": BY_KEY[k].change,
            }
            for k in comparison.metrics
        ],
        "models": models,
        "regressions": list(comparison.regressions),
        "within_noise": comparison.noisy,
        "problems": list(comparison.problems),
        "disturbed": list(comparison.disturbed),
        "strict_timing": comparison.strict_timing,
        "unmatched_baseline": list(comparison.unmatched_baseline),
        "unmatched_current": list(comparison.unmatched_current),
    }


def _float(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def render(comparison: Comparison, fmt: str) -> str:
    """The comparison as a ``markdown`` or ``json`` document (text ends with a newline)."""
    if fmt == "markdown":
        return to_markdown(comparison)
    if fmt == "json":
        return json.dumps(to_json(comparison), indent=2, allow_nan=False) + "\n"
    raise ValueError(f"no document format {fmt!r}; choose markdown or json")
