"""Camera-like scenes rendered from MNIST digits: the demo source, the tests' and the benchmark's data.

A sheet of paper is drawn with MNIST digits as ink (pen to marker, black, blue or pencil, on
white, cream or yellow paper, optionally ruled), then photographed: placed on a textured
background in perspective, lit unevenly, shadowed, blurred, noised and JPEG-compressed. Every
digit's true box in the frame comes along, from its ink pixels pushed through the same warp.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SAMPLE_PATH = Path(__file__).resolve().parent / "assets" / "mnist_test_sample.npz"

PAPERS_BGR = [(245, 245, 245), (232, 240, 246), (215, 225, 230), (130, 232, 248)]  # white, cream, grey-ish, yellow
INKS_BGR = [(25, 25, 25), (40, 40, 40), (140, 55, 20), (95, 95, 95), (35, 30, 150)]  # black, black, blue, pencil, red
LETTERS = "ACEFHKLMNPRUVWXYacdefhkmnprtuvwxy"
FONTS = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
         cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX]


@dataclass(frozen=True)
class Truth:
    """The digits a rendered frame holds: boxes in frame pixels (x, y, w, h) and their labels."""

    boxes_xywh: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        if self.boxes_xywh.shape != (len(self.labels), 4):
            raise ValueError(f"expected boxes of shape ({len(self.labels)}, 4), got {self.boxes_xywh.shape}")


@dataclass(frozen=True)
class Sheet:
    """A sheet in its own pixel frame: the image, paper mask, and each digit's ink points and label."""

    image_bgr: np.ndarray
    ink_points: list[np.ndarray]
    labels: np.ndarray


def load_sample_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1000 MNIST test digits shipped with the project (100 per class): uint8 images, labels."""
    with np.load(SAMPLE_PATH, allow_pickle=False) as data:
        return data["images"], data["labels"].astype(np.int64)


def centre_line(binary: np.ndarray) -> np.ndarray:
    """The one-pixel centre line of a bool image's strokes (Zhang and Suen's thinning, 1984):
    outer pixels are peeled in two alternating passes until only connected lines are left."""
    image = np.pad(binary.astype(np.uint8), 1)
    changed = True
    while changed:
        changed = False
        for second in (False, True):
            # The 8 neighbours, clockwise from the one above.
            p2, p3, p4 = image[:-2, 1:-1], image[:-2, 2:], image[1:-1, 2:]
            p5, p6, p7 = image[2:, 2:], image[2:, 1:-1], image[2:, :-2]
            p8, p9 = image[1:-1, :-2], image[:-2, :-2]
            ring = (p2, p3, p4, p5, p6, p7, p8, p9)
            neighbours = sum(n.astype(np.int8) for n in ring)
            crossings = sum(((ring[i] == 0) & (ring[(i + 1) % 8] == 1)).astype(np.int8) for i in range(8))
            if second:
                side = ((p2 & p4 & p8) == 0) & ((p2 & p6 & p8) == 0)
            else:
                side = ((p2 & p4 & p6) == 0) & ((p4 & p6 & p8) == 0)
            peel = (image[1:-1, 1:-1] == 1) & (neighbours >= 2) & (neighbours <= 6) & (crossings == 1) & side
            if peel.any():
                image[1:-1, 1:-1][peel] = 0
                changed = True
    return image[1:-1, 1:-1].astype(bool)


def digit_ink(digit_u8: np.ndarray, height_px: int, stroke: float, pen: float | None = None) -> np.ndarray:
    """An MNIST digit as an ink coverage map in [0, 1], about `height_px` tall.

    `stroke` < 0 thins the strokes (fine pen), > 0 thickens them (marker), as a share of height.
    `pen`, if given, draws the digit's centre line instead, a line `pen` heights wide (at least
    one pixel): a ballpoint's line, which on a digit written large for a camera is a fraction of
    MNIST's strokes, whatever the size.
    """
    size = max(8, int(round(height_px * 28 / 20)))
    big = cv2.resize(digit_u8, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255.0
    if pen is not None:
        line = centre_line(big > 0.5)
        # Coverage falls off over one pixel at the line's edge: anti-aliased, as a camera sees it.
        distance = cv2.distanceTransform((~line).view(np.uint8), cv2.DIST_L2, 5)
        return np.clip(max(0.5, pen * height_px / 2) + 0.5 - distance, 0.0, 1.0).astype(np.float32)
    ink = np.clip((big - 0.35) / 0.3, 0.0, 1.0)
    radius = int(round(abs(stroke) * height_px))
    if radius >= 1:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        ink = cv2.dilate(ink, kernel) if stroke > 0 else cv2.erode(ink, kernel)
    return ink


def text_ink(rng: np.random.Generator, height_px: int) -> np.ndarray:
    """A distractor that is not a digit: a letter, a short word, or a shape, as ink coverage."""
    kind = rng.integers(0, 3)
    if kind < 2:
        text = "".join(rng.choice(list(LETTERS), size=1 if kind == 0 else int(rng.integers(2, 5))))
        font = int(rng.choice(FONTS))
        scale = height_px / 22.0
        thickness = max(1, int(round(height_px * rng.uniform(0.05, 0.12))))
        (tw, th), base = cv2.getTextSize(text, font, scale, thickness)
        canvas = np.zeros((th + base + 2 * thickness + 4, tw + 2 * thickness + 4), np.uint8)
        cv2.putText(canvas, text, (thickness + 2, th + thickness + 2), font, scale, 255, thickness, cv2.LINE_AA)
        return canvas.astype(np.float32) / 255.0
    s = height_px
    canvas = np.zeros((s + 8, int(s * rng.uniform(0.8, 1.6)) + 8), np.uint8)
    h, w = canvas.shape
    thickness = max(1, int(round(s * rng.uniform(0.05, 0.1))))
    shape = rng.integers(0, 4)
    if shape == 0:
        cv2.rectangle(canvas, (4, 4), (w - 5, h - 5), 255, thickness, cv2.LINE_AA)
    elif shape == 1:
        pts = np.array([[w // 2, 4], [w - 5, h - 5], [4, h - 5]], np.int32)
        cv2.polylines(canvas, [pts], True, 255, thickness, cv2.LINE_AA)
    elif shape == 2:
        cv2.line(canvas, (4, 4), (w - 5, h - 5), 255, thickness, cv2.LINE_AA)
        cv2.line(canvas, (4, h - 5), (w - 5, 4), 255, thickness, cv2.LINE_AA)
    else:
        angles = np.linspace(0, 4 * np.pi, 10) + rng.uniform(0, np.pi)
        radii = np.where(np.arange(10) % 2 == 0, 0.48, 0.2) * min(h, w)
        pts = np.stack([w / 2 + radii * np.cos(angles), h / 2 + radii * np.sin(angles)], 1).astype(np.int32)
        cv2.polylines(canvas, [pts], True, 255, thickness, cv2.LINE_AA)
    return canvas.astype(np.float32) / 255.0


def _paste_ink(paper: np.ndarray, ink: np.ndarray, x: int, y: int, color_bgr: tuple) -> np.ndarray:
    """Darken the paper with ink coverage at (x, y); returns the ink's pixel coordinates in the sheet."""
    h, w = ink.shape
    region = paper[y : y + h, x : x + w].astype(np.float32)
    alpha = ink[: region.shape[0], : region.shape[1], None]
    color = np.array(color_bgr, np.float32)
    paper[y : y + h, x : x + w] = (region * (1 - alpha) + color * alpha).astype(np.uint8)
    ys, xs = np.nonzero(alpha[..., 0] > 0.5)
    return np.stack([xs + x, ys + y], 1).astype(np.float32)


