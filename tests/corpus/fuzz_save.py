"""Fuzz the save path: random combinations of EXIF, ICC, XMP and text chunks of random sizes,
through `save_image` into every format we write.

Each input is an RGB picture with metadata built from its own seed (seed, i): EXIF with a
marker, a caption of any size (past JPEG's 64 KB segment at times), GPS and image-size tags;
an ICC profile, real or random bytes, small or past JPEG's 16 MB; an XMP packet declaring a
capture or a generation, padded past one JPEG segment, padded with NULs, cut short, or random
bytes; PNG text chunks with generator parameters, ordinary keys and keys PNG does not allow.
A quarter of the inputs travel through a real PNG file and `read_metadata`, as an enhancement
of a file does. Every save must open again with the right size, and each part must be in the
saved file or named in what it could not keep; a declaration of generation must survive.
Anything else is a finding.

    python -m tests.corpus.fuzz_save --inputs 20000 --seed 1   # `make fuzz`
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, PngImagePlugin
from PIL.PngImagePlugin import PngInfo

from ai_image_classifier.declarations import text_declarations
from ai_image_classifier.metadata import HOLDS, XMP_TEXT_KEY, Metadata, read_metadata
from ai_image_classifier.provenance import read_provenance, user_comment_fields, xmp_facts
from ai_image_classifier.saving import FORMAT_BY_SUFFIX, Saved, save_image

SUFFIXES = (".png", ".jpg", ".webp", ".tif", ".bmp")
MAKE = "FuzzCam"  # the EXIF Make every input carries, looked for in the saved file
MARK = "fuzz-marker"  # a description every well-formed packet carries
A1111 = "a lighthouse\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512"
PACKET = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
          '22-rdf-syntax-ns#"><rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/'
          'Iptc4xmpExt/2008-02-29/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
          'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
          '{code}"><dc:description>{mark}{padding}</dc:description></rdf:Description>'
          '</rdf:RDF></x:xmpmeta>')
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _size(rng: np.random.Generator, large: int, rare: float = 0.03) -> int:
    """Mostly small, sometimes around JPEG's 64 KB segment, now and then (`rare`) past
    `large`."""
    pick = rng.random()
    if pick < rare:
        return int(rng.integers(large, large + 100_000))
    if pick < 0.3:
        return int(rng.integers(60_000, 70_000))
    return int(rng.integers(0, 2000))


def random_exif(rng: np.random.Generator) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = MAKE
    exif[0x010E] = "c" * _size(rng, 70_000)  # ImageDescription
    exif[0x0112] = int(rng.integers(1, 9))  # Orientation
    if rng.random() < 0.5:
        exif.get_ifd(0x8769).update({0xA002: int(rng.integers(1, 9999)),
                                     0xA003: int(rng.integers(1, 9999))})
    if rng.random() < 0.3:
        exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    return exif.tobytes()


def random_xmp(rng: np.random.Generator) -> tuple[bytes, str | None]:
    """A packet, and the generated code it declares in a form the app reads (or None)."""
    code = ["digitalCapture", "trainedAlgorithmicMedia", "compositeSynthetic"][
        int(rng.integers(3))]
    packet = PACKET.format(code=code, mark=MARK, padding="p" * _size(rng, 70_000)).encode()
    declared = None if code == "digitalCapture" else code
    kind = int(rng.integers(5))
    if kind == 1:
        packet += b"\0" * int(rng.integers(1, 64))
    elif kind == 2:
        packet = packet[:-12]  # cut short; the code is still there in its URL form
    elif kind == 3:
        packet, declared = bytes(rng.integers(0, 256, int(rng.integers(1, 300)),
                                              dtype=np.uint8)), None
    return packet, declared


def random_text(rng: np.random.Generator) -> tuple[tuple[str, str], ...]:
    keys = ["parameters", "Title", "Comment", "prompt", "x" * 90, "ключ", "Author"]
    chosen = rng.choice(len(keys), int(rng.integers(0, 4)), replace=False)
    text = []
    for index in chosen:
        key = keys[int(index)]
        value = A1111 if key == "parameters" else "v" * _size(rng, 70_000)
        text.append((key, value + " é" * int(rng.integers(0, 2))))
    return tuple(text)


def random_input(rng: np.random.Generator, folder: Path) -> tuple[np.ndarray, Metadata]:
    height, width = (int(v) for v in rng.integers(1, 40, 2))
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    exif = random_exif(rng) if rng.random() < 0.6 else None
    icc = None
    if rng.random() < 0.5:
        icc = SRGB if rng.random() < 0.5 else bytes(rng.integers(
            0, 256, _size(rng, 255 * 65519, rare=0.004), dtype=np.uint8))
    xmp, generated = random_xmp(rng) if rng.random() < 0.6 else (None, None)
    text = random_text(rng)
    metadata = Metadata(exif, icc or None, xmp, text, bool(rng.random() < 0.1), generated)
    readable = len(icc or b"") <= PngImagePlugin.MAX_TEXT_CHUNK  # Pillow reads no larger
    if rng.random() < 0.25 and readable:  # through a real file, as an enhancement reads it
        metadata = _through_png(image, metadata, folder)
    return image, metadata


def _through_png(image: np.ndarray, metadata: Metadata, folder: Path) -> Metadata:
    info = PngInfo()
    for key, value in metadata.text:
        if len(key.encode("utf-8")) <= 79 and key.isascii():
            info.add_text(key, value)
    if metadata.xmp:
        info.add_itxt(XMP_TEXT_KEY, metadata.xmp.decode("latin-1"))
    source = folder / "source.png"
    parts = {"exif": metadata.exif, "icc_profile": metadata.icc_profile}
    Image.fromarray(image).save(source, pnginfo=info, **{k: v for k, v in parts.items() if v})
    return read_metadata(source)


def problems(saved: Saved, image: np.ndarray, metadata: Metadata, image_format: str
             ) -> list[str]:
    """What the saved file lost without naming it, or could not be opened."""
    found, note = [], saved.note
    holds = HOLDS.get(image_format, set())
    with Image.open(saved.path) as out:
        out.load()
        if out.size != (image.shape[1], image.shape[0]):
            found.append(f"saved as {out.size}")
        exif, info = out.getexif(), dict(out.info)
        facts = xmp_facts(out)
        texts = dict(getattr(out, "text", {}))
    if metadata.c2pa and "C2PA" not in note:
        found.append("the C2PA manifest dropped silently")
    if not holds:
        for name, part in (("EXIF", metadata.exif), ("XMP", metadata.xmp),
                           ("colour profile", metadata.icc_profile), ("text", metadata.text)):
            if part and name not in note:
                found.append(f"{name} dropped silently")
        return found
    if metadata.exif and MAKE.encode() in metadata.exif and exif.get(0x010F) != MAKE \
            and "EXIF" not in note:
        found.append("EXIF dropped silently")
    if metadata.icc_profile and info.get("icc_profile") != metadata.icc_profile \
            and "colour profile" not in note:
        found.append("colour profile dropped silently")
    xmp = info.get("xmp") or b""
    xmp = xmp.encode() if isinstance(xmp, str) else xmp
    if metadata.xmp and MARK.encode() in metadata.xmp and MARK.encode() not in xmp \
            and "XMP" not in note:
        found.append("XMP dropped silently")
    if metadata.generated and metadata.generated not in facts.source_types:
        found.append(f"the declared {metadata.generated} was weakened to {facts.source_types}")
    if text_declarations(dict(metadata.text)) and not read_provenance(saved.path).generated:
        found.append("the generator's parameters were lost and nothing declares generation")
    for key, value in metadata.text:
        if "text" in holds and texts.get(key) != value and repr(key) not in note:
            found.append(f"text chunk {key!r} dropped silently")
        if "text" in holds:
            continue
        declaring = key.lower() in ("parameters", "prompt")
        carried = key in user_comment_fields(exif) or "generator's text" in note
        if not (carried if declaring else "PNG text chunks" in note):
            found.append(f"text chunk {key!r} dropped silently")
    return found


def fuzz(inputs: int, seed: int, findings_dir: Path | None = None, start: int = 0) -> dict:
    """Inputs `start` … `start + inputs - 1`, each into every format; the findings."""
    findings: list[dict[str, str]] = []
    saves = 0
    started = time.monotonic()
    # In memory where the system has it: every save syncs its file and folder to the disk.
    memory = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=memory if memory.is_dir() else None) as tmp:
        folder = Path(tmp)
        for index in range(start, start + inputs):
            rng = np.random.default_rng([seed, index])
            try:
                image, metadata = random_input(rng, folder)
                for suffix in SUFFIXES:
                    saved = save_image(image, folder / f"out{suffix}", overwrite=True,
                                       metadata=metadata, steps=("upscaling",))
                    saves += 1
                    for problem in problems(saved, image, metadata,
                                            FORMAT_BY_SUFFIX[suffix]):
                        findings.append({"index": str(index), "format": suffix,
                                         "error": problem})
            except Exception as error:  # noqa: BLE001 - any exception is a finding
                findings.append({"index": str(index), "error": repr(error)[:300],
                                 "trace": traceback.format_exc()[-1500:]})
    if findings_dir and findings:
        findings_dir.mkdir(parents=True, exist_ok=True)
        (findings_dir / "save-findings.json").write_text(json.dumps(findings, indent=1))
    return {"inputs": inputs, "saves": saves, "findings": findings,
            "seconds": round(time.monotonic() - started, 1)}


def main() -> None:
    logging.getLogger().addHandler(logging.NullHandler())  # the findings are the output
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=int, default=0, help="first input (to replay one)")
    parser.add_argument("--findings", type=Path, default=Path("runs/fuzz-findings"))
    args = parser.parse_args()
    result = fuzz(args.inputs, args.seed, args.findings, args.start)
    print(json.dumps({**result, "findings": len(result["findings"])}, indent=1))
    for finding in result["findings"][:20]:
        print({key: finding[key] for key in ("index", "format", "error") if key in finding})
    raise SystemExit(1 if result["findings"] else 0)


if __name__ == "__main__":
    main()
