"""How fast the CNN trains under Keras/TensorFlow settings that keep its arithmetic.

    python -m benchmarks.cnn_settings --data-dir DIR [--dataset mnist] [--epochs N]
        [--out FILE] [--models cnn,cnn@notebook] [--settings baseline,xla,...]

For the tuned ``cnn`` (its tuned defaults) and ``cnn@notebook``, trains once per setting,
each in a fresh Python process (TensorFlow reads ``TF_ENABLE_ONEDNN_OPTS`` when it is
imported, and fixes its thread pools once per process):

- ``baseline``: the model as it is;
- ``xla``: ``jit_compile=True`` (the training step compiled by XLA);
- ``onednn_off``: ``TF_ENABLE_ONEDNN_OPTS=0`` (TensorFlow's own kernels, not oneDNN's);
- ``batch_256``, ``batch_512``: a larger batch at the same learning rate. Fewer, larger
  optimiser steps change the optimisation, not only its speed: adoptable only at equal
  validation accuracy. A batch equal to the model's own is the baseline and not run again.

Each fit is built, seeded, given all cores (``limit_threads``) and timed by the suite's own
code (``seeded_models``, ``timed_phase``), on the training part of the data set's usual split
(the official one for MNIST), without per-epoch validation (an epoch's seconds are training
alone), and scored on that split's validation part after the fit: never the test set.
Recorded per setting: seconds per epoch after the first (the first epoch, which pays
for tracing and compilation, is reported apart), the training FLOPs per epoch the model
counts from its layers, the GFLOP/s achieved and its share of the machine's estimated peak,
validation accuracy after the whole training, and the disturbance signals of the fit (load
average, steal, other processes). Prints a Markdown table; ``--out`` writes the JSON.

A benchmark, not a test: these machines are shared, so run it on a quiet machine and read
the verdict column.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mnistbench.data import Split, load_dataset, make_split
from mnistbench.errors import MnistbenchError
from mnistbench.files import atomic_write
from mnistbench.harness.environment import default_threads, environment
from mnistbench.harness.timing import timed_phase, warm_memory
from mnistbench.models import parse_spec
from mnistbench.models.build import build_model, seeded_models
from mnistbench.models.threads import tensorflow_pools

DEFAULT_MODELS = ("cnn", "cnn@notebook")
ONEDNN = "TF_ENABLE_ONEDNN_OPTS"
_REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Setting:
    """One way of running the same network: parameters and environment variables."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    note: str = ""


SETTINGS = (
    Setting("baseline", note="the model as it is"),
    Setting("xla", {"jit_compile": True}, note="training step compiled by XLA"),
    Setting("onednn_off", env={ONEDNN: "0"}, note="TensorFlow's own CPU kernels"),
    Setting(
        "batch_256",
        {"batch_size": 256},
        note="changes the optimisation: adoptable only at equal validation accuracy",
    ),
    Setting(
        "batch_512",
        {"batch_size": 512},
        note="changes the optimisation: adoptable only at equal validation accuracy",
    ),
)
SETTING_NAMES = tuple(s.name for s in SETTINGS)
# Every variable some setting sets: a child gets only its own setting's (TensorFlow's
# defaults otherwise, whatever this shell exports).
_SETTING_ENV = sorted({key for s in SETTINGS for key in s.env})

# Found on TensorFlow 2.21 / Keras 3.15 (2026-11-30, this suite's CPU build): a training
# step of a channels_first Conv2D fails without oneDNN ("Conv2DCustomBackpropFilterOp only
# supports NHWC"; keras-team/keras#20414: "a TensorFlow limitation"); with oneDNN on, it
# runs. The CNN builds channels-last, Keras's default, throughout.
CHANNELS_NOTE = (
    "Channels-last (NHWC) is Keras's default layout and the one every CNN here builds; "
    "not measured against channels-first: TensorFlow's own CPU convolution kernels support "
    "only NHWC (a channels_first Conv2D fails to train with TF_ENABLE_ONEDNN_OPTS=0: "
    "'Conv2DCustomBackpropFilterOp only supports NHWC'), and only oneDNN's kernels accept "
    "NCHW, so the CNN would need a layout parameter that changes the model."
)
BATCH_NOTE = (
    "A larger batch takes fewer, larger optimiser steps at the same learning rate: it "
    "changes the optimisation, so it is adoptable only at equal validation accuracy."
)


