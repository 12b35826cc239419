"""Generated "not a digit" patches (class contract.REJECT_LABEL) for the model's reject class.

Each example is drawn as white ink on black at a random size, the way a camera blob arrives,
softened and thresholded into a binary mask as the camera and segmentation would, and made
into a patch by contract.ink_to_patch exactly as the live pipeline makes its patches: letters,
words and symbols in every Hershey font, shapes and scribbles, blobs and hands, lines, paper
texture and edges, and two or three MNIST digits side by side (which the live side then tries
to split). Glyphs and shapes a person could read as a digit are left out on purpose.
"""
from __future__ import annotations

import cv2
import numpy as np

from live.contract import ink_to_patch

FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_PLAIN,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_COMPLEX_SMALL,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
)
# Without O o Q D I l i j J S s Z z B b g q G T and / | ( ) [ ] { } ! ? $ &: each of those is,
# in some hand or font, a 0, 1, 2, 5, 6, 7, 8 or 9. Letters like a, d, e, P, A are kept: the
# live side read them as 2, 6, 3, 7, 4, which no person would.
LETTERS = "ACEFHKLMNPRUVWXYacdefhkmnprtuvwxy"
SYMBOLS = "#%@+=*<>~^"
# Pen width as a share of the text's height: a fine pen to a bold marker.
MIN_TEXT_STROKE_FRAC, MAX_TEXT_STROKE_FRAC = 0.04, 0.25
# Tilted paper and a tilted camera: the same range as the digits' augmentation.
MAX_TEXT_ROTATION_DEG = 15.0
# Ink widths as a share of the drawing's size; MNIST strokes are ~2.5 of 20 px, markers more.
MIN_STROKE_FRAC, MAX_STROKE_FRAC = 0.04, 0.22
# Blob heights the live side keeps (15 px) up to a close-up (200 px).
MIN_SIZE_PX, MAX_SIZE_PX = 16, 200
# Camera softening before the threshold, as a share of the size: sharp to visibly blurred.
MAX_BLUR_FRAC = 0.04
# Threshold range (of 255) on the softened ink: low keeps blur's halo, high thins the strokes.
THRESHOLD_RANGE = (60, 200)


def _canvas(size: int) -> np.ndarray:
    return np.zeros((size, size), np.uint8)


def _stroke(rng: np.random.Generator, size: int) -> int:
    return max(1, int(round(size * rng.uniform(MIN_STROKE_FRAC, MAX_STROKE_FRAC))))


def _points(rng: np.random.Generator, size: int, n: int, margin: float = 0.15) -> np.ndarray:
    return rng.uniform(margin * size, (1 - margin) * size, size=(n, 2)).astype(np.int32)


def _cross(a: np.ndarray, b: np.ndarray) -> float:
    return float(a[0]) * float(b[1]) - float(a[1]) * float(b[0])


