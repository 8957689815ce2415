"""Decode any image file into an upright 8-bit RGB picture, within the limits (`limits`).

Everything that reads pixels goes through `open_rgb`, so the app, the CLI and training see
the same colours for the same file; `model_input` turns that picture into the models' views.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import io
import logging
import os
import stat
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .limits import (
    DRAFT_FORMATS,
    MAX_FILE_BYTES,
    MAX_PIXELS,
    ImageDecodeError,
    ImageTooLargeError,
    check_size,
    draft_scale,
    too_large,
)
from .logs import native_stderr_to_log

try:  # Phone photos (HEIC/HEIF); optional so that a missing wheel costs only that format.
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - depends on the platform's wheels
    pass

ImageSource = str | os.PathLike[str] | bytes | BinaryIO

log = logging.getLogger(__name__)

#: The only formats Pillow may try: no EPS (which would run Ghostscript), no exotic plugins
#: whose decoders are rarely exercised. Phone formats (HEIF, AVIF) are included, and MPO
#: (JPEG with a preview) where this Pillow has its plugin.
_PLUGINS = ("Jpeg", "Mpo", "Png", "Gif", "Bmp", "Tiff", "WebP", "Ico", "Avif")
for _plugin in _PLUGINS:  # registered here so that Pillow need not load every plugin
    with contextlib.suppress(ImportError):  # AVIF and WebP depend on the wheel's codecs
        importlib.import_module(f"PIL.{_plugin}ImagePlugin")
FORMATS = tuple(name for name in ("JPEG", "MPO", "PNG", "GIF", "BMP", "DIB", "TIFF", "WEBP",
                                  "ICO", "HEIF", "AVIF") if name in Image.OPEN)

#: Colour used under transparent pixels: white, as a viewer shows a transparent PNG on paper.
BACKGROUND = (255, 255, 255)


def display_name(path: str | os.PathLike[str]) -> str:
    """A file name safe to print on one line: undecodable bytes and control characters
    (a newline in a name) are shown as escapes."""
    text = os.fspath(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def one_line(message: object) -> str:
    """A message on one line, whitespace runs (newlines too) made single spaces."""
    return " ".join(str(message).split())


class FileBytes(bytes):
    """A file's bytes with its name, so that every reader of one read names the file."""

    name: str = ""


def read_file(path: str | os.PathLike[str]) -> FileBytes:
    """A file read once (`read_bytes`' checks first), for the pixels and the metadata alike:
    a file replaced between two reads could otherwise mix one file's pixels with another's
    declarations."""
    data = FileBytes(read_bytes(path))
    data.name = Path(path).name
    return data


