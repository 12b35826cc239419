"""Candidate ink crops -> the float32 (N, 28, 28, 1) batch the model reads, laid out as MNIST.

Strokes are first brought into MNIST's range of width relative to the digit's size (a fine pen
on a large digit would fade to grey at 20 px, a marker on a small one would fill the box), then
`training.contract` fits, centres and normalizes exactly as for training data.
"""
from __future__ import annotations

import cv2
import numpy as np

from live.config import PatchConfig
from training.contract import IMAGE_SIZE, fit_to_mnist, normalize


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in pixels of a binary ink image: twice the area over the outline length."""
    contours, _ = cv2.findContours((ink > 0).astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    outline = sum(len(c) for c in contours)
    return 2.0 * float(np.count_nonzero(ink)) / max(outline, 1)


def normalize_stroke(ink: np.ndarray, cfg: PatchConfig = PatchConfig()) -> np.ndarray:
    """The ink at `cfg.work_side` px (longer side), thickened or thinned into MNIST's stroke band."""
    h, w = ink.shape
    scale = cfg.work_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # Area-resampling then a low cut keeps a thin pen line as a 1 px line instead of losing it.
    work = (cv2.resize(ink, size, interpolation=cv2.INTER_AREA) > 60).astype(np.uint8) * 255
    work = cv2.copyMakeBorder(work, 4, 4, 4, 4, cv2.BORDER_CONSTANT, value=0)
    frac = stroke_width(work) / cfg.work_side
    if cfg.stroke_frac_low <= frac <= cfg.stroke_frac_high:
        return work
    change = int(round((cfg.stroke_frac_target - frac) * cfg.work_side / 2))
    if change == 0:
        return work
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(change) + 1, 2 * abs(change) + 1))
    if change > 0:
        return cv2.dilate(work, kernel)
    thinned = cv2.erode(work, kernel)
    # Thinning must not erase the digit: keep the original where erosion leaves too little.
    return thinned if np.count_nonzero(thinned) > 0.3 * np.count_nonzero(work) else work


def make_patches(inks: list[np.ndarray], cfg: PatchConfig = PatchConfig()) -> np.ndarray:
    """Binary ink crops -> float32 (N, 28, 28, 1) in the training contract's layout and range."""
    if not inks:
        return np.zeros((0, IMAGE_SIZE, IMAGE_SIZE, 1), np.float32)
    return normalize(np.stack([fit_to_mnist(normalize_stroke(ink, cfg)) for ink in inks]))
