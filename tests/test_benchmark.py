"""The benchmark's parts measure what they say: run small, on the shipped model."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from live import benchmark


def _reads_nothing(recognizer):
    """A recognizer that segments and reads as `recognizer` does but reports no digit: a part
    that counts its misses must score it zero."""
    def read(frame):
        dets = recognizer(frame).detections
        return SimpleNamespace(detections=dets.select(np.zeros(len(dets.labels), bool)))
    return read


def test_widths_part_reads_digits_as_written_and_counts_every_miss(recognizer):
    result = benchmark.bench_widths(recognizer, 12)
    assert result["cases"] == 12
    read_right = result["read_right_by_width"]
    assert set(read_right) == {str(w) for w in benchmark.WIDTHS}
    # Digits alone on paper, as written: the shipped model reads nearly all of them.
    assert read_right["1.0"] >= 0.75
    assert all(0.0 <= v <= 1.0 for v in read_right.values())

    blind = benchmark.bench_widths(_reads_nothing(recognizer), 12)["read_right_by_width"]
    assert set(blind.values()) == {0.0}


def test_closeup_part_reads_one_digit_filling_a_photo_and_counts_every_miss(recognizer):
    result = benchmark.bench_closeup(recognizer, 8, digit_px=80)
    assert result["cases"] == 8
    read_right = result["read_right_by_fill"]
    assert set(read_right) == {str(f) for f in benchmark.CLOSEUP_FILLS}
    # A digit filling 0.4 of the photo: the shipped model reads nearly all of them.
    assert read_right["0.4"] >= 0.75
    assert all(0.0 <= v <= 1.0 for v in read_right.values())

    blind = benchmark.bench_closeup(_reads_nothing(recognizer), 4, digit_px=80)["read_right_by_fill"]
    assert set(blind.values()) == {0.0}
    table = benchmark.table({"closeup": result}, 1.0)
    assert "filling 0.4 / 0.6 / 0.8 of its height" in table


def test_stage_times_cover_every_stage_of_a_frame(recognizer, sample_digits):
    """Each stage of a frame is timed, and the table shows every stage's time."""
    from live.synth import SheetAnimation

    animation = SheetAnimation(seed=5, n_digits=6, digits=sample_digits)
    video = [animation.frame(i)[0] for i in range(4)]
    stages = benchmark.stage_ms(recognizer, video, passes=2)
    assert list(stages) == ["segment", "patches", "model and decision", "tracking and drawing",
                            "segment a followed frame"]
    assert all(0 < ms < float("inf") for ms in stages.values()), stages
    table = benchmark.table({"speed": {"frame_size": "1280x720", "digits_per_frame": 10, "runtime": "litert",
                                       "pipeline_fps": 1.0, "single_thread_fps": 1.0, "tilted_pipeline_fps": 1.0,
                                       "camera_30fps": {"one_at_a_time": {"lag_ms": 17.5, "shown_fps": 30.0},
                                                        "reading_ahead": {"lag_ms": 46.5, "shown_fps": 30.0}},
                                       "tilted_read_right": {"followed": 1.0, "every_frame_both_ways": 1.0},
                                       "candidates_per_frame": {"upright": 16.0, "aslant": 24.0},
                                       "stage_ms_upright": stages, "per_contour_predict_fps": 1.0,
                                       "command_to_first_annotated_frame_s": [1.0], "peak_memory_mb_demo_300_frames": 1.0}},
                            1.0)
    assert all(f"{name} {ms:.1f} ms" in table for name, ms in stages.items()), table
    assert "| 16.0 / 24.0 |" in table, table
    assert "| 17.5 ms, 30.0 frames/s shown (46.5 ms reading ahead) |" in table, table


def test_camera_lag_is_measured_from_each_frames_capture_to_its_annotated_image(recognizer, sample_digits):
    """Frames of a simulated 30 fps camera, read as the loop reads them: reading ahead cannot
    hand a frame out before the camera's next one, a frame's interval (33 ms) later."""
    from live.synth import SheetAnimation

    animation = SheetAnimation(seed=5, width=640, height=360, n_digits=4, digits=sample_digits)
    video = [animation.frame(i)[0] for i in range(8)]
    ahead = benchmark.camera_lag(recognizer, video, True, seconds=1.0)
    one_at_a_time = benchmark.camera_lag(recognizer, video, False, seconds=1.0)
    assert ahead["lag_ms"] >= 1000 / 30, ahead
    assert 0 < one_at_a_time["lag_ms"] and 0 < one_at_a_time["shown_fps"] <= 31, one_at_a_time


