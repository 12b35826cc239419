"""What the live side requires of a model file: safe loading, its model.json, calibrated output.

A model file is only ever opened in Keras' safe mode, and every way it can fail becomes one
ModelError that names the file and says what to do. Training writes what is read here.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from live.contract import CONTRACT, NUM_CLASSES
from live.runtime import import_keras

if TYPE_CHECKING:  # keras is imported lazily, through runtime.import_keras(), to keep TF quiet
    import keras

RETRAIN = "retrain it with: python -m training.train"


class ModelError(ValueError):
    """A model file that cannot be used; the message names the file and the fix."""


def calibrate(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log(p) / T): temperature scaling of a softmax output, in float64. Training fits T
    with it and the live side reports it as confidence, so both mean the same probability."""
    logits = np.log(np.clip(np.asarray(probabilities, np.float64), 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=1, keepdims=True)


def load_model(path: str | Path) -> keras.Model:
    """Load a .keras file in safe mode, uncompiled; any failure raises one ModelError."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file {path} does not exist; pass --model PATH or {RETRAIN}")
    if not zipfile.is_zipfile(path):
        raise ModelError(
            f"{path} is not a Keras 3 .keras file (not a zip archive: truncated, corrupt or another "
            f"format); {RETRAIN}"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            broken = archive.testzip()
    except (zipfile.BadZipFile, OSError) as error:
        raise ModelError(f"{path} is a damaged archive ({error}); {RETRAIN}") from error
    if broken is not None:
        raise ModelError(f"{path} is corrupt (bad entry {broken}); {RETRAIN}")
    if "config.json" not in names:
        raise ModelError(f"{path} is a zip file but not a Keras model (no config.json); {RETRAIN}")
    keras = import_keras()
    try:
        return keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as error:
        text = str(error)
        if "safe_mode" in text or "Lambda" in text or "lambda" in text:
            raise ModelError(
                f"{path} carries Python code (a Lambda layer), which safe mode refuses to run; "
                f"use a model trained by python -m training.train ({RETRAIN})"
            ) from error
        first_line = text.strip().splitlines()[0] if text.strip() else type(error).__name__
        raise ModelError(f"{path} could not be loaded as a Keras model ({first_line}); {RETRAIN}") from error


def metadata_path(model_path: str | Path) -> Path:
    """The JSON that train.py writes beside a model: model.json for model.keras, NAME.json for
    NAME.keras, so a baseline saved in the same folder never overwrites the shipped metadata."""
    return Path(model_path).with_suffix(".json")


def default_metadata() -> dict:
    """What a model without its model.json is assumed to be: this contract, uncalibrated."""
    return {
        "arch": "unknown",
        "num_classes": NUM_CLASSES,
        "contract": CONTRACT,
        "temperature": 1.0,
        "found": False,
    }


def read_metadata(model_path: str | Path) -> dict:
    """Read the model.json beside ``model_path``.

    A missing file gives default_metadata() (temperature 1, i.e. uncalibrated, and this
    contract), so a model saved by hand still runs; an unreadable one raises ModelError.
    """
    path = metadata_path(model_path)
    if not path.is_file():
        return default_metadata()
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{path} is not readable JSON ({error}); {RETRAIN}") from error
    if not isinstance(metadata, dict):
        raise ModelError(f"{path} should hold a JSON object; {RETRAIN}")
    return {**default_metadata(), **metadata, "found": True}
