"""The trained model, loaded safely, read through one compiled call per frame.

Two runtimes read the same model. Where training left a matching model.tflite beside it (see
`live.litert`) and LiteRT is installed, that is read, without importing TensorFlow. Otherwise the
.keras file is loaded in safe mode and read through a `tf.function` with a fixed signature (any
batch size), traced once: `model.predict` is built for large datasets and costs ~45 ms per call.
Probabilities are calibrated with the temperature stored in model.json.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from live.config import RUNTIMES
from live.contract import CONTEXT_SIZE, IMAGE_SIZE, NUM_DIGITS
from live.litert import LiteRTModel, litert_path, matching_litert
from live.model_file import ModelError, calibrate, load_model, read_metadata
from live.runtime import import_keras


class Classifier:
    """Reads batches of contract patches (and, for a model with a second input, the frame around
    each); `has_reject` says whether class 10 means "not a digit"; `runtime` says which runtime
    reads them ("litert" or "keras"). `runtime="auto"` takes LiteRT where it can."""

    def __init__(self, model_path: str | Path, runtime: str = "auto") -> None:
        if runtime not in RUNTIMES:
            raise ValueError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")
        self.model_path = Path(model_path)
        self.metadata = read_metadata(self.model_path)
        self.temperature = float(self.metadata.get("temperature", 1.0)) or 1.0
        compiled = matching_litert(self.model_path, self.metadata) if runtime != "keras" else None
        if runtime == "litert" and compiled is None:
            raise ModelError(f"{litert_path(self.model_path)} is missing, was made from another model file, or "
                             f"LiteRT is not installed; make it with: python -m training.export {self.model_path}")
        if compiled is not None:
            # Two threads for a frame read on its own (a photo, a camera's frame): 4.8 -> 3.2 ms
            # for 17 candidates, 20.5 -> 12.5 ms for 64. A video read with overlap asks for one:
            # the loop segments the next frame on the other core meanwhile (`live.recognize`).
            lite = LiteRTModel(compiled, threads=2)
            self.runtime, self.num_classes, self.uses_context = "litert", lite.num_classes, lite.uses_context
            self._forward = lite
        else:
            self._load_keras()
        self.has_reject = self.num_classes > NUM_DIGITS
        # Trace (or allocate) now, not on frame 1.
        self.probabilities(np.zeros((1, IMAGE_SIZE, IMAGE_SIZE, 1), np.float32),
                           np.zeros((1, CONTEXT_SIZE, CONTEXT_SIZE, 1), np.float32))

    def _load_keras(self) -> None:
        # One thread for TensorFlow's ops: the live loop runs segmentation on the other core at the
        # same time, and a second intra-op thread only spins against it (measured: 121 -> 137 fps).
        import_keras(intra_op_threads=1)
        import tensorflow as tf

        model = load_model(self.model_path)
        self.runtime, self.num_classes = "keras", int(model.output_shape[-1])
        self.uses_context = len(model.inputs) > 1
        patch_spec = tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 1], tf.float32)
        if self.uses_context:
            context_spec = tf.TensorSpec([None, CONTEXT_SIZE, CONTEXT_SIZE, 1], tf.float32)
            call = tf.function(lambda x, c: model([x, c], training=False), input_signature=[patch_spec, context_spec])
            self._forward = lambda x, c, threads=None: call(x, c).numpy()
        else:
            call = tf.function(lambda x: model(x, training=False), input_signature=[patch_spec])
            self._forward = lambda x, c, threads=None: call(x).numpy()

    def probabilities(self, patches: np.ndarray, contexts: np.ndarray | None = None, threads: int | None = None
                      ) -> np.ndarray:
        """float32 (N, 28, 28, 1) patches and (N, 32, 32, 1) contexts -> calibrated class
        probabilities (N, num_classes). A patch-only model ignores the contexts. `threads` asks
        LiteRT for that many threads (default two); TensorFlow's are set once, on import."""
        if len(patches) == 0:
            return np.zeros((0, self.num_classes), np.float32)
        if self.uses_context and (contexts is None or len(contexts) != len(patches)):
            raise ValueError(f"{self.model_path} reads a context per patch: expected {len(patches)}, "
                             f"got {None if contexts is None else len(contexts)}")
        output = self._forward(patches, contexts if self.uses_context else None, threads)
        return calibrate(output, self.temperature).astype(np.float32)

