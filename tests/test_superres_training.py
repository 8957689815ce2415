"""Training the upscaler end to end on a tiny synthetic set, and the auto-denoise fit."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("keras", reason="training needs requirements-train.txt")

from ai_image_classifier.superres import LearnedUpscaler  # noqa: E402
from training.denoise_fit import STRENGTHS, fit  # noqa: E402
from training.superres import main as superres_main  # noqa: E402
from training.superres import make_patches  # noqa: E402


def photo_set(root, count=6, size=80):
    """A manifest folder of smooth 'photographs' (and a painting, which must be left out)."""
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = []
    for index in range(count):
        y, x = np.mgrid[0:size, 0:size]
        phase = rng.uniform(0, 6, 3)
        pixels = 127 + 100 * np.sin(x[..., None] / (4 + index) + y[..., None] / 7 + phase)
        path = root / f"p{index}.jpg"
        Image.fromarray(pixels.astype(np.uint8)).save(path, quality=95)
        rows.append({"path": path.name, "label": "real", "source": "coco",
                     "split": "train" if index < count - 2 else "val"})
    rows.append({"path": "p0.jpg", "label": "real", "source": "wikiart", "split": "train"})
    with open(root / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, ["path", "label", "source", "split"])
        writer.writeheader()
        writer.writerows(rows)
    return root


def test_patches_pair_low_and_high_resolution(tmp_path):
    photos = [np.full((64, 64, 3), 100, np.uint8)]
    low, high = make_patches(photos, 5, 32, seed=1)
    assert low.shape == (5, 16, 16, 1) and high.shape == (5, 32, 32, 1)
    assert low.min() >= 0 and high.max() <= 1


def test_tiny_upscaler_training_writes_model_export_and_card(tmp_path):
    data = photo_set(tmp_path / "data")
    out = tmp_path / "out"
    options = ["--data", str(data), "--out", str(out), "--epochs", "1", "--patches", "64",
               "--patch", "32", "--val-photos", "2", "--features", "8", "--shrink", "4",
               "--mapping", "1"]
    assert superres_main(options) == 0
    card = json.loads((out / "upscaler_x2.card.json").read_text())
    assert card["training"]["photographs"] == 4  # the painting is not a photograph
    assert card["margin"] >= 5 and card["architecture"]["parameters"] > 0
    assert {"clean_model_psnr", "noisy_bicubic_psnr"} <= set(card["validation"])
    image = np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    assert LearnedUpscaler(out / "upscaler_x2.tflite").upscale(image).shape == (40, 48, 3)
    with pytest.raises(SystemExit, match="--overwrite"):
        superres_main(options)


def test_denoise_fit_leaves_clean_pictures_and_follows_the_noise():
    sigmas = np.repeat([0, 2, 8, 12], 20).astype(float)
    estimates = sigmas * 0.75 + np.tile(np.linspace(0.5, 2.5, 20), 4)
    # Each case scores best at the strength nearest 1.2 × its estimate; clean best untouched.
    best = 1.2 * estimates
    scores = -np.abs(np.array(STRENGTHS)[None, :] - best[:, None])
    scores[sigmas <= 2, 0] = 1.0
    threshold, factor, _ = fit(sigmas, estimates, scores)
    assert threshold == pytest.approx(np.quantile(estimates[sigmas <= 2], 0.95))
    assert factor == pytest.approx(1.2, abs=0.1)
