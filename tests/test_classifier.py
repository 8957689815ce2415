"""Loading models and turning pictures into verdicts."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from ai_image_classifier.cards import ModelLoadError, bundled_model_dir
from ai_image_classifier.classifier import Classifier, ViewSpec
from ai_image_classifier.imaging import ImageDecodeError
from ai_image_classifier.verdict import LABEL_TEXT, Verdict

from .conftest import needs_encoder, write_face_folder


def test_verdict_texts_are_the_seeds():
    assert Verdict("real", 0.2, 0.5).text == "REAL IMAGE"
    assert Verdict("fake", 0.8, 0.5).text == "IMAGE MIGHT BE AI-GENERATED OR EDITED"
    assert set(LABEL_TEXT) == {"real", "fake", "uncertain"}


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="not found"):
        Classifier.load(tmp_path / "none.tflite")


@pytest.mark.parametrize("suffix", [".tflite", ".keras"])
def test_corrupt_model_is_a_clear_error(tmp_path, suffix):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"this is not a model")
    with pytest.raises(ModelLoadError, match="broken"):
        Classifier.load(path)


def test_unknown_model_type(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"x")
    with pytest.raises(ModelLoadError, match="unknown model type"):
        Classifier.load(path)


def test_threshold_comes_from_the_card(tiny_model):
    import json

    card = json.loads(tiny_model.with_suffix(".card.json").read_text())
    from dataclasses import replace

    from ai_image_classifier.calibration import Calibration

    classifier = Classifier.load(tiny_model.with_suffix(".tflite"))
    assert classifier.threshold == card["threshold"]
    assert classifier.half_width == card["uncertain_half_width"]
    assert classifier.calibration == Calibration.from_card(card) != Calibration()
    no_band = replace(classifier, half_width=0.0)
    assert no_band.verdict(card["threshold"]).label == "fake"
    assert no_band.verdict(np.nextafter(card["threshold"], 0)).label == "real"


def test_model_without_card_uses_half(tiny_model, tmp_path):
    lone = shutil.copy(tiny_model.with_suffix(".tflite"), tmp_path / "lone.tflite")
    assert Classifier.load(lone).threshold == 0.5


def test_keras_and_litert_give_the_same_verdicts(tiny_model, tmp_path):
    files = sorted(write_face_folder(tmp_path, per_class=3).rglob("*.jpg"))
    fast = Classifier.load(tiny_model.with_suffix(".tflite"))
    canonical = Classifier.load(tiny_model)
    pairs = zip(fast.classify_files(files), canonical.classify_files(files), strict=True)
    for (_, a), (_, b) in pairs:
        assert abs(a.probability - b.probability) <= 1e-5


def test_batch_keeps_order_and_reports_bad_files(tiny_model, tmp_path):
    files = sorted(write_face_folder(tmp_path, per_class=3).rglob("*.jpg"))
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    paths = files[:2] + [bad] + files[2:]
    classifier = Classifier.load(tiny_model.with_suffix(".tflite"))
    results = list(classifier.classify_files(paths, batch_size=2))
    assert [path for path, _ in results] == paths
    assert isinstance(results[2][1], ImageDecodeError)
    singles = [classifier.classify_file(p).probability for p in files]
    batched = [r.probability for _, r in results if isinstance(r, Verdict)]
    assert np.allclose(singles, batched, atol=1e-6)


def test_classify_image_matches_classify_file_closely(tiny_model, tmp_path, monkeypatch):
    """The window judges its full decode, the CLI a JPEG decoded in draft mode at a fraction
    of its size: on a photo large enough for draft mode to apply, both agree."""
    from ai_image_classifier import model_input

    from .test_general import photo_like

    path = tmp_path / "large.jpg"
    photo_like(2048, 1536).save(path, quality=92)
    decoded: list[tuple[int, int]] = []
    real_open_rgb = model_input.open_rgb

    def recording_open_rgb(*args, **kwargs):
        image = real_open_rgb(*args, **kwargs)
        decoded.append(image.size)
        return image

    monkeypatch.setattr(model_input, "open_rgb", recording_open_rgb)
    classifier = Classifier.load(tiny_model.with_suffix(".tflite"))
    from_file = classifier.classify_file(path).probability
    assert decoded and max(decoded[-1]) < 2048, "the file was decoded in draft mode"
    full = real_open_rgb(path)
    assert full.size == (2048, 1536)
    assert classifier.classify_image(full).probability == pytest.approx(from_file, abs=0.02)


def test_bundled_model_classifies(jpeg_file):
    if not (bundled_model_dir() / "ai_imageclassifier.tflite").is_file():
        pytest.fail("the bundled model is missing from model/")
    classifier = Classifier.load()
    verdict = classifier.classify_file(jpeg_file)
    assert verdict.label in ("real", "fake", "uncertain") and 0.0 <= verdict.probability <= 1.0
    assert classifier.threshold == classifier.card["threshold"]


class FixedScores:
    """A backend that returns the scores it is given, to test the verdict logic alone."""

    input_size = 8

    def __init__(self, scores):
        self.scores = np.asarray(scores, dtype=float)

    def predict(self, batch):
        return self.scores[: len(batch)]


def test_calibration_and_band_shape_the_verdict():
    from ai_image_classifier.calibration import Calibration

    classifier = Classifier(FixedScores([0.9, 0.55, 0.1]), threshold=0.5,
                            calibration=Calibration(0.5, 0.0), half_width=0.05)
    probabilities = classifier.predict_batch(np.zeros((3, 8, 8, 3), np.uint8))
    assert probabilities[0] == pytest.approx(1 / (1 + np.exp(-0.5 * np.log(9))))
    labels = [classifier.verdict(p).label for p in probabilities]
    assert labels == ["fake", "uncertain", "real"]
    assert Verdict("uncertain", 0.52, 0.5, 0.05).text == "UNCERTAIN: THE MODEL CANNOT TELL"


def test_a_real_answer_carries_the_cards_caveat_and_no_other_does():
    caveat = "No sign of AI generation found. That is weak evidence."
    classifier = Classifier(FixedScores([0.0]), threshold=0.5, half_width=0.05,
                            card={"low_score_caveat": caveat})
    assert classifier.verdict(0.1).caveat == caveat
    assert classifier.verdict(0.9).caveat == classifier.verdict(0.52).caveat == ""
    assert Classifier(FixedScores([0.0])).verdict(0.1).caveat == ""


def test_bundled_models_by_name():
    from ai_image_classifier.cards import bundled_model_names

    assert {"ai_imageclassifier", "general_detector", "seed_cnn"} <= set(bundled_model_names())
    seed = Classifier.load("seed_cnn")
    assert seed.source.name == "seed_cnn.tflite" and seed.card["architecture"] == "seed_cnn"
    face = Classifier.load("ai_imageclassifier")
    assert face.card["architecture"] == "mobilenet_v2" and face.general is None
    default = Classifier.load()
    assert default.card["face_model"] == "ai_imageclassifier" and default.general is not None


class LeftHalfBrightness:
    """A backend whose score depends on which way the face looks, so mirroring changes it."""

    input_size = 8

    def predict(self, batch):
        return batch[:, :, :4].mean(axis=(1, 2, 3)) / 255.0 * 0.98 + 0.01


def test_flip_averaging_is_the_mean_logit_of_both_views():
    from ai_image_classifier.backends import FlipAveragedBackend
    from ai_image_classifier.calibration import logit

    image = np.zeros((1, 8, 8, 3), np.uint8)
    image[:, :, :4] = 200  # bright left half: the mirror image has a dark left half
    plain = LeftHalfBrightness()
    left, right = plain.predict(image)[0], plain.predict(image[:, :, ::-1])[0]
    averaged = FlipAveragedBackend(plain).predict(np.concatenate([image, image]))
    expected = 1 / (1 + np.exp(-(logit(left) + logit(right)) / 2))
    assert left > 0.7 and right < 0.05
    np.testing.assert_allclose(averaged, [expected, expected], rtol=1e-9)
    symmetric = np.full((1, 8, 8, 3), 90, np.uint8)
    np.testing.assert_allclose(FlipAveragedBackend(plain).predict(symmetric),
                               plain.predict(symmetric), rtol=1e-9)


def test_card_turns_flip_averaging_on(tiny_model, tmp_path):
    import json

    from ai_image_classifier.backends import FlipAveragedBackend
    from ai_image_classifier.cards import FLIP_AVERAGE

    model = shutil.copy(tiny_model.with_suffix(".tflite"), tmp_path / "m.tflite")
    card = json.loads(tiny_model.with_suffix(".card.json").read_text())
    assert card["test_time_augmentation"] == FLIP_AVERAGE  # trained with --flip-average
    (tmp_path / "m.card.json").write_text(json.dumps(card))
    assert isinstance(Classifier.load(model).backend, FlipAveragedBackend)
    card["test_time_augmentation"] = None
    (tmp_path / "m.card.json").write_text(json.dumps(card))
    assert not isinstance(Classifier.load(model).backend, FlipAveragedBackend)


def test_a_score_that_is_not_a_number_is_uncertain_never_real():
    classifier = Classifier(backend=None, threshold=0.5, half_width=0.1)  # type: ignore[arg-type]
    verdict = classifier.verdict(float("nan"))
    assert verdict.label == "uncertain"
    assert any("no usable score" in reason for reason in verdict.limits)


def test_an_encoder_that_fails_its_run_leaves_the_face_network_working(monkeypatch):
    from ai_image_classifier import clip_encoder

    def broken_check(self):
        raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : kernel failed")

    monkeypatch.setattr(clip_encoder.ClipEncoder, "self_check", broken_check)
    classifier = Classifier.load()
    assert classifier.general is None
    assert "failed to run" in classifier.general_off
    assert classifier.classify_image(np.full((96, 96, 3), 128, np.uint8)).label == "uncertain"


def test_one_failing_picture_does_not_end_a_batch(tmp_path, monkeypatch):
    model = Classifier.load("seed_cnn")
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"p{i}.png")
        Image.fromarray(np.full((64, 64, 3), 40 * (i + 1), np.uint8)).save(paths[-1])
    real_verdicts = Classifier.verdicts

    def fail_on_the_second(self, inputs):
        if any(int(i.pixels.mean()) == 80 for i in inputs):
            raise ValueError("boom")
        return real_verdicts(self, inputs)

    monkeypatch.setattr(Classifier, "verdicts", fail_on_the_second)
    results = dict(model.classify_files(paths))
    assert isinstance(results[paths[0]], Verdict) and isinstance(results[paths[2]], Verdict)
    assert isinstance(results[paths[1]], ImageDecodeError)
    assert "could not be processed" in str(results[paths[1]])


def test_a_scan_reads_each_file_once_for_its_pixels_and_its_declarations(tmp_path, monkeypatch):
    """One read serves both, so a file replaced meanwhile cannot lend its declarations to
    another file's pixels."""
    import builtins

    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1")
    path = tmp_path / "generated.png"
    Image.fromarray(np.full((96, 96, 3), 90, np.uint8)).save(path, pnginfo=info)
    opened: list[str] = []
    real_open = builtins.open

    def counting_open(file, mode="r", *args, **kwargs):
        if str(file) == str(path):
            opened.append(mode)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    ((_, verdict),) = Classifier.load("seed_cnn").classify_files([path])
    assert opened == ["rb"]
    assert verdict.declared and "parameters" in verdict.declared[0]


