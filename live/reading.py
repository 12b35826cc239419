"""Digits in reading order, and digits standing side by side on one line read as a number."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Number:
    text: str
    box_xywh: tuple[int, int, int, int]


def lines_of(boxes_xywh: np.ndarray) -> list[list[int]]:
    """Indices grouped into text lines (top to bottom), each line left to right.

    A box joins a line when its vertical centre lies within the line's running extent; the
    extent is that of the line's median box, so one tall digit does not swallow the next line.
    """
    boxes = np.asarray(boxes_xywh).reshape(-1, 4)
    order = np.argsort(boxes[:, 1] + boxes[:, 3] / 2)
    lines: list[list[int]] = []
    for i in order:
        cy = boxes[i, 1] + boxes[i, 3] / 2
        for line in lines:
            tops = boxes[line, 1]
            bottoms = tops + boxes[line, 3]
            if np.median(tops) <= cy <= np.median(bottoms):
                line.append(int(i))
                break
        else:
            lines.append([int(i)])
    return [sorted(line, key=lambda j: boxes[j, 0]) for line in lines]


def reading_order(boxes_xywh: np.ndarray) -> list[int]:
    return [i for line in lines_of(boxes_xywh) for i in line]


def numbers(boxes_xywh: np.ndarray, labels: np.ndarray, max_gap: float = 0.9) -> list[Number]:
    """Runs of digits on one line whose gaps are below `max_gap` digit heights, read left to right."""
    boxes = np.asarray(boxes_xywh).reshape(-1, 4)
    found = []
    for line in lines_of(boxes):
        run = [line[0]]
        for prev, cur in zip(line, line[1:]):
            height = max(boxes[prev, 3], boxes[cur, 3])
            if boxes[cur, 0] - (boxes[prev, 0] + boxes[prev, 2]) <= max_gap * height:
                run.append(cur)
            else:
                found.append(_number(boxes, labels, run))
                run = [cur]
        found.append(_number(boxes, labels, run))
    return found


def _number(boxes: np.ndarray, labels: np.ndarray, run: list[int]) -> Number:
    x0, y0 = boxes[run, 0].min(), boxes[run, 1].min()
    x1, y1 = (boxes[run, 0] + boxes[run, 2]).max(), (boxes[run, 1] + boxes[run, 3]).max()
    return Number("".join(str(int(labels[i])) for i in run), (int(x0), int(y0), int(x1 - x0), int(y1 - y0)))
