"""Enhancement follows the seed's OpenCV calls; saving is atomic and never overwrites silently."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
from PIL import Image

from ai_image_classifier.enhance import (
    Cancelled,
    EnhanceSettings,
    denoise_image,
    denoise_in_tiles,
    enhance,
    super_resolution,
)
from ai_image_classifier.saving import SaveError, read_metadata, save_image


def noisy(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    clean = np.full((40, 50, 3), 128, np.uint8)
    return np.clip(clean + rng.normal(0, 20, clean.shape), 0, 255).astype(np.uint8)


def test_denoise_reduces_noise():
    image = noisy()
    assert denoise_image(image).std() < image.std() / 2


def test_denoise_is_the_seed_call():
    image = noisy()
    expected = cv2.fastNlMeansDenoisingColored(image, None, 10, 10, 7, 21)
    assert np.array_equal(denoise_image(image), expected)


def test_super_resolution_doubles_size_bicubic():
    image = noisy()
    out = super_resolution(image)
    assert out.shape == (80, 100, 3)
    assert np.array_equal(out, cv2.resize(image, (100, 80), interpolation=cv2.INTER_CUBIC))


def test_enhance_denoises_then_upscales():
    image = noisy()
    assert np.array_equal(enhance(image), super_resolution(denoise_image(image)))
    assert np.array_equal(enhance(image, EnhanceSettings(denoise=False, scale=1)), image)


def test_super_resolution_rejects_bad_scale():
    with pytest.raises(ValueError):
        super_resolution(noisy(), 0)


def test_save_refuses_to_overwrite(tmp_path, rgb_image):
    target = tmp_path / "out.png"
    target.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        save_image(rgb_image, target)
    assert target.read_bytes() == b"precious"
    save_image(rgb_image, target, overwrite=True)
    assert np.array_equal(np.asarray(Image.open(target)), rgb_image)


def test_save_leaves_no_temp_files(tmp_path, rgb_image):
    save_image(rgb_image, tmp_path / "a.jpg")
    assert [p.name for p in tmp_path.iterdir()] == ["a.jpg"]


def test_save_unknown_suffix(tmp_path, rgb_image):
    with pytest.raises(SaveError, match="unknown image type"):
        save_image(rgb_image, tmp_path / "a.xyz")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_save_into_read_only_folder(tmp_path, rgb_image):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(SaveError, match="cannot write"):
            save_image(rgb_image, folder / "a.png")
    finally:
        folder.chmod(0o700)


def test_save_into_missing_folder(tmp_path, rgb_image):
    with pytest.raises(SaveError, match="cannot write"):
        save_image(rgb_image, tmp_path / "missing" / "a.png")


def test_metadata_is_kept_and_orientation_reset(tmp_path, rgb_image):
    source = tmp_path / "in.jpg"
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x0112] = 6  # orientation
    exif[0x0131] = "CameraApp 1.0"  # Software
    Image.fromarray(rgb_image).save(source, exif=exif)
    target = save_image(rgb_image, tmp_path / "out.jpg", metadata=read_metadata(source))
    saved = Image.open(target).getexif()
    assert saved[0x0131] == "CameraApp 1.0"
    assert saved[0x0112] == 1


def test_tiles_give_the_whole_image_result():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (300, 170, 3), dtype=np.uint8)
    tiled = denoise_in_tiles(image, EnhanceSettings(), tile=64)
    assert np.array_equal(tiled, denoise_image(image))


def test_enhance_reports_progress_and_cancels():
    seen: list[float] = []
    enhance(noisy(), progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    calls = iter([False, True])
    with pytest.raises(Cancelled):
        enhance(np.zeros((600, 50, 3), np.uint8), should_stop=lambda: next(calls, True))
