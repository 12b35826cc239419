"""The training commands as a user runs them: bad input exits 2 in one line, a smoke run says
what its score means."""
from __future__ import annotations

import pytest

from conftest import run_cli


@pytest.mark.parametrize("command, args, words", [
    ("training.train", ["--data", "{tmp}/notes.npz"], ["notes.npz", "not an .npz"]),
    ("training.train", ["--data", "{tmp}/absent.npz"], ["absent.npz", "does not exist"]),
    ("training.train", ["--out", "{tmp}/model.h5"], ["must end in .keras"]),
    ("training.evaluate", ["--data", "{tmp}/notes.npz"], ["notes.npz", "not an .npz"]),
    ("training.evaluate", ["--model", "{tmp}/absent.keras"], ["absent.keras", "does not exist",
                                                             "models_saved/model.keras"]),
    ("training.evaluate", ["--model", "{tmp}/notes.npz"], ["notes.npz", "not a Keras"]),
    ("training.export", ["{tmp}/absent.keras"], ["absent.keras", "does not exist"]),
    ("training.export", ["{tmp}/notes.npz"], ["notes.npz", "not a Keras"]),
], ids=["train-data-not-npz", "train-data-missing", "train-out-suffix", "evaluate-data-not-npz",
        "evaluate-model-missing", "evaluate-model-not-keras", "export-model-missing", "export-model-not-keras"])
def test_bad_input_exits_2_in_one_line(tmp_path, command, args, words):
    (tmp_path / "notes.npz").write_text("not numpy")
    quick = [] if command == "training.export" else ["--limit", "600"]
    result = run_cli(command, *quick, *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in result.stderr
    assert "pickle" not in lines[0] and "retrain" not in lines[0]
    assert all(word in lines[0] for word in words), lines[0]


def test_a_smoke_run_says_a_low_score_is_expected(tmp_path):
    result = run_cli("training.train", "--arch", "mlp", "--limit", "600", "--epochs", "1", "--quiet",
                     "--out", str(tmp_path / "smoke.keras"), timeout=300)
    assert result.returncode == 0, result.stderr
    assert "a low test accuracy is expected" in result.stdout.splitlines()[-1]
