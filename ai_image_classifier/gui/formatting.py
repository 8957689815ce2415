"""Small pure helpers for what the window shows (Tk-free)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

TITLE = "AI Image Classifier & Enhancer"
PREVIEW_MAX = 1600  # longest side kept for on-screen previews
PREVIEW_BAND = 256  # rows of the reduced picture made at a time from a large array


def make_preview(image: Image.Image | np.ndarray) -> Image.Image:
    """At most PREVIEW_MAX a side. A large array is first box-reduced band by band, because
    Pillow would copy the whole of it at 4 bytes a pixel first: 770 MB more for a 4× result
    of a 12 MP photo, on top of the result itself."""
    if isinstance(image, np.ndarray):
        factor = max(1, max(image.shape[:2]) // (2 * PREVIEW_MAX))
        if factor > 1:
            rows = PREVIEW_BAND * factor
            bands = [Image.fromarray(np.ascontiguousarray(image[top:top + rows])).reduce(factor)
                     for top in range(0, image.shape[0], rows)]
            pil = Image.new("RGB", (bands[0].width, sum(band.height for band in bands)))
            for index, band in enumerate(bands):
                pil.paste(band, (0, index * PREVIEW_BAND))
        else:
            pil = Image.fromarray(image)
    else:
        pil = image.copy()
    pil.thumbnail((PREVIEW_MAX, PREVIEW_MAX), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return pil


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


#: What each EXIF Orientation value asks of a viewer, to stand the stored pixels upright.
ORIENTATIONS = {2: "mirrored", 3: "turned 180°", 4: "flipped upside down",
                5: "mirrored and turned 90° anticlockwise", 6: "turned 90° clockwise",
                7: "mirrored and turned 90° clockwise", 8: "turned 90° anticlockwise"}


#: Pillow's image modes in words.
MODES = {"1": "black and white (1 bit)", "L": "greyscale", "LA": "greyscale with transparency",
         "P": "palette (up to 256 colours)", "PA": "palette with transparency",
         "RGB": "colour (RGB)", "RGBA": "colour with transparency (RGBA)", "CMYK": "CMYK (print)",
         "YCbCr": "colour (YCbCr)", "I;16": "16-bit greyscale", "I": "32-bit greyscale",
         "F": "floating-point greyscale"}


def metadata_text(opened: Any) -> str:
    """The Metadata tab: format and sizes (stored and upright, with the orientation tag that
    turns one into the other), EXIF and its location, every declaration the verdict weighs
    (from the same read of the file as the verdict and the save), the editing history in XMP,
    content credentials, traces and text chunks."""
    from ..forensics import gps_position, xmp_history
    from ..metadata import JPEG_EXIF_LIMIT

    report = opened.report
    saved = report.metadata  # what was read at open: what a save keeps
    height, width = opened.rgb.shape[:2]
    size = f"{report.width}×{report.height}"
    if (width, height) != (report.width, report.height) or opened.orientation != 1:
        size = f"Stored as {size}, shown upright as {width}×{height}"
    lines = [f"Format: {report.format}, {size}, {MODES.get(report.mode, 'mode ' + report.mode)}",
             f"File size: {human_size(report.file_size)}"]
    if opened.orientation in ORIENTATIONS:
        lines.append(f"EXIF Orientation: {opened.orientation} (the stored pixels are shown "
                     f"{ORIENTATIONS[opened.orientation]})")
    lines.append("")
    shown = [f"{key}: {value}" for key, value in report.exif.items() if value.strip()]
    lines += shown or ["EXIF present (no camera or software fields)" if saved.exif
                       else "No EXIF data"]
    position = gps_position(saved.exif)
    if position:
        too_big = len(saved.exif or b"") > JPEG_EXIF_LIMIT  # then JPEG cannot keep the EXIF
        lines.append(f"Location (GPS) recorded in the file: {position[0]:.5f}, "
                     f"{position[1]:.5f} (a save keeps it, except as BMP"
                     f"{' or JPEG' if too_big else ''})")
    declared = [*report.provenance.generated, *report.provenance.notes]
    lines += ["", "What the file declares (the verdict weighs these):",
              *(f"• {text}" for text in declared)] if declared else []
    history = xmp_history(saved.xmp)
    lines += ["", "Editing history (XMP):", *(f"• {entry}" for entry in history)] \
        if history else []
    lines.append("")
    lines.append("C2PA content credentials: " + (
        report.content_credentials or ("present but unreadable" if report.c2pa_manifest
                                       else "none")))
    traces = ", ".join(report.generator_traces) or (
        "see the declarations above" if report.provenance.generated else "none")
    lines.append(f"AI-generator traces: {traces}")
    editors = ", ".join(report.editor_traces) or (
        "see the editing history above" if history else "none")
    lines.append(f"Editing-software traces: {editors}")
    for key, value in report.text_chunks.items():
        lines.append(f"\nText chunk '{key}':\n{value[:2000]}")
    lines.append("\nMetadata can be removed or forged: its absence proves nothing.")
    return "\n".join(lines)
