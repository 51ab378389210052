"""Property-based tests (issue 16): random bytes and mutated real headers for the IDX reader,
random rows for the CSV reader, random JSON for the record loader. Every input ends in a
valid array / record or one of mnistbench's own errors, never another exception, and the
memory a hostile file costs stays bounded."""

from __future__ import annotations

import gzip
import json
import resource
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnistbench.data.csv import read_csv
from mnistbench.data.idx import read_idx
from mnistbench.errors import MnistbenchError
from mnistbench.results.record import RunMeta, TaskRecord

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
MNIST_IMAGES = (70_000, 28, 28)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _real_header(n: int = 3) -> bytes:
    return bytes([0, 0, 8, 3]) + struct.pack(">3I", n, 28, 28)


def _check_idx(path: Path, data: bytes, compress: bool) -> None:
    path.write_bytes(gzip.compress(data) if compress else data)
    before = _peak_mb()
    try:
        parsed = read_idx(path, ndim=3, max_shape=MNIST_IMAGES)
    except MnistbenchError:
        pass
    else:
        assert parsed.array.dtype == np.uint8 and parsed.array.ndim == 3
        assert parsed.array.size == len(data) - 16
    assert _peak_mb() - before < 200  # never near what a hostile header claims


@SETTINGS
@given(data=st.binary(max_size=4096), compress=st.booleans())
def test_idx_reader_on_random_bytes(tmp_path, data, compress):
    _check_idx(tmp_path / "random.idx", data, compress)


@SETTINGS
@given(
    header=st.binary(min_size=16, max_size=16).map(bytearray),
    real=st.booleans(),
    flips=st.lists(st.tuples(st.integers(0, 15), st.integers(0, 255)), max_size=4),
    payload=st.integers(0, 3 * 784 + 8),
    compress=st.booleans(),
)
def test_idx_reader_on_mutated_real_headers(tmp_path, header, real, flips, payload, compress):
    head = bytearray(_real_header()) if real else header
    for index, value in flips:
        head[index] = value
    _check_idx(tmp_path / "mutated.idx", bytes(head) + bytes(payload), compress)


_cell = st.one_of(
    st.integers(-5, 300).map(str),
    st.sampled_from(["", "x", "1.5", "nan", "-0", "1e3", " 7", '"3"']),
)


@SETTINGS
@given(
    rows=st.lists(st.lists(_cell, min_size=783, max_size=787), min_size=0, max_size=4),
    header=st.booleans(),
    valid=st.booleans(),
)
def test_csv_reader_on_random_rows(tmp_path, rows, header, valid):
    if valid and rows:  # one well-formed row among the random ones
        rows[0] = [str(3)] + ["0"] * 784
    lines = ([",".join(["label"] + [f"pixel{i}" for i in range(784)])] if header else []) + [
        ",".join(r) for r in rows
    ]
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + ("\n" if lines else ""))
    try:
        images, labels = read_csv(path, str(path))
    except MnistbenchError:
        return
    assert images.dtype == np.uint8 and images.shape[1:] == (28, 28)
    assert labels.shape == (len(images),) and labels.min() >= 0 and labels.max() <= 9


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)

_REAL_TASK = {
    "schema_version": 2,
    "task_id": "knn--seed0",
    "spec": "knn",
    "model": "knn",
    "seed": 0,
    "status": "ok",
    "metrics": {
        "accuracy": 0.9,
        "error_rate": 0.1,
        "per_class": {"label": [0, 1], "f1": [0.9, 0.8]},
    },
    "timing": {"fit_wall_s": 1.0},
    "history": [{"epoch": 1, "loss": 0.5}],
    "environment": {"threads": {"requested": 2}, "versions": {"numpy": "2"}},
}


def _mutations(record: dict) -> st.SearchStrategy:
    """The real record with some fields (top level or one level down) replaced or removed."""
    paths = [(k,) for k in record] + [
        (k, j) for k, v in record.items() if isinstance(v, dict) for j in v
    ]
    return st.lists(
        st.tuples(st.sampled_from(paths), st.one_of(st.just(KeyError), _json)), max_size=3
    )


def _apply(record: dict, changes) -> dict:
    out = json.loads(json.dumps(record))
    for path, value in changes:
        target = out
        for key in path[:-1]:
            target = target.get(key) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            continue
        if value is KeyError:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = value
    return out


@SETTINGS
@given(data=_json)
def test_record_loader_on_random_json(data):
    for parse in (TaskRecord.from_json, RunMeta.from_json):
        try:
            parse(data)
        except MnistbenchError:
            pass


@SETTINGS
@given(changes=_mutations(_REAL_TASK))
def test_record_loader_on_mutated_real_records(changes):
    data = _apply(_REAL_TASK, changes)
    try:
        record = TaskRecord.from_json(data)
    except MnistbenchError:
        return
    # what loaded is usable: the table view and a JSON round trip work
    assert isinstance(record.task_id, str) and isinstance(record.seed, int)
    again = TaskRecord.from_json(json.loads(json.dumps(record.to_json())))
    assert json.dumps(again.to_json()) == json.dumps(record.to_json())


@pytest.mark.parametrize("n", [1, 5])
def test_a_valid_idx_file_reads_back(tmp_path, n):
    images = np.arange(n * 784, dtype=np.uint64).astype(np.uint8).reshape(n, 28, 28)
    path = tmp_path / "ok.idx"
    path.write_bytes(_real_header(n) + images.tobytes())
    np.testing.assert_array_equal(read_idx(path, ndim=3, max_shape=MNIST_IMAGES).array, images)
