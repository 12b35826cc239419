"""Context-stage samples: what the live segmenter proposes in rendered scenes and real photographs,
each as (patch, the frame around it, label), labelled by the true boxes."""
from __future__ import annotations

import dataclasses
import importlib.util

import numpy as np
import pytest

from live.contract import CONTEXT_SIZE, IMAGE_SIZE, REJECT_LABEL
from live.synth import load_sample_digits
from training.augment import DEFAULT_CONFIG
from training.scenes import _narrowed, label_candidates, paper_context, scene_samples


def test_scene_samples_are_labelled_patches_with_contexts_and_repeatable():
    if importlib.util.find_spec("skimage") is None:
        pytest.skip("the real photographs ship in scikit-image's wheel")
    images, labels = load_sample_digits()
    patches, contexts, classes = scene_samples(images, labels, frames=30, seed=3, workers=1)
    assert patches.dtype == np.uint8 and patches.shape == (len(classes), IMAGE_SIZE, IMAGE_SIZE)
    assert contexts.dtype == np.uint8 and contexts.shape == (len(classes), CONTEXT_SIZE, CONTEXT_SIZE)
    digits = classes != REJECT_LABEL
    assert digits.sum() >= 50 and (~digits).sum() >= 50
    assert set(np.unique(classes[digits])) <= set(range(10))
    assert all(p.any() for p in patches)
    again = scene_samples(images, labels, frames=30, seed=3, workers=1)
    assert all(np.array_equal(a, b) for a, b in zip(again, (patches, contexts, classes)))


def test_scene_digits_can_be_drawn_long_stemmed_as_the_patch_branch_learnt_them():
    if importlib.util.find_spec("skimage") is None:
        pytest.skip("the real photographs ship in scikit-image's wheel")
    from live.boxes import ink_bounds

    images, labels = load_sample_digits()

    def aspects(samples) -> dict[bool, float]:
        patches, _, classes = samples
        ratios = np.array([w / h for _, _, w, h in (ink_bounds(p > 60) for p in patches)])
        stemmed = np.isin(classes, (7, 9))
        others = (classes != REJECT_LABEL) & ~stemmed
        return {True: float(np.median(ratios[stemmed])), False: float(np.median(ratios[others]))}

    # 60 frames: the medians of 30 moved by a tenth with nothing but the random draws changed.
    plain = aspects(scene_samples(images, labels, frames=60, seed=3, workers=1))
    tailed = aspects(scene_samples(images, labels, frames=60, seed=3, workers=1,
                                  drawn=dataclasses.replace(DEFAULT_CONFIG, tail_share=1.0, tailed_digits=(7, 9))))
    assert tailed[True] < 0.85 * plain[True]  # 7s and 9s, longer than they were
    assert abs(tailed[False] - plain[False]) < 0.1 * plain[False]  # every other digit as it was


def test_candidates_take_a_digit_label_only_when_they_match_one_and_reject_when_they_touch_none():
    truth = np.array([[100, 100, 40, 60]])
    boxes = np.array([[102, 101, 38, 58],  # the digit
                      [100, 100, 40, 25],  # its top: a fragment
                      [300, 300, 30, 30],  # far away
                      [95, 95, 100, 70]])  # the digit and a stroke beside it
    assert label_candidates(boxes, truth, np.array([7])).tolist() == [7, -1, REJECT_LABEL, -1]
    assert label_candidates(boxes, np.zeros((0, 4)), np.zeros(0, np.int64)).tolist() == [REJECT_LABEL] * 4


def test_a_candidate_holding_two_digits_is_not_a_digit():
    truth = np.array([[100, 100, 40, 60], [150, 100, 30, 60], [190, 100, 40, 60]])
    boxes = np.array([[98, 98, 84, 64],  # the first two joined
                      [140, 100, 90, 60],  # the second and the third, a piece of a touching run
                      [90, 95, 70, 70],  # the first and a sliver of the second: left out
                      [151, 100, 29, 60]])  # the second alone
    assert label_candidates(boxes, truth, np.array([2, 1, 4])).tolist() == [REJECT_LABEL, REJECT_LABEL, -1, 1]


def test_a_patch_on_paper_is_dark_ink_in_the_middle_of_bright_paper():
    patch = np.zeros((1, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    patch[0, 4:24, 12:16] = 255  # a 1
    context = paper_context(patch, np.random.default_rng(0))[0].astype(float)
    middle = context[12:20, 12:20]
    assert context.shape == (CONTEXT_SIZE, CONTEXT_SIZE)
    assert middle.min() < np.median(context) - 30, "the ink is darker than the paper"
    assert np.median(context[:8]) > middle.min(), "paper all round"


def test_about_half_the_scene_digits_are_narrowed_and_keep_their_height():
    digits, _ = load_sample_digits()
    narrowed = _narrowed(digits, 0.5, np.random.default_rng(0))

    def extent(image: np.ndarray, axis: int) -> int:
        return int(np.ptp(np.nonzero(image > 60)[axis])) + 1

    widths = np.array([extent(b, 1) / extent(a, 1) for a, b in zip(digits, narrowed)])
    heights = np.array([extent(b, 0) - extent(a, 0) for a, b in zip(digits, narrowed)])
    assert 0.25 < np.mean(widths < 0.95) < 0.75 and widths.min() < 0.6 and widths.max() < 1.05
    assert np.abs(heights).max() <= 1
