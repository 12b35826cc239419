"""Two trained models as one: the model that reads as both agree.

    python -m training.readers A.keras B.keras --out models_saved/model.keras

Each reader's calibrated probabilities p_i = softmax(log(q_i) / T_i) (its own temperature from
its model.json) are combined as a normalised geometric mean, softmax(sum_i log(p_i) / n): a digit
wins where both readers find it likely, and "not a digit" where either doubts it. The shipped
model is the MNIST reader (`python -m training.train`, then `--init`) with a second reader
trained from it on narrowed digits (`--init ... --patch --narrow 0.5`, then `--init ... --narrow
0.5`): the first knows MNIST's shapes, the second the narrow hand of most people, and letters
or strokes that one of them takes for a digit the other rarely does.

The result is one Keras model (built-in layers only, so it loads in safe mode) read in one call
per frame, with the same inputs and output as either reader, and its LiteRT export beside it.
The leading layers that the readers share with the same weights (a reader trained from another
with `--patch --frozen-blocks N`) are computed once for all of them; readers that share none are
each read whole. Its temperature is 1: each reader is calibrated on its own, and their product is
taken as it is.
One temperature refitted on the validation scenes (0.91 for the shipped pair) doubled the
calibration error on the benchmark's tuning scenes (ECE 0.0054 -> 0.0102).
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

import numpy as np

from live.contract import CONTRACT, NUM_CLASSES, NUM_DIGITS
from live.model_file import ModelError, load_model, metadata_path, read_metadata
from live.runtime import import_keras
from training.export import export_litert
from training.model import predict_probabilities

# Validation scenes the product is checked on: as many, and from the same seed, as the context
# stage's with --scene-frames 3000.
VALIDATION_FRAMES = 300
VALIDATION_SEED = 1


def _chain(model) -> list:
    """The layers of a patch branch, one chain of layers (nested models opened), inputs left out."""
    keras = import_keras()
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            layers += _chain(layer)
        elif not isinstance(layer, keras.layers.InputLayer):
            layers.append(layer)
    return layers


def _apply(layers: list, x):
    for layer in layers:
        x = layer(x)
    return x


def shared_layers(models: list) -> int:
    """How many leading layers of the readers' patch branches are the same (same kind, same
    weights, as when one reader was trained from the other with `--frozen-blocks`): 0 where the
    readers have no patch branch of their own ("patch_body") or differ from the first layer."""
    bodies = []
    for model in models:
        names = [layer.name for layer in model.layers]
        if "patch_body" not in names:
            return 0
        bodies.append(_chain(model.get_layer("patch_body")))
    count = 0
    for layers in zip(*bodies):
        weights = [layer.get_weights() for layer in layers]
        if any(type(layer) is not type(layers[0]) or len(w) != len(weights[0])
               or not all(np.array_equal(a, b) for a, b in zip(w, weights[0]))
               for layer, w in zip(layers, weights)):
            break
        count += 1
    return count


def _from_features(model, shared: int, features, name: str):
    """`model`'s logits as a model of the output of its patch branch's first `shared` layers (in
    place of the patch) and of its other inputs: the rest of the patch branch, then the rest of
    the model, with the model's own layers and weights."""
    keras = import_keras()
    rest_input = keras.Input(shape=features.shape[1:], name="features")
    rest = keras.Model(rest_input, _apply(_chain(model.get_layer("patch_body"))[shared:], rest_input),
                       name="patch_body_rest")
    inputs = [keras.Input(shape=features.shape[1:], name="features"),
              *(keras.Input(shape=t.shape[1:], name=t.name.split(":")[0]) for t in model.inputs[1:])]

    def call(layer, *args, **kwargs):
        if layer.name == "patch_body":
            return rest(args[0])
        if layer.name == "probabilities":  # the logits under the softmax
            return args[0]
        return layer(*args, **kwargs)

    clone = keras.models.clone_model(model, input_tensors=inputs, clone_function=lambda layer: layer,
                                     call_function=call)
    return keras.Model(clone.inputs, clone.outputs[0], name=name)


def product_of(models: list, temperatures: list[float]):
    """A Keras model reading as the normalised geometric mean of the calibrated outputs of
    `models` (each softmax(logits / temperature)); built-in layers only. The leading layers that
    the readers' patch branches share are computed once."""
    keras = import_keras()
    inputs = [keras.Input(shape=tensor.shape[1:], name=tensor.name.split(":")[0]) for tensor in models[0].inputs]
    names = [tensor.name for tensor in inputs]
    for k, model in enumerate(models):
        if [t.name.split(":")[0] for t in model.inputs] != names or model.output_shape[-1] != NUM_CLASSES:
            raise ModelError(f"reader {k + 1} does not take the inputs of reader 1 ({', '.join(names)}) "
                             f"or does not give {NUM_CLASSES} classes")
    shared = shared_layers(models)
    if shared:
        patch = keras.Input(shape=inputs[0].shape[1:], name="patch")
        trunk = keras.Model(patch, _apply(_chain(models[0].get_layer("patch_body"))[:shared], patch),
                            name="shared_layers")
        features = trunk(inputs[0])
    terms = []
    for k, (model, temperature) in enumerate(zip(models, temperatures)):
        if shared:
            logits = _from_features(model, shared, features, f"reader_{k + 1}")
            reader_inputs = [features, *inputs[1:]]
        else:
            # The logits under the reader's softmax, as a model of their own.
            logits = keras.Model(model.inputs, model.get_layer("probabilities").input, name=f"reader_{k + 1}")
            reader_inputs = inputs if len(inputs) > 1 else inputs[0]
        # log(p_i) / n = (logits_i / T_i) / n up to a constant per row: a fixed diagonal map (a
        # frozen Dense, not a Lambda, so that the model loads in safe mode).
        weight = keras.layers.Dense(NUM_CLASSES, use_bias=False, trainable=False, name=f"weigh_{k + 1}")
        terms.append(weight(logits(reader_inputs)))
        weight.set_weights([np.eye(NUM_CLASSES, dtype=np.float32) / (temperature * len(models))])
    total = keras.layers.Add(name="sum_of_readers")(terms) if len(terms) > 1 else terms[0]
    outputs = keras.layers.Softmax(name="probabilities")(total)
    return keras.Model(inputs if len(inputs) > 1 else inputs[0], outputs, name="readers")


