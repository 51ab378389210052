"""Time a report build: ``python -m benchmarks.report_build [--widen N] RUN_DIR [RUN_DIR ...]``.

The issue asks for reports of 2 seeds x 6 models in under 30 s, and (issue 12) of 30 models
x 3 seeds on ``mnist-5k`` in under 60 s and 10 MB; this measures it on real saved results (a
script, not a timed test, so a busy CI machine cannot make tests flaky). ``--widen N``
first copies the (last) run into a temporary directory and repeats its models under new
names (``knn~2``...) until it holds N, so a run of the few built-in models stands in for the
whole field: every figure, table and explorer row is built once per model, whatever it is.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from mnistbench.report.html import write_report


def widen(run_dir: Path, target: Path, n_models: int) -> Path:
    """A copy of ``run_dir`` at ``target`` whose models are repeated, renamed, up to
    ``n_models`` (specs ``X~2``, ``X~3``...; presets pair with their tuned copy)."""
    shutil.copytree(run_dir, target)
    tasks = target / "tasks"
    records = {p: json.loads(p.read_text()) for p in sorted(tasks.glob("*.json"))}
    specs = list(dict.fromkeys(r["spec"] for r in records.values()))
    copy = 1
    while len(specs) < n_models:
        copy += 1
        for path, record in records.items():
            spec = f"{record['spec']}~{copy}"
            if spec not in specs and len(specs) >= n_models:
                continue
            new = dict(record, spec=spec, task_id=f"{record['task_id']}~{copy}")
            if record.get("base_spec"):
                new["base_spec"] = f"{record['base_spec']}~{copy}"
            stem = f"{path.stem}-w{copy}"
            shutil.copyfile(path.with_suffix(".npz"), tasks / f"{stem}.npz")
            (tasks / f"{stem}.json").write_text(json.dumps(new))
            if spec not in specs:
                specs.append(spec)
    meta_path = target / "run.json"
    meta = json.loads(meta_path.read_text())
    meta["specs"] = specs
    meta_path.write_text(json.dumps(meta))
    return target


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    n_models = 0
    if args[:1] == ["--widen"] and len(args) > 1 and args[1].isdigit():
        n_models, args = int(args[1]), args[2:]
    run_dirs = [Path(p) for p in args]
    if not run_dirs:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        if n_models:
            run_dirs[-1] = widen(run_dirs[-1], Path(tmp) / run_dirs[-1].name, n_models)
        started = time.perf_counter()
        path = write_report(run_dirs, Path(tmp) / "report.html")
        seconds = time.perf_counter() - started
        size = path.stat().st_size
    what = f" (last run widened to {n_models} models)" if n_models else ""
    print(
        f"report of {len(run_dirs)} run(s){what}: built in {seconds:.2f} s, {size / 2**20:.2f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
