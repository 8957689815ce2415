"""Decode any image file into an RGB array, and turn it into the model's input.

Everything that reads pixels goes through `open_rgb`, so the app, the CLI and training see
the same colours for the same file; and everything that feeds the network goes through
`to_model_input`, so training and inference resize identically.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # Phone photos (HEIC/HEIF); optional so that a missing wheel costs only that format.
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - depends on the platform's wheels
    pass

ImageSource = str | os.PathLike[str] | bytes | BinaryIO

#: Pillow refuses files above twice its MAX_IMAGE_PIXELS (about 179 megapixels by default)
#: as decompression bombs; we keep that guard and turn it into a readable message.
MAX_PIXELS = 2 * Image.MAX_IMAGE_PIXELS

#: Colour used under transparent pixels: white, as a viewer shows a transparent PNG on paper.
BACKGROUND = (255, 255, 255)

#: Resampling used to make the model input; bilinear in Pillow is area-aware when shrinking.
MODEL_RESAMPLE = Image.Resampling.BILINEAR


class ImageDecodeError(ValueError):
    """The file is not an image we can read; the message says why, for people."""


class ImageTooLargeError(ImageDecodeError):
    """The image has more pixels than we agree to decode."""


def _describe(source: ImageSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return "the image data"


def _reason(exc: Exception) -> str:
    """Pillow's decoding errors, in words a person can act on."""
    if "truncated" in str(exc).lower() or isinstance(exc, EOFError):
        return "the file is truncated (incomplete download or copy?)"
    return f"the file is damaged or unreadable ({exc})"


def open_header(source: ImageSource) -> Image.Image:
    """Open lazily (header only) with errors a person can act on."""
    name = _describe(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise ImageDecodeError(f"{name}: file not found")
        if path.is_dir():
            raise ImageDecodeError(f"{name}: is a folder, not an image")
        if path.stat().st_size == 0:
            raise ImageDecodeError(f"{name}: the file is empty (0 bytes)")
        fp: str | BinaryIO = str(path)
    elif isinstance(source, bytes):
        if not source:
            raise ImageDecodeError("the image data is empty (0 bytes)")
        fp = io.BytesIO(source)
    else:
        fp = source
    try:
        with warnings.catch_warnings():
            # Between MAX_IMAGE_PIXELS and MAX_PIXELS Pillow only warns; we accept those.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(fp)
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(
            f"{name}: the image is too large to open safely "
            f"(over {MAX_PIXELS / 1e6:.0f} megapixels)"
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageDecodeError(
            f"{name}: not an image, or a format this app cannot read"
        ) from exc
    except OSError as exc:
        raise ImageDecodeError(f"{name}: {_reason(exc)}") from exc


def _to_rgb(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB, compositing transparency on white."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        if mode == "F":
            scale = 255.0 if values.max(initial=0) <= 1.0 else 1.0
        else:
            # 16-bit samples (PNG, TIFF) map 0..65535 onto 0..255; 8-bit data stored as "I" stays.
            scale = 1.0 if values.max(initial=0) <= 255 else 255.0 / 65535.0
        gray = np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)
        return Image.fromarray(gray).convert("RGB")
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, BACKGROUND + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def open_rgb(
    source: ImageSource,
    *,
    draft_size: int | None = None,
    max_pixels: int = MAX_PIXELS,
) -> Image.Image:
    """Decode `source` into an upright 8-bit RGB Pillow image.

    `draft_size` lets the JPEG decoder skip detail that the caller will throw away (it
    decodes at 1/2, 1/4 or 1/8 scale while staying at least `draft_size` on each side),
    which is how a 12 MP photo is classified without decoding 12 MP.
    Raises `ImageDecodeError` (or `ImageTooLargeError`) with a readable message.
    """
    name = _describe(source)
    image = open_header(source)
    try:
        width, height = image.size
        if width * height > max_pixels:
            raise ImageTooLargeError(
                f"{name}: {width}×{height} is {width * height / 1e6:.0f} megapixels, "
                f"over the limit of {max_pixels / 1e6:.0f}"
            )
        if draft_size and image.format == "JPEG":
            image.draft("RGB", (draft_size, draft_size))
        image.seek(0)  # first frame of animated GIF/WebP/APNG/TIFF
        image.load()
        try:
            upright = ImageOps.exif_transpose(image)
        except Exception:  # a damaged EXIF block should not hide a readable picture
            upright = image
        return _to_rgb(upright)
    except ImageDecodeError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageDecodeError(f"{name}: {_reason(exc)}") from exc


def load_rgb(source: ImageSource, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode `source` into an H×W×3 uint8 array (full resolution)."""
    return np.asarray(open_rgb(source, max_pixels=max_pixels))


def to_model_input(image: Image.Image | np.ndarray, size: int) -> np.ndarray:
    """Resize an RGB image to the network's size×size input, as uint8 0..255.

    Scaling to [0, 1] is a `Rescaling` layer inside the model, so this function is the whole
    of the preprocessing outside it; training calls it too.
    """
    pil = Image.fromarray(image) if isinstance(image, np.ndarray) else image
    if pil.mode != "RGB":
        pil = _to_rgb(pil)
    return np.asarray(pil.resize((size, size), MODEL_RESAMPLE), dtype=np.uint8)


@dataclass(frozen=True)
class ModelInput:
    pixels: np.ndarray  # size×size×3 uint8
    face: tuple[float, float, float, float] | None  # the face crop used, as fractions; None = whole


def prepare_model_input(image: Image.Image | np.ndarray, size: int,
                        find_faces: bool = True) -> ModelInput:
    """The model's input for a decoded picture: the face crop when a face is small in it."""
    from .faces import crop, face_region  # OpenCV loads on first use, off the start-up path

    pil = Image.fromarray(image) if isinstance(image, np.ndarray) else image
    region = face_region(pil) if find_faces else None
    return ModelInput(to_model_input(crop(pil, region) if region else pil, size), region)


def load_model_input(source: ImageSource, size: int, find_faces: bool = True) -> ModelInput:
    """Decode a file straight into the model's input. JPEG draft mode decodes just enough
    for the face search and the crop, so a 12 MP photo is never decoded whole."""
    from .faces import DETECT_SIDE

    image = open_rgb(source, draft_size=max(2 * size, DETECT_SIDE if find_faces else 0))
    return prepare_model_input(image, size, find_faces)
