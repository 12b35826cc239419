"""The only loop: read -> recognize -> track -> annotate -> show / record / JSON lines.

Windows, keys, clocks, signals and files live here and in __main__; every stage between takes
and returns arrays and small dataclasses. The model loads on a thread while the source opens,
after every path has been checked, so a mistake is reported before TensorFlow is imported.
"""
from __future__ import annotations

import collections
import enum
import itertools
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from live.annotate import annotate, debug_layout, debug_view, fit_to_window, window_scale
from live.checks import check_model_path, check_out_dir, new_file, shown
from live.classifier import Classifier
from live.config import LiveConfig
from live.detections import Detections
from live.reading import Number, numbers
from live.recognize import Recognition, Recognizer, recognize_stream
from live.recorder import JsonLines, VideoRecorder
from live.sources import ImagesSource, Source, SourceError, open_source
from live.tracking import Tracker

WINDOW = "digits"


class Key(enum.Enum):
    QUIT = "quit"
    NEXT = "next picture"
    PREVIOUS = "previous picture"
    PAUSE = "pause"
    SNAPSHOT = "snapshot"
    RECORD = "record"
    DEBUG = "debug view"


# Photos are stepped through with space/n and b; a video pauses with space or p.
_COMMON_KEYS = {ord("q"): Key.QUIT, 27: Key.QUIT, ord("s"): Key.SNAPSHOT, ord("r"): Key.RECORD,
                ord("d"): Key.DEBUG}
_STILL_KEYS = {**_COMMON_KEYS, ord(" "): Key.NEXT, ord("n"): Key.NEXT, ord("b"): Key.PREVIOUS}
_VIDEO_KEYS = {**_COMMON_KEYS, ord(" "): Key.PAUSE, ord("p"): Key.PAUSE}


def key_action(key: int, still: bool) -> Key | None:
    """What a key code from cv2.waitKey means (-1: no key) for photos or for a video."""
    if key < 0:
        return None
    return (_STILL_KEYS if still else _VIDEO_KEYS).get(key & 0xFF)


def step_picture(index: int, count: int, action: Key | None) -> int | None:
    """The picture to show after `action` on picture `index` of `count`; None ends the run
    (q, or next after the last one). Previous stays on the first picture."""
    if action is Key.QUIT or (action is Key.NEXT and index + 1 >= count):
        return None
    if action is Key.NEXT:
        return index + 1
    if action is Key.PREVIOUS:
        return max(0, index - 1)
    return index


class Stopped(Exception):
    """The run was ended by SIGINT (Ctrl-C) or SIGTERM, after its last whole frame was written."""

    def __init__(self, signum: int, summary: "RunSummary") -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.summary = summary


class RollingFps:
    """Frames per second over the last `window` frames, from time.perf_counter()."""

    def __init__(self, window: int = 30) -> None:
        self._times: collections.deque[float] = collections.deque(maxlen=window)

    def tick(self) -> float | None:
        self._times.append(time.perf_counter())
        if len(self._times) < 2:
            return None
        return (len(self._times) - 1) / max(self._times[-1] - self._times[0], 1e-9)


@dataclass
class RunSummary:
    """What a run did, for the line that ends it."""

    frames: int = 0
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)

    def line(self) -> str:
        fps = self.frames / self.seconds if self.seconds > 0 else 0.0
        wrote = ", ".join(self.files) if self.files else "no files"
        return f"{self.frames} frames in {self.seconds:.1f} s ({fps:.1f} frames/s); wrote {wrote}"


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
    """What the run writes; closed on every exit path, including a recording started with 'r'.
    `announce` tells the user each file saved (the window's runs); headless runs end with one
    summary line instead."""

    def __init__(self, cfg: LiveConfig, announce: bool = False) -> None:
        self.recorder = VideoRecorder(cfg.record_path, cfg.fallback_fps) if cfg.record_path else None
        self.jsonl = JsonLines(cfg.json_path) if cfg.json_path else None
        self.out_dir = cfg.out_dir
        self.announce = announce
        self.saved: list[str] = []

    def _saved(self, text: str) -> None:
        self.saved.append(text)
        if self.announce:
            print(f"saved {text}", flush=True)

    def snapshot(self, image_bgr: np.ndarray) -> None:
        path = new_file(self.out_dir, time.strftime("snapshot-%Y%m%d-%H%M%S"), ".png")
        if not cv2.imwrite(str(path), image_bgr):
            print(f"could not write {path}; check that {self.out_dir} is writable", file=sys.stderr, flush=True)
            return
        self._saved(shown(path))

    def toggle_recording(self, fps: float) -> None:
        if self.recorder is None:
            self.recorder = VideoRecorder(new_file(self.out_dir, time.strftime("recording-%Y%m%d-%H%M%S"), ".mp4"), fps)
            print(f"recording to {shown(self.recorder.path)} (r stops it)", flush=True)
        else:
            self._close_recording()

    def _close_recording(self) -> None:
        recorder, self.recorder = self.recorder, None
        recorder.close()
        if recorder.frames:
            self._saved(f"{shown(recorder.path)} ({recorder.frames} frames, {recorder.duration_s:.1f} s)")

    def close(self) -> None:
        try:
            if self.recorder is not None:
                self._close_recording()
        finally:
            if self.jsonl is not None:
                self.jsonl.close()
                self._saved(f"{shown(self.jsonl.path)} ({self.jsonl.lines} lines)")
                self.jsonl = None


