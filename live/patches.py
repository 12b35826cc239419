"""Candidate ink crops -> the float32 (N, 28, 28, 1) batch the model reads, laid out as MNIST.

Each crop goes through `live.contract.ink_to_patch` (stroke width into MNIST's band, longer
side fitted into 20 px, centre of mass centred), exactly as the training data's camera-like
patches and negatives do.
"""
from __future__ import annotations

import numpy as np

from live.contract import CONTEXT_SIZE, IMAGE_SIZE, contexts_to_input, ink_to_patch, normalize


def make_patches(inks: list[np.ndarray]) -> np.ndarray:
    """Binary ink crops -> float32 (N, 28, 28, 1) in the contract's layout and range."""
    if not inks:
        return np.zeros((0, IMAGE_SIZE, IMAGE_SIZE, 1), np.float32)
    return normalize(np.stack([ink_to_patch(ink) for ink in inks]))


def make_contexts(contexts_u8: list[np.ndarray]) -> np.ndarray:
    """Grey context crops -> float32 (N, CONTEXT_SIZE, CONTEXT_SIZE, 1), the model's second input."""
    if not contexts_u8:
        return np.zeros((0, CONTEXT_SIZE, CONTEXT_SIZE, 1), np.float32)
    return contexts_to_input(np.stack(contexts_u8))
