"""Camera-domain augmentation: make clean MNIST digits look like digits cut out of webcam frames.

The live pipeline thresholds the frame into a binary ink mask and turns each blob into a patch
with contract.ink_to_patch (stroke width brought into MNIST's band, then fitted to 28x28). So
most augmented digits take that exact "live path": posed, given a pen from hairline to marker,
resampled to the height the digit had in the frame, thresholded at a random level and passed
through ink_to_patch, with nothing added afterwards, because a live patch is ink_to_patch's
output as it is. The rest are softer camera looks (binarized or grey, blur, noise, contrast).
Each image gets its own random magnitudes up to ``strength``; strength 0 returns the batch
unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from live.contract import DIGIT_BOX, IMAGE_SIZE, fit_to_mnist, ink_to_patch, stroke_width


# The digits with a stem that people may draw long (`long_tail`).
STEMMED_DIGITS = (4, 7, 9)


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges at strength 1; each image draws uniformly within them, scaled by its strength."""

    # Hand-held paper and a tilted camera rarely turn a digit further than this.
    max_rotation_deg: float = 15.0
    # fit_to_mnist normalises size live, but segmentation can crop a little or add a margin.
    max_scale_change: float = 0.2
    max_shear: float = 0.25
    # People write narrower than MNIST's writers: on the photos' tuning half the median 7 and 9
    # are 0.38 as wide as tall, 3s, 6s and 8s about 0.5, where MNIST's are 0.6-0.8 (its
    # narrowest 1 % at 0.4-0.5). A share of the digits (`python -m training.train --narrow`) has
    # its width scaled by a factor drawn log-uniformly between this and 1, whatever the
    # magnitude: a writer's hand is not a camera's flaw. Off by default: the first reader reads
    # MNIST as written; the second is trained with half of them narrowed (narrowing every one
    # cost 0.1 point of MNIST test accuracy).
    min_width_factor: float = 0.4
    narrow_share: float = 0.0
    # Many people draw the stem of a 4, 7 or 9 far below the line, a 9's loop a fifth of its
    # height; MNIST's writers rarely did, and a model trained on them reads such a 9 as a 1. A
    # share of those digits (`python -m training.train --tails`) has the part below a cut at 50
    # to 70 % of its height stretched by a factor drawn log-uniformly between 1.3 and this (at
    # 4, a 9's loop shrinks from about 45 % of its height to 18 %). Off by default, as narrowing is.
    max_tail_stretch: float = 4.0
    tail_share: float = 0.0
    # The digits drawn long-stemmed (`--tailed`). A long-stemmed 4 is close to a "y" (an "A" where
    # its top is closed): a reader that learns those 4s reads more letters as 4s, and only the
    # surroundings tell the two apart (the context stage draws its scenes' digits alike).
    tailed_digits: tuple[int, ...] = STEMMED_DIGITS
    # Leaves the digit inside the 28x28 frame (MNIST keeps a 4 px border).
    max_shift_px: float = 2.5
    # The work canvas is upsampled so that one morphology step is half an MNIST pixel: a thin
    # pen loses ~1 px of stroke, a marker gains up to ~2 px.
    upsample: int = 2
    max_erode_px: int = 1
    max_dilate_px: int = 2
    # Share of augmented digits made exactly as the live side makes patches (ink_to_patch on a
    # binary mask). It does not shrink with the magnitude: every live patch takes this path.
    live_prob: float = 0.55
    # Live path: the digit's height in the frame (px), drawn log-uniformly, since segmentation
    # keeps blobs from 15 px up and a digit held close to the camera can be 250 px tall.
    live_height_px: tuple[float, float] = (15.0, 250.0)
    # Live path pen, in morphology steps on the upsampled canvas (40 px digit box): -2 is a
    # hairline, +5 a broad marker (stroke ~0.35 of the height) that ink_to_patch must thin.
    live_pen_steps: tuple[int, int] = (-2, 5)
    # Probability (at strength 1) that a non-live digit is binarized, then area-resampled.
    binarize_prob: float = 0.6
    # Threshold relative to the brightest ink: low keeps the anti-aliased rim, high thins.
    threshold_range: tuple[int, int] = (40, 200)
    max_blur_sigma: float = 0.7
    max_noise_std: float = 10.0
    # Peak brightness after contrast loss; live patches are rarely dimmer than this.
    min_peak: float = 0.65
    max_log_gamma: float = 0.45


DEFAULT_CONFIG = AugmentConfig()


