"""Camera-domain training samples: what the live segmenter proposes in rendered camera scenes and
in real photographs without digits, each as (28x28 patch, the frame around it, label).

Scenes are rendered by `live.synth.render_scene` from MNIST training digits (paper, ink,
perspective, uneven light, blur, noise, JPEG, rulings, letters and shapes beside the digits),
sometimes written so tightly that neighbours touch, sometimes in front of a real photograph
instead of a generated surface, sometimes darkened toward the corners like a laptop webcam.
Every candidate of every proposal `live.segment.segment` makes (a piece alone, pieces joined, a
piece split) becomes a sample, exactly as the live side reads it: a candidate matching a true
digit's box takes its label; one touching no digit (a letter, a shape, wood grain, the paper's
edge, a fragment of the backdrop), or holding two digits (neighbours joined, a touching pair
left whole) is "not a digit", which means "not one digit"; a partial overlap (a fragment of a
digit, a digit with part of its neighbour) is left out, since neither label would be true. Real
photographs (`live.backdrops.TRAINING_PHOTOS`) made into webcam frames give "not a digit" samples
of faces, hair, walls, grass and gravel, which no renderer draws.

Only the digits passed in are drawn: give the training split, never the test set, which the
benchmark renders with its own seeds.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from live.contract import CONTEXT_SCALE, CONTEXT_SIZE, IMAGE_SIZE, REJECT_LABEL
from training.augment import DEFAULT_CONFIG, AugmentConfig

# A candidate is that digit when its box and the digit's true box overlap this much (IoU).
MATCH_IOU = 0.6
# ... and touches no digit when at most this share of its box lies in any digit's box.
NO_DIGIT_SHARE = 0.05
# ... and is two digits, not one, when it holds at least this share of each of two digits' boxes:
# neighbours joined into one candidate, or touching digits cut so that a piece keeps two.
TWO_DIGITS_SHARE = 0.5
# Shares of the rendered frames: a sheet of 1-5 large digits held close to the camera (digits
# 0.2-0.5 of the frame's height, as laptop webcams see them), digit-free (letters and shapes
# only), written tightly enough that neighbours touch, in front of a real photograph, darkened
# toward the corners.
CLOSE_UP_SHARE = 0.3
DIGIT_FREE_SHARE = 0.2
TOUCHING_SHARE = 0.25
PHOTO_BACKDROP_SHARE = 0.4
VIGNETTE_SHARE = 0.5
# Share of the sheets (close-ups aside) written to within a sixth to four fifths of a digit's
# height of the paper's edge: people write to the edge, and a held sheet's edge lies beside dark
# clothes. Digit-free sheets as often as digit sheets, so that the edge tells the model nothing.
NEAR_EDGE_SHARE = 0.3
# Frames made of real photographs alone, per rendered scene.
PHOTO_FRAMES_PER_SCENE = 0.35
# Non-digits kept per frame, drawn at random: about four times a frame's digits.
MAX_REJECTS = 24
# Frame sizes of laptop webcams and of the demo.
FRAME_SIZES = ((640, 480), (1280, 720))
# Frames are rendered in chunks of this many, one seed per chunk, spread over the workers.
CHUNK_FRAMES = 200
# ... and each chunk draws its digits from this many training digits, picked at random and
# narrowed and tailed once: several times what its frames hold, far fewer than the split.
CHUNK_DIGITS = 5000

_DIGITS: tuple[np.ndarray, np.ndarray] | None = None
_PHOTOS: list[np.ndarray] | None = None


def _share(digits: np.ndarray, labels: np.ndarray) -> None:
    """Give a worker the digits and the photographs once, instead of with every chunk."""
    global _DIGITS, _PHOTOS
    from live.backdrops import TRAINING_PHOTOS, load_photos

    _DIGITS = (digits, labels)
    _PHOTOS = load_photos(TRAINING_PHOTOS)


Samples = tuple[np.ndarray, np.ndarray, np.ndarray]


def _empty() -> Samples:
    return (np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8), np.zeros((0, CONTEXT_SIZE, CONTEXT_SIZE), np.uint8),
            np.zeros(0, np.int64))


def label_candidates(boxes: np.ndarray, truth_boxes: np.ndarray, truth_labels: np.ndarray) -> np.ndarray:
    """Each candidate's label: its digit (IoU >= MATCH_IOU); REJECT_LABEL where it touches no digit,
    or holds two digits or more (each by TWO_DIGITS_SHARE of its box): "not a digit" means "not
    one digit", and a union of neighbours that the model reads as one digit replaces two; or -1
    (a fragment of a digit, or a digit with a foreign stroke: left out, since neither label is
    true)."""
    from live.boxes import intersection_matrix, iou_matrix

    labels = np.full(len(boxes), -1, np.int64)
    if len(boxes) == 0:
        return labels
    if len(truth_boxes) == 0:
        labels[:] = REJECT_LABEL
        return labels
    iou = iou_matrix(truth_boxes, boxes)
    best = iou.argmax(axis=0)
    matched = iou[best, np.arange(len(boxes))] >= MATCH_IOU
    labels[matched] = truth_labels[best[matched]]
    b = np.asarray(boxes, np.float64)
    shared = intersection_matrix(b, truth_boxes)
    # Share of each candidate's box inside any digit's box, and of each digit's box inside it.
    inside = shared.max(axis=1) / np.maximum(b[:, 2] * b[:, 3], 1)
    held = shared / np.maximum(truth_boxes[:, 2] * truth_boxes[:, 3], 1)
    several = (held >= TWO_DIGITS_SHARE).sum(axis=1) >= 2
    labels[~matched & ((inside <= NO_DIGIT_SHARE) | several)] = REJECT_LABEL
    return labels


def frame_samples(frame_bgr: np.ndarray, truth_boxes: np.ndarray, truth_labels: np.ndarray,
                  rng: np.random.Generator, max_rejects: int = 0) -> Samples:
    """(patches, contexts, labels) of the labelled candidates the live segmenter proposes: every
    digit, and at most `max_rejects` non-digits drawn at random (0: all of them). A textured
    frame proposes hundreds of pieces, and they are much alike."""
    from live.contract import ink_to_patch
    from live.segment import segment

    # Both ways the live side reads a frame that seems tilted: as it is, and turned upright.
    candidates = [c for way in segment(frame_bgr).ways for c in way.candidates]
    labels = label_candidates(np.array([c.box_xywh for c in candidates]).reshape(-1, 4), truth_boxes, truth_labels)
    rejects = np.flatnonzero(labels == REJECT_LABEL)
    if max_rejects and len(rejects) > max_rejects:
        labels[rng.choice(rejects, len(rejects) - max_rejects, replace=False)] = -1
    kept = [c for c, label in zip(candidates, labels) if label >= 0]
    if not kept:
        return _empty()
    return (np.stack([ink_to_patch(c.ink) for c in kept]), np.stack([c.context for c in kept]), labels[labels >= 0])


def _margin(rng: np.random.Generator) -> float | None:
    """The paper around a sheet's writing, in digit heights: close to the edge for a share
    NEAR_EDGE_SHARE of sheets, else render_scene's default (None)."""
    return rng.uniform(0.15, 0.8) if rng.random() < NEAR_EDGE_SHARE else None