@pytest.mark.parametrize("name", ["seed_cnn", "ai_imageclassifier"])
def test_the_view_spec_read_from_the_cards_is_the_loaded_models(name):
    from ai_image_classifier.classifier import expected_view_spec

    assert expected_view_spec(name) == Classifier.load(name).view_spec


@needs_encoder
def test_the_default_detectors_view_spec_is_known_before_it_loads():
    from ai_image_classifier.classifier import expected_view_spec

    classifier = Classifier.load()
    assert classifier.general is not None
    assert expected_view_spec() == classifier.view_spec == ViewSpec(128, True, 2)


def test_no_view_spec_is_guessed_for_a_model_file_or_a_damaged_card(tmp_path, monkeypatch):
    from ai_image_classifier import classifier as module

    assert module.expected_view_spec(str(tmp_path / "model.tflite")) is None
    monkeypatch.setattr(module, "read_card_file", lambda path: {"face_model": "x"})
    assert module.expected_view_spec("seed_cnn") is None


def test_views_made_beforehand_are_used_only_for_the_same_spec():
    """A verdict from views made while the model loaded equals one made on the spot; views
    made for another spec (another model was loaded meanwhile) are made again."""
    from ai_image_classifier.classifier import PreparedPicture

    from .test_general import photo_like

    classifier = Classifier.load("seed_cnn")
    picture, other = np.asarray(photo_like(seed=1)), np.asarray(photo_like(seed=2))
    own = classifier.classify_image(picture)
    ahead = PreparedPicture.of(picture, classifier.view_spec)
    assert classifier.classify_image(picture, prepared=ahead) == own
    # the views given are the ones judged: another picture's views give its verdict
    swapped = PreparedPicture.of(other, classifier.view_spec)
    assert classifier.classify_image(other) != own
    assert classifier.classify_image(picture, prepared=swapped) == classifier.classify_image(
        other)
    stale = PreparedPicture.of(other, ViewSpec(classifier.input_size * 2))
    assert classifier.classify_image(picture, prepared=stale) == own
