"""Write a corpus of hostile and odd image files at test time (nothing large is committed).

Every class of failure found by hand is here: truncated and damaged files in every format,
headers that declare huge canvases over tiny data, thin strips, odd colour modes, 16-bit data,
oversized PNG chunks, damaged EXIF and ICC tags, files that are not images (EPS among them),
special files (empty, FIFO, symlink loop, a folder named like an image) and awkward names
(non-Latin, a newline, undecodable bytes). Seeded mutations of valid files fill it up.

    python -m tests.corpus.hostile OUT_DIR      # write it somewhere to try by hand
"""

from __future__ import annotations

import io
import os
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, TiffImagePlugin

SEED = 20261128


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_declaring(width: int, height: int, bit_depth: int = 8, colour: int = 2,
                  rows: int = 4, extra: bytes = b"") -> bytes:
    """A PNG whose header declares `width`×`height` but whose data holds a few rows."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    row = b"\0" + b"\0" * (width * channels * bit_depth // 8)
    data = zlib.compress(row * rows)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + extra
            + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b""))


def gif_declaring(width: int, height: int) -> bytes:
    """A GIF whose logical screen is `width`×`height` around one 1×1 frame."""
    frame = Image.new("P", (1, 1))
    buffer = io.BytesIO()
    frame.save(buffer, "GIF")
    data = bytearray(buffer.getvalue())
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def ico_with_png(width: int, height: int) -> bytes:
    """An ICO whose one entry is a PNG declaring `width`×`height`."""
    png = png_declaring(width, height)
    directory = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32,
                                                           len(png), 22)
    return directory + png


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose frame header is patched to declare `width`×`height`."""
    data = bytearray(encode(Image.new("RGB", (16, 16), (120, 80, 40)), "JPEG"))
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def encode(image: Image.Image, kind: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def photo(width: int = 96, height: int = 64, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1),
                     np.full_like(x, 90)], axis=-1)
    noisy = base + rng.normal(0, 6, base.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def exif_bytes(**tags: object) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "EOS"  # Model
    exif[0x0112] = 6  # Orientation: rotate
    for key, value in tags.items():
        exif[int(key.removeprefix("t"))] = value
    return exif.tobytes()


def valid_seeds() -> dict[str, bytes]:
    """One small valid file per format, with metadata where the format holds it."""
    image = photo()
    icc = b"\0\0\0\x80fake-icc" + bytes(120)
    seeds = {
        "jpg": encode(image, "JPEG", quality=90, exif=exif_bytes(), icc_profile=icc),
        "png": encode(image, "PNG", exif=exif_bytes(), icc_profile=icc,
                      pnginfo=_pnginfo({"parameters": "a cat, Steps: 20, Sampler: Euler"})),
        "webp": encode(image, "WEBP", quality=80, exif=exif_bytes()),
        "gif": _animated_gif(),
        "tif": encode(image, "TIFF", compression="tiff_lzw", exif=exif_bytes()),
        "bmp": encode(image, "BMP"),
        "avif": encode(image, "AVIF", quality=60),
    }
    try:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        seeds["heic"] = encode(image, "HEIF", quality=60)
    except ImportError:  # pragma: no cover - pillow-heif is in requirements.txt
        pass
    return seeds


def _pnginfo(texts: dict[str, str]):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    return info


def _animated_gif() -> bytes:
    frames = [photo(48, 32, seed).convert("P") for seed in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=40, loop=0)
    return buffer.getvalue()


def odd_modes() -> dict[str, bytes]:
    """Valid files in colour modes a decoder must convert correctly."""
    base = photo(64, 48)
    rgba = base.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(base.size))
    sixteen = Image.fromarray((np.arange(64 * 48).reshape(48, 64) % 256).astype(np.uint16))
    wide16 = Image.fromarray((np.arange(64 * 48).reshape(48, 64) * 21).astype(np.uint16))
    floats = Image.fromarray(np.linspace(0, 1, 64 * 48, dtype=np.float32).reshape(48, 64))
    palette_alpha = base.convert("P")
    palette_alpha.info["transparency"] = 0
    return {
        "cmyk.jpg": encode(base.convert("CMYK"), "JPEG"),
        "grey.jpg": encode(base.convert("L"), "JPEG"),
        "rgba.png": encode(rgba, "PNG"),
        "la.png": encode(base.convert("LA"), "PNG"),
        "palette_alpha.png": encode(palette_alpha, "PNG"),
        "bilevel.png": encode(base.convert("1"), "PNG"),
        "bilevel.tif": encode(base.convert("1"), "TIFF", compression="group4"),
        "grey16_dark.png": encode(sixteen, "PNG"),
        "grey16_wide.png": encode(wide16, "PNG"),
        "grey16.tif": encode(wide16, "TIFF"),
        "float.tif": encode(floats, "TIFF"),
        "cmyk.tif": encode(base.convert("CMYK"), "TIFF"),
        "ycbcr.tif": encode(base, "TIFF", compression="jpeg"),
        "rgba.webp": encode(rgba, "WEBP", lossless=True),
        "rgba.tif": encode(rgba, "TIFF"),
        "tiny_1x1.png": encode(Image.new("RGB", (1, 1), (9, 9, 9)), "PNG"),
        "strip_1x5000.png": encode(Image.new("RGB", (1, 5000), (90, 20, 30)), "PNG"),
        "strip_5000x1.png": encode(Image.new("RGB", (5000, 1), (90, 20, 30)), "PNG"),
        "strip_2x3000.jpg": encode(Image.new("RGB", (2, 3000), (90, 20, 30)), "JPEG"),
        "strip_1x1280.gif": encode(Image.new("P", (1, 1280)), "GIF"),
        "rotated_exif.jpg": encode(base, "JPEG", exif=exif_bytes()),
        "multi_page.tif": _multi_page_tiff(),
        "ico_multi.ico": encode(base, "ICO", sizes=[(16, 16), (32, 32)]),
        "png_named.jpg": encode(base, "PNG"),
        "jpeg_named.png": encode(base, "JPEG"),
    }


