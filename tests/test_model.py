"""The shipped model: safe loading, its model.json contract, its accuracy; and clear load errors."""
from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from live.config import SegmentConfig
from live.contract import CONTEXT_SIZE, CONTRACT, NUM_CLASSES, contexts_to_input, normalize
from live.mnist import load_mnist
from live.model_file import ModelError, load_model, read_metadata
from training.model import build_model, predict_probabilities
from live.runtime import import_keras

SHIPPED = Path(__file__).resolve().parent.parent / "models_saved" / "model.keras"


@pytest.fixture(scope="module")
def shipped():
    return load_model(SHIPPED)


def test_shipped_model_matches_its_metadata(shipped):
    metadata = read_metadata(SHIPPED)
    assert metadata["found"]
    assert metadata["contract"] == CONTRACT
    assert metadata["num_classes"] == NUM_CLASSES == shipped.output_shape[-1]
    patch, context = (list(i.shape[1:]) for i in shipped.inputs)
    assert patch == CONTRACT["input_shape"] and context == [CONTEXT_SIZE, CONTEXT_SIZE, 1]
    assert metadata["arch"] == "readers" and metadata["parameters"] == shipped.count_params() < 1_000_000
    assert 0.2 < metadata["temperature"] < 5
    # What the context branches learnt from: the segmenter's settings, which are today's (a change
    # of them is a reason to train the branches again), and the code that ran them.
    assert metadata["segment_config"] == dataclasses.asdict(SegmentConfig()) and metadata["commit"]
    # Its two readers ship beside it, and are what it was made of.
    readers = [SHIPPED.parent / "readers" / reader["file"] for reader in metadata["readers"]]
    assert [path.name for path in readers] == ["mnist.keras", "narrow.keras"]
    for path, reader in zip(readers, metadata["readers"]):
        own = read_metadata(path)
        assert own["arch"] == reader["arch"] == "cnn+context" and own["test_accuracy"] == reader["test_accuracy"]
        assert own["segment_config"] == metadata["segment_config"] and own["commit"]
    assert [reader["narrowed_share"] for reader in metadata["readers"]] == [0.0, 0.5]


def test_shipped_model_accuracy(shipped):
    _, _, x_test, y_test = load_mnist()
    probabilities = predict_probabilities(shipped, x_test)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    # Argmax over all 11 classes: rejecting a true digit counts as an error. The errors are those
    # training recorded (one more allowed for another CPU's rounding), and within the bar.
    errors = int(np.sum(probabilities.argmax(axis=1) != y_test))
    assert errors <= read_metadata(SHIPPED)["test_errors"] + 1 and errors <= 40, f"{errors} test errors"


def test_shipped_litert_export_is_the_shipped_model():
    """model.tflite was made from this very model.keras, and reads MNIST as training recorded."""
    from live.classifier import Classifier
    from live.litert import keras_digest
    from training.scenes import paper_context

    entry = read_metadata(SHIPPED)["litert"]
    assert entry["keras_sha256"] == keras_digest(SHIPPED), "model.keras changed: python -m training.export it again"
    assert entry["test_agreement_with_keras"] >= 0.999 and entry["test_errors"] <= 40
    classifier = Classifier(SHIPPED, "litert")
    assert classifier.runtime == "litert" and classifier.uses_context
    _, _, x_test, y_test = load_mnist()
    contexts = paper_context(x_test, np.random.default_rng(0))
    # Calibration keeps each row's argmax, so the calibrated output scores as the raw one.
    probabilities = classifier.probabilities(normalize(x_test), contexts_to_input(contexts))
    errors = int(np.sum(probabilities.argmax(axis=1) != y_test))
    assert errors <= entry["test_errors"] + 1 and errors <= 40, f"{errors} test errors through LiteRT"
    # A video read with overlap asks for one thread, a frame read on its own gets two: the same
    # probabilities either way.
    some = slice(0, 256)  # the first batch of the call above, as it was read
    one_thread = classifier.probabilities(normalize(x_test[some]), contexts_to_input(contexts[some]), threads=1)
    np.testing.assert_array_equal(one_thread, probabilities[some])


def _truncated(tmp_path: Path) -> Path:
    path = tmp_path / "truncated.keras"
    data = SHIPPED.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _text_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.keras"
    path.write_text("these are my notes, not a model\n")
    return path


def _zip_without_config(tmp_path: Path) -> Path:
    path = tmp_path / "archive.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return path


def _bad_config(tmp_path: Path) -> Path:
    path = tmp_path / "bad_config.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{not json")
        archive.writestr("metadata.json", "{}")
    return path


def _lambda_model(tmp_path: Path) -> Path:
    keras = import_keras()
    inputs = keras.Input(shape=(28, 28, 1))
    outputs = keras.layers.Lambda(lambda x: x * 2.0)(inputs)
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    return path


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda tmp: tmp / "absent.keras", "does not exist"),
        (_truncated, "not a Keras 3 .keras file|damaged|corrupt"),
        (_text_file, "not a zip archive"),
        (_zip_without_config, "no config.json"),
        (_bad_config, "could not be loaded"),
        (_lambda_model, "Lambda"),
    ],
)
def test_bad_model_files_give_one_clear_error(tmp_path: Path, make, match):
    path = make(tmp_path)
    with pytest.raises(ModelError, match=match) as error:
        load_model(path)
    message = str(error.value)
    assert str(path) in message and "\n" not in message and "training.train" in message


def test_metadata_defaults_and_bad_json(tmp_path: Path):
    model_path = tmp_path / "model.keras"
    defaults = read_metadata(model_path)
    assert defaults["found"] is False and defaults["temperature"] == 1.0 and defaults["contract"] == CONTRACT
    (tmp_path / "model.json").write_text("{broken")
    with pytest.raises(ModelError, match="model.json"):
        read_metadata(model_path)
    (tmp_path / "model.json").write_text(json.dumps({"temperature": 1.5}))
    assert read_metadata(model_path)["temperature"] == 1.5


def test_mlp_is_the_original_baseline():
    keras = import_keras()
    model = build_model("mlp")
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Flatten", "Dense", "Dense", "Dense"]
    assert [layer.units for layer in model.layers[1:]] == [128, 128, 10]
    assert [layer.activation.__name__ for layer in model.layers[1:]] == ["relu", "relu", "softmax"]
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert model.loss == "sparse_categorical_crossentropy"
    assert model.count_params() == 784 * 128 + 128 + 128 * 128 + 128 + 128 * 10 + 10


def test_cnn_size_and_classes():
    model = build_model("cnn")
    assert model.count_params() < 500_000
    assert model.output_shape == (None, NUM_CLASSES)


def test_unknown_arch():
    with pytest.raises(ValueError, match="unknown architecture"):
        build_model("resnet")
