"""The project's own acceptance targets: what each tuned default must reach on full MNIST
against its as-written reference preset (``@notebook``, or for the models the notebook
never had, scikit-learn's MNIST benchmark ``@bench_mnist`` or scikit-learn's ``@defaults``),
measured in one run.

    python -m benchmarks.targets RUN_DIR

reads a saved run (made with a command of the README's "Performance" section), prints one
line per model with a target in the run, the contract six's total when the run holds them
all, one line per model that must beat a rival in the same run (``xgboost`` and
``lightgbm`` against ``hist_gb``), one line per as-written notebook preset against what
its notebook reports, one line per family's ``@best`` (or augmented) preset against the
family's best published result, and one line per shipped tuned profile (``X@tuned``) against
its floor (Fashion-MNIST) or its tuned default (MNIST). A run over several data sets is
judged on each: MNIST's targets on its full-MNIST part. It
exits 0 when every target it could judge holds, 1 when one is missed, 2 when the run cannot
be judged (another data set or split, no model with a target, a model without its
reference preset).
These are goals of this project, not facts about the models, so they live here beside the
benchmarks and never in the product.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mnistbench.analysis.summary import speedups
from mnistbench.errors import MnistbenchError
from mnistbench.models import DEFAULT_MODELS
from mnistbench.models.specs import is_reference_preset
from mnistbench.results import load_run

PRESET = "notebook"


@dataclass(frozen=True)
class SpeedTarget:
    """A tuned default's accuracy floor and its speed-up over its own as-written preset."""

    min_accuracy: float
    timing: str  # "fit" or "predict": which speed-up the target is about
    min_speedup: float  # preset time / tuned time
    preset: str = PRESET  # the reference the speed-up is measured against


# Full MNIST, official split: the accuracy of the best published reference for each
# family, and the speed-up over the teaching notebook's configuration in the same run.
SPEED_TARGETS: dict[str, SpeedTarget] = {
    "linear_svc": SpeedTarget(0.918, "fit", 5.0),
    "sgd": SpeedTarget(0.917, "fit", 5.0),
    "knn": SpeedTarget(0.975, "predict", 50.0),
    "softmax": SpeedTarget(0.926, "fit", 2.0),
    "mlp": SpeedTarget(0.984, "fit", 1.0),
    "cnn": SpeedTarget(0.993, "fit", 2.0),
    # The field around them (issue 10): the strongest classical families and scikit-learn's
    # own network, against the configuration the scikit-learn MNIST benchmark (or the
    # notebook, for the RBF SVM; scikit-learn's defaults, for boosting) writes.
    "logreg": SpeedTarget(0.926, "fit", 2.0, "bench_mnist"),
    "svc": SpeedTarget(0.986, "fit", 5.0),
    "kernel_approx": SpeedTarget(0.980, "fit", 2.0, "bench_mnist"),
    "random_forest": SpeedTarget(0.971, "fit", 1.0, "bench_mnist"),
    "extra_trees": SpeedTarget(0.973, "fit", 1.0, "bench_mnist"),
    "hist_gb": SpeedTarget(0.980, "fit", 1.0, "defaults"),
    "sk_mlp": SpeedTarget(0.982, "fit", 2.0, "bench_mnist"),
}


@dataclass(frozen=True)
class RivalTarget:
    """A tuned default that must beat another model's tuned default in the same run, in
    test accuracy or in fit seconds (means over the run's seeds)."""

    rival: str
    measured: str  # the run that first met it: date, machine, numbers


