"""One frame -> its digits: segment, build patches, one batched model call, resolve touching digits.

The loop and `live.predict` both call `Recognizer`, so a photo and a video frame are read the same
way. A video is read through `recognize_stream`, which overlaps the two halves of the work on the
two cores: while the model reads frame N, frame N+1 is segmented.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable, Iterator

import cv2
import numpy as np

from live.classifier import Classifier, best_digit
from live.config import SegmentConfig
from live.detections import Detections
from live.patches import make_patches
from live.segment import Candidate, Segmentation, segment


@dataclass(frozen=True)
class Recognition:
    detections: Detections
    mask: np.ndarray  # threshold mask (working resolution), for the debug view
    patches: np.ndarray  # the (N, 28, 28, 1) patches of the kept detections, as the model saw them


@dataclass(frozen=True)
class _Prepared:
    segmentation: Segmentation
    items: list[Candidate]  # each candidate followed by the pieces of each of its splits
    patches: np.ndarray


class Recognizer:
    def __init__(self, classifier: Classifier, segment_cfg: SegmentConfig = SegmentConfig()) -> None:
        self.classifier = classifier
        self.segment_cfg = segment_cfg

    def __call__(self, frame_bgr: np.ndarray) -> Recognition:
        return self.read(self.prepare(frame_bgr))

    def prepare(self, frame_bgr: np.ndarray) -> _Prepared:
        """The image half: candidates and their patches (OpenCV and NumPy only)."""
        seg = segment(frame_bgr, self.segment_cfg)
        # Wholes and split pieces go into the same batch: still one model call per frame.
        items = []
        for cand in seg.candidates:
            items.append(cand)
            for pieces in cand.splits:
                items.extend(pieces)
        items.extend(join.union for join in seg.joins)  # last, in the order of seg.joins
        return _Prepared(seg, items, make_patches([c.ink for c in items]))

    def read(self, prepared: _Prepared) -> Recognition:
        """The model half: one batched call, then whole-or-split decisions."""
        seg, items, patches = prepared.segmentation, prepared.items, prepared.patches
        probs = self.classifier.probabilities(patches)
        labels, confs, is_digit = best_digit(probs, self.classifier.has_reject)
        cfg = self.segment_cfg
        keep: list[int] = []
        rejected: list[int] = []  # candidates read as not a digit, letters among them
        taken: list[tuple[int, list[int]]] = []  # (whole, pieces) of each split that won
        wholes: list[int] = []  # each candidate's own item
        i = 0
        for cand in seg.candidates:
            whole = i
            wholes.append(whole)
            i += 1
            best, best_score = None, float(confs[whole]) if is_digit[whole] else 0.0
            for pieces in cand.splits:
                indices = list(range(i, i + len(pieces)))
                i += len(pieces)
                score = _split_score(indices, labels, confs, is_digit, cfg.split_min_confidence,
                                     cfg.split_one_min_confidence)
                if score > best_score:
                    best, best_score = indices, score
            if best is not None:
                taken.append((whole, best))
            elif is_digit[whole]:
                keep.append(whole)
            else:
                rejected.append(whole)
        joined = self._joined(seg, wholes, items, labels, confs, is_digit, rejected)
        if joined:
            used = {m for _, members in joined for m in members}
            keep = [k for k in keep if k not in used] + [union for union, _ in joined]
            rejected = [r for r in rejected if r not in used]
            taken = [(whole, pieces) for whole, pieces in taken if whole not in used]
        for whole, pieces in taken:
            # A bold n is a 1 and a 7 joined at the top; beside the rejected letters of its word
            # it stays one candidate. Touching digits of a number stand beside digits.
            if _in_word(items[whole].box_xywh, items, rejected):
                (keep if is_digit[whole] else rejected).append(whole)
            else:
                keep.extend(pieces)
        keep = _outside_words(keep, rejected, items, confs, cfg.word_min_confidence)
        keep_arr = np.array(keep, np.int64)
        detections = Detections.untracked([items[k].box_xywh for k in keep], labels[keep_arr], confs[keep_arr])
        return Recognition(detections, seg.mask, patches[keep_arr])


    def _joined(self, seg: Segmentation, wholes: list[int], items: list[Candidate], labels: np.ndarray,
                confs: np.ndarray, is_digit: np.ndarray, rejected: list[int]) -> list[tuple[int, list[int]]]:
        """(union item, member items) of each join taken: its union reads as a digit at least
        `join_min_confidence` surely, more surely than its pieces read as separate digits, and
        not in a word. Surest unions first; a piece joins at most once.

        A union must not swallow a digit. A piece read as another digit than the union, a 1
        aside (every broken stroke reads as one), must be unsure of it (below `join_piece_sure`);
        and when a piece already reads as the union's digit, the others may only be 1s or not
        digits at all: a small 8 beside a 7 joined with it still reads as 7. Pieces that are
        all rejected join only one above the other (a 5's bar and body): side by side on a line
        they are letters of a word ("uk" read as 4).
        """
        cfg = self.segment_cfg
        first = len(items) - len(seg.joins)  # the unions close the batch
        unions = first + np.arange(len(seg.joins))
        order = unions[np.argsort(-confs[unions], kind="stable")] if len(unions) else unions
        taken: list[tuple[int, list[int]]] = []
        used: set[int] = set()
        for union in order:
            members = [wholes[m] for m in seg.joins[union - first].members]
            if not is_digit[union] or confs[union] < cfg.join_min_confidence or used.intersection(members):
                continue
            same = [m for m in members if is_digit[m] and labels[m] == labels[union]]
            others = [m for m in members if m not in same]
            if any(is_digit[m] and labels[m] != 1 and (same or confs[m] >= cfg.join_piece_sure) for m in others):
                continue
            if not any(is_digit[m] for m in members) and _side_by_side([items[m].box_xywh for m in members]):
                continue
            if confs[union] <= _pieces_score(members, labels, confs, is_digit, cfg.split_min_confidence,
                                             cfg.split_one_min_confidence):
                continue
            if _in_word(items[union].box_xywh, items, [r for r in rejected if r not in members]):
                continue
            used.update(members)
            taken.append((int(union), members))
        return taken


def _side_by_side(boxes: list[tuple[int, int, int, int]]) -> bool:
    """Whether two boxes stand on one line: overlapping vertically by half the shorter one."""
    (_, y0, _, h0), (_, y1, _, h1) = boxes
    return min(y0 + h0, y1 + h1) - max(y0, y1) >= 0.5 * min(h0, h1)


def _outside_words(keep: list[int], rejected: list[int], items: list[Candidate], confs: np.ndarray,
                   min_confidence: float) -> list[int]:
    """Drop unsure digits that stand in a word (see `_in_word`). A printed y reads as a 4 and an a
    as a 2, but in "day" their neighbours are letters the model rejects; the digits of a number
    stand beside digits."""
    return [k for k in keep if confs[k] >= min_confidence or not _in_word(items[k].box_xywh, items, rejected)]


def _in_word(box: tuple[int, int, int, int], items: list[Candidate], rejected: list[int]) -> bool:
    """Whether a rejected candidate of like height stands beside `box` on its line, within half
    its height."""
    if not rejected:
        return False
    x, y, w, h = box
    others = np.array([items[r].box_xywh for r in rejected], np.float64)
    overlap_y = np.minimum(y + h, others[:, 1] + others[:, 3]) - np.maximum(y, others[:, 1])
    gap_x = np.maximum(others[:, 0] - (x + w), x - (others[:, 0] + others[:, 2]))
    ratio = others[:, 3] / h
    return bool(((overlap_y >= 0.5 * np.minimum(h, others[:, 3])) & (gap_x <= 0.5 * h)
                 & (ratio >= 0.5) & (ratio <= 2.0)).any())


def _split_score(pieces: list[int], labels: np.ndarray, confs: np.ndarray, is_digit: np.ndarray,
                 min_confidence: float, one_min_confidence: float) -> float:
    """How surely a split reads as separate digits (geometric mean of the pieces' confidence),
    0 when any piece is not surely a digit (a piece read as 1 needs `one_min_confidence`). A split
    wins over the whole when it scores higher.

    Cutting a letter (u, V, x, A) or a drawn box in two gives strokes that read as confident 1s,
    so a split into nothing but 1s scores 0: two touching 1s are rare, cut letters are not.
    """
    if all(labels[p] == 1 for p in pieces):
        return 0.0
    return _pieces_score(pieces, labels, confs, is_digit, min_confidence, one_min_confidence)


def _pieces_score(pieces: list[int], labels: np.ndarray, confs: np.ndarray, is_digit: np.ndarray,
                  min_confidence: float, one_min_confidence: float) -> float:
    """Geometric mean of the pieces' confidence, 0 unless every piece is surely a digit."""
    if not all(is_digit[p] and confs[p] >= (one_min_confidence if labels[p] == 1 else min_confidence) for p in pieces):
        return 0.0
    return float(np.exp(np.mean(np.log(confs[pieces]))))


def recognize_stream(recognizer: Recognizer, frames: Iterable[np.ndarray]) -> Iterator[tuple[np.ndarray, Recognition]]:
    """(frame, recognition) for each frame, segmenting the next frame while the model reads this one.

    OpenCV's own thread pool is set to one thread: the two stages already keep both cores busy,
    and its parallel labelling was measured slower than the sequential one. A source that fails
    while the next frame is fetched still has this frame read and handed out first.
    """
    cv2.setNumThreads(1)
    iterator = iter(frames)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="segment") as worker:
        current = next(iterator, None)
        pending = worker.submit(recognizer.prepare, current) if current is not None else None
        while pending is not None:
            prepared = pending.result()
            failure, following = None, None
            try:
                following = next(iterator, None)
            except Exception as error:  # raised again once this frame is out
                failure = error
            pending = worker.submit(recognizer.prepare, following) if following is not None else None
            yield current, recognizer.read(prepared)
            if failure is not None:
                raise failure
            current = following
