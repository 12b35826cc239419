"""Frame -> proposals: every piece of ink that could be a digit, and the ways pieces could combine.

Local (adaptive) threshold, then every connected component, not only outer contours, so digits
inside the paper's own outline survive; rulings that join the digits on them are erased. Each
component of digit-like size is read on its own; merging pieces (stacked, a 5's bar, side by
side), splitting a wide one into touching digits and joining neighbours only *add* readings for
the model to weigh (`live.recognize`). Nothing is dropped here for what it looks like: only
sizes (relative to the frame) bound the work. Each candidate's context is cut from the frame
with a webcam's fall-off of light toward the corners taken out (`live.light`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from live.boxes import crop_to_ink, gaps
from live.config import SegmentConfig
from live.contract import CONTEXT_SCALE, CONTEXT_SIZE, DIGIT_BOX, MIN_READABLE_HEIGHT, STROKE_WORK_SIDE
from live.light import Light, light_of
from live.reading import line_angle

# A candidate longer than this (working px) is cut out at this size: its 28x28 patch is made from
# its ink at STROKE_WORK_SIDE px, so twice that loses nothing, and a sheet's outline or a digit
# filling a webcam frame then costs what a small digit costs. Its faint rim (2 px) is not grown.
LARGE_SIDE = 2 * STROKE_WORK_SIDE
# Small digits are read at most this many times the working size (`zoom_for`): a grey image
# interpolated further holds no more of the pen than this does.
MAX_ZOOM = 2.0


@dataclass(frozen=True)
class Candidate:
    """One patch to read: its box (x, y, w, h) in frame pixels, its ink as a binary uint8 crop and
    the frame around it (`context`, grey uint8 CONTEXT_SIZE square, centred on the box)."""

    box_xywh: tuple[int, int, int, int]
    ink: np.ndarray
    context: np.ndarray
    # Where the ink crop's top-left pixel lies in working pixels: the ink holds the faint rim of
    # the strokes too, the box only the sure ink.
    ink_at: tuple[int, int] = (0, 0)
    # Working pixels per ink pixel: a large candidate's ink is kept at a reduced size, since its
    # 28x28 patch needs no more (see LARGE_SIDE).
    ink_scale: float = 1.0


@dataclass(frozen=True)
class Proposal:
    """A way to read some pieces of ink (`atoms`, indices into the frame's pieces): as one digit
    (one candidate: a piece alone, or pieces joined) or as touching digits (a piece split into
    several candidates)."""

    atoms: tuple[int, ...]
    candidates: tuple[Candidate, ...]
    # A split's pieces as a lattice: the nodes (i, j) each candidate spans, node 0 the piece's
    # left edge and the largest node its right one (`_lattice`); empty for one digit.
    spans: tuple[tuple[int, int], ...] = ()

    @property
    def is_split(self) -> bool:
        return bool(self.spans)


@dataclass(frozen=True)
class Around:
    """Where a recent frame of the same video found its digits: their boxes (x0, y0, x1, y1, frame
    px) and the room (frame px) to keep around them, for a read of only that part of the frame."""

    boxes: tuple[tuple[int, int, int, int], ...]
    room: float


@dataclass(frozen=True)
class Segmentation:
    proposals: list[Proposal]
    atom_ink: np.ndarray  # ink pixels of each piece (float64): how much of the frame each explains
    atom_alone: np.ndarray  # whether each piece is digit-sized, i.e. has a proposal of its own
    mask: np.ndarray  # the cleaned threshold mask at working resolution, for the debug view
    angle: float = 0.0  # the text lines' tilt (radians) the frame was turned upright by, else 0
    # Where the text lines seem to tilt, the frame turned upright and segmented again: the
    # other way to read it, which the model weighs against this one (`live.recognize`).
    turned: Segmentation | None = None

    @property
    def candidates(self) -> list[Candidate]:
        """Every candidate of every proposal of this way of reading the frame, in batch order."""
        return [c for p in self.proposals for c in p.candidates]

    @property
    def ways(self) -> list[Segmentation]:
        """The ways to read the frame: as it is, and turned upright where its lines tilt."""
        return [self] if self.turned is None else [self, self.turned]


def _odd(n: float) -> int:
    n = max(3, int(n))
    return n if n % 2 else n + 1


_GROW = np.ones((3, 3), np.uint8)


def window_side(gray: np.ndarray, cfg: SegmentConfig, side: int | None = None) -> int:
    """The threshold's window (odd, px): `cfg.block_frac` of `side` (default: the image's shorter
    side)."""
    return _odd(cfg.block_frac * (side or min(gray.shape)))


def local_mean(gray: np.ndarray, cfg: SegmentConfig, side: int | None = None) -> np.ndarray:
    """Each pixel's window mean (uint8), as OpenCV's mean adaptive threshold computes it, over
    `window_side`."""
    block = window_side(gray, cfg, side)
    return cv2.boxFilter(gray, cv2.CV_8U, (block, block), borderType=cv2.BORDER_REPLICATE | cv2.BORDER_ISOLATED)


def below(gray: np.ndarray, mean: np.ndarray, offset: float) -> np.ndarray:
    """Ink mask (255 = ink): at least `offset` grey levels darker than the local mean; the same
    mask as cv2.adaptiveThreshold(..., ADAPTIVE_THRESH_MEAN_C, THRESH_BINARY_INV, block, offset)."""
    return cv2.compare(cv2.add(gray, int(np.floor(offset))), mean, cv2.CMP_LE)


def context_crop(pyramid: list[np.ndarray], box: tuple[int, int, int, int]) -> np.ndarray:
    """The frame around a box: a square CONTEXT_SCALE times the box's longer side, centred on
    the box, so that the candidate is always the thing in the middle (a square moved inside the
    frame put a neighbour or a gap in the middle, and the model vetoed the digit) and always a
    CONTEXT_SCALE-th of it, even when it fills the frame (a square capped at the frame let a
    close-up digit fill its context, which the model took for a stroke among more ink). Where
    the square crosses the frame's edge, the frame's outermost pixels are repeated: a digit
    beside the edge keeps paper around it, while a line along the edge (a sheet's border) is not
    mirrored into a lone stroke on paper, which a 1 would be, and no flat border marks the
    place. CONTEXT_SIZE x CONTEXT_SIZE grey uint8, cut from the level of the image pyramid (each
    level half the last) where the square is at most twice CONTEXT_SIZE, so a large digit's
    context costs no more than a small one's."""
    # Plain Python arithmetic: this runs for every candidate, and NumPy's scalar calls cost more
    # than the crop itself.
    x, y, w, h = box
    side = max(8.0, CONTEXT_SCALE * max(w, h))
    level = min(len(pyramid) - 1, max(0, math.floor(math.log2(side / (2 * CONTEXT_SIZE)))))
    image, f = pyramid[level], 0.5 ** level
    height, width = image.shape
    span = max(2, round(side * f))
    x0 = round((x + w / 2) * f - span / 2)
    y0 = round((y + h / 2) * f - span / 2)
    cx0, cy0 = max(x0, 0), max(y0, 0)
    cx1, cy1 = min(x0 + span, width), min(y0 + span, height)
    crop = image[cy0:cy1, cx0:cx1]
    if cx1 - cx0 < span or cy1 - cy0 < span:
        crop = cv2.copyMakeBorder(crop, cy0 - y0, y0 + span - cy1, cx0 - x0, x0 + span - cx1, cv2.BORDER_REPLICATE)
    return cv2.resize(crop, (CONTEXT_SIZE, CONTEXT_SIZE), interpolation=cv2.INTER_AREA)


def shrink(image: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    """Area-resample `image` down to `size_wh`: first by the largest whole factor, which OpenCV
    averages four times faster than an arbitrary ratio (0.3 against 1.2 ms for a sheet's outline
    of 650 px), then by what remains."""
    width, height = size_wh
    factor = min(image.shape[1] // max(width, 1), image.shape[0] // max(height, 1))
    if factor >= 2:
        cut = image[: image.shape[0] // factor * factor, : image.shape[1] // factor * factor]
        image = cv2.resize(cut, (cut.shape[1] // factor, cut.shape[0] // factor), interpolation=cv2.INTER_AREA)
    if image.shape[:2] == (height, width):
        return image
    return cv2.resize(image, size_wh, interpolation=cv2.INTER_AREA)


def pyramid_of(gray: np.ndarray) -> list[np.ndarray]:
    """The image and its halvings, down to about CONTEXT_SIZE pixels on the shorter side."""
    levels = [gray]
    while min(levels[-1].shape) >= 2 * CONTEXT_SIZE:
        levels.append(cv2.pyrDown(levels[-1]))
    return levels


def _grow_ink(ink: np.ndarray, box: tuple[int, int, int, int], gray: np.ndarray, mean: np.ndarray,
              cfg: SegmentConfig) -> tuple[np.ndarray, tuple[int, int]]:
    """A candidate's ink plus the faint ink (`weak_offset` below the local mean) that reaches it
    through faint ink within `weak_reach` px, and the grown crop's top-left: the blurred rim of
    its strokes and the skips of a faint pen, but not the specks a JPEG's ringing leaves a pixel
    or two off a stroke (taken, they read as a ring of dots round a small 0: not a digit). Grown
    per candidate, after rulings are erased, so that faint rims never join a digit to a ruling or
    the paper's edge. The box stays that of the sure ink: a rim is not the digit's extent (a thin
    1's box would double in width)."""
    x0, y0, w, h = box
    reach = cfg.weak_reach
    if reach <= 0 or cfg.weak_offset >= cfg.threshold_offset:
        return ink, (x0, y0)
    height, width = gray.shape
    px0, py0 = max(0, x0 - reach), max(0, y0 - reach)
    px1, py1 = min(width, x0 + w + reach), min(height, y0 + h + reach)
    padded = np.zeros((py1 - py0, px1 - px0), np.uint8)
    padded[y0 - py0:y0 - py0 + h, x0 - px0:x0 - px0 + w] = ink
    weak = below(gray[py0:py1, px0:px1], mean[py0:py1, px0:px1], cfg.weak_offset)
    grown = padded
    for _ in range(reach):  # a pixel at a time, through faint ink only
        grown = cv2.bitwise_or(grown, cv2.bitwise_and(weak, cv2.dilate(grown, _GROW)))
    grown, (gx, gy) = crop_to_ink(grown)
    return grown, (px0 + gx, py0 + gy)


def fill_dark_holes(ink: np.ndarray, region: np.ndarray, work_side: int = 96) -> np.ndarray:
    """The ink with its holes filled where they are as dark as ink: a marker stroke wider than the
    threshold's window comes out hollow (its middle is no darker than its window's mean), and a
    hollow 7 reads as an 8. A 0's or an 8's hole is paper: nearer the paper's grey than the ink's.
    `region` is the grey image under the ink. Holes are found on a copy at most `work_side` px
    long, so a large candidate costs no more. Where nothing is filled, `ink` itself comes back
    (`fill_hollow_strokes` tells a change by that)."""
    height, width = ink.shape
    small_ink, small_region = ink, region
    if max(height, width) > work_side:
        size = (max(1, width * work_side // max(height, width)), max(1, height * work_side // max(height, width)))
        small_ink = cv2.resize(ink, size, interpolation=cv2.INTER_NEAREST)
        small_region = cv2.resize(region, size, interpolation=cv2.INTER_NEAREST)
    # Most candidates enclose no paper at all (1, 2, 3, 5, 7): flooding the paper from around the
    # crop tells that in half the time of labelling it, and only enclosed paper is labelled.
    # (A threshold, not cv2.compare with 0: OpenCV takes a 1x1 image for the scalar's 4x1 and fails.)
    paper = cv2.threshold(small_ink, 0, 255, cv2.THRESH_BINARY_INV)[1]
    flooded = cv2.copyMakeBorder(paper, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=255)
    cv2.floodFill(flooded, None, (0, 0), 0, flags=4)
    if cv2.countNonZero(flooded) == 0:
        return ink
    count, labels, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
    sh, sw = small_ink.shape
    x0, y0, w, h = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    hole = (x0 > 0) & (y0 > 0) & (x0 + w < sw) & (y0 + h < sh)
    hole[0] = False  # label 0 is the ink itself
    if not hole.any():
        return ink
    sums = np.bincount(labels.ravel(), weights=small_region.ravel(), minlength=count)
    sizes = np.maximum(stats[:, 4], 1)
    outside = ~hole
    outside[0] = False
    ink_grey = sums[0] / sizes[0]
    paper_grey = sums[outside].sum() / max(sizes[outside].sum(), 1) if outside.any() else 255.0
    dark = hole & (sums / sizes < (ink_grey + paper_grey) / 2)
    if not dark.any():
        return ink
    fill = dark[labels].view(np.uint8)
    if fill.shape != ink.shape:
        fill = cv2.resize(fill, (width, height), interpolation=cv2.INTER_NEAREST)
    return ink | fill * np.uint8(255)


def erase_rulings(mask: np.ndarray, labels: np.ndarray, stats: np.ndarray, min_h: float, hairline: int,
                  cfg: SegmentConfig) -> bool:
    """Erase ruled lines (at any tilt) that join the digits written on them; True if any was erased.

    A component far wider than tall is a ruling with digits hanging on it. Its columns holding
    only a hairline's worth of ink belong to the line alone; a line fitted through them is
    erased as a thin band across the component, which frees the digits (a digit crossed by the
    band is offered rejoined by the stacking proposals).
    """
    erased = False
    wide = np.flatnonzero((stats[1:, 2] >= cfg.ruling_min_length * min_h)
                          & (stats[1:, 2] >= cfg.ruling_min_aspect * stats[1:, 3])) + 1
    for comp in wide:
        x, y, w, h = stats[comp, :4]
        own = labels[y:y + h, x:x + w] == comp
        per_column = own.sum(axis=0)
        thin = (per_column > 0) & (per_column <= hairline)
        if thin.sum() < max(2.0, cfg.ruling_min_bare_share * w):  # a line needs two columns
            continue
        ys, xs = np.nonzero(own[:, thin])
        xs = np.flatnonzero(thin)[xs]
        slope, intercept = np.polyfit(xs, ys, 1)
        if np.median(np.abs(ys - (slope * xs + intercept))) > hairline:
            # Digits in a fine pen have hairline columns too, which pull a least-squares line
            # off the ruling: the line most of that ink lies along is fitted again on its own.
            slope, intercept = _line_along(xs, ys, own.shape, hairline)
            if np.median(np.abs(ys - (slope * xs + intercept))) > hairline:
                continue  # not one straight line (an outline, a scribble)
        cols = np.arange(w)
        centre = slope * cols + intercept
        rows = np.arange(h)[:, None]
        band = np.abs(rows - centre[None]) <= hairline / 2 + 1.0
        mask[y:y + h, x:x + w][band & own] = 0
        erased = True
    return erased


def _line_along(xs: np.ndarray, ys: np.ndarray, shape: tuple[int, int], hairline: int) -> tuple[float, float]:
    """Slope and intercept (y = slope x + intercept) of the straight line through the most of the
    points (xs, ys) in a `shape` image, found by a Hough transform over lines within 45 degrees
    of level and fitted by least squares to the points within `hairline` of it."""
    image = np.zeros(shape, np.uint8)
    image[ys, xs] = 255
    lines = cv2.HoughLines(image, 1, np.pi / 360, 2, min_theta=np.pi / 4, max_theta=3 * np.pi / 4)
    if lines is None:
        return np.polyfit(xs, ys, 1)
    rho, theta = lines[0, 0]
    near = np.abs(xs * np.cos(theta) + ys * np.sin(theta) - rho) <= hairline
    return np.polyfit(xs[near], ys[near], 1) if near.any() and np.ptp(xs[near]) > 0 else np.polyfit(xs, ys, 1)


def fill_hollow_strokes(mask: np.ndarray, stats: np.ndarray, gray: np.ndarray, block: int, max_h: float) -> bool:
    """Fill, in `mask`, the middles of strokes wider than the threshold's `block` window; True
    if any was filled. A marker digit close to the camera comes out as the outlines of its
    strokes, and the inner outline of a 0's or a 9's loop is a 0 of its own beside the outer one.
    Filled before the pieces are labelled, the loop is one piece again. Only a piece at least
    three times the window's height, and no taller than `max_h`, can be a digit with such a
    stroke (no readable digit's stroke is a third of its height). Its box's dark holes are
    filled as a candidate's are (`fill_dark_holes`), the other pieces inside it counted as ink,
    so that the inner outline walls off the loop's paper."""
    filled = False
    for x, y, w, h in stats[1:, :4][(stats[1:, 3] >= 3 * block) & (stats[1:, 3] <= max_h)]:
        region = mask[y:y + h, x:x + w]
        solid = fill_dark_holes(region, gray[y:y + h, x:x + w])
        if solid is not region:
            region[:] = solid
            filled = True
    return filled


def _components(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels and stats of the 8-connected components. BBDT on one thread measured fastest here
    (1.9 ms at 720p against 2.8 ms for OpenCV's default on two threads)."""
    height, width = mask.shape
    # An odd height or width doubles BBDT's time (9.3 against 4.2 ms at 1179x1463, the size of a
    # 720p frame turned by 25 degrees): the mask is padded with background to even sides, its
    # width to a multiple of 16.
    pad_h, pad_w = height % 2, -width % 16
    if pad_h or pad_w:
        mask = cv2.copyMakeBorder(mask, 0, pad_h, 0, pad_w, cv2.BORDER_CONSTANT, value=0)
    _, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_BBDT)
    return labels[:height, :width], stats


def _near_across(boxes: np.ndarray, rows: np.ndarray, max_gap: float) -> tuple[np.ndarray, np.ndarray]:
    """(anchor, piece) index pairs whose horizontal gap may be within `max_gap` of their heights'
    geometric mean: every pair `_pairs` could keep, and some it will not. A frame of fabric or
    gravel has a thousand pieces; testing every anchor against every piece cost 20-30 ms there.
    Pieces up to a typical size are looked up in a window of the pieces sorted by left edge;
    the few larger ones (a sheet's outline) are tested against every anchor."""
    h = boxes[:, 3] - boxes[:, 1]
    size = np.maximum(boxes[:, 2] - boxes[:, 0], h)
    cap = 2 * float(np.percentile(size, 90))
    small = np.flatnonzero(size <= cap)
    large = np.flatnonzero(size > cap)
    anchor = boxes[rows]
    # A small piece's gap is within reach only if its left edge lies in this window.
    reach = max_gap * np.sqrt(h[rows] * cap)
    order = small[np.argsort(boxes[small, 0], kind="stable")]
    lefts = boxes[order, 0]
    lo = np.searchsorted(lefts, anchor[:, 0] - reach - cap, side="left")
    hi = np.searchsorted(lefts, anchor[:, 2] + reach, side="right")
    counts = np.maximum(hi - lo, 0)
    a = np.repeat(rows, counts)
    j = order[np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts - lo, counts)]
    if large.size:
        a = np.concatenate([a, np.repeat(rows, large.size)])
        j = np.concatenate([j, np.tile(large, rows.size)])
    return a, j


def _pairs(boxes: np.ndarray, anchors: np.ndarray, cfg: SegmentConfig) -> list[tuple[int, int]]:
    """Pairs of pieces (x0, y0, x1, y1) that may be one digit: one above the other or side by
    side, within `pair_max_gap` of their heights (geometric mean) of each other, together at
    most `pair_max_growth` times as tall as the taller. One rule for every way a digit comes
    apart: broken across its middle, a 5's bar drawn apart, a 4's two strokes side by side. At
    least one piece of a pair is an anchor (a good part of a digit's height): two specks never
    make a digit."""
    rows = np.flatnonzero(anchors)
    if len(boxes) < 2 or rows.size == 0:
        return []
    h = boxes[:, 3] - boxes[:, 1]
    a, j = _near_across(boxes, rows, cfg.pair_max_gap)
    gap_x, gap_y = gaps(boxes[a], boxes[j])
    # Gaps are measured in the pair's own scale, the geometric mean of the two heights: a 5's
    # bar a quarter of the body's height may lie 0.17 body heights away, a speck of 3 px beside
    # a sheet's 600 px outline no more than 15 px.
    scale = np.sqrt(h[a] * h[j].astype(np.float64))
    union_h = np.maximum(boxes[a, 3], boxes[j, 3]) - np.minimum(boxes[a, 1], boxes[j, 1])
    # Pieces of one digit lie one above the other or side by side: their boxes overlap in x or
    # in y. Neighbours on a diagonal are two digits of two lines.
    near = ((gap_x <= cfg.pair_max_gap * scale) & (gap_y <= cfg.pair_max_gap * scale)
            & ((gap_x <= 0) | (gap_y <= 0)) & (union_h <= cfg.pair_max_growth * np.maximum(h[a], h[j])))
    pairs = {(min(int(p), int(q)), max(int(p), int(q))) for p, q in zip(a[near], j[near])}
    return sorted((p, q) for p, q in pairs if p != q)


def _cuts(ink: np.ndarray) -> list[int]:
    """Columns where a wide ink crop could be cut into touching digits: where the fewest strokes
    cross (a join between two digits is one stroke), where the top outline dips or the bottom
    outline rises (two round digits side by side join under a notch, where both of their sides
    stand and the most strokes cross), and the cuts into about w / 0.65h equal shares (one more
    and one fewer) moved to the column of least ink near them. Only places, not decisions: the
    model reads the pieces between any two of them (`_lattice`)."""
    h, w = ink.shape
    on = ink > 0
    column_ink = on.sum(axis=0).astype(np.float32)
    edge = max(2, int(round(0.1 * h)))  # no digit is narrower than a tenth of its height
    if w <= 2 * edge:
        return []
    found = set()
    guess = int(np.clip(round(w / (0.65 * h)), 2, 4))
    for k in {max(2, guess - 1), guess, min(4, guess + 1)}:
        for j in range(1, k):
            centre, reach = j * w / k, 0.3 * w / k
            lo, hi = int(centre - reach), int(centre + reach) + 1
            found.add(lo + int(np.argmin(column_ink[lo:hi])))
    has = on.any(axis=0)
    top = np.where(has, on.argmax(axis=0), h).astype(np.float32)[None]
    bottom = np.where(has, h - 1 - on[::-1].argmax(axis=0), -1).astype(np.float32)[None]
    smooth = cv2.blur(column_ink[None], (3, 1), borderType=cv2.BORDER_REPLICATE)
    # A place stands out from the columns within 0.15 h either side of it (the window is cut
    # short at the crop's edges: replicating the edge column adds nothing new to it).
    window = np.ones((1, 2 * max(2, int(round(0.15 * h))) + 1), np.uint8)

    def lowest(row: np.ndarray) -> np.ndarray:
        return cv2.erode(row, window, borderType=cv2.BORDER_REPLICATE)[0]

    def highest(row: np.ndarray) -> np.ndarray:
        return cv2.dilate(row, window, borderType=cv2.BORDER_REPLICATE)[0]

    inside = np.zeros(w, bool)
    inside[edge:w - edge] = True
    depth = 0.1 * h  # how much deeper than its surroundings a notch goes
    least_ink = inside & (smooth[0] == lowest(smooth)) & (smooth[0] < highest(smooth))
    notch_above = inside & (top[0] == highest(top)) & (top[0] - lowest(top) >= depth)
    notch_below = inside & (bottom[0] == lowest(bottom)) & (highest(bottom) - bottom[0] >= depth)
    for places in (least_ink, notch_above, notch_below):
        # A flat stretch (the gap under a join, the floor of a notch) is cut in its middle.
        edges = np.flatnonzero(np.diff(np.concatenate([[0], places.view(np.int8), [0]])))
        found.update((edges[0::2] + edges[1::2] - 1) // 2)
    # Cuts a few columns apart make the same pieces: of each run of close cuts, the one crossing
    # the least ink stays.
    kept: list[int] = []
    for x in sorted(found, key=lambda c: (column_ink[c], c)):
        if edge <= x <= w - edge and all(abs(x - k) > 0.06 * h for k in kept):
            kept.append(int(x))
    return sorted(kept)


def _lattice(ink: np.ndarray, x0: int, y0: int, scale: float = 1.0
             ) -> tuple[list[tuple[np.ndarray, tuple[int, int]]], list[tuple[int, int]]]:
    """Ways to cut a wide ink crop into touching digits, as a lattice: the crop's edges and its
    cuts (`_cuts`) are its nodes, and every stretch between two nodes that could hold one digit
    (at least 0.3 of the crop's height tall, at most 1.3 heights wide) is a piece. A way to read
    the crop as touching digits is a path of pieces from its left edge to its right one
    (`live.recognize.decide`). Returns the pieces (ink, top-left in working pixels; `scale`
    working pixels per ink pixel) and, for each, the nodes (i, j) it spans."""
    h, w = ink.shape
    nodes = [0] + _cuts(ink) + [w]
    pieces, spans = [], []
    for i in range(len(nodes) - 1):
        for j in range(i + 1, len(nodes)):
            a, b = nodes[i], nodes[j]
            if (i, j) == (0, len(nodes) - 1) or b - a > 1.3 * h:
                continue
            part, (px, py) = crop_to_ink(ink[:, a:b])
            if not part.any() or part.shape[0] < 0.3 * h:
                continue
            pieces.append((part, (x0 + int(round((a + px) * scale)), y0 + int(round(py * scale)))))
            spans.append((i, j))
    return pieces, spans


def _trim_tails(ink: np.ndarray, box: tuple[int, int, int, int], hairline: int
                ) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Cut off a stub of ruling left on either side of a digit: a run of columns holding only a
    hairline of ink, at least 0.4 digit heights long, that stays nearly level (a slanted 1 is thin
    too, but climbs steeply)."""
    x0, y0, w, h = box
    # A stub runs from the crop's edge for at least 0.4 h columns: where the column that far in
    # from either edge is no hairline (most digits), there is none, and the sums below are not
    # needed.
    k = math.ceil(0.4 * h) - 1
    if k >= w or not any(0 < cv2.countNonZero(ink[:, c]) <= hairline for c in (max(k, 0), w - 1 - max(k, 0))):
        return ink, box
    on = ink > 0
    counts = on.sum(axis=0)
    thin = (counts > 0) & (counts <= hairline)
    centre = (on * np.arange(h)[:, None]).sum(axis=0) / np.maximum(counts, 1)

    def tail(columns: np.ndarray) -> int:
        run = int(np.argmin(thin[columns])) if not thin[columns].all() else len(columns)
        if run < 0.4 * h:
            return 0
        level = centre[columns[:run]]
        # A run along the top row is a 5's or a 7's bar in a fine pen: digits sit on rulings
        # or are crossed by them, they do not hang from them.
        if level.mean() < 0.2 * h:
            return 0
        return run if np.ptp(level) <= 0.3 * run + 2 else 0

    left, right = tail(np.arange(w)), tail(np.arange(w)[::-1])
    # Two stubs with nothing but a gap between them are all there is: kept whole.
    if left == 0 and right == 0 or left + right >= w or not on[:, left:w - right].any():
        return ink, box
    ink, (dx, top) = crop_to_ink(ink[:, left:w - right])
    return ink, (x0 + left + dx, y0 + top, ink.shape[1], ink.shape[0])


class _Frame:
    """One grey working image and what every candidate cut from it needs: its local mean (for the
    faint rims), its component labels, and the map back to frame pixels."""

    def __init__(self, gray: np.ndarray, mean: np.ndarray, labels: np.ndarray, to_frame: np.ndarray,
                 hairline: int, cfg: SegmentConfig, light: Light | None = None) -> None:
        self.gray, self.mean, self.labels, self.to_frame, self.cfg = gray, mean, labels, to_frame, cfg
        self.hairline, self.light = hairline, light
        # The contexts cut so far and their boxes, while a fall-off of light is to be taken out
        # (`even_contexts`, once all of them are cut).
        self._contexts: list[np.ndarray] = []
        self._context_boxes: list[tuple[int, int, int, int]] = []
        self.pyramid = pyramid_of(gray)

    def candidate(self, ids: list[int], box: tuple[int, int, int, int]) -> Candidate:
        """The candidate made of components `ids` inside working box (x0, y0, x1, y1), with any
        stub of ruling trimmed off; a large one at a reduced size."""
        x0, y0, x1, y1 = box
        region = self.labels[y0:y1, x0:x1]
        ink = cv2.compare(region, ids[0], cv2.CMP_EQ)
        for other in ids[1:]:  # a union has two or three pieces: compares beat np.isin
            ink |= cv2.compare(region, other, cv2.CMP_EQ)
        longer = max(x1 - x0, y1 - y0)
        if longer <= LARGE_SIDE:
            return self.from_ink(ink, (x0, y0), self.hairline)
        f = LARGE_SIDE / longer
        size = (max(1, round((x1 - x0) * f)), max(1, round((y1 - y0) * f)))
        # Area-resampling then a low cut keeps a thin pen line as a line, as ink_to_patch does; a
        # hairline shrunk more than four times is fainter than the cut, and keeps half its peak.
        shrunk = shrink(ink, size)
        small = (shrunk > min(60, int(shrunk.max()) // 2)).view(np.uint8) * np.uint8(255)
        return self.from_ink(small, (x0, y0), scale=1 / f)

    def from_ink(self, ink: np.ndarray, at: tuple[int, int], trim: int = 0, scale: float = 1.0) -> Candidate:
        """A candidate of binary ink whose top-left lies at `at` (working pixels), `scale` working
        pixels per ink pixel. Full-size ink is trimmed of ruling stubs (when `trim`, the hairline)
        and takes its faint rim; ink of any size has its dark holes filled."""
        ink, (dx, dy) = crop_to_ink(ink)
        at = (at[0] + int(round(dx * scale)), at[1] + int(round(dy * scale)))
        box = (at[0], at[1], max(1, int(round(ink.shape[1] * scale))), max(1, int(round(ink.shape[0] * scale))))
        region = self.gray[box[1]:box[1] + box[3], box[0]:box[0] + box[2]]
        if scale == 1.0:
            if trim:
                ink, box = _trim_tails(ink, box, trim)
                region = self.gray[box[1]:box[1] + box[3], box[0]:box[0] + box[2]]
            ink = fill_dark_holes(ink, region)
            grown, ink_at = _grow_ink(ink, box, self.gray, self.mean, self.cfg)
        else:
            region = shrink(region, (ink.shape[1], ink.shape[0]))
            grown = ink = fill_dark_holes(ink, region)
            ink_at = at  # a rim of 2 px is nothing at this size
        context = context_crop(self.pyramid, box)
        if self.light is not None:
            self._contexts.append(context)
            self._context_boxes.append(box)
        return Candidate(self._box_in_frame(ink, box, scale), grown, context, ink_at, scale)

    def even_contexts(self) -> None:
        """Takes the frame's fall-off of light, if any, out of every context cut so far, at once."""
        if self.light is not None:
            self.light.flatten(self._contexts, self._context_boxes, self.to_frame)
            self._contexts, self._context_boxes = [], []

    def _box_in_frame(self, ink: np.ndarray, box: tuple[int, int, int, int], scale: float = 1.0
                      ) -> tuple[int, int, int, int]:
        """A working box in frame pixels. Under a turn, the box is that of the mapped ink pixels:
        the mapped corners of a box turned upright would inflate it by the tilt."""
        x, y, w, h = box
        m = self.to_frame
        if m[0, 1] == 0 and m[1, 0] == 0:  # a plain scale and shift: map the corners
            sx, sy, tx, ty = float(m[0, 0]), float(m[1, 1]), float(m[0, 2]), float(m[1, 2])
            return (int(round(x * sx + tx)), int(round(y * sy + ty)), max(1, int(round(w * sx))),
                    max(1, int(round(h * sy))))
        # An affine map's extremes over the ink lie at corners of its outer outlines: a few
        # points to map instead of every ink pixel.
        outlines, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        corners = np.concatenate(outlines).reshape(-1, 2)
        xs, ys = corners[:, 0], corners[:, 1]
        points = np.stack([xs * scale + x, ys * scale + y, np.ones_like(xs)], 1).astype(np.float64) @ m.T
        fx0, fy0 = np.floor(points.min(0)).astype(int)
        fx1, fy1 = np.ceil(points.max(0)).astype(int) + 1
        return int(fx0), int(fy0), int(fx1 - fx0), int(fy1 - fy0)


def segment(frame_bgr: np.ndarray, cfg: SegmentConfig = SegmentConfig(), tilt: float | None = None,
            around: Around | None = None, zoom: float = 1.0) -> Segmentation:
    """The proposals of a BGR (or grey) frame.

    When the text lines seem to tilt more than `cfg.min_rotate_deg`, the frame is also turned
    upright and segmented again (`Segmentation.turned`), so that merging, splitting and the
    patches can see upright digits. A few sparse digits fake a tilt as easily as a turned sheet
    shows one, so both readings go to the model, and the surer one is kept.

    Given `tilt` (radians: the lines' tilt as a recent frame of the same video was read), the frame
    is only turned upright by it and read that way, and given `around` too (where that frame's
    digits lay), only the part of it around them is turned.
    A `tilt` of 0 reads the frame only as it is, whatever its lines seem to do; given `around`
    too, only the part of it around those digits (`_part`). Such a read of a frame whose digits
    are all large is made at half the working size, and of one whose digits are small at up to
    twice it (`followed_scale`). `zoom` reads the frame at that many times the working size
    (`zoom_for`: a photo's small digits read again).
    """
    gray = frame_bgr if frame_bgr.ndim == 2 else cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
    scale = working_scale(gray.shape, cfg) * zoom
    if tilt is not None and around is not None and around.boxes:
        scale = followed_scale(scale, around)
    if scale != 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    short = min(gray.shape)
    to_frame = np.array([[1 / scale, 0, 0], [0, 1 / scale, 0]])
    light = light_of(gray, (frame_bgr.shape[1], frame_bgr.shape[0]))
    if tilt == 0.0:
        if around is not None and around.boxes:
            return _part(gray, short, to_frame, cfg, around, scale, light)
        return _segment_gray(gray, short, to_frame, cfg, light=light)
    if tilt is not None:
        return _turned(gray, short, to_frame, tilt, cfg, around, scale, light)
    found = _segment_gray(gray, short, to_frame, cfg, light=light)
    unit_boxes = np.array([p.candidates[0].box_xywh for p in found.proposals if len(p.atoms) == 1 and not p.is_split])
    angle = line_angle(unit_boxes.reshape(-1, 4))
    if abs(np.rad2deg(angle)) < cfg.min_rotate_deg:
        return found
    return replace(found, turned=_turned(gray, short, to_frame, angle, cfg, light=light))


def working_scale(shape: tuple[int, ...], cfg: SegmentConfig) -> float:
    """Working px per frame px of a frame of `shape` read whole: its longer side at most
    `cfg.work_max_side`."""
    return min(1.0, cfg.work_max_side / max(shape[:2]))


def zoom_for(heights: np.ndarray) -> float:
    """How many times the working size to read digits of `heights` (working px) at: enough that
    the middle one is 2 x DIGIT_BOX px tall, at most MAX_ZOOM times, and 1 where it is that tall
    already. A digit of fewer pixels comes apart at the threshold where its pen is thin and runs
    into its neighbours where they are close: pen strokes a pixel or two wide, and gaps as narrow,
    are at the mercy of every pixel, which a larger grey image, interpolated, smooths."""
    if len(heights) == 0:
        return 1.0
    return float(np.clip(2 * DIGIT_BOX / max(float(np.median(heights)), 1.0), 1.0, MAX_ZOOM))


def followed_scale(scale: float, around: Around) -> float:
    """The working scale (working px per frame px) for a read of only the part of a frame around
    the digits a recent read found: half of `scale` where even the smallest of them stays at
    least DIGIT_BOX px tall (twice that before halving), so that no patch is cut from fewer
    pixels than it has; `scale` times `zoom_for` their heights where they are small; and `scale`
    itself otherwise. A large frame of large digits holds four times the pixels its patches
    need, and most of a frame's segmenting cost grows with its area: for 1280x720 frames of
    60-80 px digits a followed read costs 8.5 instead of 14 ms."""
    heights = np.array([y1 - y0 for _, y0, _, y1 in around.boxes], np.float64) * scale
    return scale / 2 if heights.min() >= 2 * DIGIT_BOX else scale * zoom_for(heights)


def _part(gray: np.ndarray, short: int, to_frame: np.ndarray, cfg: SegmentConfig, around: Around,
          scale: float = 1.0, light: Light | None = None) -> Segmentation:
    """The proposals of the part of the working image (`scale` times the frame) that holds
    `around`'s boxes with its room on every side, boxes in frame pixels, the threshold's window
    sized from the whole image as a full read sizes it. A piece touching a side of the part
    that is not the frame's own side is cut there: it is not read, the next full read sees it
    whole. The mask comes back at the whole image's size, empty outside the part."""
    height, width = gray.shape
    corners = np.asarray(around.boxes, np.float64).reshape(-1, 2) * scale
    extent = _extent(corners, around.room * scale, (width, height))
    if extent is None:
        return _segment_gray(gray, short, to_frame, cfg, light=light)
    left, top, right, bottom = extent
    shifted = to_frame @ np.array([[1.0, 0.0, left], [0.0, 1.0, top], [0.0, 0.0, 1.0]])
    cut = (bool(left > 0), bool(top > 0), bool(right < width), bool(bottom < height))
    part = _segment_gray(np.ascontiguousarray(gray[top:bottom, left:right]), short, shifted, cfg, short,
                         cut_sides=cut, light=light)
    mask = np.zeros_like(gray)
    mask[top:bottom, left:right] = part.mask
    return replace(part, mask=mask)


def _extent(points: np.ndarray, room: float, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The box (left, top, right, bottom) around `points` (x, y in the first two columns) with
    `room` on every side, inside an image of `size` (w, h); None where less than 2 px remain."""
    left, top = np.clip(np.floor(points[:, :2].min(0) - room), 0, size).astype(int)
    right, bottom = np.clip(np.ceil(points[:, :2].max(0) + room), 0, size).astype(int)
    if right - left < 2 or bottom - top < 2:
        return None
    return int(left), int(top), int(right), int(bottom)


def _corners(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """The four corners of a box, as homogeneous points (4 x 3), to map through an affine turn."""
    return np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]], np.float64)


def _turned(gray: np.ndarray, short: int, to_frame: np.ndarray, angle: float, cfg: SegmentConfig,
            around: Around | None = None, scale: float = 1.0, light: Light | None = None) -> Segmentation:
    """The proposals of the working image (`scale` times the frame) turned by -`angle` (radians),
    boxes in frame pixels; given `around`, of only the part of the turned image that holds its
    boxes, with its room on every side. The boxes are placed in the turned image one by one, so
    the part is as tight as the upright lines of digits: a box around all of them, turned, would
    grow by the tilt (by half at 25 degrees). The threshold's window is sized from the whole
    turned image either way."""
    height, width = gray.shape
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), float(np.rad2deg(angle)), 1.0)
    corners = _corners(0, 0, width, height) @ turn.T
    turn[:, 2] -= corners.min(0)
    size = tuple(int(v) for v in np.ceil(corners.max(0) - corners.min(0)))
    block_side = min(size)
    if around is not None and around.boxes:
        mapped = np.concatenate([_corners(*box) for box in around.boxes]) * (scale, scale, 1) @ turn.T
        extent = _extent(mapped, around.room * scale, size)
        if extent is not None:
            left, top, right, bottom = extent
            turn[:, 2] -= (left, top)
            size = (right - left, bottom - top)
    upright = _warp_replicated(gray, turn, size)
    # Only pieces of the frame itself, turned, are read: the repeated edges around it hold no ink
    # of the frame, only streaks and specks of its edge pixels drawn out, which cost model calls (a
    # speck outside the frame split three ways: ten of a turned sheet's 25 candidates) and whose
    # boxes would lie outside the picture. The streaks stay in the mask: a sheet's outline that
    # runs into them is still one piece too large to read, not several pieces cut at the edge.
    frame_wh = (to_frame[0, 0] * width, to_frame[1, 1] * height)  # to_frame only scales
    turned = _segment_gray(upright, short, to_frame @ np.vstack([cv2.invertAffineTransform(turn), [0, 0, 1]]), cfg,
                           block_side, frame_wh, light=light)
    return replace(turned, angle=float(angle))


def _warp_replicated(gray: np.ndarray, turn: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`cv2.warpAffine` of `gray` by `turn` into `size` (w, h), the image's edge pixels repeated
    outwards: a constant border would become a frame of "ink". Where much of the output lies
    outside the image, OpenCV's own replicated border costs three to four times a constant one
    (16 against 4.5 ms for a 720p frame turned by 25 degrees), so the image is first padded by
    repeating its edges as far as the output reaches, and then warped with a constant border."""
    height, width = gray.shape
    out_w, out_h = size
    reach = _corners(0, 0, out_w, out_h) @ cv2.invertAffineTransform(turn).T
    left, top = (int(np.ceil(max(0.0, -v))) + 2 for v in reach.min(0))
    right = int(np.ceil(max(0.0, reach[:, 0].max() - width))) + 2
    bottom = int(np.ceil(max(0.0, reach[:, 1].max() - height))) + 2
    padded = cv2.copyMakeBorder(gray, top, bottom, left, right, cv2.BORDER_REPLICATE)
    shifted = turn.copy()
    shifted[:, 2] -= turn[:, :2] @ (left, top)
    return cv2.warpAffine(padded, shifted, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def _segment_gray(gray: np.ndarray, short: int, to_frame: np.ndarray, cfg: SegmentConfig,
                  block_side: int | None = None, frame_wh: tuple[float, float] | None = None,
                  cut_sides: tuple[bool, bool, bool, bool] = (False, False, False, False),
                  light: Light | None = None) -> Segmentation:
    """Proposals of a grey working image; sizes are relative to `short` px, boxes in frame pixels,
    the threshold's window to `block_side` (default: the image's shorter side); given the frame's
    size `frame_wh` (frame px), pieces whose centre lies outside the frame are not read, nor
    pieces touching a side (left, top, right, bottom) that `cut_sides` marks as cut from a larger
    image. The frame's fall-off of light `light`, if any, is taken out of the contexts."""
    # The smallest digit: a share of the frame, but never more than a readable digit's height,
    # so a sheet held far off, or a dark surround that widens the frame, keeps its small digits.
    min_h, max_h = min(cfg.min_height_frac * short, MIN_READABLE_HEIGHT), cfg.max_height_frac * short
    # Rulings are hairlines: erased where they join digits, trimmed where a stub clings to one.
    hairline = max(2, int(round(cfg.ruling_max_thickness_frac * short)))
    mean = local_mean(gray, cfg, block_side)
    mask = below(gray, mean, cfg.threshold_offset)
    labels, stats = _components(mask)
    if erase_rulings(mask, labels, stats, min_h, hairline, cfg):
        labels, stats = _components(mask)
    if fill_hollow_strokes(mask, stats, gray, window_side(gray, cfg, block_side), max_h):
        labels, stats = _components(mask)
    xs, ys, ws, hs, areas = stats[1:].T
    # Pieces worth considering: not specks, not larger than the largest digit.
    min_piece = max(2.0, 0.2 * min_h)
    keep = np.flatnonzero((np.maximum(ws, hs) >= min_piece) & (hs <= max_h) & (ws <= cfg.max_aspect * max_h)
                          & (areas >= 0.5 * min_piece))
    if frame_wh is not None:
        centres = np.stack([xs[keep] + ws[keep] / 2, ys[keep] + hs[keep] / 2, np.ones(len(keep))], 1) @ to_frame.T
        keep = keep[(centres >= 0).all(axis=1) & (centres[:, 0] < frame_wh[0]) & (centres[:, 1] < frame_wh[1])]
    if any(cut_sides):
        height, width = gray.shape
        touches = np.stack([xs[keep] == 0, ys[keep] == 0, xs[keep] + ws[keep] >= width, ys[keep] + hs[keep] >= height], 1)
        keep = keep[~(touches & np.array(cut_sides)).any(axis=1)]
    # A piece of digit height stands alone; the largest come first, and only `max_proposals` of
    # them (the rest of a frame of grass or gravel) are read.
    alone = (hs[keep] >= min_h) & (ws[keep] <= cfg.max_aspect * hs[keep])
    order = np.lexsort((-areas[keep], ~alone))[: cfg.max_proposals]
    keep, alone = keep[order], alone[order]
    boxes = np.stack([xs[keep], ys[keep], xs[keep] + ws[keep], ys[keep] + hs[keep]], 1).astype(np.int64)
    frame = _Frame(gray, mean, labels, to_frame, hairline, cfg, light)
    ids = keep + 1
    proposals: list[Proposal] = []
    for a in np.flatnonzero(alone):
        cand = frame.candidate([int(ids[a])], tuple(boxes[a].tolist()))
        proposals.append(Proposal((int(a),), (cand,)))
        if cand.ink.shape[1] > cfg.split_aspect * cand.ink.shape[0]:
            pieces, spans = _lattice(cand.ink, *cand.ink_at, cand.ink_scale)
            if pieces:
                proposals.append(Proposal((int(a),), tuple(frame.from_ink(ink, at, scale=cand.ink_scale)
                                                            for ink, at in pieces), tuple(spans)))
    anchors = hs[keep] >= 0.5 * min_h
    pairs = _pairs(boxes, anchors, cfg)
    for members in _groups(pairs, boxes, min_h, max_h, cfg):
        ux0, uy0 = boxes[list(members), :2].min(0)
        ux1, uy1 = boxes[list(members), 2:].max(0)
        cand = frame.candidate([int(ids[m]) for m in members], (int(ux0), int(uy0), int(ux1), int(uy1)))
        proposals.append(Proposal(tuple(int(m) for m in members), (cand,)))
    frame.even_contexts()
    ink = areas[keep].astype(np.float64)
    return Segmentation(proposals[: cfg.max_proposals], ink, alone, mask)


def _groups(pairs: list[tuple[int, int]], boxes: np.ndarray, min_h: float, max_h: float,
            cfg: SegmentConfig) -> list[tuple[int, ...]]:
    """Unions worth reading: the pairs, and groups of up to `max_group` pieces linked through them
    (a digit broken in three), whose union is of digit height, at most `union_max_aspect` times
    as wide as tall, and larger than its largest piece by `union_min_growth` (a speck inside a
    digit's box, or a digit inside a sheet's outline, adds nothing the model could read, and an
    outline costs as much as any candidate). Each piece keeps its `max_partners` most compact
    pairs: a textured frame links every speck to every other."""
    # Python lists: a busy frame checks thousands of unions of two or three boxes, where NumPy's
    # indexing costs ten times the arithmetic.
    listed = boxes.tolist()

    def plausible(members: tuple[int, ...]) -> tuple[bool, float]:
        own = [listed[m] for m in members]
        w = max(b[2] for b in own) - min(b[0] for b in own)
        h = max(b[3] for b in own) - min(b[1] for b in own)
        largest = max((b[2] - b[0]) * (b[3] - b[1]) for b in own)
        grows = w * h >= cfg.union_min_growth * largest
        return bool(min_h <= h <= max_h and w <= cfg.union_max_aspect * h and grows), float(w * h)

    sized = []
    for pair in set(pairs):
        ok, area = plausible(pair)
        if ok:
            sized.append((area, pair))
    partners: dict[int, list[int]] = {}
    kept: set[tuple[int, ...]] = set()
    for _, (i, j) in sorted(sized):
        if len(partners.setdefault(i, [])) < cfg.max_partners and len(partners.setdefault(j, [])) < cfg.max_partners:
            partners[i].append(j)
            partners[j].append(i)
            kept.add((i, j))
    frontier = set(kept)
    for _ in range(cfg.max_group - 2):
        grown = set()
        for group in frontier:
            for m in group:
                for n in partners[m]:
                    if n not in group:
                        bigger = tuple(sorted(group + (n,)))
                        if bigger not in kept and plausible(bigger)[0]:
                            grown.add(bigger)
        kept |= grown
        frontier = grown
    return sorted(kept, key=lambda g: (len(g), g))
