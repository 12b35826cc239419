"""The recognition stages on images rendered here: segmentation, patches, reading, tracking."""
from __future__ import annotations

import contextlib
import importlib.util

import cv2
import numpy as np
import pytest

from live.detections import Detections
from live.patches import make_patches
from live.reading import numbers, reading_order, runs
from live.segment import segment
from live.synth import SheetAnimation, digit_ink, render_scene
from live.tracking import Tracker
from live.contract import IMAGE_SIZE, normalize_stroke, stroke_width


def match(truth_boxes, truth_labels, dets: Detections, min_iou: float = 0.5) -> tuple[int, int]:
    """(true digits found and read right, detections matching no true digit)."""
    from live.boxes import iou_matrix

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


def test_litert_and_keras_read_a_frames_candidates_alike(recognizer, sample_digits):
    """The two runtimes read the same model: the int8 export may move a probability a little,
    never the reading of a clear candidate."""
    from live.classifier import Classifier
    from tests.conftest import SHIPPED_MODEL

    assert recognizer.classifier.runtime == "litert"  # what a user gets by default
    keras = Classifier(SHIPPED_MODEL, "keras")
    rng = np.random.default_rng(77)
    lite_all, keras_all = [], []
    for _ in range(6):
        frame, _ = render_scene(rng, *sample_digits)
        prepared = recognizer.prepare(frame)
        lite_all.append(recognizer.classifier.probabilities(prepared.patches, prepared.contexts))
        keras_all.append(keras.probabilities(prepared.patches, prepared.contexts))
    lite, ref = np.concatenate(lite_all), np.concatenate(keras_all)
    assert len(lite) > 50
    clear = ref.max(axis=1) >= 0.8
    assert np.all(lite[clear].argmax(axis=1) == ref[clear].argmax(axis=1))
    assert np.mean(lite.argmax(axis=1) == ref.argmax(axis=1)) >= 0.97
    assert np.abs(lite - ref).max() < 0.25


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


def _digit_of(sample_digits, label: int, height: int = 120, index: int = 0, stroke: float = 0.0) -> np.ndarray:
    images, labels = sample_digits
    ink = digit_ink(images[np.flatnonzero(labels == label)[index]], height, stroke)
    cols = np.flatnonzero(ink.max(axis=0) > 0.5)
    return ink[:, cols[0]:cols[-1] + 1]


def _unions(frame) -> list[tuple[int, int, int, int]]:
    """Boxes of the proposals that read several pieces as one digit."""
    return [p.candidates[0].box_xywh for p in segment(frame).proposals if len(p.atoms) > 1]


def test_a_digit_in_two_strokes_is_offered_whole_and_read_as_one_digit(recognizer, sample_digits):
    ink = _digit_of(sample_digits, 5)
    rows = np.flatnonzero(ink.max(axis=1) > 0.5)
    cut = rows[0] + int(0.3 * (rows[-1] - rows[0]))
    ink[cut:cut + 6] = 0  # break the stroke: the 5's top comes apart from its body
    frame = _paper_with(ink)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    count, _ = cv2.connectedComponents((gray < 128).astype(np.uint8))
    assert count - 1 >= 2, "the rendered digit should be in at least two pieces"
    height = rows[-1] - rows[0]
    assert any(h >= 0.9 * height for _, _, _, h in _unions(frame)), "the whole digit is offered"
    dets = recognizer(frame).detections
    assert dets.labels.tolist() == [5] and dets.boxes_xywh[0, 3] >= 0.9 * height


def _drawn_five(bar_dx: int, bar_dy: int) -> np.ndarray:
    """A fine-pen 5 whose top bar is drawn apart: shifted right by bar_dx and up by bar_dy."""
    ink = np.zeros((140, 140), np.uint8)
    cv2.line(ink, (30, 20), (26, 60), 255, 4)  # the upright
    cv2.ellipse(ink, (48, 85), (30, 28), 0, -150, 140, 255, 4)  # the belly
    cv2.line(ink, (70 + bar_dx, 20 - bar_dy), (110 + bar_dx, 18 - bar_dy), 255, 4)  # the bar
    return ink.astype(np.float32) / 255.0


def test_a_five_with_its_bar_drawn_apart_is_offered_with_its_bar():
    for dx, dy in ((4, 0), (4, 6)):
        frame = _paper_with(_drawn_five(dx, dy))
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        assert cv2.connectedComponents((gray < 128).astype(np.uint8))[0] - 1 == 2, "bar and body apart"
        # The paper puts the drawing at (150, 120): the union reaches the bar's end and top.
        assert any(x + w >= 150 + 110 + dx and y <= 120 + 18 - dy for x, y, w, h in _unions(frame)), (dx, dy)


def test_a_marker_one_that_fills_its_box_is_a_candidate():
    ink = np.zeros((100, 16), np.float32)
    ink[:, 2:14] = 1.0  # a bold upright stroke: its box is nearly all ink
    candidates = segment(_paper_with(ink)).candidates
    assert len(candidates) == 1 and candidates[0].box_xywh[3] >= 95
    assert candidates[0].context.shape == (32, 32), "each candidate comes with the frame around it"


def test_a_candidate_is_in_the_middle_of_its_context_even_at_the_frames_edge():
    from live.segment import context_crop, pyramid_of

    gray = np.full((480, 640), 220, np.uint8)
    boxes = [(0, 200, 30, 60), (610, 0, 30, 60), (300, 420, 30, 60), (300, 210, 30, 60)]
    for x, y, w, h in boxes:
        gray[y:y + h, x:x + w] = 20
    pyramid = pyramid_of(gray)
    for box in boxes:
        context = context_crop(pyramid, box)
        assert context.shape == (32, 32)
        assert context[14:18, 14:18].max() < 60, box  # the candidate's own ink in the middle
        assert context.min() < 60 and np.percentile(context, 50) > 180, box  # paper around it, no flat border


def test_a_candidate_filling_the_frame_is_a_third_of_its_context_as_a_small_one_is():
    from live.contract import CONTEXT_SCALE
    from live.segment import context_crop, pyramid_of

    gray = np.full((480, 640), 220, np.uint8)
    gray[40:440, 300:340] = 20  # a 1 filling most of the picture's height
    gray[200:230, 100:106] = 20  # a small one
    pyramid = pyramid_of(gray)
    for box in ((300, 40, 40, 400), (100, 200, 6, 30)):
        context = context_crop(pyramid, box)
        dark_rows = np.flatnonzero(context.min(axis=1) < 120)
        assert abs(len(dark_rows) - 32 / CONTEXT_SCALE) <= 2, (box, dark_rows)
        assert abs((dark_rows[0] + dark_rows[-1]) / 2 - 15.5) <= 1, (box, dark_rows)


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
    assert runs(boxes) == [[1, 2], [0], [3]]
    assert runs(boxes[:0]) == []


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
    assert segment(frame).turned is not None


def test_upright_digits_that_fake_a_tilt_are_read_upright(recognizer, sample_digits):
    """Upright digits written down a diagonal look like a line tilted by 30 degrees: the frame is
    also read turned, and the model's surer reading, the upright one, is kept."""
    paper = np.full((500, 700), 232, np.float32)
    expected, boxes = [2, 4, 6, 8], []
    for k, label in enumerate(expected):
        ink = _digit_of(sample_digits, label, height=70)
        h, w = ink.shape
        x, y = 120 + 110 * k, 60 + 64 * k
        paper[y:y + h, x:x + w] = np.minimum(paper[y:y + h, x:x + w], 232 * (1 - ink) + 35 * ink)
        boxes.append([x, y, w, h])
    frame = cv2.cvtColor(paper.astype(np.uint8), cv2.COLOR_GRAY2BGR)
    assert segment(frame).turned is not None, "the diagonal should look like a tilted line"
    dets = recognizer(frame).detections
    right, false = match(np.array(boxes), np.array(expected), dets)
    assert right == 4 and false == 0, (dets.labels.tolist(), dets.boxes_xywh.tolist())
    # A video that kept this frame upright follows it with a tilt of 0: read only as it is.
    both, upright = segment(frame), segment(frame, tilt=0.0)
    assert both.turned is not None and upright.turned is None and upright.angle == 0.0
    assert [c.box_xywh for c in upright.candidates] == [c.box_xywh for c in both.candidates]


