"""What a file says about itself, and error-level analysis: the forensic basics.

This shows people the evidence that tools like Sherloq show: camera and software tags,
generator parameters left in PNG text chunks, a C2PA (content credentials) manifest, and where
JPEG re-compression error is uneven. What settles a verdict is read from the same bytes by
`provenance` (the report carries it, so the window need not read the file again); generator
names come from the same table (`declarations`) as the verdict's.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import numpy as np
from PIL import ExifTags, Image

from .content_credentials import has_manifest_bytes, read_content_credentials
from .declarations import generator_names, text_declarations
from .imaging import ImageSource, open_header, read_bytes
from .metadata import Metadata, metadata_of
from .provenance import Provenance, provenance_of, text_chunks, tolerant, xmp_facts

EXIF_FIELDS = ("Make", "Model", "LensModel", "Software", "DateTime", "DateTimeOriginal",
               "Artist", "ImageDescription")
#: Names found in Software tags and text chunks of edited images (lower case).
EDITOR_MARKERS = ("photoshop", "gimp", "lightroom", "affinity", "pixelmator", "snapseed",
                  "facetune", "paint.net", "canva", "picsart", "faceapp")


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
        report.metadata = metadata_of(image, data, credentials)
        tools = xmp_facts(image).creator_tools
    clues = [report.exif.get("Software", ""), *tools, *report.text_chunks.values()]
    haystack = " ".join(clues).lower()
    report.generator_traces = [*generator_names(haystack),
                               *text_declarations(report.text_chunks)]
    report.editor_traces = [m for m in EDITOR_MARKERS if _mentions(haystack, m)]
    return report


def _mentions(text: str, marker: str) -> bool:
    """`marker` as a whole word: "canva" is not in "canvas", nor "flux" in "influx"; an
    underscore still separates ("sdxl_base")."""
    return re.search(rf"(?<![a-z0-9]){re.escape(marker)}(?![a-z0-9])", text) is not None


def error_level_analysis(image: np.ndarray, quality: int = 90) -> np.ndarray:
    """Difference between the image and its JPEG re-compression, stretched to 0..255.

    Regions pasted from another source often re-compress differently from the rest.
    """
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    recompressed = np.asarray(Image.open(buffer).convert("RGB"), dtype=np.int16)
    difference = np.abs(image.astype(np.int16) - recompressed).max(axis=2)
    peak = max(int(difference.max()), 1)
    stretched = (difference.astype(np.float32) * (255.0 / peak)).astype(np.uint8)
    return np.repeat(stretched[..., None], 3, axis=2)
