"""Image enhancement: denoise only when the picture is noisy, then upscale.

Methods: our learned 2× network (the default; applied twice for 4×), Lanczos, and bicubic (the
seed app's). Denoising is non-local means whose strength follows a noise estimate of the
picture, so clean pictures are left alone. The seed's exact call stays available as the "seed"
preset. All functions take and return H×W×3 uint8 RGB arrays.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import numpy as np

from .enhance_settings import EnhanceSettings
from .opencv import import_cv2
from .superres import LearnedUpscaler, UpscaleCancelled, tile_corners

cv2 = import_cv2()

Progress = Callable[[float], object]
ShouldStop = Callable[[], bool]

SEED_DENOISE = 10.0  # the seed's fastNlMeansDenoisingColored(…, 10, 10, 7, 21)
TEMPLATE_WINDOW, SEARCH_WINDOW = 7, 21
# NL-means tiles (height, width): 1024 px wide keeps both cores busy (1024×256 strips take
# about as long as the whole frame, 256 px squares twice as long), 256 px high lets Cancel land
# within about a quarter of a second.
DENOISE_TILE = (256, 1024)
# Auto strength: none below AUTO_MIN_NOISE, else h = AUTO_STRENGTH_PER_SIGMA × estimated σ,
# fitted on validation photographs by `python -m training.denoise_fit`.
AUTO_MIN_NOISE = 5.23
AUTO_STRENGTH_PER_SIGMA = 0.8
NOISE_SAMPLES = 250_000
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


def estimate_noise(image: np.ndarray) -> float:
    """σ of white noise in the luma (0..255), from the finest diagonal Haar detail.

    Donoho's robust estimate: that band holds mostly noise, and its median absolute value
    ignores the few strong edges; fine texture still reads as a little noise. At most
    NOISE_SAMPLES evenly spread 2×2 blocks are used: the median is as steady, and NumPy holds
    the GIL (so the window) for a fraction of the time a whole 12 MP frame would take.
    """
    luma = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    rows, cols = luma.shape[0] // 2, luma.shape[1] // 2
    if rows * cols == 0:
        return 0.0
    step = max(1, math.ceil(math.sqrt(rows * cols / NOISE_SAMPLES)))
    blocks = luma[: 2 * rows, : 2 * cols].reshape(rows, 2, cols, 2)[::step, :, ::step, :]
    blocks = blocks.astype(np.float32)
    diagonal = (blocks[:, 0, :, 0] - blocks[:, 0, :, 1] - blocks[:, 1, :, 0]
                + blocks[:, 1, :, 1]) / 2
    return float(np.median(np.abs(diagonal)) / 0.6745)


def denoise_strength(image: np.ndarray, denoise: str | float) -> float:
    """The NL-means strength h that `denoise` asks for on this picture (0 = leave it)."""
    if denoise == "off":
        return 0.0
    if denoise == "seed":
        return SEED_DENOISE
    if denoise == "auto":
        sigma = estimate_noise(image)
        return 0.0 if sigma < AUTO_MIN_NOISE else AUTO_STRENGTH_PER_SIGMA * sigma
    return float(denoise)


def denoise_image(image: np.ndarray, strength: float = SEED_DENOISE) -> np.ndarray:
    """Non-local-means denoising (`cv2.fastNlMeansDenoisingColored`, 7 / 21 windows), the
    same strength for luminance and colour as the seed's call."""
    return cv2.fastNlMeansDenoisingColored(np.ascontiguousarray(image), None, strength, strength,
                                           TEMPLATE_WINDOW, SEARCH_WINDOW)


def denoise_in_tiles(image: np.ndarray, strength: float = SEED_DENOISE,
                     progress: Progress | None = None, should_stop: ShouldStop | None = None,
                     tile: tuple[int, int] = DENOISE_TILE) -> np.ndarray:
    """`denoise_image` tile by tile, so a caller can show progress and cancel between tiles.

    Each output pixel of NL-means depends only on pixels within (search + template) / 2 of
    it, so tiles computed with that margin and cropped give exactly the whole-image result.
    """
    margin = SEARCH_WINDOW // 2 + TEMPLATE_WINDOW // 2
    height, width = image.shape[:2]
    output = np.empty_like(image)
    corners = tile_corners(height, width, *tile)
    for done, (top, left, bottom, right) in enumerate(corners, start=1):
        if should_stop and should_stop():
            raise Cancelled
        y0, x0 = max(0, top - margin), max(0, left - margin)
        y1, x1 = min(height, bottom + margin), min(width, right + margin)
        piece = denoise_image(image[y0:y1, x0:x1], strength)
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


def learned_upscaler() -> LearnedUpscaler:
    """The bundled network, loaded once (raises `UpscalerLoadError` when it is missing).

    One interpreter serves every caller under a lock: LiteRT interpreters are not thread-safe.
    """
    global _upscaler
    with _upscaler_lock:
        if _upscaler is None:
            _upscaler = LearnedUpscaler()
        return _upscaler


def enhance(image: np.ndarray, settings: EnhanceSettings | None = None,
            progress: Progress | None = None, should_stop: ShouldStop | None = None
            ) -> np.ndarray:
    """Denoise (as `settings.denoise` asks), then upscale: noise is removed before it is
    enlarged. `progress` receives 0..1; `should_stop` is polled between tiles and makes the
    call raise `Cancelled`."""
    settings = settings or EnhanceSettings()
    check_output_size((image.shape[1], image.shape[0]), settings)
    strength = denoise_strength(image, settings.denoise)
    passes = int(np.log2(settings.scale)) if settings.method == "learned" else 0
    stages = (strength > 0) + passes
    finished = 0

    def stage_progress(fraction: float) -> None:
        if progress:
            progress((finished + fraction) / max(1, stages))

    if strength > 0:
        image = denoise_in_tiles(image, strength, stage_progress, should_stop)
        finished += 1
    if should_stop and should_stop():
        raise Cancelled
    if settings.method == "learned":
        upscaler = learned_upscaler()
        for _ in range(passes):
            try:
                with _upscaler_lock:
                    image = upscaler.upscale(image, stage_progress, should_stop)
            except UpscaleCancelled:
                raise Cancelled from None
            finished += 1
    elif settings.scale != 1:
        image = resize(image, settings.scale, settings.method)
    if progress:
        progress(1.0)
    return image
