"""What a file says about itself, and error-level analysis: the forensic basics.

This shows people the evidence that tools like Sherloq show: camera and software tags,
generator parameters left in PNG text chunks, a C2PA (content credentials) manifest, and where
JPEG re-compression error is uneven. What settles a verdict is read from the same bytes by
`provenance` (the report carries it, so the window need not read the file again); generator
names come from the same table (`declarations`) as the verdict's.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from PIL import ExifTags, Image

from .content_credentials import has_manifest_bytes, read_content_credentials
from .declarations import generator_names, names_in, text_declarations, whole_words
from .imaging import ImageSource, open_header, read_bytes
from .metadata import Metadata, metadata_of, parse_xmp, qualified
from .provenance import Provenance, provenance_of, text_chunks, tolerant, xmp_facts

EXIF_FIELDS = ("Make", "Model", "LensModel", "Software", "DateTime", "DateTimeOriginal",
               "Artist", "ImageDescription")
#: Names found in Software tags and text chunks of edited images (lower case).
EDITOR_MARKERS = ("photoshop", "gimp", "lightroom", "affinity", "pixelmator", "snapseed",
                  "facetune", "paint.net", "canva", "picsart", "faceapp")
_EDITOR_NAMES = whole_words(EDITOR_MARKERS)


@dataclass
class FileReport:
    format: str
    width: int
    height: int
    mode: str
    file_size: int | None
    exif: dict[str, str] = field(default_factory=dict)
    text_chunks: dict[str, str] = field(default_factory=dict)
    generator_traces: list[str] = field(default_factory=list)
    editor_traces: list[str] = field(default_factory=list)
    c2pa_manifest: bool = False  # a C2PA store is present
    content_credentials: str = ""  # what it says, validated ("" when absent or unreadable)
    #: What the file declares, as the verdict weighs it: pass it to `classify_image`.
    provenance: Provenance = field(default_factory=Provenance)
    #: What a save of this picture keeps, read from the same bytes (never re-read later).
    metadata: Metadata = field(default_factory=Metadata)


def inspect_file(source: ImageSource) -> FileReport:
    """Header-level facts and metadata, and the file's `Provenance` from the same bytes (its
    C2PA store parsed once); decodes no pixels except a PNG's, to find text chunks stored
    after them."""
    data = read_bytes(source)
    with open_header(data) as image:
        exif = tolerant(image.getexif, Image.Exif())
        merged = tolerant(lambda: dict(exif) | dict(exif.get_ifd(ExifTags.IFD.Exif)), {})
        named = {ExifTags.TAGS.get(tag, str(tag)): value for tag, value in merged.items()}
        report = FileReport(
            format=image.format or "unknown",
            width=image.width,
            height=image.height,
            mode=image.mode,
            file_size=len(data),
            exif={key: str(named[key]).strip("\x00 ") for key in EXIF_FIELDS if key in named},
            text_chunks=text_chunks(image),
            c2pa_manifest=has_manifest_bytes(data),
        )
        credentials = read_content_credentials(data, image.format)
        report.content_credentials = credentials.describe() if credentials else ""
        report.provenance = provenance_of(image, data, credentials)
        report.metadata = metadata_of(image, data, credentials, report.provenance)
        tools = xmp_facts(image).creator_tools
    clues = [report.exif.get("Software", ""), *tools, *report.text_chunks.values()]
    haystack = " ".join(clues).lower()
    report.generator_traces = [*generator_names(haystack),
                               *text_declarations(report.text_chunks)]
    report.editor_traces = names_in(_EDITOR_NAMES, haystack)
    return report


#: Rows re-compressed at a time by error-level analysis; a multiple of `_MCU`.
ELA_BAND_ROWS = 512
#: The largest JPEG block group (16×16 with 4:2:0 chroma): bands start on its grid.
_MCU = 16


def error_level_analysis(image: np.ndarray, quality: int = 90) -> np.ndarray:
    """Difference between the image and its JPEG re-compression, stretched to 0..255.

    Regions pasted from another source often re-compress differently from the rest. Worked a
    band of rows at a time, in 8 bits, so that a 120 MP picture needs its result beside it,
    not gigabytes of 16-bit and float copies. Each band is re-compressed with one block group
    of margin above and below (the decoder's chroma upsampling looks across block edges), so
    the result equals re-compressing the whole picture at once.
    """
    height = image.shape[0]
    difference = np.empty(image.shape[:2], np.uint8)
    for top in range(0, height, ELA_BAND_ROWS):
        bottom = min(top + ELA_BAND_ROWS, height)
        start, stop = max(top - _MCU, 0), min(bottom + _MCU, height)
        band = image[start:stop]
        recompressed = _jpeg_round_trip(band, quality)
        error = np.maximum(band, recompressed) - np.minimum(band, recompressed)
        difference[top:bottom] = error[top - start:bottom - start].max(axis=2)
    peak = max(int(difference.max(initial=0)), 1)
    stretch = (np.arange(256, dtype=np.float32) * (255.0 / peak)).astype(np.uint8)
    for top in range(0, height, ELA_BAND_ROWS):  # in place: one grey copy, not two
        difference[top:top + ELA_BAND_ROWS] = stretch[difference[top:top + ELA_BAND_ROWS]]
    return np.repeat(difference[..., None], 3, axis=2)


def _jpeg_round_trip(pixels: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def gps_position(exif_bytes: bytes | None) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees recorded in EXIF, or None when there is none (or it
    cannot be read): a location people may not know their photo carries."""
    if not exif_bytes:
        return None
    exif = Image.Exif()
    try:
        exif.load(exif_bytes)
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        position = []
        for ref, value, negative in ((1, 2, "S"), (3, 4, "W")):
            degrees, minutes, seconds = (float(part) for part in gps[value])
            sign = -1 if str(gps.get(ref, "")).strip("\0 ").upper() == negative else 1
            position.append(sign * (degrees + minutes / 60 + seconds / 3600))
    except Exception:  # noqa: BLE001 - absent, incomplete or damaged GPS: no position
        return None
    return position[0], position[1]


def xmp_history(xmp: bytes | None) -> list[str]:
    """The packet's editing history in words ("2026-12-07: AI Image Classifier & Enhancer 1.0,
    enhanced by algorithm (upscaling)"), oldest first; [] when there is none or it is not XML."""
    root = parse_xmp(xmp)
    lines = []
    for entry in [] if root is None else root.iter(qualified("rdf", "li")):
        fields = {name: entry.get(qualified("stEvt", name)) or (
            entry.findtext(qualified("stEvt", name)) or "").strip()
            for name in ("when", "softwareAgent", "action", "parameters")}
        if fields["softwareAgent"] or fields["action"]:
            said = ", ".join(v for v in (fields["softwareAgent"] or fields["action"],
                                         fields["parameters"]) if v)
            lines.append(f"{fields['when'][:10]}: {said}" if fields["when"] else said)
    return lines
