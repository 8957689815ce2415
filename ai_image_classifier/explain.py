"""Where the model looked: occlusion sensitivity, computed with any backend (LiteRT too).

Grey patches slide over the model's input; the more hiding a region moves P(fake), the more
the verdict depends on it. This says where the model looked, not what is fake.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .classifier import Classifier
from .faces import Region
from .model_input import prepare_model_input
from .opencv import import_cv2

cv2 = import_cv2()

#: One sequential scale (dark blue → yellow, perceptually even): brighter = hiding the region
#: changes the score more. A rainbow read as "red = fake", which the map never says.
COLOUR_MAP = cv2.COLORMAP_VIRIDIS


def occlusion_map(classifier: Classifier, image: np.ndarray, patch_fraction: float = 0.25,
                  stride_fraction: float = 0.125) -> tuple[np.ndarray, Region | None]:
    """Sensitivity in 0..1 at model-input resolution (size×size), and the face crop it covers
    (None: the whole picture)."""
    size = classifier.input_size
    prepared = prepare_model_input(image, size)
    base = prepared.pixels
    patch = max(2, round(size * patch_fraction))
    stride = max(1, round(size * stride_fraction))
    corners = [(y, x) for y in range(0, size - patch + 1, stride)
               for x in range(0, size - patch + 1, stride)]
    batch = np.repeat(base[None], len(corners) + 1, axis=0)
    for index, (y, x) in enumerate(corners, start=1):
        batch[index, y:y + patch, x:x + patch] = 128
    probabilities = classifier.predict_batch(batch)
    change = np.abs(probabilities[1:] - probabilities[0])
    total = np.zeros((size, size), np.float64)
    count = np.zeros((size, size), np.float64)
    for (y, x), value in zip(corners, change, strict=True):
        total[y:y + patch, x:x + patch] += value
        count[y:y + patch, x:x + patch] += 1
    heat = total / np.maximum(count, 1)
    peak = heat.max()
    return (heat / peak if peak > 0 else heat).astype(np.float32), prepared.face


def overlay_heatmap(image: np.ndarray, heat: np.ndarray, opacity: float = 0.45,
                    region: Region | None = None) -> np.ndarray:
    """Blend a colour-mapped heat map (`COLOUR_MAP`: dark = little effect, bright yellow =
    much) over an RGB image; `region` places it on the face crop the model judged (outside
    it: no effect)."""
    height, width = image.shape[:2]
    if region is None:
        resized = cv2.resize(heat, (width, height), interpolation=cv2.INTER_CUBIC)
    else:
        left, top = round(region[0] * width), round(region[1] * height)
        right, bottom = round(region[2] * width), round(region[3] * height)
        resized = np.zeros((height, width), np.float32)
        resized[top:bottom, left:right] = cv2.resize(heat, (right - left, bottom - top),
                                                     interpolation=cv2.INTER_CUBIC)
    # Soften the patch grid: the map is only as sharp as the occluding patches.
    resized = cv2.GaussianBlur(resized, (0, 0), sigmaX=max(width, height) / 48)
    colours = colour_scale(resized)
    blended = image.astype(np.float32) * (1 - opacity) + colours.astype(np.float32) * opacity
    return blended.astype(np.uint8)


def colour_scale(values: np.ndarray) -> np.ndarray:
    """RGB colours of `COLOUR_MAP` for values in 0..1 (any shape)."""
    levels = np.clip(values * 255, 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(levels, COLOUR_MAP), cv2.COLOR_BGR2RGB)


def legend_strip(width: int, height: int) -> np.ndarray:
    """The colour scale from little (left) to much (right), for the legend beside the map."""
    return colour_scale(np.tile(np.linspace(0, 1, width, dtype=np.float32), (height, 1)))


def base_score(classifier: Classifier, image: np.ndarray) -> float:
    """The verdict's score on the picture as it is: what each hidden tile is compared with."""
    return classifier.verdicts([classifier.prepare(image)])[0].probability


def verdict_occlusion_map(classifier: Classifier, image: np.ndarray, grid: int = 4,
                          should_stop: Callable[[], bool] | None = None,
                          progress: Callable[[float], None] | None = None,
                          base: float | None = None) -> np.ndarray:
    """How much hiding each of grid × grid tiles of the whole picture moves the verdict's
    score (the whole-picture detector fused with the face network, each seeing the picture
    as it always does: its native crops, and the face or the whole picture at the face
    network's size), in 0..1 at grid resolution. Coarse on purpose: each tile costs one more
    run of the encoder on every crop.
    `should_stop` is asked between rows of tiles (`InterruptedError` when it says yes);
    `progress(fraction)` is told after each row; `base` (`base_score`) saves a run when a
    coarser map of the same picture has it."""
    height, width = image.shape[:2]
    rows = np.linspace(0, height, grid + 1).round().astype(int)
    cols = np.linspace(0, width, grid + 1).round().astype(int)
    base = base_score(classifier, image) if base is None else base
    scores: list[float] = []
    for row, (top, bottom) in enumerate(zip(rows[:-1], rows[1:], strict=True), start=1):
        if should_stop and should_stop():
            raise InterruptedError("the occlusion map is no longer wanted")
        hidden = []
        for left, right in zip(cols[:-1], cols[1:], strict=True):
            covered = image.copy()
            covered[top:bottom, left:right] = 128
            hidden.append(classifier.prepare(covered))
        scores += [verdict.probability for verdict in classifier.verdicts(hidden)]
        if progress:
            progress(row / grid)
    change = np.abs(np.array(scores) - base).reshape(grid, grid)
    peak = change.max()
    return (change / peak if peak > 0 else change).astype(np.float32)
