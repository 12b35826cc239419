"""The two architectures (the original MLP baseline and the default CNN), and safe loading.

Loading is shared with the live side: a model file is only ever opened in Keras' safe mode, and
every way it can fail becomes one ModelError that names the file and says what to do.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from training.contract import CONTRACT, IMAGE_SIZE, NUM_CLASSES, NUM_DIGITS, normalize
from training.runtime import import_keras

if TYPE_CHECKING:  # keras is imported lazily, through runtime.import_keras(), to keep TF quiet
    import keras

ARCHS = ("cnn", "mlp")
RETRAIN = "retrain it with: python -m training.train"


class ModelError(ValueError):
    """A model file that cannot be used; the message names the file and the fix."""


def _conv_bn_relu(x, filters: int, kernel: int, strides: int = 1, padding: str = "valid"):
    keras = import_keras()
    # BatchNorm's shift makes a conv bias redundant.
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False)(x)
    # Momentum 0.95 instead of 0.99: the moving statistics settle within a few dozen steps,
    # which short runs (tests, quick checks) need; long runs do not notice.
    x = keras.layers.BatchNormalization(momentum=0.95)(x)
    return keras.layers.ReLU()(x)


def build_cnn() -> keras.Model:
    """About 330k parameters after Chris Deotte's Kaggle MNIST CNN; 11 classes (digits + reject).

    Strided 5x5 convolutions instead of max-pooling learn their own downsampling, and the heavy
    dropout keeps the model from memorising the augmented digits.
    """
    keras = import_keras()
    inputs = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="patch")
    x = _conv_bn_relu(inputs, 32, 3)  # 26x26
    x = _conv_bn_relu(x, 32, 3)  # 24x24
    x = _conv_bn_relu(x, 32, 5, strides=2, padding="same")  # 12x12
    x = keras.layers.Dropout(0.4)(x)
    x = _conv_bn_relu(x, 64, 3)  # 10x10
    x = _conv_bn_relu(x, 64, 3)  # 8x8
    x = _conv_bn_relu(x, 64, 5, strides=2, padding="same")  # 4x4
    x = keras.layers.Dropout(0.4)(x)
    x = _conv_bn_relu(x, 128, 4)  # 1x1
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.4)(x)
    outputs = keras.layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    model = keras.Model(inputs, outputs, name="cnn")
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def build_mlp() -> keras.Model:
    """The original baseline, unchanged: two 128-unit ReLU layers, 10 classes, plain MNIST."""
    keras = import_keras()
    model = keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="patch"),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(NUM_DIGITS, activation="softmax", name="probabilities"),
        ],
        name="mlp",
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_model(arch: str) -> keras.Model:
    """Return a compiled, untrained keras.Model for ``arch`` ("cnn" or "mlp")."""
    if arch == "cnn":
        return build_cnn()
    if arch == "mlp":
        return build_mlp()
    raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHS)}")


def predict_probabilities(model: keras.Model, images_u8: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Softmax output for uint8 (N, 28, 28) patches, in batches; direct calls, since Keras
    documents predict() as meant for large datasets, not for repeated use."""
    batches = [
        np.asarray(model(normalize(images_u8[i : i + batch_size]), training=False))
        for i in range(0, len(images_u8), batch_size)
    ]
    return np.concatenate(batches) if batches else np.zeros((0, model.output_shape[-1]), np.float32)


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
                f"use a model built by training.model ({RETRAIN})"
            ) from error
        first_line = text.strip().splitlines()[0] if text.strip() else type(error).__name__
        raise ModelError(f"{path} could not be loaded as a Keras model ({first_line}); {RETRAIN}") from error


def metadata_path(model_path: str | Path) -> Path:
    """The JSON that train.py writes beside a model: model.json for model.keras, NAME.json for
    NAME.keras, so a baseline saved in the same folder never overwrites the shipped metadata."""
    return Path(model_path).with_suffix(".json")


def history_path(model_path: str | Path) -> Path:
    """Per-epoch losses written by train.py: history.json beside model.keras, NAME_history.json
    beside any other NAME.keras (so a baseline saved in the same folder keeps its own)."""
    model_path = Path(model_path)
    if model_path.name == "model.keras":
        return model_path.with_name("history.json")
    return model_path.with_name(model_path.stem + "_history.json")


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
