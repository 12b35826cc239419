"""TensorFlow and Keras, imported once without the start-up log lines TensorFlow writes to stderr.

TF 2.21 prints its oneDNN notice through absl before TF_CPP_MIN_LOG_LEVEL is read, so the only
way to keep a good run's terminal clean is to point file descriptor 2 elsewhere during import.
"""
from __future__ import annotations

import os
import sys


def import_keras():
    """Return the keras module, with TensorFlow imported quietly; later calls are free."""
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf
        import keras

        tf.constant(0) + 0  # the second copy of the notice comes with the first op
        tf.get_logger().setLevel("ERROR")
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return keras
