"""One frame -> its digits: proposals, their patches, one batched model call, one decision rule.

The decision: every piece of ink is read once, either as part of one digit or as not a digit,
and the frame's reading is the one with the largest total log-probability, each reading's
log-probability weighted by the ink it explains. A union of pieces wins over the pieces, or a
split over its whole, only because the model reads it more surely. The model's "not a digit"
class means "not one digit" (it is trained on letters, textures and touching digits alike), so a
wide piece it rejects may still be read as touching digits; a piece read as 1 is no evidence of
that, since any stroke cut out of a wider piece reads as 1.

What the model reads in a piece is weighed by what stands beside it on its line
(`neighbour_prior`): digits are written in rows, letters in words, so a doubtful piece among
digits is likelier a digit than the same piece among pieces the model rejects.

The loop and `live.predict` both call `Recognizer`, so a photo and a video frame are read the same
way: a photo of small digits is read a second time enlarged, and a video of such digits is read
enlarged throughout. A video is read through `recognize_stream`, which overlaps the work on the
two cores: while frame N is read by the model and drawn, a second process segments frame N+1.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import cv2
import numpy as np

from live.classifier import Classifier
from live.config import SegmentConfig
from live.contract import NUM_DIGITS, REJECT_LABEL
from live.detections import Detections
from live.patches import make_contexts, make_patches
from live.reading import runs
from live.segment import Around, Segmentation, segment, working_scale, zoom_for
from live.segment_process import SegmentProcess


@dataclass(frozen=True)
class Recognition:
    detections: Detections
    mask: np.ndarray  # threshold mask (working resolution), for the debug view
    patches: np.ndarray  # the (N, 28, 28, 1) patches of the kept detections, as the model saw them
    angle: float = 0.0  # the tilt (radians) the frame was turned upright by to read it, else 0
    sureness: float = 0.0  # how surely the reading explains the frame's ink (`decide`)


@dataclass(frozen=True)
class Prepared:
    segmentation: Segmentation
    # The candidates of the segmentation, then of its turned alternative if any, flattened once
    # per frame in batch order: both ways of reading a tilted frame go in one model call.
    candidates: list
    patches: np.ndarray
    contexts: np.ndarray


@dataclass(frozen=True)
class Readings:
    """The model's reading of every candidate of a frame, in batch order."""

    labels: np.ndarray  # best digit
    confidences: np.ndarray  # its probability
    log_digit: np.ndarray  # log of it
    log_reject: np.ndarray  # log-probability of "not a digit" (-inf for a 10-class model)

    @classmethod
    def of(cls, probs: np.ndarray, has_reject: bool) -> "Readings":
        digits = probs[:, :NUM_DIGITS]
        labels = digits.argmax(axis=1)
        confs = digits[np.arange(len(probs)), labels]
        with np.errstate(divide="ignore"):
            log_digit = np.log(np.maximum(confs, 1e-12))
            log_reject = np.log(np.maximum(probs[:, REJECT_LABEL], 1e-12)) if has_reject else np.full(len(probs), -np.inf)
        return cls(labels, confs, log_digit, log_reject)

    @property
    def is_digit(self) -> np.ndarray:
        return self.log_digit > self.log_reject

    def part(self, start: int, stop: int) -> "Readings":
        """The readings of batch rows start..stop-1."""
        return Readings(self.labels[start:stop], self.confidences[start:stop], self.log_digit[start:stop],
                        self.log_reject[start:stop])


@dataclass(frozen=True)
class Decision:
    """What `decide` makes of one way of reading a frame."""

    chosen: list[int]  # batch indices of the candidates read as digits, ascending
    confidences: np.ndarray  # the probability that each of them is read right
    sureness: float  # how surely the reading explains the frame's ink


