"""Write images without losing anything the user had.

`atomic_write` writes to a temporary file in the target folder and renames it into place, so
a crash or a full disk never leaves half a file; `save_image` uses it and refuses to replace
an existing file unless asked to.
"""

from __future__ import annotations

import os
import struct
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import ExifTags, Image

from .imaging import ImageSource, open_header
from .opencv import import_cv2

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
    with open_header(source) as image:
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
    try:
        with atomic_write(target) as stream:
            if image_format == "PNG":
                stream.write(encode_png(image, options.get("exif"), options.get("icc_profile")))
            else:
                Image.fromarray(image).save(stream, format=image_format, **options)
    except SaveError:
        raise
    except OSError as exc:
        raise SaveError(f"cannot save {target.name}: {exc.strerror or exc}") from exc
    return target


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png(image: np.ndarray, exif: bytes | None = None,
               icc_profile: bytes | None = None) -> bytes:
    """PNG bytes of an RGB array, with EXIF (eXIf) and ICC (iCCP) chunks after the header.

    OpenCV's encoder writes a 48-megapixel result many times faster than Pillow's default
    (the README's benchmark has the numbers) at a similar size; the chunks keep the metadata.
    """
    cv2 = import_cv2()  # imported when first needed: the window starts without OpenCV
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise SaveError("the PNG encoder failed")
    data = encoded.tobytes()
    chunks = b""
    if icc_profile:
        chunks += _png_chunk(b"iCCP", b"ICC Profile\0\0" + zlib.compress(icc_profile))
    if exif:
        chunks += _png_chunk(b"eXIf", exif.removeprefix(b"Exif\0\0"))
    header_end = 8 + 8 + 13 + 4  # signature, then IHDR: length, type, 13 bytes, CRC
    return data[:header_end] + chunks + data[header_end:]


@contextmanager
def atomic_write(target: Path, mode: str = "wb", **open_args: Any) -> Iterator[IO[Any]]:
    """Write into a temporary file beside `target`, moved into place only once complete.

    A crash or a full disk leaves the old file (or none) and no half-written one; the
    temporary file is removed on failure.
    """
    try:
        handle, temp_name = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix,
                                             dir=target.parent)
    except OSError as exc:
        raise SaveError(f"cannot write in {target.parent}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(handle, mode, **open_args) as stream:
            yield stream
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
