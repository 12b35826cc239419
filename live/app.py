"""The only loop: read -> recognize -> track -> annotate -> show / record / JSON lines.

Windows, keys, clocks, signals and files live here and in __main__; every stage between takes
and returns arrays and small dataclasses.
"""
from __future__ import annotations

import collections
import itertools
import os
import signal
import sys
import time
from pathlib import Path
from typing import Callable

import cv2

from live.annotate import annotate, debug_view
from live.classifier import Classifier
from live.config import LiveConfig
from live.detections import Detections
from live.reading import Number, numbers
from live.recognize import Recognizer, recognize_stream
from live.recorder import JsonLines, VideoRecorder
from live.sources import Source, SourceError, open_source
from live.tracking import Tracker

WINDOW = "digits (q quit, p pause, s snapshot, r record, d debug)"


class Stopped(Exception):
    """The run was ended by SIGINT (Ctrl-C) or SIGTERM, after its last whole frame was written."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class RollingFps:
    """Frames per second over the last `window` frames, from time.perf_counter()."""

    def __init__(self, window: int = 30) -> None:
        self._times: collections.deque[float] = collections.deque(maxlen=window)

    def tick(self) -> float | None:
        self._times.append(time.perf_counter())
        if len(self._times) < 2:
            return None
        return (len(self._times) - 1) / max(self._times[-1] - self._times[0], 1e-9)


def frame_record(index: int, time_s: float, sure: Detections, found: list[Number]) -> dict:
    """The JSON-lines record of one frame: its confident digits and the numbers they form."""
    digits = []
    for box, label, conf, track in zip(sure.boxes_xywh, sure.labels, sure.confidences, sure.track_ids):
        digit = {"box": [int(v) for v in box], "label": int(label), "confidence": round(float(conf), 4)}
        if track >= 0:
            digit["track_id"] = int(track)
        digits.append(digit)
    return {"frame": index, "time_s": round(time_s, 4), "digits": digits,
            "numbers": [{"text": n.text, "box": list(n.box_xywh)} for n in found]}


def _display_available() -> bool:
    return sys.platform in ("win32", "darwin") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class Outputs:
    """What the run writes; closed on every exit path, including a recording started with 'r'."""

    def __init__(self, cfg: LiveConfig) -> None:
        self.recorder = VideoRecorder(cfg.record_path, cfg.fallback_fps) if cfg.record_path else None
        self.jsonl = JsonLines(cfg.json_path) if cfg.json_path else None

    def toggle_recording(self, folder: Path, fps: float) -> None:
        if self.recorder is None:
            self.recorder = VideoRecorder(folder / time.strftime("recording-%Y%m%d-%H%M%S.mp4"), fps)
            print(f"recording to {self.recorder.path}", flush=True)
        else:
            self.recorder.close()
            print(f"saved {self.recorder.path} ({self.recorder.frames} frames)", flush=True)
            self.recorder = None

    def close(self) -> None:
        for output in (self.recorder, self.jsonl):
            if output is not None:
                output.close()


def run(cfg: LiveConfig) -> int:
    """Run the live tool until the source ends or the user quits; Ctrl-C and SIGTERM end it
    between frames and raise Stopped once every output is closed."""
    if cfg.display and not _display_available():
        raise SourceError("no display to open a window on; add --no-display (with --record or --json) "
                          "or run inside a desktop session")
    if cfg.display:
        # opencv-python's Qt ships no fonts and warns about it on every start; the window needs none.
        os.environ.setdefault("QT_LOGGING_RULES", "default.warning=false")
    outputs = Outputs(cfg)
    try:
        recognizer = Recognizer(Classifier(cfg.classify.model_path), cfg.segment)
        with open_source(cfg.source, cfg.fallback_fps, paced=cfg.display) as source:
            run_source(cfg, source, recognizer, outputs)
    finally:
        outputs.close()
        if cfg.display:
            cv2.destroyAllWindows()
    return 0


def run_source(cfg: LiveConfig, source: Source, recognizer: Recognizer, outputs: Outputs) -> None:
    """The loop over an opened source. Ctrl-C and SIGTERM end it between frames, never inside one,
    so the recording and the JSON lines always hold the same whole frames; then Stopped is raised."""
    if outputs.recorder is not None:
        outputs.recorder.fps = source.fps
    requested: list[int] = []
    handlers = {sig: signal.signal(sig, lambda signum, _: requested.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        _loop(cfg, source, recognizer, outputs, stop_requested=lambda: bool(requested))
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    if requested:
        raise Stopped(requested[0])


def _loop(cfg: LiveConfig, source: Source, recognizer: Recognizer, outputs: Outputs,
          stop_requested: Callable[[], bool]) -> None:
    tracker = Tracker(cfg.track) if cfg.tracking else None
    fps_meter = RollingFps()
    debug = cfg.debug
    start = time.perf_counter()
    min_conf = cfg.classify.min_confidence
    frames = itertools.islice(source.frames(), cfg.max_frames)
    for index, (frame, recognition) in enumerate(recognize_stream(recognizer, frames)):
        dets = tracker.update(recognition.detections) if tracker else recognition.detections
        sure = dets.select(dets.confidences >= min_conf)
        found = numbers(sure.boxes_xywh, sure.labels)
        annotated = annotate(frame, dets, found, min_conf, fps_meter.tick(), recording=outputs.recorder is not None)
        if debug:
            annotated = debug_view(annotated, recognition.mask, recognition.patches, recognition.detections.labels)
        if outputs.recorder is not None:
            outputs.recorder.write(annotated)
        if outputs.jsonl is not None:
            time_s = time.perf_counter() - start if source.wall_clock else index / source.fps
            outputs.jsonl.write(frame_record(index, time_s, sure, found))
        if stop_requested():
            return
        if not cfg.display:
            continue
        cv2.imshow(WINDOW, annotated)
        paused = source.still  # a photo stays on screen until the user quits
        while True:
            key = cv2.waitKey(30 if paused else 1) & 0xFF
            if key in (ord("q"), 27) or stop_requested() or cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
                return
            if key == ord("s"):
                path = cfg.snapshot_dir / time.strftime("snapshot-%Y%m%d-%H%M%S.png")
                cv2.imwrite(str(path), annotated)
                print(f"saved {path}", flush=True)
            elif key == ord("d"):
                debug = not debug
            elif key == ord("r"):
                outputs.toggle_recording(cfg.snapshot_dir, source.fps)
            elif key == ord("p") and not source.still:
                paused = not paused
            if not paused:
                break
