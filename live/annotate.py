"""Pure drawing: (frame, detections) -> annotated frame; plus the debug view's mask and patches.

Tags are one size on screen (`view_scale` says how many screen pixels one frame pixel becomes),
and laid out so that no tag covers another.
"""
from __future__ import annotations

import functools

import cv2
import numpy as np

from live.config import ViewConfig
from live.detections import Detections
from live.reading import Number, reading_order

FONT = cv2.FONT_HERSHEY_SIMPLEX
# FONT_HERSHEY_SIMPLEX at scale 1 draws digits about this many pixels tall.
FONT_PX_AT_SCALE_1 = 22
SURE_BGR, UNSURE_BGR, NUMBER_BGR = (60, 200, 60), (170, 170, 170), (255, 160, 0)
TEXT_BGR = (0, 0, 0)
Rect = tuple[int, int, int, int]  # x0, y0, x1, y1, exclusive


def _covered(rect: Rect, rects: list[Rect]) -> int:
    """The area `rect` shares with each of `rects`, summed; written out without a call per
    rectangle, since every frame asks it of each tag's first spot against every box and tag."""
    x0, y0, x1, y1 = rect
    total = 0
    for a0, b0, a1, b1 in rects:
        width = (x1 if x1 < a1 else a1) - (x0 if x0 > a0 else a0)
        if width > 0:
            height = (y1 if y1 < b1 else b1) - (y0 if y0 > b0 else b0)
            if height > 0:
                total += width * height
    return total


def _tag_size(text: str, px: float) -> tuple[int, int, float, int]:
    """(width, height, font scale, thickness) of a tag whose digits are `px` tall."""
    scale = px / FONT_PX_AT_SCALE_1
    thickness = max(1, int(round(px / 12)))
    (tw, th), _ = cv2.getTextSize(text, FONT, scale, thickness)
    pad = max(2, int(px * 0.2))
    return tw + 2 * pad, th + 2 * pad, scale, thickness


