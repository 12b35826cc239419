"""Generated non-digits: the right shape and type, visible ink, made like live patches."""
from __future__ import annotations

import numpy as np
import pytest

from live.contract import ink_to_patch
from live.mnist import load_mnist
from training.negatives import DRAWERS, FONTS, LETTERS, _text, camera_mask, make_negatives


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
    for size in (16, 30, 90, 200):
        ink = drawer(rng, size)
        patch = ink_to_patch(camera_mask(rng, ink))
        assert patch.any(), f"{drawer.__name__} at {size} px drew nothing"
        # ink_to_patch puts the longer side at 20 px: the patch is a full-size drawing.
        rows, cols = np.flatnonzero(patch.any(1)), np.flatnonzero(patch.any(0))
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 >= 19


def test_letters_leave_out_digit_look_alikes():
    assert not set(LETTERS) & set("OoQDIlijJSsZzBbgqGT/|()")
    # The letters the live side misread as digits are all taught as "not a digit".
    assert set("adePAnuVx") <= set(LETTERS)
    assert len(FONTS) == 8  # every Hershey font


def test_camera_mask_is_binary():
    rng = np.random.default_rng(3)
    for _ in range(20):
        mask = camera_mask(rng, _text(rng, 80))
        assert set(np.unique(mask)) <= {0, 255}


def test_negatives_are_live_patches(digits):
    # Every negative is ink_to_patch's output: strokes within MNIST's band, so no negative is a
    # hairline or a solid marker blob that a live patch could never be (filled shapes aside).
    negatives = make_negatives(200, digits, rng=6)
    assert (negatives.reshape(200, -1).max(axis=1) >= 200).all()


def test_paper_corners_never_look_like_a_seven():
    """A band along the top and down the right side is a marker 7 with a straight bar."""
    from training.negatives import _paper_edge

    rng = np.random.default_rng(7)
    turns = set()
    for _ in range(400):
        canvas = _paper_edge(rng, 60) > 0
        paper = ~canvas
        rows, cols = np.flatnonzero(paper.any(axis=1)), np.flatnonzero(paper.any(axis=0))
        full_row, full_col = canvas.all(axis=1).any(), canvas.all(axis=0).any()
        if not (full_row and full_col) or paper.sum() != (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1):
            continue  # a half-plane: no band both ways, or the paper left is not a rectangle
        turns.add((bool(canvas[0].all()), bool(canvas[:, -1].all())))
    assert (True, True) not in turns
    assert len(turns) == 3  # the other three turns all come
