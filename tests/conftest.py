"""Shared fixtures: the shipped model, loaded once, and helpers to run the CLIs as a user would."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODEL = ROOT / "models_saved" / "model.keras"


def run_cli(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m ...` from the project root, capturing text output."""
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def pytest_configure(config) -> None:
    # Keras 3.15 under MirroredStrategy converts its own tensors with a NumPy-1 style __array__;
    # the warning is about Keras internals, not this project.
    config.addinivalue_line("filterwarnings",
                            "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


@pytest.fixture(scope="session")
def recognizer():
    from live.classifier import Classifier
    from live.recognize import Recognizer

    return Recognizer(Classifier(SHIPPED_MODEL))


@pytest.fixture(scope="session")
def sample_digits():
    from live.synth import load_sample_digits

    return load_sample_digits()
