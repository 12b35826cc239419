"""The commands as a user runs them: real videos and images written here, read back, bad inputs."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ROOT, SHIPPED_MODEL, run_cli
from live.synth import SheetAnimation, load_sample_digits, render_scene

NO_DISPLAY = {"DISPLAY": "", "WAYLAND_DISPLAY": ""}


def write_video(path: Path, frames: int, width: int = 640, height: int = 360) -> None:
    animation = SheetAnimation(seed=3, width=width, height=height, n_digits=6)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (width, height))
    assert writer.isOpened()
    for i in range(frames):
        writer.write(animation.frame(i)[0])
    writer.release()


def video_info(path: Path) -> tuple[int, int, int]:
    """(frames actually decoded, width, height)."""
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    size = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    capture.release()
    return count, *size


def assert_clean_failure(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]


def test_video_run_records_every_frame_and_one_json_line_each(tmp_path):
    video = tmp_path / "sheet.mp4"
    write_video(video, 24)
    result = run_cli("live", "--source", str(video), "--no-display", "--record", str(tmp_path / "out.mp4"),
                     "--json", str(tmp_path / "out.jsonl"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    # A headless run ends with one line: frames, rate, files.
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("done: 24 frames in ")
    assert "out.mp4 (24 frames, 1.0 s)" in result.stderr and "out.jsonl (24 lines)" in result.stderr
    assert video_info(tmp_path / "out.mp4") == (24, 640, 360)
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert len(lines) == 24
    records = [json.loads(line) for line in lines]
    assert [r["frame"] for r in records] == list(range(24))
    assert records[1]["time_s"] == pytest.approx(1 / 25, abs=1e-3)
    digits = [d for r in records[5:] for d in r["digits"]]
    assert digits and all(set(d) == {"box", "label", "confidence", "track_id"} for d in digits)
    assert all(0 <= d["label"] <= 9 and 0 < d["confidence"] <= 1 and len(d["box"]) == 4 for d in digits)
    assert all({"text", "box"} == set(n) for r in records for n in r["numbers"])


def test_demo_runs_headless_for_n_frames(tmp_path):
    result = run_cli("live", "--source", "demo", "--no-display", "--max-frames", "6", "--json",
                     str(tmp_path / "demo.jsonl"))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (tmp_path / "demo.jsonl").read_text().splitlines()]
    assert len(records) == 6 and len(records[-1]["digits"]) >= 6


def test_predict_json_maps_each_path_to_its_digits(tmp_path):
    rng = np.random.default_rng(7)
    names = []
    for i in range(2):
        frame, _ = render_scene(rng, *load_sample_digits(), n_digits=5)
        name = str(tmp_path / f"photo{i}.png")
        cv2.imwrite(name, frame)
        names.append(name)
    result = run_cli("live.predict", *names, "--json", "--annotate", str(tmp_path))
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert list(found) == names
    for digits in found.values():
        assert 3 <= len(digits) <= 7
        assert all(set(d) == {"box", "label", "confidence"} for d in digits)
    assert (tmp_path / "photo0_digits.png").is_file()


def test_predict_annotate_makes_its_folder_and_says_where_files_went(tmp_path):
    rng = np.random.default_rng(8)
    frame, _ = render_scene(rng, *load_sample_digits(), n_digits=4)
    cv2.imwrite(str(tmp_path / "sheet.png"), frame)
    cv2.imwrite(str(tmp_path / "blank.png"), np.full((300, 400, 3), 230, np.uint8))
    out = tmp_path / "out" / "annotated"
    result = run_cli("live.predict", str(tmp_path / "sheet.png"), str(tmp_path / "blank.png"), "--annotate", str(out))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == f"{tmp_path / 'blank.png'}: no digits found"
    assert lines[2:] == [f"annotated: {out / 'sheet_digits.png'}", f"annotated: {out / 'blank_digits.png'}"]
    assert cv2.imread(str(out / "sheet_digits.png")).shape == frame.shape


def test_predict_reads_a_photo_of_one_digit(tmp_path):
    images, labels = load_sample_digits()
    digit = cv2.resize(255 - images[np.flatnonzero(labels == 3)[0]], (280, 280), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(tmp_path / "three.png"), digit)
    result = run_cli("live.predict", str(tmp_path / "three.png"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(": 3")


def _bad_model(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.keras"
    if kind == "truncated":
        path.write_bytes(SHIPPED_MODEL.read_bytes()[:5000])
    elif kind == "text":
        path.write_text("not a model")
    elif kind == "zip-without-config":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("weights.h5", b"0")
    return path


@pytest.mark.parametrize("args, words", [
    (["--source", "missing.mp4"], ["missing.mp4", "does not exist"]),
    (["--source", "{tmp}/empty.png"], ["empty.png", "empty"]),
    (["--source", "{tmp}/text.png"], ["text.png", "not a readable image"]),
    (["--source", "{tmp}/text.mp4"], ["text.mp4", "not a readable video"]),
    (["--source", "{tmp}/no_images"], ["no_images", "no images"]),
    (["--source", "9"], ["no camera at index 9", "--source demo"]),
    (["--source", "demo", "--model", "{tmp}/absent.keras"], ["absent.keras", "does not exist"]),
    (["--source", "demo", "--model", "{model:truncated}"], ["truncated.keras"]),
    (["--source", "demo", "--model", "{model:text}"], ["text.keras", "not a keras"]),
    (["--source", "demo", "--model", "{model:zip-without-config}"], ["zip-without-config.keras", "not a keras"]),
    (["--source", "demo", "--record", "{tmp}/no/such/dir/out.mp4"], ["does not exist"]),
    (["--source", "demo", "--record", "{tmp}/out.txt"], ["extension"]),
], ids=["missing-video", "empty-file", "non-image", "non-video", "folder-without-images", "no-camera",
        "missing-model", "truncated-model", "text-model", "zip-model", "record-dir-missing", "record-extension"])
def test_bad_input_gives_one_clear_line(tmp_path, args, words):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("hello")
    (tmp_path / "text.mp4").write_text("hello")
    (tmp_path / "no_images").mkdir()
    (tmp_path / "no_images" / "notes.txt").write_text("x")
    filled = []
    for arg in args:
        if arg.startswith("{model:"):
            arg = str(_bad_model(tmp_path, arg[7:-1]))
        filled.append(arg.replace("{tmp}", str(tmp_path)))
    result = run_cli("live", *filled, "--no-display", "--max-frames", "2", "--json", str(tmp_path / "out.jsonl"))
    assert_clean_failure(result, *words)


def test_code_carrying_model_is_refused(tmp_path):
    script = (
        "from live.runtime import import_keras; keras = import_keras();"
        "m = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(lambda x: x * 2),"
        " keras.layers.Flatten(), keras.layers.Dense(10)]);"
        f"m.save(r'{tmp_path / 'lambda.keras'}')")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True)
    result = run_cli("live", "--source", "demo", "--no-display", "--max-frames", "1", "--model",
                     str(tmp_path / "lambda.keras"), "--json", str(tmp_path / "out.jsonl"))
    assert_clean_failure(result, "lambda.keras", "code")


def test_no_display_without_flag_says_how_to_run_headless():
    result = run_cli("live", "--source", "demo", "--max-frames", "1", env=NO_DISPLAY)
    assert_clean_failure(result, "--no-display")


def test_predict_bad_paths(tmp_path):
    result = run_cli("live.predict", str(tmp_path / "nope.jpg"))
    assert_clean_failure(result, "nope.jpg", "does not exist")


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_signal_while_recording_leaves_a_playable_file(tmp_path, sig, code):
    record, jsonl = tmp_path / "rec.mp4", tmp_path / "rec.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "live", "--source", "demo", "--no-display", "--record",
                                str(record), "--json", str(jsonl)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and (not jsonl.exists() or len(jsonl.read_text().splitlines()) < 8):
        time.sleep(0.2)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == code
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    written = len(jsonl.read_text().splitlines())
    frames, width, height = video_info(record)
    assert written >= 8 and frames == written and (width, height) == (1280, 720)


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
def test_window_opens_under_xvfb(tmp_path):
    result = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1600x900x24", sys.executable, "-m", "live",
                             "--source", "demo", "--max-frames", "15", "--debug",
                             "--json", str(tmp_path / "window.jsonl")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # A good run prints nothing it was not asked for: only where its file went.
    assert result.stderr == "" and result.stdout == f"saved {tmp_path / 'window.jsonl'} (15 lines)\n"
    assert len((tmp_path / "window.jsonl").read_text().splitlines()) == 15


def test_a_source_that_stops_mid_run_keeps_a_playable_recording(tmp_path, recognizer):
    from dataclasses import replace

    from live.app import Outputs, run_source
    from live.config import LiveConfig
    from live.sources import Source, SourceError, live_frames

    animation = SheetAnimation(seed=5, width=640, height=360, n_digits=4)
    frames = iter([animation.frame(i)[0] for i in range(12)])

    class FailingCamera(Source):
        """A threaded reader whose device disappears after 12 frames."""
        name, fps = "camera 0", 20.0

        def frames(self):
            return live_frames(lambda: next(frames, None), self.name)

    cfg = replace(LiveConfig(), display=False, record_path=tmp_path / "cut.mp4", json_path=tmp_path / "cut.jsonl")
    outputs = Outputs(cfg)
    with pytest.raises(SourceError, match="camera 0 stopped delivering frames"):
        try:
            run_source(cfg, FailingCamera(), recognizer, outputs)
        finally:
            outputs.close()
    assert video_info(tmp_path / "cut.mp4") == (12, 640, 360)
    assert len((tmp_path / "cut.jsonl").read_text().splitlines()) == 12


@pytest.mark.parametrize("real_time", [True, False], ids=["camera", "video file"])
def test_a_cameras_frame_is_written_out_before_the_next_is_fetched(tmp_path, recognizer, real_time):
    """A camera's next frame is not there until its time: the loop writes each frame out before
    it asks for the next (no lag of a frame's interval), while a file's next frame is fetched and
    segmented while the model reads this one."""
    from dataclasses import replace

    from live.app import Outputs, run_source
    from live.config import LiveConfig
    from live.sources import Source

    animation = SheetAnimation(seed=6, width=640, height=360, n_digits=4)
    frames = [animation.frame(i)[0] for i in range(6)]
    written_when_fetched = []
    cfg = replace(LiveConfig(), display=False, json_path=tmp_path / "frames.jsonl")
    outputs = Outputs(cfg)

    class Frames(Source):
        name, fps = "frames", 30.0

        def frames(self):
            for frame in frames:
                written_when_fetched.append(outputs.jsonl.lines)
                yield frame

    source = Frames()
    source.real_time = real_time
    try:
        run_source(cfg, source, recognizer, outputs)
    finally:
        outputs.close()
    # Frame k is fetched once k (a camera) or k - 1 (reading ahead) frames are written.
    assert written_when_fetched == ([0, 1, 2, 3, 4, 5] if real_time else [0, 0, 1, 2, 3, 4])


def test_a_camera_that_repeats_one_frame_is_reported_as_stalled():
    from live.sources import SourceError, live_frames

    frame = np.zeros((4, 4, 3), np.uint8)
    stream = live_frames(lambda: frame, "camera 0", stall_s=0.2)
    assert next(stream) is frame
    with pytest.raises(SourceError, match="no new frame"):
        next(stream)


def test_the_demo_renders_its_frames_ahead_in_order_and_its_thread_ends_with_them(monkeypatch):
    """The demo's frames are rendered on a thread while the ones before are read: the same frames,
    in the same order, still paced like a camera where shown; an error rendering one is raised
    where it is taken, and the thread goes once the frames are left."""
    import threading
    import time

    from live.sources import DemoSource

    def renderers():
        return [t for t in threading.enumerate() if t.name == "demo frames" and t.is_alive()]

    source = DemoSource(paced=True)
    frames = source.frames()
    started = time.perf_counter()
    taken = [next(frames) for _ in range(4)]
    assert time.perf_counter() - started >= 3 / source.fps, "frame k is handed out no sooner than k / fps"
    for k, frame in enumerate(taken):
        np.testing.assert_array_equal(frame, source.animation.frame(k)[0], err_msg=f"frame {k}")
    assert len(renderers()) == 1
    frames.close()
    assert not renderers()

    # Closed while its frames are being read (the window shut): the frames end.
    source = DemoSource(paced=False)
    frames = source.frames()
    next(frames), next(frames)
    source.close()
    assert len(list(frames)) <= DemoSource.AHEAD
    assert not renderers()

    source = DemoSource(paced=False)
    render = source.animation.frame

    def failing(index):
        if index == 2:
            raise RuntimeError("no paper")
        return render(index)

    monkeypatch.setattr(source.animation, "frame", failing)
    frames = source.frames()
    assert len([next(frames), next(frames)]) == 2
    with pytest.raises(RuntimeError, match="no paper"):
        next(frames)
    assert not renderers()


@pytest.mark.parametrize("reported, expected", [(0.0, 30.0), (float("nan"), 30.0), (-1.0, 30.0), (1000.0, 30.0),
                                                (25.0, 25.0), (59.94, 59.94)])
def test_cameras_reporting_no_frame_rate_record_at_a_sane_one(reported, expected):
    from live.sources import sane_fps

    assert sane_fps(reported, 30.0) == expected


def test_the_live_tool_reads_the_shipped_model_without_importing_tensorflow(tmp_path):
    """The LiteRT export is what makes the tool start in a second and run in 160 MB."""
    code = ("import sys; from live.__main__ import main; "
            "code = main(['--source', 'demo', '--no-display', '--max-frames', '3', '--json', sys.argv[1]]); "
            "print(code, 'tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "run.jsonl")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.split() == ["0", "False"], done.stderr
    assert len((tmp_path / "run.jsonl").read_text().splitlines()) == 3


def test_the_settings_count_takes_every_number_of_nested_configs_and_nothing_else():
    from dataclasses import dataclass, field
    from pathlib import Path as P

    from live.benchmark import count_settings

    @dataclass(frozen=True)
    class Inner:
        size: tuple[int, int] = (640, 480)
        share: float = 0.5

    @dataclass(frozen=True)
    class Outer:
        inner: Inner = field(default_factory=Inner)
        frames: int = 3
        display: bool = True
        path: P = P("runs")
        limit: int | None = None

    assert count_settings(Outer()) == {"Outer": 1, "Inner": 3}
    assert sum(count_settings().values()) >= 20  # the live configs, nested in LiveConfig