def test_tracker_drops_a_digit_that_left_the_view():
    tracker = Tracker()
    for _ in range(5):
        tracker.update(_dets([[100, 50, 30, 40], [300, 50, 30, 40]], [3, 7], [0.9, 0.9]))
    shown = [len(tracker.update(_dets([[100, 50, 30, 40]], [3], [0.9]))) for _ in range(10)]
    assert shown[:3] == [2, 2, 2], "a missed digit coasts for three frames"
    assert shown[3:] == [1] * 7, "then it is gone"
    assert len(tracker.tracks) == 1


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


def _readings(classes: list[int], sureness: list[float] | None = None):
    """The model's readings, scripted: candidate i reads as classes[i] (10: not a digit) with
    sureness[i]; the decision rule is tested apart from what a trained model makes of drawings."""
    from live.recognize import Readings

    sureness = sureness or [0.99] * len(classes)
    rest = (1 - np.array(sureness, np.float32)) / 10  # the other ten classes share the rest
    probs = np.repeat(rest[:, None], 11, axis=1)
    probs[np.arange(len(classes)), classes] = sureness
    return Readings.of(probs, has_reject=True)


def _segmentation(ink_per_atom: list[int], proposals: list[tuple[tuple[int, ...], int | tuple]], alone=None,
                  xs: list[int] | None = None):
    """A segmentation of pieces with the given ink and proposals (atoms, number of candidates, or
    for a split's lattice the nodes (i, j) each of its candidates spans); candidate k is 8x20 px
    at x = xs[k], or side by side."""
    from live.segment import Candidate, Proposal, Segmentation

    def candidate(k: int) -> Candidate:
        x = 10 * k if xs is None else xs[k]
        return Candidate((x, 0, 8, 20), np.full((20, 8), 255, np.uint8), np.zeros((32, 32), np.uint8))

    made, k = [], 0
    for atoms, count in proposals:
        # Several candidates without their spans: one way to cut the piece, in order.
        spans = count if isinstance(count, tuple) else tuple((i, i + 1) for i in range(count)) if count > 1 else ()
        count = len(spans) or count
        made.append(Proposal(atoms, tuple(candidate(k + i) for i in range(count)), spans))
        k += count
    alone = np.ones(len(ink_per_atom), bool) if alone is None else np.array(alone)
    return Segmentation(made, np.array(ink_per_atom, np.float64), alone, np.zeros((4, 4), np.uint8))


REJECT = 10


@pytest.mark.parametrize("classes, sureness, expected", [
    ([REJECT, 2, 8], [0.99, 0.9, 0.9], [1, 2]),  # touching digits: the whole is "not one digit"
    ([0, 1, 1], [0.6, 0.99, 0.99], [0]),  # cut in two, anything is two 1s: no evidence
    ([REJECT, 1, 1], [0.99, 0.99, 0.99], []),  # a "u" is no "11"
    ([0, 6, 1], [0.97, 0.9, 0.9], [0]),  # a wide 0 read surely stays whole
    ([0, 6, 1], [0.7, 0.95, 0.99], [1, 2]),  # ... and gives way to a surer split
    ([REJECT, 6, REJECT], [0.9, 0.9, 0.9], []),  # a split is digits only
], ids=["touching", "two-ones", "letter", "wide-zero", "surer-split", "half-letter"])
def test_a_wide_piece_is_read_whole_or_split_as_the_model_reads_it_more_surely(classes, sureness, expected):
    from live.recognize import decide

    seg = _segmentation([100], [((0,), 1), ((0,), 2)])
    assert decide(seg, _readings(classes, sureness)).chosen == expected


def test_a_cut_into_more_digits_must_read_surer_than_a_cut_into_fewer():
    from live.recognize import decide

    # A touching "20" offered whole, cut in two (2, 0) and cut in three (the 2 halved): each half
    # of the 2 reads as a fair 2, but three readings together are less likely than the two.
    seg = _segmentation([100], [((0,), 1), ((0,), 2), ((0,), 3)])
    read = _readings([REJECT, 2, 0, 2, 2, 0], [0.6, 0.99, 0.7, 0.75, 0.99, 0.85])
    assert decide(seg, read).chosen == [1, 2]


# A tall 4 with two small 0s touching it, offered whole and as a lattice of cuts between them:
# nodes 0 | 4 | 1 | 0 | 2 | 0 | 3; its pieces "4", "40", "0", "00", "0" (candidates 1-5).
_FOUR_ZERO_ZERO = [((0,), 1), ((0,), ((0, 1), (0, 2), (1, 2), (1, 3), (2, 3)))]


@pytest.mark.parametrize("classes, sureness, expected", [
    ([REJECT, 4, REJECT, 0, REJECT, 0], [0.95, 0.99, 0.9, 0.95, 0.9, 0.95], [1, 3, 5]),  # 4, 0, 0
    ([REJECT, 4, REJECT, 0, 0, 0], [0.95, 0.99, 0.9, 0.95, 0.7, 0.95], [1, 3, 5]),  # "00" as one 0: less sure
    ([REJECT, 4, REJECT, 0, 0, 0], [0.95, 0.99, 0.9, 0.5, 0.99, 0.5], [1, 4]),  # ... or surer than two
    ([REJECT, 4, REJECT, REJECT, REJECT, 0], [0.95, 0.99, 0.9, 0.9, 0.9, 0.95], []),  # no way through
    ([REJECT, 1, REJECT, 1, REJECT, 1], [0.95, 0.99, 0.9, 0.99, 0.9, 0.99], []),  # only 1s: no evidence
], ids=["three-digits", "two-zeros", "one-wide-zero", "no-path", "ones"])
def test_a_split_is_the_surest_way_through_its_lattice_of_cuts(classes, sureness, expected):
    from live.recognize import decide

    seg = _segmentation([100], _FOUR_ZERO_ZERO)
    assert decide(seg, _readings(classes, sureness)).chosen == expected


def test_a_splits_digits_are_as_sure_as_the_whole_split():
    from live.recognize import decide

    # A wide capital cut into a fair 1 and a fair 4 is taken as a split (the whole reads "not one
    # digit"), but neither digit is more likely right than the cut, which needs both: each is
    # shown at the product, under the 0.5 a detection is counted at. A lone digit keeps its own.
    seg = _segmentation([100, 100], [((0,), 1), ((0,), 2), ((1,), 1)])
    decision = decide(seg, _readings([REJECT, 1, 4, 7], [0.99, 0.7, 0.65, 0.9]))
    assert decision.chosen == [1, 2, 3]
    np.testing.assert_allclose(decision.confidences, [0.7 * 0.65, 0.7 * 0.65, 0.9], rtol=1e-5)


@pytest.mark.parametrize("classes, sureness, expected", [
    ([REJECT, 1, 4], [0.9, 0.99, 0.99], [2]),  # an angle and a stem: a 4
    ([4, 1, 4], [0.9, 0.99, 0.99], [2]),  # a 4 and a broken-off stroke of it
    ([REJECT, 1, 4], [0.9, 0.99, 0.6], [1]),  # the union read less surely than its pieces
    ([7, 8, 7], [0.95, 0.99, 0.9], [0, 1]),  # a 7 and a sure 8 are not one 7
    ([REJECT, REJECT, 4], [0.99, 0.99, 0.9], []),  # two sure non-digits do not make a 4
    ([REJECT, REJECT, 4], [0.6, 0.6, 0.99], [2]),  # ... unless the union is surer
], ids=["angle-and-stem", "broken-stroke", "unsure-union", "no-swallowing", "letters", "sure-union"])
def test_pieces_are_read_joined_when_the_union_is_surer_than_the_pieces(classes, sureness, expected):
    from live.recognize import decide

    seg = _segmentation([60, 40], [((0,), 1), ((1,), 1), ((0, 1), 1)])
    assert decide(seg, _readings(classes, sureness)).chosen == expected