class _ModelLoader:
    """The classifier, loaded on a daemon thread: TensorFlow's import and the model's load overlap
    the opening of the source, and an error found meanwhile ends the run without waiting for it."""

    def __init__(self, model_path: Path, runtime: str) -> None:
        self._classifier: Classifier | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._load, args=(model_path, runtime), daemon=True, name="model loader")
        self._thread.start()

    def _load(self, model_path: Path, runtime: str) -> None:
        # Keras imports matplotlib for plotting helpers when it can (0.5 s of a 3 s start on two
        # cores); the live tool never plots, so Keras is told it is absent while it imports.
        hidden = "matplotlib" not in sys.modules
        if hidden:
            sys.modules["matplotlib"] = None
        try:
            self._classifier = Classifier(model_path, runtime)
        except BaseException as error:  # handed to the main thread, raised there
            self._error = error
        finally:
            if hidden:
                del sys.modules["matplotlib"]

    def get(self) -> Classifier:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._classifier


def check_start(cfg: LiveConfig) -> None:
    """Every check that needs no model and no source: display, output paths, model path."""
    if cfg.display and not _display_available():
        raise SourceError("no display to open a window on; add --no-display (with --record or --json) "
                          "or run inside a desktop session")
    if cfg.resolution is not None and not cfg.source.isdigit():
        raise SourceError(f"--resolution sets a camera's size; {cfg.source} is not a camera, so leave it out")
    check_out_dir(cfg.out_dir)
    check_model_path(cfg.classify.model_path)


def run(cfg: LiveConfig) -> RunSummary:
    """Run the live tool until the source ends or the user quits; Ctrl-C and SIGTERM end it
    between frames and raise Stopped once every output is closed."""
    check_start(cfg)
    if cfg.display:
        # opencv-python's Qt ships no fonts and warns about it on every start; the window needs none.
        os.environ.setdefault("QT_LOGGING_RULES", "default.warning=false")
    outputs = Outputs(cfg, announce=cfg.display)
    summary = RunSummary()
    try:
        loader = _ModelLoader(cfg.classify.model_path, cfg.classify.runtime)
        with open_source(cfg.source, cfg.fallback_fps, paced=cfg.display, resolution=cfg.resolution) as source:
            if cfg.resolution is not None and source.size_wh is not None:
                print(f"{source.name} gives {source.size_wh[0]}x{source.size_wh[1]} "
                      f"(asked for {cfg.resolution[0]}x{cfg.resolution[1]})", flush=True)
            recognizer = Recognizer(loader.get(), cfg.segment)
            run_source(cfg, source, recognizer, outputs, summary)
    finally:
        outputs.close()
        summary.files = outputs.saved
        if cfg.display:
            cv2.destroyAllWindows()
    return summary