def best_path(spans: tuple[tuple[int, int], ...], read: Readings) -> list[int] | None:
    """The surest way through a split's lattice: the pieces (indices into `spans`, each the nodes
    it joins) leading from the first node to the last, each read as a digit, not all of them 1s,
    whose log-probabilities sum highest; None where no such way exists."""
    last = max(j for _, j in spans)
    # best[node][has a digit other than 1] = (score, pieces so far)
    best: list[list[tuple[float, list[int]] | None]] = [[None, None] for _ in range(last + 1)]
    best[0][0] = (0.0, [])
    for p in sorted(range(len(spans)), key=lambda p: spans[p]):
        i, j = spans[p]
        if not read.is_digit[p]:
            continue
        other = int(read.labels[p] != 1)
        for had in (0, 1):
            if best[i][had] is None:
                continue
            score = best[i][had][0] + float(read.log_digit[p])
            now = had | other
            if best[j][now] is None or score > best[j][now][0]:
                best[j][now] = (score, best[i][had][1] + [p])
    return None if best[last][1] is None else best[last][1][1]


def neighbour_prior(seg: Segmentation, read: Readings, starts: np.ndarray) -> Readings:
    """The readings (`starts`: each proposal's first batch row) with each lone piece's odds of
    being a digit weighed by its neighbours: the pieces read alone that stand with it in one run
    on its line (`live.reading.runs`, as a number's digits stand). The model's last training
    stage weighs its digits as much as its non-digits (`training.train`; the MNIST reader's hard
    non-digits somewhat more), so its probabilities hold a prior of about 1/2 that a piece is a
    digit; a piece with n neighbours whose
    probabilities of being a digit sum to s gets Laplace's (s + 1) / (n + 2) instead, and its
    digit and "not a digit" log-probabilities are moved by Bayes' rule. A piece with no neighbour
    keeps its reading; one among sure digits is more likely a digit, one among pieces read as not
    digits (a letter in a word) less. Only the decision weighs this: the confidences stay the
    model's own, so that what is shown is what the patch itself shows.
    """
    lone = [k for k, p in enumerate(seg.proposals) if len(p.atoms) == 1 and not p.is_split]
    if len(lone) < 2 or not np.isfinite(read.log_reject).any():
        return read
    rows = starts[lone]
    p_reject = np.exp(read.log_reject[rows])
    p_digit = 1.0 - p_reject
    prior = np.full(len(rows), 0.5)
    for run in runs(np.array([seg.proposals[k].candidates[0].box_xywh for k in lone])):
        if len(run) > 1:
            others = p_digit[run].sum() - p_digit[run]
            prior[run] = (others + 1.0) / (len(run) - 1 + 2.0)
    # Bayes' rule from the prior of 1/2 to `prior`: digits' odds times prior / (1 - prior).
    norm = np.log(p_digit * prior + p_reject * (1.0 - prior))
    log_digit, log_reject = read.log_digit.copy(), read.log_reject.copy()
    log_digit[rows] += np.log(prior) - norm
    log_reject[rows] += np.log(1.0 - prior) - norm
    return Readings(read.labels, read.confidences, log_digit, log_reject)


