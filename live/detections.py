"""The one result type of a frame: parallel arrays of boxes, labels, confidences and track ids."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Detections:
    """Digits found in one frame. Boxes are (x, y, w, h) in source pixels; track id -1 = untracked."""

    boxes_xywh: np.ndarray
    labels: np.ndarray
    confidences: np.ndarray
    track_ids: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.labels)
        expected = {"boxes_xywh": (n, 4), "labels": (n,), "confidences": (n,), "track_ids": (n,)}
        for name, shape in expected.items():
            actual = np.shape(getattr(self, name))
            if actual != shape:
                raise ValueError(f"Detections.{name}: expected shape {shape}, got {actual}")

    @classmethod
    def empty(cls) -> "Detections":
        return cls(np.zeros((0, 4), np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.int64))

    @classmethod
    def untracked(cls, boxes_xywh, labels, confidences) -> "Detections":
        boxes = np.asarray(boxes_xywh, np.int64).reshape(-1, 4)
        return cls(boxes, np.asarray(labels, np.int64), np.asarray(confidences, np.float32),
                   np.full(len(boxes), -1, np.int64))

    def __len__(self) -> int:
        return len(self.labels)

    def select(self, keep: np.ndarray) -> "Detections":
        return Detections(self.boxes_xywh[keep], self.labels[keep], self.confidences[keep], self.track_ids[keep])
