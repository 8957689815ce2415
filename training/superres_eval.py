"""Measuring an upscaler: PSNR/SSIM against the app's bicubic on Set5, Set14 and val
photographs (clean and with the benchmark's damage), and its speed. `training.superres`
writes these into the model's card; Set5 and Set14 are only ever measured.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ai_image_classifier.enhance import resize
from ai_image_classifier.imaging import load_rgb
from ai_image_classifier.superres import LearnedUpscaler
from training.image_quality import crop_to_multiple, matlab_like_downscale, noisy_jpeg, psnr, ssim

from .data import DEFAULT_DATA

SR_EVAL = DEFAULT_DATA.parent / "sr-eval"
NOISY_PROTOCOL = {"sigma": 10.0, "jpeg_quality": 70}  # the benchmark's damaged input


def measure(upscale, references: dict[str, np.ndarray], scale: int = 2) -> dict:
    """Mean PSNR/SSIM of `upscale` against the app's bicubic, clean and with the noisy
    protocol, and each picture's clean PSNR (the golden values that tests reproduce); the
    border shaved is `scale` pixels, as in the literature."""
    scores: dict[str, list[float]] = {}
    by_image = {}
    for index, (name, hr) in enumerate(sorted(references.items())):
        hr = crop_to_multiple(hr, scale)
        clean = matlab_like_downscale(hr, scale)
        noisy = noisy_jpeg(clean, NOISY_PROTOCOL["sigma"], NOISY_PROTOCOL["jpeg_quality"], index)
        for damage_name, lr in (("clean", clean), ("noisy", noisy)):
            for method, fn in (("model", upscale), ("bicubic", lambda x: resize(x, scale))):
                out = fn(lr)
                value = psnr(hr, out, scale)
                scores.setdefault(f"{damage_name}_{method}_psnr", []).append(value)
                scores.setdefault(f"{damage_name}_{method}_ssim", []).append(
                    ssim(hr, out, scale))
                if damage_name == "clean" and method == "model":
                    by_image[name] = round(value, 4)
    means = {key: round(float(np.mean(values)), 4) for key, values in scores.items()}
    return {**means, "clean_model_psnr_by_image": by_image}


def sr_eval_sets(root: Path = SR_EVAL) -> dict[str, dict[str, np.ndarray]]:
    """Set5 and Set14 (those present under `root`), picture name → RGB."""
    return {name: {p.stem: load_rgb(p) for p in sorted((root / name).glob("*.png"))}
            for name in ("Set5", "Set14") if (root / name).is_dir()}


def speed_ms_per_megapixel(path: Path, side: int = 1024, repeats: int = 3) -> float:
    """LiteRT time per low-resolution megapixel, colour conversion and tiling included."""
    upscaler = LearnedUpscaler(path)
    image = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    upscaler.upscale(image[:64, :64])
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        upscaler.upscale(image)
        best = min(best, time.perf_counter() - started)
    return 1000 * best / (side * side / 1e6)