def _multi_page_tiff() -> bytes:
    buffer = io.BytesIO()
    photo(32, 32).save(buffer, "TIFF", save_all=True, append_images=[photo(64, 64, 1)])
    return buffer.getvalue()


def hostile_headers() -> dict[str, bytes]:
    """Tiny files that declare work far beyond their size, or carry damaged parts."""
    huge_text = zlib.compress(b"a" * (2 << 20))
    big_icc = b"ICC Profile\0\0" + zlib.compress(b"\0" * (3 << 20))
    tiff_bad_icc = _tiff_with_tag(TiffImagePlugin.ICCPROFILE, 12345)
    tiff_text_icc = _tiff_with_tag(TiffImagePlugin.ICCPROFILE, "not a profile")
    bad_exif = b"Exif\0\0MM\0*\0\0\0\x08\xff\xff" + b"\x01\x12" * 40
    return {
        "bomb_13000.png": png_declaring(13000, 13000),
        "bomb_16bit_12000.png": png_declaring(12000, 12000, bit_depth=16, colour=0),
        "bomb_rgba_9000.png": png_declaring(9000, 9000, colour=6),
        "bomb_screen_12000.gif": gif_declaring(12000, 12000),
        "bomb_ico_12000.ico": ico_with_png(12000, 12000),
        "bomb_13000.jpg": jpeg_declaring(13000, 13000),
        "bomb_strip_64x1048624.png": png_declaring(64, 1_048_624),
        "zero_width.png": png_declaring(0, 10),
        "ztxt_over_limit.png": png_declaring(32, 32, extra=_png_chunk(
            b"zTXt", b"Comment\0\0" + huge_text)),
        "iccp_over_limit.png": png_declaring(32, 32, extra=_png_chunk(b"iCCP", big_icc)),
        "bad_crc.png": png_declaring(32, 32)[:-4] + b"\0\0\0\0",
        "deep_json.png": png_declaring(32, 32, rows=32, extra=_png_chunk(
            b"tEXt", b"parameters\0" + b"[" * 100_000 + b"]" * 100_000)
            + _png_chunk(b"tEXt", b"Software\0Midjourney v6")),
        "bad_exif.jpg": _jpeg_with_app1(bad_exif),
        "exif_rational_zero.jpg": encode(photo(), "JPEG", exif=_exif_zero_rational()),
        "tiff_icc_int.tif": tiff_bad_icc,
        "tiff_icc_text.tif": tiff_text_icc,
        "eps.eps": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
        "eps_named.jpg": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
        "text.png": b"this is not an image\n" * 10,
        "html.jpg": b"<html><body>404 not found</body></html>",
        "zeros.jpg": bytes(4096),
        "png_signature_only.png": b"\x89PNG\r\n\x1a\n",
        "jpeg_soi_only.jpg": b"\xff\xd8",
        "svg.svg.png": b'<svg xmlns="http://www.w3.org/2000/svg"/>',
        "pdf.pdf.jpg": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n",
    }


