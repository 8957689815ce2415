"""Invisible generator watermarks, made by the `invisible-watermark` library's own dwtDct
encoder (its maxDct module, loaded alone: the package imports PyTorch) the way diffusers' SDXL
pipelines and the original Stable Diffusion scripts call it."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from ai_image_classifier.classifier import Classifier
from ai_image_classifier.watermark import (
    KNOWN_MARKS,
    KnownMark,
    band_bgr,
    block_votes,
    find_watermark,
)


def reference_encoder() -> ModuleType:
    spec = importlib.util.find_spec("imwatermark")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("invisible-watermark is installed by `make setup` (--no-deps)")
    path = Path(next(iter(spec.submodule_search_locations))) / "maxDct.py"
    module_spec = importlib.util.spec_from_file_location("imwatermark_maxdct", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reference() -> ModuleType:
    return reference_encoder()


def picture(width: int = 1024, height: int = 768, seed: int = 3) -> np.ndarray:
    """Smooth shapes with grain, like a photograph more than like noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    smooth = np.stack([x / 4, y / 3, (x + y) / 8], axis=-1) % 256
    return np.clip(smooth + rng.normal(0, 6, (height, width, 3)), 0, 255).astype(np.uint8)


def marked(reference: ModuleType, rgb: np.ndarray, mark: KnownMark) -> np.ndarray:
    """`rgb` marked as its generator does: BGR, as float (diffusers) or uint8 (the original
    scripts), then rounded to the 8-bit picture that is saved."""
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    bgr = bgr.astype(np.float32) if mark.float_pixels else bgr
    encoder = reference.EmbedMaxDct(list(mark.bits), wmLen=len(mark.bits))
    out = np.clip(np.round(encoder.encode(bgr).astype(np.float64)), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(out[:, :, ::-1])


def saved(rgb: np.ndarray, path: Path, image_format: str = "PNG", **options) -> Path:
    Image.fromarray(rgb).save(path, image_format, **options)
    return path


@pytest.mark.parametrize("mark", KNOWN_MARKS, ids=lambda mark: mark.name)
def test_each_generators_mark_is_found_and_the_unmarked_picture_has_none(reference, mark):
    """At each generator's own size: SDXL's 1024×1024 (read from a band), SD 1's 512×512."""
    rgb = picture(1024, 1024) if mark.float_pixels else picture(512, 512)
    found = find_watermark(marked(reference, rgb, mark))
    assert found and found.name == mark.name and found.matching >= 44 / 48 * found.length
    assert find_watermark(rgb) is None


@pytest.mark.parametrize("float_pixels", [True, False])
def test_the_votes_are_the_reference_decoders(reference, float_pixels):
    """Bit for bit what the library's decoder reads, on the band this decoder reads."""
    rgb = picture(1024, 480)  # smaller than the band: the whole picture
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    length = 48
    expected = reference.EmbedMaxDct(wmLen=length).decode(
        bgr.astype(np.float32) if float_pixels else bgr)
    votes = block_votes(band_bgr(rgb), float_pixels)
    index = np.arange(len(votes)) % length
    means = np.bincount(index, weights=votes) / np.bincount(index)
    assert np.array_equal(means * 255 > 127, expected)


def test_a_png_from_sdxl_is_called_generated_naming_the_watermark(reference, tmp_path):
    classifier = Classifier.load()
    sdxl = KNOWN_MARKS[0]
    path = saved(marked(reference, picture(), sdxl), tmp_path / "sdxl.png")
    verdict = classifier.classify_file(path)
    assert verdict.label == "fake" and verdict.decider == "declaration"
    assert verdict.text == ("AI-GENERATED — the file says so (invisible watermark of Stable "
                            "Diffusion XL)")
    assert "re-compression" in verdict.declared[0] and "no evidence" in verdict.declared[0]
    (batch_path, batch_verdict), = classifier.classify_files([path])
    assert batch_verdict.text == verdict.text
    unmarked = classifier.classify_file(saved(picture(), tmp_path / "plain.png"))
    assert unmarked.decider == "model" and unmarked.declared == ()


def test_aiic_classify_says_the_declaration_decided(reference, tmp_path):
    from .test_cli import aiic

    path = saved(marked(reference, picture(), KNOWN_MARKS[0]), tmp_path / "sdxl.png")
    result = aiic("classify", str(path), "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert (record["label"], record["decided_by"]) == ("fake", "declaration")
    assert record["declared_by"] == "invisible watermark of Stable Diffusion XL"
    text = aiic("classify", str(path)).stdout
    assert text.split("\t")[1] == ("AI-GENERATED — the file says so (invisible watermark of "
                                    "Stable Diffusion XL)")


def test_the_window_path_reads_the_mark_from_the_pixels_it_shows(reference):
    verdict = Classifier.load().classify_image(marked(reference, picture(), KNOWN_MARKS[0]))
    assert verdict.label == "fake" and "Stable Diffusion XL" in verdict.decided_by


def test_jpeg_recompression_removes_the_mark(reference, tmp_path):
    """Why the absence of a mark is no evidence."""
    path = saved(marked(reference, picture(), KNOWN_MARKS[0]), tmp_path / "sdxl.jpg", "JPEG",
                 quality=90)
    assert find_watermark(np.asarray(Image.open(io.BytesIO(path.read_bytes())))) is None


@pytest.mark.parametrize("shape", [(100, 100, 3), (300, 300), (100_000, 1, 3), (1, 100_000, 3),
                                   (3, 30_000, 3), (300, 300, 4)])
def test_small_thin_or_odd_pictures_carry_no_mark_and_never_fail(shape):
    """A 1-pixel-wide picture once made the wavelet transform raise on every open."""
    assert find_watermark(np.zeros(shape, np.uint8)) is None


def test_a_mark_beside_a_camera_signature_is_shown_as_a_note():
    from ai_image_classifier.provenance import Provenance
    from ai_image_classifier.watermark import FoundMark, with_watermark

    camera = Provenance(captured=("signed capture",), decided_by="signed by the camera: X")
    marked = with_watermark(camera, FoundMark("Stable Diffusion XL", 45, 48))
    assert marked.captured == camera.captured and not marked.generated
    assert any("Stable Diffusion XL" in note for note in marked.notes)