def _text(rng: np.random.Generator, size: int) -> np.ndarray:
    """A letter, a 2-4 letter word or a symbol in any Hershey font, upright or italic, tilted."""
    kind = rng.random()
    if kind < 0.5:
        text = str(rng.choice(list(LETTERS)))
    elif kind < 0.85:
        text = "".join(rng.choice(list(LETTERS), size=int(rng.integers(2, 5))))
    else:
        text = str(rng.choice(list(SYMBOLS)))
    font = int(rng.choice(FONTS)) | (cv2.FONT_ITALIC if rng.random() < 0.3 else 0)
    (w, h), base = cv2.getTextSize(text, font, 1.0, 1)
    scale = size / max(w, h + base)
    thickness = max(1, int(round(h * scale * rng.uniform(MIN_TEXT_STROKE_FRAC, MAX_TEXT_STROKE_FRAC))))
    canvas = np.zeros((size * 2, size * 2), np.uint8)
    cv2.putText(canvas, text, (size // 2, size + int(h * scale) // 2), font, scale, 255, thickness, cv2.LINE_AA)
    angle = rng.uniform(-1, 1) * MAX_TEXT_ROTATION_DEG
    matrix = cv2.getRotationMatrix2D((size, size), angle, 1.0)
    return cv2.warpAffine(canvas, matrix, (size * 2, size * 2))


def _scribble(rng: np.random.Generator, size: int) -> np.ndarray:
    canvas = _canvas(size)
    if rng.random() < 0.5:
        # Zigzag: many sharp turns, like crossing something out; with fewer it reads as 2, 3 or 7.
        turns = int(rng.integers(7, 12))
        xs = np.linspace(0.1, 0.9, turns) * size
        ys = np.where(np.arange(turns) % 2 == 0, 0.2, 0.8) * size + rng.normal(0, 0.05 * size, turns)
        points = np.stack([xs, ys], axis=1).astype(np.int32)
        if rng.random() < 0.5:
            points = points[:, ::-1].copy()
    else:
        # Smooth random scrawl through many points.
        control = _points(rng, size, int(rng.integers(7, 12))).astype(np.float64)
        t = np.linspace(0, 1, len(control))
        fine = np.linspace(0, 1, 120)
        points = np.stack([np.interp(fine, t, control[:, 0]), np.interp(fine, t, control[:, 1])], axis=1)
        points = cv2.GaussianBlur(points.astype(np.float32)[:, None, :], (1, 9), 0)[:, 0, :].astype(np.int32)
    cv2.polylines(canvas, [points], False, 255, _stroke(rng, size), cv2.LINE_AA)
    return canvas


def _shape(rng: np.random.Generator, size: int) -> np.ndarray:
    canvas = _canvas(size)
    kind = rng.choice(["rectangle", "triangle", "star", "cross", "arrow", "check", "x"])
    thickness = -1 if rng.random() < 0.25 and kind in ("rectangle", "triangle", "star") else _stroke(rng, size)
    m = int(0.15 * size)
    if kind == "rectangle":
        # Squares and landscape boxes; a tall thin box would read as a 0 or a 1.
        w = rng.uniform(0.5, 0.7) * size
        h = w * rng.uniform(0.5, 1.1)
        pts = np.array([[m, m], [m + w, m], [m + w, m + h], [m, m + h]], np.int32)
        cv2.fillPoly(canvas, [pts], 255) if thickness < 0 else cv2.polylines(canvas, [pts], True, 255, thickness)
    elif kind == "triangle":
        pts = _points(rng, size, 3)
        # The cross product is twice the area; a sliver of a triangle would read as a 1.
        while abs(_cross(pts[1] - pts[0], pts[2] - pts[0])) < 0.15 * size * size:
            pts = _points(rng, size, 3)
        cv2.fillPoly(canvas, [pts], 255) if thickness < 0 else cv2.polylines(canvas, [pts], True, 255, thickness)
    elif kind == "star":
        spikes = int(rng.integers(5, 8))
        angles = np.linspace(0, 2 * np.pi, 2 * spikes, endpoint=False) + rng.uniform(0, np.pi)
        radii = np.where(np.arange(2 * spikes) % 2 == 0, 0.45, 0.45 * rng.uniform(0.35, 0.55)) * size
        pts = np.stack([size / 2 + radii * np.cos(angles), size / 2 + radii * np.sin(angles)], 1).astype(np.int32)
        cv2.fillPoly(canvas, [pts], 255) if thickness < 0 else cv2.polylines(canvas, [pts], True, 255, thickness)
    elif kind in ("cross", "x"):
        c, r = size // 2, int(0.4 * size)
        angle = rng.uniform(-0.2, 0.2) + (np.pi / 4 if kind == "x" else 0)
        for a in (angle, angle + np.pi / 2):
            d = np.array([np.cos(a), np.sin(a)]) * r
            cv2.line(canvas, tuple((c - d).astype(int)), tuple((c + d).astype(int)), 255, thickness)
    elif kind == "arrow":
        start, end = (m, size // 2), (size - m, size // 2)
        cv2.arrowedLine(canvas, start, end, 255, thickness, cv2.LINE_AA, tipLength=rng.uniform(0.25, 0.45))
        angle = rng.uniform(-np.pi / 4, np.pi / 4) + (np.pi if rng.random() < 0.5 else 0)
        matrix = cv2.getRotationMatrix2D((size / 2, size / 2), np.rad2deg(angle), 1.0)
        canvas = cv2.warpAffine(canvas, matrix, (size, size))
    else:  # check mark
        pts = np.array([[0.15, 0.55], [0.4, 0.85], [0.9, 0.15]]) * size
        pts += rng.normal(0, 0.04 * size, pts.shape)
        cv2.polylines(canvas, [pts.astype(np.int32)], False, 255, thickness, cv2.LINE_AA)
    return canvas


def _blob(rng: np.random.Generator, size: int) -> np.ndarray:
    canvas = _canvas(size)
    if rng.random() < 0.5:
        # Irregular filled blob (a smudge, a sticker, a thumb): noise blurred and thresholded.
        small = rng.random((6, 6)).astype(np.float32)
        field = cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)
        yy, xx = np.mgrid[0:size, 0:size] / size - 0.5
        field -= 2.5 * (xx**2 + yy**2)
        canvas[field > np.quantile(field, rng.uniform(0.5, 0.8))] = 255
    else:
        # A hand: filled palm and four or five fingers.
        palm_c = (size // 2, int(0.68 * size))
        cv2.ellipse(canvas, palm_c, (int(0.22 * size), int(0.2 * size)), 0, 0, 360, 255, -1)
        fingers = int(rng.integers(4, 6))
        for i, a in enumerate(np.linspace(-0.6, 0.6, fingers) + rng.normal(0, 0.08, fingers)):
            length = size * rng.uniform(0.3, 0.45)
            tip = (palm_c[0] + length * np.sin(a) * 1.4, palm_c[1] - length * np.cos(a) * 1.3)
            cv2.line(canvas, palm_c, (int(tip[0]), int(tip[1])), 255, max(2, int(0.08 * size)))
    return canvas


def _line(rng: np.random.Generator, size: int) -> np.ndarray:
    canvas = _canvas(size)
    # Within 35 degrees of horizontal: a 1 slanted like "/" leans about 45 degrees, and steeper
    # lines are how people write a 1 (slanted 1s were rejected when lines reached 45).
    angle = np.deg2rad(rng.uniform(-35, 35))
    c, r = size / 2, 0.45 * size
    d = np.array([np.cos(angle), np.sin(angle)]) * r
    thickness = max(1, int(size * rng.uniform(0.03, 0.2)))
    cv2.line(canvas, tuple((c - d).astype(int)), tuple((c + d).astype(int)), 255, thickness, cv2.LINE_AA)
    return canvas


def _texture(rng: np.random.Generator, size: int) -> np.ndarray:
    if rng.random() < 0.5:
        # Paper speckle: many small dark fibres and dots picked up by the threshold.
        field = cv2.GaussianBlur(rng.random((size, size)).astype(np.float32), (0, 0), rng.uniform(0.8, 2.0))
        return np.where(field > np.quantile(field, rng.uniform(0.85, 0.97)), 255, 0).astype(np.uint8)
    # Wood grain: wavy, roughly parallel stripes.
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    period = rng.uniform(0.12, 0.3)
    wobble = 0.05 * np.sin(2 * np.pi * (xx * rng.uniform(0.5, 2) + rng.random()))
    stripes = np.sin(2 * np.pi * (yy + wobble) / period) + rng.normal(0, 0.3, (size, size))
    canvas = np.where(stripes > rng.uniform(0.3, 0.8), 255, 0).astype(np.uint8)
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), rng.uniform(-60, 60), 1.0)
    return cv2.warpAffine(canvas, matrix, (size, size))


def _paper_edge(rng: np.random.Generator, size: int) -> np.ndarray:
    canvas = _canvas(size)
    if rng.random() < 0.5:
        # Half-plane: the dark desk beyond the edge of the paper, seen as ink.
        yy, xx = np.mgrid[0:size, 0:size] / size - 0.5
        angle = rng.uniform(0, 2 * np.pi)
        canvas[(xx * np.cos(angle) + yy * np.sin(angle)) > rng.uniform(-0.2, 0.2)] = 255
    else:
        # A corner: thick L band along two sides, in three of its four turns. Not the one with
        # the band along the top and the right side: that is a marker 7 with a straight bar, and
        # teaching it as "not a digit" made the model reject such 7s.
        band = int(size * rng.uniform(0.15, 0.35))
        canvas[:, :band] = 255
        canvas[-band:, :] = 255
        canvas = np.rot90(canvas, int(rng.choice([0, 1, 3]))).copy()
    return canvas


def _digit_group(rng: np.random.Generator, digits_u8: np.ndarray) -> np.ndarray:
    """Two or three MNIST digits in a row, touching, overlapping slightly or with small gaps."""
    count = int(rng.choice([2, 2, 3]))
    crops = []
    for index in rng.integers(0, len(digits_u8), size=count):
        digit = digits_u8[index]
        rows, cols = np.flatnonzero(digit.any(1)), np.flatnonzero(digit.any(0))
        crops.append(digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    height = max(c.shape[0] for c in crops) + 6
    gaps = rng.integers(-2, 5, size=count - 1)
    # A narrow digit (a 1) pushed into its neighbour hides inside it and leaves one digit.
    narrow = np.array([c.shape[1] < 0.5 * c.shape[0] for c in crops])
    gaps = np.where(narrow[:-1] | narrow[1:], np.maximum(gaps, 1), gaps)
    width = sum(c.shape[1] for c in crops) + int(np.clip(gaps, 0, None).sum()) + 2
    canvas = np.zeros((height, width), np.uint8)
    x = 0
    for i, crop in enumerate(crops):
        y = int(rng.integers(0, height - crop.shape[0] + 1))
        h, w = crop.shape
        region = canvas[y : y + h, x : x + w]
        np.maximum(region, crop, out=region)
        x += w + (int(gaps[i]) if i < len(gaps) else 0)
    return canvas[:, : max(1, x)]


def camera_mask(rng: np.random.Generator, ink: np.ndarray) -> np.ndarray:
    """Drawn ink -> the binary mask a camera and the live threshold would make of it."""
    sigma = rng.uniform(0, MAX_BLUR_FRAC) * max(ink.shape)
    if sigma > 0.5:
        ink = cv2.GaussianBlur(ink, (0, 0), sigma)
    level = rng.uniform(*THRESHOLD_RANGE) * max(int(ink.max()), 1) / 255.0
    return np.where(ink > level, 255, 0).astype(np.uint8)


DRAWERS = (_text, _text, _text, _text, _scribble, _shape, _shape, _shape, _blob, _line, _texture, _paper_edge)


def make_negatives(
    count: int,
    digits_u8: np.ndarray | None = None,
    rng: np.random.Generator | int | None = None,
    digit_group_share: float = 0.25,
) -> np.ndarray:
    """``count`` uint8 (N, 28, 28) not-a-digit patches, repeatable for a given seed.

    ``digits_u8`` are MNIST training digits for the side-by-side groups (give the training
    split only, so no test digit leaks into training); without them no groups are made.
    """
    rng = np.random.default_rng(rng)
    patches = np.zeros((count, 28, 28), np.uint8)
    for i in range(count):
        for _attempt in range(5):
            if digits_u8 is not None and rng.random() < digit_group_share:
                ink = _digit_group(rng, digits_u8)
            else:
                drawer = DRAWERS[int(rng.integers(len(DRAWERS)))]
                ink = drawer(rng, int(rng.integers(MIN_SIZE_PX, MAX_SIZE_PX + 1)))
            patch = ink_to_patch(camera_mask(rng, ink))
            if patch.any():
                break
        patches[i] = patch
    return patches