def _affine(rng: np.random.Generator, k: float, cfg: AugmentConfig) -> np.ndarray:
    """2x3 matrix mapping a 28x28 digit into the upsampled canvas with random pose."""
    angle = np.deg2rad(rng.uniform(-1, 1) * cfg.max_rotation_deg * k)
    scale = 1.0 + rng.uniform(-1, 1) * cfg.max_scale_change * k
    shear = rng.uniform(-1, 1) * cfg.max_shear * k
    width = cfg.min_width_factor ** rng.uniform(0, 1) if rng.random() < cfg.narrow_share else 1.0
    shift = rng.uniform(-1, 1, size=2) * cfg.max_shift_px * k
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    # Narrowed before it is sheared and turned: a slanted 7 is narrow along its own stem.
    linear = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([width, 1.0])
    centre = np.array([IMAGE_SIZE / 2 - 0.5, IMAGE_SIZE / 2 - 0.5])
    offset = centre + shift - linear @ centre
    up = cfg.upsample
    # Pixel centres: output pixel (u + 0.5) / up - 0.5 in 28-px coordinates.
    to_canvas = np.array([[up, 0, (up - 1) / 2], [0, up, (up - 1) / 2]], dtype=np.float64)
    full = np.vstack([np.hstack([linear, offset[:, None]]), [0, 0, 1]])
    return to_canvas @ full


def _morph(canvas: np.ndarray, steps: int) -> np.ndarray:
    if steps == 0:
        return canvas
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(steps) + 1, 2 * abs(steps) + 1))
    return cv2.dilate(canvas, kernel) if steps > 0 else cv2.erode(canvas, kernel)


