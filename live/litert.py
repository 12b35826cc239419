"""The shipped model's compiled twin: model.tflite, read by LiteRT without importing TensorFlow.

Training exports every model it saves to LiteRT (`training.export`), with dynamic-range int8
weights, and records in model.json the SHA-256 of the .keras file it was made from. The live
side reads the .tflite only while that digest still matches, so it is always the same model:
on 15 candidates of a 720p frame it runs in about a quarter of the time the Keras call takes
on one core, and the tool starts without TensorFlow's import. MNIST accuracy and agreement with
the Keras model are measured at export and recorded beside the digest.
"""
from __future__ import annotations

import collections
import hashlib
import importlib.util
from pathlib import Path

import numpy as np

from live.contract import CONTEXT_SIZE, IMAGE_SIZE
from live.runtime import quiet_stderr


def keras_digest(model_path: str | Path) -> str:
    """SHA-256 of a model file, hex."""
    digest = hashlib.sha256()
    with open(model_path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def litert_path(model_path: str | Path) -> Path:
    """model.tflite beside model.keras (NAME.tflite beside NAME.keras)."""
    return Path(model_path).with_suffix(".tflite")


def matching_litert(model_path: str | Path, metadata: dict) -> Path | None:
    """The .tflite made from exactly this .keras file, when it exists and LiteRT is installed;
    otherwise None (the model is then read through Keras)."""
    entry = metadata.get("litert")
    path = litert_path(model_path)
    if not isinstance(entry, dict) or not path.is_file() or importlib.util.find_spec("ai_edge_litert") is None:
        return None
    try:
        return path if entry.get("keras_sha256") == keras_digest(model_path) else None
    except OSError:
        return None


class LiteRTModel:
    """A .tflite classifier read in batches of any size, on `threads` threads unless a call
    asks for another number.

    LiteRT fixes a batch size and its threads when it allocates its tensors, and re-allocating
    costs about one call's time, so one interpreter is kept per batch size (and threads) seen
    lately: a live frame's batch size wanders within a few values. Batches longer than
    `max_batch` run in chunks.
    """

    def __init__(self, path: str | Path, threads: int = 1, max_batch: int = 256, kept: int = 8) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter_class = Interpreter
        self.path = Path(path)
        self._content = self.path.read_bytes()
        self._threads, self.max_batch, self._kept = threads, max_batch, kept
        self._by_size: collections.OrderedDict[tuple[int, int], object] = collections.OrderedDict()
        with quiet_stderr():  # LiteRT announces its CPU delegate on the first interpreter
            probe = self._interpreter(1)
        inputs = probe.get_input_details()
        shapes = [tuple(d["shape"][1:]) for d in inputs]
        if (IMAGE_SIZE, IMAGE_SIZE, 1) not in shapes or len(inputs) > 2 or (
                len(inputs) == 2 and (CONTEXT_SIZE, CONTEXT_SIZE, 1) not in shapes):
            raise ValueError(f"{self.path} takes inputs of shapes {shapes}, not this project's patches")
        self.uses_context = len(inputs) == 2
        # Tensor indices come from the model file, the same in every interpreter made from it:
        # looked up once, not per call (each lookup builds dictionaries of arrays).
        self._patch_index = next(d["index"] for d in inputs if tuple(d["shape"][1:]) == (IMAGE_SIZE, IMAGE_SIZE, 1))
        self._context_index = next((d["index"] for d in inputs if d["index"] != self._patch_index), None)
        output = probe.get_output_details()[0]
        self._output_index, self.num_classes = output["index"], int(output["shape"][-1])

    def _interpreter(self, batch: int, threads: int | None = None):
        key = (batch, threads or self._threads)
        found = self._by_size.get(key)
        if found is not None:
            self._by_size.move_to_end(key)
            return found
        interpreter = self._interpreter_class(model_content=self._content, num_threads=key[1])
        for detail in interpreter.get_input_details():
            interpreter.resize_tensor_input(detail["index"], [batch, *detail["shape"][1:]])
        interpreter.allocate_tensors()
        self._by_size[key] = interpreter
        while len(self._by_size) > self._kept:
            self._by_size.popitem(last=False)
        return interpreter

    def __call__(self, patches: np.ndarray, contexts: np.ndarray | None = None, threads: int | None = None
                 ) -> np.ndarray:
        """float32 (N, 28, 28, 1) patches (and (N, 32, 32, 1) contexts) -> (N, classes) softmax."""
        outputs = []
        for start in range(0, len(patches), self.max_batch):
            chunk = np.ascontiguousarray(patches[start:start + self.max_batch], np.float32)
            interpreter = self._interpreter(len(chunk), threads)
            interpreter.set_tensor(self._patch_index, chunk)
            if self._context_index is not None:
                interpreter.set_tensor(self._context_index,
                                       np.ascontiguousarray(contexts[start:start + self.max_batch], np.float32))
            interpreter.invoke()
            outputs.append(interpreter.get_tensor(self._output_index).copy())
        return np.concatenate(outputs) if outputs else np.zeros((0, self.num_classes), np.float32)