def decide(seg: Segmentation, read: Readings) -> Decision:
    """The candidates read as digits under the module's one rule, the probability that each is
    read right, and how surely the reading explains the frame's ink: its ink-weighted
    log-probability per unit of ink.

    Each digit-sized piece takes its best own reading: one digit, not a digit, or a split into
    touching digits (each piece a digit, not all of them 1s, scored by the product of their
    probabilities against the whole read as one digit: a cut into more digits must be read more
    surely than a cut into fewer). A piece too small to be a digit alone costs nothing to leave
    out. Then unions of pieces are taken, most gain first, where their ink-weighted
    log-probability as one digit beats what their pieces score on their own.

    A digit's confidence is its probability, except a split's: its digits are right together or
    not at all (a wrong cut leaves no digit of it in its place), so each is shown with the
    product of the split's probabilities.
    Each lone piece's reading is first weighed by its neighbours (`neighbour_prior`).
    """
    starts = np.cumsum([0] + [len(p.candidates) for p in seg.proposals])
    read = neighbour_prior(seg, read, starts)
    atoms = len(seg.atom_ink)
    own_score = np.zeros(atoms)  # what each piece scores read on its own
    own_digits: list[list[int]] = [[] for _ in range(atoms)]
    best_whole: dict[int, float] = {}
    confidences = read.confidences.copy()
    unions: list[int] = []
    for k, proposal in enumerate(seg.proposals):
        if len(proposal.atoms) > 1:
            unions.append(k)
            continue
        atom, i = proposal.atoms[0], int(starts[k])
        weight = seg.atom_ink[atom]
        if not proposal.is_split:
            best_whole[atom] = weight * read.log_digit[i]
            if read.is_digit[i]:
                own_score[atom], own_digits[atom] = weight * read.log_digit[i], [i]
            else:
                own_score[atom], own_digits[atom] = weight * read.log_reject[i], []
    for k, proposal in enumerate(seg.proposals):
        if not proposal.is_split:
            continue
        atom = proposal.atoms[0]
        pieces = best_path(proposal.spans, read.part(int(starts[k]), int(starts[k + 1])))
        if pieces is None:
            continue
        pieces = [int(starts[k]) + p for p in pieces]
        score = seg.atom_ink[atom] * float(read.log_digit[pieces].sum())
        # A split competes with the whole read as one digit: the whole's "not a digit" means
        # "not one digit", which touching digits are.
        if score > best_whole[atom]:
            best_whole[atom], own_score[atom], own_digits[atom] = score, score, pieces
            confidences[pieces] = np.prod(read.confidences[pieces])
    gains = []
    for k in unions:
        proposal, i = seg.proposals[k], int(starts[k])
        if not read.is_digit[i]:
            continue
        members = list(proposal.atoms)
        gain = seg.atom_ink[members].sum() * read.log_digit[i] - own_score[members].sum()
        if gain > 0:
            gains.append((gain, i, members))
    taken = np.zeros(atoms, bool)
    chosen: list[int] = []
    score = float(own_score.sum())
    for gain, i, members in sorted(gains, key=lambda g: -g[0]):
        if not taken[members].any():
            taken[members] = True
            chosen.append(i)
            score += gain
    for atom in np.flatnonzero(~taken):
        chosen.extend(own_digits[atom])
    chosen.sort()
    return Decision(chosen, confidences[chosen], score / max(float(seg.atom_ink.sum()), 1.0))


class Recognizer:
    def __init__(self, classifier: Classifier, segment_cfg: SegmentConfig = SegmentConfig()) -> None:
        self.classifier = classifier
        self.segment_cfg = segment_cfg

    def __call__(self, frame_bgr: np.ndarray) -> Recognition:
        """A frame read on its own (a photo). Where the digits it holds are small, it is read a
        second time at a larger working size (`live.segment.zoom_for` their heights), the way the
        first read kept (as it is, or turned upright by its tilt), as a video's next frames are
        read (`TiltFollower`), and that reading is kept."""
        recognition = self.read(self.prepare(frame_bgr))
        zoom = zoom_asked(recognition, frame_bgr.shape, self.segment_cfg)
        if zoom == 1.0:
            return recognition
        zoomed = self.read(self.prepare(frame_bgr, recognition.angle, zoom=zoom))
        return zoomed if zoomed.sureness > recognition.sureness else recognition

    def prepare(self, frame_bgr: np.ndarray, tilt: float | None = None,
                around: Around | None = None, zoom: float = 1.0) -> Prepared:
        """The image half: proposals and the patches of their candidates (OpenCV and NumPy only).
        Given `tilt` (and `around`), the frame (the part around those digits) is read only turned
        upright by it, or only as it is for a `tilt` of 0; `zoom` reads it at that many times
        the working size (`live.segment.segment`)."""
        return self.patches_of(segment(frame_bgr, self.segment_cfg, tilt, around, zoom))

    def patches_of(self, seg: Segmentation) -> Prepared:
        """The patches (and contexts) of every candidate of a frame's proposals, both ways."""
        candidates = [c for way in seg.ways for c in way.candidates]
        contexts = make_contexts([c.context for c in candidates]) if self.classifier.uses_context else None
        return Prepared(seg, candidates, make_patches([c.ink for c in candidates]), contexts)

    def read(self, prepared: Prepared) -> Recognition:
        """The model half: one batched call for every candidate, then the one decision rule."""
        return self.conclude(prepared, self.probabilities(prepared))

    def probabilities(self, prepared: Prepared, threads: int | None = None) -> np.ndarray:
        """The model's calibrated probabilities for every candidate of a frame, in batch order: the
        one batched call, which holds no Python lock while it runs (on `threads` threads, where
        the runtime lets it choose: `Classifier.probabilities`)."""
        return self.classifier.probabilities(prepared.patches, prepared.contexts, threads)

    def conclude(self, prepared: Prepared, probs: np.ndarray) -> Recognition:
        """The decision rule over the model's reading of a frame's candidates. A frame that was
        also turned upright is read both ways, and the way whose reading explains the ink more
        surely (digits and non-digits alike) is kept; a tie keeps the frame as it is."""
        read = Readings.of(probs, self.classifier.has_reject)
        best, start = None, 0
        for way in prepared.segmentation.ways:
            stop = start + len(way.candidates)
            decision = decide(way, read.part(start, stop))
            if best is None or decision.sureness > best[0].sureness:
                best = (decision, way, np.array(decision.chosen, np.int64) + start)
            start = stop
        decision, way, keep = best
        candidates = prepared.candidates
        detections = Detections.untracked([candidates[k].box_xywh for k in keep], read.labels[keep],
                                          decision.confidences)
        return Recognition(detections, way.mask, prepared.patches[keep], way.angle, decision.sureness)


