"""One table of file types: what the app opens and scans, and what it saves.

Open dialogs, folder scans and saving all read it, so they cannot disagree (a type that can be
saved is also offered in the save dialog).
"""

from __future__ import annotations

#: Suffixes opened, and looked for in folder scans (Pillow's decoders in `imaging.FORMATS`).
READ_SUFFIXES = (".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".heic", ".heif", ".avif",
                 ".tif", ".tiff", ".bmp", ".dib", ".gif", ".ico")

#: Suffix → (Pillow format, name in the save dialog), in the save dialog's order.
WRITE_FORMATS = {
    ".png": ("PNG", "PNG"),
    ".jpg": ("JPEG", "JPEG"),
    ".jpeg": ("JPEG", "JPEG"),
    ".webp": ("WEBP", "WebP"),
    ".tif": ("TIFF", "TIFF"),
    ".tiff": ("TIFF", "TIFF"),
    ".bmp": ("BMP", "BMP"),
}


def open_dialog_types() -> list[tuple[str, str]]:
    return [("Images", " ".join(f"*{suffix}" for suffix in READ_SUFFIXES)), ("All files", "*")]


def save_dialog_types() -> list[tuple[str, str]]:
    """One entry per format, its suffixes together (JPEG: *.jpg *.jpeg)."""
    by_name: dict[str, list[str]] = {}
    for suffix, (_, name) in WRITE_FORMATS.items():
        by_name.setdefault(name, []).append(f"*{suffix}")
    return [(name, " ".join(patterns)) for name, patterns in by_name.items()]
