"""Invisible watermarks that open generators embed by default, decoded from the pixels.

diffusers' Stable Diffusion XL pipelines, Stability AI's generative-models reference code and
the original Stable Diffusion scripts write a fixed message with the `invisible-watermark`
library's `dwtDct` method: in each 4×4 block of the Haar DWT approximation of the U channel
(YUV of the BGR picture), the largest coefficient after the first is quantised with step 36 so
that its remainder says the bit; block n carries bit n mod (message length). The library
imports PyTorch, so the decoder is re-implemented here with PyWavelets and OpenCV, vectorised.

A mark is a declaration only when nearly all bits match (`MATCH`). Re-compression, resizing or
a screenshot removes such marks: their absence is no evidence of anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .provenance import Provenance

#: The quantisation step of the U channel (the library's default scales [0, 36, 36]; its
#: encoder visits only channels 0 and 1, and channel 0 has scale 0).
STEP = 36.0
BLOCK = 4
#: Bits that must match: 44 of 48, the same fraction for longer messages.
MATCH = 44 / 48
#: The decode reads a top band of the picture of at most this many pixels: all of Stable
#: Diffusion 1's 512×512, half of SDXL's ~1 MP (its float-pixel mark still reads 48 of 48),
#: and of a 12 MP photograph only what costs as much. Every bit repeats in every band of rows.
BAND_PIXELS = 540_000
#: The library refuses to mark pictures smaller than this (diffusers skips them too).
MIN_PIXELS = 256 * 256
NOT_EVIDENCE = ("re-compression, resizing or a screenshot removes such marks, so their "
                "absence is no evidence")


def _bits(value: int, length: int) -> tuple[int, ...]:
    return tuple((value >> (length - 1 - i)) & 1 for i in range(length))


@dataclass(frozen=True)
class KnownMark:
    name: str  # the generator, as the evidence names it
    bits: tuple[int, ...]
    #: Whether the generator marked float pixels (0…255): OpenCV's YUV then offsets U by 0.5,
    #: not 128, and the decode must convert the same way to read the same coefficients.
    float_pixels: bool


KNOWN_MARKS = (
    # diffusers, pipelines/stable_diffusion_xl/watermark.py (StableDiffusionXLWatermarker)
    KnownMark("Stable Diffusion XL", _bits(0b101100111110110010010000011110111011000110011110,
                                           48), float_pixels=True),
    # Stability AI generative-models, sgm/inference/helpers.py (SDXL, SVD reference code)
    KnownMark("Stability AI generative-models (SDXL/SVD reference code)",
              _bits(0b001010101111111010000111100111001111010100101110, 48), float_pixels=True),
    # CompVis stable-diffusion scripts/txt2img.py: the bytes of "StableDiffusionV1", marked
    # on the uint8 picture
    KnownMark("Stable Diffusion (original scripts)",
              tuple(int(b) for b in np.unpackbits(np.frombuffer(b"StableDiffusionV1",
                                                                np.uint8))), float_pixels=False),
)


@dataclass(frozen=True)
class FoundMark:
    name: str
    matching: int  # bits that match the generator's message
    length: int

    def describe(self) -> str:
        return (f"invisible watermark of {self.name} ({self.matching} of {self.length} bits "
                f"match; {NOT_EVIDENCE})")


def band_bgr(rgb: np.ndarray) -> np.ndarray:
    """The top band of `rgb` (H×W×3 uint8, RGB) that the decode reads, in BGR order: block
    numbering runs along whole rows, so a band of rows keeps every block's bit."""
    height, width = rgb.shape[:2]
    band = min(height, max(8, BAND_PIXELS // max(width, 1) // 8 * 8))
    return np.ascontiguousarray(rgb[:band, :, 2::-1])


def block_votes(bgr: np.ndarray, float_pixels: bool) -> np.ndarray:
    """One vote a 4×4 block of `bgr`, in the library's block order: is the block's largest
    coefficient (after the first) in the upper half of its quantisation step?"""
    import cv2
    import pywt

    height, width = bgr.shape[:2]
    source = bgr.astype(np.float32) if float_pixels else bgr
    u_channel = cv2.cvtColor(source, cv2.COLOR_BGR2YUV)[:height // 4 * 4, :width // 4 * 4, 1]
    approximation, _ = pywt.dwt2(u_channel.astype(np.float64), "haar")
    rows, cols = approximation.shape[0] // BLOCK, approximation.shape[1] // BLOCK
    blocks = (approximation[:rows * BLOCK, :cols * BLOCK]
              .reshape(rows, BLOCK, cols, BLOCK).transpose(0, 2, 1, 3)
              .reshape(rows * cols, BLOCK * BLOCK))
    largest = np.argmax(np.abs(blocks[:, 1:]), axis=1) + 1
    values = np.abs(blocks[np.arange(len(blocks)), largest])
    return (values % STEP) > 0.5 * STEP


def message_bits(votes: np.ndarray, length: int) -> np.ndarray:
    """The `length`-bit message as the library's decoder reads it: the mean of each bit's
    votes (block n votes for bit n mod length), more than 127/255 meaning 1."""
    index = np.arange(len(votes)) % length
    counts = np.maximum(np.bincount(index, minlength=length), 1)
    return np.bincount(index, weights=votes, minlength=length) / counts * 255 > 127


def find_watermark(rgb: np.ndarray) -> FoundMark | None:
    """The known generator mark that `rgb` (H×W×3 uint8, RGB) carries, or None (also for
    pictures too small or too thin to carry one)."""
    if (rgb.ndim != 3 or rgb.shape[2] < 3 or rgb.shape[0] * rgb.shape[1] < MIN_PIXELS
            or min(rgb.shape[:2]) < 2 * BLOCK):  # no whole block: a 1-pixel-wide picture
        return None
    bgr = band_bgr(rgb)
    votes = {float_pixels: block_votes(bgr, float_pixels) for float_pixels in (True, False)}
    for mark in KNOWN_MARKS:
        bits = message_bits(votes[mark.float_pixels], len(mark.bits))
        matching = int(np.sum(bits == np.array(mark.bits, bool)))
        if matching >= MATCH * len(mark.bits):
            return FoundMark(mark.name, matching, len(mark.bits))
    return None


def with_watermark(provenance: Provenance, mark: FoundMark | None) -> Provenance:
    """`provenance` with a found generator mark as a deciding declaration, unless a
    declaration already decides (a signed manifest names its signer, which says more); beside
    a camera's signature it is a note, so that the contradiction is seen."""
    if mark is None or provenance.generated:
        return provenance
    if provenance.captured:
        return replace(provenance, notes=(*provenance.notes, f"{mark.describe()}; it does not "
                                          "decide against the camera's signature"))
    return replace(provenance, generated=(mark.describe(),),
                   decided_by=f"invisible watermark of {mark.name}")