def zoom_asked(recognition: Recognition, frame_shape: tuple[int, ...], cfg: SegmentConfig) -> float:
    """The working size a frame of `frame_shape` is read again at for the digits `recognition`
    found in it (`live.segment.zoom_for` their heights in working pixels)."""
    return zoom_for(recognition.detections.boxes_xywh[:, 3] * working_scale(frame_shape, cfg))


class TiltFollower:
    """Which way to read a video's next frame. A frame whose text lines seem to tilt is read both
    ways (as it is, and turned upright) and the surer way kept; reading both costs three to four
    times one read. Once a frame read whole found digits, the next frames are read only the way
    it kept (only turned by its tilt, or only as they are), and only the part of the frame around
    its digits, at half size where those digits are large and at up to twice it where they are
    small (`live.segment.followed_scale`). Every
    `FULL_READ_EVERY`-th frame is read whole, both ways where its lines tilt: digits that came
    into view are found, and a sheet turned or set straight, or a few sparse digits that faked a
    tilt, are read the better way again, within that many frames. A full read is made at the
    size the last one's digits asked for (`zoom`), so that small digits are read at one size
    from frame to frame, not enlarged between full reads only."""

    FULL_READ_EVERY = 6
    # Room kept around the digits, on each side: a digit's context (live.contract.CONTEXT_SCALE
    # times its size, centred on it) and its neighbours, as many of the largest digit's sides; and
    # how far a hand-held sheet moves in those frames, as a share of the frame's shorter side.
    MARGIN_DIGITS = 1.5
    MARGIN_FRAME = 0.1

    def __init__(self, cfg: SegmentConfig = SegmentConfig()) -> None:
        self.cfg = cfg
        # The way the last frame read whole was kept, when it found digits: its tilt (0.0: as
        # it is), and where its digits lay, with room; and the working size a full read is
        # made at (`live.segment.zoom_for` those digits).
        self.tilt: float | None = None
        self.around: Around | None = None
        self.zoom = 1.0
        self._since_full = 0

    def next_way(self) -> tuple[float | None, Around | None, bool]:
        """(tilt to read the next frame by, 0.0 to read it only as it is, or None to read it whole
        and both ways; the digits whose part of the frame to read; whether it is a full read)."""
        if self.tilt is None or self._since_full >= self.FULL_READ_EVERY - 1:
            self._since_full = 0
            return None, None, True
        self._since_full += 1
        return self.tilt, self.around, False

    def saw(self, recognition: Recognition, full: bool, frame_shape: tuple[int, ...]) -> None:
        """Learn from a frame's reading: a full read that found digits sets the way to follow and
        where its digits lay; a full read that found none clears it."""
        if not full:
            return
        boxes = recognition.detections.boxes_xywh
        if len(boxes) == 0:
            self.tilt, self.around, self.zoom = None, None, 1.0
            return
        self.zoom = zoom_asked(recognition, frame_shape, self.cfg)
        room = self.MARGIN_DIGITS * float(boxes[:, 2:].max()) + self.MARGIN_FRAME * min(frame_shape[:2])
        corners = np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], 1)
        self.tilt = recognition.angle
        self.around = Around(tuple(tuple(int(v) for v in box) for box in corners), room)


