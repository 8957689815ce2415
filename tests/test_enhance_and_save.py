"""Enhancement keeps the seed's OpenCV calls as presets; saving is atomic and never overwrites
silently. The learned upscaler has its own tests in test_superres.py."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from ai_image_classifier.enhance import (
    Cancelled,
    EnhanceSettings,
    denoise_image,
    denoise_in_tiles,
    enhance,
    estimate_noise,
    plan_denoise,
    resize,
)
from ai_image_classifier.enhance_settings import DENOISE_WINDOWS, SEED_WINDOWS, DenoiseDecision
from ai_image_classifier.saving import SaveError, read_metadata, save_image

from .conftest import gradient


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


def test_bicubic_doubles_size_like_the_seed():
    image = noisy()
    out = resize(image, 2)
    assert out.shape == (80, 100, 3)
    assert np.array_equal(out, cv2.resize(image, (100, 80), interpolation=cv2.INTER_CUBIC))
    lanczos = resize(image, 2, "lanczos")
    assert np.array_equal(lanczos, cv2.resize(image, (100, 80),
                                              interpolation=cv2.INTER_LANCZOS4))


def test_auto_and_custom_use_the_small_windows_and_the_seed_preset_the_seeds():
    image = noisy()
    custom = EnhanceSettings(method="bicubic", scale=1, denoise=8.0)
    assert np.array_equal(enhance(image, custom), denoise_image(image, 8.0, DENOISE_WINDOWS))
    assert plan_denoise(image, "auto").windows == DENOISE_WINDOWS
    assert plan_denoise(image, "seed").windows == SEED_WINDOWS != DENOISE_WINDOWS


def test_seed_preset_is_the_seed_pipeline():
    image = noisy()
    seed = EnhanceSettings(method="bicubic", denoise="seed")
    assert np.array_equal(enhance(image, seed), resize(denoise_image(image), 2))
    off = EnhanceSettings(method="bicubic", scale=1, denoise="off")
    assert np.array_equal(enhance(image, off), image)


@pytest.mark.parametrize("sigma", [3.0, 8.0, 15.0])
def test_noise_estimate_finds_the_sigma_of_added_noise(sigma):
    smooth = cv2.resize(gradient(), (400, 300), interpolation=cv2.INTER_CUBIC).astype(float)
    noise = np.random.default_rng(0).normal(0, sigma, smooth.shape[:2])[..., None]
    image = np.clip(smooth + noise + 0.5, 0, 255).astype(np.uint8)  # same noise in R, G, B
    # within an eighth: at σ 15 the gradient's ends clip, and clipped blocks are left out
    assert estimate_noise(image) == pytest.approx(sigma, rel=0.125)


def test_auto_denoise_leaves_clean_pictures_alone_and_cleans_noisy_ones():
    clean = cv2.resize(gradient(), (200, 150), interpolation=cv2.INTER_CUBIC)
    assert estimate_noise(clean) < 1.0
    assert plan_denoise(clean, "auto").strength == 0
    assert np.array_equal(enhance(clean, EnhanceSettings(method="bicubic")), resize(clean, 2))
    assert plan_denoise(noisy(), "auto").strength > 0
    assert plan_denoise(noisy(), "seed").strength == 10
    assert plan_denoise(noisy(), 4.5).strength == 4.5
    assert plan_denoise(noisy(), "off").strength == 0
    assert estimate_noise(np.zeros((1, 1, 3), np.uint8)) == 0


def textured(noise: float = 0.0) -> np.ndarray:
    """A smooth gradient on the left quarter, fine high-contrast texture (a 2–3 px pattern
    like fur or foliage) on the rest, with Gaussian noise of σ `noise` over all of it."""
    y, x = np.mgrid[0:240, 0:320].astype(float)
    luma = 60 + x / 4 + np.where(x >= 80, 50 * np.sin(2.2 * x) * np.sin(1.9 * y), 0)
    luma += np.random.default_rng(1).normal(0, noise, luma.shape)
    return np.repeat(np.clip(luma + 0.5, 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def test_a_white_or_black_margin_shows_there_is_no_noise():
    """Its only flat part is clipped at 255 or 0; leaving it out would leave texture alone."""
    for value in (255, 0):
        picture = textured()
        picture[:, :100] = value
        assert plan_denoise(picture, "auto").strength == 0


def test_texture_does_not_read_as_noise():
    """Most of the picture is texture a whole-picture estimate reads as noise; the flat part
    shows there is none, and shows the noise once it is added."""
    assert estimate_noise(textured()) < 1.0
    assert plan_denoise(textured(), "auto").strength == 0
    # reads high by up to a quarter: the flat quarter holds more blocks than the 5 % counted
    assert 8.0 <= estimate_noise(textured(8.0)) <= 10.0
    assert plan_denoise(textured(8.0), "auto").strength > 0


def test_fine_texture_everywhere_is_not_taken_for_noise():
    """No flat part at all: fine grain (like sand or fur) reads σ 10 in the flattest blocks,
    but it does not halve at half size as noise does, so Auto leaves it alone; pure noise of
    that level keeps its reading."""
    rng = np.random.default_rng(3)
    grain = cv2.GaussianBlur(rng.normal(0, 1, (300, 400)), (0, 0), 0.7)
    grain = np.clip(128 + 36 * grain / grain.std() + 0.5, 0, 255).astype(np.uint8)
    picture = np.repeat(grain[..., None], 3, axis=2)
    assert plan_denoise(picture, "auto").strength == 0
    for shape in ((300, 400), (301, 401)):  # odd sides: half size still averages 2 × 2
        noise = np.clip(rng.normal(128, 10, shape) + 0.5, 0, 255).astype(np.uint8)
        picture = np.repeat(noise[..., None], 3, axis=2)
        assert estimate_noise(picture) == pytest.approx(10, rel=0.05)


def test_enhance_follows_the_decision_it_is_given():
    image = noisy()
    settings = EnhanceSettings(method="bicubic", scale=1)
    kept = DenoiseDecision("auto", 0.0, 1.0)
    assert np.array_equal(enhance(image, settings, decision=kept), image)
    strength = plan_denoise(image, "auto").strength
    assert np.array_equal(enhance(image, settings),
                          denoise_in_tiles(image, strength, windows=DENOISE_WINDOWS))


@pytest.mark.parametrize(("decision", "words"), [
    (DenoiseDecision("auto", 8.4, 7.0), "noise level 7.0, removed at strength 8.4"),
    (DenoiseDecision("auto", 0.0, 1.8), "no noise found (level 1.8)"),
    (DenoiseDecision("off", 0.0), "not denoised (denoising off)"),
    (DenoiseDecision("seed", 10.0), "denoised at the original app's strength 10"),
    (DenoiseDecision(4.5, 4.5), "denoised at strength 4.5"),
    (DenoiseDecision(0.0, 0.0), "not denoised (strength 0)")])
def test_the_decision_says_what_it_does(decision, words):
    assert decision.description == words


@pytest.mark.parametrize("bad", [dict(method="magic"), dict(method="learned", scale=3),
                                 dict(scale=0), dict(denoise="lots"), dict(denoise=-1)])
def test_settings_refuse_what_cannot_be_done(bad):
    with pytest.raises(ValueError):
        EnhanceSettings(**bad)


def test_resize_rejects_bad_scale():
    with pytest.raises(ValueError):
        resize(noisy(), 0)


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
    target = save_image(rgb_image, tmp_path / "out.jpg", metadata=read_metadata(source)).path
    saved = Image.open(target).getexif()
    assert saved[0x0131] == "CameraApp 1.0"
    assert saved[0x0112] == 1


def test_tiles_give_the_whole_image_result():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (300, 170, 3), dtype=np.uint8)
    for windows in (SEED_WINDOWS, DENOISE_WINDOWS):
        tiled = denoise_in_tiles(image, tile=(64, 48), windows=windows)
        assert np.array_equal(tiled, denoise_image(image, windows=windows))


def test_enhance_reports_progress_and_cancels():
    seen: list[float] = []
    enhance(noisy(), EnhanceSettings(method="bicubic", denoise="seed"), progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    calls = iter([False, True])
    with pytest.raises(Cancelled):
        enhance(np.zeros((600, 50, 3), np.uint8), EnhanceSettings(denoise="seed"),
                should_stop=lambda: next(calls, True))


def test_png_keeps_exif_and_icc_and_the_exact_pixels(tmp_path, rgb_image):
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = tmp_path / "src.jpg"
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x0112] = 8
    exif[0x010F] = "PhoneMaker"  # Make
    Image.fromarray(rgb_image).save(source, exif=exif, icc_profile=icc)
    target = save_image(rgb_image, tmp_path / "out.png", metadata=read_metadata(source)).path
    with Image.open(target) as saved:
        saved.load()
        assert np.array_equal(np.asarray(saved.convert("RGB")), rgb_image)
        assert saved.info["icc_profile"] == icc
        assert saved.getexif()[0x010F] == "PhoneMaker" and saved.getexif()[0x0112] == 1


# ---------- the window's save and Metadata tab, the CLI's checks (issues 23 and 26) ----------
@pytest.fixture
def config(tmp_path, monkeypatch):
    from ai_image_classifier.gui.settings import Settings

    monkeypatch.setenv("AIIC_CONFIG_DIR", str(tmp_path / "config"))
    return Settings()


def opened_picture(path):
    """`path` opened as the window opens it: one read, one `inspect_file`."""
    from .test_gui_flows import window

    tasks, _, _, _, pictures = window()
    pictures.open(path)
    tasks.run("open")
    return pictures.current


def test_another_spelling_of_the_originals_name_is_refused(tmp_path, config):
    from .test_gui_flows import saving

    tasks, dialogs, _, flow, opened = saving(tmp_path, config)
    before = opened.path.read_bytes()
    shouted = opened.path.with_name(opened.path.name.upper())  # the same file on Windows, macOS
    dialogs.save_answers = [str(shouted)]
    flow.ask(opened, 90)
    assert "over the original" in dialogs.errors[-1][1] and not tasks.jobs
    assert opened.path.read_bytes() == before

    from ai_image_classifier.gui.save_flow import is_original

    assert is_original(shouted, opened.path)
    assert not is_original(opened.path.with_name("other.png"), opened.path)
    link = tmp_path / "link.png"
    os.link(opened.path, link)
    assert is_original(link, opened.path)


def test_the_metadata_read_at_open_is_saved_even_if_the_file_changed(tmp_path, config):
    from .test_gui_flows import saving

    tasks, dialogs, _, flow, opened = saving(tmp_path, config)  # enhanced: bicubic 2×, no denoise
    exif = Image.Exif()
    exif[0x010F] = "Swapped in later"
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(opened.path, exif=exif.tobytes())
    dialogs.save_answers = [str(tmp_path / "out.jpg")]
    flow.ask(opened, 90)
    tasks.run()
    with Image.open(tmp_path / "out.jpg") as saved:
        assert 0x010F not in saved.getexif()
    history = saved_history(tmp_path / "out.jpg")
    assert history[-1].endswith("enhanced by algorithm (upscaling)")


def saved_history(path) -> list[str]:
    from ai_image_classifier.forensics import xmp_history

    with Image.open(path) as saved:
        xmp = saved.info.get("xmp")
    return xmp_history(xmp.encode() if isinstance(xmp, str) else xmp)


def test_the_first_save_offers_the_originals_type_then_the_last_one_used(tmp_path, config):
    from ai_image_classifier.file_types import save_dialog_types
    from ai_image_classifier.gui.save_flow import SaveFlow

    from .gui_fakes import FakeDialogs, FakeTasks, Recorder

    source = tmp_path / "photo.jpg"
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(source)
    flow = SaveFlow(FakeTasks(), FakeDialogs(), config, Recorder())
    opened = opened_picture(source)
    assert flow.suggestion(opened)[2] == "JPEG"
    config.last_save_type = "WebP"
    assert flow.suggestion(opened)[2] == "WebP"
    jpeg = dict(save_dialog_types())["JPEG"].split()
    assert {"*.jpg", "*.JPG", "*.jpeg", "*.JPEG"} <= set(jpeg)


def test_the_metadata_tab_lists_what_the_verdict_weighs_and_our_history(tmp_path):
    from ai_image_classifier.batch import BatchItem, enhance_file
    from ai_image_classifier.gui.formatting import metadata_text
    from ai_image_classifier.metadata import APP

    from .test_provenance import A1111
    from .test_saving import QUICK

    info = PngInfo()
    info.add_text("parameters", A1111)
    source = tmp_path / "sd.png"
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(source, pnginfo=info)
    enhance_file(BatchItem(source, tmp_path / "sd_2x.jpg"), QUICK)
    text = metadata_text(opened_picture(tmp_path / "sd_2x.jpg"))
    assert "EXIF UserComment 'parameters'" in text
    assert "No EXIF data" not in text and "AI-generator traces: none" not in text
    assert "Editing history (XMP):" in text and APP in text
    assert "Editing-software traces: none" not in text


def test_the_metadata_tab_says_modes_in_words_hides_empty_values_and_names_gps(tmp_path):
    from ai_image_classifier.gui.formatting import metadata_text

    exif = Image.Exif()
    exif[0x010E] = "   "  # an empty ImageDescription
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 29.88), 3: "E", 4: (2.0, 17.0, 40.0)})
    source = tmp_path / "photo.png"
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).convert("P").save(source,
                                                                       exif=exif.tobytes())
    text = metadata_text(opened_picture(source))
    assert "palette (up to 256 colours)" in text and "mode P" not in text
    assert "ImageDescription" not in text and "Make: PhoneMaker" in text
    assert "Location (GPS) recorded in the file: 48.85830, 2.29444" in text


@pytest.mark.parametrize("quality", ["0", "101", "high"])
def test_the_cli_refuses_a_quality_jpeg_cannot_take(tmp_path, quality, capsys):
    from ai_image_classifier.cli import main

    source = tmp_path / "a.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(source)
    with pytest.raises(SystemExit) as stopped:
        main(["enhance", str(source), "-o", str(tmp_path / "b.jpg"), "--quality", quality])
    assert stopped.value.code == 2 and "quality" in capsys.readouterr().err
    assert not (tmp_path / "b.jpg").exists()


def test_the_cli_refuses_an_output_folder_that_contains_the_input(tmp_path, capsys):
    from ai_image_classifier.cli import main

    inner = tmp_path / "photos" / "trip"
    (inner / "trip").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(inner / "a.png")
    Image.fromarray(np.full((8, 8, 3), 9, np.uint8)).save(inner / "trip" / "a.png")
    before = (inner / "a.png").read_bytes()
    code = main(["enhance", str(inner), "-o", str(tmp_path / "photos"), "--overwrite",
                 "--method", "bicubic", "--scale", "1", "--denoise", "off"])
    assert code == 2 and "contains" in capsys.readouterr().err
    assert (inner / "a.png").read_bytes() == before
