"""`python -m live.pictures`: the README's two pictures, made by the tool from its demo source.

It runs the live tool headless on the demo sheet with --record, then keeps one frame of the
recording as the window's picture (docs/live-window.jpg) and a few seconds of it as a small
animated GIF (docs/live-demo.gif).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from live.annotate import NUMBER_BGR, SURE_BGR, TEXT_BGR, UNSURE_BGR
from live.config import LiveConfig, ViewConfig

DOCS = Path(__file__).resolve().parent.parent / "docs"
# Frame of the recording shown as the window's picture: late enough that every digit's track
# is established (a new track shows from its second frame) and the sheet has moved a little.
SNAPSHOT_FRAME = 45
# The GIF: this many seconds from the start, every `GIF_STEP`-th frame (5 frames/s), cropped to
# the sheet, scaled and reduced to a few colours so that it stays well under 1 MB. The demo's
# camera noise changes every pixel of every frame, so frames, not seconds, set the size.
GIF_SECONDS, GIF_STEP, GIF_WIDTH, GIF_SCENE_COLOURS = 3.0, 6, 480, 12
GIF_CROP_XYWH = (240, 20, 800, 680)  # the part of the 1280x720 demo frame where the sheet moves
# Kept exactly in the GIF's palette, so tags keep the colours the legend names.
GIF_FIXED_BGR = [SURE_BGR, UNSURE_BGR, NUMBER_BGR, TEXT_BGR, (255, 255, 255), (0, 0, 255)]


def record_demo(frames: int, folder: Path, view: ViewConfig = ViewConfig()) -> list[np.ndarray]:
    """The annotated frames of a headless demo run, written by --record and read back."""
    from live.app import run

    path = folder / "demo.avi"
    run(replace(LiveConfig(), source="demo", display=False, record_path=path, max_frames=frames, view=view))
    capture = cv2.VideoCapture(str(path))
    recorded = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        recorded.append(frame)
    capture.release()
    return recorded


def write_gif(frames: list[np.ndarray], path: Path, fps: float) -> None:
    """An animated GIF with one palette shared by every frame (Pillow), looping forever."""
    from PIL import Image

    rgb = [Image.fromarray(cv2.cvtColor(f, cv2.COLOR_BGR2RGB)) for f in frames]
    # One palette for all frames keeps colours steady: the scene's own, from a strip of frames,
    # plus the annotation colours exactly.
    strip = Image.fromarray(np.vstack([np.asarray(im) for im in rgb[:: max(1, len(rgb) // 6)]]))
    scene = strip.quantize(colors=GIF_SCENE_COLOURS, method=Image.Quantize.MEDIANCUT).getpalette()
    colours = scene[: 3 * GIF_SCENE_COLOURS] + [v for bgr in GIF_FIXED_BGR for v in bgr[::-1]]
    palette = Image.new("P", (1, 1))
    palette.putpalette(colours + colours[:3] * (256 - len(colours) // 3))
    quantized = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in rgb]
    quantized[0].save(path, save_all=True, append_images=quantized[1:], duration=int(1000 / fps), loop=0,
                      optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m live.pictures", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="folder for live-window.jpg and live-demo.gif")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    fps = 30.0
    x, y, w, h = GIF_CROP_XYWH
    gif_scale = GIF_WIDTH / w
    with tempfile.TemporaryDirectory() as folder:
        frames = record_demo(SNAPSHOT_FRAME + 1, Path(folder))
        # The GIF shows the frame smaller: its run draws tags as large as the window would.
        gif_view = replace(ViewConfig(), tag_px=int(round(ViewConfig().tag_px / gif_scale)))
        gif_frames = record_demo(int(GIF_SECONDS * fps), Path(folder), gif_view)
    window = args.out / "live-window.jpg"
    cv2.imwrite(str(window), frames[SNAPSHOT_FRAME], [cv2.IMWRITE_JPEG_QUALITY, 85])
    size = (GIF_WIDTH, int(round(GIF_WIDTH * h / w)))
    # A 3x3 median takes the camera noise out of flat paper, which the GIF's compression needs.
    clip = [cv2.medianBlur(cv2.resize(f[y:y + h, x:x + w], size, interpolation=cv2.INTER_AREA), 3)
            for f in gif_frames[::GIF_STEP]]
    gif = args.out / "live-demo.gif"
    write_gif(clip, gif, fps / GIF_STEP)
    for path in (window, gif):
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
