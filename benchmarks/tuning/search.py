"""Validation search for mnistbench's tuned defaults: fit on train, score on validation.

Each candidate is a model spec string, exactly as ``mnistbench run --models`` takes it
(``sgd:alpha=5e-5,sparse=True``, ``mlp:hidden_units=(256,256),epochs=10``, ``sgd@seed``).
For every candidate the script fits on the split's training part (Keras models get the
validation data for their per-epoch history, as in ``mnistbench run``), and reports the
validation accuracy, fit seconds and predict seconds (5,000 validation digits). It never
looks at the test set. Rows are appended to ``SEARCH_LOG.md`` next to this file with the
date and the machine's load average, so the search can be repeated and judged.

``--with-seed`` also times each candidate model's reference preset in the same invocation
(once per model, first), so speed ratios are measured under the same conditions: its
``@notebook`` preset (``@seed`` is that preset's old name) or, for a model without one, its
first preset (``logreg@bench_mnist``, ``hist_gb@defaults``).

    python benchmarks/tuning/search.py --data-dir /work/shared/data/mnist --with-seed \\
        "sgd:alpha=5e-5,sparse=True" "sgd:alpha=5e-5,sparse=True,max_iter=3"

Runs under the same thread limits as the harness (``--threads``, default all cores).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from mnistbench.data import load_dataset, make_split
from mnistbench.models import get_entry, parse_spec
from mnistbench.models.build import seeded_models

LOG = Path(__file__).with_name("SEARCH_LOG.md")
HEADER = (
    "| date | load avg (1/5/15 min) | dataset | spec | val acc | fit s | predict s | "
    "ratio vs seed | note |\n|---|---|---|---|---|---|---|---|---|\n"
)


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def evaluate(spec_text: str, split, threads: int) -> dict:
    spec = parse_spec(spec_text)
    # seed None: each candidate's own random_state, as its spec gives it
    with seeded_models(spec, None, threads) as new_model:
        load_before = _load()
        model = new_model()
        gc.collect()
        t0 = time.perf_counter()
        model.fit(split.X_train, split.y_train, validation_data=(split.X_val, split.y_val))
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        y_pred = model.predict(split.X_val)
        predict_s = time.perf_counter() - t0
    row = {
        "spec": spec.label,
        "model": spec.name,
        "val_acc": float(np.mean(y_pred == split.y_val)),
        "fit_s": fit_s,
        "predict_s": predict_s,
        "load": load_before,
        "note": "",
    }
    history = model.history
    if history:
        per_epoch = history[-1]["elapsed_s"] / len(history)
        curve = ",".join(f"{r['val_accuracy']:.4f}" for r in history if "val_accuracy" in r)
        row["note"] = f"{len(history)} ep, {per_epoch:.2f} s/ep; val curve {curve}"
    return row


def reference_spec(name: str) -> str:
    """The preset a model's speed is judged against: ``@notebook``, else its first."""
    preset = get_entry(name).reference_preset
    return f"{name}@{preset}" if preset else name


def start_section(note: str, command: str) -> None:
    new = not LOG.exists()
    with LOG.open("a") as fh:
        if new:
            fh.write(
                "# mnistbench validation search log (round 2 onward)\n\n"
                "Written by `benchmarks/tuning/search.py`: fit on the split's training part, "
                "accuracy on its validation part (never the test set). `fit s` includes Keras's "
                "per-epoch validation pass, as in `mnistbench run`. `ratio vs seed` = the "
                "candidate's fit seconds / its `@seed` preset's fit seconds measured in the same "
                "invocation (`--with-seed`). Load average is read just before each fit; the "
                "machine has 2 cores and is shared, so compare rows of one invocation.\n\n"
            )
        fh.write(
            f"\n### {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.node()} "
            f"({os.cpu_count()} cores){' - ' + note if note else ''}\n\n"
            f"`{command}`\n\n"
        )
        fh.write(HEADER)


def append_row(r: dict, dataset: str) -> None:
    with LOG.open("a") as fh:
        fh.write(
            f"| {r['date']} | {r['load']} | {dataset} | `{r['spec']}` | {r['val_acc']:.4f} | "
            f"{r['fit_s']:.2f} | {r['predict_s']:.3f} | {r.get('ratio', '')} | {r['note']} |\n"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="+", help="model specs, e.g. sgd:alpha=5e-5")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seed", type=int, default=0, help="split seed (as mnistbench run)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--with-seed",
        action="store_true",
        help="time each model's @seed preset first, in this invocation",
    )
    parser.add_argument("--note", default="", help="free text for the log section heading")
    parser.add_argument("--no-log", action="store_true", help="print only")
    args = parser.parse_args(argv)

    for text in args.specs:  # fail on a bad spec before loading anything
        parse_spec(text)
    specs = list(args.specs)
    if args.with_seed:
        seeds = []
        for text in specs:
            reference = reference_spec(parse_spec(text).name)
            if reference not in seeds and reference not in specs:
                seeds.append(reference)
        specs = seeds + specs

    split = make_split(load_dataset(args.dataset, data_dir=args.data_dir), seed=args.seed)
    print(f"{split!r}; load {_load()}", flush=True)
    if not args.no_log:
        start_section(
            args.note,
            "python benchmarks/tuning/search.py "
            + " ".join(
                f"'{a}'" if any(c in a for c in "()=,") else a for a in (argv or sys.argv[1:])
            ),
        )
    rows, seed_fit = [], {}
    for text in specs:
        row = evaluate(text, split, args.threads)
        row["date"] = f"{dt.datetime.now():%Y-%m-%d %H:%M:%S}"
        if text == reference_spec(row["model"]):
            seed_fit[row["model"]] = row["fit_s"]
        elif row["model"] in seed_fit:
            row["ratio"] = f"{row['fit_s'] / seed_fit[row['model']]:.3f}"
        rows.append(row)
        print(
            f"{row['spec']:<60} val {row['val_acc']:.4f}  fit {row['fit_s']:7.2f} s  "
            f"pred {row['predict_s']:.3f} s  ratio {row.get('ratio', '-'):>6}  "
            f"load {row['load']}  {row['note']}",
            flush=True,
        )
        if not args.no_log:
            append_row(row, args.dataset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
