"""Enhancement quality and speed, every method beside bicubic and the seed's pipeline, measured
in the same run.

    .venv/bin/python bench/bench_enhance.py [--sr-eval ../shared/sr-eval] [--skip-speed]

1. PSNR / SSIM (2×, Y channel, 2-pixel border, MATLAB-like bicubic low-resolution input) on
   Set5 and Set14, clean and damaged (σ 10 noise, then JPEG q70, on the low-resolution image),
   and 4× (4-pixel border) on clean input;
2. the rule Auto must keep on clean pictures: never more than 0.05 dB below Off (learned 2×)
   on Set5, Set14 and `--val-photos` clean val photographs, and the default's gain over
   bicubic on those photographs (`--auto-check N` prints only these tables, on N of them);
3. 12 MP photo → 2× PNG (clean and noisy) and 4× PNG (clean) end to end (`aiic enhance`
   with default settings) against the seed's own calls (imread, NL-means 10/10/7/21,
   INTER_CUBIC, imwrite), each in a fresh process with its peak memory;
4. milliseconds per input megapixel of each upscaling method at 12 MP;
5. each goal of issue 28 beside what was measured above.
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ai_image_classifier.enhance import (  # noqa: E402
    EnhanceSettings,
    enhance,
    plan_denoise,
    resize,
)
from bench.bench_runtime import OWN_PEAK_MIB  # noqa: E402
from training.image_quality import (  # noqa: E402
    crop_to_multiple,
    matlab_like_downscale,
    noisy_jpeg,
    psnr,
    ssim,
)

PIPELINES = {
    "bicubic": EnhanceSettings(method="bicubic", denoise="off"),
    "seed: NL-means h 10 + bicubic": EnhanceSettings(method="bicubic", denoise="seed"),
    "Lanczos": EnhanceSettings(method="lanczos", denoise="off"),
    "learned, no denoising": EnhanceSettings(method="learned", denoise="off"),
    "**default**: learned, auto denoise": EnhanceSettings(),
}

# Seconds and the child's own peak: this process grows with the quality tables above.
TIMED = """
import sys, time
started = time.perf_counter()
{body}
seconds = time.perf_counter() - started
print(seconds, PEAK)
""".replace("PEAK", OWN_PEAK_MIB)
SEED_CALLS = """
import cv2
image = cv2.imread({source!r})
image = cv2.fastNlMeansDenoisingColored(image, None, 10, 10, 7, 21)
image = cv2.resize(image, None, fx={scale}, fy={scale}, interpolation=cv2.INTER_CUBIC)
cv2.imwrite({target!r}, image)
"""
OURS = """
from ai_image_classifier.cli import main
assert main(["enhance", {source!r}, "-o", {target!r}, "--overwrite", "--scale", "{scale}"]) == 0
"""


def quality_table(sr_eval: Path, measured: dict[str, float]) -> list[str]:
    lines = ["| method | scale | input | " + " | ".join(f"{name} PSNR / SSIM" for name in
                                                        ("Set5", "Set14")) + " |",
             "|---|---|---|---|---|"]
    sets = {name: [np.asarray(Image.open(p).convert("RGB"))
                   for p in sorted((sr_eval / name).glob("*.png"))] for name in ("Set5", "Set14")}
    runs = [(2, damage, label, settings) for damage in ("clean", "σ 10 + JPEG q70")
            for label, settings in PIPELINES.items()]
    runs += [(4, "clean", label, replace(settings, scale=4))
             for label, settings in PIPELINES.items() if settings.denoise == "off"]
    for scale, damage, label, settings in runs:
        cells = []
        for name, images in sets.items():
            scores = []
            for index, image in enumerate(images):
                hr = crop_to_multiple(image, scale)
                lr = matlab_like_downscale(hr, scale)
                if damage != "clean":
                    lr = noisy_jpeg(lr, 10, 70, seed=index)
                out = enhance(lr, settings)
                scores.append((psnr(hr, out, scale), ssim(hr, out, scale)))
            mean_psnr, mean_ssim = np.mean(scores, axis=0)
            measured[f"{name} {scale}× {damage} {label}"] = mean_psnr
            cells.append(f"{mean_psnr:.2f} / {mean_ssim:.4f}")
        lines.append(f"| {label} | {scale}× | {damage} | " + " | ".join(cells) + " |")
    return lines


AUTO_MAY_LOSE = 0.05  # dB: how far below Off Auto may come out on a clean picture


def auto_vs_off_table(sr_eval: Path, val_photos: int, measured: dict[str, float]
                      ) -> list[str]:
    """Auto against Off on clean pictures, learned 2×: every picture Auto denoised, and every
    one where it lost more than AUTO_MAY_LOSE, by name; and the default's gain over bicubic."""
    from training.superres import DEFAULT_DATA_DIRS, validation_photographs
    from training.superres_eval import sr_eval_sets

    sets = sr_eval_sets(sr_eval)  # the denoise fit's draw (seed 42): val, never a test set
    sets["val photographs"] = {Path(path).name: image for path, image in
                               validation_photographs(DEFAULT_DATA_DIRS, val_photos, 42).items()}
    off = EnhanceSettings(method="learned", denoise="off")
    lines = ["| set | pictures | Auto denoised | worst Auto − Off | > 0.05 dB worse | "
             "default − bicubic |", "|---|---|---|---|---|---|"]
    measured["pictures Auto harmed"] = 0
    for name, images in sets.items():
        changes, gains, denoised, failures = [], [], 0, []
        for picture, image in images.items():
            hr = crop_to_multiple(image, 2)
            lr = matlab_like_downscale(hr, 2)
            decision = plan_denoise(lr, "auto")
            denoised += decision.strength > 0
            auto = psnr(hr, enhance(lr, decision=decision), 2)
            change = auto - psnr(hr, enhance(lr, off), 2)
            changes.append(change)
            gains.append(auto - psnr(hr, resize(lr, 2), 2))
            if change < -AUTO_MAY_LOSE:
                failures.append(f"{picture} {change:+.3f} dB ({decision.description})")
        measured["pictures Auto harmed"] += len(failures)
        measured[f"{name} gain"] = float(np.mean(gains))
        lines.append(f"| {name} | {len(images)} | {denoised} | {min(changes):+.3f} dB | "
                     f"{'; '.join(failures) or 'none'} | {np.mean(gains):+.2f} dB |")
    return lines + [""] + noisy_gain_table(sets["val photographs"], off)


