"""Write images without losing anything the user had.

`save_image` writes to a temporary file in the target folder and renames it into place, so a
crash or a full disk never leaves half a file, and it refuses to replace an existing file
unless asked to.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image

from .imaging import ImageSource, _open

FORMAT_BY_SUFFIX = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
}


class SaveError(OSError):
    """The image could not be written; the message says why, for people."""


@dataclass(frozen=True)
class Metadata:
    """What travels from the original to the saved copy: EXIF (upright) and ICC profile."""

    exif: bytes | None = None
    icc_profile: bytes | None = None


def read_metadata(source: ImageSource) -> Metadata:
    """EXIF and ICC of `source`; orientation is reset because saved pixels are upright."""
    with _open(source) as image:
        exif = image.getexif()
        if ExifTags.Base.Orientation in exif:
            exif[ExifTags.Base.Orientation] = 1
        return Metadata(exif.tobytes() if exif else None, image.info.get("icc_profile"))


def save_image(
    image: np.ndarray,
    target: str | Path,
    *,
    overwrite: bool = False,
    quality: int = 95,
    metadata: Metadata | None = None,
) -> Path:
    """Atomically write an RGB array; the format follows the file's suffix."""
    target = Path(target)
    image_format = FORMAT_BY_SUFFIX.get(target.suffix.lower())
    if image_format is None:
        known = ", ".join(sorted(FORMAT_BY_SUFFIX))
        raise SaveError(f"{target.name}: unknown image type (use one of {known})")
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists; choose another name or allow overwrite")
    options: dict[str, object] = {}
    if image_format in ("JPEG", "WEBP"):
        options["quality"] = quality
    if metadata and image_format != "BMP":
        if metadata.exif:
            options["exif"] = metadata.exif
        if metadata.icc_profile:
            options["icc_profile"] = metadata.icc_profile
    folder = target.parent if str(target.parent) else Path(".")
    try:
        handle, temp_name = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=folder)
    except OSError as exc:
        raise SaveError(f"cannot write in {folder}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            Image.fromarray(image).save(stream, format=image_format, **options)
        os.replace(temp_name, target)
    except OSError as exc:
        Path(temp_name).unlink(missing_ok=True)
        raise SaveError(f"cannot save {target.name}: {exc.strerror or exc}") from exc
    return target
