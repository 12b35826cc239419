"""The trained model, loaded safely, read through one compiled call per frame.

`model.predict` is built for large datasets and costs ~45 ms per call; a `tf.function` with a
fixed signature (any batch size, 28x28x1) is traced once and then runs a frame's patches in a
few milliseconds. Probabilities are calibrated with the temperature stored in model.json.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from live.contract import CONTEXT_SIZE, IMAGE_SIZE, NUM_DIGITS, REJECT_LABEL
from live.model_file import calibrate, load_model, read_metadata
from live.runtime import import_keras


class Classifier:
    """Reads batches of contract patches (and, for a model with a second input, the frame around
    each); `has_reject` says whether class 10 means "not a digit"."""

    def __init__(self, model_path: str | Path) -> None:
        # One thread for TensorFlow's ops: the live loop runs segmentation on the other core at the
        # same time, and a second intra-op thread only spins against it (measured: 121 -> 137 fps).
        import_keras(intra_op_threads=1)
        import tensorflow as tf

        self.model_path = Path(model_path)
        self.model = load_model(self.model_path)
        self.metadata = read_metadata(self.model_path)
        self.num_classes = int(self.model.output_shape[-1])
        self.has_reject = self.num_classes > NUM_DIGITS
        self.temperature = float(self.metadata.get("temperature", 1.0)) or 1.0
        self.uses_context = len(self.model.inputs) > 1
        patch_spec = tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 1], tf.float32)
        if self.uses_context:
            context_spec = tf.TensorSpec([None, CONTEXT_SIZE, CONTEXT_SIZE, 1], tf.float32)
            self._forward = tf.function(lambda x, c: self.model([x, c], training=False),
                                        input_signature=[patch_spec, context_spec])
        else:
            self._forward = tf.function(lambda x: self.model(x, training=False), input_signature=[patch_spec])
        # Trace now, not on frame 1.
        self.probabilities(np.zeros((1, IMAGE_SIZE, IMAGE_SIZE, 1), np.float32),
                           np.zeros((1, CONTEXT_SIZE, CONTEXT_SIZE, 1), np.float32))

    def probabilities(self, patches: np.ndarray, contexts: np.ndarray | None = None) -> np.ndarray:
        """float32 (N, 28, 28, 1) patches and (N, 32, 32, 1) contexts -> calibrated class
        probabilities (N, num_classes). A patch-only model ignores the contexts."""
        if len(patches) == 0:
            return np.zeros((0, self.num_classes), np.float32)
        if self.uses_context:
            if contexts is None or len(contexts) != len(patches):
                raise ValueError(f"{self.model_path} reads a context per patch: expected {len(patches)}, "
                                 f"got {None if contexts is None else len(contexts)}")
            output = self._forward(patches, contexts)
        else:
            output = self._forward(patches)
        return calibrate(output.numpy(), self.temperature).astype(np.float32)


def best_digit(probs: np.ndarray, has_reject: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(label, its probability, is_digit) per row; a row is not a digit when "reject" wins."""
    labels = probs.argmax(axis=1)
    is_digit = labels != REJECT_LABEL if has_reject else np.ones(len(probs), bool)
    digit_labels = probs[:, :NUM_DIGITS].argmax(axis=1)
    confidences = probs[np.arange(len(probs)), digit_labels]
    return digit_labels, confidences, is_digit
