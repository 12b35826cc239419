"""What a person sees and gets, without a window: keys, tag layout, fitting the screen, the debug
view, output files, and recordings that play in real time."""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import run_cli
from live.annotate import _covered, annotate, debug_view, fit_to_window, place_tag, window_scale
from live.app import Key, Outputs, key_action, run_source, step_picture
from live.config import LiveConfig, ViewConfig
from live.detections import Detections
from live.reading import numbers
from live.sources import Source
from live.synth import SheetAnimation

SPACE, ESC = ord(" "), 27


@pytest.mark.parametrize("key, still, action", [
    (-1, True, None), (-1, False, None),
    (ord("q"), True, Key.QUIT), (ESC, False, Key.QUIT),
    (SPACE, True, Key.NEXT), (ord("n"), True, Key.NEXT), (ord("b"), True, Key.PREVIOUS),
    (SPACE, False, Key.PAUSE), (ord("p"), False, Key.PAUSE), (ord("p"), True, None),
    (ord("n"), False, None), (ord("b"), False, None),
    (ord("s"), True, Key.SNAPSHOT), (ord("r"), False, Key.RECORD), (ord("d"), False, Key.DEBUG),
    (0x10000 | ord("q"), False, Key.QUIT),  # waitKey's modifier bits above the key code
])
def test_keys(key, still, action):
    assert key_action(key, still) is action


@pytest.mark.parametrize("index, action, expected", [
    (0, None, 0), (0, Key.NEXT, 1), (1, Key.PREVIOUS, 0), (0, Key.PREVIOUS, 0),
    (2, Key.NEXT, None), (1, Key.QUIT, None), (1, Key.DEBUG, 1), (1, Key.SNAPSHOT, 1),
])
def test_stepping_through_three_pictures(index, action, expected):
    assert step_picture(index, 3, action) == expected


def test_a_folder_is_stepped_by_a_sequence_of_keys():
    keys = [-1, -1, SPACE, ord("b"), ord("n"), ord("d"), SPACE, SPACE]
    index, seen = 0, [0]
    for key in keys:
        index = step_picture(index, 3, key_action(key, still=True))
        if index is None:
            break
        seen.append(index)
    assert index is None and seen == [0, 0, 0, 1, 0, 1, 1, 2]


def test_tags_never_cover_each_other_in_a_dense_grid():
    rng = np.random.default_rng(0)
    placed = []
    boxes = [(x, y, x + int(rng.integers(12, 30)), y + int(rng.integers(14, 30)))
             for y in range(40, 400, 40) for x in range(10, 600, 34)]
    for box in boxes:
        placed.append(place_tag((30, 12), box, placed, (640, 480), avoid=boxes))
    overlaps = sum(_covered(a, placed[i + 1:]) for i, a in enumerate(placed))
    assert overlaps == 0
    assert all(0 <= r[0] and r[2] <= 640 and 0 <= r[1] and r[3] <= 480 for r in placed)


def _sheet_detections(rows: int = 2, per_row: int = 3, size: int = 24) -> Detections:
    boxes = [(40 + c * (size + 6), 60 + r * int(size * 1.6), size - 4, size) for r in range(rows) for c in range(per_row)]
    return Detections.untracked(boxes, [1, 2, 3, 4, 5, 6][: len(boxes)], [0.99] * len(boxes))


