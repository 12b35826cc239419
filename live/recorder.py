"""Annotated video and JSON-lines output that survive every way a run ends.

The video writer opens on the first frame, from that frame's size, and is released on any exit
from the `with` block (end of source, q, Ctrl-C, SIGTERM, an error), so the file always plays.
A video file has one fixed frame rate, while a camera's frames arrive as fast as they are
processed; each frame is written by its time, repeated or dropped to the file's rate, so a
recording plays back in real time.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import cv2
import numpy as np

FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".avi": "MJPG", ".mkv": "mp4v"}


class OutputError(Exception):
    """An output file that cannot be written; the message names the file and the fix."""


def check_writable(path: Path, what: str, suffixes: tuple[str, ...] | None = None) -> None:
    """Fail before any frame is read when `path` cannot be created."""
    if suffixes and path.suffix.lower() not in suffixes:
        raise OutputError(f"{what} {path}: unsupported extension {path.suffix or '(none)'}; use one of {', '.join(suffixes)}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{what} {path}: folder {parent} does not exist; create it or choose another path")
    if path.is_dir():
        raise OutputError(f"{what} {path} is a folder; give a file name")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"{what} {path}: not writable; choose a path in a folder you can write to")


class VideoRecorder:
    """Writes BGR frames to a video file at a fixed fps; opened lazily on the first frame."""

    def __init__(self, path: Path, fps: float) -> None:
        check_writable(path, "recording", tuple(FOURCC))
        self.path = path
        self.fps = fps
        self.frames = 0
        self._writer: cv2.VideoWriter | None = None
        self._size: tuple[int, int] | None = None
        self._start_s: float | None = None
        self._held: np.ndarray | None = None

    def write_at(self, frame_bgr: np.ndarray, time_s: float) -> None:
        """Add a frame that was shown from `time_s` (seconds, any origin). The frame before it
        fills every tick of the file's rate up to this time: repeated when this one came late,
        dropped when this one came within the same tick, so the file plays in real time."""
        if self._start_s is None:
            self._start_s = time_s
        tick = math.floor((time_s - self._start_s) * self.fps + 0.5)
        if self._held is not None:
            for _ in range(tick - self.frames):
                self.write(self._held)
        self._held = frame_bgr

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps

    def write(self, frame_bgr: np.ndarray) -> None:
        size = (frame_bgr.shape[1], frame_bgr.shape[0])
        if self._writer is None:
            fourcc = cv2.VideoWriter_fourcc(*FOURCC[self.path.suffix.lower()])
            self._writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, size)
            if not self._writer.isOpened():
                raise OutputError(f"recording {self.path}: the video writer did not open; try a .avi path")
            self._size = size
        if size != self._size:
            frame_bgr = cv2.resize(frame_bgr, self._size)
        self._writer.write(frame_bgr)
        self.frames += 1

    def close(self) -> None:
        try:
            if self._held is not None:  # the last frame shows for one tick
                held, self._held = self._held, None
                self.write(held)
        finally:
            if self._writer is not None:
                self._writer.release()
                self._writer = None

    def __enter__(self) -> "VideoRecorder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class JsonLines:
    """One JSON object per line, flushed as written so a killed run keeps every finished frame."""

    def __init__(self, path: Path) -> None:
        check_writable(path, "JSON output", None)
        self.path = path
        self.lines = 0
        self._file = open(path, "w", encoding="utf-8")

    def write(self, record: dict) -> None:
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()
        self.lines += 1

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "JsonLines":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
