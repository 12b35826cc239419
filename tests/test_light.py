"""A lens's fall-off of light: estimated from the frame where it is smooth, taken out of the
contexts, and left alone where the frame is darker at its edges for another reason."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from live.light import DEEPEST_FALL_OFF, estimate_fall_off, fall_off
from live.segment import segment
from live.synth import digit_ink


def _ink(image: np.ndarray, height: int) -> np.ndarray:
    """A digit's ink about `height` px tall, cut to its rows and columns."""
    ink = digit_ink(image, height, 0.0)
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.5), np.flatnonzero(ink.max(axis=0) > 0.5)
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _page(sample_digits, size_wh=(640, 480), height=60, rows=3, seed=0) -> np.ndarray:
    """An evenly lit page filling the frame, with `rows` rows of handwritten digits."""
    images, _ = sample_digits
    width, frame_h = size_wh
    rng = np.random.default_rng(seed)
    paper = np.full((frame_h, width), 228, np.float32)
    for row in range(rows):
        y, x = int((row + 0.5) * frame_h / rows - height / 2), height // 2
        while True:
            ink = _ink(images[int(rng.integers(len(images)))], height)
            h, w = ink.shape
            if x + w > width - height // 2:
                break
            paper[y:y + h, x:x + w] = np.minimum(paper[y:y + h, x:x + w], 228 * (1 - ink) + 30 * ink)
            x += w + height // 3
    return paper


def _darkened(paper: np.ndarray, deepest: float) -> np.ndarray:
    return np.clip(paper * fall_off(paper.shape[1], paper.shape[0], deepest), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("size_wh", [(640, 480), (1280, 720)])
def test_a_lens_fall_off_over_a_page_is_estimated(sample_digits, size_wh):
    paper = _page(sample_digits, size_wh, height=size_wh[1] // 8)
    assert estimate_fall_off(paper.astype(np.uint8)) == 0.0
    for deepest in (0.2, 0.4, 0.6):
        assert abs(estimate_fall_off(_darkened(paper, deepest)) - deepest) <= 0.08, deepest
    # Deeper than any lens of training's: taken out only as far as the deepest.
    assert estimate_fall_off(_darkened(paper, 0.85)) == pytest.approx(DEEPEST_FALL_OFF)


def test_a_sheet_before_a_dark_surround_is_no_fall_off_of_light(sample_digits):
    """A sheet on a dark desk, or held up before dark clothes: its edge is no lens's fall-off,
    even in a frame that also has one."""
    sheet = _page(sample_digits, (400, 300), height=40)
    frame = np.full((480, 640), 40, np.float32)
    frame[90:390, 120:520] = sheet
    for deepest in (0.0, 0.4):
        assert estimate_fall_off(_darkened(frame, deepest)) == 0.0, deepest


def test_the_contexts_of_a_page_under_a_fall_off_of_light_are_those_of_the_page_evenly_lit(sample_digits):
    """Every candidate's context, in the corners too and where it reaches past the frame's edge,
    is the one the evenly lit page gives, within a few grey levels; without taking the fall-off
    out, the corner ones are a third darker on one side than on the other."""
    paper = _page(sample_digits, height=70)
    even = segment(paper.astype(np.uint8))
    darkened = segment(_darkened(paper, 0.6))
    contexts = {c.box_xywh: c.context for c in even.candidates}
    compared = 0
    for cand in darkened.candidates:
        if cand.box_xywh in contexts:
            diff = np.abs(cand.context.astype(int) - contexts[cand.box_xywh])
            assert np.percentile(diff, 90) <= 12, cand.box_xywh
            compared += 1
    assert compared >= 15


def test_digits_in_the_corners_of_a_close_page_under_a_deep_fall_off_are_read(recognizer, sample_digits):
    """A page of digits held close to a webcam whose corners get a third of the centre's light."""
    images, labels = sample_digits
    paper = np.full((480, 640), 228, np.float32)
    wanted = []
    rng = np.random.default_rng(3)
    for y in (20, 340):
        # Six digits a row, from edge to edge of the frame 20 px in, spaced evenly: apart, as
        # written on a page (a wide 6 set 100 px after its neighbour would run into it).
        drawn = [int(rng.integers(len(images))) for _ in range(6)]
        inks = [_ink(images[k], 110) for k in drawn]
        gap = (600 - sum(ink.shape[1] for ink in inks)) / 5
        x = 20.0
        for k, ink in zip(drawn, inks):
            h, w = ink.shape
            at = int(round(x))
            paper[y:y + h, at:at + w] = np.minimum(paper[y:y + h, at:at + w], 228 * (1 - ink) + 30 * ink)
            wanted.append(int(labels[k]))
            x += w + gap
    frame = cv2.cvtColor(_darkened(paper, 0.65), cv2.COLOR_GRAY2BGR)
    dets = recognizer(frame).detections
    sure = dets.select(dets.confidences >= 0.5)
    order = np.lexsort((sure.boxes_xywh[:, 0], sure.boxes_xywh[:, 1] > 240))
    assert sure.labels[order].tolist() == wanted
