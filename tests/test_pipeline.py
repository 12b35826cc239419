"""The recognition stages on images rendered here: segmentation, patches, reading, tracking."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from live.detections import Detections
from live.patches import make_patches
from live.reading import numbers, reading_order
from live.segment import segment
from live.synth import digit_ink, render_scene
from live.tracking import Tracker
from live.contract import IMAGE_SIZE, normalize_stroke, stroke_width


def match(truth_boxes, truth_labels, dets: Detections, min_iou: float = 0.5) -> tuple[int, int]:
    """(true digits found and read right, detections matching no true digit)."""
    from live.tracking import iou_matrix

    iou = iou_matrix(truth_boxes, dets.boxes_xywh)
    right, used = 0, set()
    for t in range(len(truth_boxes)):
        if iou.shape[1] == 0:
            break
        d = int(iou[t].argmax())
        if iou[t, d] >= min_iou and d not in used:
            used.add(d)
            right += int(dets.labels[d] == truth_labels[t])
    return right, len(dets) - len(used)


def test_generated_scenes_are_found_and_read(recognizer, sample_digits):
    rng = np.random.default_rng(1234)
    right = total = false = 0
    for _ in range(12):
        frame, truth = render_scene(rng, *sample_digits)
        dets = recognizer(frame).detections
        dets = dets.select(dets.confidences >= 0.5)
        r, f = match(truth.boxes_xywh, truth.labels, dets)
        right, total, false = right + r, total + len(truth.labels), false + f
    assert right / total >= 0.93, f"{right}/{total} digits read right"
    assert false / total <= 0.1, f"{false} false detections for {total} digits"


def test_digit_free_frames_give_few_false_digits(recognizer, sample_digits):
    rng = np.random.default_rng(99)
    false = 0
    for _ in range(10):
        frame, truth = render_scene(rng, *sample_digits, n_digits=0, n_distractors=8)
        assert len(truth.labels) == 0
        dets = recognizer(frame).detections
        false += int((dets.confidences >= 0.5).sum())
    assert false / 10 <= 0.5


@pytest.mark.parametrize("image", [
    np.zeros((480, 640, 3), np.uint8),
    np.full((480, 640, 3), 255, np.uint8),
    np.full((4, 4, 3), 128, np.uint8),
    np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8),
], ids=["black", "white", "tiny", "noise"])
def test_blank_tiny_and_noise_images_give_few_digits(recognizer, image):
    assert len(recognizer(image).detections) <= 3


def _paper_with(*inks: np.ndarray, gap: int = 10, height: int = 400, width: int = 600) -> np.ndarray:
    paper = np.full((height, width), 235, np.uint8)
    x = 150
    for ink in inks:
        h, w = ink.shape
        region = paper[120:120 + h, x:x + w].astype(np.float32)
        paper[120:120 + h, x:x + w] = (region * (1 - ink) + 30 * ink).astype(np.uint8)
        x += w + gap
    return cv2.cvtColor(paper, cv2.COLOR_GRAY2BGR)


def _digit_of(sample_digits, label: int, height: int = 120, index: int = 0) -> np.ndarray:
    images, labels = sample_digits
    ink = digit_ink(images[np.flatnonzero(labels == label)[index]], height, 0.0)
    cols = np.flatnonzero(ink.max(axis=0) > 0.5)
    return ink[:, cols[0]:cols[-1] + 1]


def test_a_digit_in_two_strokes_stays_one_candidate(sample_digits):
    ink = _digit_of(sample_digits, 5)
    rows = np.flatnonzero(ink.max(axis=1) > 0.5)
    cut = rows[0] + int(0.3 * (rows[-1] - rows[0]))
    ink[cut:cut + 6] = 0  # break the stroke: the 5's top comes apart from its body
    frame = _paper_with(ink)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    count, _ = cv2.connectedComponents((gray < 128).astype(np.uint8))
    assert count - 1 >= 2, "the rendered digit should be in at least two pieces"
    assert len(segment(frame).candidates) == 1


def _drawn_five(bar_dx: int, bar_dy: int) -> np.ndarray:
    """A fine-pen 5 whose top bar is drawn apart: shifted right by bar_dx and up by bar_dy."""
    ink = np.zeros((140, 140), np.uint8)
    cv2.line(ink, (30, 20), (26, 60), 255, 4)  # the upright
    cv2.ellipse(ink, (48, 85), (30, 28), 0, -150, 140, 255, 4)  # the belly
    cv2.line(ink, (70 + bar_dx, 20 - bar_dy), (110 + bar_dx, 18 - bar_dy), 255, 4)  # the bar
    return ink.astype(np.float32) / 255.0


def test_a_five_with_its_bar_drawn_apart_stays_one_candidate():
    for dx, dy in ((4, 0), (4, 6)):
        frame = _paper_with(_drawn_five(dx, dy))
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        assert cv2.connectedComponents((gray < 128).astype(np.uint8))[0] - 1 == 2, "bar and body apart"
        candidates = segment(frame).candidates
        assert len(candidates) == 1, (dx, dy)
        x, y, w, h = candidates[0].box_xywh  # the paper puts the drawing at (150, 120)
        assert x + w >= 150 + 110 + dx and y <= 120 + 18 - dy, (dx, dy)  # the bar belongs to it


def test_a_marker_one_that_fills_its_box_is_a_candidate():
    ink = np.zeros((100, 16), np.float32)
    ink[:, 2:14] = 1.0  # a bold upright stroke: its box is nearly all ink
    candidates = segment(_paper_with(ink)).candidates
    assert len(candidates) == 1 and candidates[0].box_xywh[3] >= 95


def test_touching_digits_are_split_and_read(recognizer, sample_digits):
    two, eight = _digit_of(sample_digits, 2, index=1), _digit_of(sample_digits, 8, index=2)
    frame = _paper_with(two, eight, gap=-6)  # overlapping a little: one connected blob
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    count, _ = cv2.connectedComponents((gray < 128).astype(np.uint8))
    assert count - 1 == 1, "the pair should be one connected blob"
    dets = recognizer(frame).detections
    order = np.argsort(dets.boxes_xywh[:, 0])
    assert dets.labels[order].tolist() == [2, 8]


def test_patches_follow_the_training_contract():
    ink = np.zeros((200, 60), np.uint8)
    ink[10:190, 20:26] = 255  # a thin, tall "1"
    patches = make_patches([ink])
    assert patches.shape == (1, IMAGE_SIZE, IMAGE_SIZE, 1) and patches.dtype == np.float32
    assert 0.0 <= patches.min() and patches.max() <= 1.0
    rows = np.flatnonzero(patches[0, ..., 0].max(axis=1) > 0.1)
    assert 19 <= rows[-1] - rows[0] + 1 <= 21, "longer side fitted into 20 px"
    ys, xs = np.nonzero(patches[0, ..., 0])
    weights = patches[0, ys, xs, 0]
    assert abs(np.average(ys, weights=weights) - 13.5) < 1.5 and abs(np.average(xs, weights=weights) - 13.5) < 1.5
    assert make_patches([]).shape == (0, IMAGE_SIZE, IMAGE_SIZE, 1)


def test_thin_strokes_are_brought_to_mnist_width():
    ink = np.zeros((300, 300), np.uint8)
    cv2.circle(ink, (150, 150), 120, 255, 2)  # a fine-pen zero
    frac = stroke_width(normalize_stroke(ink)) / 64
    assert 0.07 <= frac <= 0.18


def test_reading_order_and_numbers():
    boxes = np.array([[200, 10, 20, 30], [100, 12, 20, 30], [125, 11, 20, 30], [100, 100, 20, 30]])
    labels = np.array([7, 2, 0, 5])
    assert reading_order(boxes) == [1, 2, 0, 3]
    assert [n.text for n in numbers(boxes, labels)] == ["20", "7", "5"]


def test_detections_validate_shapes():
    with pytest.raises(ValueError, match="expected shape"):
        Detections(np.zeros((2, 4)), np.zeros(3), np.zeros(3), np.zeros(3))


def _dets(boxes, labels, confs) -> Detections:
    return Detections.untracked(np.array(boxes), np.array(labels), np.array(confs))


def test_tracker_keeps_ids_through_a_missed_frame_and_moves():
    tracker = Tracker()
    ids = None
    for step in range(8):
        boxes = [[100 + 4 * step, 50, 30, 40], [300 + 4 * step, 60, 30, 40]]
        out = tracker.update(_dets(boxes, [3, 7], [0.9, 0.9]) if step != 4 else Detections.empty())
        if step >= 2 and step != 4:
            current = dict(zip(out.labels.tolist(), out.track_ids.tolist()))
            ids = ids or current
            assert current == ids
        if step == 4:
            assert len(out) == 2, "tracks coast through one missed frame"


def test_tracker_votes_out_a_single_misreading():
    tracker = Tracker()
    shown = []
    for step in range(12):
        label = 1 if step == 6 else 7
        out = tracker.update(_dets([[100, 50, 30, 40]], [label], [0.95]))
        shown.extend(out.labels.tolist())
    assert set(shown) == {7}


def test_tracker_follows_a_real_change_of_digit():
    tracker = Tracker()
    for _ in range(10):
        tracker.update(_dets([[100, 50, 30, 40]], [7], [0.9]))
    for _ in range(15):
        out = tracker.update(_dets([[100, 50, 30, 40]], [4], [0.9]))
    assert out.labels.tolist() == [4]


def test_a_sheet_turned_35_degrees_is_read(recognizer, sample_digits):
    from live.synth import make_sheet, photograph

    rng = np.random.default_rng(35)
    sheet = make_sheet(rng, *sample_digits, n_digits=10, digit_height=60, ruled=False)
    h, w = sheet.image_bgr.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), -35, 1.0)
    turn[:, 2] += [640 - w / 2, 360 - h / 2]
    frame, truth = photograph(rng, sheet, np.vstack([turn, [0, 0, 1]]), np.full((720, 1280, 3), 60, np.uint8),
                              camera_noise=False)
    dets = recognizer(frame).detections
    right, false = match(truth.boxes_xywh, truth.labels, dets, min_iou=0.3)
    assert right >= 8, f"{right} of 10 digits read right on a sheet turned by 35 degrees"


def test_tracker_drops_a_digit_that_left_the_view():
    tracker = Tracker()
    for _ in range(5):
        tracker.update(_dets([[100, 50, 30, 40], [300, 50, 30, 40]], [3, 7], [0.9, 0.9]))
    shown = [len(tracker.update(_dets([[100, 50, 30, 40]], [3], [0.9]))) for _ in range(10)]
    assert shown[:2] == [2, 2], "a missed digit coasts for two frames"
    assert shown[3:] == [1] * 7, "then it is gone"
    assert len(tracker.tracks) == 1


def test_unsure_digits_inside_words_are_dropped():
    from live.recognize import _outside_words
    from live.segment import Candidate

    ink = np.zeros((40, 30), np.uint8)
    boxes = {"letter": (100, 50, 30, 40), "unsure beside it": (135, 52, 30, 38),
             "sure beside it": (170, 50, 30, 40), "unsure alone": (400, 50, 30, 40)}
    items = [Candidate(box, ink) for box in boxes.values()]
    confs = np.array([0.0, 0.8, 0.99, 0.8])
    assert _outside_words([1, 2, 3], [0], items, confs, 0.95) == [2, 3]
    assert _outside_words([1, 2, 3], [], items, confs, 0.95) == [1, 2, 3]


def test_a_stub_of_ruling_is_trimmed_from_a_digit_but_a_slanted_one_and_a_bar_are_kept():
    from live.segment import _trim_tails

    digit = np.zeros((40, 70), np.uint8)
    cv2.ellipse(digit, (55, 20), (10, 18), 0, 0, 360, 255, 3)  # a 0 on the right
    cv2.line(digit, (0, 36), (44, 38), 255, 1)  # the ruling it sits on, running off to the left
    ink, box = _trim_tails(digit, (100, 200, 70, 40), hairline=4)
    assert box[0] >= 100 + 40 and ink.shape[1] <= 28  # the 0 alone: 2 x 10 px radius + pen
    five = np.zeros((40, 50), np.uint8)
    cv2.line(five, (4, 2), (4, 18), 255, 3)
    cv2.ellipse(five, (14, 28), (10, 10), 0, -150, 140, 255, 3)
    cv2.line(five, (4, 2), (49, 2), 255, 1)  # a fine-pen bar running on past the belly
    assert _trim_tails(five, (0, 0, 50, 40), hairline=4)[1] == (0, 0, 50, 40)
    one = np.zeros((40, 12), np.uint8)
    cv2.line(one, (10, 0), (1, 39), 255, 2)  # a thin, slanted 1
    assert _trim_tails(one, (0, 0, 12, 40), hairline=4)[1] == (0, 0, 12, 40)


class _ScriptedClassifier:
    """Reads each patch as the class scripted for it, in batch order: the whole-or-split logic
    is tested apart from what a trained model makes of the drawings."""

    has_reject = True

    def __init__(self, classes: list[int], sureness: list[float] | None = None) -> None:
        self.classes = classes
        self.sureness = sureness or [0.99] * len(classes)

    def probabilities(self, patches: np.ndarray) -> np.ndarray:
        assert len(patches) == len(self.classes)
        probs = np.full((len(patches), 11), 0.0001, np.float32)
        probs[np.arange(len(patches)), self.classes] = self.sureness
        return probs


def _prepared(candidates, items, joins=()):
    """What `Recognizer.prepare` hands to `read`: the candidates, every whole and piece in batch
    order (the joins' unions last), and their patches."""
    from live.recognize import _Prepared
    from live.segment import Segmentation

    segmentation = Segmentation(candidates, np.zeros((4, 4), np.uint8), joins=tuple(joins))
    return _Prepared(segmentation, items, make_patches([c.ink for c in items]))


def test_a_split_beside_letters_is_not_taken():
    """A bold n is a 1 and a 7 joined at the top: alone it may be a touching "17", beside the
    rejected letters of its word it is a letter."""
    from live.recognize import Recognizer
    from live.segment import Candidate

    ink = np.zeros((40, 44), np.uint8)
    stem, hump = Candidate((100, 50, 20, 40), ink[:, :20]), Candidate((124, 50, 20, 40), ink[:, 24:])
    n = Candidate((100, 50, 44, 40), ink, splits=((stem, hump),))
    h = Candidate((150, 40, 30, 50), ink[:, :30])
    reject = 10
    for neighbours, classes, expected in (([], [reject, 1, 7], [1, 7]),
                                          ([h], [reject, 1, 7, reject], [])):
        prepared = _prepared([n, *neighbours], [n, stem, hump, *neighbours])
        detections = Recognizer(_ScriptedClassifier(classes)).read(prepared).detections
        assert detections.labels.tolist() == expected, neighbours


def test_a_candidates_ink_takes_its_strokes_faint_rim_but_faint_marks_alone_are_not_ink():
    from dataclasses import replace

    from live.config import SegmentConfig

    gray = np.full((300, 400), 200, np.uint8)
    gray[100:180, 100:104] = 90  # a sure stroke: a 1
    gray[100:180, 104:108] = 180  # its faint rim, four columns wide
    gray[100:180, 300:304] = 180  # the same faintness on its own: a shadow's edge, paper grain
    cfg = replace(SegmentConfig(), block_frac=0.15, threshold_offset=40, weak_offset=5, weak_reach=2)
    candidates = segment(gray, cfg).candidates
    assert len(candidates) == 1, "the faint mark alone is no candidate"
    assert candidates[0].box_xywh == (100, 100, 4, 80), "the box is the sure ink's"
    columns = candidates[0].ink.any(axis=0)
    assert columns.sum() == 4 + 2, "the rim within reach is ink, beyond it is not"
    sure_only = segment(gray, replace(cfg, weak_reach=0)).candidates[0]
    assert sure_only.ink.any(axis=0).sum() == 4, "only sure ink without it"


def test_a_candidate_on_the_papers_edge_is_dropped():
    """Where the paper meets a darker desk, the threshold marks the desk's rim along the edge as
    ink; beside a letter at the edge it makes a digit-like stroke. Ink on paper has paper all round."""
    gray = np.full((400, 600), 215, np.float32)
    gray[:, 320:] = 180  # the desk, right of the paper's edge
    gray += np.random.default_rng(0).normal(0, 6, gray.shape)  # camera noise breaks up the rim
    cv2.line(gray, (200, 150), (200, 230), 20, 5)  # a 1 on the paper
    cv2.line(gray, (320, 150), (320, 230), 20, 5)  # the same stroke on the paper's edge
    xs = [c.box_xywh[0] for c in segment(np.clip(gray, 0, 255).astype(np.uint8)).candidates]
    assert any(abs(x - 198) <= 3 for x in xs), xs
    assert not any(abs(x - 318) <= 6 for x in xs), xs


def test_a_split_needs_its_ones_read_surely():
    """Any shape cut in two leaves a stroke that looks like a 1: an outlined triangle read as "61"."""
    from live.recognize import Recognizer
    from live.segment import Candidate

    ink = np.zeros((40, 44), np.uint8)
    left, right = Candidate((100, 50, 20, 40), ink[:, :20]), Candidate((124, 50, 20, 40), ink[:, 24:])
    whole = Candidate((100, 50, 44, 40), ink, splits=((left, right),))
    prepared = _prepared([whole], [whole, left, right])
    for sureness, expected in (([0.99, 0.92, 0.87], []), ([0.99, 0.92, 0.95], [6, 1]), ([0.99, 0.85, 0.87], [])):
        read = Recognizer(_ScriptedClassifier([10, 6, 1], sureness)).read(prepared).detections
        assert read.labels.tolist() == expected, sureness
    read = Recognizer(_ScriptedClassifier([10, 6, 2], [0.99, 0.85, 0.85])).read(prepared).detections
    assert read.labels.tolist() == [6, 2]


def test_neighbouring_pieces_are_proposed_as_one_digit_and_far_ones_are_not():
    from live.config import SegmentConfig
    from live.segment import Candidate, _joins

    def piece(x, y, w, h):
        return Candidate((x, y, w, h), np.full((h, w), 255, np.uint8))

    # A 4's angle and, 8 px to its right, its stem; a digit 40 px further on; a wide neighbour.
    angle, stem, far = piece(100, 60, 30, 40), piece(138, 50, 8, 60), piece(186, 50, 30, 60)
    wide = piece(150, 200, 60, 30), piece(214, 200, 60, 30)
    joins = _joins([angle, stem, far, *wide], SegmentConfig())
    assert [j.members for j in joins] == [(0, 1)]
    union = joins[0].union
    assert union.box_xywh == (100, 50, 46, 60)
    assert union.ink[10:50, :30].all() and union.ink[:, 38:].all() and not union.ink[:, 30:38].any()


def test_pieces_are_read_joined_unless_a_digit_would_be_swallowed():
    """The union of two pieces wins when it reads as a digit surely and no piece reads as a
    sure digit of its own: a small 8 beside a 7 must not vanish into a "7"."""
    from live.recognize import Recognizer
    from live.segment import Candidate, Join

    ink = np.zeros((60, 46), np.uint8)
    left, right = Candidate((100, 60, 30, 40), ink[:40, :30]), Candidate((138, 50, 8, 60), ink[:, 38:])
    union = Candidate((100, 50, 46, 60), ink)
    prepared = _prepared([left, right], [left, right, union], [Join((0, 1), union)])
    reject = 10
    for classes, sureness, expected in (
        ([reject, 1, 4], [0.9, 0.99, 0.99], [4]),  # an angle and a stem: a 4
        ([4, 1, 4], [1.0, 0.99, 1.0], [4]),  # a 4 and a broken-off stroke of it
        ([reject, 7, 5], [0.99, 0.92, 0.99], [5]),  # a 5's bar and its body, read as an unsure 7
        ([reject, 1, 4], [0.9, 0.99, 0.85], [1]),  # the union not sure enough
        ([7, 8, 7], [0.8, 1.0, 0.98], [7, 8]),  # a sure 8 is not swallowed
        ([7, 6, 7], [0.99, 0.88, 1.0], [7, 6]),  # the union reads as a piece: only strokes join it
        ([reject, reject, 4], [0.99, 0.99, 0.99], []),  # two letters side by side: "uk" is no 4
    ):
        read = Recognizer(_ScriptedClassifier(classes, sureness)).read(prepared).detections
        assert read.labels.tolist() == expected, (classes, sureness)
        if len(expected) == 1 and expected != [1]:
            assert read.boxes_xywh.tolist() == [[100, 50, 46, 60]]
    # A 5's bar above its body: neither reads as a digit alone, one above the other they join.
    bar, body = Candidate((110, 50, 30, 10), ink[:10, :30]), Candidate((100, 66, 36, 44), ink[:44, :36])
    union = Candidate((100, 50, 40, 60), ink[:, :40])
    stacked = _prepared([bar, body], [bar, body, union], [Join((0, 1), union)])
    read = Recognizer(_ScriptedClassifier([reject, reject, 5])).read(stacked).detections
    assert read.labels.tolist() == [5]


def test_a_four_drawn_in_two_strokes_that_do_not_meet_is_read_as_4(recognizer):
    """An open angle and, apart from it, the stem: side by side, so the stacking merge leaves
    them apart; read joined, they are a 4."""
    from dataclasses import replace

    from live.recognize import Recognizer

    paper = np.full((300, 400), 230, np.uint8)
    cv2.polylines(paper, [np.array([[170, 90], [150, 170], [188, 170]])], False, 30, 5)
    cv2.line(paper, (200, 80), (200, 220), 30, 5)
    frame = cv2.cvtColor(paper, cv2.COLOR_GRAY2BGR)
    assert recognizer(frame).detections.labels.tolist() == [4]
    apart = Recognizer(recognizer.classifier, replace(recognizer.segment_cfg, max_joins=0))
    assert apart(frame).detections.labels.tolist() != [4]


def test_digits_beside_a_thin_outline_are_not_merged_into_it():
    """A cropped photo's dark border, a drawn frame: a long sparse outline just below a row of
    digits overlaps them in x and would take them all into one group too big to be a digit."""
    paper = np.full((400, 600), 225, np.uint8)
    cv2.polylines(paper, [np.array([[20, 150], [20, 390], [420, 390]])], False, 40, 4)  # an L, fill 0.03
    xs = (100, 180, 260)
    for x in xs:
        cv2.line(paper, (x, 100), (x - 6, 145), 30, 4)  # three 1s just above its top
    found = [c.box_xywh for c in segment(paper).candidates]
    for x in xs:
        assert any(abs(bx - (x - 8)) <= 4 and 20 <= h <= 60 for bx, _, _, h in found), (x, found)


def test_the_frames_own_border_is_no_digit_but_a_digit_at_its_edge_is():
    paper = np.full((400, 600), 225, np.uint8)
    cv2.line(paper, (1, 40), (1, 200), 40, 3)  # a cropped photo's dark rim down the left edge
    cv2.polylines(paper, [np.array([[520, 1], [598, 1], [598, 120]])], False, 40, 3)  # round a corner
    cv2.line(paper, (300, 150), (294, 230), 30, 5)  # a 1 on the paper
    assert [c.box_xywh[0] for c in segment(paper).candidates] == [291]
    cv2.ellipse(paper, (25, 320), (24, 35), 0, 0, 360, 30, 4)  # a 0 cut by the left edge stays
    assert sorted(c.box_xywh[0] for c in segment(paper).candidates) == [0, 291]
    crop = np.full((200, 100), 225, np.uint8)
    cv2.ellipse(crop, (50, 42), (48, 41), 0, 0, 360, 30, 4)  # a 0 cropped to its left, top and right
    assert [c.box_xywh for c in segment(crop).candidates] == [(0, 0, 100, 86)]


def test_three_narrow_touching_digits_get_a_three_way_split():
    """A tightly written "262" is only 1.2 heights wide: the width alone suggests two digits."""
    from live.segment import _splits

    ink = np.zeros((38, 46), np.uint8)
    for x in (3, 20, 37):
        ink[:, x:x + 5] = 255  # three narrow strokes
    ink[34:, :] = 255  # joined along the bottom
    hypotheses = _splits(ink, 100, 50)
    assert sorted(len(pieces) for pieces in hypotheses) == [2, 3]
    three = next(p for p in hypotheses if len(p) == 3)
    assert [piece.box_xywh[0] for piece in three][0] == 100 and all(p.box_xywh[3] == 38 for p in three)


def test_small_zeros_beside_taller_digits_are_found():
    """Small round digits stand shorter than their neighbours: 11 px 0s beside a 35 px 1 in a
    photo 692 px high."""
    paper = np.full((692, 922), 215, np.uint8)
    cv2.line(paper, (300, 300), (300, 330), 40, 3)  # a 1, 30 px
    for x in (340, 362, 384):
        cv2.ellipse(paper, (x, 325), (4, 4), 0, 0, 360, 40, 2)  # 0s 11 px tall with the pen
    assert sorted(c.box_xywh[3] for c in segment(paper).candidates) == [11, 11, 11, 35]
