"""Box geometry shared by the pipeline, the tracker, training and the benchmark.

Boxes are (x, y, w, h) in pixels unless a name says otherwise.
"""
from __future__ import annotations

import cv2
import numpy as np


def intersection_matrix(a_xywh: np.ndarray, b_xywh: np.ndarray) -> np.ndarray:
    """Area shared by every box of `a` with every box of `b`: shape (len(a), len(b))."""
    a = np.asarray(a_xywh, np.float64).reshape(-1, 4)
    b = np.asarray(b_xywh, np.float64).reshape(-1, 4)
    ax1, ay1, bx1, by1 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax1[:, None], bx1[None]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(ay1[:, None], by1[None]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    return iw * ih


def iou_matrix(a_xywh: np.ndarray, b_xywh: np.ndarray) -> np.ndarray:
    """Intersection over union of every box of `a` with every box of `b`: shape (len(a), len(b))."""
    a = np.asarray(a_xywh, np.float64).reshape(-1, 4)
    b = np.asarray(b_xywh, np.float64).reshape(-1, 4)
    inter = intersection_matrix(a, b)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return inter / np.maximum(union, 1e-9)


def greedy_match(score: np.ndarray, min_score: float) -> np.ndarray:
    """One-to-one matching of rows to columns, best score first: each row's column, or -1."""
    found = np.full(score.shape[0], -1)
    taken = np.zeros(score.shape[1], bool)
    columns = score.shape[1]
    values = score.ravel().tolist()  # Python scalars: a frame's pairs are walked one by one
    for flat in np.argsort(-score, axis=None, kind="stable").tolist():
        if values[flat] < min_score:
            break
        r, c = divmod(flat, columns)
        if found[r] < 0 and not taken[c]:
            found[r], taken[c] = c, True
    return found


def ink_bounds(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x, y, w, h) of the nonzero pixels of a 2-D array, or None when it holds none."""
    if ink.dtype == np.uint8:  # OpenCV's scan: a tenth of NumPy's two reductions on a digit's crop
        x, y, w, h = cv2.boundingRect(ink)
        return None if w == 0 else (x, y, w, h)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def crop_to_ink(ink: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """The smallest crop holding all nonzero pixels, and its top-left (x, y) in `ink`; an array
    without ink comes back whole."""
    bounds = ink_bounds(ink)
    if bounds is None:
        return ink, (0, 0)
    x, y, w, h = bounds
    return ink[y:y + h, x:x + w], (x, y)


def gaps(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical gaps between boxes (x0, y0, x1, y1), broadcast; negative = overlap."""
    gap_x = np.maximum(b_xyxy[..., 0] - a_xyxy[..., 2], a_xyxy[..., 0] - b_xyxy[..., 2])
    gap_y = np.maximum(b_xyxy[..., 1] - a_xyxy[..., 3], a_xyxy[..., 1] - b_xyxy[..., 3])
    return gap_x, gap_y