def make_sheet(rng: np.random.Generator, digits: np.ndarray, labels: np.ndarray, n_digits: int,
               digit_height: int, n_distractors: int = 0, ruled: bool | None = None, pitch: float = 1.25,
               margin: float | None = None, pen: float | None = None) -> Sheet:
    """A sheet with `n_digits` random digits in rows (and optional letters/shapes), paper coords.
    `pitch` is the distance between neighbours on a row in digit heights: below about 0.8 they
    touch. `margin` (digit heights; default 0.8-2) is the paper around them. `pen`, if given,
    writes the digits in a ballpoint's line that many digit heights wide (`digit_ink`)."""
    cols = max(1, int(np.ceil(np.sqrt((n_digits + n_distractors) * 2.0))))
    rows = max(1, int(np.ceil((n_digits + n_distractors) / cols)))
    pitch_x, pitch_y = int(digit_height * pitch), int(digit_height * 1.8)
    margin = int(digit_height * (rng.uniform(0.8, 2.0) if margin is None else margin))
    width, height = cols * pitch_x + 2 * margin, rows * pitch_y + 2 * margin
    paper_bgr = np.array(PAPERS_BGR[rng.integers(len(PAPERS_BGR))], np.float32)
    grain = rng.normal(0, 3, (height // 4 + 1, width // 4 + 1)).astype(np.float32)
    grain = cv2.resize(grain, (width, height))[..., None]
    paper = np.clip(paper_bgr + grain, 0, 255).astype(np.uint8)
    if ruled if ruled is not None else rng.random() < 0.3:
        for y in range(margin + int(digit_height * 1.15), height, pitch_y):
            cv2.line(paper, (0, y), (width, y), (225, 190, 160), max(1, digit_height // 40))
    ink_color = INKS_BGR[rng.integers(len(INKS_BGR))]
    stroke = rng.choice([-0.03, -0.015, 0.0, 0.0, 0.03, 0.06])
    slots = rng.permutation(rows * cols)[: n_digits + n_distractors]
    points, kept_labels = [], []
    for i, slot in enumerate(slots):
        r, c = divmod(int(slot), cols)
        h = int(digit_height * rng.uniform(0.8, 1.15))
        if i < n_digits:
            k = rng.integers(len(digits))
            ink = digit_ink(digits[k], h, stroke, pen)
        else:
            ink = text_ink(rng, h)
        x = margin + c * pitch_x + int(rng.uniform(-0.1, 0.1) * digit_height)
        y = margin + r * pitch_y + int(rng.uniform(-0.1, 0.1) * digit_height)
        ink = ink[: height - y, : width - x]
        pts = _paste_ink(paper, ink, x, y, ink_color)
        if i < n_digits and len(pts):
            points.append(pts)
            kept_labels.append(int(labels[k]))
    return Sheet(paper, points, np.array(kept_labels, np.int64))


def background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A textured surface behind the sheet: wood, fabric, a dark desk or a plain wall."""
    kind = rng.integers(0, 4)
    small_w, small_h = width // 4, height // 4
    yy, xx = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    if kind == 0:  # wood grain
        freq = rng.uniform(0.05, 0.15)
        rings = np.sin(yy * freq + 3 * np.sin(xx * 0.01) + rng.normal(0, 0.3, yy.shape))
        base = np.array([60, 110, 160], np.float32) * (0.85 + 0.15 * rings[..., None])
    elif kind == 1:  # woven fabric
        weave = np.sin(xx * 1.3) * np.sin(yy * 1.3)
        color = rng.uniform(40, 200, 3).astype(np.float32)
        base = color * (0.8 + 0.2 * weave[..., None])
    elif kind == 2:  # dark desk or leather
        base = np.full((small_h, small_w, 3), rng.uniform(20, 60), np.float32)
    else:  # wall
        base = np.full((small_h, small_w, 3), rng.uniform(150, 210), np.float32)
    base = base + rng.normal(0, 8, base.shape).astype(np.float32)
    return np.clip(cv2.resize(base, (width, height)), 0, 255).astype(np.uint8)


def sheet_pose(rng: np.random.Generator, sheet: Sheet, width: int, height: int) -> np.ndarray:
    """A random homography putting the sheet's digits well inside a width x height frame."""
    h, w = sheet.image_bgr.shape[:2]
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    angle = np.deg2rad(rng.uniform(-10, 10))
    scale = min(0.95 * width / w, 0.95 * height / h, 1.0) * rng.uniform(0.85, 1.0)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    centred = (corners - [w / 2, h / 2]) @ rot.T * scale
    jitter = rng.uniform(-0.04, 0.04, (4, 2)).astype(np.float32) * [w * scale, h * scale]
    shift = [width / 2 + rng.uniform(-0.05, 0.05) * width, height / 2 + rng.uniform(-0.05, 0.05) * height]
    return cv2.getPerspectiveTransform(corners, (centred + jitter + shift).astype(np.float32))


def jpeg_round_trip(image: np.ndarray, quality: int) -> np.ndarray:
    """A BGR picture saved as a JPEG of `quality` (0-100) and read back, as a camera delivers it."""
    return cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR)


def photograph(rng: np.random.Generator, sheet: Sheet, homography: np.ndarray, backdrop: np.ndarray,
               light: np.ndarray | None = None, camera_noise: bool = True) -> tuple[np.ndarray, Truth]:
    """The sheet warped onto the backdrop, lit by `light` (a gain map), with camera blur and noise."""
    height, width = backdrop.shape[:2]
    # Saturating uint8 arithmetic in OpenCV throughout: the demo renders each frame live.
    frame = backdrop.copy()
    cv2.warpPerspective(sheet.image_bgr, homography, (width, height), dst=frame, flags=cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_TRANSPARENT)
    if light is not None:
        gain = cv2.merge([np.clip(light * 200, 0, 255).astype(np.uint8)] * 3)
        frame = cv2.multiply(frame, gain, scale=1 / 200)
    if camera_noise:
        sigma = rng.uniform(0.3, 1.2)
        frame = cv2.GaussianBlur(frame, (0, 0), sigma)
        cv2.setRNGSeed(int(rng.integers(2**31)))
        noise = np.empty(frame.shape, np.int16)
        cv2.randn(noise, 0, rng.uniform(1.5, 5.0))
        frame = cv2.add(frame, noise, dtype=cv2.CV_8U)
        quality = int(rng.integers(45, 92))
        frame = jpeg_round_trip(frame, quality)
    boxes = []
    for pts in sheet.ink_points:
        moved = cv2.perspectiveTransform(pts[None], homography)[0]
        x0, y0 = moved.min(0)
        x1, y1 = moved.max(0)
        boxes.append([int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1 - x0)) + 1, int(np.ceil(y1 - y0)) + 1])
    return frame, Truth(np.array(boxes, np.int64).reshape(-1, 4), sheet.labels.copy())


def uneven_light(rng: np.random.Generator, width: int, height: int, phase: float | None = None) -> np.ndarray:
    """A gain map: a gradient across the frame and a soft shadow, 0.55-1.05."""
    yy, xx = np.mgrid[0:height // 8, 0:width // 8].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi) if phase is None else phase
    ramp = (np.cos(angle) * xx / xx.max() + np.sin(angle) * yy / yy.max())
    gain = 1.05 - rng.uniform(0.05, 0.3) * (ramp - ramp.min()) / (np.ptp(ramp) + 1e-6)
    if rng.random() < 0.5:
        cx, cy = rng.uniform(0, xx.max()), rng.uniform(0, yy.max())
        shadow = np.exp(-(((xx - cx) / (xx.max() * 0.3)) ** 2 + ((yy - cy) / (yy.max() * 0.3)) ** 2))
        gain = gain - rng.uniform(0.1, 0.3) * shadow
    return cv2.resize(gain.astype(np.float32), (width, height))


def render_scene(rng: np.random.Generator, digits: np.ndarray, labels: np.ndarray, width: int = 1280,
                 height: int = 720, n_digits: int | None = None, n_distractors: int = 0,
                 backdrop: np.ndarray | None = None, pitch: float = 1.25, digit_height: int | None = None,
                 margin: float | None = None, pen: float | None = None) -> tuple[np.ndarray, Truth]:
    """One camera-like frame of a sheet with 3-12 digits (or `n_digits`, 0 for a digit-free frame)
    24-130 px tall (or `digit_height`, before the sheet is scaled to fit the frame), in front of a
    generated surface or `backdrop` (BGR, width x height); `pen`: as `make_sheet`'s."""
    n = int(rng.integers(3, 13)) if n_digits is None else n_digits
    if digit_height is None:
        digit_height = int(np.exp(rng.uniform(np.log(24), np.log(130))))
    sheet = make_sheet(rng, digits, labels, n, digit_height, n_distractors, pitch=pitch, margin=margin, pen=pen)
    homography = sheet_pose(rng, sheet, width, height)
    behind = background(rng, width, height) if backdrop is None else backdrop
    return photograph(rng, sheet, homography, behind, uneven_light(rng, width, height))


class SheetAnimation:
    """The `demo` source: one sheet drifting and tilting in front of the camera under slow light changes.

    Frames are rendered on demand, `frame(i)` gives frame i and its truth, so the same sequence
    can be replayed for flicker measurements.
    """

    def __init__(self, seed: int = 0, width: int = 1280, height: int = 720, n_digits: int = 10,
                 digits: tuple[np.ndarray, np.ndarray] | None = None, digit_height_frac: float = 0.11,
                 tilt_deg: float = 0.0) -> None:
        self.width, self.height = width, height
        self.tilt_deg = tilt_deg  # the sheet's mean turn (clockwise), about which it sways
        self._seed = seed
        rng = np.random.default_rng(seed)
        images, labels = digits if digits is not None else load_sample_digits()
        self.sheet = make_sheet(rng, images, labels, n_digits, digit_height=int(height * digit_height_frac),
                                n_distractors=2, ruled=False)
        self.backdrop = background(rng, width, height)
        h, w = self.sheet.image_bgr.shape[:2]
        self._corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
        self._scale = min(0.8 * width / w, 0.8 * height / h)

    def frame(self, index: int) -> tuple[np.ndarray, Truth]:
        t = index / 30.0
        rng = np.random.default_rng((self._seed, index))
        h, w = self.sheet.image_bgr.shape[:2]
        angle = np.deg2rad(self.tilt_deg + 6 * np.sin(0.4 * t))
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
        centred = (self._corners - [w / 2, h / 2]) @ rot.T * self._scale * (1 + 0.06 * np.sin(0.23 * t))
        tilt = 0.04 * np.sin(0.3 * t) * self._scale * w
        centred[[0, 3], 1] *= 1 - tilt / (self._scale * w)  # left edge leans back, then forward
        centred[[1, 2], 1] *= 1 + tilt / (self._scale * w)
        shift = [self.width / 2 + 50 * np.sin(0.5 * t), self.height / 2 + 30 * np.sin(0.37 * t)]
        homography = cv2.getPerspectiveTransform(self._corners, (centred + shift).astype(np.float32))
        light = uneven_light(np.random.default_rng(self._seed), self.width, self.height, phase=0.2 * t)
        return photograph(rng, self.sheet, homography, self.backdrop, light)
