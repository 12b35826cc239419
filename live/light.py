"""A lens's fall-off of light toward the corners (vignetting): its model, its estimate from a
frame, and the contexts it is taken out of.

A laptop webcam darkens its corners to 0.4-0.7 of the centre. The threshold does not mind (it is
local), but a candidate's context does: a sheet held close, filling the frame, then shows paper
darkening toward the edge, which is what the paper's edge against a dark surround looks like, and
the model vetoes digits near the corners that it reads surely in the middle. So the fall-off is
estimated from the frame's light against the distance from its centre and taken out of every
context, in frame coordinates (`Light.flatten`), as it would be out of the frame itself, at a
fraction of the cost.

Brightness alone cannot always tell a lens from a surround. A frame with a ring around its
centre half paper, half dark (a sheet on a dark desk, held up before dark clothes), or darker at
its corners than no light at all, keeps its contexts as they are. A lighter surround (a grey
wall, a wooden desk) passes for a fall-off and is lightened toward the corners with the rest;
the rendered scenes, most of them sheets on such surfaces, read the same either way.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from live.contract import CONTEXT_SCALE, CONTEXT_SIZE

# The deepest fall-off a lens gives in the corners (1 - this of the centre's light), as training's
# frames are vignetted (live.backdrops.vignette); an estimate is never taken beyond it.
DEEPEST_FALL_OFF = 0.65
# The estimate: the frame sampled about ESTIMATE_SIDE px along its longer side, its ink lifted to
# the paper by a grey closing, then cells of 4x4 samples, grouped by distance from the centre into
# RINGS of equal cell count to check that each is lit evenly; the fall-off is then the straight
# line through the cells' light against the lens model's squared radius.
ESTIMATE_SIDE, RINGS = 128, 6
# A ring lit evenly: its darker fifth of cells at least this share of its brighter fifth. Over the
# tuning photos, with their own light and their webcam's fall-off or another 0.5, rings keep
# 0.43-0.96; where a dark desk or surround fills part of a ring, 0.11-0.40.
EVEN_RING = 0.4
# A fall-off shallower than this is left alone: it changes no reading, and costs nothing so.
LEAST_FALL_OFF = 0.05
# Corners darker than no light at all, on the line through the cells: no lens does that, a dark
# surround all around the sheet does (1.24-1.44 over the tuning photos framed so, against at most
# 0.96 for their own webcam's fall-off deepened by another 0.5, and 1.13 by another 0.8).
NO_LENS = 1.0


def fall_off(width: int, height: int, deepest: float, power: float = 1.0) -> np.ndarray:
    """A lens's fall-off of light toward the corners: a gain from 1 at the centre down to 1 -
    `deepest` in the corners (1 - `deepest` / 2 ** `power` at the middle of each side)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    return _gain(xx, yy, width, height, deepest, power)


def _gain(xs: np.ndarray, ys: np.ndarray, width: float, height: float, deepest: float, power: float = 1.0
          ) -> np.ndarray:
    return 1.0 - deepest * _rho(xs, ys, width, height) ** power


def _rho(xs: np.ndarray, ys: np.ndarray, width: float, height: float) -> np.ndarray:
    """The lens model's squared radius at points (xs, ys) of a width x height picture: 0 at the
    centre, 1/2 at the middle of each side, 1 in the corners."""
    r2 = ((xs - width / 2) / (width / 2)) ** 2 + ((ys - height / 2) / (height / 2)) ** 2
    return np.clip(r2 / 2, 0, 1)


