"""Digits in reading order, and digits standing side by side on one line read as a number.

Lines follow the sheet's tilt: `line_angle` estimates the direction of the text lines from each
digit's nearest neighbour, and lines are grouped and read along it.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Number:
    text: str
    box_xywh: tuple[int, int, int, int]


def line_angle(boxes_xywh: np.ndarray, min_pairs: int = 3, max_deg: float = 60.0, agree_deg: float = 15.0) -> float:
    """Tilt of the text lines in radians (image y down, positive = clockwise), 0 when unsure.

    Each box's nearest neighbour usually stands beside it on its line; the median direction of
    those pairs is the line direction. Fewer than `min_pairs` usable pairs, or pairs that do not
    agree on a direction (at least 60 % of them within `agree_deg` of it), give 0. Handwritten
    digits differ in width and stand at uneven heights, so the directions from one digit to the
    next along a line scatter: on a sheet held 19 to 31 degrees aslant they spread over some 25
    degrees, and a window of 10 degrees either side missed the tilt in a third of its frames.
    """
    boxes = np.asarray(boxes_xywh, np.float64).reshape(-1, 4)
    if len(boxes) < 2:
        return 0.0
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    diff = centres[None] - centres[:, None]
    dist = np.linalg.norm(diff, axis=2)
    np.fill_diagonal(dist, np.inf)
    nearest = dist.argmin(axis=1)
    vec = diff[np.arange(len(boxes)), nearest]
    close = dist[np.arange(len(boxes)), nearest] <= 2.5 * statistics.median(boxes[:, 3].tolist())
    angles = np.arctan2(vec[:, 1], vec[:, 0])
    angles = (angles + np.pi / 2) % np.pi - np.pi / 2  # a pair read either way is one direction
    usable = close & (np.abs(angles) <= np.deg2rad(max_deg))
    if usable.sum() < min_pairs:
        return 0.0
    angle = float(statistics.median(angles[usable].tolist()))
    # Sparse digits have diagonal neighbours; only a direction most pairs agree on is a line.
    agree = np.abs(angles[usable] - angle) <= np.deg2rad(agree_deg)
    return angle if agree.mean() >= 0.6 else 0.0


def _along_lines(boxes: np.ndarray, angle: float) -> np.ndarray:
    """Box centres in a frame turned by -angle: x along the text lines, y across them."""
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([centres[:, 0] * c + centres[:, 1] * s, -centres[:, 0] * s + centres[:, 1] * c], 1)


def lines_of(boxes_xywh: np.ndarray, angle: float | None = None) -> list[list[int]]:
    """Indices grouped into text lines (top to bottom), each line left to right, along the tilt.

    Boxes are taken left to right and each joins the line whose last box is nearest across the
    line direction, within 0.6 digit heights: handwritten lines drift and curve, so a line is
    followed box by box rather than compared with a straight band.
    """
    boxes = np.asarray(boxes_xywh).reshape(-1, 4)
    if len(boxes) == 0:
        return []
    along = _along_lines(boxes, line_angle(boxes) if angle is None else angle)
    # Python lists: a frame's few boxes are compared pairwise, where NumPy's scalars cost more
    # than the arithmetic.
    across, heights = along[:, 1].tolist(), boxes[:, 3].tolist()
    lines: list[list[int]] = []
    for i in np.argsort(along[:, 0], kind="stable").tolist():
        best, best_dy = None, np.inf
        for line in lines:
            last = line[-1]
            dy = abs(across[i] - across[last])
            if dy <= 0.6 * max(heights[i], heights[last]) and dy < best_dy:
                best, best_dy = line, dy
        if best is None:
            lines.append([i])
        else:
            best.append(i)
    return sorted(lines, key=lambda line: statistics.median(across[i] for i in line))


def reading_order(boxes_xywh: np.ndarray) -> list[int]:
    return [i for line in lines_of(boxes_xywh) for i in line]


def runs(boxes_xywh: np.ndarray, max_gap: float = 0.9) -> list[list[int]]:
    """Indices of the boxes that stand side by side on one line, gaps below `max_gap` box heights:
    each run left to right, as `numbers` reads them."""
    boxes = np.asarray(boxes_xywh).reshape(-1, 4)
    if len(boxes) == 0:
        return []
    angle = line_angle(boxes)
    along = _along_lines(boxes, angle)
    # Half the box's extent along the line, for the gap between neighbours.
    half = (np.abs(np.cos(angle)) * boxes[:, 2] + np.abs(np.sin(angle)) * boxes[:, 3]) / 2
    found = []
    start, end, heights = (along[:, 0] - half).tolist(), (along[:, 0] + half).tolist(), boxes[:, 3].tolist()
    for line in lines_of(boxes, angle):
        run = [line[0]]
        for prev, cur in zip(line, line[1:]):
            if start[cur] - end[prev] <= max_gap * max(heights[prev], heights[cur]):
                run.append(cur)
            else:
                found.append(run)
                run = [cur]
        found.append(run)
    return found


def numbers(boxes_xywh: np.ndarray, labels: np.ndarray, max_gap: float = 0.9) -> list[Number]:
    """Runs of digits on one line whose gaps are below `max_gap` digit heights, read left to right."""
    boxes = np.asarray(boxes_xywh).reshape(-1, 4)
    return [_number(boxes, labels, run) for run in runs(boxes, max_gap)]


def _number(boxes: np.ndarray, labels: np.ndarray, run: list[int]) -> Number:
    own = boxes[run]
    x0, y0 = own[:, :2].min(axis=0).tolist()
    x1, y1 = (own[:, :2] + own[:, 2:]).max(axis=0).tolist()
    return Number("".join(str(int(labels[i])) for i in run), (int(x0), int(y0), int(x1 - x0), int(y1 - y0)))
