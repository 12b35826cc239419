"""A short real training run writes a usable model; the CLI fails with one clear line; evaluate draws."""
from __future__ import annotations

import dataclasses
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from training import evaluate
from live.contract import CONTRACT, NUM_CLASSES
from live.model_file import load_model, read_metadata
from training.train import TrainConfig, fit_temperature, run

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("model") / "model.keras"
    # MirroredStrategy on the one CPU, so the --distribute path is exercised too.
    config = TrainConfig(arch="cnn", epochs=3, limit=4000, out=out, distribute="mirrored", verbose=0)
    return out, run(config)


def test_short_run_writes_a_model_that_loads(trained):
    out, metadata = trained
    model = load_model(out)
    assert model.output_shape == (None, NUM_CLASSES)
    on_disk = read_metadata(out)
    assert on_disk["contract"] == CONTRACT and on_disk["num_classes"] == NUM_CLASSES
    assert on_disk["test_accuracy"] == metadata["test_accuracy"]
    assert set(on_disk["per_class_accuracy"]) == {str(d) for d in range(10)}
    assert on_disk["temperature"] > 0 and on_disk["training_seconds"] > 0
    # Chance is 10 %; a few thousand digits for three epochs is far above it.
    assert metadata["test_accuracy"] > 0.8
    history = json.loads((out.parent / "history.json").read_text())
    assert len(history["loss"]) == 3 and "val_accuracy" in history


def test_a_saved_model_is_exported_to_litert_and_read_through_it_while_it_matches(trained, tmp_path):
    from live.classifier import Classifier
    from live.litert import keras_digest
    from live.model_file import ModelError

    out, metadata = trained
    entry = read_metadata(out)["litert"]
    assert (out.parent / entry["file"]).is_file() and entry["keras_sha256"] == keras_digest(out)
    # Dynamic-range int8 moves few readings of a model far from converged, let alone a trained one.
    assert entry["test_agreement_with_keras"] >= 0.98
    assert abs(entry["test_accuracy"] - metadata["test_accuracy"]) <= 0.02
    assert Classifier(out).runtime == "litert"
    # A .keras file that is not the one exported is read through Keras; LiteRT is then refused.
    copy = tmp_path / "model.keras"
    copy.write_bytes(out.read_bytes() + b"\0")
    for name in ("model.json", "model.tflite"):
        (tmp_path / name).write_bytes((out.parent / name).read_bytes())
    assert Classifier(copy).runtime == "keras"
    with pytest.raises(ModelError, match="training.export"):
        Classifier(copy, "litert")