def _describe(source: ImageSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return display_name(Path(source).name)
    if isinstance(source, FileBytes) and source.name:
        return display_name(source.name)
    return "the image data"


def _reason(exc: BaseException) -> str:
    """Pillow's decoding errors, in words a person can act on; the raw text goes to the log."""
    if "truncated" in str(exc).lower() or isinstance(exc, EOFError):
        return "the file is truncated (incomplete download or copy?)"
    return "the file is damaged or unreadable"


def _check_file(path: Path, name: str) -> None:
    """Refuse what is not a regular, non-empty file, with the reason."""
    try:
        info = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ImageDecodeError(f"{name}: a symbolic link that loops") from exc
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise ImageDecodeError(f"{name}: file not found") from exc
        raise ImageDecodeError(f"{name}: cannot read ({exc.strerror or exc})") from exc
    if stat.S_ISDIR(info.st_mode):
        raise ImageDecodeError(f"{name}: is a folder, not an image")
    if not stat.S_ISREG(info.st_mode):
        raise ImageDecodeError(f"{name}: not a regular file (a pipe, socket or device)")
    if info.st_size == 0:
        raise ImageDecodeError(f"{name}: the file is empty (0 bytes)")


def read_bytes(source: ImageSource) -> bytes:
    """The whole file's bytes, read only once its header passed `open_header`'s limits and
    its size `MAX_FILE_BYTES`, so that a huge or hostile file is refused before it fills
    memory (a stream is read and put back where it was)."""
    if isinstance(source, bytes):
        return source
    name = _describe(source)
    if not isinstance(source, (str, os.PathLike)):
        return _read_checked(source, name)
    _check_file(Path(source), name)
    try:
        with open(source, "rb") as handle:
            return _read_checked(handle, name)
    except OSError as exc:
        raise ImageDecodeError(f"{name}: cannot read ({exc.strerror or exc})") from exc


def _read_checked(stream: BinaryIO, name: str) -> bytes:
    position = stream.tell()
    size = stream.seek(0, os.SEEK_END) - position
    if size > MAX_FILE_BYTES:
        stream.seek(position)
        raise ImageTooLargeError(f"{name}: the file is {size / 1e9:.1f} GB; this app's limit "
                                 f"for one picture is {MAX_FILE_BYTES / 1e9:.0f} GB")
    with _header_within_limits(stream, name):  # leaves the stream open, unlike close()
        stream.seek(position)
    data = stream.read()
    stream.seek(position)
    return data


def open_header(source: ImageSource) -> Image.Image:
    """Open lazily (header only) with errors a person can act on; refuses, from the header,
    images too large to decode (a JPEG counts at the draft reduction that classifying it
    would use, so that its metadata is read like any other file's)."""
    return _header_within_limits(source, _describe(source))


def _header_within_limits(source: ImageSource, name: str) -> Image.Image:
    image = _open(source, name)
    try:
        check_size(image, name, reducible=True)
    except ImageDecodeError:
        with image:  # closes a file Pillow opened, never a caller's stream
            raise
    return image


def _open(source: ImageSource, name: str) -> Image.Image:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        _check_file(path, name)
        fp: str | BinaryIO = str(path)
    elif isinstance(source, bytes):
        if not source:
            raise ImageDecodeError("the image data is empty (0 bytes)")
        fp = io.BytesIO(source)
    else:
        fp = source
    try:
        with warnings.catch_warnings():
            # Our own limits apply below; Pillow's bomb check must not fire first.
            warnings.simplefilter("ignore")
            image = Image.open(fp, formats=FORMATS)
    except Image.DecompressionBombError as exc:
        width, height = _declared_size(fp)
        raise ImageTooLargeError(too_large(name, width, height)) from exc
    except UnidentifiedImageError as exc:
        raise ImageDecodeError(
            f"{name}: not an image, or a format this app cannot read"
        ) from exc
    except PermissionError as exc:
        raise ImageDecodeError(f"{name}: permission denied") from exc
    except MemoryError as exc:
        raise ImageTooLargeError(f"{name}: not enough memory to open it") from exc
    except Exception as exc:  # Pillow raises many types for damaged headers
        log.warning("cannot open %s", name, exc_info=True)
        raise ImageDecodeError(f"{name}: {_reason(exc)}") from exc
    return image


def _declared_size(fp: str | BinaryIO) -> tuple[int, int]:
    """The size a header declares, read by its format's plugin without Pillow's bomb check
    (which refused the file before `check_size` could say how large it is); (0, 0) when even
    that fails."""
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(open(fp, "rb")) if isinstance(fp, str) else fp
        stream.seek(0)
        prefix = stream.read(16)
        for format_name in FORMATS:
            factory, accept = Image.OPEN[format_name]
            if accept is not None and not accept(prefix):
                continue
            stream.seek(0)
            with contextlib.suppress(Exception), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return factory(stream, "").size
    return 0, 0


def _sixteen_bit_range(image: Image.Image) -> int:
    """The largest sample value a high-bit-depth image's format allows."""
    if image.mode.startswith("I;16"):
        return 65535
    bits = image.tag_v2.get(258) if hasattr(image, "tag_v2") else None  # TIFF BitsPerSample
    bits = bits[0] if isinstance(bits, tuple) and bits else bits
    if isinstance(bits, int) and 1 <= bits <= 32:
        return 2**bits - 1
    return 65535  # PNG stores grey "I" images as 16-bit samples


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB, compositing transparency on white."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        values = np.asarray(image)
        if mode == "F":  # floating point has no fixed range: 0..1 if it fits, else its own
            values = np.nan_to_num(values.astype(np.float32))
            low, high = (0.0, 1.0) if values.min(initial=0) >= 0 and values.max(initial=0) <= 1 \
                else (float(values.min(initial=0)), float(values.max(initial=1)))
            gray = np.clip((values - low) * (255.0 / max(high - low, 1e-12)), 0, 255)
        else:  # integer samples scale by the format's range, not by the values they hold
            gray = values.astype(np.float32) * (255.0 / _sixteen_bit_range(image))
        return Image.fromarray(np.rint(np.clip(gray, 0, 255)).astype(np.uint8)).convert("RGB")
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in image.info
    )
    return _composite_on_white(image) if has_alpha else image.convert("RGB")


