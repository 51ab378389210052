"""benchmarks.cnn_settings on digits, two epochs: one setting in this process, one in the
fresh process the script starts for it (its environment set before TensorFlow starts)."""

from __future__ import annotations

import json

import pytest

from benchmarks import cnn_settings
from benchmarks.cnn_settings import SETTINGS, measure, same_as_baseline, spec_text

BY_NAME = {s.name: s for s in SETTINGS}
RATE_FIELDS = ("epoch_s", "first_epoch_s", "fit_s", "flops_per_epoch", "gflop_per_s")


def _check_row(row: dict) -> None:
    assert "error" not in row, row.get("error")
    assert row["epochs"] == 2
    for key in RATE_FIELDS:
        assert row[key] > 0, key
    # The rate is the counted arithmetic over the steady epoch's seconds.
    assert row["gflop_per_s"] == pytest.approx(row["flops_per_epoch"] / row["epoch_s"] / 1e9)
    assert row["fit_s"] >= row["first_epoch_s"] + row["epoch_s"] * 0.99
    assert 0 <= row["val_accuracy"] <= 1
    if row["peak_flops"] is not None:
        assert 0 < row["peak_share"] == pytest.approx(row["gflop_per_s"] * 1e9 / row["peak_flops"])
    assert row["verdict"] in ("clean", "disturbed")
    assert row["load_1min"] is None or row["load_1min"] >= 0


def test_the_settings_become_spec_overrides_and_a_models_own_batch_is_not_rerun():
    assert spec_text("cnn", BY_NAME["baseline"], None) == "cnn"
    assert spec_text("cnn", BY_NAME["xla"], 2) == "cnn:epochs=2,jit_compile=True"
    assert spec_text("cnn@notebook", BY_NAME["batch_512"], None) == "cnn@notebook:batch_size=512"
    assert same_as_baseline("cnn@notebook", BY_NAME["batch_256"])  # the notebook's own batch
    assert not same_as_baseline("cnn", BY_NAME["batch_256"])
    assert not same_as_baseline("cnn@notebook", BY_NAME["baseline"])
    assert not same_as_baseline("cnn@notebook", BY_NAME["onednn_off"])


def test_a_setting_measured_in_this_process(digits_split):
    row = measure(spec_text("cnn", BY_NAME["baseline"], 2), digits_split, threads=1)
    _check_row(row)
    assert row["spec"] == "cnn:epochs=2" and row["jit_compile"] is False


def test_the_script_runs_a_setting_in_a_fresh_process_and_writes_table_and_json(tmp_path, capsys):
    out = tmp_path / "settings.json"
    argv = ["--dataset", "digits", "--epochs", "2", "--threads", "1", "--out", str(out)]
    code = cnn_settings.main([*argv, "--models", "cnn@notebook", "--settings", "onednn_off"])
    printed = capsys.readouterr().out
    assert code == 0
    data = json.loads(out.read_text())
    assert data["dataset"] == "digits" and data["n_val"] > 0 and data["threads"] == 1
    assert "channels" in data["channels_last"].lower() and "batch" in data["batch_size"]
    (row,) = data["rows"]
    _check_row(row)
    assert row["setting"] == "onednn_off" and row["env"] == {"TF_ENABLE_ONEDNN_OPTS": "0"}
    # The child's TensorFlow started with oneDNN off: the variable was set before its import.
    assert row["onednn"] in (False, None)
    assert row["spec"] == "cnn@notebook:epochs=2"
    header = printed.splitlines()[0]
    for column in ("s/epoch", "first epoch s", "GFLOP/epoch", "GFLOP/s", "of peak", "val acc"):
        assert f"| {column} |" in header
    assert "| cnn@notebook | onednn_off | " in printed
    assert "NHWC" in printed and "equal validation accuracy" in printed


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--settings", "channels_first"], "--settings takes some of baseline, xla"),
        (["--epochs", "0"], "--epochs must be at least 1"),
        (["--models", "cnn@nonesuch"], "nonesuch"),
    ],
)
def test_bad_options_say_what_is_wrong_in_one_line(argv, expected, capsys):
    assert cnn_settings.main(["--dataset", "digits", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and len(err.splitlines()) == 1