def noisy_gain_table(photos: dict[str, np.ndarray], off: EnhanceSettings) -> list[str]:
    """What Auto still buys on noisy pictures (noise of σ in R, G and B on the small input):
    how many it denoises and how far above Off it comes out."""
    from training.denoise_fit import damaged

    lines = ["| val photographs with noise | Auto denoised | Auto − Off, mean | Auto above Off |",
             "|---|---|---|---|"]
    for sigma in (8, 12):
        changes, denoised = [], 0
        for index, image in enumerate(photos.values()):
            hr = crop_to_multiple(image, 2)
            lr = damaged(matlab_like_downscale(hr, 2), sigma, None, index)  # noise, no JPEG
            decision = plan_denoise(lr, "auto")
            denoised += decision.strength > 0
            changes.append(psnr(hr, enhance(lr, decision=decision), 2)
                           - psnr(hr, enhance(lr, off), 2))
        lines.append(f"| σ {sigma} | {denoised} of {len(changes)} | {np.mean(changes):+.2f} dB | "
                     f"{np.mean(np.array(changes) > 0):.0%} |")
    return lines


def photo(path: Path, width: int, height: int, noise: float, seed: int = 0) -> Path:
    """A photo-like JPEG: smooth shapes and gradients, with sensor-like noise of `noise`."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x / width * 200, y / height * 200, (x + y) / (width + height) * 255], -1)
    base += 40 * np.sin(x / 37)[..., None] * np.cos(y / 53)[..., None]
    base += rng.normal(0, noise, base.shape).astype(np.float32)
    Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).save(path, quality=92)
    return path


def timed_child(code: str) -> tuple[float, float]:
    """(seconds, peak MiB) of `code` run in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", TIMED.format(body=code)], cwd=ROOT,
                          check=True, capture_output=True, text=True)
    seconds, peak = done.stdout.split()[-2:]
    return float(seconds), float(peak)


