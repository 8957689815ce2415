"""A pixel-level branch: a small CNN on neighbouring-pixel residuals of native-resolution crops.

NPR (Tan et al., CVPR 2024) observed that the upsampling layers of generators leave
correlations between neighbouring pixels: within each 2×2 cell the pixels follow the one they
were copied or interpolated from. The residual `x − nearest_up(x[::2, ::2])` keeps those
correlations and little of the scene, so a small network on it learns traces, not content.

    python -m training.npr --data ../shared/data-modern ../shared/data-general ../shared/data

This module trains and measures the branch on the same leave-one-family-out protocol as the
CLIP heads (`training/general.py`); it ships only if it earns its place there.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import keras
import numpy as np
from keras import layers
from PIL import Image

from ai_image_classifier.datasets import LabelledImage
from ai_image_classifier.imaging import open_rgb

CROP = 96  # native pixels a side; several crops a picture are averaged


@keras.saving.register_keras_serializable(package="aiic")
class NeighbourResidual(layers.Layer):
    """x − each 2×2 cell's top-left pixel: NPR's residual, in-model so serving cannot drift."""

    def call(self, inputs):
        anchor = inputs[:, ::2, ::2, :]
        anchor = keras.ops.repeat(keras.ops.repeat(anchor, 2, axis=1), 2, axis=2)
        return inputs - anchor


def build_npr(crop: int = CROP, width: int = 32) -> keras.Model:
    """uint8-range RGB crop → logit of "generated"."""
    inputs = keras.Input((crop, crop, 3), name="crop")
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = NeighbourResidual(name="residual")(x)
    x = layers.Rescaling(8.0)(x)  # residuals are small; bring them to unit scale
    for filters, stride in ((width, 1), (width, 2), (2 * width, 1), (2 * width, 2),
                            (4 * width, 1)):
        x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(1, name="logit")(x)
    return keras.Model(inputs, outputs, name="npr")


def load_pictures(items: Sequence[LabelledImage]) -> list[np.ndarray]:
    return [np.asarray(open_rgb(item.path)) for item in items]


def augment(picture: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """JPEG history (half the time) and mild rescaling (a quarter), both classes alike."""
    image = Image.fromarray(picture)
    if rng.random() < 0.25:
        factor = rng.uniform(0.6, 1.0)
        image = image.resize((max(CROP, round(image.width * factor)),
                              max(CROP, round(image.height * factor))),
                             Image.Resampling.BILINEAR)
    if rng.random() < 0.5:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=int(rng.integers(60, 96)))
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return np.asarray(image)


def random_crop(picture: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    height, width = picture.shape[:2]
    if min(height, width) < CROP:
        picture = np.asarray(Image.fromarray(picture).resize((max(CROP, width),
                                                              max(CROP, height))))
        height, width = picture.shape[:2]
    top = 2 * int(rng.integers(0, (height - CROP) // 2 + 1))  # even: keeps the 2×2 grid
    left = 2 * int(rng.integers(0, (width - CROP) // 2 + 1))
    crop = picture[top:top + CROP, left:left + CROP]
    return crop[:, ::-1] if rng.random() < 0.5 else crop


def fixed_crops(picture: np.ndarray, count: int = 4) -> np.ndarray:
    """`count` crops along the diagonal, on the 2×2 grid (the app's crop positions)."""
    height, width = picture.shape[:2]
    if min(height, width) < CROP:
        picture = np.asarray(Image.fromarray(picture).resize((max(CROP, width),
                                                              max(CROP, height))))
        height, width = picture.shape[:2]
    crops = []
    for i in range(count):
        fraction = (i + 1) / (count + 1)
        top = 2 * round(fraction * (height - CROP) / 2)
        left = 2 * round(fraction * (width - CROP) / 2)
        crops.append(picture[top:top + CROP, left:left + CROP])
    return np.stack(crops)


def group_weights(targets: np.ndarray, sources: np.ndarray) -> np.ndarray:
    keys = np.char.add(sources.astype(str), targets.astype(str))
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    weights = 1.0 / counts[inverse]
    return (weights * len(keys) / weights.sum()).astype(np.float32)


def train(pictures: list[np.ndarray], targets: np.ndarray, sources: np.ndarray,
          epochs: int = 8, seed: int = 0, batch: int = 64) -> keras.Model:
    """Each epoch draws one augmented random crop of every picture; groups weigh the same."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    model = build_npr()
    steps = epochs * (len(pictures) // batch + 1)
    model.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, steps)),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True))
    weights = group_weights(targets, sources)
    for _ in range(epochs):
        crops = np.stack([random_crop(augment(p, rng), rng) for p in pictures])
        model.fit(crops.astype(np.float32), targets.astype(np.float32), sample_weight=weights,
                  batch_size=batch, epochs=1, verbose=0, shuffle=True)
    return model


def scores(model: keras.Model, pictures: list[np.ndarray], count: int = 4) -> np.ndarray:
    """Mean logit over each picture's fixed crops."""
    crops = np.concatenate([fixed_crops(p, count) for p in pictures]).astype(np.float32)
    logits = model.predict(crops, batch_size=256, verbose=0).reshape(len(pictures), count)
    return logits.mean(axis=1)
