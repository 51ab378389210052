"""`mnistbench run`: check every argument, load the data once, run the tasks, save each
result as it finishes, and print a summary."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mnistbench.errors import MnistbenchError, ResultsError

DEFAULT_SEEDS = (0,)


@dataclass
class RunOptions:
    models: str | None = None
    settings: list[str] = field(default_factory=list)
    dataset: str | None = None
    split: str | None = None
    test_size: float = 0.2
    val_size: float | None = None
    split_seed: int = 0
    seeds: str | None = None
    out: Path = Path("results")
    run_id: str | None = None
    resume: bool = False
    threads: int | None = None
    jobs: int = 1
    backend: str | None = None
    quiet: bool = False
    data_dir: Path | None = None
    download: bool = True
    report: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RunOptions:
        return cls(
            models=args.models, settings=args.set, dataset=args.dataset, split=args.split,
            test_size=args.test_size, val_size=args.val_size, split_seed=args.split_seed,
            seeds=args.seeds, out=args.out, run_id=args.run_id, resume=args.resume,
            threads=args.threads, jobs=args.jobs, backend=args.backend, quiet=args.quiet,
            data_dir=args.data_dir, download=args.download,
            report=getattr(args, "report", False),
        )


def _parse_seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise MnistbenchError(f"--seeds expects comma-separated integers, got {text!r}") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise MnistbenchError(f"--seeds needs distinct integers, got {text!r}")
    return seeds


def _val_size(value: float | None) -> float | int | None:
    if value is None:
        return None
    if value <= 0:
        raise MnistbenchError("--val-size must be positive")
    return int(value) if value > 1 else value


def _resume_target(opts: RunOptions) -> Path:
    from mnistbench.results import latest_run

    if opts.run_id:
        path = opts.out / opts.run_id
        if not path.is_dir():
            raise ResultsError(f"no run {opts.run_id!r} under {opts.out} to resume")
        return path
    path = latest_run(opts.out)
    if path is None:
        raise ResultsError(f"no run under {opts.out} to resume; start one without --resume")
    return path


def execute_run(opts: RunOptions) -> int:
    from mnistbench.analysis import speedup_totals, speedups
    from mnistbench.data import DEFAULT_DATASET, load_dataset, make_split
    from mnistbench.display import RichProgress, console, speedup_table, summary_table
    from mnistbench.harness.environment import default_threads
    from mnistbench.harness.runner import Progress, Task, run_suite
    from mnistbench.models import DEFAULT_MODELS, apply_settings, parse_spec_list
    from mnistbench.results import RunWriter, load_run, new_run_id

    # 1. Everything the user typed is checked before anything is loaded or written.
    if opts.jobs < 1 or (opts.threads is not None and opts.threads < 1):
        raise MnistbenchError("--jobs and --threads must be at least 1")
    resume_path = _resume_target(opts) if opts.resume else None
    previous = load_run(resume_path).meta if resume_path else {}
    dataset_name = opts.dataset or previous.get("dataset") or DEFAULT_DATASET
    models_text = opts.models or ",".join(previous.get("specs") or DEFAULT_MODELS)
    specs = apply_settings(parse_spec_list(models_text), opts.settings)
    if not specs:
        raise MnistbenchError("--models selected no model")
    seeds = _parse_seeds(opts.seeds) if opts.seeds else list(previous.get("seeds") or DEFAULT_SEEDS)
    threads = opts.threads or default_threads()

    # 2. Data, then the common split every model shares.
    dataset = load_dataset(dataset_name, data_dir=opts.data_dir, download=opts.download)
    scheme = opts.split or (previous.get("split") or {}).get("scheme")
    split = make_split(dataset, scheme, test_size=opts.test_size,
                       val_size=_val_size(opts.val_size), seed=opts.split_seed)

    meta = {
        "dataset": dataset.name, "data_source": dataset.source, "split": split.describe(),
        "specs": [s.label for s in specs], "seeds": seeds, "threads": threads,
        "jobs": opts.jobs, "command": sys.argv[1:],
    }
    if resume_path is not None:
        writer = RunWriter.resume(resume_path, meta)
    else:
        run_dir = opts.out / (opts.run_id or new_run_id(dataset.name))
        writer = RunWriter.create(run_dir, meta)

    done = writer.completed()
    tasks = [t for t in (Task(s, seed) for seed in seeds for s in specs) if t.task_id not in done]
    if not opts.quiet:
        console.print(f"run [bold]{writer.path}[/]: {len(tasks)} task(s) on {dataset.name} "
                      f"({split.scheme} split {len(split.y_train)}/{len(split.y_val)}/"
                      f"{len(split.y_test)}, fingerprint {split.fingerprint}), {threads} "
                      f"thread(s)" + (f", {len(done)} already done" if done else ""))

    # 3. Run; each result is saved the moment it exists.
    failed = False
    display = RichProgress(len(tasks)) if not opts.quiet else None
    progress = display or Progress()
    try:
        if display:
            display.__enter__()
        for _task, record, arrays in run_suite(tasks, split, threads=threads, n_jobs=opts.jobs,
                                               backend=opts.backend, progress=progress):
            writer.write(record, arrays)
            failed |= record["status"] != "ok"
            if display:
                display.task_finished(record)
    except KeyboardInterrupt:
        writer.finish("interrupted")
        raise
    finally:
        if display:
            display.__exit__(None, None, None)

    run = load_run(writer.path)
    failed = failed or not all(r.ok for r in run.results)
    writer.finish("failed" if failed else "complete")
    frame = run.to_frame()
    if not opts.quiet:
        console.print(summary_table(frame))
        pairs = speedups(frame)
        table = speedup_table(pairs, speedup_totals(pairs))
        if table is not None:
            console.print(table)
    console.print(f"results: {writer.path}")
    if opts.report:
        from mnistbench.report import default_report_path, write_report

        console.print(f"report: {write_report([writer.path], default_report_path([writer.path]))}")
    return 1 if failed else 0