# The gradient-boosting libraries (issue 21) against scikit-learn's own histogram boosting,
# on full MNIST: each must be more accurate than `hist_gb`, or faster to fit.
# Measured in one run: 2026-11-30, the 2-core VM shared with other developers' test suites
# (load average 8-9, every fit flagged disturbed), OMP_WAIT_POLICY=passive (the search log's
# round 7 says why), `mnistbench run --dataset mnist --models hist_gb,xgboost,lightgbm
# --threads 2`: hist_gb 0.9831 in 479.7 s (199 CPU s).
RIVAL_TARGETS: dict[str, RivalTarget] = {
    "xgboost": RivalTarget("hist_gb", "0.9794 in 134.8 s (71 CPU s): faster, not more accurate"),
    "lightgbm": RivalTarget("hist_gb", "0.9836 in 80.7 s (59 CPU s): more accurate and faster"),
}
# What each teaching notebook says its network reaches (issue 10): an as-written preset must
# reach it minus one point on full MNIST. Only numbers the notebooks state are here; where a
# notebook states none (the Bern winter school's exercises, the scikit-learn vs TensorFlow
# notebook's 48-unit and deep networks) the preset's accuracy is reported and not judged.
NOTEBOOK_ACCURACY: dict[str, tuple[float, str]] = {
    # "Here is a set of parameters that should attain roughly 0.9 accuracy."
    "softmax@mlcc": (0.90, "google/eng-edu multi-class_classification_of_handwritten_digits"),
    # "find a parameter combination that gives 0.95 or better accuracy" (the solution's)
    "mlp@mlcc": (0.95, "google/eng-edu multi-class_classification_of_handwritten_digits"),
    # "Accuracy on test data: 0.9246666666666666"
    "mlp@mlcc_julia": (0.9247, "sdobber.github.io 2018-09-05-imageclassification"),
    # The issue, for this network (32 sigmoid, 10 sigmoid, softmax): "it reaches about
    # 92 %". The zoo's current mlp_mnist.jl drops the sigmoid on the output layer and says
    # "This should get to about 94% accuracy."
    "mlp@flux": (0.92, "issue 10, after FluxML/model-zoo vision/mlp_mnist"),
    # The scikit-learn vs TensorFlow notebook's own code on its 56,000/14,000 split, as
    # issue 5 measured it
    **{
        f"{model}@notebook": (accuracy, "issue 5: the notebook's code, 56,000/14,000")
        for model, accuracy in [
            ("linear_svc", 0.914),
            ("sgd", 0.914),
            ("knn", 0.960),
            ("softmax", 0.922),
            ("mlp", 0.978),
            ("cnn", 0.989),
        ]
    },
}
NOTEBOOK_TOLERANCE = 0.01


@dataclass(frozen=True)
class BestTarget:
    """A family's ``@best`` preset (the best of ``specs`` in the run) against its published
    anchor: test accuracy on full MNIST, official split."""

    specs: tuple[str, ...]
    min_accuracy: float
    anchor: float
    source: str


# Each family's best published result (LeCun, Cortes & Burges, the MNIST database's table
# of results, and the papers behind it); the model files record the no-augmentation anchors
# beside their @best presets. The last two train on shifted digits they make themselves.
BEST_TARGETS: dict[str, BestTarget] = {
    "knn": BestTarget(
        ("knn@best",), 0.9820, 0.9827, "Wilder, k-NN L3 on deskewed, denoised, blurred digits"
    ),
    "boosting": BestTarget(
        ("hist_gb@best", "xgboost@best", "lightgbm@best"),
        0.9847,
        0.9847,
        "Kégl & Busa-Fekete, Boosting products of base classifiers, ICML 2009",
    ),
    "mlp": BestTarget(("mlp@best", "sk_mlp@best"), 0.9860, 0.9847, "Hinton, 2-layer NN 500+300 HU"),
    "svc": BestTarget(
        ("svc@best",), 0.9900, 0.990, "reduced-set SVM, degree-5 polynomial, deskewed"
    ),
    "cnn": BestTarget(("cnn@best",), 0.9950, 0.9947, "Jarrett et al., ICCV 2009"),
    "cnn, augmented": BestTarget(
        ("cnn@augment",), 0.9960, 0.9960, "convolutional nets on distorted digits (MNIST table)"
    ),
    "svc, augmented": BestTarget(
        ("svc@virtual",),
        0.9920,
        0.9932,
        "DeCoste & Schölkopf, Training Invariant SVMs, Machine Learning 46 (2002)",
    ),
}


def judge_best(frame: pd.DataFrame) -> pd.DataFrame:
    """Each family with a ``@best`` (or augmented) preset in the run: the best of its specs
    (mean test accuracy over seeds), the target, the published anchor and the gap to it."""
    ok = frame[frame["status"] == "ok"]
    means = ok.groupby("spec")["accuracy"].mean()
    rows = []
    for family, target in BEST_TARGETS.items():
        found = {s: float(means[s]) for s in target.specs if s in means.index}
        if not found:
            continue
        spec = max(found, key=lambda s: found[s])
        accuracy = found[spec]
        rows.append(
            {
                "family": family,
                "spec": spec,
                "accuracy": accuracy,
                "min_accuracy": target.min_accuracy,
                "anchor": target.anchor,
                "source": target.source,
                "gap": accuracy - target.anchor,
                "met": bool(accuracy >= target.min_accuracy - 1e-12),
            }
        )
    columns = ["family", "spec", "accuracy", "min_accuracy", "anchor", "source", "gap", "met"]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class TunedTarget:
    """The test accuracy a model's shipped tuned profile must reach on a data set's
    official split (``X@tuned``; the best of ``specs`` in the run, for a family)."""

    specs: tuple[str, ...]
    min_accuracy: float
    source: str  # where the floor comes from ("" when it is this project's own)


