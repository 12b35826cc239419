"""Scene patches: the live segmenter's cut-outs of rendered scenes, labelled by the true boxes."""
from __future__ import annotations

import numpy as np

from live.synth import load_sample_digits
from live.contract import IMAGE_SIZE, REJECT_LABEL
from training.scenes import scene_patches


def test_scene_patches_are_labelled_patches_and_repeatable():
    images, labels = load_sample_digits()
    patches, classes = scene_patches(images, labels, frames=30, seed=3, workers=1)
    assert patches.dtype == np.uint8 and patches.shape == (len(classes), IMAGE_SIZE, IMAGE_SIZE)
    # ~7 digits a frame, most found; digit-free frames and letters give "not a digit" patches.
    digits = classes != REJECT_LABEL
    assert digits.sum() >= 100 and (~digits).sum() >= 5
    assert set(np.unique(classes[digits])) <= set(range(10))
    assert all(p.any() for p in patches)
    again, again_classes = scene_patches(images, labels, frames=30, seed=3, workers=1)
    assert np.array_equal(again, patches) and np.array_equal(again_classes, classes)

