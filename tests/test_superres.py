"""The learned 2× and 4× upscalers: sizes, tiling, LiteRT against Keras, and golden PSNR."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ai_image_classifier.enhance import Cancelled, EnhanceSettings, enhance, resize
from ai_image_classifier.superres import (
    SCALES,
    LearnedUpscaler,
    UpscalerLoadError,
    bundled_upscaler_path,
    tile_shape,
    to_ycrcb,
)
from training.image_quality import crop_to_multiple, matlab_like_downscale, psnr

GOLDEN = {"Set5": "bird", "Set14": "zebra"}  # two pictures whose PSNR the card records

needs_model = pytest.mark.skipif(not all(bundled_upscaler_path(s).is_file() for s in SCALES),
                                 reason="the bundled upscalers are not in model/upscaler/")


def random_rgb(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


@needs_model
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("shape", [(37, 53), (1, 1), (1, 40), (30, 2)])
def test_output_is_scale_times_the_size(shape, scale):
    upscaler = LearnedUpscaler(bundled_upscaler_path(scale))
    assert upscaler.scale == scale
    out = upscaler.upscale(random_rgb(*shape))
    assert out.shape == (scale * shape[0], scale * shape[1], 3) and out.dtype == np.uint8


@needs_model
@pytest.mark.parametrize("scale", SCALES)
def test_tiles_give_the_whole_image_result(scale):
    path = bundled_upscaler_path(scale)
    upscaler = LearnedUpscaler(path)
    luma = to_ycrcb(random_rgb(150, 170, seed=1))[:, :, 0]
    whole = upscaler.upscale_luma(luma, tile=1000)
    tiled = upscaler.upscale_luma(luma, tile=40)
    assert np.abs(whole - tiled).max() <= 1e-5
    rgb = random_rgb(90, 70, seed=2)
    small_tiles = LearnedUpscaler(path, tile=32).upscale(rgb)
    assert np.abs(small_tiles.astype(int) - upscaler.upscale(rgb).astype(int)).max() <= 1


@pytest.mark.parametrize("shape", [(48, 20_000), (20_000, 48), (48, 500), (48, 2485),
                                   (2000, 1500)])
def test_a_strip_feeds_the_network_about_its_own_pixels(shape, monkeypatch):
    """Windows the network sees, counted: a thin strip's must not be mostly padding (a square
    384-px tile plus margins around 48 rows fed 8× the strip's pixels)."""
    fed = []

    def counting_run(self, luma):
        fed.append(luma.shape)
        return np.zeros((2 * luma.shape[0], 2 * luma.shape[1]), np.float32)

    monkeypatch.setattr(LearnedUpscaler, "_run", counting_run)
    upscaler = object.__new__(LearnedUpscaler)  # no model: only the tiling is counted
    upscaler.tile, upscaler.margin, upscaler.scale = 384, 8, 2
    out = upscaler.upscale(random_rgb(*shape))
    assert out.shape == (2 * shape[0], 2 * shape[1], 3)
    assert len(set(fed)) == 1  # one shape a picture: LiteRT allocates once
    assert sum(h * w for h, w in fed) <= 1.6 * shape[0] * shape[1]


def test_tile_shapes_keep_about_the_square_windows_area():
    assert tile_shape(4000, 3000, 384, 8) == (384, 384)
    assert tile_shape(100, 120, 384, 8) == (100, 120)  # one window: the picture itself
    tile_h, tile_w = tile_shape(48, 262_208, 384, 8)
    assert tile_h == 48 and 0.95 * 400**2 <= (tile_h + 16) * (tile_w + 16) <= 400**2
    assert tile_shape(262_208, 48, 384, 8) == (tile_w, 48)
    assert tile_shape(48, 2485, 384, 8) == (48, 1243)  # two even tiles, not 2484 + 1


@needs_model
def test_a_strip_gives_the_whole_image_result():
    upscaler = LearnedUpscaler()
    luma = to_ycrcb(random_rgb(20, 700, seed=6))[:, :, 0]
    whole = upscaler.upscale_luma(luma, tile=10_000)  # one window
    strips = upscaler.upscale_luma(luma, tile=32)  # 20 × 48 tiles: 15 windows
    assert np.abs(whole - strips).max() <= 1e-5
    rgb = random_rgb(700, 20, seed=7)
    assert np.abs(LearnedUpscaler(tile=32).upscale(rgb).astype(int)
                  - upscaler.upscale(rgb).astype(int)).max() <= 1