def _narrowed(digits: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """The digits, `share` of them narrowed as the patch branch's augmentation narrows them
    (`training.augment.AugmentConfig`), so that the context branch sees narrow writers' digits
    beside the letters and strokes it must reject."""
    import cv2

    from training.augment import DEFAULT_CONFIG

    out = digits.copy()
    picked = np.flatnonzero(rng.random(len(digits)) < share)
    factors = DEFAULT_CONFIG.min_width_factor ** rng.uniform(0, 1, len(picked))
    centre = IMAGE_SIZE / 2 - 0.5
    for k, factor in zip(picked, factors):
        squeeze = np.array([[factor, 0, centre * (1 - factor)], [0, 1, 0]], np.float64)
        out[k] = cv2.warpAffine(digits[k], squeeze, (IMAGE_SIZE, IMAGE_SIZE), flags=cv2.INTER_LINEAR)
    return out


def _chunk(job: tuple[int, int, AugmentConfig]) -> Samples:
    frames, seed, drawn = job
    import cv2

    from live.backdrops import camera_frame, vignette
    from live.synth import render_scene
    from training.augment import long_tails

    cv2.setNumThreads(1)
    digits, labels = _DIGITS
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(digits), size=min(CHUNK_DIGITS, len(digits)), replace=False)
    digits, labels = digits[picked], labels[picked]
    digits = long_tails(digits, labels, rng, drawn)  # itself, and no draw, without tails
    if drawn.narrow_share > 0:
        digits = _narrowed(digits, drawn.narrow_share, rng)
    parts = []
    none = (np.zeros((0, 4), np.int64), np.zeros(0, np.int64))
    for _ in range(frames):
        width, height = FRAME_SIZES[int(rng.integers(len(FRAME_SIZES)))]
        photo = _PHOTOS[int(rng.integers(len(_PHOTOS)))]
        if rng.random() < PHOTO_FRAMES_PER_SCENE / (1 + PHOTO_FRAMES_PER_SCENE):
            parts.append(frame_samples(camera_frame(rng, photo, width, height), *none, rng, MAX_REJECTS))
            continue
        backdrop = camera_frame(rng, photo, width, height) if rng.random() < PHOTO_BACKDROP_SHARE else None
        pitch = rng.uniform(0.55, 0.85) if rng.random() < TOUCHING_SHARE else 1.25
        if rng.random() < CLOSE_UP_SHARE:
            frame, truth = render_scene(rng, digits, labels, width, height, n_digits=int(rng.integers(1, 6)),
                                        n_distractors=int(rng.integers(0, 2)), backdrop=backdrop, pitch=pitch,
                                        digit_height=int(height * rng.uniform(0.3, 0.6)), margin=rng.uniform(0.1, 0.5))
        elif rng.random() < DIGIT_FREE_SHARE:
            margin = _margin(rng)
            frame, truth = render_scene(rng, digits, labels, width, height, n_digits=0,
                                        n_distractors=int(rng.integers(3, 12)), backdrop=backdrop, margin=margin)
        else:
            margin = _margin(rng)
            frame, truth = render_scene(rng, digits, labels, width, height, n_distractors=int(rng.integers(0, 4)),
                                        backdrop=backdrop, pitch=pitch, margin=margin)
        if rng.random() < VIGNETTE_SHARE:
            frame = np.clip(frame * vignette(rng, width, height)[..., None], 0, 255).astype(np.uint8)
        parts.append(frame_samples(frame, truth.boxes_xywh, truth.labels, rng, MAX_REJECTS))
    return tuple(np.concatenate([p[k] for p in parts]) if parts else _empty()[k] for k in range(3))