def _computed_once(product) -> int:
    """How many layers of the readers' patch branches `product` computes once for all of them."""
    names = [layer.name for layer in product.layers]
    return len(_chain(product.get_layer("shared_layers"))) if "shared_layers" in names else 0


def _validation(seed: int, frames: int):
    """Validation scenes and digits on paper (the held-out last 5000 training digits), as the
    context stage checks its model on."""
    from training.scenes import scene_samples
    from training.train import CONTEXT_PAPER_DIGITS, TrainConfig, _mnist_splits, on_paper

    _, _, x_val, y_val, x_test, y_test = _mnist_splits(TrainConfig(seed=0))
    rng = np.random.default_rng(seed)
    parts = [scene_samples(x_val, y_val, frames, seed=seed), on_paper(x_val, y_val, CONTEXT_PAPER_DIGITS // 10, rng)]
    return (*(np.concatenate([p[k] for p in parts]) for k in range(3)), x_test, y_test)


def combine(paths: list[Path], out: Path, frames: int = VALIDATION_FRAMES) -> dict:
    """Build the product of the readers at `paths`, check it on validation scenes and the MNIST
    test set, and save it (with model.json and its LiteRT export) at `out`."""
    from training.train import _commit, per_class_accuracy

    if len(paths) < 2:
        raise ValueError("give at least two trained models to combine")
    if out.suffix != ".keras":
        raise ValueError(f"--out {out} must end in .keras")
    started = time.perf_counter()
    metadata_in = [read_metadata(path) for path in paths]
    models = [load_model(path) for path in paths]
    temperatures = [float(meta.get("temperature", 1.0)) or 1.0 for meta in metadata_in]
    model = product_of(models, temperatures)
    v_patch, v_context, v_y, x_test, y_test = _validation(VALIDATION_SEED, frames)
    uses_context = len(model.inputs) > 1
    val_probabilities = predict_probabilities(model, v_patch, v_context if uses_context else None)
    test_predicted = predict_probabilities(model, x_test).argmax(axis=1)
    metadata = {
        "arch": "readers",
        "parameters": int(model.count_params()),
        "test_accuracy": float(np.mean(test_predicted == y_test)),
        "test_errors": int(np.sum(test_predicted != y_test)),
        "test_contexts": "each MNIST test digit drawn on plain paper (training.scenes.paper_context, seed 0)",
        "per_class_accuracy": per_class_accuracy(y_test, test_predicted, NUM_DIGITS),
        "training_seconds": round(time.perf_counter() - started, 1),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "num_classes": NUM_CLASSES,
        "contract": CONTRACT,
        "temperature": 1.0,
        "temperature_fitted_on": "none: each reader's own temperature is applied inside the model",
        "validation_accuracy": float(np.mean(val_probabilities.argmax(axis=1) == v_y)),
        "validated_on": f"validation scenes ({frames} frames) and digits on paper (last 5000 training digits)",
        "combined": "normalised geometric mean of the readers' calibrated probabilities",
        "shared_layers": _computed_once(model),
        "commit": _commit(),
        "readers": [{"file": path.name, **{key: meta.get(key) for key in (
            "arch", "test_accuracy", "temperature", "training_seconds", "date", "seed", "scene_frames",
            "narrowed_share", "tailed_share", "tailed_digits", "hard_negatives", "segment_config", "commit",
            "fine_tuned_from") if key in meta or key not in ("tailed_share", "tailed_digits", "hard_negatives")}}
            for path, meta in zip(paths, metadata_in)],
    }
    # The proposals the readers' context branches learnt from, where they all agree.
    configs = [meta.get("segment_config") for meta in metadata_in]
    if configs[0] is not None and all(config == configs[0] for config in configs):
        metadata["segment_config"] = configs[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    metadata["litert"] = export_litert(model, out, x_test, y_test, test_predicted)
    metadata_path(out).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    return metadata


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.readers", description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path, help="two or more trained .keras models with the same inputs")
    parser.add_argument("--out", type=Path, required=True, help="the combined model (.keras); NAME.json beside it")
    parser.add_argument("--frames", type=int, default=VALIDATION_FRAMES,
                        help=f"validation scenes to check it on (default {VALIDATION_FRAMES})")
    args = parser.parse_args(argv)
    from live.checks import check_model_path

    try:
        if args.frames < 1:
            raise ValueError(f"--frames {args.frames}: give at least 1")
        for path in args.models:
            check_model_path(path)
        metadata = combine(list(args.models), args.out, args.frames)
    except (ModelError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"saved {args.out} ({len(args.models)} readers, {metadata['parameters']:,} parameters): test accuracy "
          f"{metadata['test_accuracy']:.2%}, validation accuracy {metadata['validation_accuracy']:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
