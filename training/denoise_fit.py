"""Fit the "auto" denoising rule on validation photographs (never on the benchmark images).

    python -m training.denoise_fit            # prints the rule and the tables behind it

Each photograph is downscaled like a benchmark input (the clean picture), then damaged: Gaussian
noise of several σ, a JPEG round trip (q50–70), or both. The photographs are split in two
halves. On the first, the threshold t is the CLEAN_QUANTILE of the noise estimate on clean
pictures, so that Auto leaves 99 clean pictures in 100 alone; the second half then
measures the decision as a classifier: how often Auto denoises each case (clean and JPEG-only
should not be, σ ≥ 8 should). The same is printed for Donoho's whole-picture estimate (the old
rule) and, when scikit-image is installed, its `estimate_sigma`, each with a threshold fitted
the same way. The strength k in "h = k × estimate" is the one with the best mean PSNR, against
the clean picture, over the damaged pictures that t sends to denoising among the first
`--strength-photos` of the first half; h is
snapped to the NL-means strengths measured. `--min-noise` raises t to a floor (enhance.py
uses 3.44: with the scale-checked estimate, the 99 % quantile came out at 1.01, and below
about 3 NL-means cost clean val photographs more detail than it removed noise); the table
for ours is then printed at both. enhance.py holds the result. With
`--compare-windows`, the strength is fitted for each NL-means (template, search) window pair,
and the best mean PSNR and the time are printed beside the seed's 7 / 21.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from ai_image_classifier.enhance import denoise_image, estimate_noise
from ai_image_classifier.enhance_settings import DENOISE_WINDOWS, SEED_WINDOWS
from ai_image_classifier.opencv import import_cv2
from training.image_quality import matlab_like_downscale, noisy_jpeg, psnr

from .superres import DEFAULT_DATA_DIRS, validation_photographs

cv2 = import_cv2()
# (name, σ, JPEG quality or None); "should" = whether Auto ought to denoise it (None: either)
CASES = (("clean", 0, None, False), ("JPEG q50", 0, 50, False), ("JPEG q70", 0, 70, False),
         ("σ 3", 3, None, None), ("σ 5", 5, None, None), ("σ 8", 8, None, True),
         ("σ 10", 10, None, True), ("σ 15", 15, None, True), ("σ 5 + q60", 5, 60, None),
         ("σ 10 + q60", 10, 60, None), ("σ 15 + q60", 15, 60, None))
CLEAN_QUANTILE = 0.99
PSNR_CAP = 60.0  # an untouched clean picture scores infinity; 60 dB is "indistinguishable"
OLD_RULE = ("Donoho, whole picture (old)", 5.23)  # the threshold it shipped with
STRENGTHS = (0, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 17, 20)
WINDOW_CANDIDATES = (SEED_WINDOWS, (5, 11), (3, 11), (3, 7), (3, 5))
Estimator = Callable[[np.ndarray], float]


def damaged(clean: np.ndarray, sigma: float, quality: int | None, seed: int) -> np.ndarray:
    if quality is None:
        noise = np.random.default_rng(seed).normal(0, sigma, clean.shape)
        return np.clip(clean + noise + 0.5, 0, 255).astype(np.uint8)
    return noisy_jpeg(clean, sigma, quality, seed)


def donoho(image: np.ndarray) -> float:
    """The old rule's estimate, for comparison: finest diagonal Haar band of the whole luma."""
    luma = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    rows, cols = luma.shape[0] // 2, luma.shape[1] // 2
    blocks = luma[: 2 * rows, : 2 * cols].reshape(rows, 2, cols, 2)
    diagonal = (blocks[:, 0, :, 0] - blocks[:, 0, :, 1] - blocks[:, 1, :, 0]
                + blocks[:, 1, :, 1]) / 2
    return float(np.median(np.abs(diagonal)) / 0.6745)


def estimators() -> dict[str, Estimator]:
    """Ours first; scikit-image's only where it is installed (the app does not need it)."""
    found: dict[str, Estimator] = {"flattest blocks (ours)": estimate_noise,
                                   "Donoho, whole picture (old)": donoho}
    try:
        from skimage.restoration import estimate_sigma
    except ImportError:
        return found
    found["skimage estimate_sigma"] = lambda image: float(
        estimate_sigma(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float64)))
    return found


def estimates(cleans: list[np.ndarray], estimate: Estimator,
              cases: tuple = CASES) -> np.ndarray:
    """estimate[case, photo] over `cases` (every damage case by default)."""
    return np.array([[estimate(damaged(clean, sigma, quality, index))
                      for index, clean in enumerate(cleans)]
                     for _, sigma, quality, _ in cases])