def test_a_stream_is_scored_with_the_candidates_its_frames_gave_the_model(recognizer, sample_digits):
    """The speed part's machine-independent figure: the candidates read per frame, here those of
    an upright sheet's frames: the first two read whole (the second is prepared while the model
    reads the first), the next ones only around their digits."""
    from live.recognize import TiltFollower
    from live.synth import SheetAnimation

    animation = SheetAnimation(seed=5, n_digits=6, digits=sample_digits)
    video = [animation.frame(i) for i in range(3)]
    read_right, per_frame = benchmark._stream_reading(recognizer, video, True)
    # As recognize_stream reads them: each frame's way is chosen before the frame before it is
    # read (the second frame is read whole too), and its size follows the last full read's.
    follower, counts, before = TiltFollower(), [], None
    for frame, _ in video:
        tilt, around, full = follower.next_way()
        prepared = recognizer.prepare(frame, tilt, around, follower.zoom if full else 1.0)
        if before is not None:
            follower.saw(*before)
        counts.append(len(prepared.candidates))
        before = (recognizer.read(prepared), full, frame.shape)
    follower.saw(*before)
    assert follower.around is not None and per_frame == np.mean(counts), (per_frame, counts)
    assert read_right >= 5 / 6, read_right


def _rendered_photos(folder, sample_digits) -> None:
    """Two rendered sheets of four large digits and their labels.tsv, in `folder`: one photo per
    half of the labelled photos."""
    import cv2

    from live.synth import render_scene

    rows = ["file\tsource\tlabels_in_reading_order\tconditions"]
    for name, seed in (("sheet_a.png", 71), ("sheet_b.png", 72)):
        frame, truth = render_scene(np.random.default_rng(seed), *sample_digits, 640, 480, n_digits=4,
                                    digit_height=70)
        cv2.imwrite(str(folder / name), frame)
        rows.append(f"{name}\trendered\t{' '.join(str(int(v)) for v in truth.labels)}\tclean")
    (folder / "labels.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_photos_part_reads_each_photo_whole_and_again_as_a_videos_next_frame(recognizer, sample_digits, tmp_path):
    """Each half is scored read whole, and read again as the frame after a full read is read: only
    the way the full read kept and around its digits (a tilt given, and an Around)."""
    from live.recognize import Recognizer
    from live.segment import Around

    _rendered_photos(tmp_path, sample_digits)
    ways = []

    class Recording(Recognizer):
        def prepare(self, frame, tilt=None, around=None):
            ways.append((tilt, around))
            return super().prepare(frame, tilt, around)

    result = benchmark.bench_photos(Recording(recognizer.classifier, recognizer.segment_cfg), tmp_path)
    assert set(result) == {"tuning", "reporting"}
    for half in result.values():
        assert set(half["next_frame"]) == {"f1", "cer", "precision", "recall"}
        # Large clean digits: found again around where the full read found them.
        assert half["next_frame"]["f1"] >= 0.75, half
    # Each half's photo read whole, then whole again and as the next frame.
    assert [tilt is None for tilt, _ in ways] == [True, True, False] * 2, ways
    assert all(isinstance(around, Around) for tilt, around in ways if tilt is not None)
    rows = benchmark.table({"photos": result}, 1.0)
    assert f"| {result['reporting']['next_frame']['f1']} / {result['reporting']['next_frame']['cer']} |" in rows


def test_camera_part_reads_each_half_under_each_change_and_scores_a_blind_reader_zero(recognizer, sample_digits,
                                                                                      tmp_path):
    """Two rendered sheets stand in for the labelled photos: one per half. Each change alters the
    picture as it says, and a reader that finds nothing scores F1 0 under every change."""
    import cv2

    _rendered_photos(tmp_path, sample_digits)
    image = cv2.imread(str(tmp_path / "sheet_a.png"))
    changed = {name: change(image) for name, change in benchmark.CAMERA_CHANGES.items()}
    assert changed["dark surround"].shape[0] > image.shape[0] and changed["0.6 size"].shape[1] < image.shape[1]
    assert changed["corners darkened"][0, 0].mean() < 0.5 * image[0, 0].mean()
    assert np.array_equal(changed["corners darkened"][240, 320], image[240, 320])
    assert changed["JPEG 50"].shape == image.shape and 0 < np.abs(changed["JPEG 50"].astype(int) - image).mean() < 3
    # Smeared across, not down: a column of the picture keeps its rows' order of light and dark.
    moved = changed["moved 9 px"].astype(int)
    assert moved.shape == image.shape and np.abs(np.diff(moved, axis=1)).mean() < np.abs(np.diff(image.astype(int), axis=1)).mean()
    assert np.abs(np.diff(moved, axis=0)).mean() > 0.5 * np.abs(np.diff(image.astype(int), axis=0)).mean()

    result = benchmark.bench_camera(recognizer, tmp_path)
    assert set(result) == {"tuning", "reporting"}
    for half in result.values():
        assert set(half) == set(benchmark.CAMERA_CHANGES)
        # Large clean digits on a rendered sheet: still read after a slight turn.
        assert half["turned 6 degrees"]["f1"] >= 0.75, half

    def reads_nothing(frame):
        dets = recognizer(frame).detections
        return SimpleNamespace(detections=dets.select(np.zeros(len(dets.labels), bool)))

    blind = benchmark.bench_camera(reads_nothing, tmp_path)
    assert {score["f1"] for half in blind.values() for score in half.values()} == {0.0}
    assert "skipped" in benchmark.bench_camera(recognizer, tmp_path / "none")
