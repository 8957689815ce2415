"""Cache CLIP features of labelled images, so heads train in seconds, not hours.

The encoder is frozen, so each image is encoded once per view and kept in
`runs/clip-features/<dataset>-<split>-<view>.npz`: the final embedding (512) and the CLS token
after each block (12 × 768, float16), for the whole picture and for a native-resolution crop,
both made by `model_input.prepare_model_input`, the function the app calls. Views:

- `clean`: the picture as the app sees it (the crop is the app's centre crop).
- `augmented` (train only): a random JPEG history, rescale and mirror, on both classes alike,
  then a random native crop, so compression and size cannot stand in for the label.
- `control` (val and test): a copy shrunk 4× and enlarged back, which erases the pixel-level
  traces of generation and keeps the scene. A detector that still separates the classes on
  it reads content, not traces (issue 17's content-shortcut control).
- `jpeg80`, `webp80`, `scale75`, `scale50` (val and test): the picture as a social network
  passes it on, re-encoded at quality 80 or shrunk to 0.75× or 0.5×. A photograph must not
  become "generated" by being shared, so the threshold is fitted on these copies too.

    python -m training.clip_features --data ../shared/data-modern ../shared/data-general \
        ../shared/data
"""

from __future__ import annotations

import argparse
import io
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from ai_image_classifier.calibration import logit
from ai_image_classifier.cards import FACE_MODEL_NAME
from ai_image_classifier.classifier import Classifier
from ai_image_classifier.clip_encoder import INPUT_SIDE, ClipEncoder, crop_pixels
from ai_image_classifier.datasets import LABELS, LabelledImage, load_labelled
from ai_image_classifier.imaging import open_rgb
from ai_image_classifier.model_input import prepare_model_input

CACHE = Path("runs/clip-features")
FILTERS = (Image.Resampling.BILINEAR, Image.Resampling.BICUBIC, Image.Resampling.LANCZOS,
           Image.Resampling.BOX)
SHARED_COPIES = ("jpeg80", "webp80", "scale75", "scale50")
SPLIT_VIEWS = {"val": ("clean", "control", *SHARED_COPIES),
               "test": ("clean", "control", *SHARED_COPIES), "train": ("clean", "augmented")}
FACE_INPUT = 128  # only the views' geometry matters here; the face network has its own cache