def scene_samples(digits_u8: np.ndarray, labels: np.ndarray, frames: int, seed: int = 0,
                  workers: int = 2, drawn: AugmentConfig = DEFAULT_CONFIG) -> Samples:
    """Patches (uint8 (N, 28, 28)), contexts (uint8 (N, 32, 32)) and labels (0-9, or REJECT_LABEL)
    from `frames` rendered scenes and photograph frames.

    The digits are narrowed and drawn long-stemmed as the patch branch's augmentation `drawn`
    narrows them and draws them (`narrow_share`, `tail_share` of `tailed_digits`; its other
    settings are not used): the context branch sees the digits its patch branch learnt beside the
    letters it must reject (a long-stemmed 4 is close to a "y" on its own). Repeatable for a given
    seed and frame count, whatever the number of workers.
    """
    if frames <= 0:
        return _empty()
    sizes = [CHUNK_FRAMES] * (frames // CHUNK_FRAMES) + ([frames % CHUNK_FRAMES] if frames % CHUNK_FRAMES else [])
    jobs = [(n, seed * 100_003 + k, drawn) for k, n in enumerate(sizes)]
    if workers > 1 and len(jobs) > 1:
        # Spawned, not forked: the parent may already run TensorFlow's threads.
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_share, initargs=(digits_u8, labels)) as pool:
            results = list(pool.map(_chunk, jobs))
    else:
        _share(digits_u8, labels)
        results = [_chunk(job) for job in jobs]
    return tuple(np.concatenate([r[k] for r in results]) for k in range(3))


def paper_context(patches_u8: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Contexts for patches that come without a frame (MNIST digits, generated non-digits): each
    drawn dark on plain paper at the scale the live side crops, under a soft gradient with noise.
    uint8 (N, 28, 28) -> uint8 (N, CONTEXT_SIZE, CONTEXT_SIZE)."""
    import cv2

    from live.contract import DIGIT_BOX

    n = len(patches_u8)
    # The patch's 20 px digit box is one CONTEXT_SCALE-th of the context's side.
    side = max(4, int(round(IMAGE_SIZE * CONTEXT_SIZE / (CONTEXT_SCALE * DIGIT_BOX))))
    offset = (CONTEXT_SIZE - side) // 2
    ink = np.zeros((n, CONTEXT_SIZE, CONTEXT_SIZE), np.float32)
    for i, patch in enumerate(patches_u8):
        ink[i, offset:offset + side, offset:offset + side] = cv2.resize(patch, (side, side),
                                                                        interpolation=cv2.INTER_AREA) / 255.0
    paper = rng.uniform(120, 245, (n, 1, 1))
    pen = paper * rng.uniform(0.1, 0.6, (n, 1, 1))
    ramp = np.linspace(-1, 1, CONTEXT_SIZE, dtype=np.float32)
    angle = rng.uniform(0, 2 * np.pi, (n, 1, 1))
    gradient = 1 + rng.uniform(0, 0.15, (n, 1, 1)) * (np.cos(angle) * ramp[None, None, :] + np.sin(angle) * ramp[None, :, None])
    image = (paper - (paper - pen) * ink) * gradient + rng.normal(0, rng.uniform(1, 5, (n, 1, 1)), ink.shape)
    return np.clip(image, 0, 255).astype(np.uint8)