def _lone_pieces(xs: list[int], digit: list[float], reject: list[float]):
    """Pieces of 8x20 px at `xs`, each proposed alone, read as a 4 with probability digit[i] and
    as not a digit with reject[i] (the rest shared by the other digits), and the readings."""
    from live.recognize import Readings

    seg = _segmentation([100] * len(xs), [((i,), 1) for i in range(len(xs))], xs=xs)
    probs = np.zeros((len(xs), 11), np.float32)
    probs[:, REJECT] = reject
    probs[:, 4] = digit
    probs[:, :REJECT] += ((1 - probs.sum(axis=1)) / 9)[:, None] * (np.arange(10) != 4)
    return seg, Readings.of(probs, has_reject=True)


@pytest.mark.parametrize("xs, digit, reject, expected", [
    ([0, 10, 20], [0.99, 0.99, 0.45], [0.005, 0.005, 0.5], [0, 1, 2]),  # a doubtful digit among sure ones
    ([0, 10, 20], [0.01, 0.01, 0.55], [0.98, 0.98, 0.4], []),  # a letter read as a fair 4 in a word
    ([0, 10, 200], [0.01, 0.01, 0.55], [0.98, 0.98, 0.4], [2]),  # ... alone it keeps its own reading
    ([0, 100, 200], [0.99, 0.99, 0.45], [0.005, 0.005, 0.5], [0, 1]),  # digits far apart lend nothing
    ([0, 10, 20], [0.99, 0.99, 0.05], [0.005, 0.005, 0.9], [0, 1]),  # neighbours do not outvote a sure "no"
], ids=["among-digits", "in-a-word", "alone", "far-apart", "sure-reject"])
def test_a_lone_pieces_reading_is_weighed_by_its_neighbours_on_its_line(xs, digit, reject, expected):
    from live.recognize import decide

    seg, read = _lone_pieces(xs, digit, reject)
    decision = decide(seg, read)
    assert decision.chosen == expected
    # What is shown is what the model read in the patch itself.
    np.testing.assert_allclose(decision.confidences, read.confidences[expected], rtol=1e-6)


def test_a_fragment_too_small_to_be_a_digit_joins_only_a_surer_reading():
    from live.recognize import decide

    # Piece 1 (a 5's bar) is below digit height: it has no reading of its own.
    seg = _segmentation([90, 10], [((0,), 1), ((0, 1), 1)], alone=[True, False])
    assert decide(seg, _readings([5, 5], [0.7, 0.99])).chosen == [1], "the bar makes the 5 surer: joined"
    assert decide(seg, _readings([5, 5], [0.99, 0.98])).chosen == [0], "a speck that adds nothing stays out"


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


def test_neighbouring_pieces_are_proposed_as_one_digit_and_far_ones_are_not():
    from live.config import SegmentConfig
    from live.segment import _groups, _pairs

    # A 4's angle and, 8 px to its right, its stem; a digit 40 px further on; a wide pair, too
    # wide together to be one digit; a 5's body with its bar just above its top right.
    boxes = np.array([[100, 60, 130, 100], [138, 50, 146, 110], [186, 50, 216, 110],
                      [150, 200, 210, 230], [214, 200, 274, 230],
                      [300, 60, 340, 120], [330, 48, 362, 56]])
    cfg = SegmentConfig()
    anchors = np.array([True] * 6 + [False])
    assert _groups(_pairs(boxes, anchors, cfg), boxes, 20, 500, cfg) == [(0, 1), (5, 6)]


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
    apart = Recognizer(recognizer.classifier, replace(recognizer.segment_cfg, pair_max_gap=-1.0))
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


def _paths(spans: list[tuple[int, int]]) -> list[list[int]]:
    """Every way through a split's lattice: the pieces (indices into `spans`) from its first node
    to its last."""
    last = max(j for _, j in spans)

    def from_node(node: int) -> list[list[int]]:
        if node == last:
            return [[]]
        return [[k] + rest for k, (i, j) in enumerate(spans) if i == node for rest in from_node(j)]

    return from_node(0)


def test_three_narrow_touching_digits_get_a_three_way_split():
    """A tightly written "262" is only 1.2 heights wide: the width alone suggests two digits."""
    from live.segment import _lattice

    ink = np.zeros((38, 46), np.uint8)
    for x in (3, 20, 37):
        ink[:, x:x + 5] = 255  # three narrow strokes
    ink[34:, :] = 255  # joined along the bottom
    pieces, spans = _lattice(ink, 100, 50)
    assert (0, max(j for _, j in spans)) not in spans, "the whole is read as itself"

    def strokes_in(k: int) -> int:
        (x, _), width = pieces[k][1], pieces[k][0].shape[1]
        return sum(x <= 100 + s and 100 + s + 5 <= x + width for s in (3, 20, 37))

    ways = [[strokes_in(k) for k in path] for path in _paths(spans)]
    assert [1, 1, 1] in ways, "each stroke a piece of its own"
    assert [1, 2] in ways and [2, 1] in ways, "and two neighbouring strokes as one"


def test_a_tall_digit_with_small_ones_run_into_it_is_offered_cut_where_they_meet():
    """A "400" whose 0s stand half as tall as its 4, the 4's bar running into the first 0 and the
    0s touching: equal shares of the width cut through the digits (into 1-33, 33-56, 56-97);
    the lattice has a path cut where they meet."""
    from live.segment import _lattice

    ink = np.zeros((60, 100), np.uint8)
    cv2.line(ink, (30, 2), (3, 40), 255, 4)  # a 4's slant,
    cv2.line(ink, (3, 40), (44, 40), 255, 4)  # its bar, running into the first 0,
    cv2.line(ink, (30, 2), (30, 57), 255, 4)  # and its stem
    for cx in (56, 82):
        cv2.ellipse(ink, (cx, 44), (12, 13), 0, 0, 360, 255, 3)  # 0s 28 px tall, touching
    pieces, spans = _lattice(ink, 0, 0)

    def digits_in(k: int) -> list[int]:
        (x, _), width = pieces[k][1], pieces[k][0].shape[1]
        cores = [(5, 40), (47, 66), (72, 92)]  # each digit's extent, less its edges
        return [n for n, (x0, x1) in enumerate(cores) if x <= x0 and x1 <= x + width]

    assert [[0], [1], [2]] in [[digits_in(k) for k in path] for path in _paths(spans)]


def test_touching_round_digits_are_cut_under_the_notch_between_them():
    """Two 0s side by side join where both of their sides stand, the columns crossing the most
    ink; the notch in the outline above and below is where they meet."""
    from live.segment import _cuts

    ink = np.zeros((40, 62), np.uint8)
    for cx in (16, 45):
        cv2.ellipse(ink, (cx, 20), (14, 18), 0, 0, 360, 255, 4)
    assert any(abs(x - 30) <= 2 for x in _cuts(ink)), _cuts(ink)


def test_small_zeros_beside_taller_digits_are_found():
    """Small round digits stand shorter than their neighbours: 11 px 0s beside a 35 px 1 in a
    photo 692 px high."""
    paper = np.full((692, 922), 215, np.uint8)
    cv2.line(paper, (300, 300), (300, 330), 40, 3)  # a 1, 30 px
    for x in (340, 362, 384):
        cv2.ellipse(paper, (x, 325), (4, 4), 0, 0, 360, 40, 2)  # 0s 11 px tall with the pen
    seg = segment(paper)
    alone = [p.candidates[0].box_xywh[3] for p in seg.proposals if len(p.atoms) == 1 and not p.is_split]
    assert sorted(alone) == [11, 11, 11, 35]