def estimate_fall_off(gray: np.ndarray) -> float:
    """The lens fall-off (`deepest` of `fall_off`) of a grey frame, 0 where its rings are not
    evenly lit paper or it is shallower than LEAST_FALL_OFF."""
    # Every step-th pixel, not an average: the closing lifts ink to the paper around it either
    # way, and sampling costs a hundredth of averaging a 1280x720 frame.
    step = max(1, max(gray.shape) // ESTIMATE_SIDE)
    small = np.ascontiguousarray(gray[step // 2::step, step // 2::step])
    if min(small.shape) < 4 * 4:
        return 0.0  # too small a picture to tell its light from its content
    # A grey closing lifts strokes up to a 20th of the width to the paper around them, and gives
    # a smooth fall-off back as it was (a dilation alone would bring the centre's light outward).
    small = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    cells = cv2.resize(small, (small.shape[1] // 4, small.shape[0] // 4), interpolation=cv2.INTER_AREA)
    rho, order, edges = _rings(cells.shape)
    light = cells.reshape(-1)[order]
    for a, b in zip(edges[:-1], edges[1:]):
        ring = np.sort(light[a:b])
        if ring[(b - a - 1) // 5] < EVEN_RING * ring[(b - a - 1) * 4 // 5]:
            return 0.0
    slope, centre = np.polyfit(rho, light.astype(np.float64), 1)
    deepest = -slope / max(centre, 1.0)
    if deepest > NO_LENS or deepest < LEAST_FALL_OFF:
        return 0.0
    return float(min(deepest, DEEPEST_FALL_OFF))


_RINGS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _rings(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a grid of cells: the lens model's squared radius of each cell (sorted), the cells'
    order by it, and the bounds of RINGS runs of equal count."""
    if shape not in _RINGS:
        h, w = shape
        yy, xx = np.mgrid[0:h, 0:w] + 0.5
        rho = _rho(xx, yy, w, h).reshape(-1)
        order = np.argsort(rho, kind="stable")
        _RINGS[shape] = (rho[order], order, np.linspace(0, h * w, RINGS + 1).round().astype(int))
    return _RINGS[shape]


@dataclass(frozen=True)
class Light:
    """A frame's fall-off (`deepest`, as `fall_off`) and its size (frame px)."""

    deepest: float
    frame_wh: tuple[int, int]

    def flatten(self, contexts: list[np.ndarray], boxes: list[tuple[int, int, int, int]], to_frame: np.ndarray) -> None:
        """Takes the fall-off out of `contexts` (grey uint8, CONTEXT_SIZE square), in place, each
        cut around its working box (x, y, w, h) as `live.segment.context_crop` cuts it; `to_frame`
        maps working to frame pixels. All at once: the frame's few dozen contexts cost what one
        would, one by one."""
        if not contexts:
            return
        x, y, w, h = np.asarray(boxes, np.float32).T
        side = np.maximum(np.float32(8), np.float32(CONTEXT_SCALE) * np.maximum(w, h))[:, None]
        offsets = _STEPS[None, :] * side - side / 2
        wx, wy = offsets + (x + w / 2)[:, None], offsets + (y + h / 2)[:, None]  # (N, CONTEXT_SIZE)
        m, (width, height) = to_frame.astype(np.float32), self.frame_wh
        # Beyond the frame's edge the context repeats the edge's pixels, and their light; inside
        # it, the lens's squared radius is at most 2, so its clip is never reached.
        if m[0, 1] == 0 and m[1, 0] == 0:  # a plain scale and shift: the gain splits by axis
            fx = np.clip(wx * m[0, 0] + m[0, 2], 0, width)
            fy = np.clip(wy * m[1, 1] + m[1, 2], 0, height)
            along_x = np.float32(self.deepest / 2) * ((fx - width / 2) / (width / 2)) ** 2
            along_y = np.float32(self.deepest / 2) * ((fy - height / 2) / (height / 2)) ** 2
            gain = np.float32(1) - along_x[:, None, :] - along_y[:, :, None]
        else:
            fx = np.clip(m[0, 0] * wx[:, None, :] + (m[0, 1] * wy + m[0, 2])[:, :, None], 0, width)
            fy = np.clip(m[1, 0] * wx[:, None, :] + (m[1, 1] * wy + m[1, 2])[:, :, None], 0, height)
            gain = _gain(fx, fy, width, height, self.deepest)
        flat = cv2.convertScaleAbs((np.stack(contexts) / gain).reshape(-1, CONTEXT_SIZE))
        for context, evened in zip(contexts, flat.reshape(-1, CONTEXT_SIZE, CONTEXT_SIZE)):
            context[...] = evened


# A context's pixel centres, as shares of its side.
_STEPS = ((np.arange(CONTEXT_SIZE) + 0.5) / CONTEXT_SIZE).astype(np.float32)


def light_of(gray: np.ndarray, frame_wh: tuple[int, int]) -> Light | None:
    """The fall-off of a working image `gray` of a frame of `frame_wh` px, if any."""
    deepest = estimate_fall_off(gray)
    return Light(deepest, frame_wh) if deepest > 0 else None

