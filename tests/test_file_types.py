"""One table of file types, and what a save dialog's answer means."""

from __future__ import annotations

from ai_image_classifier.datasets import IMAGE_SUFFIXES
from ai_image_classifier.file_types import (
    WRITE_FORMATS,
    open_dialog_types,
    save_dialog_types,
    with_chosen_type,
)
from ai_image_classifier.saving import FORMAT_BY_SUFFIX


def test_open_scan_and_save_agree():
    assert set(WRITE_FORMATS) <= IMAGE_SUFFIXES  # whatever is saved can be opened again
    assert set(FORMAT_BY_SUFFIX) == set(WRITE_FORMATS)
    offered = " ".join(pattern for _, pattern in save_dialog_types())
    assert all(f"*{suffix}" in offered for suffix in WRITE_FORMATS)  # BMP included
    assert all(f"*{suffix}" in open_dialog_types()[0][1] for suffix in IMAGE_SUFFIXES)


def test_a_type_chosen_in_the_dialog_sets_the_suffix():
    assert with_chosen_type("/a/x_enhanced.png", "JPEG", "PNG") == "/a/x_enhanced.jpg"
    assert with_chosen_type("/a/x.png", "PNG", "PNG") == "/a/x.png"
    assert with_chosen_type("/a/x.webp", "PNG", "PNG") == "/a/x.webp"  # typed, not chosen
    assert with_chosen_type("/a/x", "TIFF", "PNG") == "/a/x.tif"
    assert with_chosen_type("/a/x", "", "") == "/a/x.png"
    assert with_chosen_type("/a/x.jpeg", "JPEG", "PNG") == "/a/x.jpeg"
    assert with_chosen_type("", "JPEG", "PNG") == ""