def end_to_end_table(temp: Path, repeat: int, measured: dict[str, float]) -> list[str]:
    lines = ["| 12 MP photo → PNG | ours: `aiic enhance` (default) | seed's own calls | "
             "ours ÷ seed | our peak memory |", "|---|---|---|---|---|"]
    for label, noise, scale in (("clean (σ 1), 2×", 1.0, 2), ("noisy (σ 12), 2×", 12.0, 2),
                                ("clean (σ 1), 4×", 1.0, 4)):
        source = photo(temp / f"photo-{noise:g}.jpg", 4000, 3000, noise)
        ours, seed = [], []
        for _ in range(repeat):
            ours.append(timed_child(OURS.format(source=str(source), scale=scale,
                                                target=str(temp / "ours.png"))))
            seed.append(timed_child(SEED_CALLS.format(source=str(source), scale=scale,
                                                      target=str(temp / "seed.png"))))
        ours_s = statistics.median(s for s, _ in ours)
        seed_s = statistics.median(s for s, _ in seed)
        peak = max(m for _, m in ours)
        measured[f"{label} ÷ seed"] = ours_s / seed_s
        measured[f"{label} peak GB"] = peak * 2**20 / 1e9  # the goal is in decimal GB
        lines.append(f"| {label} | {ours_s:.1f} s | {seed_s:.1f} s | {ours_s / seed_s:.2f} | "
                     f"{peak / 1024:.2f} GiB |")
    return lines


def speed_table(temp: Path) -> list[str]:
    image = np.asarray(Image.open(photo(temp / "speed.jpg", 4000, 3000, 1.0)).convert("RGB"))
    megapixels = image.shape[0] * image.shape[1] / 1e6
    lines = ["| method (2×, no denoising) | ms per input megapixel at 12 MP | ÷ bicubic |",
             "|---|---|---|"]
    timings = {}
    for method in ("bicubic", "lanczos", "learned"):
        settings = EnhanceSettings(method=method, denoise="off")
        enhance(image[:256, :256], settings)  # load the model, warm caches
        started = time.perf_counter()
        enhance(image, settings)
        timings[method] = 1000 * (time.perf_counter() - started) / megapixels
    for method, ms in timings.items():
        lines.append(f"| {method} | {ms:.0f} | {ms / timings['bicubic']:.1f} |")
    return lines


# (goal, what it is measured by, at least or at most, bound): issue 28's goals
GOALS = [
    ("Set5 2× clean PSNR", "Set5 2× clean **default**: learned, auto denoise", ">=", 36.8),
    ("Set14 2× clean PSNR", "Set14 2× clean **default**: learned, auto denoise", ">=", 32.4),
    ("clean val photographs: default over bicubic (dB)", "val photographs gain", ">=", 1.2),
    ("pictures where Auto is > 0.05 dB below Off", "pictures Auto harmed", "<=", 0),
    ("Set5 4× clean PSNR", "Set5 4× clean learned, no denoising", ">=", 30.5),
    ("12 MP 2× time ÷ seed's calls (noisy)", "noisy (σ 12), 2× ÷ seed", "<=", 1.0),
    ("12 MP 4× time ÷ seed's calls", "clean (σ 1), 4× ÷ seed", "<=", 1.5),
    ("12 MP 4× peak memory (GB)", "clean (σ 1), 4× peak GB", "<=", 1.5),
]


def goals_table(measured: dict[str, float]) -> list[str]:
    lines = ["| goal | target | measured | met |", "|---|---|---|---|"]
    for goal, key, sense, bound in GOALS:
        if key not in measured:
            continue
        value = measured[key]
        met = value >= bound if sense == ">=" else value <= bound
        lines.append(f"| {goal} | {sense.replace('>=', '≥').replace('<=', '≤')} {bound:g} | "
                     f"{value:.2f} | {'yes' if met else '**no**'} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sr-eval", type=Path, default=ROOT.parent / "shared" / "sr-eval")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--val-photos", type=int, default=400,
                        help="clean val photographs for the Auto check and the gain")
    parser.add_argument("--auto-check", type=int, metavar="N", default=0,
                        help="only check Auto against Off on clean pictures (N val photographs)")
    args = parser.parse_args()
    measured: dict[str, float] = {}
    if args.auto_check:
        print("\n".join(auto_vs_off_table(args.sr_eval, args.auto_check, measured)))
        return
    tables = []
    if args.sr_eval.is_dir():
        tables.append(quality_table(args.sr_eval, measured))
        tables.append(auto_vs_off_table(args.sr_eval, args.val_photos, measured))
    else:
        print(f"({args.sr_eval} not found: quality tables skipped)")
    if not args.skip_speed:
        with tempfile.TemporaryDirectory() as temp:
            tables.append(end_to_end_table(Path(temp), args.repeat, measured))
            tables.append(speed_table(Path(temp)))
    tables.append(goals_table(measured))
    print("\n\n".join("\n".join(table) for table in tables))


if __name__ == "__main__":
    main()
