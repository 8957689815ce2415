"""Metadata, C2PA detection, error-level analysis and the occlusion heat map."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from ai_image_classifier.classifier import Classifier
from ai_image_classifier.explain import occlusion_map, overlay_heatmap
from ai_image_classifier.forensics import ELA_BAND_ROWS, error_level_analysis, inspect_file

from .conftest import gradient


def test_exif_camera_and_software(tmp_path, rgb_image):
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "EOS 5D"  # Model
    exif[0x0131] = "Adobe Photoshop 25.0"  # Software
    path = tmp_path / "cam.jpg"
    Image.fromarray(rgb_image).save(path, exif=exif)
    report = inspect_file(path)
    assert report.exif["Make"] == "Canon" and report.exif["Model"] == "EOS 5D"
    assert report.editor_traces == ["photoshop"] and report.generator_traces == []
    assert (report.format, report.width, report.height) == ("JPEG", 64, 48)
    assert report.file_size == path.stat().st_size and not report.c2pa_manifest


def test_generator_parameters_in_png_text(tmp_path, rgb_image):
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a portrait, Steps: 30, Sampler: Euler, Model: sdxl_base")
    path = tmp_path / "gen.png"
    Image.fromarray(rgb_image).save(path, pnginfo=info)
    report = inspect_file(path)
    assert report.generator_traces == [
        "sdxl", "PNG text chunk 'parameters' (Stable Diffusion, AUTOMATIC1111/Forge)"]
    assert report.provenance.generated  # the verdict weighs the same declaration


def test_c2pa_manifest_is_detected(rgb_image):
    buffer = io.BytesIO()
    Image.fromarray(rgb_image).save(buffer, format="JPEG")
    data = buffer.getvalue()
    segment = b"JP\x00\x00\x00\x01" + b"\x00\x00\x00\x20jumb\x00\x00\x00\x18jumdc2pa" + bytes(8)
    app11 = b"\xff\xeb" + (len(segment) + 2).to_bytes(2, "big") + segment
    with_manifest = data[:2] + app11 + data[2:]
    assert inspect_file(with_manifest).c2pa_manifest
    assert not inspect_file(data).c2pa_manifest


def test_ela_shows_a_pasted_region():
    rng = np.random.default_rng(0)
    image = np.full((64, 64, 3), 120, np.uint8)
    image[16:48, 16:48] = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    ela = error_level_analysis(image)
    assert ela.shape == image.shape
    assert ela[16:48, 16:48].mean() > 5 * ela[:10, :10].mean()


class CentreModel:
    """A stand-in backend whose P(fake) is the brightness of the input's centre."""

    input_size = 32

    def predict(self, batch: np.ndarray) -> np.ndarray:
        return batch[:, 12:20, 12:20].mean(axis=(1, 2, 3)) / 255.0


def test_occlusion_map_finds_what_the_model_uses():
    heat, region = occlusion_map(Classifier(CentreModel()), np.full((64, 64, 3), 250, np.uint8))
    assert region is None
    assert heat.shape == (32, 32) and heat.max() == pytest.approx(1.0)
    assert heat[12:20, 12:20].mean() > 0.5 and heat[0:4, 0:4].max() == 0.0


def test_overlay_keeps_size():
    out = overlay_heatmap(np.zeros((50, 70, 3), np.uint8), np.ones((32, 32), np.float32))
    assert out.shape == (50, 70, 3) and out[..., 0].mean() > 50  # red where heat is 1



def _whole_picture_ela(image: np.ndarray, quality: int = 90) -> np.ndarray:
    """Error-level analysis as one re-compression of the whole picture, in 16 bits."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    recompressed = np.asarray(Image.open(buffer).convert("RGB"), dtype=np.int16)
    difference = np.abs(image.astype(np.int16) - recompressed).max(axis=2)
    stretched = difference.astype(np.float32) * (255.0 / max(int(difference.max()), 1))
    return np.repeat(stretched.astype(np.uint8)[..., None], 3, axis=2)


def test_ela_in_bands_equals_one_whole_recompression():
    height = 2 * ELA_BAND_ROWS + 37  # three bands, the last one short
    rows = gradient(40, height).astype(np.int16)
    noise = np.random.default_rng(1).integers(-40, 40, rows.shape)
    image = np.clip(rows + noise, 0, 255).astype(np.uint8)
    assert np.array_equal(error_level_analysis(image), _whole_picture_ela(image))


def test_ela_needs_little_more_than_its_result():
    """At 120 MP the 16-bit and float copies of a whole picture took about 3 GB."""
    image = np.random.default_rng(2).integers(0, 256, (2000, 3000, 3), dtype=np.uint8)
    tracemalloc.start()
    try:
        error_level_analysis(image)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2.5 * image.nbytes  # the result is 1 image, its grey difference 1/3