def place_tag(size_wh: tuple[int, int], anchor: Rect, placed: list[Rect], frame_wh: tuple[int, int],
              avoid: list[Rect] = (), number: bool = False) -> Rect:
    """Where a tag of `size_wh` goes for the box `anchor`. A digit's tag: above the box, else
    below, moving away from it up to three tag heights, else inside its top. A number's tag:
    at the end of its line (right of the box), else just below or above it, then further
    away. The first spot that covers no placed tag (nor, if it can, anything in `avoid`) wins;
    when every spot collides, the one covering the least."""
    w, h = size_wh
    fw, fh = frame_wh
    x0, y0, x1, y1 = anchor
    left = min(max(0, x0), max(0, fw - w))
    spots = [(x1 + 2, (y0 + y1 - h) // 2)] if number else []
    for step in range(4):
        above, below = (left, y0 - h - 1 - step * h), (left, y1 + 1 + step * h)  # moving away
        spots += [below, above] if number else [above, below]
    spots.append((left, y0))  # inside the box's top: covers the digit a little, no tag
    best, best_cost = None, None
    for x, y in spots:
        if y < 0 or y + h > fh or x + w > fw:
            continue
        rect = (x, y, x + w, y + h)
        cost = (_covered(rect, placed), _covered(rect, avoid))
        if cost == (0, 0):
            return rect
        if best_cost is None or cost < best_cost:
            best, best_cost = rect, cost
    if best is None:  # a tag taller than the frame: pin it to the top
        best = (left, 0, left + w, h)
    return best


def _draw_tag(img: np.ndarray, rect: Rect, text: str, color: tuple, scale: float, thickness: int) -> None:
    x0, y0, x1, y1 = rect
    cv2.rectangle(img, (x0, y0), (x1 - 1, y1 - 1), color, -1)
    (_, th), _ = cv2.getTextSize(text, FONT, scale, thickness)
    pad = (y1 - y0 - th) // 2
    cv2.putText(img, text, (x0 + pad, y1 - pad), FONT, scale, TEXT_BGR, thickness, cv2.LINE_AA)


def _corner_text(img: np.ndarray, text: str, x: int, y: int, px: float, color: tuple) -> Rect:
    """A plain tag whose top-left corner is at (x, y); returns its rectangle."""
    w, h, scale, thickness = _tag_size(text, px)
    rect = (x, y, x + w, y + h)
    _draw_tag(img, rect, text, color, scale, thickness)
    return rect


@functools.lru_cache(maxsize=8)
def _legend_panel(px: float) -> np.ndarray:
    """What the colours mean, as a small panel: drawn once per tag size, pasted on every frame."""
    entries = [("7 0.98  sure digit", SURE_BGR), ("7? 0.41  unsure", UNSURE_BGR), ("42  number", NUMBER_BGR)]
    sizes = [_tag_size(text, px) for text, _ in entries]
    gap = 2
    panel = np.full((sum(s[1] + gap for s in sizes) + gap, max(s[0] for s in sizes) + 2 * gap, 3), 40, np.uint8)
    y = gap
    for (text, color), (w, h, scale, thickness) in zip(entries, sizes):
        _draw_tag(panel, (gap, y, gap + w, y + h), text, color, scale, thickness)
        y += h + gap
    panel.flags.writeable = False
    return panel


def legend(img: np.ndarray, px: float) -> None:
    """The colour legend in the bottom-left corner, when the frame has room for it."""
    panel = _legend_panel(round(px, 1))
    h, w = panel.shape[:2]
    if h + 4 <= img.shape[0] and w + 4 <= img.shape[1]:
        img[-h - 4:-4, 4:4 + w] = panel


def annotate(frame_bgr: np.ndarray, dets: Detections, numbers: list[Number], min_confidence: float,
             fps: float | None = None, recording: bool = False, *, paused: bool = False,
             view_scale: float | None = None, show_legend: bool = True, view: ViewConfig = ViewConfig(),
             ) -> np.ndarray:
    """Boxes with digit and confidence (unsure ones grey with '?'), numbers of two or more digits
    in blue, FPS, a REC dot, a PAUSED mark and the colour legend. `view_scale` is the size of a
    frame pixel on screen, so tags are `view.tag_px` tall there; by default, the scale of the
    frame fitted into the window."""
    out = frame_bgr.copy()
    fh, fw = out.shape[:2]
    if view_scale is None:
        view_scale = window_scale((fw, fh), view.max_window_wh)
    px = view.tag_px / max(view_scale, 1e-6)
    line = max(1, int(round(px / 8)))
    placed: list[Rect] = []
    boxes = [(int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in dets.boxes_xywh]
    # Top to bottom, so each row's tags go down before the row below takes its place.
    for i in sorted(range(len(dets)), key=lambda k: (boxes[k][1], boxes[k][0])):
        label, conf = int(dets.labels[i]), float(dets.confidences[i])
        sure = conf >= min_confidence
        color = SURE_BGR if sure else UNSURE_BGR
        cv2.rectangle(out, boxes[i][:2], boxes[i][2:], color, line)
        text = f"{label} {conf:.2f}" if sure else f"{label}? {conf:.2f}"
        w, h, scale, thickness = _tag_size(text, px)
        rect = place_tag((w, h), boxes[i], placed, (fw, fh), avoid=boxes)
        _draw_tag(out, rect, text, color, scale, thickness)
        placed.append(rect)
    for number in numbers:
        if len(number.text) < 2:  # a lone digit's own tag says it already
            continue
        x, y, w, h = number.box_xywh
        tw, th, scale, thickness = _tag_size(number.text, px)
        rect = place_tag((tw, th), (x, y, x + w, y + h), placed, (fw, fh), avoid=boxes, number=True)
        _draw_tag(out, rect, number.text, NUMBER_BGR, scale, thickness)
        placed.append(rect)
    if fps is not None:
        _corner_text(out, f"{fps:5.1f} fps", 4, 4, px, (255, 255, 255))
    if recording:
        radius = int(px * 0.6)
        cv2.circle(out, (fw - 3 * radius, 3 * radius), radius, (0, 0, 255), -1)
    if paused:
        text = "PAUSED"
        w, h, scale, thickness = _tag_size(text, px * 1.5)
        rect = ((fw - w) // 2, 4, (fw + w) // 2, 4 + h)
        _draw_tag(out, rect, text, (0, 215, 255), scale, thickness)
    if show_legend:
        legend(out, px)
    return out


def patch_panel(patches: np.ndarray, labels: np.ndarray, confidences: np.ndarray, width: int, height: int,
                ) -> np.ndarray:
    """The 28x28 patches the model read, enlarged in a grid of `width`x`height` with each label
    and confidence written under its patch (BGR). Cells shrink to fit every patch; below
    28 px a cell would be smaller than what the model saw, so extra patches are counted instead."""
    panel = np.full((height, width, 3), 40, np.uint8)
    n = len(patches)
    if n == 0:
        cv2.putText(panel, "no candidates", (6, 20), FONT, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        return panel
    label_h = 24
    cell = 84
    while cell > 28:
        columns = max(1, width // cell)
        rows = -(-n // columns)
        if rows * (cell + label_h) <= height:
            break
        cell -= 4
    columns = max(1, width // cell)
    fits = (height // (cell + label_h)) * columns
    for i, (patch, label, conf) in enumerate(zip(patches[:fits], labels, confidences)):
        r, c = divmod(i, columns)
        x, y = c * cell, r * (cell + label_h)
        tile = cv2.resize((patch[..., 0] * 255).astype(np.uint8), (cell - 2, cell - 2), interpolation=cv2.INTER_NEAREST)
        panel[y:y + cell - 2, x:x + cell - 2] = tile[..., None]
        cv2.putText(panel, f"{int(label)} {conf:.2f}", (x + 2, y + cell + label_h - 5), FONT, 0.6,
                    (0, 255, 255), 1, cv2.LINE_AA)
    if n > fits:
        cv2.putText(panel, f"+{n - fits} more", (6, height - 6), FONT, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return panel


def debug_layout(frame_wh: tuple[int, int], view: ViewConfig = ViewConfig()) -> tuple[tuple[int, int], int]:
    """The debug view's picture size (the frame enlarged to the window's height when smaller)
    and the width of the panel beside it: a third of the picture, at least 300 px."""
    width, height = frame_wh
    target = view.max_window_wh[1]
    if height < target:
        width, height = int(round(width * target / height)), target
    return (width, height), max(300, width // 3)


def debug_view(annotated: np.ndarray, mask: np.ndarray, dets: Detections, patches: np.ndarray,
               view: ViewConfig = ViewConfig()) -> np.ndarray:
    """The annotated picture (enlarged when small) with a panel beside it: the threshold mask on
    top, the patches the model read below it, in reading order with their labels."""
    size_wh, panel_w = debug_layout((annotated.shape[1], annotated.shape[0]), view)
    picture = annotated
    if size_wh != (annotated.shape[1], annotated.shape[0]):
        picture = cv2.resize(annotated, size_wh, interpolation=cv2.INTER_LINEAR)
    height, width = picture.shape[:2]
    mask_h = min(height // 3, max(1, mask.shape[0] * panel_w // max(1, mask.shape[1])))
    mask_w = max(1, mask.shape[1] * mask_h // max(1, mask.shape[0]))
    panel = np.full((height, panel_w, 3), 40, np.uint8)
    panel[:mask_h, :mask_w] = cv2.resize(mask, (mask_w, mask_h), interpolation=cv2.INTER_AREA)[..., None]
    if len(patches) == len(dets):
        order = np.array(reading_order(dets.boxes_xywh), np.int64)
        patches, labels, confs = patches[order], dets.labels[order], dets.confidences[order]
    else:  # patches that are not one per detection cannot be labelled; show them unlabelled
        labels, confs = np.full(len(patches), -1), np.zeros(len(patches))
    panel[mask_h + 4:] = patch_panel(patches, labels, confs, panel_w, height - mask_h - 4)
    return np.hstack([picture, panel])


def fit_to_window(image_bgr: np.ndarray, max_wh: tuple[int, int]) -> np.ndarray:
    """The image scaled down (never up) to fit within max_wh, keeping its aspect ratio."""
    h, w = image_bgr.shape[:2]
    factor = window_scale((w, h), max_wh)
    if factor >= 1.0:
        return image_bgr
    return cv2.resize(image_bgr, (max(1, int(w * factor)), max(1, int(h * factor))), interpolation=cv2.INTER_AREA)


def window_scale(frame_wh: tuple[int, int], max_wh: tuple[int, int]) -> float:
    """Screen pixels per frame pixel when a frame of frame_wh is fitted into max_wh."""
    return min(1.0, max_wh[0] / frame_wh[0], max_wh[1] / frame_wh[1])
