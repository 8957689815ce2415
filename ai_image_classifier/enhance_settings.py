"""What an enhancement should do: method, scale and denoising, with a line explaining each.

Kept apart from `enhance` (which needs OpenCV and the upscaler) so the window can build its
Enhance panel without importing either at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Method = Literal["learned", "lanczos", "bicubic"]
DenoiseMode = Literal["auto", "off", "seed"]
METHODS: dict[Method, str] = {
    "learned": "Learned: our own networks (2× and 4×), sharpest",
    "lanczos": "Lanczos: classic interpolation, sharper than bicubic",
    "bicubic": "Bicubic: classic smooth interpolation (the original app's)",
}
SCALES = (1, 2, 4)
DENOISE_MODES: dict[DenoiseMode, str] = {
    "auto": "Auto: measure the noise and remove only that (clean pictures are left alone)",
    "off": "Off: never denoise",
    "seed": "Seed: the original app's fixed strength (10), even on clean pictures",
}


@dataclass(frozen=True)
class EnhanceSettings:
    method: Method = "learned"
    scale: float = 2
    denoise: DenoiseMode | float = "auto"  # a mode, or an NL-means strength h

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r} (use one of {', '.join(METHODS)})")
        if self.method == "learned" and self.scale not in SCALES:
            raise ValueError("the learned method enlarges 1×, 2× or 4×")
        if not self.scale > 0:
            raise ValueError("scale must be positive")
        if isinstance(self.denoise, str):
            if self.denoise not in DENOISE_MODES:
                raise ValueError(f"denoise must be auto, off, seed or a strength, "
                                 f"not {self.denoise!r}")
        elif not 0 <= self.denoise <= 100:
            raise ValueError("denoise strength must be between 0 and 100")

    @property
    def runs_network(self) -> bool:
        """Whether a learned upscaler runs: learned at 1× only denoises."""
        return self.method == "learned" and self.scale != 1


#: NL-means (template, search) windows. The seed's call used 7 / 21; Auto and Custom use 3 px
#: patches searched within 7 px, which on noisy val photographs gave a higher PSNR in about a
#: quarter of the time (`python -m training.denoise_fit --compare-windows`; docs/enhancement.md).
SEED_WINDOWS = (7, 21)
DENOISE_WINDOWS = (3, 7)


@dataclass(frozen=True)
class DenoiseDecision:
    """What denoising does to one picture, decided before any pixel changes so that it can be
    said: the CLI prints `description`, the window shows it beside the result."""

    mode: DenoiseMode | float  # what was asked: a mode or a strength
    strength: float  # NL-means h applied; 0 = the picture is not denoised
    noise: float | None = None  # the estimated noise level (luma σ, 0..255); None = not measured

    @property
    def windows(self) -> tuple[int, int]:
        """NL-means (template, search) windows: the seed's preset keeps the seed's call."""
        return SEED_WINDOWS if self.mode == "seed" else DENOISE_WINDOWS

    @property
    def description(self) -> str:
        """Plain words: "noise level 7.0, removed at strength 9.8", "no noise found (level 1.8)"."""
        if self.mode == "auto" and self.noise is not None:
            if self.strength > 0:
                return f"noise level {self.noise:.1f}, removed at strength {self.strength:.1f}"
            return f"no noise found (level {self.noise:.1f})"
        if self.mode == "off":
            return "not denoised (denoising off)"
        if self.strength == 0:
            return "not denoised (strength 0)"
        if self.mode == "seed":
            return f"denoised at the original app's strength {self.strength:g}"
        return f"denoised at strength {self.strength:g}"