def classifier_table(name: str, threshold: float, values: np.ndarray) -> list[str]:
    """How often each case is denoised at `threshold`, and whether that meets the goal."""
    lines = [f"{name}: denoise when the estimate ≥ {threshold:.2f}",
             "case          mean-estimate  denoised  goal"]
    for (case, _, _, should), row in zip(CASES, values, strict=True):
        rate = float(np.mean(row >= threshold))
        goal = {False: "≤ 2 %", True: "≥ 95 %", None: ""}[should]
        met = "" if should is None else (" met" if (rate <= 0.02 if should is False
                                                     else rate >= 0.95) else " MISSED")
        lines.append(f"{case:12}  {row.mean():13.2f}  {100 * rate:7.1f}%  {goal}{met}")
    return lines


def fit_strength(cleans: list[np.ndarray], threshold: float,
                 windows: tuple[int, int] = DENOISE_WINDOWS) -> tuple[float, float, float]:
    """(k, mean PSNR with it, mean PSNR never denoising) over the damaged pictures that
    `threshold` sends to denoising, with NL-means `windows`."""
    scores, values = [], []
    for index, clean in enumerate(cleans):
        for _, sigma, quality, _ in CASES[1:]:
            noisy = damaged(clean, sigma, quality, index)
            value = estimate_noise(noisy)
            if value >= threshold:
                values.append(value)
                scores.append([min(PSNR_CAP, psnr(clean, denoise_image(noisy, h, windows)
                                                  if h else noisy)) for h in STRENGTHS])
    table, sigma = np.array(scores), np.array(values)
    strengths = np.array(STRENGTHS, dtype=float)
    best = (0.0, -np.inf)
    for factor in np.arange(0.3, 2.01, 0.05):
        column = np.abs(factor * sigma[:, None] - strengths[None, :]).argmin(axis=1)
        mean = float(table[np.arange(len(sigma)), column].mean())
        if mean > best[1]:
            best = (float(factor), mean)
    return best[0], best[1], float(table[:, 0].mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=400,
                        help="photographs in all (half fit the rule, half check it)")
    parser.add_argument("--strength-photos", type=int, default=40,
                        help="photographs of the first half the strength is fitted on")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--min-noise", type=float, default=0.0,
                        help="the lowest threshold Auto may use, whatever the quantile says")
    parser.add_argument("--compare-windows", action="store_true",
                        help="fit the strength for each NL-means window pair and compare")
    args = parser.parse_args(argv)
    photos = validation_photographs(DEFAULT_DATA_DIRS, args.photos, args.seed)
    cleans = [matlab_like_downscale(photo, 2) for photo in photos.values()]
    fitting, checking = cleans[: len(cleans) // 2], cleans[len(cleans) // 2 :]
    print(f"{len(fitting)} val photographs fit the threshold, {len(checking)} check it "
          f"(2× MATLAB-like downscales)\n")
    threshold = 0.0
    for index, (name, estimate) in enumerate(estimators().items()):
        cut = float(np.quantile(estimates(fitting, estimate, CASES[:1])[0], CLEAN_QUANTILE))
        threshold = cut if index == 0 else threshold
        checked = estimates(checking, estimate)
        print("\n".join(classifier_table(name, cut, checked)), "\n")
        if index == 0 and args.min_noise > cut:
            threshold = args.min_noise
            print("\n".join(classifier_table(name + ", with the floor", threshold, checked)),
                  "\n")
        if name == OLD_RULE[0]:
            print("\n".join(classifier_table(name + ", as shipped", OLD_RULE[1], checked)), "\n")
    strength_photos = fitting[: args.strength_photos]
    if args.compare_windows:
        print("windows (template, search)  k     mean PSNR  time ÷ seed's 7 / 21")
        seconds = {}
        for windows in WINDOW_CANDIDATES:
            started = time.perf_counter()
            factor, mean, _ = fit_strength(strength_photos, threshold, windows)
            seconds[windows] = time.perf_counter() - started
            print(f"{str(windows):26}  {factor:.2f}  {mean:9.3f}  "
                  f"{seconds[windows] / seconds[SEED_WINDOWS]:.2f}")
        print()
    factor, mean, untouched = fit_strength(strength_photos, threshold)
    print(f"rule: h = 0 below σ̂ {threshold:.2f}, else {factor:.2f} × σ̂ with NL-means windows "
          f"{DENOISE_WINDOWS} (the damaged pictures "
          f"it denoises: mean PSNR {mean:.3f} dB; never denoising them: {untouched:.3f} dB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
