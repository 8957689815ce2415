"""Image enhancement: denoise only when the picture is noisy, then upscale.

Methods: our learned networks (the default; one for 2×, one for 4×), Lanczos, and bicubic (the
seed app's). Denoising is non-local means whose strength follows a noise estimate of the
picture, so clean pictures are left alone. The seed's exact call stays available as the "seed"
preset. All functions take and return H×W×3 uint8 RGB arrays.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable

import numpy as np

from .enhance_settings import SEED_WINDOWS, DenoiseDecision, EnhanceSettings
from .opencv import import_cv2
from .superres import (
    LearnedUpscaler,
    UpscaleCancelled,
    UpscalerLoadError,
    bundled_upscaler_path,
    tile_corners,
)

cv2 = import_cv2()

Progress = Callable[[float], object]
ShouldStop = Callable[[], bool]

SEED_DENOISE = 10.0  # the seed's fastNlMeansDenoisingColored(…, 10, 10, 7, 21)
# NL-means tiles (height, width): 1024 px wide keeps both cores busy (1024×256 strips take
# about as long as the whole frame, 256 px squares twice as long), 256 px high lets Cancel land
# within about a quarter of a second.
DENOISE_TILE = (256, 1024)
# Auto strength: none below AUTO_MIN_NOISE, else h = AUTO_STRENGTH_PER_SIGMA × estimated σ.
# The strength is fitted on validation photographs by `python -m training.denoise_fit` (seed
# 42): the best mean PSNR, with the DENOISE_WINDOWS, on the damaged copies of 40 of them. The
# fit's threshold (leave 99 % of 200 clean ones alone) came out at 1.01 with this estimate,
# but below about 3 NL-means took more detail than noise: 4 of 400 clean val photographs came
# out up to 1.1 dB worse than Off (`bench/bench_enhance.py`). So Auto keeps 3.44, the level
# fitted for the previous estimate, as its floor.
AUTO_MIN_NOISE = 3.44
AUTO_STRENGTH_PER_SIGMA = 1.40
NOISE_BLOCK = 6  # residual pixels a block side: small, so flat bits of a busy picture count
NOISE_BLOCKS = 50_000  # at most this many blocks sampled (12 MP holds 190 000)
NOISE_FLATTEST = 0.05  # the fraction of blocks, least residual first, that σ is measured on
#: Largest result we agree to make: a 12 MP photo at 4× (192 MP, 576 MB of pixels) fits.
MAX_OUTPUT_PIXELS = 200_000_000


class Cancelled(Exception):
    """The caller asked to stop; nothing was produced."""


class EnhanceError(ValueError):
    """This image cannot be enhanced as asked; the message says why, for people."""


def check_output_size(size: tuple[int, int], settings: EnhanceSettings) -> None:
    """Refuse, from the input's (width, height), a result larger than the app makes."""
    width, height = size
    pixels = height * width * settings.scale**2
    if pixels > MAX_OUTPUT_PIXELS:
        raise EnhanceError(
            f"the result would be {pixels / 1e6:.0f} megapixels; the most this app makes is "
            f"{MAX_OUTPUT_PIXELS / 1e6:.0f}: choose a smaller scale")


def _block_noise(luma: np.ndarray) -> np.ndarray:
    """σ of each sampled NOISE_BLOCK² block, from Immerkaer's residual ([1 −2 1] ⊗ [1 −2 1]).

    The residual cancels flat areas and linear gradients, so in a flat block it is noise alone.
    At most NOISE_BLOCKS evenly spread blocks are used: NumPy holds the GIL (so the window)
    for a few milliseconds even on a 12 MP frame. Blocks touching 0 or 255 are left out
    (clipping flattens noise), unless they are constant (a white margin or a blown-out sky
    holds no noise, and leaving it out would leave only texture to measure) or too few others
    remain.
    """
    side = NOISE_BLOCK + 2  # the 3×3 residual is taken inside each block, never across two
    rows, cols = luma.shape[0] // side, luma.shape[1] // side
    if rows * cols == 0:
        return np.zeros(0, np.float32)
    step = max(1, math.ceil(math.sqrt(rows * cols / NOISE_BLOCKS)))
    blocks = luma[: rows * side, : cols * side].reshape(rows, side, cols, side)[::step, :, ::step]
    blocks = blocks.transpose(0, 2, 1, 3).reshape(-1, side, side).astype(np.float32)
    across = blocks[:, :, :-2] - 2 * blocks[:, :, 1:-1] + blocks[:, :, 2:]
    residual = across[:, :-2] - 2 * across[:, 1:-1] + across[:, 2:]
    sigmas = np.sqrt(np.mean(residual * residual, axis=(1, 2))) / 6  # the kernel's norm is 6
    low, high = blocks.min(axis=(1, 2)), blocks.max(axis=(1, 2))
    kept = ((low > 0) & (high < 255)) | (low == high)
    return sigmas[kept] if kept.sum() >= 8 else sigmas


