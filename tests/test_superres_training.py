"""Training the upscaler end to end on a tiny synthetic set, and the auto-denoise fit."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("keras", reason="training needs requirements-train.txt")

from ai_image_classifier.superres import LearnedUpscaler  # noqa: E402
from training.denoise_fit import CASES, classifier_table, fit_strength  # noqa: E402
from training.superres import main as superres_main  # noqa: E402
from training.superres import make_patches  # noqa: E402


def photo_set(root, count=6, size=80, label="real"):
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
        rows.append({"path": path.name, "label": label, "source": "coco",
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
    renders = photo_set(tmp_path / "renders", count=5, label="fake")
    out = tmp_path / "out"
    options = ["--data", str(data), "--renders", str(renders), "--out", str(out),
               "--epochs", "1", "--patches", "64",
               "--patch", "32", "--val-photos", "2", "--features", "8", "--shrink", "4",
               "--mapping", "1"]
    assert superres_main(options) == 0
    card = json.loads((out / "upscaler_x2.card.json").read_text())
    # the painting is not a photograph; a render folder's generated pictures count
    assert card["training"]["photographs"] == 4 + 3
    assert card["margin"] >= 5 and card["architecture"]["parameters"] > 0
    assert {"clean_model_psnr", "noisy_bicubic_psnr"} <= set(card["validation"])
    image = np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    assert LearnedUpscaler(out / "upscaler_x2.tflite").upscale(image).shape == (40, 48, 3)
    with pytest.raises(SystemExit, match="--overwrite"):
        superres_main(options)


def test_a_4x_network_trains_the_same_way_and_runs_at_4x(tmp_path):
    data = photo_set(tmp_path / "data")
    out = tmp_path / "out"
    assert superres_main(["--scale", "4", "--data", str(data), "--renders", "--out", str(out),
                          "--epochs", "1", "--patches", "32", "--patch", "32",
                          "--val-photos", "2", "--features", "8", "--shrink", "4",
                          "--mapping", "1"]) == 0
    card = json.loads((out / "upscaler_x4.card.json").read_text())
    assert card["scale"] == 4 and card["training"]["renders"] == []
    upscaler = LearnedUpscaler(out / "upscaler_x4.tflite")
    image = np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    assert upscaler.scale == 4 and upscaler.upscale(image).shape == (80, 96, 3)


def test_denoise_fit_finds_a_strength_that_beats_leaving_the_noise():
    y, x = np.mgrid[0:64, 0:80]
    cleans = [np.stack([x * 3, y * 3, np.full_like(x, 60 + 40 * i)], -1).astype(np.uint8)
              for i in range(3)]  # smooth pictures: denoising can only help
    factor, mean, untouched = fit_strength(cleans, threshold=3.0)
    assert factor > 0 and mean > untouched + 1.0


def test_denoise_fit_says_which_goals_its_rule_meets():
    denoised = {"σ 8": [5.0, 5.0], "σ 10": [5.0, 0.0]}  # σ 10: half, under its 95 % goal
    values = np.array([denoised.get(name, [0.0, 0.0]) for name, *_ in CASES])
    table = classifier_table("rule", 3.0, values)[2:]
    verdict = {name: line.split()[-1] for (name, *_), line in zip(CASES, table, strict=True)}
    assert verdict["clean"] == "met" and verdict["σ 8"] == "met" and verdict["σ 10"] == "MISSED"
