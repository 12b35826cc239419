"""Camera-domain augmentation keeps the batch's shape, type and labels, and is repeatable."""
from __future__ import annotations

import numpy as np
import pytest

from training.augment import augment, augment_batch
from training.data import load_mnist


@pytest.fixture(scope="module")
def digits():
    x_train, y_train, _, _ = load_mnist()
    return x_train[:256], y_train[:256]


@pytest.mark.parametrize("strength", [0.3, 1.0])
def test_shape_dtype_range(digits, strength):
    out = augment(digits[0], strength, rng=1)
    assert out.shape == digits[0].shape and out.dtype == np.uint8
    assert out.max() > 100  # digits survive, they are not wiped to black
    assert (out.reshape(len(out), -1).max(axis=1) > 50).mean() > 0.98
    assert not np.array_equal(out, digits[0])


def test_zero_strength_is_identity(digits):
    out = augment(digits[0], 0.0, rng=1)
    np.testing.assert_array_equal(out, digits[0])
    assert out is not digits[0]


def test_labels_untouched(digits):
    images, labels = digits
    before = labels.copy()
    _, out_labels = augment_batch(images, labels, 1.0, rng=3)
    np.testing.assert_array_equal(out_labels, before)


def test_same_seed_same_output(digits):
    np.testing.assert_array_equal(augment(digits[0], 1.0, rng=7), augment(digits[0], 1.0, rng=7))
    assert not np.array_equal(augment(digits[0], 1.0, rng=7), augment(digits[0], 1.0, rng=8))


@pytest.mark.parametrize(
    "images, strength",
    [
        (np.zeros((2, 28, 28), np.float32), 1.0),
        (np.zeros((2, 32, 32), np.uint8), 1.0),
        (np.zeros((28, 28), np.uint8), 1.0),
        (np.zeros((2, 28, 28), np.uint8), 1.5),
    ],
)
def test_bad_input(images, strength):
    with pytest.raises(ValueError):
        augment(images, strength)