def _flattest_noise(luma: np.ndarray) -> float:
    """RMS σ of the NOISE_FLATTEST fraction of blocks with the least residual (uncorrected)."""
    sigmas = _block_noise(luma)
    if sigmas.size == 0:
        return 0.0
    count = max(1, round(NOISE_FLATTEST * sigmas.size))
    return float(np.sqrt(np.mean(np.partition(sigmas, count - 1)[:count] ** 2)))


@functools.cache
def _flattest_bias() -> float:
    """What `_flattest_noise` reads on pure noise, per unit σ: the least noisy blocks of pure
    noise read below its σ, by a factor set only by the block size and the fraction kept."""
    noise = np.random.default_rng(0).normal(128, 10, (480, 480))
    return _flattest_noise(np.clip(noise, 0, 255).astype(np.float32)) / 10


def estimate_noise(image: np.ndarray) -> float:
    """σ of white noise in the luma (0..255), measured in the flattest parts of the picture.

    Texture adds residual energy in its blocks but cannot remove the noise from flat ones, so
    the blocks with the least residual show the noise alone (Donoho's estimate over the whole
    picture read baboon's fur as σ 10). A picture with fine texture everywhere (sand, hair,
    blossom) has no flat part, and its texture would read as noise; scale tells them apart.
    Averaging 2 × 2 pixels halves white noise's σ, while texture at the next scale up is
    about as strong. So the picture is measured again at half size, and only the part of the
    reading that halves counts: with σ₁² = n² + t² at full size and σ₂² = n²/4 + t² at half
    size, n² = (σ₁² − σ₂²) / ¾. Pure noise keeps its reading; texture reads near 0.
    """
    luma = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    full = _flattest_noise(luma) / _flattest_bias()
    height, width = luma.shape
    if min(height, width) < 4 * (NOISE_BLOCK + 2):  # too few blocks at half size to tell
        return full
    even = luma[: height // 2 * 2, : width // 2 * 2]  # exact 2 × 2 means, also for odd sides
    half_luma = cv2.resize(even, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    half = _flattest_noise(half_luma) / _flattest_bias()
    return math.sqrt(max(0.0, full * full - half * half) / 0.75)


def plan_denoise(image: np.ndarray, denoise: str | float) -> DenoiseDecision:
    """What `denoise` does to this picture: Auto measures the noise and denoises only above
    AUTO_MIN_NOISE; the other modes use their fixed strength. `enhance` follows it."""
    if denoise == "auto":
        sigma = estimate_noise(image)
        strength = 0.0 if sigma < AUTO_MIN_NOISE else AUTO_STRENGTH_PER_SIGMA * sigma
        return DenoiseDecision("auto", strength, sigma)
    if denoise == "off":
        return DenoiseDecision("off", 0.0)
    if denoise == "seed":
        return DenoiseDecision("seed", SEED_DENOISE)
    return DenoiseDecision(denoise, float(denoise))


def denoise_image(image: np.ndarray, strength: float = SEED_DENOISE,
                  windows: tuple[int, int] = SEED_WINDOWS) -> np.ndarray:
    """Non-local-means denoising (`cv2.fastNlMeansDenoisingColored` with (template, search)
    `windows`), the same strength for luminance and colour; the defaults are the seed's call."""
    template, search = windows
    return cv2.fastNlMeansDenoisingColored(np.ascontiguousarray(image), None, strength, strength,
                                           template, search)


def denoise_in_tiles(image: np.ndarray, strength: float = SEED_DENOISE,
                     progress: Progress | None = None, should_stop: ShouldStop | None = None,
                     tile: tuple[int, int] = DENOISE_TILE,
                     windows: tuple[int, int] = SEED_WINDOWS) -> np.ndarray:
    """`denoise_image` tile by tile, so a caller can show progress and cancel between tiles.

    Each output pixel of NL-means depends only on pixels within (search + template) / 2 of
    it, so tiles computed with that margin and cropped give exactly the whole-image result.
    """
    margin = windows[1] // 2 + windows[0] // 2
    height, width = image.shape[:2]
    output = np.empty_like(image)
    corners = tile_corners(height, width, *tile)
    for done, (top, left, bottom, right) in enumerate(corners, start=1):
        if should_stop and should_stop():
            raise Cancelled
        y0, x0 = max(0, top - margin), max(0, left - margin)
        y1, x1 = min(height, bottom + margin), min(width, right + margin)
        piece = denoise_image(image[y0:y1, x0:x1], strength, windows)
        output[top:bottom, left:right] = piece[top - y0 : bottom - y0, left - x0 : right - x0]
        if progress:
            progress(done / len(corners))
    return output


def resize(image: np.ndarray, scale: float, method: str = "bicubic") -> np.ndarray:
    """Classic interpolation by `scale` (bicubic is the seed's "super resolution")."""
    if not scale > 0:
        raise ValueError("scale must be positive")
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    flag = cv2.INTER_LANCZOS4 if method == "lanczos" else cv2.INTER_CUBIC
    return cv2.resize(image, size, interpolation=flag)


_upscaler: LearnedUpscaler | None = None
_upscaler_lock = threading.Lock()


def learned_upscaler(scale: int = 2) -> LearnedUpscaler:
    """The bundled network for `scale` (raises `UpscalerLoadError` when it is missing).

    One interpreter serves every caller under a lock (LiteRT interpreters are not
    thread-safe), and only the last scale's is kept: each holds its tile's feature maps.
    """
    with _upscaler_lock:
        return _loaded_upscaler(scale)


def _loaded_upscaler(scale: int) -> LearnedUpscaler:
    """`learned_upscaler` for a caller that holds `_upscaler_lock`."""
    global _upscaler
    if _upscaler is None or _upscaler.scale != scale:
        _upscaler = None  # let the other scale's memory go before the new one is made
        _upscaler = LearnedUpscaler(bundled_upscaler_path(scale))
        if _upscaler.scale != scale:
            raise UpscalerLoadError(f"the {scale}× upscaler's card says it is "
                                    f"{_upscaler.scale}×")
    return _upscaler


def enhance(image: np.ndarray, settings: EnhanceSettings | None = None,
            progress: Progress | None = None, should_stop: ShouldStop | None = None,
            decision: DenoiseDecision | None = None) -> np.ndarray:
    """Denoise (as `decision`, by default `plan_denoise` for `settings.denoise`, says), then
    upscale: noise is removed before it is enlarged. A caller that shows the decision passes
    the one it showed, so the picture is never measured twice. `progress` receives 0..1;
    `should_stop` is polled between tiles and makes the call raise `Cancelled`."""
    settings = settings or EnhanceSettings()
    check_output_size((image.shape[1], image.shape[0]), settings)
    decision = decision or plan_denoise(image, settings.denoise)
    strength = decision.strength
    stages = (strength > 0) + settings.runs_network
    finished = 0

    def stage_progress(fraction: float) -> None:
        if progress:
            progress((finished + fraction) / max(1, stages))

    if strength > 0:
        image = denoise_in_tiles(image, strength, stage_progress, should_stop,
                                 windows=decision.windows)
        finished += 1
    if should_stop and should_stop():
        raise Cancelled
    if settings.runs_network:
        try:
            with _upscaler_lock:  # one lock for loading and running: no swap mid-run
                image = _loaded_upscaler(int(settings.scale)).upscale(image, stage_progress,
                                                                      should_stop)
        except UpscaleCancelled:
            raise Cancelled from None
    elif settings.scale != 1:
        image = resize(image, settings.scale, settings.method)
    if progress:
        progress(1.0)
    return image
