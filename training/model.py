"""The two architectures (the original MLP baseline and the default CNN).

Loading a model file safely, its model.json and calibration are what the live side requires of
a model, so they live in `live.model_file`.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from live.contract import CONTEXT_SIZE, IMAGE_SIZE, NUM_CLASSES, NUM_DIGITS, contexts_to_input, normalize
from live.runtime import import_keras

if TYPE_CHECKING:  # keras is imported lazily, through runtime.import_keras(), to keep TF quiet
    import keras

ARCHS = ("cnn", "mlp")
# Convolution blocks (convolution, batch normalisation, ReLU) of build_cnn, the most that
# `frozen_blocks` can keep.
CNN_BLOCKS = 7


def _conv_bn_relu(x, filters: int, kernel: int, strides: int = 1, padding: str = "valid"):
    keras = import_keras()
    # BatchNorm's shift makes a conv bias redundant.
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False)(x)
    # Momentum 0.95 instead of 0.99: the moving statistics settle within a few dozen steps,
    # which short runs (tests, quick checks) need; long runs do not notice.
    x = keras.layers.BatchNormalization(momentum=0.95)(x)
    return keras.layers.ReLU()(x)


def build_cnn(frozen_blocks: int = 0) -> keras.Model:
    """About 330k parameters after Chris Deotte's Kaggle MNIST CNN; 11 classes (digits + reject).

    Strided 5x5 convolutions instead of max-pooling learn their own downsampling, and the heavy
    dropout keeps the model from memorising the augmented digits. The first `frozen_blocks`
    convolution blocks (convolution, batch normalisation, ReLU) are not trained: a model trained
    further from another with them frozen shares them with it, and a product of the two
    (`training.readers`) computes them once.
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
    freeze_blocks(model, frozen_blocks)
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def freeze_blocks(model: keras.Model, blocks: int) -> None:
    """Make the layers before the (blocks + 1)-th convolution of a patch CNN untrainable (its
    batch normalisations then keep their moving statistics, as at inference)."""
    keras = import_keras()
    convolutions = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            convolutions += 1
        if convolutions > blocks:
            return
        layer.trainable = False


def build_context_cnn(patch_model: keras.Model) -> keras.Model:
    """The CNN with a second input, the frame around the patch, which decides whether the patch
    is a digit at all while the patch alone still decides which digit: the patch branch is
    `patch_model`'s own layers (frozen, in inference mode), giving its 11 logits and the 128
    features under them; a small CNN reads the 32x32 context, and a head on both adds a
    correction to the "not a digit" logit only, initialised to zero, so the untrained model reads
    exactly as `patch_model` does. A wood-grain line's patch *is* a 1; what tells them apart is
    the parallel lines and the wood around it.
    """
    keras = import_keras()
    classes = patch_model.get_layer("probabilities")
    body = keras.Model(patch_model.inputs, patch_model.get_layer("probabilities").input, name="patch_body")
    body.trainable = False
    digit_logits = keras.layers.Dense(NUM_CLASSES, name="digit_logits", trainable=False)
    patch = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="patch")
    context = keras.Input(shape=(CONTEXT_SIZE, CONTEXT_SIZE, 1), name="context")
    features = body(patch, training=False)
    logits = digit_logits(features)
    digit_logits.set_weights(classes.get_weights())  # softmax(its linear output) is the patch model
    c = context
    for filters in (16, 32, 64):  # 32 -> 16 -> 8 -> 4
        c = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(c)
        c = keras.layers.MaxPooling2D()(c)
    c = keras.layers.Dense(64, activation="relu")(keras.layers.Flatten()(c))
    h = keras.layers.Concatenate()([features, c])
    h = keras.layers.Dropout(0.3)(keras.layers.Dense(64, activation="relu")(h))
    reject = keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="zeros", name="context_reject")(h)
    # A fixed map of that one number onto the reject logit (a frozen Dense, not a Lambda: the
    # model must load in safe mode).
    to_reject = keras.layers.Dense(NUM_CLASSES, use_bias=False, trainable=False, name="onto_reject_logit")
    correction = to_reject(reject)
    to_reject.set_weights([np.eye(1, NUM_CLASSES, NUM_CLASSES - 1, dtype=np.float32)])
    outputs = keras.layers.Softmax(name="probabilities")(keras.layers.Add()([logits, correction]))
    model = keras.Model([patch, context], outputs, name="cnn_context")
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def patch_model_of(model: keras.Model) -> keras.Model:
    """The patch-only CNN inside a context model (its body, and its digit logits as the softmax
    layer "probabilities" that build_context_cnn starts from), or the model itself when it reads
    patches only."""
    if len(model.inputs) == 1:
        return model
    keras = import_keras()
    patch = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="patch")
    classes = keras.layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")
    outputs = classes(model.get_layer("patch_body")(patch, training=False))
    classes.set_weights(model.get_layer("digit_logits").get_weights())
    return keras.Model(patch, outputs, name="cnn")


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


def build_model(arch: str, frozen_blocks: int = 0) -> keras.Model:
    """Return a compiled, untrained keras.Model for ``arch`` ("cnn" or "mlp"), the cnn with its
    first `frozen_blocks` convolution blocks untrainable."""
    if arch == "cnn":
        return build_cnn(frozen_blocks)
    if arch == "mlp":
        return build_mlp()
    raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHS)}")


def predict_probabilities(model: keras.Model, images_u8: np.ndarray, contexts_u8: np.ndarray | None = None,
                          batch_size: int = 1000) -> np.ndarray:
    """Softmax output for uint8 (N, 28, 28) patches, in batches; direct calls, since Keras
    documents predict() as meant for large datasets, not for repeated use. A context model reads
    `contexts_u8` beside them, or, where none are given (MNIST), each patch drawn on plain paper."""
    if len(model.inputs) > 1 and contexts_u8 is None:
        from training.scenes import paper_context

        contexts_u8 = paper_context(images_u8, np.random.default_rng(0))

    def inputs(i: int):
        patches = normalize(images_u8[i:i + batch_size])
        return patches if len(model.inputs) == 1 else [patches, contexts_to_input(contexts_u8[i:i + batch_size])]

    batches = [np.asarray(model(inputs(i), training=False)) for i in range(0, len(images_u8), batch_size)]
    return np.concatenate(batches) if batches else np.zeros((0, model.output_shape[-1]), np.float32)


def history_path(model_path: str | Path) -> Path:
    """Per-epoch losses written by train.py: history.json beside model.keras, NAME_history.json
    beside any other NAME.keras (so a baseline saved in the same folder keeps its own)."""
    model_path = Path(model_path)
    if model_path.name == "model.keras":
        return model_path.with_name("history.json")
    return model_path.with_name(model_path.stem + "_history.json")