def test_export_cli_makes_the_litert_file_again(trained, tmp_path):
    out, _ = trained
    for name in ("model.keras", "model.json"):
        (tmp_path / name).write_bytes((out.parent / name).read_bytes())
    done = subprocess.run([sys.executable, "-m", "training.export", str(tmp_path / "model.keras")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("saved ") and "through LiteRT" in done.stdout and not done.stderr
    assert (tmp_path / "model.tflite").is_file() and read_metadata(tmp_path / "model.keras")["litert"]


def test_evaluate_writes_small_pictures(trained, capsys):
    out, _ = trained
    assert evaluate.main(["--model", str(out), "--limit", "500"]) == 0
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "rej" in printed
    for name in ("confusion_matrix.png", "misclassified.png", "training_curves.png"):
        picture = out.parent / name
        assert picture.is_file() and 0 < picture.stat().st_size < 300_000


@pytest.fixture(scope="module")
def context_trained(trained, tmp_path_factory) -> tuple[Path, dict]:
    if importlib.util.find_spec("skimage") is None:
        pytest.skip("the real photographs ship in scikit-image's wheel")
    out = tmp_path_factory.mktemp("context") / "context.keras"
    return out, run(TrainConfig(arch="cnn", epochs=1, limit=4000, out=out, init=trained[0], scene_frames=40,
                                tails=0.3, tailed=(7, 9), hard_negatives=4.0, verbose=0))


def test_the_context_stage_adds_a_second_input_and_keeps_the_patch_reading(trained, context_trained):
    from live.classifier import Classifier
    from live.config import SegmentConfig
    from training.model import patch_model_of

    start, start_metadata = trained
    out, metadata = context_trained
    assert metadata["fine_tuned_from"]["test_accuracy"] == start_metadata["test_accuracy"]
    assert metadata["scene_samples"]["digits"] > 50 and metadata["scene_samples"]["not_digits"] > 50
    assert metadata["tailed_share"] == 0.3 and metadata["tailed_digits"] == [7, 9]  # its scenes' 7s and 9s
    assert metadata["hard_negatives"] == 4.0
    assert metadata["segment_config"] == dataclasses.asdict(SegmentConfig()) and metadata["commit"]
    model = load_model(out)
    assert [tuple(i.shape) for i in model.inputs] == [(None, 28, 28, 1), (None, 32, 32, 1)]
    assert Classifier(out).uses_context
    # The patch branch is the first stage's, untouched: it reads every patch as it did.
    digits = np.random.default_rng(0).random((16, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(patch_model_of(model)(digits), load_model(start)(digits), atol=1e-5)


@pytest.fixture(scope="module")
def narrow_trained(context_trained, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("narrow") / "narrow.keras"
    return out, run(TrainConfig(arch="cnn", epochs=1, limit=4000, out=out, init=context_trained[0], patch=True,
                                narrow=0.5, tails=0.3, tailed=(7, 9), frozen_blocks=3, verbose=0))


def test_the_patch_stage_trains_the_patch_branch_and_keeps_the_context_branch(context_trained, narrow_trained):
    from training.model import patch_model_of

    start, start_metadata = context_trained
    out, metadata = narrow_trained
    assert metadata["narrowed_share"] == 0.5 and metadata["tailed_share"] == 0.3 and metadata["frozen_blocks"] == 3
    assert metadata["tailed_digits"] == [7, 9]
    assert metadata["patch_branch_trained_further_from"]["test_accuracy"] == start_metadata["test_accuracy"]
    assert metadata["arch"] == "cnn+context" and metadata["test_accuracy"] > 0.8
    before, after = load_model(start), load_model(out)
    assert [tuple(i.shape) for i in after.inputs] == [(None, 28, 28, 1), (None, 32, 32, 1)]
    for name in ("context_reject", "onto_reject_logit"):
        for old, new in zip(before.get_layer(name).get_weights(), after.get_layer(name).get_weights()):
            np.testing.assert_array_equal(old, new)
    # The first three convolution blocks are kept as they were; every later layer learnt.
    kernels = [(old, new) for old, new in zip(before.get_layer("patch_body").get_weights(),
                                              after.get_layer("patch_body").get_weights()) if old.ndim == 4]
    assert len(kernels) == 7
    for k, (old, new) in enumerate(kernels):
        assert (np.abs(new - old).max() > 1e-4) == (k >= 3)
    digits = np.random.default_rng(0).random((16, 28, 28, 1)).astype(np.float32)
    assert np.abs(np.asarray(patch_model_of(after)(digits)) - np.asarray(patch_model_of(before)(digits))).max() > 1e-3


def _geometric_mean(models, temperatures, inputs):
    from live.model_file import calibrate

    each = [calibrate(np.asarray(m(inputs)), t) for m, t in zip(models, temperatures)]
    assert np.abs(each[0] - each[1]).max() > 1e-3, "two different readers"
    both = np.sqrt(each[0] * each[1])
    return both / both.sum(axis=1, keepdims=True)


def test_two_readers_make_one_model_that_reads_as_both_agree(context_trained, narrow_trained, tmp_path):
    from live.classifier import Classifier
    from live.model_file import calibrate
    from training.readers import main, product_of, shared_layers

    paths = [context_trained[0], narrow_trained[0]]
    models = [load_model(path) for path in paths]
    temperatures = [read_metadata(path)["temperature"] for path in paths]
    rng = np.random.default_rng(1)
    patches = rng.random((32, 28, 28, 1)).astype(np.float32)
    contexts = rng.random((32, 32, 32, 1)).astype(np.float32)
    # The normalised geometric mean of the two readers' calibrated probabilities, the first three
    # blocks that the second reader kept from the first computed once.
    assert shared_layers(models) == 10  # 3 x (convolution, normalisation, ReLU), then dropout
    product = np.asarray(product_of(models, temperatures)([patches, contexts]))
    np.testing.assert_allclose(product, _geometric_mean(models, temperatures, [patches, contexts]), atol=1e-4)

    out = tmp_path / "readers.keras"
    assert main([*map(str, paths), "--out", str(out), "--frames", "20"]) == 0
    metadata = read_metadata(out)
    assert metadata["arch"] == "readers" and metadata["test_accuracy"] > 0.8 and metadata["temperature"] > 0
    assert [reader["file"] for reader in metadata["readers"]] == [path.name for path in paths]
    assert metadata["readers"][1]["narrowed_share"] == 0.5 and metadata["contract"] == CONTRACT
    assert metadata["readers"][1]["tailed_digits"] == [7, 9]
    # Non-digits weighed by how digit-like they looked: said of the context stage that did so.
    assert metadata["readers"][0]["hard_negatives"] == 4.0 and "hard_negatives" not in metadata["readers"][1]
    assert metadata["shared_layers"] == 10
    # Saved and loaded in safe mode, read in one call, by Keras and by LiteRT alike.
    saved = calibrate(np.asarray(load_model(out)([patches, contexts])), metadata["temperature"])
    np.testing.assert_allclose(saved, calibrate(product, metadata["temperature"]), atol=1e-5)
    lite = Classifier(out)
    assert lite.runtime == "litert" and lite.uses_context and lite.has_reject
    assert np.abs(lite.probabilities(patches, contexts) - saved).max() < 0.05


def test_readers_that_share_no_layer_are_each_read_whole(context_trained, narrow_trained):
    from training.readers import product_of, shared_layers

    models = [load_model(context_trained[0]), load_model(narrow_trained[0])]
    first = models[1].get_layer("patch_body").get_weights()
    first[0] = first[0] * 1.01  # the first convolution's kernel
    models[1].get_layer("patch_body").set_weights(first)
    assert shared_layers(models) == 0
    rng = np.random.default_rng(2)
    inputs = [rng.random((32, 28, 28, 1)).astype(np.float32), rng.random((32, 32, 32, 1)).astype(np.float32)]
    product = np.asarray(product_of(models, [1.2, 0.8])(inputs))
    np.testing.assert_allclose(product, _geometric_mean(models, [1.2, 0.8], inputs), atol=1e-4)


def test_readers_cli_names_a_missing_model_in_one_line(context_trained, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "training.readers", str(context_trained[0]), str(tmp_path / "absent.keras"),
         "--out", str(tmp_path / "out.keras")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and not (tmp_path / "out.keras").exists()
    assert done.stderr.startswith("error:") and "absent.keras" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_evaluate_missing_model(tmp_path, capsys):
    assert evaluate.main(["--model", str(tmp_path / "absent.keras")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_temperature_fit_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(4000, NUM_CLASSES))
    true_probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = np.array([rng.choice(NUM_CLASSES, p=p) for p in true_probs])
    # An overconfident model: its probabilities are the true ones sharpened by T = 2.
    sharp = np.exp(2 * logits) / np.exp(2 * logits).sum(1, keepdims=True)
    assert fit_temperature(sharp, labels) == pytest.approx(2.0, rel=0.1)


def test_non_digits_read_as_digits_weigh_more_and_all_weigh_one_on_average():
    from live.contract import REJECT_LABEL
    from live.runtime import import_keras
    from training.train import _hard_weights

    keras = import_keras()
    # A scripted reader: "0" as sure as the patch is bright, "not a digit" otherwise.
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(NUM_CLASSES, activation="softmax")])
    kernel = np.zeros((28 * 28, NUM_CLASSES), np.float32)
    kernel[:, 0] = 20.0 / (28 * 28)
    bias = np.zeros(NUM_CLASSES, np.float32)
    bias[REJECT_LABEL] = 10.0
    model.layers[-1].set_weights([kernel, bias])
    patches = np.concatenate([np.zeros((3, 28, 28), np.uint8), np.full((1, 28, 28), 255, np.uint8)])
    weights = _hard_weights(model, patches, np.zeros((4, 32, 32), np.uint8), 4.0)
    assert weights.mean() == pytest.approx(1.0)
    np.testing.assert_allclose(weights[:3], weights[0])
    # The bright one, read as a 0, is the hard one.
    assert weights[3] / weights[0] == pytest.approx(5.0, rel=0.01)
    assert len(_hard_weights(model, patches[:0], np.zeros((0, 32, 32), np.uint8), 4.0)) == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "/nonexistent/mnist.npz"], "does not exist"),
        (["--out", "/proc/no/model.keras"], "--out"),
        (["--out", "{tmp}/folder.keras"], "is a directory"),
        (["--out", "{tmp}/model.h5"], "must end in .keras"),
        (["--init", "{tmp}/absent.keras"], "does not exist"),
        (["--init", "{tmp}/folder.keras"], "does not exist"),
        (["--arch", "mlp", "--init", "{tmp}/absent.keras"], "fine-tunes the cnn"),
        (["--patch"], "give that model with --init"),
        (["--narrow", "2"], "between 0 and 1"),
        (["--tails", "-0.1"], "between 0 and 1"),
        (["--tails", "0.3", "--tailed", "58"], "4, 7 and 9"),
        (["--tails", "0.3", "--tailed", "7,9"], "such as --tailed 79"),
        (["--frozen-blocks", "3"], "give it with --patch"),
        (["--hard-negatives", "2"], "with --init and without --patch"),
        (["--hard-negatives", "-1"], "a weight of 0 or more"),
        (["--init", "models_saved/model.keras"], "models_saved/readers/mnist.keras"),
    ],
)
def test_cli_errors_are_one_line(tmp_path, args, message):
    (tmp_path / "folder.keras").mkdir()
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = subprocess.run(
        [sys.executable, "-m", "training.train", "--limit", "600", "--epochs", "1", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0
    assert done.stderr.startswith("error:") and message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