def test_large_marker_digits_filling_a_vignetted_webcam_frame_are_all_read(recognizer, sample_digits):
    """A sheet held close to a laptop webcam: three digits 150-200 px tall in a 640x480 frame whose
    corners fall off to dark grey."""
    from live.backdrops import vignette

    images, labels = sample_digits
    paper = np.full((480, 640), 235, np.float32)
    wanted = [4, 7, 2]
    for digit, x in zip(wanted, (40, 250, 460)):
        ink = digit_ink(images[np.flatnonzero(labels == digit)[0]], 170, 0.02)
        cols = np.flatnonzero(ink.max(axis=0) > 0.5)
        ink = ink[:, cols[0]:cols[-1] + 1]
        h, w = ink.shape
        paper[100:100 + h, x:x + w] = np.minimum(paper[100:100 + h, x:x + w], 235 * (1 - ink) + 25 * ink)
    gain = np.full((480, 640), 1.0, np.float32)
    while gain[0, 0] > 0.4:  # the strongest fall-off the vignette draws
        gain = vignette(np.random.default_rng(int(1000 * gain[0, 0])), 640, 480)
    frame = cv2.cvtColor(np.clip(paper * gain, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    dets = recognizer(frame).detections
    sure = dets.select(dets.confidences >= 0.5)
    assert sure.labels[np.argsort(sure.boxes_xywh[:, 0])].tolist() == wanted


def test_a_page_of_two_hundred_digits_is_read_whole(recognizer, sample_digits):
    """No cap on the proposals cuts a dense page short: every digit reaches the model."""
    from live.synth import make_sheet, photograph

    rng = np.random.default_rng(200)
    sheet = make_sheet(rng, *sample_digits, n_digits=200, digit_height=24, ruled=False)
    h, w = sheet.image_bgr.shape[:2]
    frame, truth = photograph(rng, sheet, np.eye(3), np.full((h, w, 3), 235, np.uint8), camera_noise=False)
    dets = recognizer(frame).detections
    right, _ = match(truth.boxes_xywh, truth.labels, dets.select(dets.confidences >= 0.5))
    assert len(truth.labels) == 200 and right >= 180, f"{right} of 200 read right"


def test_real_photographs_without_digits_give_few_false_digits(recognizer):
    """Faces, a cat, a motorcycle: photographs training never saw, as a webcam delivers them."""
    if importlib.util.find_spec("skimage") is None:
        pytest.skip("the photographs ship in scikit-image's wheel")
    from live.backdrops import HELD_OUT_PHOTOS, camera_frame, load_photos

    photos = load_photos(HELD_OUT_PHOTOS)
    rng = np.random.default_rng(7)
    false = sum(int((recognizer(camera_frame(rng, photo, 640, 480)).detections.confidences >= 0.5).sum())
                for photo in photos for _ in range(2))
    assert false <= 0.5 * 2 * len(photos), f"{false} false digits in {2 * len(photos)} frames"


def test_holes_as_dark_as_the_ink_are_filled_and_paper_holes_are_not():
    """A marker stroke wider than the threshold's window comes out hollow; a 0's hole is paper."""
    from live.segment import fill_dark_holes

    outline = np.zeros((60, 40), np.uint8)
    cv2.rectangle(outline, (5, 5), (34, 54), 255, 3)  # the threshold's edges of a thick bar
    hollow_bar = np.full((60, 40), 230, np.uint8)
    hollow_bar[5:55, 5:35] = 30  # in the photo the bar is dark all through
    zero = np.full((60, 40), 230, np.uint8)
    zero[outline > 0] = 30  # a 0: dark rim, paper inside
    assert fill_dark_holes(outline, hollow_bar)[20:40, 15:25].all()
    assert not fill_dark_holes(outline, zero)[20:40, 15:25].any()
    # A speck of one pixel (a hairline shrunk with a large candidate) has no hole, and no error.
    speck = np.full((1, 1), 255, np.uint8)
    assert fill_dark_holes(speck, np.full((1, 1), 30, np.uint8)) is speck


def test_a_large_candidate_is_cut_out_small_with_its_box_in_frame_pixels():
    from live.segment import LARGE_SIDE

    paper = np.full((720, 1280), 230, np.uint8)
    cv2.ellipse(paper, (640, 360), (150, 250), 0, 0, 360, 30, 12)  # a 0 500 px tall
    (cand,) = segment(paper).candidates
    x, y, w, h = cand.box_xywh
    assert abs(x - 484) <= 3 and abs(y - 104) <= 3 and abs(h - 513) <= 4
    assert max(cand.ink.shape) <= LARGE_SIDE and cand.ink_scale > 3


@pytest.mark.parametrize("overlap", [True, False], ids=["overlapped", "one-after-the-other"])
def test_a_stream_reads_every_frame_as_one_frame_is_read_and_hands_out_frames_before_a_failure(
        recognizer, sample_digits, overlap):
    from live.recognize import recognize_stream

    rng = np.random.default_rng(8)
    frames = [render_scene(rng, *sample_digits)[0] for _ in range(4)]

    def source():
        yield from frames
        raise OSError("camera unplugged")

    seen = []
    with pytest.raises(OSError, match="unplugged"):
        for frame, recognition in recognize_stream(recognizer, source(), overlap):
            seen.append((frame, recognition))
    assert [f is g for (f, _), g in zip(seen, frames)] == [True] * 4
    from live.boxes import iou_matrix

    for frame, recognition in seen:
        alone, streamed = recognizer(frame).detections, recognition.detections
        assert len(streamed) == len(alone)
        # A frame read only around the large digits of the frame before is read at half size: its
        # boxes are those of a whole read to within a working pixel and a half, three of the frame's.
        same = iou_matrix(alone.boxes_xywh, streamed.boxes_xywh).argmax(axis=1)
        np.testing.assert_array_equal(streamed.labels[same], alone.labels)
        np.testing.assert_allclose(streamed.boxes_xywh[same], alone.boxes_xywh, atol=3)


@contextlib.contextmanager
def _ways_prepared():
    """Record the (tilt, around) each frame is segmented with while the block runs, here or in
    the segmenting process."""
    import live.recognize
    from live.segment_process import SegmentProcess

    ways = []
    segment, submit = live.recognize.segment, SegmentProcess.submit

    def recording_segment(frame, cfg, tilt=None, around=None, zoom=1.0):
        ways.append((tilt, around))
        return segment(frame, cfg, tilt, around, zoom)

    def recording_submit(self, frame, tilt=None, around=None, zoom=1.0):
        taken = submit(self, frame, tilt, around, zoom)
        if taken:  # else it is segmented here
            ways.append((tilt, around))
        return taken

    live.recognize.segment, SegmentProcess.submit = recording_segment, recording_submit
    try:
        yield ways
    finally:
        live.recognize.segment, SegmentProcess.submit = segment, submit


def test_a_tilt_follower_follows_the_way_each_full_read_kept_until_the_next_one():
    from live.recognize import Recognition, TiltFollower
    from live.segment import Around

    def seen(angle: float, boxes: list) -> Recognition:
        dets = Detections.untracked(boxes, [1] * len(boxes), [0.9] * len(boxes))
        return Recognition(dets, np.zeros((1, 1), np.uint8), np.zeros((0, 28, 28, 1)), angle)

    follower = TiltFollower()
    every = TiltFollower.FULL_READ_EVERY
    shape = (720, 1280, 3)
    assert follower.next_way() == (None, None, True), "the first frame is read whole, both ways"
    follower.saw(seen(0.4, [[500, 300, 40, 60], [600, 320, 40, 50]]), True, shape)
    room = TiltFollower.MARGIN_DIGITS * 60 + TiltFollower.MARGIN_FRAME * 720
    region = Around(((500, 300, 540, 360), (600, 320, 640, 370)), room)
    ways = [follower.next_way() for _ in range(2 * every)]
    assert ways[: every - 1] == [(0.4, region, False)] * (every - 1)
    assert ways[every - 1] == (None, None, True), f"every {every}th frame is read whole, both ways"
    follower.saw(seen(0.3, [[0, 0, 10, 10]]), False, shape)
    assert (follower.tilt, follower.around) == (0.4, region), "a frame read only turned changes nothing"
    follower.saw(seen(0.4, []), True, shape)
    assert follower.next_way() == (None, None, True), "no digit read turned: nothing to follow"
    follower.saw(seen(0.4, [[500, 300, 40, 60]]), True, shape)
    follower.saw(seen(0.0, [[500, 300, 40, 60]]), True, shape)
    ways = [follower.next_way() for _ in range(every)]
    one = Around(((500, 300, 540, 360),), room)
    assert ways[: every - 1] == [(0.0, one, False)] * (every - 1), "a full read kept as it is: followed as it is"
    assert ways[every - 1] == (None, None, True)
    follower.saw(seen(0.0, []), True, shape)
    assert follower.next_way() == (None, None, True), "a full read that found nothing: nothing to follow"


def test_a_tilt_follower_makes_full_reads_at_the_size_the_last_ones_digits_asked_for():
    """Digits of 60 px ask for no enlarging; digits of 16-24 px (20 in the middle) for twice the
    working size, in working px: a 2560x1440 frame is worked at half, so its 40 px digits are 20."""
    from live.recognize import Recognition, TiltFollower

    def seen(heights: list) -> Recognition:
        dets = Detections.untracked([[100 * k, 100, 20, h] for k, h in enumerate(heights)], [1] * len(heights),
                                    [0.9] * len(heights))
        return Recognition(dets, np.zeros((1, 1), np.uint8), np.zeros((0, 28, 28, 1)), 0.0)

    follower = TiltFollower()
    assert follower.zoom == 1.0
    follower.saw(seen([60, 60]), True, (720, 1280, 3))
    assert follower.zoom == 1.0
    follower.saw(seen([16, 20, 24]), True, (720, 1280, 3))
    assert follower.zoom == 2.0
    follower.saw(seen([60, 60]), False, (720, 1280, 3))
    assert follower.zoom == 2.0, "a followed read changes nothing"
    follower.saw(seen([40, 40]), True, (1440, 2560, 3))
    assert follower.zoom == 2.0
    follower.saw(seen([]), True, (720, 1280, 3))
    assert follower.zoom == 1.0, "nothing found: nothing to enlarge for"


@pytest.mark.parametrize("seed", [3, 7])
def test_a_frame_turned_upright_is_read_only_where_it_shows_the_frame(sample_digits, seed):
    """Turning a frame upright repeats its edge pixels around it, drawn out into streaks and
    specks: none of that is read, every candidate of the turned way lies in the frame."""
    from live.synth import SheetAnimation

    frame, _ = SheetAnimation(seed=seed, n_digits=10, digits=sample_digits, tilt_deg=25).frame(0)
    turned = segment(frame).turned
    assert turned is not None
    boxes = np.array([c.box_xywh for c in turned.candidates]).reshape(-1, 4)
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    outside = (centres < 0).any(axis=1) | (centres[:, 0] >= frame.shape[1]) | (centres[:, 1] >= frame.shape[0])
    assert not outside.any(), boxes[outside].tolist()


def test_a_sheet_held_aslant_is_seen_tilted_though_its_digits_stand_unevenly(sample_digits):
    """Digits of different widths at uneven heights: the directions from each to its nearest
    neighbour scatter, and the sheet's tilt is still found on every frame as it sways."""
    from live.synth import SheetAnimation

    animation = SheetAnimation(seed=12, n_digits=10, digits=sample_digits, tilt_deg=25)
    for index in (0, 40, 80):
        turned = segment(animation.frame(index)[0]).turned
        assert turned is not None, f"frame {index} not seen tilted"
        assert abs(np.rad2deg(turned.angle) - 25) < 10, np.rad2deg(turned.angle)


def test_a_followed_turned_read_turns_only_the_part_around_the_digits(sample_digits):
    """The part of a slanted frame turned upright is the digits' upright extent with room, not a
    box around them that the turn would grow; every digit is still proposed there."""
    from live.segment import Around
    from live.synth import SheetAnimation

    frame, truth = SheetAnimation(seed=3, n_digits=8, digits=sample_digits, tilt_deg=25).frame(0)
    whole = segment(frame)
    assert whole.turned is not None
    corners = truth.boxes_xywh.copy()
    corners[:, 2:] += corners[:, :2]
    room = 40.0
    part = segment(frame, tilt=whole.turned.angle, around=Around(tuple(map(tuple, corners.tolist())), room))
    assert part.turned is None and part.angle == whole.turned.angle
    x0, y0 = corners[:, :2].min(0) - room
    x1, y1 = corners[:, 2:].max(0) + room
    turn = abs(whole.turned.angle)
    grown = ((x1 - x0) * np.cos(turn) + (y1 - y0) * np.sin(turn)) * ((x1 - x0) * np.sin(turn) + (y1 - y0) * np.cos(turn))
    assert part.mask.size < 0.8 * grown, (part.mask.shape, grown)
    from live.boxes import iou_matrix

    proposed = np.array([c.box_xywh for c in part.candidates]).reshape(-1, 4)
    best = iou_matrix(truth.boxes_xywh, proposed).max(axis=1, initial=0.0)
    assert (best >= 0.5).all(), best.round(2)


def test_a_followed_upright_read_reads_only_the_part_around_the_digits(sample_digits):
    """Read as it is around the digits a recent frame found: every digit is proposed with the box a
    whole read gives it, nothing outside the part is read, and a piece that the part's edge cuts
    (a line running out of it) is not read as the stub the edge leaves."""
    from live.boxes import iou_matrix
    from live.segment import Around
    from live.synth import SheetAnimation

    frame, truth = SheetAnimation(seed=3, n_digits=8, digits=sample_digits).frame(0)
    # Digits small enough (30-44 px) to be read at the frame's own size (`followed_scale`).
    frame, truth = _smaller(frame, truth, 0.4)
    corners = truth.boxes_xywh.copy()
    corners[:, 2:] += corners[:, :2]
    room = 30.0
    x0, y0 = (corners[:, :2].min(0) - room).astype(int)
    x1, y1 = (corners[:, 2:].max(0) + room).astype(int)
    # A long dark line down across the part's bottom edge, clear of the digits: the part holds
    # a stub of it as tall as a digit, a 1 to read.
    line_x = int(x0 + room / 2)
    frame[y1 - 60:y1 + 200, line_x:line_x + 4] = 30
    around = Around(tuple(map(tuple, corners.tolist())), room)
    whole, part = segment(frame, tilt=0.0), segment(frame, tilt=0.0, around=around)
    assert part.mask.shape == whole.mask.shape and not part.mask[y1 + 1:].any()
    whole_boxes = {c.box_xywh for c in whole.candidates}
    part_boxes = np.array([c.box_xywh for c in part.candidates]).reshape(-1, 4)
    assert (part_boxes[:, :2] >= (x0, y0)).all() and (part_boxes[:, :2] + part_boxes[:, 2:] <= (x1, y1)).all()
    for box in truth.boxes_xywh:
        best = max(part.candidates, key=lambda c: float(iou_matrix(box[None], np.array([c.box_xywh]))[0, 0]))
        assert best.box_xywh in whole_boxes, (box.tolist(), best.box_xywh)
        assert iou_matrix(box[None], np.array([best.box_xywh]))[0, 0] >= 0.5
    on_line = [c.box_xywh for c in part.candidates if c.box_xywh[0] <= line_x + 2 <= c.box_xywh[0] + c.box_xywh[2]]
    assert not on_line, f"a stub of the line, cut at the part's edge, is read: {on_line}"


@pytest.mark.parametrize("overlap", [True, False], ids=["overlapped", "one-after-the-other"])
def test_a_stream_follows_a_slanted_sheet_and_lets_go_once_it_is_set_straight(recognizer, sample_digits,
                                                                               overlap):
    """A sheet held 25 degrees aslant is read turned upright on every frame, most of them turned
    only (not also read as they are); set straight, it is read upright again within a few frames."""
    from live.recognize import TiltFollower, recognize_stream
    from live.synth import SheetAnimation

    slanted = SheetAnimation(seed=3, n_digits=8, digits=sample_digits, tilt_deg=25)
    straight = SheetAnimation(seed=3, n_digits=8, digits=sample_digits)
    frames = [slanted.frame(i) for i in range(10)] + [straight.frame(i) for i in range(10, 24)]
    with _ways_prepared() as prepared:
        readings = [r for _, r in recognize_stream(recognizer, (f for f, _ in frames), overlap)]
    ways = [tilt for tilt, _ in prepared]
    assert all(r.angle > np.deg2rad(12) for r in readings[:10]), [round(np.rad2deg(r.angle)) for r in readings]
    assert sum(bool(t) for t in ways[:10]) >= 6, "most slanted frames are read turned only"
    settle = TiltFollower.FULL_READ_EVERY + 1
    assert all(r.angle == 0 and not t for r, t in zip(readings[10 + settle:], ways[10 + settle:]))
    for (_, truth), r in zip(frames, readings):
        sure = r.detections.select(r.detections.confidences >= 0.5)
        right, false = match(truth.boxes_xywh, truth.labels, sure, min_iou=0.3)
        assert right >= 7 and false == 0, (right, false)


def test_a_stream_of_unrelated_photos_reads_each_whole_and_both_ways(recognizer, sample_digits):
    """Photos shown one after another are unrelated: a slanted one must not have the next read
    turned by its tilt. Each is read as a photo is: one of small digits again enlarged."""
    from live.recognize import recognize_stream
    from live.synth import SheetAnimation

    slanted = SheetAnimation(seed=3, n_digits=8, digits=sample_digits, tilt_deg=25).frame(0)[0]
    upright = [SheetAnimation(seed=s, n_digits=8, digits=sample_digits).frame(0)[0] for s in (4, 5, 6)]
    upright.append(_smaller(upright[0], SheetAnimation(seed=4, n_digits=8, digits=sample_digits).frame(0)[1], 0.45)[0])
    with _ways_prepared() as ways:
        readings = [r for _, r in recognize_stream(recognizer, iter([slanted, *upright]), follow_tilt=False)]
    assert readings[0].angle != 0, "the slanted photo is read turned"
    assert ways == [(None, None)] * 5 + [(0.0, None)], "the small digits read again, as the first read kept"
    for frame, r in zip(upright, readings[1:]):
        alone = recognizer(frame).detections
        np.testing.assert_array_equal(r.detections.boxes_xywh, alone.boxes_xywh)
        np.testing.assert_array_equal(r.detections.labels, alone.labels)


def _put(canvas: np.ndarray, ink: np.ndarray, x: int, y: int, colour_bgr: tuple[int, int, int]) -> list[int]:
    """Draw float ink (1 = ink) in a colour onto a BGR canvas; its box [x, y, w, h]."""
    h, w = ink.shape
    region = canvas[y:y + h, x:x + w].astype(np.float32)
    canvas[y:y + h, x:x + w] = (region * (1 - ink[..., None]) + np.float32(colour_bgr) * ink[..., None]).astype(np.uint8)
    return [x, y, w, h]


def _tight_digit(sample_digits, label: int, height: int, index: int, stroke: float = 0.02) -> np.ndarray:
    """A digit's ink cropped to its strokes on all four sides."""
    ink = _digit_of(sample_digits, label, height, index, stroke)
    rows = np.flatnonzero(ink.max(axis=1) > 0.5)
    return ink[rows[0]:rows[-1] + 1]


@pytest.mark.parametrize("paper, ink_grey, stroke, gap", [(232, 30, 0.02, 16), (175, 95, 0.01, 10)],
                         ids=["pen-on-white", "pencil-on-grey"])
def test_a_close_column_of_stacked_digits_is_read_digit_by_digit(recognizer, sample_digits, paper, ink_grey,
                                                                 stroke, gap):
    """Digits written one under the other, a seventh to a seventh of their height apart: each is
    read on its own, none is swallowed by a union with its neighbour."""
    wanted = [1, 4, 5, 6, 8, 2, 0, 7, 9]
    canvas = np.full((9 * (70 + gap) + 30, 300, 3), paper, np.uint8)
    boxes, y = [], 15
    for k, label in enumerate(wanted):
        ink = _tight_digit(sample_digits, label, 70, k % 3, stroke)
        boxes.append(_put(canvas, ink, 120, y, (ink_grey,) * 3))
        y += ink.shape[0] + gap
    dets = recognizer(canvas).detections
    right, false = match(np.array(boxes), np.array(wanted), dets.select(dets.confidences >= 0.5))
    assert (right, false) == (9, 0), dets.labels[np.argsort(dets.boxes_xywh[:, 1])].tolist()


def test_digits_in_four_ink_colours_are_read(recognizer, sample_digits):
    """Black, red, blue and green pen: the threshold works on brightness, whatever the hue."""
    wanted = [4, 0, 6, 9, 2, 5, 3, 8]
    colours = [(20, 20, 20), (40, 40, 200), (200, 60, 30), (40, 150, 40)]  # BGR
    canvas = np.full((300, 700, 3), 240, np.uint8)
    boxes = [_put(canvas, _tight_digit(sample_digits, label, 70, k % 4), 40 + 80 * k, 100 + (k % 2) * 20,
                  colours[k % 4]) for k, label in enumerate(wanted)]
    dets = recognizer(canvas).detections
    right, false = match(np.array(boxes), np.array(wanted), dets.select(dets.confidences >= 0.5))
    assert (right, false) == (8, 0)


def _sheet_held_in_two_hands(sample_digits) -> tuple[np.ndarray, list[list[int]], list[int], list[int]]:
    """A person holding up a sheet by its sides, four rows of digits in four pens, the first and
    last rows running to the sheet's edges: (frame, boxes, labels, row of each digit)."""
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[:] = (70, 80, 95)
    cv2.ellipse(frame, (640, 120), (150, 190), 0, 0, 360, (120, 150, 190), -1)  # a face
    cv2.rectangle(frame, (300, 250), (980, 720), (60, 40, 40), -1)  # a shirt
    cv2.rectangle(frame, (360, 200), (920, 640), (235, 235, 235), -1)  # the sheet
    rows = [(215, [2, 7, 1, 9, 4]), (330, [6, 0, 3]), (440, [8, 5, 1]), (545, [4, 2, 7, 0, 6])]
    colours = [(20, 20, 20), (40, 40, 200), (200, 60, 30), (40, 150, 40)]
    boxes, labels, row_of = [], [], []
    for r, (y, digits) in enumerate(rows):
        xs = np.linspace(378, 860, len(digits)) if len(digits) == 5 else np.linspace(500, 740, len(digits))
        for k, (x, label) in enumerate(zip(xs.astype(int), digits)):
            boxes.append(_put(frame, _tight_digit(sample_digits, label, 80, k % 3), int(x), y, colours[r]))
            labels.append(label)
            row_of.append(r)
    for cx in (345, 935):  # the hands over the sheet's sides, fingers on the paper
        cv2.ellipse(frame, (cx, 430), (55, 90), 0, 0, 360, (120, 150, 200), -1)
        for f in range(4):
            cv2.ellipse(frame, (cx + (25 if cx < 640 else -25), 370 + 30 * f), (30, 11), 0, 0, 360, (105, 135, 185), -1)
    return cv2.GaussianBlur(frame, (3, 3), 0), boxes, labels, row_of


def test_a_sheet_held_in_two_hands_is_read_and_nothing_else(recognizer, sample_digits):
    """The sheet's outline, the hands, the face and the shirt are proposed like any ink and read
    as no digit; the digits of the middle rows, away from the sheet's edges, are all read."""
    frame, boxes, labels, row_of = _sheet_held_in_two_hands(sample_digits)
    dets = recognizer(frame).detections
    sure = dets.select(dets.confidences >= 0.5)
    middle = [k for k, r in enumerate(row_of) if r in (1, 2)]
    right, _ = match(np.array(boxes)[middle], np.array(labels)[middle], sure)
    _, false = match(np.array(boxes), np.array(labels), sure)
    assert right == len(middle) and false == 0


@pytest.mark.xfail(strict=True, reason="the context branch still rejects digits within a sixth of their height "
                                       "of a sheet's edge beside dark cloth (2 of 5 in the last row), though "
                                       "some training sheets are written that close to the edge")
def test_digits_at_the_edges_of_a_held_sheet_are_read(recognizer, sample_digits):
    frame, boxes, labels, row_of = _sheet_held_in_two_hands(sample_digits)
    dets = recognizer(frame).detections
    right, _ = match(np.array(boxes), np.array(labels), dets.select(dets.confidences >= 0.5))
    assert right == len(labels)


def _hair(rng: np.random.Generator) -> np.ndarray:
    frame = np.full((480, 640, 3), (150, 170, 200), np.uint8)
    for _ in range(120):  # strands falling from the top, curling a little
        points, angle = [np.array([rng.uniform(0, 640), rng.uniform(-50, 200)])], rng.uniform(1.2, 1.9)
        for _ in range(12):
            angle += rng.normal(0, 0.12)
            points.append(points[-1] + 18 * np.array([np.cos(angle), np.sin(angle)]))
        cv2.polylines(frame, [np.array(points, np.int32)], False, (int(rng.integers(15, 50)),) * 3,
                      int(rng.integers(1, 3)), cv2.LINE_AA)
    return frame


def _brick(rng: np.random.Generator) -> np.ndarray:
    frame = np.full((480, 640, 3), (170, 175, 180), np.uint8)  # mortar
    bh, bw = int(rng.integers(28, 40)), int(rng.integers(70, 100))
    for r, y in enumerate(range(-bh, 480, bh)):
        for x in range(-bw + (bw // 2) * (r % 2), 640, bw):
            colour = np.array([50, 60, 150]) + rng.integers(-20, 20, 3)
            cv2.rectangle(frame, (x + 3, y + 3), (x + bw - 3, y + bh - 3), tuple(int(v) for v in colour), -1)
    return frame


def _grain(rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:480, 0:640].astype(np.float32)
    rings = 0.5 + 0.5 * np.sin((yy + 6 * np.sin(xx / rng.uniform(60, 120)) + 3 * np.sin(yy / 37)) / rng.uniform(3, 6))
    grey = np.clip(120 + 60 * rings ** 4 + rng.normal(0, 4, (480, 640)), 0, 255)
    return (grey[..., None] * np.float32([0.6, 0.8, 1.0])).astype(np.uint8)


def test_hair_brick_and_wood_grain_give_no_digits(recognizer):
    """Strands of hair are 1s and 7s, mortar joints 1s, grain lines 1s, each patch on its own: the
    frame around them says otherwise. (The patch-only model shipped before the context branch
    reads 8 digits in these 15 frames.)"""
    false = 0
    for make in (_hair, _brick, _grain):
        for seed in range(5):
            frame = cv2.GaussianBlur(make(np.random.default_rng(seed)), (3, 3), 0)
            false += int((recognizer(frame).detections.confidences >= 0.5).sum())
    assert false <= 1, f"{false} false digits in 15 frames of hair, brick and wood grain"


def test_a_marker_zero_filling_a_close_up_is_one_piece_with_its_loop_open():
    """A marker stroke wider than the threshold's window comes out as its two outlines: the inner
    outline of a 0's loop must not stand as a second 0 inside the first."""
    frame = np.full((300, 300), 200, np.uint8)
    cv2.ellipse(frame, (150, 150), (70, 110), 0, 0, 360, 30, 36)  # a 0, 256 px tall, 36 px stroke
    seg = segment(frame)
    assert seg.atom_alone.sum() == 1, [p.candidates[0].box_xywh for p in seg.proposals]
    whole = seg.proposals[0].candidates[0]
    x, y, w, h = whole.box_xywh
    assert h > 240 and w > 160
    ink_h, ink_w = whole.ink.shape  # a large candidate's ink is cut out small
    assert whole.ink[ink_h // 2, ink_w // 2] == 0, "the loop's paper is no ink"
    assert whole.ink[ink_h // 2, round(18 / h * ink_h)] > 0, "the stroke's middle is ink"


def test_a_large_hairline_digit_keeps_its_ink_when_shrunk():
    # A 1 px pen line around a 600 px digit averages below the cut when shrunk to the working
    # size. Its candidate must keep ink: an empty one reads as nothing, and on a turned frame
    # it has no box at all.
    frame = np.full((720, 1280), 235, np.uint8)
    cv2.ellipse(frame, (640, 360), (200, 300), 0, 0, 360, 30, 1)
    candidates = segment(frame).candidates
    assert candidates and all(c.ink.any() for c in candidates)


def test_ruling_stubs_are_trimmed_to_the_digit_between_them_and_never_to_nothing():
    from live.segment import _trim_tails

    h = 40
    stubs = np.zeros((h, 100), np.uint8)
    stubs[30, :45] = stubs[30, 55:] = 255  # two level stubs, a gap between them
    ink, box = _trim_tails(stubs, (10, 20, 100, h), hairline=2)
    assert ink.any() and box == (10, 20, 100, h)
    digit = np.zeros((h, 60), np.uint8)
    digit[30, :20] = 255  # a stub, an empty column, then a 1
    digit[:, 24:28] = 255
    ink, box = _trim_tails(digit, (10, 20, 60, h), hairline=2)
    assert box[0] == 10 + 24 and ink.shape == (h, 4)


def test_digits_in_a_ballpoint_written_on_a_ruled_line_are_freed_from_it_and_read(recognizer, sample_digits):
    """Notebook paper and a ballpoint: the digits' strokes are as thin as the ruling they stand
    on, so a straight line fitted through every hairline column of the piece lies between the
    ruling and the digits. The ruling is still found, erased, and each digit read on its own."""
    wanted = [5, 8, 3, 2, 7, 4]
    images, labels = sample_digits
    canvas = np.full((720, 1280, 3), 236, np.uint8)
    cv2.line(canvas, (0, 402), (1279, 404), (200, 170, 150), 1)
    boxes = []
    for k, label in enumerate(wanted):
        ink = digit_ink(images[np.flatnonzero(labels == label)[k]], 120, 0.0, pen=0.012)
        rows, cols = np.flatnonzero(ink.max(axis=1) > 0.5), np.flatnonzero(ink.max(axis=0) > 0.5)
        ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        boxes.append(_put(canvas, ink, 120 + 200 * k, 404 - ink.shape[0], (70, 45, 30)))  # standing on the line
    dets = recognizer(canvas).detections
    right, false = match(np.array(boxes), np.array(wanted), dets.select(dets.confidences >= 0.5))
    assert (right, false) == (len(wanted), 0)


def test_the_line_most_points_lie_along_is_found_where_least_squares_is_pulled_off_it():
    from live.segment import _line_along

    rng = np.random.default_rng(0)
    xs = np.concatenate([np.arange(200), rng.integers(80, 120, 150)])  # a ruling, a digit's ink above it
    ys = np.concatenate([np.full(200, 60), rng.integers(5, 50, 150)])
    least_squares = np.polyfit(xs, ys, 1)
    assert abs(least_squares[0] * 100 + least_squares[1] - 60) > 4
    slope, intercept = _line_along(xs, ys, (70, 200), hairline=2)
    assert abs(slope) < 0.01 and abs(intercept - 60) < 0.5


def test_a_ballpoint_draws_a_digits_centre_line_as_wide_as_asked(sample_digits):
    from live.synth import centre_line

    bar = np.zeros((20, 60), bool)
    bar[6:15, 5:55] = True
    line = centre_line(bar)
    assert line.sum(axis=0)[10:50].tolist() == [1] * 40  # one pixel thick, along the bar
    images, _ = sample_digits
    for pen in (0.01, 0.03):
        ink = digit_ink(images[0], 200, 0.0, pen=pen) > 0.5
        assert abs(stroke_width(ink.view(np.uint8) * np.uint8(255)) - pen * 200) <= 1.5


def test_a_wide_blob_with_one_hairline_column_is_no_ruling_and_no_crash():
    import cv2 as cv

    from live.config import SegmentConfig
    from live.segment import erase_rulings

    mask = np.zeros((20, 40), np.uint8)
    mask[5:9, 10:20] = 255
    mask[7:9, 15] = 0  # one column only a hairline thick: one point cannot fit a line
    _, labels, stats, _ = cv.connectedComponentsWithStats(mask, connectivity=8)
    assert not erase_rulings(mask, labels, stats, 2.0, 2, SegmentConfig())
    assert mask[5:9, 10:20].sum() == 255 * (40 - 2)


def test_small_digits_on_a_sheet_held_far_off_in_a_large_dark_frame_are_read(recognizer, sample_digits):
    """Digits 12 px tall on a small sheet in the middle of a 1280x960 frame: a share of the frame
    alone (1.5 % of 960 px is 14 px) would drop them before the model reads them; a digit that
    tall can be read, so the smallest height asked of a digit never passes that."""
    wanted = [0, 3, 5, 8, 2, 6]
    frame = np.full((960, 1280, 3), 35, np.uint8)
    frame[380:580, 440:840] = 225
    boxes = [_put(frame, _tight_digit(sample_digits, label, 12, k % 3, 0.08), 480 + 55 * k, 465, (40, 40, 40))
             for k, label in enumerate(wanted)]
    dets = recognizer(frame).detections
    assert match(np.array(boxes), np.array(wanted), dets.select(dets.confidences >= 0.5)) == (6, 0), dets.labels


def _smaller(frame: np.ndarray, truth, factor: float):
    """The frame and its truth scaled by `factor`."""
    from dataclasses import replace

    small = cv2.resize(frame, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    return small, replace(truth, boxes_xywh=np.round(truth.boxes_xywh * factor).astype(truth.boxes_xywh.dtype))


@pytest.mark.parametrize("factor, halved", [(1.0, True), (0.5, False)], ids=["large", "small"])
def test_a_followed_read_is_made_at_half_size_for_large_digits_and_enlarged_for_small_ones(
        recognizer, sample_digits, factor, halved):
    """A 720p frame read around digits all at least twice the patch's digit box tall is segmented
    at half size, and its digits are found and read there as a whole read finds and reads them
    (over 100 such frames: 924 of 1000 digits read right at half size, 922 whole); the same frame
    at half size, its digits under twice the digit box, is segmented enlarged (`zoom_for`), and
    its digits found and read there too."""
    from live.boxes import iou_matrix
    from live.segment import Around, zoom_for

    frame, truth = _smaller(*SheetAnimation(seed=5, n_digits=10, digits=sample_digits).frame(0), factor)
    assert (truth.boxes_xywh[:, 3].min() >= 40) == halved
    corners = truth.boxes_xywh.copy()
    corners[:, 2:] += corners[:, :2]
    around = Around(tuple(map(tuple, corners.tolist())), 60.0)
    whole = recognizer.read(recognizer.prepare(frame, 0.0))
    part = recognizer.prepare(frame, 0.0, around)
    followed = recognizer.read(part)
    height, width = frame.shape[:2]
    zoom = zoom_for(truth.boxes_xywh[:, 3].astype(float))
    assert halved or zoom > 1.1
    size = (height // 2, width // 2) if halved else (round(height * zoom), round(width * zoom))
    assert part.segmentation.mask.shape == size
    for name, dets in (("whole", whole.detections), ("followed", followed.detections)):
        overlap = iou_matrix(truth.boxes_xywh, dets.boxes_xywh)
        assert (overlap.max(axis=1, initial=0.0) >= 0.5).all(), (name, overlap.max(axis=1, initial=0.0).round(2))
        assert (dets.labels[overlap.argmax(axis=1)] == truth.labels).mean() >= 0.9, name


def test_small_digits_are_read_at_twice_the_patchs_digit_box_and_at_most_twice_the_size():
    from live.segment import MAX_ZOOM, zoom_for

    assert zoom_for(np.array([])) == 1.0  # nothing found: nothing to enlarge for
    assert zoom_for(np.array([60.0, 80.0, 45.0])) == 1.0  # tall enough already
    assert zoom_for(np.array([20.0, 30.0, 90.0])) == pytest.approx(40 / 30)  # the middle one counts
    assert zoom_for(np.array([8.0, 12.0])) == MAX_ZOOM == 2.0


def test_small_digits_read_enlarged_are_read_right_more_often(recognizer, sample_digits):
    """Photos (640x480) of ten digits about 14 px tall: read as they are, their thin strokes come
    apart and their neighbours run together; read again enlarged (`Recognizer.__call__`), more
    of them are read right (over 4 seeds of 8 such photos: 262 of 320 as they are, 291 enlarged)."""
    rng = np.random.default_rng(1)
    plain = enlarged = total = 0
    for _ in range(8):
        frame, truth = render_scene(rng, *sample_digits, 640, 480, n_digits=10, digit_height=14)
        plain += match(truth.boxes_xywh, truth.labels, _sure(recognizer.read(recognizer.prepare(frame)).detections))[0]
        enlarged += match(truth.boxes_xywh, truth.labels, _sure(recognizer(frame).detections))[0]
        total += len(truth.labels)
    assert enlarged >= plain + 5 and enlarged >= 0.85 * total, (plain, enlarged, total)


def _sure(dets: Detections) -> Detections:
    return dets.select(dets.confidences >= 0.5)


def test_a_photo_of_small_digits_is_read_again_enlarged_and_the_surer_reading_kept(recognizer, sample_digits):
    """A photo whose digits are under twice the patch's digit box is read a second time at the
    size `zoom_for` asks, the way its first read kept; the reading the model is surer of is the
    one given. A photo of large digits is read once."""
    from live.segment import working_scale, zoom_for

    calls, readings = [], []
    prepare, read = recognizer.prepare, recognizer.read

    def recording_prepare(frame, tilt=None, around=None, zoom=1.0):
        calls.append((tilt, zoom))
        return prepare(frame, tilt, around, zoom)

    def recording_read(prepared):
        readings.append(read(prepared))
        return readings[-1]

    recognizer.prepare, recognizer.read = recording_prepare, recording_read
    try:
        for factor, small in ((1.0, False), (0.45, True)):
            calls.clear(), readings.clear()
            frame, truth = _smaller(*SheetAnimation(seed=5, n_digits=10, digits=sample_digits).frame(0), factor)
            given = recognizer(frame)
            if not small:
                assert calls == [(None, 1.0)] and given is readings[0]
                continue
            first = readings[0]
            zoom = zoom_for(first.detections.boxes_xywh[:, 3] * working_scale(frame.shape, recognizer.segment_cfg))
            assert zoom > 1.2 and calls == [(None, 1.0), (first.angle, zoom)]
            assert given is max(readings, key=lambda r: r.sureness)
            # The enlarged read finds the digits where they are in the photo.
            right, false = match(truth.boxes_xywh, truth.labels, readings[1].detections)
            assert right >= 0.8 * len(truth.labels) and false <= 1, (right, false)
    finally:
        del recognizer.prepare, recognizer.read


def test_a_strokes_faint_rim_is_grown_through_faint_ink_but_a_speck_off_the_stroke_is_not():
    """Paper 220 everywhere (the local mean), a stroke well below it, faint ink (between the
    faint and the sure offsets below it) beside the stroke and as a speck off its other side."""
    from live.config import SegmentConfig
    from live.segment import _grow_ink, below

    cfg = SegmentConfig()
    faint = int(220 - (cfg.weak_offset + cfg.threshold_offset) / 2)
    gray = np.full((60, 60), 220, np.uint8)
    gray[20:40, 29:31] = 40  # a stroke
    gray[20:40, 31:33] = faint  # its faint rim, two pixels wide
    gray[30, 27] = faint  # a speck two pixels off the stroke's other side, paper between
    mean = np.full(gray.shape, 220, np.uint8)
    ink = below(gray, mean, cfg.threshold_offset)[20:40, 29:31]
    assert ink.all() and not below(gray, mean, cfg.threshold_offset)[30, 27]
    grown, (x0, y0) = _grow_ink(ink, (29, 20, 2, 20), gray, mean, cfg)
    taken = np.zeros_like(gray)
    taken[y0:y0 + grown.shape[0], x0:x0 + grown.shape[1]] = grown
    assert taken[20:40, 29:33].all()  # the stroke and both rim columns
    assert not taken[30, 27] and not taken[:, :29].any()