def augment(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A random rescale, JPEG history and mirror, each with probability one half."""
    if rng.random() < 0.5:
        factor = rng.uniform(0.5, 1.25)
        size = (max(16, round(image.width * factor)), max(16, round(image.height * factor)))
        image = image.resize(size, FILTERS[int(rng.integers(len(FILTERS)))])
    if rng.random() < 0.5:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=int(rng.integers(60, 96)))
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return image


def control_copy(image: Image.Image) -> Image.Image:
    """Shrunk 4× and enlarged back: the scene stays, the pixel-level traces go."""
    small = image.resize((max(1, image.width // 4), max(1, image.height // 4)),
                         Image.Resampling.BOX)
    return small.resize(image.size, Image.Resampling.BICUBIC)


def shared_copy(image: Image.Image, view: str) -> Image.Image:
    """The picture as a social network passes it on: re-encoded at quality 80 (`jpeg80`,
    `webp80`) or shrunk with Lanczos (`scale75`, `scale50`)."""
    if view.startswith("scale"):
        factor = int(view.removeprefix("scale")) / 100
        size = (max(16, round(image.width * factor)), max(16, round(image.height * factor)))
        return image.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, view.removesuffix("80").upper(), quality=80)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def random_box(size: tuple[int, int], rng: np.random.Generator) -> tuple[int, int, int, int]:
    width, height = size
    if min(width, height) <= INPUT_SIDE:
        return (0, 0, width, height)
    left = int(rng.integers(0, width - INPUT_SIDE + 1))
    top = int(rng.integers(0, height - INPUT_SIDE + 1))
    return (left, top, left + INPUT_SIDE, top + INPUT_SIDE)


def view_pixels(path: Path, view: str, rng: np.random.Generator) -> np.ndarray:
    """2×3×224×224: the whole picture and one native crop, as the app would make them."""
    image = open_rgb(path)
    if view == "control":
        image = control_copy(image)
    if view == "augmented":
        image = augment(image, rng)
    if view in SHARED_COPIES:
        image = shared_copy(image, view)
    prepared = prepare_model_input(image, FACE_INPUT, find_faces=False, general=True)
    crop = prepared.crops[0] if view != "augmented" else crop_pixels(
        image.crop(random_box(image.size, rng)))
    return np.stack([prepared.clip, crop])


def encode(items: list[LabelledImage], encoder: ClipEncoder, view: str, seed: int,
           batch: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    embeddings, blocks = [], []
    for start in range(0, len(items), batch):
        pixels = np.concatenate([view_pixels(i.path, view, rng)
                                 for i in items[start:start + batch]])
        # A picture no larger than a crop is its own crop: encode it once.
        unique, inverse = np.unique(pixels, axis=0, return_inverse=True)
        features = encoder.encode(unique)
        inverse = inverse.reshape(-1)
        embeddings.append(features.embeddings[inverse].reshape(
            -1, 2, features.embeddings.shape[-1]))
        blocks.append(features.blocks[inverse].reshape(-1, 2, *features.blocks.shape[1:])
                      .astype(np.float16))
    embedded, blocked = np.concatenate(embeddings), np.concatenate(blocks)
    return {"whole_embeddings": embedded[:, 0], "crop_embeddings": embedded[:, 1],
            "whole_blocks": blocked[:, 0], "crop_blocks": blocked[:, 1]}


def cache_path(data_dir: Path, split: str, view: str, cache: Path = CACHE) -> Path:
    return cache / f"{data_dir.resolve().name}-{split}-{view}.npz"


def cached_features(data_dir: Path, split: str, view: str, encoder: ClipEncoder | None = None,
                    cache: Path = CACHE) -> dict[str, np.ndarray]:
    """Features, labels, sources and paths of one split and view, encoding when not cached."""
    path = cache_path(data_dir, split, view, cache)
    if path.is_file():
        with np.load(path) as stored:
            return dict(stored)
    items = load_labelled(data_dir, split)
    started = time.monotonic()
    features = encode(items, encoder or ClipEncoder(), view,
                      seed=zlib.crc32(f"{data_dir.name}-{split}-{view}".encode()))
    features |= {
        "targets": np.array([LABELS.index(item.label) for item in items], dtype=np.int8),
        "sources": np.array([item.source for item in items]),
        "paths": np.array([str(item.path.relative_to(data_dir)) for item in items]),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **features)
    print(f"{path}: {len(items)} images in {time.monotonic() - started:.0f} s", flush=True)
    return features


def face_logits(data_dir: Path, split: str, view: str, cache: Path = CACHE) -> np.ndarray:
    """The face network's calibrated logit for each image of a split and view (the augmented
    view reuses the clean one), through the app's own code."""
    path = cache / f"{data_dir.resolve().name}-{split}-{view}-face.npy"
    if not path.is_file():
        classifier = Classifier.load(FACE_MODEL_NAME)
        logits = []
        for item in load_labelled(data_dir, split):
            image = open_rgb(item.path)
            if view == "control":
                image = control_copy(image)
            if view in SHARED_COPIES:
                image = shared_copy(image, view)
            prepared = prepare_model_input(image, classifier.input_size)
            logits.append(float(logit(classifier.predict_batch(prepared.pixels[None]))[0]))
        cache.mkdir(parents=True, exist_ok=True)
        np.save(path, np.array(logits, dtype=np.float32))
    return np.load(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", required=True)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--splits", nargs="+", default=["val", "test", "train"])
    parser.add_argument("--views", nargs="+", default=None,
                        help="only these views (default: every view of each split)")
    args = parser.parse_args(argv)
    encoder = ClipEncoder(threads=args.threads)
    for split in args.splits:
        for data_dir in args.data:
            for view in SPLIT_VIEWS[split]:
                if args.views and view not in args.views:
                    continue
                cached_features(data_dir, split, view, encoder, args.cache)
                if view != "augmented":
                    face_logits(data_dir, split, view, args.cache)


if __name__ == "__main__":
    main()
