"""Small pure helpers for what the window shows (Tk-free)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

TITLE = "AI Image Classifier & Enhancer"
PREVIEW_MAX = 1600  # longest side kept for on-screen previews


def make_preview(image: Image.Image | np.ndarray) -> Image.Image:
    pil = Image.fromarray(image) if isinstance(image, np.ndarray) else image.copy()
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


def metadata_text(opened: Any) -> str:
    """The Metadata tab: format and sizes (stored and upright, with the orientation tag that
    turns one into the other), EXIF, content credentials, traces and text chunks."""
    report = opened.report
    height, width = opened.rgb.shape[:2]
    size = f"{report.width}×{report.height}"
    if (width, height) != (report.width, report.height) or opened.orientation != 1:
        size = f"Stored as {size}, shown upright as {width}×{height}"
    lines = [f"Format: {report.format}, {size}, mode {report.mode}",
             f"File size: {human_size(report.file_size)}"]
    if opened.orientation in ORIENTATIONS:
        lines.append(f"EXIF Orientation: {opened.orientation} (the stored pixels are shown "
                     f"{ORIENTATIONS[opened.orientation]})")
    lines.append("")
    lines += [f"{key}: {value}" for key, value in report.exif.items()] or ["No EXIF data"]
    lines.append("")
    lines.append("C2PA content credentials: " + (
        report.content_credentials or ("present but unreadable" if report.c2pa_manifest
                                       else "none")))
    lines.append("AI-generator traces: " + (", ".join(report.generator_traces) or "none"))
    lines.append("Editing-software traces: " + (", ".join(report.editor_traces) or "none"))
    for key, value in report.text_chunks.items():
        lines.append(f"\nText chunk '{key}':\n{value[:2000]}")
    lines.append("\nMetadata can be removed or forged: its absence proves nothing.")
    return "\n".join(lines)
