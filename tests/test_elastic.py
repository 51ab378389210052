"""Elastic distortions (Simard et al. 2003) as the CNN's training-only augmentation."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from mnistbench.errors import MnistbenchError
from mnistbench.models import get_entry, get_model
from mnistbench.models.elastic import ElasticDistortion, bilinear_sample, gaussian_kernel

SPEC = "cnn:epochs=2,min_steps=0,filters=(8,),dense_units=0"


def test_the_smoothing_kernel_is_a_normalised_gaussian_cut_at_three_sigma():
    kernel = gaussian_kernel(4.0)
    assert len(kernel) == 25 and kernel.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(kernel, kernel[::-1])
    assert kernel.argmax() == 12 and kernel[12] / kernel[16] == pytest.approx(np.exp(0.5))


def test_bilinear_sampling_moves_whole_pixels_exactly_and_reads_zero_outside():
    images = np.arange(2 * 4 * 5, dtype=np.float32).reshape(2, 4, 5) + 1
    rows, cols = np.meshgrid(np.arange(4.0), np.arange(5.0), indexing="ij")
    rows = np.broadcast_to(rows, images.shape).astype(np.float32)
    cols = np.broadcast_to(cols, images.shape).astype(np.float32)
    same = np.asarray(bilinear_sample(images, rows, cols))
    np.testing.assert_allclose(same, images)
    # read one column to the right: each image's own pixels, the last column blank
    right = np.asarray(bilinear_sample(images, rows, cols + 1))
    np.testing.assert_allclose(right[:, :, :-1], images[:, :, 1:])
    assert not right[:, :, -1].any()
    # half a row down: the mean of two rows; below the last row half of it
    half = np.asarray(bilinear_sample(images, rows + 0.5, cols))
    np.testing.assert_allclose(half[:, :-1], (images[:, :-1] + images[:, 1:]) / 2)
    np.testing.assert_allclose(half[:, -1], images[:, -1] / 2)


def _digits(n: int = 16) -> np.ndarray:
    rng = np.random.default_rng(0)
    x = np.zeros((n, 28, 28, 1), np.float32)
    x[:, 6:22, 12:16, 0] = 1.0  # a thick vertical stroke, a "1"
    return x * rng.uniform(0.5, 1.0, (n, 1, 1, 1)).astype(np.float32)


def test_the_warp_is_seeded_and_the_identity_at_inference():
    x = _digits()
    a = np.asarray(ElasticDistortion(10.0, seed=0)(x, training=True))
    b = np.asarray(ElasticDistortion(10.0, seed=0)(x, training=True))
    c = np.asarray(ElasticDistortion(10.0, seed=1)(x, training=True))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c) and not np.allclose(a, x)
    np.testing.assert_array_equal(np.asarray(ElasticDistortion(10.0, seed=0)(x)), x)
    np.testing.assert_array_equal(np.asarray(ElasticDistortion(0.0, seed=0)(x, training=True)), x)
    blank = np.zeros_like(x)
    assert not np.asarray(ElasticDistortion(34.0, seed=0)(blank, training=True)).any()


def test_the_field_is_linear_in_alpha_and_of_simards_size():
    layer, double = ElasticDistortion(10.0, seed=3), ElasticDistortion(20.0, seed=3)
    for each in (layer, double):
        each.build((None, 28, 28, 1))
    small, large = (np.asarray(each.displacement(64)) for each in (layer, double))
    np.testing.assert_allclose(large, 2 * small, rtol=1e-5, atol=1e-6)
    # uniform noise (sd 0.577) smoothed by a Gaussian of sigma 3.86 px keeps about 0.0421 of
    # its spread in 2-D (1 / (2 sqrt(pi) sigma)); Simard's alpha 34, scaled to 28 px, gives
    # about 1.3 px, less near the border, where the field is padded with zeros
    simard = ElasticDistortion(34.0, seed=3)
    simard.build((None, 28, 28, 1))
    field = np.asarray(simard.displacement(256))
    assert 0.9 < field.std() < 1.45
    assert abs(field[..., 0].std() / field[..., 1].std() - 1) < 0.1  # both directions
    assert abs(np.corrcoef(field[..., 0].ravel(), field[..., 1].ravel())[0, 1]) < 0.1


def test_a_warp_moves_ink_but_keeps_about_all_of_it():
    x = _digits()
    warped = np.asarray(ElasticDistortion(10.0, seed=0)(x, training=True))
    ink, kept = x.sum(axis=(1, 2, 3)), warped.sum(axis=(1, 2, 3))
    np.testing.assert_allclose(kept, ink, rtol=0.15)  # stretched or squeezed
    assert (np.abs(warped - x).sum(axis=(1, 2, 3)) > 0.05 * ink).all()


def test_augment_elastic_is_checked_and_marks_the_model_augmented():
    assert get_model(SPEC + ",augment_elastic=8").augmented
    assert not get_model(SPEC).augmented
    with pytest.raises(MnistbenchError, match="augment_elastic cannot be negative"):
        get_model(SPEC + ",augment_elastic=-1")
    space = get_entry("cnn").search_space("augment")
    assert space is not None and "augment_elastic" in space.names


@pytest.mark.slow
def test_a_cnn_trains_on_warped_digits_seeded_and_pickles(digits_split):
    s = digits_split

    def fitted(extra: str, seed: int = 0):
        return get_model(SPEC + extra, random_state=seed).fit(s.X_train, s.y_train)

    plain, warped, again = fitted(""), fitted(",augment_elastic=10"), fitted(",augment_elastic=10")
    first = [m.model_.get_weights()[0] for m in (plain, warped, again)]
    np.testing.assert_array_equal(first[1], first[2])  # same seed, same warps
    assert not np.allclose(first[0], first[1], atol=1e-4)  # the warps changed training
    names = [type(layer).__name__ for layer in warped.model_.layers]
    assert "ElasticDistortion" in names
    copy = pickle.loads(pickle.dumps(warped))
    np.testing.assert_array_equal(copy.predict_proba(s.X_test), warped.predict_proba(s.X_test))


@pytest.mark.slow
def test_a_warped_cnn_passes_the_conformance_kit():
    from mnistbench.testing import check_model

    assert check_model(SPEC + ",augment_elastic=10").ok