# Fashion-MNIST (issue 21): what the shipped profiles (`mnistbench tune`, equal budgets)
# must reach on the official 60,000/10,000 split. Sources: Xiao, Rasul & Vollgraf,
# "Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning Algorithms",
# arXiv:1708.07747 (2017), Table 3 (scikit-learn classifiers), and the benchmark table of
# the zalandoresearch/fashion-mnist README (XGBoost; small CNNs of under 100k parameters).
TUNED_TARGETS: dict[str, dict[str, TunedTarget]] = {
    "fashion-mnist": {
        "cnn": TunedTarget(("cnn@tuned",), 0.925, "small CNNs (<100k parameters), the README"),
        "svc": TunedTarget(("svc@tuned",), 0.897, "SVC, C 10, RBF: Xiao et al., Table 3"),
        "boosting": TunedTarget(
            ("xgboost@tuned", "lightgbm@tuned", "hist_gb@tuned"), 0.898, "XGBoost, the README"
        ),
        "mlp": TunedTarget(("mlp@tuned",), 0.890, ""),
        "knn": TunedTarget(("knn@tuned",), 0.860, "k-NN 0.854: Xiao et al., Table 3"),
        "logreg": TunedTarget(("logreg@tuned",), 0.842, "logistic regression: Xiao et al."),
    },
}
#: where every shipped profile must be at least as accurate on test as the tuned default
TUNED_NOT_WORSE = ("mnist",)


def judge_tuned(frame: pd.DataFrame) -> pd.DataFrame:
    """Each ``@tuned`` spec of the run, per data set (official split): against its floor
    (``TUNED_TARGETS``), or against the tuned default in the same run (``TUNED_NOT_WORSE``);
    mean test accuracy over seeds."""
    ok = frame[(frame["status"] == "ok") & (frame["split_scheme"] == "official")]
    rows = []
    for dataset, part in ok.groupby("dataset"):
        means = part.groupby("spec")["accuracy"].mean()
        for family, target in TUNED_TARGETS.get(str(dataset), {}).items():
            found = {s: float(means[s]) for s in target.specs if s in means.index}
            if found:
                spec = max(found, key=lambda s: found[s])
                rows.append(_tuned_row(dataset, spec, found[spec], target.min_accuracy, family))
        if dataset in TUNED_NOT_WORSE:
            for spec, accuracy in means.items():
                base, _, preset = str(spec).partition("@")
                if preset == "tuned" and base in means.index:
                    rows.append(
                        _tuned_row(dataset, spec, accuracy, float(means[base]), f"{base} (default)")
                    )
    columns = ["dataset", "spec", "accuracy", "min_accuracy", "against", "met"]
    return pd.DataFrame(rows, columns=columns)