class SettingsError(MnistbenchError):
    """Bad options for this benchmark."""


def spec_text(model: str, setting: Setting, epochs: int | None) -> str:
    """``model`` with the setting's parameters (and ``epochs``) as spec overrides."""
    params = dict(setting.params)
    if epochs is not None:
        params["epochs"] = epochs
    return parse_spec(model).with_overrides(params).label


def same_as_baseline(model: str, setting: Setting) -> bool:
    """True when the setting asks for nothing the model does not already do (a batch
    size equal to the model's own)."""
    if setting.env or not setting.params:
        return False
    params = build_model(model).get_params()
    return all(params.get(k) == v for k, v in setting.params.items())


def onednn_enabled() -> bool | None:
    """What TensorFlow says of oneDNN in this process (None: it does not say)."""
    try:
        from tensorflow.python.util import _pywrap_util_port  # TensorFlow's own probe
    except ImportError:
        return None
    return bool(_pywrap_util_port.IsMklEnabled())


def measure(spec: str, split: Split, *, threads: int, seed: int = 0) -> dict[str, Any]:
    """Fit ``spec`` on the split's training part in this process, timed as the harness
    times a fit, and score it on the validation part."""
    parsed = parse_spec(spec)
    with seeded_models(parsed, seed, threads) as new_model:
        model = new_model()
        warm_memory(split.X_train.nbytes)
        gc.collect()
        model, phase = timed_phase(
            lambda i: model.fit(split.X_train, split.y_train), threads=threads
        )
        val_accuracy = float(np.mean(model.predict(split.X_val) == split.y_val))
        env = environment(threads)
    epochs = [row["wall_s"] for row in model.history]
    steady = epochs[1:]
    epoch_s = statistics.median(steady) if steady else None
    flops = model.flops_per_epoch
    rate = flops / epoch_s if flops and epoch_s else None
    signals = phase.signals
    return {
        "spec": parsed.label,
        "epochs": len(epochs),
        "fit_s": phase.walls[0],
        "first_epoch_s": epochs[0] if epochs else None,
        "epoch_s": epoch_s,
        "epoch_s_min": min(steady) if steady else None,
        "flops_per_epoch": flops,
        "gflop_per_s": rate / 1e9 if rate else None,
        "peak_share": rate / env.peak_flops if rate and env.peak_flops else None,
        "val_accuracy": val_accuracy,
        "batch_size": model.batch_size,
        "jit_compile": bool(model.jit_compile),
        "onednn": onednn_enabled(),
        "tensorflow_threads": list(tensorflow_pools()),  # intra-op, inter-op
        "peak_flops": env.peak_flops,
        "peak_flops_basis": env.peak_flops_basis,
        "cpu": env.cpu,
        "load_1min": signals.load_1min if signals else None,
        "steal_fraction": signals.steal_fraction if signals else None,
        "others_cores": signals.others_cores if signals else None,
        "cpu_per_wall": signals.cpu_per_wall if signals else None,
        "verdict": signals.verdict if signals else None,
        "reasons": list(signals.reasons) if signals else [],
    }


def load_split(dataset: str, data_dir: str | None) -> Split:
    """The data set's usual split (official where it has one), never downloaded here."""
    return make_split(load_dataset(dataset, data_dir=data_dir, download=False))