def recognize_stream(recognizer: Recognizer, frames: Iterable[np.ndarray], overlap: bool = True,
                     follow_tilt: bool = True) -> Iterator[tuple[np.ndarray, Recognition]]:
    """(frame, recognition) for each frame; with `overlap`, a second process segments the next
    frame while this one reads the frame before with the model, and the caller draws it (without,
    for comparison, one frame after the other). With `follow_tilt` (frames of one video, not
    unrelated photos), the way a full read kept is followed (`TiltFollower`): most frames of a
    slanted sheet are read one way only. Without it, each frame is read as a photo is
    (`Recognizer.__call__`: whole, both ways, and again enlarged where its digits are small), one
    after the other.

    The segmenting goes to a process (`live.segment_process`), not a thread: it is hundreds of
    short OpenCV calls with Python between them, which on a second thread wait on Python's lock
    for this one's. The model's call stays here, on one thread, the process having the other core.
    The overlap reads ahead: a frame is handed out once the next one is fetched and handed to the
    process, which costs a frame's interval of lag where frames come on their own clock (a
    camera); there `overlap=False` hands each frame out as soon as it is read.
    OpenCV's own thread pool is set to one thread: its parallel labelling was measured slower
    than the sequential one. A source that fails while the next frame is fetched still has the
    frame before read and handed out first.
    """
    cv2.setNumThreads(1)
    if not follow_tilt:
        for frame in frames:
            yield frame, recognizer(frame)
        return
    follower = TiltFollower(recognizer.segment_cfg)
    if not overlap:
        for frame in frames:
            tilt, around, full = follower.next_way()
            recognition = recognizer.read(recognizer.prepare(frame, tilt, around, follower.zoom if full else 1.0))
            follower.saw(recognition, full, frame.shape)
            yield frame, recognition
        return
    iterator = iter(frames)
    with SegmentProcess(recognizer.segment_cfg) as segmenter:
        # The frame being segmented: (frame, a full read?, its way, its proposals where they
        # were made here, None where the process makes them).
        segmenting = None
        while True:
            failure, following, started = None, None, None
            try:
                following = next(iterator, None)
            except Exception as error:  # raised again once the frame being read is out
                failure = error
            if segmenting is not None:
                frame, full, way, found = segmenting
                if found is None:
                    found = segmenter.result()
                if found is None:  # the process has gone: the rest are segmented here
                    found = segment(frame, recognizer.segment_cfg, *way)
            if following is not None:
                # The next frame's way is chosen before this frame's reading is known: a tilt
                # learnt from it is followed from the frame after next.
                tilt, around, its_full = follower.next_way()
                # A followed read's size follows its digits (`live.segment.followed_scale`).
                way = (tilt, around, follower.zoom if its_full else 1.0)
                # Segmented here where the process does not take it (starting, or gone).
                made = None if segmenter.submit(following, *way) else segment(following, recognizer.segment_cfg, *way)
                started = (following, its_full, way, made)
            if segmenting is not None:
                prepared = recognizer.patches_of(found)
                recognition = recognizer.conclude(prepared, recognizer.probabilities(prepared, 1))
                follower.saw(recognition, full, frame.shape)
                yield frame, recognition
            if failure is not None:
                raise failure
            if started is None:
                return
            segmenting = started