def run_source(cfg: LiveConfig, source: Source, recognizer: Recognizer, outputs: Outputs,
               summary: RunSummary | None = None) -> RunSummary:
    """The loop over an opened source. Ctrl-C and SIGTERM end it between frames, never inside one,
    so the recording and the JSON lines always hold the same whole frames; then Stopped is raised."""
    summary = summary if summary is not None else RunSummary()
    if outputs.recorder is not None:
        outputs.recorder.fps = source.fps
    requested: list[int] = []
    handlers = {sig: signal.signal(sig, lambda signum, _: requested.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    start = time.perf_counter()
    try:
        if cfg.display and source.still:
            _browse(cfg, source, recognizer, outputs, lambda: bool(requested), summary)
        else:
            _loop(cfg, source, recognizer, outputs, lambda: bool(requested), summary)
    finally:
        summary.seconds = time.perf_counter() - start
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    if requested:
        raise Stopped(requested[0], summary)
    return summary


@dataclass
class _View:
    """What the window shows besides the frame; changed by keys."""

    debug: bool
    paused: bool = False
    shown_wh: tuple[int, int] | None = None


def _render(cfg: LiveConfig, frame: np.ndarray, recognition: Recognition, dets: Detections, view: _View,
            fps: float | None, recording: bool) -> tuple[np.ndarray, np.ndarray, Detections, list[Number]]:
    """(annotated frame for the recording, image for the window, confident digits, numbers)."""
    min_conf = cfg.classify.min_confidence
    sure = dets.select(dets.confidences >= min_conf)
    found = numbers(sure.boxes_xywh, sure.labels)
    scale = None  # tags sized for the frame fitted into the window
    if cfg.display and view.debug:  # ... or for the debug view's picture beside its panel
        frame_wh = (frame.shape[1], frame.shape[0])
        (width, height), panel_w = debug_layout(frame_wh, cfg.view)
        scale = window_scale((width + panel_w, height), cfg.view.max_window_wh) * width / frame_wh[0]
    annotated = annotate(frame, dets, found, min_conf, fps, recording, paused=view.paused, view_scale=scale,
                         view=cfg.view)
    screen = annotated
    if view.debug:
        screen = debug_view(annotated, recognition.mask, recognition.detections, recognition.patches, cfg.view)
    return annotated, screen, sure, found


def _show(cfg: LiveConfig, image_bgr: np.ndarray, view: _View) -> None:
    """Show the image scaled down to fit the screen; the window follows its size."""
    if view.shown_wh is None:
        cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
    fitted = fit_to_window(image_bgr, cfg.view.max_window_wh)
    size = (fitted.shape[1], fitted.shape[0])
    if size != view.shown_wh:
        cv2.resizeWindow(WINDOW, *size)
        view.shown_wh = size
    cv2.imshow(WINDOW, fitted)


def _window_closed() -> bool:
    return cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1


def _loop(cfg: LiveConfig, source: Source, recognizer: Recognizer, outputs: Outputs,
          stop_requested: Callable[[], bool], summary: RunSummary) -> None:
    # Photos are unrelated pictures: a tracker would hide each one's digits for its first frame.
    tracker = Tracker(cfg.track) if cfg.tracking and not source.still else None
    fps_meter = RollingFps()
    view = _View(debug=cfg.debug)
    start = time.perf_counter()
    frames = itertools.islice(source.frames(), cfg.max_frames)
    # Photos are read each as a whole: a tilt followed from one would turn the next. A camera's
    # frames are read one at a time: overlapping a frame's model call with the next frame's
    # segmenting means waiting for that next frame before showing this one, a frame's interval of
    # lag (46 against 17 ms at 30 fps, `python -m live.benchmark speed`), while one frame's whole
    # work keeps up with the camera anyway.
    readings = recognize_stream(recognizer, frames, overlap=not source.real_time, follow_tilt=not source.still)
    for index, (frame, recognition) in enumerate(readings):
        # A camera's frames are timed by the clock; a file's and the demo's by their frame rate.
        time_s = time.perf_counter() - start if source.wall_clock else index / source.fps
        dets = tracker.update(recognition.detections) if tracker else recognition.detections
        annotated, screen, sure, found = _render(cfg, frame, recognition, dets, view, fps_meter.tick(),
                                                 outputs.recorder is not None)
        if outputs.recorder is not None:
            outputs.recorder.write_at(annotated, time_s)
        if outputs.jsonl is not None:
            outputs.jsonl.write(frame_record(index, time_s, sure, found))
        summary.frames = index + 1
        if stop_requested():
            return
        if not cfg.display:
            continue
        _show(cfg, screen, view)
        while True:
            action = key_action(cv2.waitKey(30 if view.paused else 1), still=False)
            if action is Key.QUIT or stop_requested() or _window_closed():
                return
            if action is Key.SNAPSHOT:
                outputs.snapshot(screen)
            elif action is Key.RECORD:
                outputs.toggle_recording(source.fps)
            elif action in (Key.DEBUG, Key.PAUSE):
                if action is Key.DEBUG:
                    view.debug = not view.debug
                else:
                    view.paused = not view.paused
                if view.paused:  # redraw the held frame with the change
                    annotated, screen, _, _ = _render(cfg, frame, recognition, dets, view, None,
                                                      outputs.recorder is not None)
                    _show(cfg, screen, view)
            if not view.paused:
                break


def _browse(cfg: LiveConfig, source: ImagesSource, recognizer: Recognizer, outputs: Outputs,
            stop_requested: Callable[[], bool], summary: RunSummary) -> None:
    """Photos in the window: each is held until a key; space/n next, b previous, q quit. Each
    photo's JSON line and recording frame are written the first time it is shown."""
    view = _View(debug=cfg.debug)
    count = min(len(source.paths), cfg.max_frames or len(source.paths))
    written: set[int] = set()
    index: int | None = 0
    while index is not None:
        frame = source.read(index)
        recognition = recognizer(frame)
        dets = recognition.detections
        redraw = True
        while True:
            if redraw:
                annotated, screen, sure, found = _render(cfg, frame, recognition, dets, view, None,
                                                         outputs.recorder is not None)
                _show(cfg, screen, view)
                redraw = False
            if index not in written:
                written.add(index)
                if outputs.recorder is not None:
                    outputs.recorder.write_at(annotated, len(written) / source.fps)
                if outputs.jsonl is not None:
                    outputs.jsonl.write(frame_record(index, index / source.fps, sure, found))
                summary.frames = len(written)
            action = key_action(cv2.waitKey(30), still=True)
            if stop_requested() or _window_closed():
                return
            if action is Key.SNAPSHOT:
                outputs.snapshot(screen)
            elif action is Key.RECORD:
                outputs.toggle_recording(source.fps)
                redraw = True
            elif action is Key.DEBUG:
                view.debug = not view.debug
                redraw = True
            following = step_picture(index, count, action)
            if following != index:
                index = following
                break