def plain_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each spec's label as its model file writes it: a run over several
    data sets labels ``knn@tuned`` on mnist ``knn@tuned [mnist]``."""
    out = frame.copy()
    for column in ("spec", "base_spec"):
        out[column] = [
            str(label).removesuffix(f" [{dataset}]")
            for label, dataset in zip(out[column], out["dataset"], strict=True)
        ]
    return out


def _tuned_row(dataset: Any, spec: str, accuracy: float, floor: float, against: str) -> dict:
    met = bool(accuracy >= floor - 1e-12)
    return {
        "dataset": dataset,
        "spec": spec,
        "accuracy": accuracy,
        "min_accuracy": floor,
        "against": against,
        "met": met,
    }


# The contract six: the presets' total fit + predict over the tuned total
TOTAL_SPEEDUP_TARGET = 3.0
TARGET_DATA = ("mnist", "official")


def judge(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-model verdicts for every model with a target in the run, and the contract six's
    total when the run holds all six (the README's Performance run holds the six, its field
    run all thirteen).

    Raises MnistbenchError when the run is not on full MNIST's official split, holds no model
    with a target, or holds a model without its reference preset (or the reverse).
    """
    data = set(zip(frame["dataset"], frame["split_scheme"], strict=True))
    if data != {TARGET_DATA}:
        raise MnistbenchError(
            f"targets are set on {TARGET_DATA[0]} ({TARGET_DATA[1]} split); "
            f"this run used {sorted(data)}"
        )
    in_run = [
        m
        for m in SPEED_TARGETS
        if (frame["spec"] == m).any() or (frame["spec"] == f"{m}@{SPEED_TARGETS[m].preset}").any()
    ]
    if not in_run:
        raise MnistbenchError(
            "the run holds none of the models with targets (" + ", ".join(SPEED_TARGETS) + ")"
        )
    pairs = speedups(frame)
    if pairs.empty:  # not one preset beside its tuned default in the run
        raise MnistbenchError(
            "the run lacks " + ", ".join(f"{m} or {m}@{SPEED_TARGETS[m].preset}" for m in in_run)
        )
    reference = {f"{m}@{t.preset}" for m, t in SPEED_TARGETS.items()}
    pairs = pairs[
        pairs["preset"].isin(reference) & (pairs["preset"].str.partition("@")[0] == pairs["tuned"])
    ]
    pairs = pairs.set_index("tuned")
    missing = [m for m in in_run if m not in pairs.index]
    if missing:
        raise MnistbenchError(
            "the run lacks " + ", ".join(f"{m} or {m}@{SPEED_TARGETS[m].preset}" for m in missing)
        )
    rows = []
    for model, target in SPEED_TARGETS.items():
        if model not in in_run:
            continue
        pair = pairs.loc[model]
        speedup = float(pair[f"{target.timing}_speedup"])
        rows.append(
            {
                "model": model,
                "accuracy": float(pair["tuned_accuracy"]),
                "min_accuracy": target.min_accuracy,
                "timing": target.timing,
                "speedup": speedup,
                "min_speedup": target.min_speedup,
                "met": bool(
                    pair["tuned_accuracy"] >= target.min_accuracy and speedup >= target.min_speedup
                ),
            }
        )
    verdicts = pd.DataFrame(rows)
    six = [m for m in DEFAULT_MODELS if m in SPEED_TARGETS]
    totals: dict[str, Any] = {
        "min_speedup": TOTAL_SPEEDUP_TARGET,
        "not_in_run": [m for m in SPEED_TARGETS if m not in in_run],
        "judged": all(m in in_run for m in six),
    }
    if totals["judged"]:
        contract = pairs.loc[six]
        tuned, preset = contract["tuned_total_s"].sum(), contract["preset_total_s"].sum()
        totals.update(
            tuned_total_s=float(tuned),
            preset_total_s=float(preset),
            speedup=float(preset / tuned) if tuned else float("nan"),
        )
    total_met = not totals["judged"] or totals["speedup"] >= TOTAL_SPEEDUP_TARGET
    totals["all_met"] = bool(verdicts["met"].all() and total_met)
    return verdicts, totals


def judge_rivals(frame: pd.DataFrame) -> pd.DataFrame:
    """Each model with a rival target that the run holds beside its rival (tuned defaults
    both): met when its mean test accuracy is higher or its mean fit seconds lower."""
    ok = frame[frame["status"] == "ok"]
    means = ok.groupby("spec")[["accuracy", "fit_wall_s"]].mean()
    rows = []
    for model, target in RIVAL_TARGETS.items():
        if model not in means.index or target.rival not in means.index:
            continue
        ours, theirs = means.loc[model], means.loc[target.rival]
        rows.append(
            {
                "model": model,
                "rival": target.rival,
                "accuracy": float(ours["accuracy"]),
                "rival_accuracy": float(theirs["accuracy"]),
                "fit_s": float(ours["fit_wall_s"]),
                "rival_fit_s": float(theirs["fit_wall_s"]),
                "met": bool(
                    ours["accuracy"] > theirs["accuracy"]
                    or ours["fit_wall_s"] < theirs["fit_wall_s"]
                ),
            }
        )
    columns = ["model", "rival", "accuracy", "rival_accuracy", "fit_s", "rival_fit_s", "met"]
    return pd.DataFrame(rows, columns=columns)


