"""`python -m live.predict IMAGE...`: every digit in each photo, in reading order, read as the live loop reads.

Plain output is one line per image, digits left to right and lines separated by ' / ' ("no
digits found" when there are none). With --json, stdout is one JSON object mapping each path as
given to its digits. --annotate DIR creates DIR when needed and says where each picture went (on
stderr with --json, so stdout stays one JSON object). The model is loaded once for all paths.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from live.annotate import annotate
from live.checks import check_model_path, check_out_dir, shown
from live.classifier import Classifier
from live.config import ClassifyConfig
from live.detections import Detections
from live.reading import lines_of, numbers, reading_order
from live.recognize import Recognizer
from live.recorder import OutputError
from live.sources import SourceError, read_image


def read_digits(recognizer: Recognizer, image_bgr: np.ndarray, min_confidence: float) -> Detections:
    """The confident digits of one image, in reading order."""
    dets = recognizer(image_bgr).detections
    dets = dets.select(dets.confidences >= min_confidence)
    return dets.select(np.array(reading_order(dets.boxes_xywh), np.int64))


def as_text(dets: Detections) -> str:
    if len(dets) == 0:
        return "no digits found"
    return " / ".join(" ".join(str(int(dets.labels[i])) for i in line) for line in lines_of(dets.boxes_xywh))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m live.predict", description="Read the digits in photos.")
    parser.add_argument("images", nargs="+", help="image files (PNG, JPEG, BMP, ...)")
    parser.add_argument("--json", action="store_true", help="print one JSON object: path -> digits")
    parser.add_argument("--annotate", type=Path, metavar="OUTDIR", help="write annotated copies here")
    parser.add_argument("--model", type=Path, default=ClassifyConfig().model_path)
    parser.add_argument("--min-confidence", type=float, default=ClassifyConfig().min_confidence)
    args = parser.parse_args(argv)
    from live.model_file import ModelError

    annotated = []
    try:
        # Everything that needs no model first, so a typo is reported at once.
        if args.annotate is not None:
            check_out_dir(args.annotate)
        check_model_path(args.model)
        images = [(name, read_image(Path(name))) for name in args.images]
        recognizer = Recognizer(Classifier(args.model))
        results = {}
        for name, image in images:
            dets = read_digits(recognizer, image, args.min_confidence)
            results[name] = dets
            if args.annotate is not None:
                args.annotate.mkdir(parents=True, exist_ok=True)
                out = args.annotate / (Path(name).stem + "_digits.png")
                drawn = annotate(image, dets, numbers(dets.boxes_xywh, dets.labels),
                                 args.min_confidence)
                if not cv2.imwrite(str(out), drawn):
                    raise OutputError(f"could not write {out}; check that the folder is writable")
                annotated.append(out)
    except (SourceError, OutputError, ModelError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({name: [{"box": [int(v) for v in box], "label": int(label), "confidence": round(float(conf), 4)}
                                 for box, label, conf in zip(d.boxes_xywh, d.labels, d.confidences)]
                          for name, d in results.items()}))
    else:
        for name, dets in results.items():
            print(f"{name}: {as_text(dets)}")
    for out in annotated:
        print(f"annotated: {shown(out)}", file=sys.stderr if args.json else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
