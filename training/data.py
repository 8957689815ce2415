"""Training data: labelled image lists → arrays → `tf.data` pipelines.

Images are decoded by the runtime's `load_model_input`, the function the app and CLI use, so
there is one preprocessing path. At the sizes we train on (32–256 px) the whole data set fits
in memory, which keeps epochs fast on a 2-core CPU.
"""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ai_image_classifier.datasets import LabelledImage, read_class_folders, read_manifest
from ai_image_classifier.model_input import load_model_input

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "data"
SPLITS = ("train", "val", "test")
FOLDER_SPLIT = (0.7, 0.2, 0.1)  # the seed's split for a folder of class sub-folders


@dataclass
class ArraySplit:
    items: list[LabelledImage]
    images: np.ndarray  # N×S×S×3 uint8
    targets: np.ndarray  # N, 1 = fake


def split_items(data_dir: Path, seed: int) -> dict[str, list[LabelledImage]]:
    """The manifest's fixed splits, or a seeded 70/20/10 split per class of `real/`, `fake/`."""
    if (data_dir / "manifest.csv").is_file():
        items = read_manifest(data_dir)
        return {split: [i for i in items if i.split == split] for split in SPLITS}
    splits: dict[str, list[LabelledImage]] = {split: [] for split in SPLITS}
    rng = random.Random(seed)
    for label in ("real", "fake"):
        group = [i for i in read_class_folders(data_dir) if i.label == label]
        rng.shuffle(group)
        n_train = round(len(group) * FOLDER_SPLIT[0])
        n_val = round(len(group) * FOLDER_SPLIT[1])
        bounds = {"train": (0, n_train), "val": (n_train, n_train + n_val),
                  "test": (n_train + n_val, len(group))}
        for split, (start, stop) in bounds.items():
            splits[split] += [LabelledImage(i.path, i.label, i.source, split)
                              for i in group[start:stop]]
    return splits


def exclude_source(splits: dict[str, list[LabelledImage]],
                   source: str) -> dict[str, list[LabelledImage]]:
    """Train and choose without `source`; test on its test split alone."""
    if not any(item.source == source for item in splits["test"]):
        raise ValueError(f"no test images from source {source!r}")
    return {
        "train": [i for i in splits["train"] if i.source != source],
        "val": [i for i in splits["val"] if i.source != source],
        "test": [i for i in splits["test"] if i.source == source],
    }


def load_arrays(items: list[LabelledImage], image_size: int) -> ArraySplit:
    """Decode in threads (Pillow releases the GIL while decoding)."""
    with ThreadPoolExecutor() as pool:
        images = list(pool.map(lambda item: load_model_input(item.path, image_size).pixels,
                               items))
    return ArraySplit(
        items,
        np.stack(images) if images else np.zeros((0, image_size, image_size, 3), np.uint8),
        np.array([item.target for item in items], dtype=np.float32),
    )


def split_counts(splits: dict[str, list[LabelledImage]]) -> dict[str, dict[str, dict[str, int]]]:
    """{split: {source: {label: n}}} for the model card."""
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for split, items in splits.items():
        tally = Counter((item.source, item.label) for item in items)
        counts[split] = {}
        for (source, label), n in sorted(tally.items()):
            counts[split].setdefault(source, {})[label] = n
    return counts


def balanced_weights(items: list[LabelledImage]) -> np.ndarray:
    """Per-image loss weights that give every (source, label) group the same total weight,
    mean 1. Without them the largest source (5,000 LFW swaps) sets the decision rule and the
    140 StyleGAN2 fakes barely count; with them each source and class matters equally."""
    groups = Counter((item.source, item.label) for item in items)
    per_group = len(items) / len(groups)
    return np.array([per_group / groups[(item.source, item.label)] for item in items],
                    dtype=np.float32)


def degrade_like_sharing(image, target, *weight):
    """Training-only damage that shared copies suffer: JPEG re-compression (q60–100, half the
    time), a downscale-and-upscale (0.5–1×, a third of the time) and mild sensor noise, so that
    a re-sent copy of a photo gets the verdict of the original."""
    import tensorflow as tf

    x = image / 255.0
    x = tf.cond(tf.random.uniform(()) < 0.5,
                lambda: tf.image.random_jpeg_quality(x, 60, 100), lambda: x)
    size = tf.shape(x)[:2]
    smaller = tf.cast(tf.cast(size, tf.float32) * tf.random.uniform((), 0.5, 1.0), tf.int32)
    x = tf.cond(tf.random.uniform(()) < 0.33,
                lambda: tf.image.resize(tf.image.resize(x, smaller), size), lambda: x)
    x = x + tf.random.normal(tf.shape(x), stddev=tf.random.uniform((), 0.0, 0.02))
    return (tf.clip_by_value(x, 0.0, 1.0) * 255.0, target, *weight)


def make_dataset(data: ArraySplit, batch_size: int, shuffle: bool, seed: int,
                 degrade: bool = False, weights: np.ndarray | None = None):
    """A cached, prefetched `tf.data` pipeline over in-memory arrays; with `weights` its
    elements are (image, target, sample weight), which Keras applies to the loss."""
    import tensorflow as tf

    tensors = (data.images.astype("float32"), data.targets)
    if weights is not None:
        tensors += (weights,)
    dataset = tf.data.Dataset.from_tensor_slices(tensors).cache()
    if shuffle:
        dataset = dataset.shuffle(len(data.targets), seed=seed, reshuffle_each_iteration=True)
    if degrade:
        dataset = dataset.map(degrade_like_sharing, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
