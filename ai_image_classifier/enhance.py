"""Image enhancement: non-local-means denoising and upscaling, the seed app's methods.

All functions take and return H×W×3 uint8 RGB arrays (OpenCV's NLM treats the channels as a
colour image; the order of R and B does not change its result).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class EnhanceSettings:
    denoise: bool = True
    strength: float = 10.0  # h: luminance filter strength (higher removes more noise and detail)
    color_strength: float = 10.0  # hColor
    template_window: int = 7
    search_window: int = 21
    scale: float = 2.0


def denoise_image(
    image: np.ndarray,
    strength: float = 10.0,
    color_strength: float = 10.0,
    template_window: int = 7,
    search_window: int = 21,
) -> np.ndarray:
    """Non-local-means denoising (`cv2.fastNlMeansDenoisingColored`)."""
    return cv2.fastNlMeansDenoisingColored(
        np.ascontiguousarray(image), None, strength, color_strength, template_window, search_window
    )


def super_resolution(image: np.ndarray, scale: float = 2.0) -> np.ndarray:
    """Upscale by `scale` with bicubic interpolation (the seed's "super resolution")."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)


def enhance(image: np.ndarray, settings: EnhanceSettings | None = None) -> np.ndarray:
    """Denoise, then upscale: the seed's order (noise is removed before it is enlarged)."""
    settings = settings or EnhanceSettings()
    if settings.denoise:
        image = denoise_image(
            image,
            settings.strength,
            settings.color_strength,
            settings.template_window,
            settings.search_window,
        )
    if settings.scale != 1:
        image = super_resolution(image, settings.scale)
    return image
