"""The segmenter in a second process, so that a video is segmented beside the model's reading.

Segmenting a frame is hundreds of short OpenCV calls with Python between them, and so are making
its patches and drawing it: on two threads of one process they take turns at Python's lock, and
with the model alone on the second thread that core was idle most of each frame. A process has
a lock of its own. While it segments the next frame, the first process makes the current frame's
patches, reads them with the model (one call, on one thread) and draws them. The frame goes to
it through shared memory (a 1280x720 frame is 2.7 MB); its proposals come back pickled, a few
hundred kB, and its threshold masks through the same memory. At 1280x720 with 10 digits, read as
`python -m live.benchmark speed` reads, alternating runs measured 125-128 frames/s against
110-114 for the threads.

The process is spawned, not forked: a fork of a process that has loaded the model's runtime,
with its threads, may hang. Until the process has started (it imports OpenCV and the segmenter,
a fraction of a second), frames are segmented in the first, so that the first frame is never
late.
"""
from __future__ import annotations

import multiprocessing
import signal
import sys
import types
from dataclasses import replace
from multiprocessing import shared_memory

import numpy as np

from live.config import SegmentConfig
from live.segment import Around, Segmentation, segment

# Seconds the process is given to finish its frame and exit before it is stopped.
_EXIT_S = 2.0


def _serve(conn, cfg: SegmentConfig) -> None:
    """The process: segments each frame it is told of, and sends back its proposals, or the
    error that segmenting raised."""
    # Ctrl+C reaches every process of the terminal: the first process stops this one itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import cv2

    cv2.setNumThreads(1)
    memory = None
    conn.send("ready")
    try:
        while True:
            message = conn.recv()
            if message is None:
                return
            if message[0] == "memory":
                if memory is not None:
                    memory.close()
                memory = shared_memory.SharedMemory(name=message[1])
                continue
            _, shape, dtype, tilt, around, zoom = message
            frame = np.ndarray(shape, dtype, buffer=memory.buf)
            try:
                found = segment(frame, cfg, tilt, around, zoom)
            except Exception as error:  # said where the frame was handed in
                conn.send((error, None))
                continue
            finally:
                del frame  # the memory cannot be closed while an array still uses it
            conn.send(_masks_out(found, memory))
    except (EOFError, OSError):  # the first process has gone
        return
    finally:
        if memory is not None:
            memory.close()


def _masks_out(found: Segmentation, memory: shared_memory.SharedMemory
               ) -> tuple[Segmentation, list[tuple[tuple[int, ...], str]] | None]:
    """`found` without its threshold masks, which go into the frame's memory (the frame is read by
    then), one after the other, and their shapes and types; `found` itself where they do not fit.
    Pickled, a 1280x720 frame's mask was most of what came back (0.9 of 1.2 MB), and through the
    pipe it cost more than the memory's copy."""
    masks = [way.mask for way in found.ways]
    if sum(mask.nbytes for mask in masks) > memory.size:
        return found, None
    offset = 0
    for mask in masks:
        np.ndarray(mask.shape, mask.dtype, buffer=memory.buf, offset=offset)[...] = mask
        offset += mask.nbytes
    turned = None if found.turned is None else replace(found.turned, mask=None)
    return replace(found, mask=None, turned=turned), [(mask.shape, mask.dtype.str) for mask in masks]


def _masks_in(found: Segmentation, masks: list[tuple[tuple[int, ...], str]], memory: shared_memory.SharedMemory
              ) -> Segmentation:
    """`found` with its masks copied back out of the memory `_masks_out` put them in."""
    copies, offset = [], 0
    for shape, dtype in masks:
        copy = np.ndarray(shape, dtype, buffer=memory.buf, offset=offset).copy()
        copies.append(copy)
        offset += copy.nbytes
    turned = None if found.turned is None else replace(found.turned, mask=copies[1])
    return replace(found, mask=copies[0], turned=turned)


class SegmentProcess:
    """A second process that segments one frame at a time: `submit` a frame, then take its
    `result`. Use it in a `with` block, or `close` it: the process and its memory go. A process
    that cannot start, or goes, costs speed only: its frames are segmented by the caller."""

    def __init__(self, cfg: SegmentConfig) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(theirs, cfg), name="segmenter", daemon=True)
        # A spawned process first runs the starting script again, as a module, unless it is run
        # by `-m` as a package's __main__: a script without `if __name__ == "__main__":` would
        # open its source and load its model a second time, then fail. What the process runs is
        # this module's `_serve`, which needs nothing of the script: the script is hidden from
        # it while it starts.
        script = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            self._process.start()
        finally:
            sys.modules["__main__"] = script
        theirs.close()
        self._memory: shared_memory.SharedMemory | None = None
        self._ready = self._failed = self._pending = False

    @property
    def ready(self) -> bool:
        """Whether the process has started and takes frames (never waits for it). A process
        that could not start is never ready: the frames are segmented here."""
        if not (self._ready or self._failed) and self._conn.poll():
            try:
                self._ready = self._conn.recv() == "ready"
            except (EOFError, OSError):
                self._failed = True
        return self._ready

    def submit(self, frame: np.ndarray, tilt: float | None = None, around: Around | None = None,
               zoom: float = 1.0) -> bool:
        """Hands `frame` to the process to segment as `live.segment.segment` would, and says
        whether it took it: not while it is starting, nor once it has gone (killed, or its
        memory could not be had), where the caller segments the frame itself. The frame may
        change once this returns."""
        if not self.ready:
            return False
        try:
            if self._memory is None or self._memory.size < frame.nbytes:
                old, self._memory = self._memory, shared_memory.SharedMemory(create=True, size=frame.nbytes)
                if old is not None:  # the process, idle, keeps its own view until told of the new
                    old.close()
                    old.unlink()
                self._conn.send(("memory", self._memory.name))
            np.ndarray(frame.shape, frame.dtype, buffer=self._memory.buf)[...] = frame
            self._conn.send(("frame", frame.shape, frame.dtype.str, tilt, around, zoom))
        except OSError:
            self._ready, self._failed = False, True
            return False
        self._pending = True
        return True

    def result(self) -> Segmentation | None:
        """The proposals of the frame it took last, or None where the process has gone since
        (the caller segments the frame itself); an error segmenting it raised is raised here."""
        self._pending = False
        try:
            found, masks = self._conn.recv()
        except (EOFError, OSError):
            self._ready, self._failed = False, True
            return None
        if isinstance(found, BaseException):
            raise found
        return found if masks is None else _masks_in(found, masks, self._memory)

    def close(self) -> None:
        """Stops the process (once it has sent the frame it is segmenting, which is dropped)
        and frees the frame's memory."""
        if not self.ready:  # still starting: nothing of it to wait for
            self._process.terminate()
        try:
            if self._pending and self._conn.poll(_EXIT_S):
                self._conn.recv()
            self._conn.send(None)
        except (EOFError, OSError):
            pass
        self._process.join(_EXIT_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._conn.close()
        if self._memory is not None:
            self._memory.close()
            self._memory.unlink()
            self._memory = None

    def __enter__(self) -> SegmentProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
