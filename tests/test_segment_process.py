"""The segmenter in a second process: it must give exactly what segmenting here gives, say its
errors here, and go, with its memory, when closed."""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from live.config import SegmentConfig
from live.segment import Around, segment
from live.segment_process import SegmentProcess
from live.synth import SheetAnimation, render_scene

# Seconds a test waits for the process to start; on a busy machine a spawn takes a while.
START_S = 60


def _started(segmenter: SegmentProcess) -> SegmentProcess:
    deadline = time.monotonic() + START_S
    while not segmenter.ready:
        assert time.monotonic() < deadline, "the segmenting process did not start"
        time.sleep(0.02)
    return segmenter


def _assert_same(a, b, where: str = "segmentation") -> None:
    """Equal field by field, arrays value by value (and type), down through the proposals."""
    if dataclasses.is_dataclass(a):
        assert type(a) is type(b), where
        for field in dataclasses.fields(a):
            _assert_same(getattr(a, field.name), getattr(b, field.name), f"{where}.{field.name}")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_the_segmenting_process_gives_what_segmenting_here_gives(sample_digits):
    """Upright, slanted (two ways, two masks), a part around known digits, and enlarged (masks
    larger than the frame, which come back pickled), one after another through one process."""
    rng = np.random.default_rng(21)
    upright = render_scene(rng, *sample_digits)[0]
    slanted = SheetAnimation(seed=4, n_digits=8, digits=sample_digits, tilt_deg=25).frame(0)[0]
    small = render_scene(rng, *sample_digits, width=640, height=480)[0]
    full = segment(upright)
    boxes = tuple((x, y, x + w, y + h) for x, y, w, h in (c.box_xywh for c in full.candidates[:4]))
    jobs = [(upright, None, None, 1.0), (slanted, None, None, 1.0), (upright, 0.0, Around(boxes, 80.0), 1.0),
            (small, None, None, 2.0), (upright, None, None, 1.0)]
    with SegmentProcess(SegmentConfig()) as segmenter:
        _started(segmenter)
        for k, (frame, tilt, around, zoom) in enumerate(jobs):
            segmenter.submit(frame, tilt, around, zoom)
            _assert_same(segmenter.result(), segment(frame, SegmentConfig(), tilt, around, zoom), f"job {k}")
    assert segment(slanted).turned is not None, "the slanted sheet is read both ways"


def test_an_error_in_the_segmenting_process_is_raised_here_and_the_process_goes_on(sample_digits):
    import cv2

    frame = render_scene(np.random.default_rng(3), *sample_digits)[0]
    with SegmentProcess(SegmentConfig()) as segmenter:
        _started(segmenter)
        segmenter.submit(np.zeros((48, 64, 2), np.uint8))  # two channels: neither grey nor BGR
        with pytest.raises(cv2.error):
            segmenter.result()
        segmenter.submit(frame)
        _assert_same(segmenter.result(), segment(frame))


def test_a_segmenting_process_closed_mid_frame_goes_at_once_with_its_memory(sample_digits):
    from multiprocessing import shared_memory

    frame = render_scene(np.random.default_rng(5), *sample_digits)[0]
    segmenter = _started(SegmentProcess(SegmentConfig()))
    segmenter.submit(frame)
    name, process = segmenter._memory.name, segmenter._process
    start = time.perf_counter()
    segmenter.close()
    assert time.perf_counter() - start < 1.5
    assert not process.is_alive()
    with pytest.raises(FileNotFoundError):
        shared_memory.SharedMemory(name=name)


def test_a_stream_read_through_the_segmenting_process_reads_as_one_segmented_here(recognizer, sample_digits,
                                                                                     monkeypatch):
    """The same video read with the next frame segmented in the process, (the process made never
    to start) every frame segmented here, and with the process killed half way: the same
    readings, frame by frame."""
    import live.recognize
    from live.recognize import recognize_stream

    animation = SheetAnimation(seed=6, n_digits=10, digits=sample_digits)
    frames = [animation.frame(i)[0] for i in range(14)]
    started: list[SegmentProcess] = []
    submitted = []

    class Recorded(SegmentProcess):
        def __init__(self, cfg):
            super().__init__(cfg)
            started.append(self)

        def submit(self, frame, tilt=None, around=None, zoom=1.0):
            taken = super().submit(frame, tilt, around, zoom)
            submitted.append(taken)
            return taken

    class NeverStarted(SegmentProcess):
        @property
        def ready(self) -> bool:
            return False

    def source():
        yield frames[0]
        _started(started[0])  # the rest go through the process
        yield from frames[1:]

    monkeypatch.setattr(live.recognize, "SegmentProcess", Recorded)
    there = [r.detections for _, r in recognize_stream(recognizer, source())]
    assert submitted == [False] + [True] * (len(frames) - 1)
    monkeypatch.setattr(live.recognize, "SegmentProcess", NeverStarted)
    here = [r.detections for _, r in recognize_stream(recognizer, iter(frames))]
    assert len(there) == len(here) == len(frames)
    _assert_same_readings(there, here)

    # The process killed half way through: the frame it held and the rest are segmented here.
    submitted.clear()

    def killing_source():
        yield frames[0]
        _started(started[-1])
        yield from frames[1:7]
        started[-1]._process.kill()
        started[-1]._process.join()
        yield from frames[7:]

    monkeypatch.setattr(live.recognize, "SegmentProcess", Recorded)
    killed = [r.detections for _, r in recognize_stream(recognizer, killing_source())]
    assert submitted[:7] == [False] + [True] * 6 and not any(submitted[8:]), submitted
    _assert_same_readings(killed, here)


def _assert_same_readings(a_stream, b_stream) -> None:
    assert len(a_stream) == len(b_stream)
    for k, (a, b) in enumerate(zip(a_stream, b_stream)):
        assert len(a) >= 8, f"frame {k}: {len(a)} digits"
        np.testing.assert_array_equal(a.boxes_xywh, b.boxes_xywh, err_msg=f"frame {k}")
        np.testing.assert_array_equal(a.labels, b.labels, err_msg=f"frame {k}")
        np.testing.assert_array_equal(a.confidences, b.confidences, err_msg=f"frame {k}")


def test_a_script_without_a_main_guard_starts_the_process_once(tmp_path):
    """A spawned process runs the starting script again unless told otherwise: a script that
    reads a video at its top level would open its source and load its model twice."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "unguarded.py"
    script.write_text(
        "import time\n"
        "import numpy as np\n"
        "from live.config import SegmentConfig\n"
        "from live.segment_process import SegmentProcess\n"
        "print('script ran', flush=True)\n"
        "with SegmentProcess(SegmentConfig()) as segmenter:\n"
        "    deadline = time.monotonic() + 60\n"
        "    while not segmenter.ready and time.monotonic() < deadline:\n"
        "        time.sleep(0.02)\n"
        "    frame = np.full((120, 160, 3), 255, np.uint8)\n"
        "    frame[40:80, 70:80] = 0\n"
        "    taken = segmenter.submit(frame)\n"
        "    print('taken', taken, 'candidates', len(segmenter.result().candidates) if taken else None)\n")
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["script ran", "taken True candidates 1"], done.stdout + done.stderr[-2000:]
