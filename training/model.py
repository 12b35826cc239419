"""The two architectures (the original MLP baseline and the default CNN).

Loading a model file safely, its model.json and calibration are what the live side requires of
a model, so they live in `live.model_file`.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from live.contract import IMAGE_SIZE, NUM_CLASSES, NUM_DIGITS, normalize
from live.runtime import import_keras

if TYPE_CHECKING:  # keras is imported lazily, through runtime.import_keras(), to keep TF quiet
    import keras

ARCHS = ("cnn", "mlp")


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


def history_path(model_path: str | Path) -> Path:
    """Per-epoch losses written by train.py: history.json beside model.keras, NAME_history.json
    beside any other NAME.keras (so a baseline saved in the same folder keeps its own)."""
    model_path = Path(model_path)
    if model_path.name == "model.keras":
        return model_path.with_name("history.json")
    return model_path.with_name(model_path.stem + "_history.json")