def judge_notebooks(frame: pd.DataFrame) -> pd.DataFrame:
    """Each as-written notebook preset in the run against what its notebook reports (mean
    test accuracy over the run's seeds); presets whose notebook states nothing have no
    floor and no verdict."""
    ok = frame[frame["status"] == "ok"]
    # References that are not a notebook's (scikit-learn's benchmark, its defaults)
    others = {t.preset for t in SPEED_TARGETS.values() if t.preset != PRESET}
    rows = []
    for spec, accuracy in ok.groupby("spec")["accuracy"].mean().items():
        preset = spec.partition("@")[2]
        if not is_reference_preset(preset) or preset in others:
            continue
        reported = NOTEBOOK_ACCURACY.get(spec)
        floor = reported[0] - NOTEBOOK_TOLERANCE if reported else None
        rows.append(
            {
                "spec": spec,
                "accuracy": float(accuracy),
                "reported": reported[0] if reported else None,
                "floor": floor,
                "met": None if floor is None else bool(accuracy >= floor - 1e-12),
            }
        )
    return pd.DataFrame(rows, columns=["spec", "accuracy", "reported", "floor", "met"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.targets", description=__doc__.splitlines()[0]
    )
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    args = parser.parse_args(argv)
    try:
        frame = load_run(args.run_dir).to_frame()
    except MnistbenchError as exc:
        print(f"targets: {exc}", file=sys.stderr)
        return 2
    frame = plain_labels(frame)
    tuned = judge_tuned(frame)
    # a run over several data sets is judged on its full-MNIST part for MNIST's targets
    pairs = zip(frame["dataset"], frame["split_scheme"], strict=True)
    on_target = [pair == TARGET_DATA for pair in pairs]
    on_target_data = any(on_target)
    if on_target_data:
        frame = frame[on_target]
    rivals = judge_rivals(frame if on_target_data else frame.iloc[:0])
    best = judge_best(frame if on_target_data else frame.iloc[:0])
    try:
        verdicts, totals = judge(frame)
    except MnistbenchError as exc:
        if rivals.empty and best.empty and tuned.empty:
            print(f"targets: {exc}", file=sys.stderr)
            return 2
        # a run of rivals without reference presets (hist_gb,xgboost,lightgbm) is judged
        # on its rival targets alone
        print(f"speed targets not judged: {exc}")
        verdicts = pd.DataFrame(columns=["met"])
        totals = {"judged": False, "all_met": True, "not_in_run": []}
    for v in verdicts.itertuples():
        print(
            f"{v.model:13s} accuracy {v.accuracy:.4f} (>= {v.min_accuracy}), {v.timing} "
            f"{v.speedup:.1f}x (>= {v.min_speedup:g}x): {'met' if v.met else 'MISSED'}"
        )
    if totals["judged"]:
        total_met = totals["speedup"] >= totals["min_speedup"]
        print(
            f"all six: fit + predict {totals['tuned_total_s']:.1f} s tuned vs "
            f"{totals['preset_total_s']:.1f} s as written, {totals['speedup']:.1f}x (>= "
            f"{totals['min_speedup']:g}x): {'met' if total_met else 'MISSED'}"
        )
    else:
        print("all six: not judged (the run does not hold all six)")
    if totals["not_in_run"]:
        print("not in this run: " + ", ".join(totals["not_in_run"]))
    for r in rivals.itertuples():
        print(
            f"{r.model:13s} accuracy {r.accuracy:.4f} vs {r.rival} {r.rival_accuracy:.4f}, fit "
            f"{r.fit_s:.1f} s vs {r.rival_fit_s:.1f} s (better in either): "
            f"{'met' if r.met else 'MISSED'}"
        )
    for b in best.itertuples():
        print(
            f"{b.spec:19s} accuracy {b.accuracy:.4f} (>= {b.min_accuracy}; published "
            f"{b.anchor:.4f}, {b.source}; gap {b.gap:+.4f}): {'met' if b.met else 'MISSED'}"
        )
    for t in tuned.itertuples():
        print(
            f"{t.spec:19s} on {t.dataset}: accuracy {t.accuracy:.4f} (>= {t.min_accuracy:.4f}, "
            f"{t.against}): {'met' if t.met else 'MISSED'}"
        )
    notebooks = judge_notebooks(frame if on_target_data else frame.iloc[:0])
    for n in notebooks.itertuples():
        if pd.isna(n.floor):
            print(f"{n.spec:19s} accuracy {n.accuracy:.4f} (its notebook states none)")
        else:
            print(
                f"{n.spec:19s} accuracy {n.accuracy:.4f} (notebook {n.reported:g}, >= "
                f"{n.floor:.4f}): {'met' if n.met else 'MISSED'}"
            )
    notebooks_met = bool(notebooks["met"].dropna().all())
    rivals_met = bool(rivals["met"].all())
    best_met = bool(best["met"].all())
    tuned_met = bool(tuned["met"].all())
    return 0 if totals["all_met"] and notebooks_met and rivals_met and best_met and tuned_met else 1


if __name__ == "__main__":
    sys.exit(main())