@needs_model
@pytest.mark.parametrize("scale", SCALES)
def test_litert_export_matches_keras(scale):
    keras = pytest.importorskip("keras")
    import training.superres  # noqa: F401 - registers the PixelShuffle layer

    path = bundled_upscaler_path(scale)
    model = keras.saving.load_model(path.with_suffix(".keras"))
    luma = to_ycrcb(random_rgb(48, 64, seed=3))[:, :, 0]
    expected = np.asarray(model(luma[None, :, :, None]))[0, :, :, 0]
    actual = LearnedUpscaler(path)._run(luma)
    assert np.abs(expected - actual).max() <= 1e-5


@pytest.mark.parametrize("scale", SCALES)
def test_untrained_network_is_bicubic(scale):
    """The fixed branch alone is the app's bicubic (OpenCV's cubic), at either scale."""
    pytest.importorskip("keras")
    from training.superres import build_upscaler

    luma = to_ycrcb(random_rgb(40, 50, seed=4))[:, :, 0]
    out = np.asarray(build_upscaler(scale=scale)(luma[None, :, :, None]))[0, :, :, 0]
    edge = 3 * scale  # borders pad differently
    assert np.abs(out - resize(luma, scale))[edge:-edge, edge:-edge].max() <= 1e-5


@needs_model
def test_learned_4x_is_one_pass_of_its_own_network_and_1x_none(monkeypatch):
    image = random_rgb(20, 30, seed=5)
    runs = []
    original = LearnedUpscaler.upscale
    monkeypatch.setattr(LearnedUpscaler, "upscale",
                        lambda self, *a, **k: runs.append(self.scale) or original(self, *a, **k))
    out = enhance(image, EnhanceSettings(method="learned", scale=4, denoise="off"))
    assert out.shape == (80, 120, 3) and runs == [4]
    same = enhance(image, EnhanceSettings(method="learned", scale=1, denoise=5.0))
    assert same.shape == image.shape and runs == [4]  # 1×: denoised, no network


@needs_model
@pytest.mark.parametrize("scale", SCALES)
def test_learned_upscaling_cancels_between_tiles(scale):
    calls = iter([False, False, True])
    with pytest.raises(Cancelled):
        enhance(random_rgb(900, 900), EnhanceSettings(scale=scale, denoise="off"),
                should_stop=lambda: next(calls, True))


def test_missing_or_damaged_model_is_a_clear_error(tmp_path):
    with pytest.raises(UpscalerLoadError, match="not found"):
        LearnedUpscaler(tmp_path / "none.tflite")
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a model")
    with pytest.raises(UpscalerLoadError, match="not a usable"):
        LearnedUpscaler(broken)


@needs_model
@pytest.mark.parametrize("card", ["[1, 2]", "{not json", '{"margin": "wide"}', '{"scale": 3}',
                                  '{"scale": 4.0}'])
def test_damaged_card_is_a_clear_error(tmp_path, card):
    import shutil

    model = shutil.copy(bundled_upscaler_path(), tmp_path / "m.tflite")
    (tmp_path / "m.card.json").write_text(card)
    with pytest.raises(UpscalerLoadError, match="damaged"):
        LearnedUpscaler(model)


@needs_model
def test_a_network_whose_card_names_another_scale_is_refused(tmp_path):
    import shutil

    model = shutil.copy(bundled_upscaler_path(4), tmp_path / "m.tflite")
    (tmp_path / "m.card.json").write_text('{"scale": 2}')
    with pytest.raises(UpscalerLoadError, match="makes 4×"):
        LearnedUpscaler(model)


@needs_model
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("collection", sorted(GOLDEN))
def test_golden_psnr_matches_the_card_and_beats_bicubic(collection, scale, sr_eval):
    from PIL import Image

    name, path = GOLDEN[collection], bundled_upscaler_path(scale)
    card = json.loads(path.with_suffix(".card.json").read_text())
    golden = card["evaluation"][collection]["clean_model_psnr_by_image"][name]
    hr = crop_to_multiple(np.asarray(Image.open(sr_eval / collection / f"{name}.png")
                                     .convert("RGB")), scale)
    lr = matlab_like_downscale(hr, scale)
    learned = psnr(hr, LearnedUpscaler(path).upscale(lr), border=scale)
    assert learned == pytest.approx(golden, abs=0.01)
    assert learned > psnr(hr, resize(lr, scale), border=scale) + 0.5
