"""`python -m live`: argparse -> LiveConfig -> run(); one line per kind of error, no traceback."""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from live.config import ClassifyConfig, LiveConfig


def parse_args(argv: list[str] | None = None) -> LiveConfig:
    parser = argparse.ArgumentParser(
        prog="python -m live",
        description="Find and read every handwritten digit in a camera, video, image or demo source.")
    parser.add_argument("--source", default="0",
                        help="camera index (default 0), video file, image, folder of images, or 'demo'")
    parser.add_argument("--model", type=Path, default=ClassifyConfig().model_path, help="Keras model (.keras)")
    parser.add_argument("--min-confidence", type=float, default=ClassifyConfig().min_confidence,
                        help="below this, digits are drawn grey with '?' and left out of JSON and numbers")
    parser.add_argument("--no-display", action="store_true", help="run without a window")
    parser.add_argument("--record", type=Path, help="write the annotated video here (.mp4 or .avi)")
    parser.add_argument("--json", type=Path, help="write one JSON line per processed frame here")
    parser.add_argument("--max-frames", type=int, help="stop after this many frames")
    parser.add_argument("--debug", action="store_true", help="show the threshold mask and the model's patches")
    parser.add_argument("--no-tracking", action="store_true", help="show per-frame readings, unsmoothed")
    parser.add_argument("--snapshot-dir", type=Path, default=Path("."), help="where s and r save files")
    args = parser.parse_args(argv)
    if not 0.0 <= args.min_confidence <= 1.0:
        parser.error("--min-confidence must be between 0 and 1")
    if args.max_frames is not None and args.max_frames < 1:
        parser.error("--max-frames must be at least 1")
    return replace(LiveConfig(), source=args.source,
                   classify=ClassifyConfig(model_path=args.model, min_confidence=args.min_confidence),
                   display=not args.no_display, record_path=args.record, json_path=args.json,
                   max_frames=args.max_frames, debug=args.debug, tracking=not args.no_tracking,
                   snapshot_dir=args.snapshot_dir)


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    from live.app import Stopped, run
    from live.recorder import OutputError
    from live.sources import SourceError
    from live.model_file import ModelError

    try:
        return run(cfg)
    except (SourceError, OutputError, ModelError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Stopped as stop:
        print(f"stopped by {stop}; every output holds the frames up to the last one", file=sys.stderr)
        return 128 + stop.signum
    except KeyboardInterrupt:  # Ctrl-C before the loop started: nothing was written yet
        print("stopped by SIGINT before the first frame", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