def _threshold(canvas: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """Binary 0/255 mask at a random level relative to the brightest ink, never empty."""
    low, high = cfg.threshold_range
    # Relative to the brightest ink, so a faint digit is thinned, not erased.
    level = rng.uniform(low, high) * canvas.max() / 255.0
    mask = np.where(canvas > level, 255, 0).astype(np.uint8)
    if not mask.any():
        mask = np.where(canvas > 0, 255, 0).astype(np.uint8)
    return mask


def _live_patch(canvas: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """Posed canvas -> the patch the live side would make of this digit seen in a frame."""
    steps = int(rng.integers(cfg.live_pen_steps[0], cfg.live_pen_steps[1] + 1))
    pen = _morph(canvas, steps)
    if steps >= 0 or pen.sum() >= 0.5 * canvas.sum():
        canvas = pen
    # The frame's digit is this many px tall; the canvas holds it in DIGIT_BOX * upsample px.
    low, high = np.log(cfg.live_height_px[0]), np.log(cfg.live_height_px[1])
    scale = np.exp(rng.uniform(low, high)) / (DIGIT_BOX * cfg.upsample)
    side = max(4, int(round(canvas.shape[0] * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    frame_ink = cv2.resize(canvas, (side, side), interpolation=interp)
    return ink_to_patch(_threshold(frame_ink, rng, cfg))


def augment_one(
    image_u8: np.ndarray, k: float, rng: np.random.Generator, cfg: AugmentConfig, live: bool = False
) -> np.ndarray:
    """One uint8 28x28 digit, augmented with magnitude k in [0, 1]; k == 0 is a copy.

    ``live`` takes the live path: the result is exactly what ink_to_patch gives, no blur added.
    """
    if k <= 0:
        return image_u8.copy()
    size = IMAGE_SIZE * cfg.upsample
    canvas = cv2.warpAffine(
        image_u8, _affine(rng, k, cfg), (size, size), flags=cv2.INTER_LINEAR, borderValue=0
    )
    if live:
        return _live_patch(canvas, rng, cfg)
    steps = int(np.round(rng.uniform(-cfg.max_erode_px, cfg.max_dilate_px) * k * cfg.upsample))
    thinned = _morph(canvas, steps)
    # Eroding a thin digit can wipe out whole strokes; a real pen leaves them all.
    if steps >= 0 or thinned.sum() >= 0.6 * canvas.sum():
        canvas = thinned

    if rng.random() < cfg.binarize_prob * k:
        canvas = _threshold(canvas, rng, cfg)
    out = cv2.resize(canvas, (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_AREA)

    sigma = rng.uniform(0, cfg.max_blur_sigma) * k
    if sigma > 0.3:
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    return out


def long_tail(image_u8: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """One uint8 28x28 digit with the part below a cut at 50-70 % of its height stretched down,
    fitted into MNIST's layout again: a 9 with a long tail and a small loop, a long-stemmed 7."""
    rows = np.flatnonzero(image_u8.max(axis=1) > 0)
    if rows.size < 4:
        return image_u8.copy()
    up = 4  # the stretch on a finer grid, so the joined stroke stays smooth
    top, bottom = int(rows[0]) * up, (int(rows[-1]) + 1) * up
    big = cv2.resize(image_u8, (IMAGE_SIZE * up, IMAGE_SIZE * up), interpolation=cv2.INTER_LINEAR)
    cut = top + int(round(rng.uniform(0.5, 0.7) * (bottom - top)))
    stretch = np.exp(rng.uniform(np.log(1.3), np.log(cfg.max_tail_stretch)))
    lower = big[cut:bottom]
    lower = cv2.resize(lower, (lower.shape[1], max(1, int(round(len(lower) * stretch)))), interpolation=cv2.INTER_LINEAR)
    tall = np.concatenate([big[top:cut], lower])
    # Fitted into 20 px again, the longer digit shrinks, and so would its strokes: they are
    # widened first by what the fit takes off, so that the pen stays the pen.
    widen = int(round(stroke_width((big > 127).view(np.uint8)) * (len(tall) / (bottom - top) - 1) / 2))
    if widen > 0:
        tall = cv2.dilate(tall, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * widen + 1, 2 * widen + 1)))
    return fit_to_mnist(tall)


def long_tails(images_u8: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
               cfg: AugmentConfig) -> np.ndarray:
    """`cfg.tail_share` of the digits of `cfg.tailed_digits` among `images_u8` with long tails
    (`long_tail`); the rest, and every other class, unchanged. With no share, `images_u8` itself,
    and `rng` is left as it was, so a run without tails draws what it drew before they existed."""
    if cfg.tail_share <= 0:
        return images_u8
    picked = np.flatnonzero(np.isin(labels, cfg.tailed_digits) & (rng.random(len(labels)) < cfg.tail_share))
    if picked.size == 0:
        return images_u8
    out = images_u8.copy()
    for i in picked:
        out[i] = long_tail(images_u8[i], rng, cfg)
    return out


def augment(
    images_u8: np.ndarray,
    strength: float = 1.0,
    rng: np.random.Generator | int | None = None,
    config: AugmentConfig = DEFAULT_CONFIG,
) -> np.ndarray:
    """uint8 (N, 28, 28) white-on-black digits -> augmented uint8 (N, 28, 28).

    Each image draws its own magnitude uniformly in [0, strength], so a batch mixes near-clean
    and heavily changed digits. ``rng`` may be a seed for repeatable output.
    """
    images_u8 = np.asarray(images_u8)
    if images_u8.ndim != 3 or images_u8.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or images_u8.dtype != np.uint8:
        raise ValueError(f"expected uint8 (N, 28, 28) images, got {images_u8.dtype} {images_u8.shape}")
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength}")
    if strength == 0:
        return images_u8.copy()
    rng = np.random.default_rng(rng)
    magnitudes = rng.uniform(0, strength, size=len(images_u8))
    live = (rng.random(len(images_u8)) < config.live_prob) & (magnitudes > 0)
    out = np.stack([augment_one(img, k, rng, config, bool(lv)) for img, k, lv in zip(images_u8, magnitudes, live)])

    # Photometric changes are cheap per pixel, so they run on the whole batch at once; live
    # patches get none, since the live side feeds ink_to_patch's output to the model as it is.
    scaled = out.astype(np.float32) / 255.0
    mag = np.where(live, 0.0, magnitudes)[:, None, None].astype(np.float32)
    gamma = np.exp(rng.uniform(-1, 1, size=(len(out), 1, 1)).astype(np.float32) * config.max_log_gamma * mag)
    peak = 1.0 - rng.uniform(0, 1 - config.min_peak, size=(len(out), 1, 1)).astype(np.float32) * mag
    noise_std = rng.uniform(0, config.max_noise_std, size=(len(out), 1, 1)).astype(np.float32) * mag / 255.0
    noise = rng.standard_normal(out.shape, dtype=np.float32) * noise_std
    scaled = np.power(scaled, gamma) * peak + noise
    return np.clip(np.rint(scaled * 255.0), 0, 255).astype(np.uint8)


def augment_batch(
    images_u8: np.ndarray,
    labels: np.ndarray,
    strength: float = 1.0,
    rng: np.random.Generator | int | None = None,
    config: AugmentConfig = DEFAULT_CONFIG,
) -> tuple[np.ndarray, np.ndarray]:
    """augment() for (images, labels) pairs; the labels come back unchanged."""
    if len(images_u8) != len(labels):
        raise ValueError(f"{len(images_u8)} images but {len(labels)} labels")
    return augment(images_u8, strength, rng, config), labels
