"""Deskewing (``mnistbench.models.deskew``): slanted strokes come out upright, ink is kept,
upright and blank digits are left alone, and the result does not depend on how the rows
are split into blocks."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_digits

from mnistbench.models import deskew as deskew_module
from mnistbench.models.deskew import deskew
from mnistbench.models.specs import get_model, parse_spec


def _stroke(slope: float, side: int = 28) -> np.ndarray:
    """A one-pixel-wide line leaning by ``slope`` columns per row, drawn with linear
    interpolation so its ink sits exactly on the slanted line."""
    image = np.zeros((side, side), np.float32)
    for r in range(4, side - 4):
        c = side / 2 + slope * (r - side / 2)
        left = int(np.floor(c))
        image[r, left] += 1 - (c - left)
        image[r, left + 1] += c - left
    return image


def _column_centres(image: np.ndarray) -> np.ndarray:
    rows = image.sum(axis=1) > 0
    return (image[rows] @ np.arange(image.shape[1])) / image[rows].sum(axis=1)


@pytest.mark.parametrize("slope", [-0.5, -0.2, 0.3, 0.6])
def test_a_slanted_stroke_stands_upright(slope):
    out = deskew(_stroke(slope).reshape(1, -1)).reshape(28, 28)
    centres = _column_centres(out)
    assert np.ptp(centres) < 0.05  # every row's ink in one column
    before = _column_centres(_stroke(slope))
    assert np.ptp(before) >= abs(slope) * 18  # it did lean


def test_ink_is_kept_and_upright_or_blank_digits_are_unchanged():
    upright = _stroke(0.0).reshape(1, -1)
    blank = np.zeros((1, 784), np.float32)
    slanted = _stroke(0.4).reshape(1, -1)
    out = deskew(np.vstack([upright, blank, slanted]))
    np.testing.assert_allclose(out[0], upright[0], atol=1e-6)
    assert not out[1].any()
    assert out[2].sum() == pytest.approx(slanted.sum(), rel=1e-5)
    assert out.dtype == np.float32 and out.shape == (3, 784)


def test_only_blank_digits_and_no_digits():
    assert not deskew(np.zeros((3, 784), np.float32)).any()
    assert deskew(np.zeros((0, 64), np.float32)).shape == (0, 64)


def test_blocks_do_not_change_the_result(monkeypatch):
    X = load_digits().data.astype(np.float32)  # 8x8 digits: any square side works
    whole = deskew(X)
    monkeypatch.setattr(deskew_module, "_BLOCK", 7)
    np.testing.assert_array_equal(deskew(X), whole)
    assert np.all(whole >= 0) and np.all(whole <= X.max() + 1e-4)


def test_a_deskewing_model_predicts_the_same_after_pickling():
    digits = load_digits()
    X, y = digits.data.astype(np.float32) / 16, digits.target
    model = get_model(parse_spec("logreg:deskew=True,max_iter=20")).fit(X[:1200], y[:1200])
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X[1200:]), model.predict(X[1200:]))
    assert model.score(X[1200:], y[1200:]) > 0.85
