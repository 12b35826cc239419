"""The model's input contract: what a 28x28 patch looks like, in one place for training and live.

MNIST digits are white on black, the digit's longer side fitted into a 20x20 box keeping its
aspect ratio, and the box placed in a 28x28 field so that the ink's centre of mass sits at the
centre. Anything that feeds the model (training data, camera patches) goes through this module;
binary ink from a camera mask (or rendered for training) goes through `ink_to_patch`, which
first brings its strokes into MNIST's range of width.
"""
from __future__ import annotations

import cv2
import numpy as np

from live.boxes import ink_bounds

IMAGE_SIZE = 28
# MNIST fits each digit's longer side into 20 px and leaves a 4 px border for the centre shift.
DIGIT_BOX = 20
# A digit this tall (px of the image it is cut from) holds enough ink to read: its patch scales
# it up by two at most. However large the frame, the segmenter never asks more of a digit's
# height than this (see SegmentConfig.min_height_frac).
MIN_READABLE_HEIGHT = DIGIT_BOX // 2
NUM_DIGITS = 10
# Class 10 is "not a digit": letters, shapes, specks, pairs of digits, paper edges.
REJECT_LABEL = 10
NUM_CLASSES = NUM_DIGITS + 1
CLASS_NAMES = [str(d) for d in range(NUM_DIGITS)] + ["not a digit"]

# The second input: the frame around the candidate, grey, this many pixels square, scaled so that
# the paper's brightness is about 1 (see `context_to_input`) ...
CONTEXT_SIZE = 32
# ... cut as a square this many times the candidate's longer side: wide enough to show the paper
# or the texture around it and the neighbours on its line (a wood-grain line is a 1 on its own,
# not among its parallels), narrow enough that the candidate is still a visible part of it. A
# model is trained with it: changing it means training the context branch again.
CONTEXT_SCALE = 3.0

CONTRACT = {
    "input_shape": [IMAGE_SIZE, IMAGE_SIZE, 1],
    "dtype": "float32",
    "range": [0.0, 1.0],
    "polarity": "white digit on black",
    "normalization": "x_float32 = x_uint8 / 255.0",
    "digit_box_px": DIGIT_BOX,
    "placement": "longer side fitted to 20 px keeping aspect ratio, centre of mass at (14, 14)",
    "classes": CLASS_NAMES,
    "context": f"optional second input: {CONTEXT_SIZE}x{CONTEXT_SIZE}x1 float32, the grey frame around the patch "
               f"({CONTEXT_SCALE:g} times its longer side), divided by its 90th percentile and clipped to [0, 1.5], then / 1.5",
}


def normalize(images_u8: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) white-on-black -> float32 (N, 28, 28, 1) in [0, 1]."""
    images_u8 = np.asarray(images_u8)
    if images_u8.ndim != 3 or images_u8.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"expected (N, {IMAGE_SIZE}, {IMAGE_SIZE}) images, got {images_u8.shape}")
    return (images_u8.astype(np.float32) / 255.0)[..., None]


def contexts_to_input(contexts_u8: np.ndarray) -> np.ndarray:
    """uint8 (N, CONTEXT_SIZE, CONTEXT_SIZE) grey crops -> float32 (N, CONTEXT_SIZE, CONTEXT_SIZE, 1):
    each divided by its own 90th percentile (the paper, under any light), clipped, into [0, 1]."""
    grey = np.asarray(contexts_u8).reshape(-1, CONTEXT_SIZE * CONTEXT_SIZE)
    # np.percentile(..., 90, axis=1) of the float32 crops, to the bit, in a quarter of its time:
    # the two order statistics around the 90 % point, found by partition, interpolated as it does.
    at = 0.9 * (grey.shape[1] - 1)
    low = int(at)
    ranked = np.partition(grey, (low, low + 1), axis=1)
    below_90, above_90 = ranked[:, low].astype(np.float32), ranked[:, low + 1].astype(np.float32)
    bright = above_90 - (above_90 - below_90) * np.float32(1 - (at - low))
    contexts = grey.astype(np.float32).reshape(-1, CONTEXT_SIZE, CONTEXT_SIZE)
    scaled = contexts / np.maximum(bright, 8.0)[:, None, None]
    return (np.clip(scaled, 0.0, 1.5) / 1.5)[..., None].astype(np.float32)


# MNIST strokes are about 0.11 of the digit's longer side (median over the test set; 10-90 %:
# 0.08-0.16). Ink outside the band is thickened or thinned to the target before fitting: a fine
# pen on a large digit would fade to grey at 20 px, a marker on a small one would fill the box.
STROKE_FRAC_LOW, STROKE_FRAC_HIGH, STROKE_FRAC_TARGET = 0.08, 0.17, 0.11
# Size (px, longer side) at which strokes are measured and changed: a 1 px step is a fine step.
STROKE_WORK_SIDE = 64


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in pixels of a binary ink image: twice the area over the outline length."""
    binary = ink if ink.dtype == np.uint8 else (ink > 0).astype(np.uint8)  # OpenCV reads nonzero as ink
    contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    outline = sum(len(c) for c in contours)
    return 2.0 * float(np.count_nonzero(ink)) / max(outline, 1)


