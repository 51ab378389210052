"""The CI quality gate: a quick, seeded `mnistbench run` compared with a committed baseline.

    python -m benchmarks.gate             # run, then compare with benchmarks/baselines/quick
    python -m benchmarks.gate --refresh   # run, and make that run the new baseline

The run uses the asv ``quick`` profile's models (every available registered model with its
tuned defaults, Keras ones trained for 2 epochs without a step floor) on ``mnist-5k``, seed 0,
one thread (so that TensorFlow's reductions happen in the same order every time and the
error rates repeat exactly). Only error rates are judged: timings on shared CI machines are
noise. The baseline keeps the JSON records only (``mnistbench compare`` never reads the
NPZ arrays), a few kilobytes per model.

The gate judges the models its baseline has. A model added since (a new built-in, or a
plug-in installed through the ``mnistbench.models`` entry points) is run and listed as
"new, not judged": adding a model needs no baseline refresh; ``--refresh`` makes it judged
from then on.

Exit status: that of ``mnistbench compare`` (0 pass, 1 a model got worse by more than the
threshold, 2 the runs are not comparable: a baseline model is missing from the run or the
split changed, which means the baseline needs refreshing), or of ``mnistbench run`` when
it fails.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from mnistbench.analysis.compare import DEFAULT_THRESHOLDS

BENCH_DIR = Path(__file__).resolve().parent
BASELINE = BENCH_DIR / "baselines" / "quick"
DATASET = "mnist-5k"
SEED = 0
THREADS = 1


def gate_specs() -> list[str]:
    """The asv quick profile's specs: one definition for the benchmarks and the gate."""
    from benchmarks.common import get_profile, model_specs

    profile = get_profile("quick")
    return model_specs(profile)


def run(out: Path, run_id: str) -> Path:
    """A seeded, single-threaded run of the gate's models; returns the run directory."""
    from mnistbench.cli import main

    argv = [
        "run",
        "--dataset",
        DATASET,
        "--models",
        ",".join(gate_specs()),
        "--seeds",
        str(SEED),
        "--threads",
        str(THREADS),
        "--out",
        str(out),
        "--run-id",
        run_id,
        "--quiet",
    ]
    status = main(argv)
    if status != 0:
        raise SystemExit(status)
    return out / run_id


def refresh(run_dir: Path, baseline: Path = BASELINE) -> Path:
    """Replace the baseline with ``run_dir``'s JSON records (no NPZ arrays)."""
    if baseline.exists():
        shutil.rmtree(baseline)
    (baseline / "tasks").mkdir(parents=True)
    shutil.copy2(run_dir / "run.json", baseline / "run.json")
    for record in sorted((run_dir / "tasks").glob("*.json")):
        shutil.copy2(record, baseline / "tasks" / record.name)
    return baseline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gate", description=__doc__)
    parser.add_argument(
        "--refresh", action="store_true", help="make this run the new committed baseline"
    )
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument("--out", type=Path, help="where the run goes (default: a temp dir)")
    # The default: 0.005, five of mnist-5k's 1,000 test digits.
    parser.add_argument(
        "--max-error-increase", type=float, default=DEFAULT_THRESHOLDS.max_error_increase
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="mnistbench-gate-") as tmp:
        out = args.out or Path(tmp)
        run_dir = run(out, "baseline" if args.refresh else "current")
        if args.refresh:
            path = refresh(run_dir, args.baseline)
            print(f"baseline refreshed: {path} (commit it)")
            return 0
        from mnistbench.cli import main as cli

        return cli(
            [
                "compare",
                str(args.baseline),
                str(run_dir),
                "--metrics",
                "error_rate",
                "--max-error-increase",
                str(args.max_error_increase),
                "--allow-new",
            ]
        )


if __name__ == "__main__":
    sys.exit(main())
