"""`python -m live`: argparse -> LiveConfig -> run(); one line per kind of error, no traceback."""
from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import replace
from pathlib import Path

from live.config import RUNTIMES, ClassifyConfig, LiveConfig


class UsageError(Exception):
    """Options that cannot work together; said in one line, exit code 2."""


def _resolution(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)[xX](\d+)", text)
    if not match or min(int(match[1]), int(match[2])) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1280x720")
    return int(match[1]), int(match[2])


def parse_args(argv: list[str] | None = None) -> LiveConfig:
    parser = argparse.ArgumentParser(
        prog="python -m live",
        description="Find and read every handwritten digit in a camera, video, image or demo source.",
        epilog="Window keys: q/Esc quit, space/p pause (photos: space/n next, b previous), s snapshot, "
               "r record, d debug view.")
    parser.add_argument("--source", default="0",
                        help="camera index (default 0), video file, image, folder of images, or 'demo'")
    parser.add_argument("--model", type=Path, default=ClassifyConfig().model_path, help="Keras model (.keras)")
    parser.add_argument("--min-confidence", type=float, default=ClassifyConfig().min_confidence,
                        help="below this, digits are drawn grey with '?' and left out of JSON and numbers")
    parser.add_argument("--runtime", choices=RUNTIMES, default=ClassifyConfig().runtime,
                        help="read the model through its LiteRT export (litert), Keras (keras), or LiteRT where "
                             "a matching export lies beside the model (auto, the default)")
    parser.add_argument("--no-display", action="store_true", help="run without a window (needs --record or --json)")
    parser.add_argument("--record", type=Path, help="write the annotated video here (.mp4 or .avi)")
    parser.add_argument("--json", type=Path, help="write one JSON line per processed frame here")
    parser.add_argument("--out-dir", type=Path, default=LiveConfig().out_dir,
                        help="where snapshots (s) and recordings started with r go (default: runs/)")
    parser.add_argument("--resolution", type=_resolution, metavar="WxH",
                        help="ask the camera for this size, e.g. 1280x720 (it says what it gave)")
    parser.add_argument("--max-frames", type=int, help="stop after this many frames")
    parser.add_argument("--debug", action="store_true", help="show the threshold mask and the model's patches")
    parser.add_argument("--no-tracking", action="store_true", help="show per-frame readings, unsmoothed")
    args = parser.parse_args(argv)
    if not 0.0 <= args.min_confidence <= 1.0:
        parser.error("--min-confidence must be between 0 and 1")
    if args.max_frames is not None and args.max_frames < 1:
        parser.error("--max-frames must be at least 1")
    if args.no_display and args.record is None and args.json is None:
        raise UsageError("--no-display alone shows and writes nothing; add --record OUT.mp4 or --json OUT.jsonl")
    return replace(LiveConfig(), source=args.source,
                   classify=ClassifyConfig(model_path=args.model, min_confidence=args.min_confidence,
                                           runtime=args.runtime),
                   display=not args.no_display, record_path=args.record, json_path=args.json,
                   max_frames=args.max_frames, debug=args.debug, tracking=not args.no_tracking,
                   out_dir=args.out_dir, resolution=args.resolution)


def main(argv: list[str] | None = None) -> int:
    try:
        cfg = parse_args(argv)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from live.app import Stopped, run
    from live.model_file import ModelError
    from live.recorder import OutputError
    from live.sources import SourceError

    try:
        summary = run(cfg)
    except (SourceError, OutputError, ModelError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Stopped as stop:
        print(f"stopped by {stop} after {stop.summary.line()}", file=sys.stderr)
        return 128 + stop.signum
    except KeyboardInterrupt:  # Ctrl-C before the loop started: nothing was written yet
        print("stopped by SIGINT before the first frame", file=sys.stderr)
        return 130
    if not cfg.display:
        print(f"done: {summary.line()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    # The model loads on a thread while the source opens, and TensorFlow's import points file
    # descriptor 2 at /dev/null meanwhile to hide its start-up log (live.runtime). This process's
    # own lines go to a copy of the descriptor, so an error found during that import is seen.
    sys.stderr = os.fdopen(os.dup(2), "w", buffering=1)
    sys.exit(main())
