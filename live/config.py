"""Every threshold of the live pipeline, in frozen dataclasses, each with the reason for its default.

Sizes are fractions of the frame (or of a candidate) so the same settings serve a 640x480 webcam
and a 4000x3000 phone photo.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models_saved" / "model.keras"
RUNTIMES = ("auto", "litert", "keras")


@dataclass(frozen=True)
class SegmentConfig:
    # Frames larger than this (longer side, px) are segmented on a downscaled copy: a phone photo
    # has far more pixels than a digit needs, and the threshold's cost grows with the area.
    work_max_side: int = 1280
    # Adaptive-threshold window as a fraction of the shorter frame side: wide enough to span a
    # marker stroke of a 250 px digit, narrow enough to follow a shadow edge.
    block_frac: float = 0.05
    # Ink must be this many grey levels darker than its window's mean; lower catches pencil but
    # also paper grain and JPEG ringing.
    threshold_offset: float = 12.0
    # Hysteresis: a candidate's ink also takes the pixels only `weak_offset` darker than their
    # window's mean within `weak_reach` px of it: the faint, blurred rim of its strokes and the
    # skips of a faint pen, which the patch needs (a 0 losing its light side reads as 1). Grown
    # per candidate, since grown rulings and paper edges would join the digits on them.
    weak_offset: float = 8.0
    weak_reach: int = 2
    # Digit height limits relative to the frame's shorter side: from 11 px at 720p up to a photo
    # of a single digit that fills most of the picture. Small round digits stand shorter than
    # their neighbours: a row's 0s were 11-12 px in a 692 px photo whose 5s and 1s were 30.
    # Real photos: F1 0.919 -> 0.930 against 0.018 (13 px); scenes and digit-free frames the same.
    # Never more than live.contract.MIN_READABLE_HEIGHT (10 px) of the working image: in a frame
    # whose shorter side passes 667 px a share alone would drop small digits that can be read
    # (the photos' tuning half, and their reporting half in front of a dark surround, lost 12-14 px 0s).
    min_height_frac: float = 0.015
    max_height_frac: float = 0.9
    # A component at least this many smallest-digit heights long is checked for a ruling; a
    # ruling is a hairline, at most `ruling_max_thickness_frac` of the shorter side thick (~4 px
    # at 720p), which digit strokes exceed.
    ruling_min_length: float = 4.0
    # ... and at least this many times wider than tall: a short ruling under large digits is
    # only about twice as wide as the digits are tall.
    ruling_min_aspect: float = 1.8
    ruling_max_thickness_frac: float = 0.006
    # Share of such a component's columns that must hold the bare line: digits hung densely on a
    # ruling leave little bare line between them; the straight-line fit guards the rest.
    ruling_min_bare_share: float = 0.1
    # Frames whose text lines seem to tilt more than this are also turned upright and segmented
    # again, and the model keeps the surer of the two readings: it is trained on rotations up to
    # about 15 degrees, and merging assumes upright digits; sparse digits fake a tilt as often.
    min_rotate_deg: float = 12.0
    # A digit is at most this wide relative to its height before it is treated as touching digits.
    # 0 and 2 written wide reach about 1.0; two digits side by side start near 1.1. Lower values
    # split more letters into digit-like strokes (measured: 2.2 false digits per digit-free frame
    # at 0.95, 1.0 at 1.1, with no gain on touching pairs).
    split_aspect: float = 1.1
    # Widest candidate considered at all (w/h): three or four touching digits; longer runs are
    # rulings or underlines.
    max_aspect: float = 3.2
    # Neighbouring pieces are also offered joined, as one digit: a digit the threshold or the pen
    # broke (across its middle at a pen skip, a 5's bar drawn apart from its body, a 4's two
    # strokes side by side). Pieces within `pair_max_gap` of their heights (geometric mean) of
    # each other, across and along the line, whose union is at most `pair_max_growth` times as tall
    # as the taller: a digit broken in two halves at a pen skip is a little over twice as tall as
    # either (scenes' broken digits read as one: 89 % at 2.0, 93 % at 2.3), two lines of writing
    # are more, since lines leave a wider gap between them.
    pair_max_gap: float = 0.35
    pair_max_growth: float = 2.3
    # Pieces linked by such pairs are also offered as one digit up to this many together: a digit
    # broken in three. Any union is at most `union_max_aspect` times as wide as tall: wider ink
    # is touching digits, offered split instead.
    max_group: int = 3
    union_max_aspect: float = 1.6
    # ... and at least this much larger (box area) than its largest piece: a speck inside or
    # beside a digit's box, a digit inside a sheet's outline, change nothing the model would read.
    union_min_growth: float = 1.15
    # Pairs kept per piece, most compact union first: a piece of a digit has one or two partners,
    # a speck of leather or gravel dozens.
    max_partners: int = 2
    # The bound on the work of a busy frame (grass, gravel, a page of small print): as many
    # pieces are looked at (digit-sized ones first, largest first) as proposals are read. A page
    # of 200 digits needs about 500 proposals; a frame of 1280x720 with 10 digits about 20.
    max_proposals: int = 1000


@dataclass(frozen=True)
class ClassifyConfig:
    model_path: Path = DEFAULT_MODEL
    # Below this calibrated confidence a reading is drawn as uncertain ("?") and left out of
    # numbers and JSON; 0.5 keeps it when the model favours one digit over everything else.
    min_confidence: float = 0.5
    # "auto" reads the model's LiteRT export where a matching one lies beside it (faster, and no
    # TensorFlow import), else the .keras file; "litert" or "keras" insists on one.
    runtime: str = "auto"


@dataclass(frozen=True)
class TrackConfig:
    # A detection continues a track when its centre is within this share of the track's box
    # height of where the track was heading: a sheet moved fast still keeps its ids, a neighbour
    # one digit away (about one height) never takes them over.
    max_centre_shift: float = 0.6
    # Frames a track lives on without a detection, drawn at its predicted place: enough to bridge
    # a dropped detection or two without resetting its votes, short enough (0.1 s at 30 fps)
    # that no box stays behind when the digit has really gone.
    max_missed: int = 3
    # Votes decay by this factor per frame, so a label changes within ~10 frames when the digit
    # under the box really changes, and never on one bad frame.
    vote_decay: float = 0.85
    # A new track is shown only after this many detections: a one-frame speck never appears.
    min_hits: int = 2


@dataclass(frozen=True)
class ViewConfig:
    """How annotations and the window look; sizes on screen are in screen pixels."""

    # Tags (digit, confidence, numbers, fps) are this tall on screen, whatever the frame's size
    # or the digit's: about a laptop's menu text plus a little, the smallest a reader takes in at
    # a glance (a 9 px tag was unreadable on a 594x410 photo). Recordings, snapshots and
    # annotated photos draw them at the size the window would show them.
    tag_px: int = 14
    # The window's image is scaled down to fit this size: a 1366x768 laptop screen less its
    # title bar and task bar. Processing, recordings and snapshots keep the full resolution.
    # The debug view enlarges a smaller picture to the window's height, so that its panel of mask
    # and patches beside it has room for legible labels.
    max_window_wh: tuple[int, int] = (1280, 720)


@dataclass(frozen=True)
class LiveConfig:
    source: str = "0"
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    classify: ClassifyConfig = field(default_factory=ClassifyConfig)
    track: TrackConfig = field(default_factory=TrackConfig)
    tracking: bool = True
    display: bool = True
    debug: bool = False
    record_path: Path | None = None
    json_path: Path | None = None
    # Snapshots ('s') and recordings started with 'r' go here, created when first needed;
    # `runs/` is ignored by git, so a run never leaves files among the project's own.
    out_dir: Path = Path("runs")
    # Width and height to ask a camera for (None: the camera's default, often 640x480).
    resolution: tuple[int, int] | None = None
    view: ViewConfig = field(default_factory=ViewConfig)
    max_frames: int | None = None
    # Cameras that report 0 or NaN fps get this rate for recordings.
    fallback_fps: float = 30.0

