"""Pure drawing: (frame, detections) -> annotated frame; plus the debug mask and patch mosaic."""
from __future__ import annotations

import cv2
import numpy as np

from live.detections import Detections
from live.reading import Number

FONT = cv2.FONT_HERSHEY_SIMPLEX
SURE_BGR, UNSURE_BGR, NUMBER_BGR = (60, 200, 60), (150, 150, 150), (255, 160, 0)


def _label(img: np.ndarray, text: str, x: int, y: int, color: tuple, scale: float) -> None:
    thickness = max(1, int(round(scale * 2)))
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thickness)
    y = max(th + base, y)
    cv2.rectangle(img, (x, y - th - base), (x + tw + 2, y), color, -1)
    cv2.putText(img, text, (x + 1, y - base // 2), FONT, scale, (0, 0, 0), thickness, cv2.LINE_AA)


def annotate(frame_bgr: np.ndarray, dets: Detections, numbers: list[Number], min_confidence: float,
             fps: float | None = None, recording: bool = False) -> np.ndarray:
    """Boxes with digit and confidence (uncertain ones grey with '?'), numbers, FPS, REC mark."""
    out = frame_bgr.copy()
    scale = max(0.4, min(out.shape[:2]) / 900)
    for (x, y, w, h), label, conf in zip(dets.boxes_xywh, dets.labels, dets.confidences):
        sure = conf >= min_confidence
        color = SURE_BGR if sure else UNSURE_BGR
        cv2.rectangle(out, (int(x), int(y)), (int(x + w), int(y + h)), color, max(1, int(scale * 2)))
        text = f"{label} {conf:.2f}" if sure else f"{label}? {conf:.2f}"
        _label(out, text, int(x), int(y) - 2, color, 0.5 * scale)
    for number in numbers:
        if len(number.text) > 1:
            x, y, w, h = number.box_xywh
            _label(out, number.text, x, y + h + int(28 * scale), NUMBER_BGR, 0.7 * scale)
    if fps is not None:
        _label(out, f"{fps:5.1f} fps", 8, int(30 * scale), (255, 255, 255), 0.6 * scale)
    if recording:
        cv2.circle(out, (out.shape[1] - int(20 * scale), int(20 * scale)), int(8 * scale), (0, 0, 255), -1)
    return out


def patch_mosaic(patches: np.ndarray, labels: np.ndarray, columns: int = 8, cell: int = 56) -> np.ndarray:
    """The 28x28 patches the model read, enlarged in a grid with their labels (BGR)."""
    rows = max(1, int(np.ceil(len(patches) / columns)))
    mosaic = np.zeros((rows * cell, columns * cell, 3), np.uint8)
    for i, (patch, label) in enumerate(zip(patches, labels)):
        r, c = divmod(i, columns)
        tile = cv2.resize((patch[..., 0] * 255).astype(np.uint8), (cell, cell), interpolation=cv2.INTER_NEAREST)
        mosaic[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell] = tile[..., None]
        cv2.putText(mosaic, str(label), (c * cell + 2, r * cell + 12), FONT, 0.4, (0, 255, 255), 1)
    return mosaic


def debug_view(annotated: np.ndarray, mask: np.ndarray, patches: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The annotated frame with the threshold mask inset top right and the patches bottom left."""
    out = annotated.copy()
    height, width = out.shape[:2]
    inset_w = width // 5
    small = cv2.resize(mask, (inset_w, max(1, mask.shape[0] * inset_w // mask.shape[1])))[: height // 2]
    out[: small.shape[0], width - inset_w:] = small[..., None]
    cell = max(28, min(56, height // 12))
    mosaic = patch_mosaic(patches, labels, columns=max(1, (width // 2) // cell), cell=cell)
    mh, mw = min(mosaic.shape[0], height // 2), min(mosaic.shape[1], width)
    out[height - mh:, :mw] = mosaic[:mh, :mw]
    return out
