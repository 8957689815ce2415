"""Write images without losing anything the user had.

`atomic_write` writes to a partial file in the target folder and moves it into place only
once complete, so a crash, a kill, a cancel or a full disk never leaves half a file. A new
file is created exclusively (hard link, which fails if the name appeared meanwhile; a file
system without hard links claims the name instead), so nothing that another program or a
second save put there is replaced. Partial files carry a recognisable name with the writer's
host and process id; a later save in that folder removes those whose writer is gone, and only
its own host's (on a shared folder another machine's process ids mean nothing here).
What metadata travels into which format is `metadata`'s concern.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import stat
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image

from .file_types import WRITE_FORMATS
from .metadata import Metadata, Written, for_format, png_text_key, read_metadata

__all__ = ["Metadata", "SaveCancelled", "SaveError", "Saved", "atomic_write", "read_metadata",
           "save_image"]

FORMAT_BY_SUFFIX = {suffix: kind for suffix, (kind, _) in WRITE_FORMATS.items()}


log = logging.getLogger(__name__)

PARTIAL_PREFIX = ".aiic-partial-"
#: Rows of a PNG encoded at a time: progress and Cancel land every few megabytes.
PNG_BAND_ROWS = 256
PNG_COLOUR_TYPE = {1: 0, 3: 2, 4: 6}  # channels → grey, RGB, RGBA


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _current_umask()  # read once at import: os.umask is process-wide and not thread-safe


def _host_tag() -> str:
    """This machine's name as it can stand in a file name (no separators)."""
    name = "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:32]
    return name or "host"


HOST = _host_tag()


class SaveError(OSError):
    """The image could not be written; the message says why, for people."""


class SaveCancelled(Exception):
    """The caller asked to stop; the partial file was removed and nothing was written."""


@dataclass(frozen=True)
class Saved:
    """A written file, and what of the original's metadata it could not keep."""

    path: Path
    lost: tuple[str, ...] = ()

    @property
    def note(self) -> str:
        """The losses in words ("" when the file kept everything)."""
        return "; ".join(self.lost)


def save_image(
    image: np.ndarray,
    target: str | Path,
    *,
    overwrite: bool = False,
    quality: int = 95,
    metadata: Metadata | None = None,
    enhanced: bool = True,
    steps: tuple[str, ...] = (),
    progress: Callable[[float], object] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Saved:
    """Atomically write an RGB array; the format follows the file's suffix. The original's
    `metadata` travels as far as the format allows (the result names what did not), and
    `enhanced` records in XMP that this app enhanced the pixels by `steps`
    (`metadata.enhancement_steps`). `progress` receives 0..1; `should_stop` is polled as the
    file is written and raises `SaveCancelled`, leaving the target as it was."""
    target = Path(target)
    image_format = FORMAT_BY_SUFFIX.get(target.suffix.lower())
    if image_format is None:
        known = ", ".join(sorted(FORMAT_BY_SUFFIX))
        raise SaveError(f"{target.name}: unknown image type (use one of {known})")
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists; choose another name or allow overwrite")
    written = for_format(metadata, image_format, enhanced, size=(image.shape[1], image.shape[0]),
                         steps=steps)
    report = progress or (lambda _fraction: None)
    stop = should_stop or (lambda: False)
    try:
        with atomic_write(target, replace=overwrite) as stream:
            report(0.0)
            if image_format == "PNG":
                write_png(image, stream, written, report, stop)
            else:
                written = _save_with_pillow(image, _StoppableStream(stream, stop),
                                            image_format, written, quality)
            if stop():
                raise SaveCancelled
            report(1.0)
    except (SaveError, SaveCancelled, FileExistsError):
        raise
    except OSError as exc:
        raise SaveError(f"cannot save {target.name}: {exc.strerror or exc}") from exc
    return Saved(target, written.lost)


class _StoppableStream:
    """A file for Pillow's encoders that polls `should_stop` on every write. It has no
    `fileno`, so Pillow writes through it instead of straight to the descriptor."""

    def __init__(self, stream: IO[bytes], should_stop: Callable[[], bool]) -> None:
        self._stream, self._should_stop = stream, should_stop

    def write(self, data: bytes) -> int:
        if self._should_stop():
            raise SaveCancelled
        return self._stream.write(data)

    def __getattr__(self, name: str) -> Any:
        if name == "fileno":
            raise AttributeError(name)
        return getattr(self._stream, name)


#: Parts an encoder may still refuse (after the size checks), dropped in this order.
DROPPABLE = (("exif", "EXIF"), ("xmp", "XMP"), ("icc_profile", "colour profile"))


def _save_with_pillow(image: np.ndarray, stream: Any, image_format: str, written: Written,
                      quality: int) -> Written:
    """Pillow's encoder. A part of the metadata it refuses is dropped, one at a time, and
    named in the result's `lost`: the save goes on without only that part."""
    while True:
        try:
            Image.fromarray(image).save(stream, format=image_format,
                                        **_pillow_options(image_format, written, quality))
            return written
        except (ValueError, TypeError, struct.error, OSError) as exc:
            present = [(field, name) for field, name in DROPPABLE if getattr(written, field)]
            if not present:
                raise SaveError(f"the {image_format} encoder failed ({exc})") from exc
            field, name = present[0]
            log.warning("%s dropped on save", name, exc_info=True)
            written = replace(written, **{field: None}, lost=(
                *written.lost, f"{name} could not be written as {image_format} ({exc}): "
                               "not kept"))
            stream.seek(0)
            stream.truncate()


def _pillow_options(image_format: str, written: Written, quality: int) -> dict[str, object]:
    options: dict[str, object] = {"quality": quality} if image_format in ("JPEG", "WEBP") else {}
    if written.icc_profile:
        options["icc_profile"] = written.icc_profile
    if image_format == "TIFF" and (written.exif or written.xmp):
        exif = Image.Exif()
        if written.exif:
            exif.load(written.exif)
        if written.xmp:
            exif[700] = written.xmp  # TIFF keeps XMP in its own tag
        options["exif"] = exif
    else:
        options.update({k: v for k, v in (("exif", written.exif), ("xmp", written.xmp)) if v})
    return options


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _text_chunk(name: bytes, value: str) -> bytes:
    """tEXt when Latin-1 holds it, else iTXt (UTF-8)."""
    try:
        return _png_chunk(b"tEXt", name + b"\0" + value.encode("latin-1"))
    except UnicodeEncodeError:
        return _png_chunk(b"iTXt", name + b"\0\0\0\0\0" + value.encode("utf-8", "replace"))


def png_header(image: np.ndarray, written: Written) -> bytes:
    """Signature, IHDR and the metadata chunks, which precede the pixels."""
    channels = 1 if image.ndim == 2 else image.shape[2]
    if image.dtype != np.uint8 or channels not in PNG_COLOUR_TYPE:
        raise SaveError(f"cannot write a {image.dtype} picture of {channels} channels as PNG")
    height, width = image.shape[:2]
    chunks = [b"\x89PNG\r\n\x1a\n", _png_chunk(b"IHDR", struct.pack(
        ">IIBBBBB", width, height, 8, PNG_COLOUR_TYPE[channels], 0, 0, 0))]
    if written.icc_profile:
        chunks.append(_png_chunk(b"iCCP", b"ICC Profile\0\0" + zlib.compress(written.icc_profile)))
    if written.exif:
        chunks.append(_png_chunk(b"eXIf", written.exif.removeprefix(b"Exif\0\0")))
    for key, value in written.text:  # `for_format` kept only keys PNG allows, and named the rest
        name = png_text_key(key)
        chunks += [_text_chunk(name, value)] if name else []
    if written.xmp:
        chunks.append(_png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + written.xmp))
    return b"".join(chunks)