@pytest.mark.parametrize("frame_wh, view_scale, shown_scale", [
    ((600, 400), 1.0, 1.0),
    ((600, 400), 0.5, 0.5),
    ((3000, 2000), None, 720 / 2000),  # a photo drawn as the window would show it
])
def test_tags_are_tag_px_tall_on_screen(frame_wh, view_scale, shown_scale):
    """A tag's coloured band is about `tag_px` tall once the frame is shown at its scale."""
    w, h = frame_wh
    frame = np.full((h, w, 3), 255, np.uint8)
    dets = Detections.untracked([(w // 6, h // 2, w // 60, h // 33)], [7], [0.99])
    out = annotate(frame, dets, [], 0.5, view_scale=view_scale, show_legend=False)
    green = np.all(out == (60, 200, 60), axis=2)
    rows = np.flatnonzero(green.any(axis=1))
    band = rows[rows < h // 2]  # the tag above the box
    tag_px = ViewConfig().tag_px
    assert tag_px <= len(band) * shown_scale <= 2 * tag_px


def test_a_numbers_tag_does_not_land_on_the_next_rows_tags():
    frame = np.full((300, 400, 3), 255, np.uint8)
    dets = _sheet_detections()
    found = numbers(dets.boxes_xywh, dets.labels)
    assert [n.text for n in found] == ["123", "456"]
    out = annotate(frame, dets, found, 0.5, show_legend=False)
    blue = np.all(out == (255, 160, 0), axis=2)
    green = np.all(out == (60, 200, 60), axis=2)
    assert blue.any() and green.any()
    # Each colour's tag pixels are bands; a blue tag painted over green would leave no green
    # under it, so compare with the green drawn without numbers.
    alone = np.all(annotate(frame, dets, [], 0.5, show_legend=False) == (60, 200, 60), axis=2)
    assert (alone & ~green).sum() == 0, "a number's tag covered a digit's tag"


def test_paused_view_says_so():
    frame = np.full((360, 640, 3), 128, np.uint8)
    plain = annotate(frame, Detections.empty(), [], 0.5, show_legend=False)
    paused = annotate(frame, Detections.empty(), [], 0.5, paused=True, show_legend=False)
    assert (plain != paused).any() and np.all(paused == (0, 215, 255), axis=2).any()


@pytest.mark.parametrize("size, fits", [((1280, 720), (1280, 720)), ((1920, 1080), (1280, 720)),
                                        ((4000, 3000), (960, 720)), ((594, 410), (594, 410))])
def test_frames_larger_than_the_screen_are_shown_scaled_down(size, fits):
    image = np.zeros((size[1], size[0], 3), np.uint8)
    shown = fit_to_window(image, (1280, 720))
    assert (shown.shape[1], shown.shape[0]) == fits
    assert window_scale(size, (1280, 720)) == pytest.approx(fits[0] / size[0], abs=1e-3)


def test_debug_view_puts_mask_and_patches_beside_a_small_picture():
    picture = np.full((410, 594, 3), 200, np.uint8)
    mask = np.zeros((410, 594), np.uint8)
    dets = Detections.untracked([(300, 50, 20, 30), (50, 50, 20, 30), (50, 200, 20, 30)], [3, 1, 2], [0.9] * 3)
    patches = np.stack([np.full((28, 28, 1), v, np.float32) for v in (0.3, 0.1, 0.2)])
    view = debug_view(picture, mask, dets, patches)
    assert view.shape[0] >= 600 and view.shape[1] > view.shape[0] * 594 / 410  # enlarged, panel beside
    enlarged = cv2.resize(picture, (view.shape[0] * 594 // 410, view.shape[0]))
    assert np.array_equal(view[:, :enlarged.shape[1] - 1], enlarged[:, :-1]), "the picture is not covered"
    # Patches in reading order: the one at (50, 50) first, then (300, 50), then (50, 200).
    panel = view[:, enlarged.shape[1] + 5:]
    grey = [int(np.float32(v) * 255) for v in (0.1, 0.3, 0.2)]
    first_row = panel[view.shape[0] // 3 + 20]
    positions = [np.flatnonzero(np.all(first_row == g, axis=1)) for g in grey]
    assert all(len(p) for p in positions) and positions[0][0] < positions[1][0] < positions[2][0]


def test_snapshots_go_to_the_out_dir_made_on_demand(tmp_path, capsys):
    cfg = replace(LiveConfig(), out_dir=tmp_path / "runs" / "today")
    outputs = Outputs(cfg, announce=True)
    image = np.zeros((20, 30, 3), np.uint8)
    outputs.snapshot(image)
    outputs.snapshot(image)
    saved = sorted((tmp_path / "runs" / "today").iterdir())
    assert len(saved) == 2 and all(p.suffix == ".png" for p in saved)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 and all(line.startswith("saved ") for line in printed)
    assert {Path(line.split()[1]).name for line in printed} == {p.name for p in saved}


def test_no_display_without_an_output_is_refused_in_one_line():
    result = run_cli("live", "--source", "demo", "--no-display")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--record" in result.stderr and "--json" in result.stderr


@pytest.mark.parametrize("args, words", [
    (["--resolution", "1280"], ["WxH"]),
    (["--source", "demo", "--resolution", "1280x720", "--no-display", "--json", "x.jsonl"], ["camera"]),
    (["--source", "demo", "--no-display", "--json", "x.jsonl", "--out-dir", "README.md"], ["README.md", "file"]),
], ids=["resolution-format", "resolution-not-camera", "out-dir-is-a-file"])
def test_bad_options_fail_in_one_line(tmp_path, args, words):
    result = run_cli("live", *[a.replace("x.jsonl", str(tmp_path / "x.jsonl")) for a in args])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert all(word in result.stderr for word in words), result.stderr
    assert not (tmp_path / "x.jsonl").exists(), "options are checked before any output is made"


def test_recording_a_slow_camera_plays_in_real_time(tmp_path, recognizer):
    """A camera that claims 30 fps but delivers 20 frames a second: the file (30 fps) must last as
    long as the run did, not two thirds of it."""
    animation = SheetAnimation(seed=5, width=640, height=360, n_digits=4)
    pictures = [animation.frame(i)[0] for i in range(8)]
    delivered = 50

    class SlowCamera(Source):
        name, fps, wall_clock = "camera 0", 30.0, True

        def frames(self):
            start = time.perf_counter()
            for i in range(delivered):
                time.sleep(max(0.0, start + i / 20 - time.perf_counter()))
                yield pictures[i % len(pictures)].copy()

    cfg = replace(LiveConfig(), display=False, record_path=tmp_path / "slow.mp4")
    outputs = Outputs(cfg)
    start = time.perf_counter()
    try:
        run_source(cfg, SlowCamera(), recognizer, outputs)
    finally:
        outputs.close()
    wall_s = time.perf_counter() - start
    capture = cv2.VideoCapture(str(tmp_path / "slow.mp4"))
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = 0
    while capture.read()[0]:
        frames += 1
    capture.release()
    assert fps == pytest.approx(30.0)
    assert frames / fps == pytest.approx(wall_s, rel=0.15)


def test_a_video_file_keeps_its_own_frames(tmp_path):
    from live.recorder import VideoRecorder

    recorder = VideoRecorder(tmp_path / "file.avi", 25.0)
    frame = np.zeros((48, 64, 3), np.uint8)
    for index in range(10):
        recorder.write_at(frame, index / 25.0)
    recorder.close()
    assert recorder.frames == 10
