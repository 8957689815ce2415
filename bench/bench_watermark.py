"""Invisible-watermark decode: its false-match rate on real pictures, and its cost.

    .venv/bin/python bench/bench_watermark.py [--shared ../shared] [--repeat 7]

1. Every picture labelled `real` in the shared sets' manifests (data, data-general,
   data-modern, data-wild) is decoded as the app decodes it and searched for each known
   generator mark: a match there is a false match. Also printed: the most bits any real
   picture shares with each mark (how far below the 44-of-48 line the closest call stays),
   and how many pictures are too small to carry a mark at all;
2. `find_watermark` on a 12 MP picture (the band it reads) and on a 1024×1024 one (the whole
   picture), median of `--repeat` runs.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ai_image_classifier.datasets import read_manifest  # noqa: E402
from ai_image_classifier.imaging import ImageDecodeError, open_rgb  # noqa: E402
from ai_image_classifier.watermark import (  # noqa: E402
    KNOWN_MARKS,
    MIN_PIXELS,
    band_bgr,
    block_votes,
    find_watermark,
    message_bits,
)

SETS = ("data", "data-general", "data-modern", "data-wild")


def closest_calls(rgb: np.ndarray) -> list[float]:
    """The fraction of each known mark's bits that `rgb` matches."""
    bgr = band_bgr(rgb)
    votes = {float_pixels: block_votes(bgr, float_pixels) for float_pixels in (True, False)}
    return [float(np.mean(message_bits(votes[mark.float_pixels], len(mark.bits))
                          == np.array(mark.bits, bool))) for mark in KNOWN_MARKS]


def false_matches(shared: Path) -> None:
    checked = small = unreadable = 0
    matches: list[str] = []
    closest = [0.0] * len(KNOWN_MARKS)
    for name in SETS:
        if not (shared / name / "manifest.csv").is_file():
            print(f"{name}: no manifest, skipped", file=sys.stderr)
            continue
        for item in read_manifest(shared / name):
            if item.label != "real":
                continue
            try:
                rgb = np.asarray(open_rgb(item.path))
            except ImageDecodeError:
                unreadable += 1
                continue
            if rgb.shape[0] * rgb.shape[1] < MIN_PIXELS:
                small += 1
                continue
            checked += 1
            closest = [max(a, b) for a, b in zip(closest, closest_calls(rgb), strict=True)]
            found = find_watermark(rgb)
            if found:
                matches.append(f"{item.path}: {found.describe()}")
    print("| real pictures | searched | too small to carry a mark | unreadable | false matches |")
    print("|---|---|---|---|---|")
    total = checked + small + unreadable
    print(f"| {total} | {checked} | {small} | {unreadable} | {len(matches)} |")
    print("\n| mark | most bits a real picture matches |\n|---|---|")
    for mark, fraction in zip(KNOWN_MARKS, closest, strict=True):
        print(f"| {mark.name} | {fraction:.1%} of {len(mark.bits)} (a match needs 91.7%) |")
    for line in matches:
        print(line)


def speed(repeat: int) -> None:
    rng = np.random.default_rng(0)
    print("\n| picture | find_watermark, median ms |\n|---|---|")
    for width, height in ((4000, 3000), (1024, 1024)):
        rgb = rng.integers(0, 256, (height, width, 3), np.uint8)
        find_watermark(rgb)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            find_watermark(rgb)
            times.append(time.perf_counter() - start)
        print(f"| {width}×{height} | {1000 * statistics.median(times):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--speed-only", action="store_true")
    args = parser.parse_args()
    speed(args.repeat)
    if not args.speed_only:
        false_matches(args.shared)


if __name__ == "__main__":
    main()
