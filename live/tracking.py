"""Detections over time -> stable track ids and labels voted over recent frames.

Each track keeps confidence-weighted votes per digit that decay every frame, so one misread
frame never changes what is shown, while a digit that really changes wins within a few frames.
Tracks coast through a few missed frames so a digit does not blink when segmentation drops it
once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from live.boxes import greedy_match, iou_matrix
from live.config import TrackConfig
from live.detections import Detections
from live.contract import NUM_DIGITS


@dataclass
class _Track:
    track_id: int
    box: np.ndarray  # float (x, y, w, h)
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))
    votes: np.ndarray = field(default_factory=lambda: np.zeros(NUM_DIGITS))
    weight: float = 0.0
    hits: int = 0
    missed: int = 0

    def vote(self, label: int, confidence: float, decay: float) -> None:
        self.votes *= decay
        self.weight = self.weight * decay + 1.0
        self.votes[label] += confidence

    def predicted(self) -> np.ndarray:
        """The box moved on by one frame's velocity."""
        x, y, w, h = self.box
        return np.array([x + self.velocity[0], y + self.velocity[1], w, h])

    def shown(self) -> tuple[int, float]:
        label = int(self.votes.argmax())
        return label, float(self.votes[label] / max(self.weight, 1e-9))


class Tracker:
    """Greedy IoU / centre-distance association; `update` returns the frame's detections with ids."""

    def __init__(self, cfg: TrackConfig = TrackConfig()) -> None:
        self.cfg = cfg
        self.tracks: list[_Track] = []
        self._next_id = 0
        self._frames = 0

    def update(self, dets: Detections) -> Detections:
        cfg = self.cfg
        self._frames += 1
        predicted = np.array([t.predicted() for t in self.tracks]).reshape(-1, 4)
        score = iou_matrix(predicted, dets.boxes_xywh)
        if len(self.tracks) and len(dets):
            centre_t = predicted[:, :2] + predicted[:, 2:] / 2
            centre_d = dets.boxes_xywh[:, :2] + dets.boxes_xywh[:, 2:] / 2
            shift = np.linalg.norm(centre_t[:, None] - centre_d[None], axis=2) / np.maximum(predicted[:, None, 3], 1)
            # Near enough to continue the track; the best pairs (overlapping most, then closest) first.
            score = np.where(shift <= cfg.max_centre_shift, score + (1 - np.minimum(shift, 1)), -1.0)
        # Best pairs first; a pair scoring below 0 (far apart) is never matched.
        track_of = greedy_match(score.T, 0.0) if len(self.tracks) and len(dets) else np.full(len(dets), -1)
        matched_d = {di: int(ti) for di, ti in enumerate(track_of) if ti >= 0}
        updated: set[int] = set()
        for di in range(len(dets)):
            if di in matched_d:
                track = self.tracks[matched_d[di]]
                new_box = dets.boxes_xywh[di].astype(np.float64)
                centre_shift = (new_box[:2] + new_box[2:] / 2) - (track.box[:2] + track.box[2:] / 2)
                track.velocity = 0.5 * track.velocity + 0.5 * centre_shift
                track.box = new_box
                track.missed = 0
            else:
                track = _Track(self._next_id, dets.boxes_xywh[di].astype(np.float64))
                self._next_id += 1
                self.tracks.append(track)
            track.hits += 1
            track.vote(int(dets.labels[di]), float(dets.confidences[di]), cfg.vote_decay)
            updated.add(track.track_id)
        for track in self.tracks:
            if track.track_id not in updated:
                track.missed += 1
                track.box = track.predicted()
        self.tracks = [t for t in self.tracks if t.missed <= cfg.max_missed]
        shown = [t for t in self.tracks if t.hits >= cfg.min_hits or self._frames < cfg.min_hits]
        if not shown:
            return Detections.empty()
        labels, confs = zip(*(t.shown() for t in shown))
        return Detections(np.array([np.round(t.box) for t in shown], np.int64).reshape(-1, 4),
                          np.array(labels, np.int64), np.array(confs, np.float32),
                          np.array([t.track_id for t in shown], np.int64))
