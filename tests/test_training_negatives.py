"""Generated non-digits: the right shape and type, visible ink, laid out like live patches."""
from __future__ import annotations

import numpy as np
import pytest

from training.contract import fit_to_mnist
from training.data import load_mnist
from training.negatives import DRAWERS, make_negatives


@pytest.fixture(scope="module")
def digits():
    return load_mnist()[0][:500]


def test_shape_dtype_and_ink(digits):
    negatives = make_negatives(300, digits, rng=0)
    assert negatives.shape == (300, 28, 28) and negatives.dtype == np.uint8
    assert (negatives.reshape(300, -1).max(axis=1) > 0).all()
    assert len({n.tobytes() for n in negatives}) == 300


def test_seeded(digits):
    np.testing.assert_array_equal(make_negatives(50, digits, rng=4), make_negatives(50, digits, rng=4))


def test_without_digits_there_are_no_groups():
    assert make_negatives(20, None, rng=1).shape == (20, 28, 28)


@pytest.mark.parametrize("drawer", sorted(set(DRAWERS), key=lambda d: d.__name__))
def test_every_drawer_gives_ink_that_survives_the_live_layout(drawer):
    rng = np.random.default_rng(2)
    for size in (30, 90, 150):
        ink = drawer(rng, size)
        patch = fit_to_mnist(np.where(ink > 127, 255, 0).astype(np.uint8))
        assert patch.any(), f"{drawer.__name__} at {size} px drew nothing"
        # fit_to_mnist puts the longer side at 20 px: the patch is a full-size drawing.
        rows, cols = np.flatnonzero(patch.any(1)), np.flatnonzero(patch.any(0))
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 >= 19