def measure_in_child(
    spec: str, setting: Setting, *, dataset: str, data_dir: str | None, threads: int, seed: int
) -> dict[str, Any]:
    """``measure`` in a fresh interpreter with the setting's environment; a child that fails
    gives a row saying why (its last line of error output)."""
    env = {k: v for k, v in os.environ.items() if k not in _SETTING_ENV}
    env.update(setting.env)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # The child imports this module from this checkout, whatever the working directory.
    env["PYTHONPATH"] = os.pathsep.join([str(_REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    with tempfile.TemporaryDirectory(prefix="mnistbench-cnn-settings-") as tmp:
        row_file = Path(tmp) / "row.json"
        command = [sys.executable, "-m", "benchmarks.cnn_settings", "--child", spec]
        command += ["--dataset", dataset, "--threads", str(threads), "--seed", str(seed)]
        command += ["--row-out", str(row_file)]
        if data_dir is not None:
            command += ["--data-dir", str(data_dir)]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0 or not row_file.is_file():
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            return {"spec": spec, "error": lines[-1] if lines else f"exit {done.returncode}"}
        return json.loads(row_file.read_text())


def run_settings(
    models: list[str],
    settings: list[Setting],
    *,
    dataset: str,
    data_dir: str | None,
    epochs: int | None,
    threads: int,
    seed: int = 0,
    progress: Any = None,
) -> list[dict[str, Any]]:
    """One row per model and setting, each measured in its own process."""
    rows = []
    for model in models:
        for setting in settings:
            base: dict[str, Any] = {"model": model, "setting": setting.name, "note": setting.note}
            if same_as_baseline(model, setting):
                rows.append({**base, "spec": model, "skipped": "the model's own setting"})
                continue
            spec = spec_text(model, setting, epochs)
            if progress is not None:
                progress(f"{model} / {setting.name}: {spec} ...")
            row = measure_in_child(
                spec, setting, dataset=dataset, data_dir=data_dir, threads=threads, seed=seed
            )
            rows.append({**base, "env": dict(setting.env), **row})
    _add_speedups(rows)
    return rows


def _add_speedups(rows: list[dict[str, Any]]) -> None:
    """Each measured row's speed and accuracy against its model's baseline."""
    baselines = {r["model"]: r for r in rows if r["setting"] == "baseline" and r.get("epoch_s")}
    for row in rows:
        base = baselines.get(row["model"])
        if base is None or not row.get("epoch_s"):
            continue
        row["speedup"] = base["epoch_s"] / row["epoch_s"]
        row["val_accuracy_change"] = row["val_accuracy"] - base["val_accuracy"]


def _num(value: Any, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def markdown(rows: list[dict[str, Any]], facts: dict[str, Any]) -> str:
    """The table the lead pastes into the performance docs, with its notes."""
    head = (
        "| model | setting | s/epoch | first epoch s | fit s | GFLOP/epoch | GFLOP/s | of peak "
        "| x baseline | val acc | epochs | load | steal | timing |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        if "skipped" in r or "error" in r:
            why = r.get("skipped") or f"failed: {r['error']}"
            lines.append(f"| {r['model']} | {r['setting']} | {why} |" + " |" * 11)
            continue
        steal = r.get("steal_fraction")
        verdict = r.get("verdict") or ""
        if r.get("reasons"):
            verdict += " (" + "; ".join(r["reasons"]) + ")"
        lines.append(
            "| "
            + " | ".join(
                [
                    r["model"],
                    r["setting"],
                    _num(r.get("epoch_s"), ".2f"),
                    _num(r.get("first_epoch_s"), ".2f"),
                    _num(r.get("fit_s"), ".1f"),
                    _num(
                        None if r.get("flops_per_epoch") is None else r["flops_per_epoch"] / 1e9,
                        ".4g",
                    ),
                    _num(r.get("gflop_per_s"), ".1f"),
                    _num(None if r.get("peak_share") is None else 100 * r["peak_share"], ".0f")
                    + ("%" if r.get("peak_share") is not None else ""),
                    _num(r.get("speedup"), ".2f"),
                    _num(r.get("val_accuracy"), ".4f"),
                    str(r.get("epochs", "")),
                    _num(r.get("load_1min"), ".2f"),
                    _num(None if steal is None else 100 * steal, ".1f")
                    + ("%" if steal is not None else ""),
                    verdict,
                ]
            )
            + " |"
        )
    notes = [
        f"Data: {facts['dataset']} ({facts['split']}), validation part "
        f"({facts['n_val']} digits) scored; {facts['threads']} threads; "
        f"peak: {facts.get('peak_flops_basis') or 'unknown'}.",
        "s/epoch: median wall seconds of the epochs after the first (the first pays for "
        "tracing and compilation); GFLOP/s: the model's counted training FLOPs per epoch "
        "over s/epoch; fit s: the whole fit, first epoch included; x baseline: the baseline's "
        "s/epoch over this one's. Fits run without per-epoch validation; val acc is scored "
        "once, after the whole training.",
        BATCH_NOTE,
        CHANNELS_NOTE,
    ]
    return head + "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.cnn_settings", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data-dir", help="folder of the data set's files (MNIST's IDX)")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--epochs", type=int, help="train every model this many epochs")
    parser.add_argument("--out", type=Path, help="write the rows and facts as JSON here")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated")
    parser.add_argument(
        "--settings", default=",".join(SETTING_NAMES), help=f"of {', '.join(SETTING_NAMES)}"
    )
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", metavar="SPEC", help=argparse.SUPPRESS)
    parser.add_argument("--row-out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _check(args: argparse.Namespace) -> tuple[list[str], list[Setting]]:
    if args.epochs is not None and args.epochs < 1:
        raise SettingsError(f"--epochs must be at least 1, got {args.epochs}")
    if args.threads < 1:
        raise SettingsError(f"--threads must be at least 1, got {args.threads}")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    for model in models:
        parse_spec(model)  # a bad spec says so in one line (ModelSpecError)
    by_name = {s.name: s for s in SETTINGS}
    names = [n.strip() for n in args.settings.split(",") if n.strip()]
    unknown = [n for n in names if n not in by_name]
    if unknown or not names or not models:
        raise SettingsError(
            f"--settings takes some of {', '.join(SETTING_NAMES)} and --models at least one "
            f"model spec (got unknown settings {', '.join(unknown) or 'none'})"
        )
    return models, [by_name[n] for n in names]


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        if args.child:  # one measurement, in the process the parent started for it
            row = measure(
                args.child,
                load_split(args.dataset, args.data_dir),
                threads=args.threads,
                seed=args.seed,
            )
            atomic_write(args.row_out, json.dumps(row).encode())
            return 0
        models, settings = _check(args)
        split = load_split(args.dataset, args.data_dir)  # fails here, once, if it cannot
        rows = run_settings(
            models,
            settings,
            dataset=args.dataset,
            data_dir=args.data_dir,
            epochs=args.epochs,
            threads=args.threads,
            seed=args.seed,
            progress=lambda text: print(text, file=sys.stderr, flush=True),
        )
    except MnistbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    measured = next((r for r in rows if r.get("peak_flops_basis")), {})
    facts = {
        "dataset": args.dataset,
        "split": split.scheme,
        "n_train": len(split.y_train),
        "n_val": len(split.y_val),
        "threads": args.threads,
        "epochs": args.epochs,
        "cpu": measured.get("cpu"),
        "peak_flops": measured.get("peak_flops"),
        "peak_flops_basis": measured.get("peak_flops_basis"),
        "channels_last": CHANNELS_NOTE,
        "batch_size": BATCH_NOTE,
    }
    print(markdown(rows, facts))
    if args.out is not None:
        atomic_write(args.out, (json.dumps({**facts, "rows": rows}, indent=2) + "\n").encode())
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
