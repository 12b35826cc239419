"""Checks that run before anything slow loads: a mistyped model path or an output folder that
cannot be made is reported in a fraction of a second, not after TensorFlow's import."""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

from live.config import DEFAULT_MODEL
from live.model_file import ModelError
from live.recorder import OutputError


def models_in(folder: Path = DEFAULT_MODEL.parent) -> list[Path]:
    """The .keras files in a folder, by name."""
    return sorted(folder.glob("*.keras")) if folder.is_dir() else []


def shown(path: Path) -> str:
    """A path as short as it can be said: relative to the current folder when inside it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def check_model_path(path: Path) -> None:
    """A model path that names no file, or a file that is not a .keras archive, raises ModelError
    listing the models at hand. What is inside the archive is checked when it loads."""
    if path.is_file() and zipfile.is_zipfile(path):
        return
    listing = ", ".join(shown(p) for p in models_in()) or f"none in {shown(DEFAULT_MODEL.parent)}"
    if path.is_dir():
        raise ModelError(f"model {path} is a folder; pass --model with a .keras file (models: {listing})")
    if not path.exists():
        raise ModelError(f"model file {path} does not exist; check the path (models: {listing})")
    if path.stat().st_size == 0 or not zipfile.is_zipfile(path):
        raise ModelError(f"{path} is not a Keras .keras file (not a zip archive: truncated, corrupt or "
                         f"another format); pass --model with one of: {listing}")


def check_out_dir(folder: Path) -> None:
    """The output folder exists as a folder, or can be made: its nearest existing parent is a
    writable folder. Nothing is created here; files create it when they are first saved."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"--out-dir {folder}: {existing} is a file, not a folder; choose another --out-dir")
    if not os.access(existing, os.W_OK):
        raise OutputError(f"--out-dir {folder}: {existing} is not writable; choose a folder you can write to")


def new_file(folder: Path, stem: str, suffix: str) -> Path:
    """folder/stem+suffix, or stem-2, stem-3, ... when taken; the folder is created."""
    folder.mkdir(parents=True, exist_ok=True)
    path, n = folder / f"{stem}{suffix}", 2
    while path.exists():
        path, n = folder / f"{stem}-{n}{suffix}", n + 1
    return path


def check_data_path(path: str | None) -> None:
    """--data must name a keras-format mnist.npz: an existing zip archive (what .npz files are).
    Anything else would reach numpy, whose error speaks of pickles."""
    if path is None:
        return
    from live.mnist import DataError

    data = Path(path)
    if not data.is_file():
        raise DataError(f"--data {path} does not exist; give the path of a keras mnist.npz, or leave --data out")
    if not zipfile.is_zipfile(data):
        raise DataError(f"--data {path} is not an .npz archive; give a keras-format mnist.npz "
                        "(x_train, y_train, x_test, y_test), or leave --data out")
