"""How close an upscaled picture is to the original: the super-resolution literature's protocol.

PSNR and SSIM on the Y channel of ITU-R BT.601 (MATLAB's `rgb2ycbcr`), a border of `scale`
pixels cropped, low-resolution inputs made by an antialiased bicubic downscale like MATLAB's
`imresize` (Pillow's BICUBIC). The benchmark, the training package and the tests share it so
their numbers compare with each other and with published tables.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from ai_image_classifier.opencv import import_cv2

cv2 = import_cv2()


def crop_to_multiple(rgb: np.ndarray, factor: int) -> np.ndarray:
    """Crop the bottom and right so both sides divide by `factor`."""
    height, width = rgb.shape[:2]
    return rgb[: height - height % factor, : width - width % factor]


def matlab_like_downscale(rgb: np.ndarray, factor: int) -> np.ndarray:
    """Antialiased bicubic downscale by an integer factor (close to MATLAB's `imresize`)."""
    height, width = rgb.shape[:2]
    small = Image.fromarray(rgb).resize((width // factor, height // factor), Image.BICUBIC)
    return np.asarray(small)


def luma_bt601(rgb: np.ndarray) -> np.ndarray:
    """Y of studio-range YCbCr (16..235) as float64, as MATLAB's `rgb2ycbcr` computes it."""
    rgb = rgb.astype(np.float64)
    return 16.0 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0


def _shave(plane: np.ndarray, border: int) -> np.ndarray:
    return plane[border:-border, border:-border] if border else plane


def psnr(reference: np.ndarray, test: np.ndarray, border: int = 0) -> float:
    """PSNR in dB between two uint8 RGB pictures, on BT.601 luma."""
    a, b = (_shave(luma_bt601(x), border) for x in (reference, test))
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def ssim(reference: np.ndarray, test: np.ndarray, border: int = 0) -> float:
    """Mean SSIM (Wang et al. 2004: 11×11 Gaussian window, σ 1.5) on BT.601 luma."""
    a, b = (_shave(luma_bt601(x), border) for x in (reference, test))
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5)[5:-5, 5:-5]  # valid window positions only

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    index = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1)
                                                        * (var_a + var_b + c2))
    return float(index.mean())


def noisy_jpeg(rgb: np.ndarray, sigma: float, quality: int, seed: int = 0) -> np.ndarray:
    """Gaussian noise of `sigma` (0..255 scale), then a JPEG round trip at `quality`: the
    damaged low-resolution input of the benchmark's noisy protocol."""
    import io

    noise = np.random.default_rng(seed).normal(0.0, sigma, rgb.shape)
    noisy = np.clip(rgb.astype(np.float64) + noise + 0.5, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noisy).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))