def write_png(image: np.ndarray, stream: IO[bytes], written: Written,
              progress: Callable[[float], object], should_stop: Callable[[], bool]) -> None:
    """Stream a PNG band by band: each row "Up"-filtered, deflated at level 1 with run-length
    matching (as fast as OpenCV's encoder, and as small; the README has the numbers), with
    progress and a chance to stop after every band."""
    stream.write(png_header(image, written))
    height = image.shape[0]
    rows = image.reshape(height, -1)
    compressor = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    above = np.zeros(rows.shape[1], np.uint8)
    for start in range(0, height, PNG_BAND_ROWS):
        if should_stop():
            raise SaveCancelled
        band = rows[start:start + PNG_BAND_ROWS]
        filtered = np.empty((len(band), rows.shape[1] + 1), np.uint8)
        filtered[:, 0] = 2  # the "Up" filter: each byte minus the one above it
        np.subtract(band, np.vstack([above[None], band[:-1]]), out=filtered[:, 1:])
        above = band[-1]
        deflated = compressor.compress(filtered.data)
        if deflated:
            stream.write(_png_chunk(b"IDAT", deflated))
        progress(min(start + PNG_BAND_ROWS, height) / height)
    stream.write(_png_chunk(b"IDAT", compressor.flush()) + _png_chunk(b"IEND", b""))


def remove_stale_partials(folder: Path, min_age_s: float = 2.0) -> None:
    """Remove partial files that this host left in `folder` in a save that was killed: those
    whose writer process is gone, or that are older than a day. Another host's are left to it
    (in a shared folder its process ids say nothing here)."""
    try:
        candidates = list(folder.glob(PARTIAL_PREFIX + "*"))
    except OSError:
        return
    now = time.time()
    for path in candidates:
        try:
            host, pid_text, _ = path.name[len(PARTIAL_PREFIX):].split("-", 2)
            pid = int(pid_text)
            age = now - path.stat().st_mtime
        except (ValueError, OSError):
            continue
        if host == HOST and (age > 86400 or (age > min_age_s and not _process_alive(pid))):
            path.unlink(missing_ok=True)


def partial_name(target: Path) -> Path:
    """A partial file beside `target`, named with this host, this process and a random tag."""
    return target.parent / (f"{PARTIAL_PREFIX}{HOST}-{os.getpid()}-{secrets.token_hex(4)}"
                            f"{target.suffix}")


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
    temp = partial_name(target)
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
    sync_folder(target.parent)


def sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable: without this, a power cut soon after a save can
    leave the folder naming the old file (or none). Only POSIX can open a folder to sync it;
    a file system that refuses is left as it is (the data itself was synced already)."""
    if os.name != "posix":
        return
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        log.info("folder %s not synced", folder, exc_info=True)
    finally:
        os.close(handle)


def _link_exclusively(temp: Path, target: Path) -> None:
    """Give the finished file its name only if that name is still free."""
    try:
        os.link(temp, target)
    except FileExistsError:
        raise FileExistsError(
            f"{target} appeared while saving; it was left alone, choose another name") from None
    except OSError:
        # No hard links here (FAT and exFAT answer EINVAL or EPERM, shares EOPNOTSUPP, …):
        # claim the name exclusively, then fill it.
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            os.replace(temp, target)
        except BaseException:
            target.unlink(missing_ok=True)  # the empty file we claimed, nobody else's
            raise
    else:
        temp.unlink()
