"""One table of file types: what the app opens and scans, and what it saves.

Open dialogs, folder scans and saving all read it, so they cannot disagree (a type that can be
saved is also offered in the save dialog).
"""

from __future__ import annotations

from pathlib import PurePath

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
    """One entry per format, its suffixes together in both cases (JPEG: *.jpg *.JPG *.jpeg
    *.JPEG), so that files of that type show in the dialog however they were named."""
    by_name: dict[str, list[str]] = {}
    for suffix, (_, name) in WRITE_FORMATS.items():
        by_name.setdefault(name, []).extend([f"*{suffix}", f"*{suffix.upper()}"])
    return [(name, " ".join(patterns)) for name, patterns in by_name.items()]


def type_name_of(path: str) -> str:
    """The save dialog's name for a file's type ("" when it is not one we write)."""
    known = WRITE_FORMATS.get(PurePath(path).suffix.lower())
    return known[1] if known else ""


def with_chosen_type(path: str, chosen: str, offered: str) -> str:
    """The file name a save dialog's answer means. A type chosen in the dialog (other than
    the `offered` one) sets the suffix, so choosing JPEG writes a .jpg; a name without a
    suffix we write gets the chosen type's, else PNG's."""
    if not path:
        return path
    suffixes = [s for s, (_, name) in WRITE_FORMATS.items() if name == chosen]
    current = PurePath(path).suffix.lower()
    if suffixes and chosen != offered and current not in suffixes:
        return str(PurePath(path).with_suffix(suffixes[0])) if current in WRITE_FORMATS \
            else path + suffixes[0]
    if current not in WRITE_FORMATS:
        return path + (suffixes[0] if suffixes else ".png")
    return path
