"""Frame sources: camera, video file, image, folder of images, and the synthetic `demo` sheet.

Each proves it works when opened (a camera must deliver a first frame, a video must decode
one, an image must read) and raises SourceError with one line that names the thing and the fix.
"""
from __future__ import annotations

import contextlib
import math
import os
import queue
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np

# FFmpeg reports a broken file in its own lines ("moov atom not found") before OpenCV returns;
# the SourceError says it once, plainly. Read by OpenCV when its FFmpeg backend first opens.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
# A camera that delivers no new frame for this long has stopped (unplugged, taken by another app).
CAMERA_STALL_S = 2.0


class SourceError(Exception):
    """A source that cannot be opened or stopped delivering; the message says what to do."""


@contextlib.contextmanager
def _opencv_silent():
    """OpenCV logs several lines of its own when a camera index or a file does not open; the
    SourceError raised after says it in one line, so its log is muted while probing."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)


def sane_fps(reported: float, fallback: float) -> float:
    """Cameras and some files report 0 or NaN fps; recordings need a real rate."""
    return reported if reported and math.isfinite(reported) and 1.0 <= reported <= 240.0 else fallback


def read_image(path: Path) -> np.ndarray:
    if not path.is_file():
        raise SourceError(f"image {path} does not exist; check the path")
    if path.stat().st_size == 0:
        raise SourceError(f"image {path} is an empty file; give a PNG or JPEG photo")
    frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if frame is None:
        raise SourceError(f"{path} is not a readable image; give a PNG, JPEG or BMP file")
    return frame


class Source:
    """Iterates BGR frames; cameras and the demo run until stopped."""

    name: str = ""
    fps: float = 30.0
    # Timestamps come from the wall clock (cameras) rather than frame index / fps (files, demo).
    wall_clock: bool = False
    # Photos are held on screen until a key (next, previous, quit) instead of played as a video.
    still: bool = False
    # Frames come on the source's own clock (a camera, the demo paced like one), not as fast as
    # they are read: the next frame is not there until its time.
    real_time: bool = False
    # Width and height of the frames, when known before the first one is read (cameras).
    size_wh: tuple[int, int] | None = None

    def frames(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class CameraSource(Source):
    wall_clock = True
    real_time = True

    def __init__(self, index: int, fallback_fps: float, resolution: tuple[int, int] | None = None) -> None:
        from imutils.video import VideoStream  # threaded reader: capture never waits for processing

        self.name = f"camera {index}"
        with _opencv_silent():
            self._stream = VideoStream(src=index)  # opens the device and reads one frame; not started yet
        capture = self._stream.stream.stream
        if not capture.isOpened():
            capture.release()
            raise SourceError(f"no camera at index {index} — try --source demo or a video file")
        if resolution is not None:
            # Asked before the reader thread starts, so no frame is read while the size changes;
            # the frame read after it replaces the one read at the old size.
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, resolution[0])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, resolution[1])
            self._stream.stream.grabbed, self._stream.stream.frame = capture.read()
        first = self._stream.stream.frame if self._stream.stream.grabbed else None
        if first is None:
            capture.release()
            raise SourceError(f"camera {index} opened but delivered no frame — close other apps using it, "
                              "or try --source demo")
        self.size_wh = (first.shape[1], first.shape[0])
        self.fps = sane_fps(capture.get(cv2.CAP_PROP_FPS), fallback_fps)
        self._stream.start()

    def frames(self) -> Iterator[np.ndarray]:
        return live_frames(lambda: self._stream.read() if self._stream.stream.grabbed else None, self.name)

    def close(self) -> None:
        self._stream.stop()


def live_frames(latest: Callable[[], np.ndarray | None], name: str,
                stall_s: float = CAMERA_STALL_S) -> Iterator[np.ndarray]:
    """Each new frame of a threaded reader whose `latest()` returns its newest frame (or None once
    the device failed); a reader that fails or repeats one frame for `stall_s` ends the run."""
    last = None
    waited_since = time.perf_counter()
    while True:
        frame = latest()
        if frame is None:
            raise SourceError(f"{name} stopped delivering frames (disconnected?); the run ended there, "
                              "outputs are saved up to the last frame")
        if frame is last:
            if time.perf_counter() - waited_since > stall_s:
                raise SourceError(f"{name} delivered no new frame for {stall_s:.0f} s; the run ended there, "
                                  "outputs are saved up to the last frame")
            time.sleep(0.002)
            continue
        last, waited_since = frame, time.perf_counter()
        yield frame


class VideoSource(Source):
    def __init__(self, path: Path, fallback_fps: float) -> None:
        self.name = str(path)
        if not path.is_file():
            raise SourceError(f"video {path} does not exist; check the path, or use --source demo")
        with _opencv_silent():
            self._capture = cv2.VideoCapture(str(path))
            ok, self._first = self._capture.read() if self._capture.isOpened() else (False, None)
        if not ok:
            self._capture.release()
            raise SourceError(f"{path} is not a readable video; give an MP4/AVI file, an image, or --source demo")
        self.fps = sane_fps(self._capture.get(cv2.CAP_PROP_FPS), fallback_fps)

    def frames(self) -> Iterator[np.ndarray]:
        frame = self._first
        while frame is not None:
            yield frame
            ok, frame = self._capture.read()
            if not ok:
                frame = None

    def close(self) -> None:
        self._capture.release()


class ImagesSource(Source):
    """Photos: each is a still the window holds until a key; `read(i)` gives any of them."""

    still = True

    def __init__(self, paths: list[Path], name: str, fallback_fps: float) -> None:
        self.name, self.fps = name, fallback_fps
        self.paths = paths
        self._first = read_image(paths[0])

    def read(self, index: int) -> np.ndarray:
        return self._first if index == 0 else read_image(self.paths[index])

    def frames(self) -> Iterator[np.ndarray]:
        return (self.read(i) for i in range(len(self.paths)))


class DemoSource(Source):
    """The synthetic sheet (live.synth.SheetAnimation), paced like a 30 fps camera when shown.

    Rendering a 1280x720 frame (the sheet warped, lit, blurred, noised, JPEG-compressed) takes
    about as long as reading it, so the frames after the first are rendered ahead on a thread of
    their own, in order, while the ones before are read; OpenCV's calls, which do most of the
    rendering, let the reading run meanwhile. Shown, 30 frames/s where one after the other gave
    about 21 on two cores."""

    AHEAD = 2  # frames rendered before they are asked for

    def __init__(self, seed: int = 0, paced: bool = True) -> None:
        from live.synth import SheetAnimation

        self.name, self.fps = "demo", 30.0
        self.animation = SheetAnimation(seed=seed)
        self._paced = self.real_time = paced
        self._stop = threading.Event()

    def _render(self, ready: queue.Queue, index: int) -> None:
        """Puts frames `index`, `index` + 1, ... (or the error that rendering one raised) into
        `ready`, until stopped."""
        while not self._stop.is_set():
            try:
                item = self.animation.frame(index)[0]
            except Exception as error:  # raised where the frame is taken
                item = error
            while not self._stop.is_set():
                try:
                    ready.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if isinstance(item, Exception):
                return
            index += 1

    def frames(self) -> Iterator[np.ndarray]:
        start = time.perf_counter()
        # The first frame is rendered here: nothing else would be ready sooner, and frames
        # rendered ahead of it would only slow the model's loading and the first reading.
        yield self.animation.frame(0)[0]
        ready: queue.Queue = queue.Queue(maxsize=self.AHEAD)
        renderer = threading.Thread(target=self._render, args=(ready, 1), name="demo frames", daemon=True)
        renderer.start()
        index = 1
        try:
            while True:
                try:
                    frame = ready.get(timeout=0.1)
                except queue.Empty:
                    if not renderer.is_alive() and ready.empty():  # the source was closed: its frames end
                        return
                    continue
                if isinstance(frame, Exception):
                    raise frame
                if self._paced:
                    delay = start + index / self.fps - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                yield frame
                index += 1
        finally:
            self._stop.set()
            renderer.join()
            self._stop.clear()

    def close(self) -> None:
        self._stop.set()


def open_source(spec: str, fallback_fps: float = 30.0, paced: bool = True,
                resolution: tuple[int, int] | None = None) -> Source:
    """`spec`: a camera index, 'demo', a video file, an image file, or a folder of images.
    `resolution` (width, height) is asked of a camera; other sources ignore it."""
    if spec.isdigit():
        return CameraSource(int(spec), fallback_fps, resolution)
    if spec == "demo":
        return DemoSource(paced=paced)
    path = Path(spec)
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise SourceError(f"folder {path} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}); "
                              "point --source at a folder of photos")
        return ImagesSource(images, str(path), fallback_fps)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImagesSource([path], str(path), fallback_fps)
    if not path.exists():
        raise SourceError(f"source {spec} does not exist; give a camera index, a video, an image, a folder, or demo")
    return VideoSource(path, fallback_fps)
