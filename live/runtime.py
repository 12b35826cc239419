"""TensorFlow, Keras and LiteRT, imported once without the start-up log lines they write to stderr.

TF 2.21 prints its oneDNN notice through absl before TF_CPP_MIN_LOG_LEVEL is read, and LiteRT
announces its XNNPACK delegate the first time an interpreter is built, so the only way to keep a
good run's terminal clean is to point file descriptor 2 elsewhere meanwhile.
"""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """File descriptor 2 points at /dev/null inside the block (Python's own sys.stderr included,
    unless it was moved to a copy of the descriptor, as `python -m live` does)."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras(intra_op_threads: int | None = None):
    """Return the keras module, with TensorFlow imported quietly; later calls are free.

    `intra_op_threads` caps TensorFlow's own thread pool; it only takes effect on the first call,
    before TensorFlow starts its runtime.
    """
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    with quiet_stderr():
        import tensorflow as tf
        import keras

        if intra_op_threads is not None:
            tf.config.threading.set_intra_op_parallelism_threads(intra_op_threads)
        tf.constant(0) + 0  # the second copy of the notice comes with the first op
        tf.get_logger().setLevel("ERROR")
    return keras
