"""The window on a virtual 1366x768 screen (Xvfb), driven by key presses sent with xdotool.

Skipped where Xvfb or xdotool is missing; `.ci/run` installs both (Debian packages xvfb, xauth,
xdotool).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ROOT
from live.synth import load_sample_digits, render_scene

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None or shutil.which("xdotool") is None,
                                reason="needs Xvfb and xdotool (apt-get install xvfb xdotool)")
SCREEN = (1366, 768)


@pytest.fixture(scope="module")
def display():
    """A virtual screen of a laptop's size; Xvfb picks a free display number and writes it."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                               "-nolisten", "tcp"], pass_fds=(write_fd,), stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        pytest.skip("Xvfb did not start")
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


def _xdotool(env: dict, *args: str) -> str:
    return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=60).stdout


def _window(env: dict) -> str:
    found = _xdotool(env, "search", "--sync", "--onlyvisible", "--name", "^digits$").split()
    assert found, "the window did not open"
    return found[0]


def _size(env: dict, window: str) -> tuple[int, int]:
    geometry = dict(line.split("=") for line in _xdotool(env, "getwindowgeometry", "--shell", window).split())
    return int(geometry["WIDTH"]), int(geometry["HEIGHT"])


def _press(env: dict, window: str, key: str) -> None:
    _xdotool(env, "windowfocus", "--sync", window)
    _xdotool(env, "key", key)


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def _wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _start(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "live", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture
def env(display):
    return {**os.environ, "DISPLAY": display, "WAYLAND_DISPLAY": ""}


def test_a_folder_is_held_picture_by_picture_and_stepped_by_keys(tmp_path, env):
    rng = np.random.default_rng(11)
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, size in enumerate([(1600, 1000), (594, 410), (800, 600)]):
        frame, _ = render_scene(rng, *load_sample_digits(), n_digits=5)
        cv2.imwrite(str(folder / f"photo{i}.png"), cv2.resize(frame, size))
    jsonl, shots = tmp_path / "photos.jsonl", tmp_path / "shots"
    process = _start(env, "--source", str(folder), "--json", str(jsonl), "--out-dir", str(shots))
    try:
        window = _window(env)
        assert _wait_for(lambda: _lines(jsonl) == 1)
        # Larger than the screen: shown scaled down, with no toolbar or status bar around it.
        assert _size(env, window) == (1152, 720)
        time.sleep(1.0)
        assert _lines(jsonl) == 1 and process.poll() is None, "the first picture must wait for a key"
        _press(env, window, "space")
        assert _wait_for(lambda: _lines(jsonl) == 2)
        assert _wait_for(lambda: _size(env, window) == (594, 410))
        _press(env, window, "s")
        assert _wait_for(lambda: shots.is_dir() and len(list(shots.iterdir())) == 1)
        _press(env, window, "b")
        assert _wait_for(lambda: _size(env, window) == (1152, 720))
        for key in ("n", "space"):
            _press(env, window, key)
        assert _wait_for(lambda: _lines(jsonl) == 3)
        _press(env, window, "space")  # past the last picture: the end
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert err == ""
    snapshot = next(shots.iterdir())
    assert out.splitlines() == [f"saved {snapshot}", f"saved {jsonl} (3 lines)"]
    assert cv2.imread(str(snapshot)).shape == (410, 594, 3)


def test_the_live_window_fits_the_screen_pauses_and_quits(tmp_path, env):
    jsonl = tmp_path / "demo.jsonl"
    process = _start(env, "--source", "demo", "--debug", "--json", str(jsonl), "--max-frames", "3000")
    try:
        window = _window(env)
        assert _wait_for(lambda: _lines(jsonl) >= 3)
        width, height = _size(env, window)
        # The 1280x720 demo with the debug panel beside it is wider than the screen: fitted.
        assert width <= 1280 and height <= 720 and width / height == pytest.approx((1280 + 426) / 720, rel=0.02)
        _press(env, window, "p")
        time.sleep(0.5)
        held = _lines(jsonl)
        time.sleep(1.0)
        assert _lines(jsonl) == held, "a paused view reads no new frames"
        _press(env, window, "p")
        assert _wait_for(lambda: _lines(jsonl) > held)
        _press(env, window, "q")
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0 and err == ""
    assert out.startswith(f"saved {jsonl} (")
