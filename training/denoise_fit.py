"""Fit the "auto" denoising rule on validation photographs (never on the benchmark images).

    python -m training.denoise_fit            # prints the rule and the table behind it

Each photograph is downscaled like a benchmark input, damaged with Gaussian noise of several
σ (with and without a JPEG round trip), and denoised with a grid of NL-means strengths h. The
rule "h = 0 below a noise estimate t, else h = k × estimate" is the (t, k) with the best mean
PSNR against the undamaged picture on the noisy cases (σ ≥ 4), with t the 95th percentile of
the estimate on clean ones (σ ≤ 2, with or without JPEG), so that 19 clean pictures in 20 are
left exactly as they are; enhance.py holds the result.
"""

from __future__ import annotations

import argparse
import itertools
import random

import numpy as np

from ai_image_classifier.enhance import denoise_image, estimate_noise
from ai_image_classifier.image_quality import matlab_like_downscale, noisy_jpeg, psnr

from .superres import DEFAULT_DATA_DIRS, load_photographs, photograph_paths

SIGMAS = (0, 2, 4, 6, 8, 10, 15)
JPEG = (None, 70)
PSNR_CAP = 60.0  # an untouched clean picture scores infinity; 60 dB is "indistinguishable"
STRENGTHS = (0, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 17, 20)


def damaged(clean: np.ndarray, sigma: float, quality: int | None, seed: int) -> np.ndarray:
    if quality is None:
        noise = np.random.default_rng(seed).normal(0, sigma, clean.shape)
        return np.clip(clean + noise + 0.5, 0, 255).astype(np.uint8)
    return noisy_jpeg(clean, sigma, quality, seed)


def measure(photos: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(σ[case], estimates[case], psnr[case, strength]) over every photo × damage case."""
    sigmas, estimates, scores = [], [], []
    for index, photo in enumerate(photos):
        clean = matlab_like_downscale(photo, 2)
        for sigma, quality in itertools.product(SIGMAS, JPEG):
            noisy = damaged(clean, sigma, quality, index)
            sigmas.append(sigma)
            estimates.append(estimate_noise(noisy))
            scores.append([min(PSNR_CAP, psnr(clean, denoise_image(noisy, h) if h else noisy))
                           for h in STRENGTHS])
    return np.array(sigmas), np.array(estimates), np.array(scores)


def fit(sigmas: np.ndarray, estimates: np.ndarray, scores: np.ndarray
        ) -> tuple[float, float, float]:
    """(t, k, mean PSNR on the noisy cases); h is snapped to the nearest strength measured."""
    threshold = float(np.quantile(estimates[sigmas <= 2], 0.95))
    noisy = sigmas >= 4
    strengths = np.array(STRENGTHS, dtype=float)
    best = (threshold, 0.0, -np.inf)
    rows = np.flatnonzero(noisy)
    for factor in np.arange(0.3, 2.01, 0.05):
        wanted = np.where(estimates[noisy] < threshold, 0.0, factor * estimates[noisy])
        column = np.abs(wanted[:, None] - strengths[None, :]).argmin(axis=1)
        mean = float(scores[rows, column].mean())
        if mean > best[2]:
            best = (threshold, float(factor), mean)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    paths = photograph_paths(DEFAULT_DATA_DIRS, "val")
    random.Random(args.seed).shuffle(paths)
    sigmas, estimates, scores = measure(load_photographs(paths[: args.photos]))
    threshold, factor, mean = fit(sigmas, estimates, scores)
    cases = len(SIGMAS) * len(JPEG)
    print("sigma jpeg  mean-estimate  best-h  psnr(no denoise)  psnr(best h)")
    for case, (sigma, quality) in enumerate(itertools.product(SIGMAS, JPEG)):
        rows = scores[case::cases].mean(axis=0)
        print(f"{sigma:5} {quality or '-':>4}  {estimates[case::cases].mean():13.2f}  "
              f"{STRENGTHS[int(rows.argmax())]:6}  {rows[0]:16.2f}  {rows.max():12.2f}")
    print(f"rule: h = 0 below σ̂ {threshold:.2f}, else {factor:.2f} × σ̂ (noisy cases: mean "
          f"PSNR {mean:.3f} dB; never denoising: {scores[sigmas >= 4, 0].mean():.3f} dB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
