"""Camera-domain training patches: MNIST training digits photographed by the scene generator and
cut out by the live segmenter, so the model learns from exactly the patches it will be shown.

`augment.py` imitates the camera on a single digit; here whole frames are rendered by
`live.synth.render_scene` (paper, ink, perspective, uneven light, blur, noise, JPEG, rulings,
letters and shapes beside the digits) and every candidate `live.segment.segment` finds becomes
a patch through `contract.ink_to_patch`, as in the live loop. A candidate that matches a true
digit's box takes its label; one that touches no digit at all (a letter, a shape, wood grain,
the paper's edge) is "not a digit"; a partial overlap (a fragment, two digits in one box) is
left out, since neither label would be true.

Only the digits passed in are drawn: give the training split, never the test set, which the
benchmark renders with its own seeds.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from live.contract import IMAGE_SIZE, REJECT_LABEL, ink_to_patch

# A candidate is that digit when its box and the digit's true box overlap this much (IoU).
MATCH_IOU = 0.6
# Share of frames holding no digit, only letters and shapes: the reject class's scene examples.
DIGIT_FREE_SHARE = 0.2
# Frames are rendered in chunks of this many, one seed per chunk, spread over the workers.
CHUNK_FRAMES = 250


_DIGITS: tuple[np.ndarray, np.ndarray] | None = None


def _share(digits: np.ndarray, labels: np.ndarray) -> None:
    """Give a worker the digits once, instead of with every chunk."""
    global _DIGITS
    _DIGITS = (digits, labels)


def _chunk(job: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    frames, seed = job
    digits, labels = _DIGITS
    import cv2

    from live.segment import segment
    from live.synth import render_scene
    from live.tracking import iou_matrix

    cv2.setNumThreads(1)
    rng = np.random.default_rng(seed)
    patches, classes = [], []
    for _ in range(frames):
        if rng.random() < DIGIT_FREE_SHARE:
            frame, truth = render_scene(rng, digits, labels, n_digits=0, n_distractors=int(rng.integers(3, 12)))
        else:
            frame, truth = render_scene(rng, digits, labels, n_distractors=int(rng.integers(0, 4)))
        candidates = segment(frame).candidates
        if not candidates:
            continue
        iou = iou_matrix(truth.boxes_xywh, np.array([c.box_xywh for c in candidates]))
        for j, cand in enumerate(candidates):
            best = iou[:, j].max(initial=0.0)
            if best >= MATCH_IOU:
                classes.append(int(truth.labels[iou[:, j].argmax()]))
            elif best == 0.0:
                classes.append(REJECT_LABEL)
            else:
                continue
            patches.append(ink_to_patch(cand.ink))
    return (np.array(patches, np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE),
            np.array(classes, np.int64))


def scene_patches(digits_u8: np.ndarray, labels: np.ndarray, frames: int, seed: int = 0,
                  workers: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Patches (uint8 (N, 28, 28)) and labels (0-9, or REJECT_LABEL) from `frames` rendered scenes.

    Repeatable for a given seed and frame count, whatever the number of workers.
    """
    if frames <= 0:
        return np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8), np.zeros(0, np.int64)
    sizes = [CHUNK_FRAMES] * (frames // CHUNK_FRAMES) + ([frames % CHUNK_FRAMES] if frames % CHUNK_FRAMES else [])
    jobs = [(n, seed * 100_003 + k) for k, n in enumerate(sizes)]
    if workers > 1 and len(jobs) > 1:
        # Spawned, not forked: the parent may already run TensorFlow's threads.
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_share, initargs=(digits_u8, labels)) as pool:
            results = list(pool.map(_chunk, jobs))
    else:
        _share(digits_u8, labels)
        results = [_chunk(job) for job in jobs]
    return np.concatenate([r[0] for r in results]), np.concatenate([r[1] for r in results])
