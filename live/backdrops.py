"""Real photographs without digits, from the packages installed beside the project, made into
camera frames: what training learns "not a digit" from, and what the benchmark counts false
digits on.

The photographs are read as files from scikit-image's wheel (`pip install --no-deps
scikit-image`; none of its code is imported) and matplotlib's sample data. Each is split once,
here, into the photographs training may use and those it never sees.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from live.light import DEEPEST_FALL_OFF, fall_off
from live.synth import jpeg_round_trip

# Faces, people, a cat, a room's objects, walls, ground and machines; none holds a digit. Also
# what a webcam's false digits look like: a retina's vessels (hair, spokes), a horse's legs and
# tail, the moon's craters (round things), tissue under a microscope and a starfield (specks).
# (skimage's page, text, coins, logo and clock hold letters or numerals and are left out.)
TRAINING_PHOTOS = ("skimage:astronaut.png", "skimage:brick.png", "skimage:camera.png", "skimage:coffee.png",
                   "skimage:grass.png", "skimage:gravel.png", "skimage:rocket.jpg", "skimage:motorcycle_left.png",
                   "skimage:lfw_subset.npy[:100]", "skimage:retina.jpg", "skimage:horse.png", "skimage:moon.png",
                   "skimage:ihc.png", "skimage:hubble_deep_field.jpg")
HELD_OUT_PHOTOS = ("skimage:chelsea.png", "skimage:motorcycle_right.png", "matplotlib:grace_hopper.jpg",
                   "skimage:lfw_subset.npy[100:]")
INSTALL = "pip install --no-deps scikit-image"


class BackdropError(RuntimeError):
    """The photographs' package is missing; the message says how to install it."""


def _package_folder(package: str, sub: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BackdropError(f"the {package} package is not installed; {INSTALL}")
    return Path(list(spec.submodule_search_locations)[0]) / sub


def _read(entry: str) -> list[np.ndarray]:
    package, name = entry.split(":", 1)
    folder = _package_folder("skimage", "data") if package == "skimage" else _package_folder(
        "matplotlib", "mpl-data/sample_data")
    if name.startswith("lfw_subset.npy"):
        faces = np.load(folder / "lfw_subset.npy", allow_pickle=False)  # 200 grey 25x25 faces in [0, 1]
        part = faces[:100] if name.endswith("[:100]") else faces[100:]
        # Tiled into a few group photos, so a frame holds faces at a frame's scale.
        tiles = [np.vstack([np.hstack(list(part[r * 5:(r + 1) * 5])) for r in range(k * 4, k * 4 + 4)])
                 for k in range(len(part) // 20)]
        return [cv2.cvtColor((t * 255).astype(np.uint8), cv2.COLOR_GRAY2BGR) for t in tiles]
    image = cv2.imread(str(folder / name), cv2.IMREAD_COLOR)
    if image is None:
        raise BackdropError(f"{folder / name} is missing or unreadable; reinstall with {INSTALL}")
    return [image]


def load_photos(entries: tuple[str, ...]) -> list[np.ndarray]:
    """The BGR photographs named in `entries` (TRAINING_PHOTOS or HELD_OUT_PHOTOS)."""
    return [image for entry in entries for image in _read(entry)]


def camera_frame(rng: np.random.Generator, photo: np.ndarray, width: int, height: int) -> np.ndarray:
    """A part of `photo` as a webcam would deliver it at width x height: cropped, scaled, mirrored,
    lit brighter or darker, vignetted, blurred, noised and JPEG-compressed."""
    ph, pw = photo.shape[:2]
    share = rng.uniform(0.35, 1.0)
    ch, cw = max(8, int(ph * share)), max(8, int(min(pw, ph * share * width / height)))
    y0, x0 = int(rng.integers(0, ph - ch + 1)), int(rng.integers(0, pw - cw + 1))
    frame = cv2.resize(photo[y0:y0 + ch, x0:x0 + cw], (width, height), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        frame = frame[:, ::-1]
    gain = rng.uniform(0.6, 1.3) * vignette(rng, width, height)
    frame = np.clip(frame.astype(np.float32) * gain[..., None] + rng.uniform(-20, 20), 0, 255)
    frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(0.3, 1.5))
    frame = np.clip(frame + rng.normal(0, rng.uniform(1.5, 5.0), frame.shape), 0, 255).astype(np.uint8)
    quality = int(rng.integers(45, 92))
    return jpeg_round_trip(frame, quality)


def vignette(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A laptop webcam's fall-off of light toward the corners: a gain from 1 at the centre down to
    0.35-1 in the corners."""
    return fall_off(width, height, rng.uniform(0.0, DEEPEST_FALL_OFF), rng.uniform(0.7, 1.5))
