"""Cache CLIP embeddings of labelled images, so the head trains in seconds, not hours.

The encoder is frozen, so each image is encoded once per view and kept in
`runs/clip-features/<dataset>-<split>-<view>.npz`. The "clean" view is the picture as the app
would see it; "augmented" views undo the data's shortcuts before the head can learn them:
sources differ in size, resampling and JPEG history (the paintings came at 224 px and lower
JPEG quality), so each augmented view crops, rescales with a random filter and re-encodes
JPEG at random, on both classes alike.

    python -m training.clip_features --data ../shared/data ../shared/data-general
"""

from __future__ import annotations

import argparse
import io
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from ai_image_classifier.clip_encoder import ClipEncoder, clip_pixels
from ai_image_classifier.datasets import LABELS, LabelledImage, load_labelled
from ai_image_classifier.imaging import open_rgb

CACHE = Path("runs/clip-features")
FILTERS = (Image.Resampling.BILINEAR, Image.Resampling.BICUBIC, Image.Resampling.LANCZOS,
           Image.Resampling.BOX)


def augment(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A random crop, rescale and JPEG history, each with probability one half."""
    if rng.random() < 0.5:
        side = rng.uniform(0.6, 1.0)
        width, height = image.size
        crop_w, crop_h = max(16, int(width * side)), max(16, int(height * side))
        left = int(rng.integers(0, width - crop_w + 1))
        top = int(rng.integers(0, height - crop_h + 1))
        image = image.crop((left, top, left + crop_w, top + crop_h))
    if rng.random() < 0.5:
        factor = rng.uniform(0.4, 1.6)
        size = (max(16, round(image.width * factor)), max(16, round(image.height * factor)))
        image = image.resize(size, FILTERS[int(rng.integers(len(FILTERS)))])
    if rng.random() < 0.5:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=int(rng.integers(55, 96)))
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return image


def cache_path(data_dir: Path, split: str, view: str, cache: Path = CACHE) -> Path:
    return cache / f"{data_dir.resolve().name}-{split}-{view}.npz"


def encode(items: list[LabelledImage], encoder: ClipEncoder, view: str, seed: int,
           batch_size: int = 16) -> np.ndarray:
    rng = np.random.default_rng(seed)
    embeddings = []
    for start in range(0, len(items), batch_size):
        pixels = []
        for item in items[start:start + batch_size]:
            image = open_rgb(item.path)
            pixels.append(clip_pixels(augment(image, rng) if view != "clean" else image))
        embeddings.append(encoder.embed(np.stack(pixels)))
    # float32: the card's val and test numbers must be what the app computes, to the digit.
    return np.concatenate(embeddings).astype(np.float32)


def cached_features(data_dir: Path, split: str, view: str, encoder: ClipEncoder | None = None,
                    cache: Path = CACHE, limit: int | None = None) -> dict[str, np.ndarray]:
    """Embeddings, labels and sources of one split and view, encoding them when not cached."""
    path = cache_path(data_dir, split, view, cache)
    if path.is_file():
        with np.load(path) as stored:
            return dict(stored)
    items = load_labelled(data_dir, split)[:limit]
    started = time.monotonic()
    features = {
        "embeddings": encode(items, encoder or ClipEncoder(), view, seed=zlib.crc32(view.encode())),
        "targets": np.array([LABELS.index(item.label) for item in items], dtype=np.int8),
        "sources": np.array([item.source for item in items]),
        "paths": np.array([str(item.path.relative_to(data_dir)) for item in items]),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **features)
    print(f"{path}: {len(items)} images in {time.monotonic() - started:.0f} s", flush=True)
    return features


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", required=True)
    parser.add_argument("--augmented-views", type=int, default=1,
                        help="augmented copies of each training image (besides the clean one)")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    encoder = ClipEncoder(threads=args.threads)
    for data_dir in args.data:
        for split in ("val", "test", "train"):
            cached_features(data_dir, split, "clean", encoder)
        for view in range(args.augmented_views):
            cached_features(data_dir, "train", f"augmented{view}", encoder)


if __name__ == "__main__":
    main()
