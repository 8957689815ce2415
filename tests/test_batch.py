"""Batch enhancement: structure kept, existing outputs skipped, errors reported, cancel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ai_image_classifier.batch import BatchItem, enhance_batch, plan_folder
from ai_image_classifier.enhance import (
    MAX_OUTPUT_PIXELS,
    Cancelled,
    EnhanceError,
    EnhanceSettings,
    check_output_size,
)

BICUBIC = EnhanceSettings(method="bicubic", denoise="off")


def photo_folder(root):
    for relative in ("a.png", "sub/b.jpg", "sub/deeper/c.webp"):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((12, 16, 3), 100, np.uint8)).save(path)
    (root / "sub" / "broken.png").write_bytes(b"not an image")
    return root


def test_folder_keeps_its_structure_and_reports_each_file(tmp_path):
    source = photo_folder(tmp_path / "in")
    out = tmp_path / "out"
    results = enhance_batch(plan_folder(source, out), BICUBIC)
    status = {r.item.source.relative_to(source).as_posix(): r.status for r in results}
    assert status == {"a.png": "done", "sub/b.jpg": "done", "sub/deeper/c.webp": "done",
                      "sub/broken.png": "error"}
    assert Image.open(out / "sub" / "deeper" / "c.webp").size == (32, 24)
    assert not (out / "sub" / "broken.png").exists()
    error = next(r for r in results if r.status == "error")
    assert "not an image" in error.message


def test_existing_outputs_are_skipped_unless_overwriting(tmp_path):
    source = photo_folder(tmp_path / "in")
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "sub" / "b.jpg").write_bytes(b"keep me")
    results = enhance_batch(plan_folder(source, out), BICUBIC)
    assert {r.status for r in results if r.item.target.name == "b.jpg"} == {"skipped"}
    assert (out / "sub" / "b.jpg").read_bytes() == b"keep me"
    again = enhance_batch(plan_folder(source, out), BICUBIC, overwrite=True)
    assert {r.status for r in again if r.item.target.name == "b.jpg"} == {"done"}
    assert Image.open(out / "sub" / "b.jpg").size == (32, 24)


def test_output_inside_the_input_folder_is_not_enhanced_again(tmp_path):
    source = photo_folder(tmp_path / "in")
    enhance_batch(plan_folder(source, source / "enhanced"), BICUBIC)
    sources = {item.source for item in plan_folder(source, source / "enhanced")}
    assert not any("enhanced" in path.parts for path in sources)


def test_format_choice_and_an_input_never_written_over(tmp_path):
    source = photo_folder(tmp_path / "in")
    targets = {item.target.suffix for item in plan_folder(source, tmp_path / "o", ".png")}
    assert targets == {".png"}
    same = BatchItem(source / "a.png", source / "a.png")
    (result,) = enhance_batch([same], BICUBIC, overwrite=True)
    assert result.status == "error" and "input" in result.message


def test_cancel_stops_the_batch_and_keeps_what_was_written(tmp_path):
    source = photo_folder(tmp_path / "in")
    items = plan_folder(source, tmp_path / "out")
    seen = []
    with pytest.raises(Cancelled):
        enhance_batch(items, EnhanceSettings(method="bicubic", denoise="seed"),
                      should_stop=lambda: len(seen) >= 1, on_each=seen.append)
    assert len(seen) == 1 and seen[0].item.target.exists()


def test_results_too_large_are_refused_before_any_work():
    side = int((MAX_OUTPUT_PIXELS / 16) ** 0.5) + 2
    with pytest.raises(EnhanceError, match="megapixels"):
        check_output_size((side, side), EnhanceSettings(scale=4))
    check_output_size((side, side), EnhanceSettings(scale=1))
