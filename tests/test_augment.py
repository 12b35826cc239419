"""Camera-domain augmentation keeps the batch's shape, type and labels, is repeatable, and
makes most of its digits exactly as the live side makes patches."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from training.augment import DEFAULT_CONFIG, augment, augment_batch
from live.mnist import load_mnist


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


def test_live_path_is_exactly_ink_to_patch(digits):
    live_only = replace(DEFAULT_CONFIG, live_prob=1.0)
    out = augment(digits[0][:64], 1.0, rng=5, config=live_only)
    # Live patches come straight from ink_to_patch: full-white ink, nothing photometric added,
    # and, like MNIST, the longer side fitted to 20 px.
    assert (out.reshape(len(out), -1).max(axis=1) == 255).all()
    for patch in out:
        rows, cols = np.flatnonzero(patch.any(1)), np.flatnonzero(patch.any(0))
        assert 19 <= max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 21


def test_live_path_is_a_large_share(digits):
    # With loud noise every non-live digit gets a speckled background, while a live patch keeps
    # ink_to_patch's black one: so the black-background share is the live share.
    noisy = replace(DEFAULT_CONFIG, max_noise_std=80.0)
    out = augment(digits[0], 1.0, rng=2, config=noisy)
    black = (out.reshape(len(out), -1) == 0).mean(axis=1) > 0.62
    assert 0.45 <= black.mean() <= 0.7, black.mean()
    assert 0.5 <= DEFAULT_CONFIG.live_prob <= 0.6


def test_live_path_varies_pen_and_resolution(digits):
    # Thin pen to marker and 15-250 px tall digits, all brought into MNIST's stroke band: the
    # amount of ink varies, but stays within what ink_to_patch allows.
    live_only = replace(DEFAULT_CONFIG, live_prob=1.0)
    out = augment(digits[0][:128], 1.0, rng=9, config=live_only)
    ink = (out > 127).reshape(len(out), -1).mean(axis=1)
    assert ink.std() > 0.02 and ink.min() > 0.02 and ink.max() < 0.6


def _width_over_height(patch: np.ndarray) -> float:
    """The ink's bounding box, wide over tall."""
    ys, xs = np.nonzero(patch > 60)
    return (np.ptp(xs) + 1) / (np.ptp(ys) + 1)


def test_digits_are_narrowed_as_people_write_them(digits):
    # Everything else off: the digits come back as they were but narrower.
    still = replace(DEFAULT_CONFIG, max_rotation_deg=0.0, max_scale_change=0.0, max_shear=0.0, max_shift_px=0.0,
                    max_erode_px=0, max_dilate_px=0, live_prob=0.0, binarize_prob=0.0, max_blur_sigma=0.0,
                    max_noise_std=0.0, min_peak=1.0, max_log_gamma=0.0)
    images = digits[0][:128]
    plain = augment(images, 1.0, rng=4, config=replace(still, min_width_factor=1.0))
    narrowed = augment(images, 1.0, rng=4, config=replace(still, narrow_share=0.5))
    change = np.array([_width_over_height(a) / _width_over_height(b) for a, b in zip(narrowed, plain)])
    assert np.all(change < 1.1)  # never widened
    # Down to about the factor (a 1's few columns barely change), most digits a little.
    assert np.quantile(change, 0.1) < 0.6 and np.median(change) > 0.5
    # About half the digits keep their width.
    assert 0.35 < np.mean(change > 0.97) < 0.75
    # Their height stays: it is what the live side fits to the patch's 20 px.
    def height(patch):
        return np.ptp(np.nonzero(patch > 60)[0])

    assert abs(np.mean([height(a) for a in narrowed]) - np.mean([height(b) for b in plain])) < 1.0
    # By default MNIST is read as written.
    np.testing.assert_array_equal(augment(images, 1.0, rng=4, config=still), plain)


def test_long_tails_stretch_the_stems_of_4s_7s_and_9s_only(digits):
    from live.boxes import ink_bounds
    from training.augment import long_tails

    images, labels = digits
    tailed = long_tails(images, labels, np.random.default_rng(0), replace(DEFAULT_CONFIG, tail_share=1.0))
    stemmed = np.isin(labels, (4, 7, 9))
    changed = np.array([not np.array_equal(a, b) for a, b in zip(images, tailed)])
    assert changed[stemmed].all() and not changed[~stemmed].any()
    aspects = []
    for before, after in zip(images[stemmed], tailed[stemmed]):
        _, _, w0, h0 = ink_bounds(before > 0)
        _, _, w1, h1 = ink_bounds(after > 0)
        assert h1 >= 19 and w1 / h1 <= w0 / h0 + 0.05  # fitted into MNIST's 20 px box again, longer
        assert 0.6 * before.sum() < after.sum() < 1.6 * before.sum()  # the same pen
        aspects.append((w1 / h1) / (w0 / h0))
    assert np.mean(aspects) < 0.85
    # Only the digits asked for: a long-stemmed 4 is close to a "y", which a reader may be kept from learning.
    sevens_nines = long_tails(images, labels, np.random.default_rng(0),
                              replace(DEFAULT_CONFIG, tail_share=1.0, tailed_digits=(7, 9)))
    changed = np.array([not np.array_equal(a, b) for a, b in zip(images, sevens_nines)])
    assert changed[np.isin(labels, (7, 9))].all() and not changed[~np.isin(labels, (7, 9))].any()
    rng = np.random.default_rng(0)
    assert long_tails(images, labels, rng, DEFAULT_CONFIG) is images  # off by default ...
    assert rng.random() == np.random.default_rng(0).random()  # ... and a run without draws as before