def normalize_stroke(ink: np.ndarray) -> np.ndarray:
    """Binary ink at STROKE_WORK_SIDE px (longer side), its strokes brought into MNIST's band."""
    h, w = ink.shape
    scale = STROKE_WORK_SIDE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # Area-resampling then a low cut keeps a thin pen line as a 1 px line instead of losing it.
    work = cv2.threshold(cv2.resize(ink, size, interpolation=cv2.INTER_AREA), 60, 255, cv2.THRESH_BINARY)[1]
    work = cv2.copyMakeBorder(work, 4, 4, 4, 4, cv2.BORDER_CONSTANT, value=0)
    frac = stroke_width(work) / STROKE_WORK_SIDE
    if STROKE_FRAC_LOW <= frac <= STROKE_FRAC_HIGH:
        return work
    change = int(round((STROKE_FRAC_TARGET - frac) * STROKE_WORK_SIDE / 2))
    if change == 0:
        return work
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(change) + 1, 2 * abs(change) + 1))
    if change > 0:
        return cv2.dilate(work, kernel)
    thinned = cv2.erode(work, kernel)
    # Thinning must not erase the digit: keep the original where erosion leaves too little.
    return thinned if np.count_nonzero(thinned) > 0.3 * np.count_nonzero(work) else work


def ink_to_patch(ink: np.ndarray) -> np.ndarray:
    """Binary ink (uint8, any size, ink > 0) -> uint8 28x28 patch: strokes normalized, then fitted."""
    return fit_to_mnist(normalize_stroke(ink))


def fit_to_mnist(ink: np.ndarray) -> np.ndarray:
    """Any-size uint8 ink image (white on black) -> uint8 28x28 laid out as MNIST lays out digits.

    The ink's bounding box is scaled so its longer side is 20 px (aspect ratio kept, never
    stretched), then shifted so the centre of mass lands at the patch centre, without cutting
    ink off at the border. An image without ink gives an all-black patch.
    """
    ink = np.asarray(ink, dtype=np.uint8)
    bounds = ink_bounds(ink)
    patch = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    if bounds is None:
        return patch
    x, y, w, h = bounds
    crop = ink[y : y + h, x : x + w]
    scale = DIGIT_BOX / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    # INTER_AREA averages when shrinking, which keeps thin strokes as soft grey lines.
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(crop, (new_w, new_h), interpolation=interp)
    # Sums of whole numbers, exact in OpenCV's doubles as in NumPy's, in a fifth of the time.
    m = cv2.moments(small)
    total = m["m00"]
    if total <= 0:
        return patch
    cy, cx = m["m01"] / total, m["m10"] / total
    top = max(0, min(IMAGE_SIZE - new_h, round(IMAGE_SIZE / 2 - cy - 0.5)))
    left = max(0, min(IMAGE_SIZE - new_w, round(IMAGE_SIZE / 2 - cx - 0.5)))
    patch[top : top + new_h, left : left + new_w] = small
    return patch
