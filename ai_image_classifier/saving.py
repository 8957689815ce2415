"""Write images without losing anything the user had.

`atomic_write` writes to a partial file in the target folder and moves it into place only
once complete, so a crash, a kill or a full disk never leaves half a file. A new file is
created exclusively (hard link, which fails if the name appeared meanwhile), so nothing that
another program or a second save put there is replaced. Partial files carry a recognisable
name with the writer's process id; a later save in that folder removes those whose writer is
gone.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import stat
import struct
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import ExifTags, Image

from .file_types import WRITE_FORMATS
from .imaging import ImageSource, open_header
from .opencv import import_cv2

FORMAT_BY_SUFFIX = {suffix: kind for suffix, (kind, _) in WRITE_FORMATS.items()}


log = logging.getLogger(__name__)

PARTIAL_PREFIX = ".aiic-partial-"
#: TIFF tags that describe how the source stored its pixels (size, compression, strips,
#: tiles, sample layout); copied into a new file they would contradict its own pixels.
LAYOUT_TAGS = frozenset({254, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 284, 317, 322,
                         323, 324, 325, 338, 339, 530, 531})
#: Formats that cannot hold EXIF or an ICC profile; saving to them says so.
NO_METADATA_FORMATS = ("BMP",)


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _current_umask()  # read once at import: os.umask is process-wide and not thread-safe


class SaveError(OSError):
    """The image could not be written; the message says why, for people."""


@dataclass(frozen=True)
class Metadata:
    """What travels from the original to the saved copy: EXIF (upright) and ICC profile."""

    exif: bytes | None = None
    icc_profile: bytes | None = None


def read_metadata(source: ImageSource) -> Metadata:
    """EXIF and ICC of `source`; orientation is reset because saved pixels are upright.

    Damaged metadata is dropped (and logged), never a reason to fail: the pixels matter more.
    """
    with open_header(source) as image:
        icc = image.info.get("icc_profile")
        icc = bytes(icc) if isinstance(icc, (bytes, bytearray)) and icc else None
        try:
            exif = image.getexif()
            for tag in LAYOUT_TAGS & set(exif):  # a TIFF's own layout, not the picture's
                del exif[tag]
            if ExifTags.Base.Orientation in exif:
                exif[ExifTags.Base.Orientation] = 1
            exif_bytes = exif.tobytes() if exif else None
        except Exception:  # noqa: BLE001 - Pillow raises many types for damaged EXIF
            log.info("EXIF of %s dropped", source, exc_info=True)
            exif_bytes = None
        return Metadata(exif_bytes, icc)


def metadata_note(target: Path, metadata: Metadata | None) -> str:
    """What the saved file could not keep, in words ("" when it kept everything)."""
    kind = FORMAT_BY_SUFFIX.get(target.suffix.lower())
    if metadata and kind in NO_METADATA_FORMATS and (metadata.exif or metadata.icc_profile):
        return f"{kind} cannot hold EXIF or colour profiles; they were not kept"
    return ""


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
        with atomic_write(target, replace=overwrite) as stream:
            if image_format == "PNG":
                stream.write(encode_png(image, options.get("exif"), options.get("icc_profile")))
            else:
                _save_with_pillow(image, stream, image_format, options)
    except (SaveError, FileExistsError):
        raise
    except OSError as exc:
        raise SaveError(f"cannot save {target.name}: {exc.strerror or exc}") from exc
    return target


def _save_with_pillow(image: np.ndarray, stream: IO[bytes], image_format: str,
                      options: dict[str, object]) -> None:
    """Pillow's encoder; metadata it rejects is dropped (logged) rather than losing the save."""
    try:
        Image.fromarray(image).save(stream, format=image_format, **options)
    except (ValueError, TypeError, struct.error, OSError) as exc:
        if "exif" not in options and "icc_profile" not in options:
            raise SaveError(f"the {image_format} encoder failed ({exc})") from exc
        log.warning("metadata dropped on save", exc_info=True)
        stream.seek(0)
        stream.truncate()
        bare = {k: v for k, v in options.items() if k not in ("exif", "icc_profile")}
        Image.fromarray(image).save(stream, format=image_format, **bare)


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


def remove_stale_partials(folder: Path, min_age_s: float = 2.0) -> None:
    """Remove partial files left in `folder` by a save that was killed: those whose writer
    process is gone, or that are older than a day."""
    try:
        candidates = list(folder.glob(PARTIAL_PREFIX + "*"))
    except OSError:
        return
    now = time.time()
    for path in candidates:
        try:
            pid = int(path.name[len(PARTIAL_PREFIX):].split("-", 1)[0])
            age = now - path.stat().st_mtime
        except (ValueError, OSError):
            continue
        if age > 86400 or (age > min_age_s and not _process_alive(pid)):
            path.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid() or os.name != "posix":
        # On Windows os.kill(pid, 0) would terminate that process: there, only age counts.
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or a platform that cannot tell: leave it
    return True


def _new_file_mode(target: Path) -> int:
    """The mode a replaced file had, else what the umask gives a new file."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~UMASK


@contextmanager
def atomic_write(target: Path, mode: str = "wb", *, replace: bool = True,
                 **open_args: Any) -> Iterator[IO[Any]]:
    """Write into a partial file beside `target`, moved into place only once complete.

    With `replace=False` the target is created exclusively: if a file of that name appeared
    while we wrote, `FileExistsError` is raised and that file is left alone. A crash or a
    full disk leaves the old file (or none); the partial file is removed on any failure, and
    by a later save when the process was killed.
    """
    remove_stale_partials(target.parent)
    temp = target.parent / f"{PARTIAL_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{target.suffix}"
    try:
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o600)
    except OSError as exc:
        raise SaveError(f"cannot write in {target.parent}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(handle, mode, **open_args) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        with contextlib.suppress(OSError):  # a file system without Unix modes
            os.chmod(temp, _new_file_mode(target))
        if replace:
            os.replace(temp, target)
        else:
            _link_exclusively(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _link_exclusively(temp: Path, target: Path) -> None:
    """Give the finished file its name only if that name is still free."""
    try:
        os.link(temp, target)
    except FileExistsError:
        raise FileExistsError(
            f"{target} appeared while saving; it was left alone, choose another name") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV,
                             errno.EMLINK):
            raise
        # A file system without hard links: claim the name exclusively, then fill it.
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.replace(temp, target)
    else:
        temp.unlink()
