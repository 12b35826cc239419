"""The benchmark's parts measure what they say: run small, on the shipped model."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from live import benchmark


def test_widths_part_reads_digits_as_written_and_counts_every_miss(recognizer):
    result = benchmark.bench_widths(recognizer, 12)
    assert result["cases"] == 12
    read_right = result["read_right_by_width"]
    assert set(read_right) == {str(w) for w in benchmark.WIDTHS}
    # Digits alone on paper, as written: the shipped model reads nearly all of them.
    assert read_right["1.0"] >= 0.75
    assert all(0.0 <= v <= 1.0 for v in read_right.values())

    def reads_nothing(frame):
        dets = recognizer(frame).detections
        return SimpleNamespace(detections=dets.select(np.zeros(len(dets.labels), bool)))

    blind = benchmark.bench_widths(reads_nothing, 12)["read_right_by_width"]
    assert set(blind.values()) == {0.0}
