"""How much of a picture the app agrees to decode, checked from its header before a pixel is
decoded, and the messages that say so: one place for the limits that the window, the CLI and
training share (`imaging` applies them).
"""

from __future__ import annotations

from PIL import Image


class ImageDecodeError(ValueError):
    """The file is not an image we can read; the message says why, for people."""


class ImageTooLargeError(ImageDecodeError):
    """The image has more pixels than we agree to decode."""


#: Most pixels we decode: a 108 MP phone photo fits. JPEGs are measured after draft-mode
#: reduction, so classifying a larger JPEG still works; everything else is refused from its
#: header, before any pixel is decoded.
MAX_PIXELS = 120_000_000
#: Most bytes a decoded frame may take in its own mode (16-bit and float modes are larger).
MAX_DECODED_BYTES = 600_000_000
#: Largest file read whole (for its metadata or pixels): an image within the limits above is
#: smaller, so a larger file is padding or a trap.
MAX_FILE_BYTES = 1_000_000_000
#: Formats whose decoder can skip detail (draft mode: 1/2, 1/4 or 1/8 scale).
DRAFT_FORMATS = ("JPEG", "MPO")
BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "La": 2, "I;16": 2, "I;16L": 2,
                   "I;16B": 2, "I;16N": 2, "RGB": 3, "YCbCr": 3, "LAB": 3, "HSV": 3}


def _megapixels(pixels: int) -> str:
    """"132" for 132,000,000 pixels, "120.4" where the tenth matters, "0.0031" for 3072."""
    value = pixels / 1e6
    return f"{value:.1f}".removesuffix(".0") if value >= 1 else f"{value:.2g}"


def too_large(name: str, width: int, height: int, max_pixels: int = MAX_PIXELS) -> str:
    """Why a picture is refused, with its size and the limit, so a person can judge."""
    size = f"{width} × {height} = {_megapixels(width * height)} MP; " if width else ""
    return f"{name}: too large to open safely: {size}the limit is {_megapixels(max_pixels)} MP"


def draft_scale(image: Image.Image, max_pixels: int = MAX_PIXELS) -> int:
    """The smallest draft reduction (1, 2, 4 or 8) that brings a JPEG within `max_pixels`;
    1 for a picture that fits, or cannot be decoded reduced."""
    if image.format not in DRAFT_FORMATS:
        return 1
    width, height = image.size
    return next((scale for scale in (1, 2, 4, 8)
                 if -(-width // scale) * -(-height // scale) <= max_pixels), 1)


def check_size(image: Image.Image, name: str, max_pixels: int = MAX_PIXELS, *,
               reducible: bool = False) -> None:
    """Refuse, from the header, what would take too much memory or time to decode; with
    `reducible`, a JPEG counts at the draft reduction (`draft_scale`) that would decode it."""
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageDecodeError(f"{name}: the image has no pixels ({width}×{height})")
    scale = draft_scale(image, max_pixels) if reducible else 1
    pixels = -(-width // scale) * -(-height // scale)
    if pixels > max_pixels:
        raise ImageTooLargeError(too_large(name, width, height, max_pixels))
    decoded = pixels * BYTES_PER_PIXEL.get(image.mode, 4)
    if decoded > MAX_DECODED_BYTES:
        raise ImageTooLargeError(
            f"{name}: too large to open safely: {width} × {height} in mode {image.mode} takes "
            f"{decoded / 1e9:.1f} GB decoded; the limit is {MAX_DECODED_BYTES / 1e9:.1f} GB"
        )