def _tiff_with_tag(tag: int, value: object) -> bytes:
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[tag] = value
    return encode(photo(32, 32), "TIFF", tiffinfo=info)


def _jpeg_with_app1(payload: bytes) -> bytes:
    data = encode(photo(), "JPEG")
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return data[:2] + segment + data[2:]


def _exif_zero_rational() -> bytes:
    exif = Image.Exif()
    exif[0x011A] = TiffImagePlugin.IFDRational(0, 0)  # XResolution 0/0
    exif[0x0112] = 99  # an orientation that does not exist
    return exif.tobytes()


def truncations(seeds: dict[str, bytes]) -> dict[str, bytes]:
    """Each valid file cut at several points."""
    cuts = {}
    for kind, data in seeds.items():
        for fraction in (0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98):
            cuts[f"truncated_{int(fraction * 100):02d}.{kind}"] = data[:max(1, int(len(data)
                                                                                 * fraction))]
    return cuts


def mutations(seeds: dict[str, bytes], per_seed: int, seed: int = SEED) -> dict[str, bytes]:
    """Seeded mutations of each valid file (see `fuzz.mutate`)."""
    from .fuzz import mutate

    rng = np.random.default_rng(seed)
    return {f"mutant_{i:03d}.{kind}": mutate(data, rng, seeds)
            for kind, data in seeds.items() for i in range(per_seed)}


def awkward_names(seeds: dict[str, bytes]) -> dict[str, bytes]:
    names = {"фото_照片.jpg": seeds["jpg"], "new\nline.png": seeds["png"],
             "tab\tand space .jpg": seeds["jpg"], "ünïcödé é.webp": seeds["webp"]}
    if sys.platform != "win32" and os.name == "posix" and sys.platform != "darwin":
        names[os.fsdecode(b"undecodable_\xff\xfe.jpg")] = seeds["jpg"]
    return names


def write_corpus(folder: Path, mutants_per_seed: int = 16) -> list[Path]:
    """Write every hostile file under `folder`; returns the paths given to a program (files
    and special entries), in a stable order."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = valid_seeds()
    files: dict[str, bytes] = {f"valid.{kind}": data for kind, data in seeds.items()}
    for group in (odd_modes(), hostile_headers(), truncations(seeds),
                  mutations(seeds, mutants_per_seed), awkward_names(seeds)):
        files.update(group)
    files["empty.jpg"] = b""
    paths = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    paths += _special_entries(folder)
    return paths


def _special_entries(folder: Path) -> list[Path]:
    entries: list[tuple[str, Callable[[Path], None]]] = [
        ("folder_named.jpg", lambda p: p.mkdir()),
        ("dangling_link.jpg", lambda p: p.symlink_to(folder / "does-not-exist.jpg")),
        ("loop_a.jpg", lambda p: (p.symlink_to(folder / "loop_b.jpg"),
                                  (folder / "loop_b.jpg").symlink_to(p))),
    ]
    if hasattr(os, "mkfifo"):
        entries.append(("fifo.jpg", lambda p: os.mkfifo(p)))
    made = []
    for name, make in entries:
        try:
            make(folder / name)
        except OSError:  # pragma: no cover - a file system without links or FIFOs
            continue
        made.append(folder / name)
    return made


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    print(f"{len(write_corpus(out))} entries in {out}")