def _composite_on_white(image: Image.Image, rows: int = 256) -> Image.Image:
    """Flatten transparency onto white a band of rows at a time, pasted into the result, so a
    large picture needs its RGBA pixels and the RGB result, not several full-size copies."""
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    out = Image.new("RGB", rgba.size)
    background = np.array(BACKGROUND, np.uint16)
    for top in range(0, rgba.height, rows):
        band = np.asarray(rgba.crop((0, top, rgba.width, min(top + rows, rgba.height))),
                          np.uint16)
        alpha = band[..., 3:]
        blended = (band[..., :3] * alpha + background * (255 - alpha) + 127) // 255
        out.paste(Image.fromarray(blended.astype(np.uint8)), (0, top))
    return out


#: Modes `Image.reduce` accepts; others are converted at full size.
REDUCIBLE_MODES = ("L", "LA", "RGB", "RGBA", "RGBa", "La", "I", "F", "CMYK", "I;16")


def open_rgb(
    source: ImageSource,
    *,
    draft_size: int | None = None,
    max_pixels: int = MAX_PIXELS,
    shrink_to_fit: bool = False,
) -> Image.Image:
    """Decode `source` into an upright 8-bit RGB Pillow image.

    `draft_size` lets the JPEG decoder skip detail that the caller will throw away (it
    decodes at 1/2, 1/4 or 1/8 scale while staying at least `draft_size` on each side),
    which is how a 12 MP photo is classified without decoding 12 MP. With `shrink_to_fit`
    (or `draft_size`), a JPEG over `max_pixels` is decoded at the draft reduction that
    fits; otherwise every pixel is wanted (viewing, enhancing) and it is refused.
    Raises `ImageDecodeError` (or `ImageTooLargeError`) with a readable message; nothing
    else escapes, whatever the file holds.
    """
    name = _describe(source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's warnings about damaged files go unseen
        try:
            image = _open_within_limits(source, name, draft_size, max_pixels,
                                        shrink_to_fit or bool(draft_size))
            if image.format == "TIFF":
                with native_stderr_to_log("libtiff"):
                    image.load()
            else:
                image.load()
            if draft_size and image.mode in REDUCIBLE_MODES:
                factor = min(image.size) // draft_size
                image = image.reduce(factor) if factor >= 2 else image
            try:
                upright = ImageOps.exif_transpose(image)
            except Exception:  # a damaged EXIF block should not hide a readable picture
                log.info("%s: EXIF orientation ignored", name, exc_info=True)
                upright = image
            return to_rgb(upright)
        except ImageDecodeError:
            raise
        except MemoryError as exc:
            raise ImageTooLargeError(f"{name}: not enough memory to decode it") from exc
        except Exception as exc:  # Pillow and its codecs raise many types for damaged data
            log.warning("cannot decode %s", name, exc_info=True)
            raise ImageDecodeError(f"{name}: {_reason(exc)}") from exc


def _open_within_limits(source: ImageSource, name: str, draft_size: int | None,
                        max_pixels: int, shrink: bool) -> Image.Image:
    """The first frame's header, reduced by JPEG draft mode when asked (`draft_size`) or
    needed to fit (`shrink`), within limits."""
    image = _open(source, name)
    try:
        if shrink and image.format in DRAFT_FORMATS:
            check_size(image, name, max_pixels, reducible=True)  # says the full size
            wanted = min(image.size) // draft_size if draft_size else 1
            scale = max(draft_scale(image, max_pixels),
                        next(s for s in (8, 4, 2, 1) if s <= max(wanted, 1)))
            if scale > 1:  # Pillow picks the largest scale whose result is at least this
                image.draft("RGB", (image.width // scale, image.height // scale))
        check_size(image, name, max_pixels)
        image.seek(0)  # first frame of animated GIF/WebP/APNG/TIFF
    except BaseException:
        image.close()
        raise
    return image


def load_rgb(source: ImageSource, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode `source` into an H×W×3 uint8 array (full resolution)."""
    return np.asarray(open_rgb(source, max_pixels=max_pixels))
