"""The verdict's and the model's wording, without a display."""

from __future__ import annotations

import json

import pytest

from ai_image_classifier.cards import bundled_model_dir, bundled_model_names
from ai_image_classifier.gui import model_text
from ai_image_classifier.gui.verdict_text import band_rule, verdict_view
from ai_image_classifier.verdict import Verdict

INTERNAL_NAMES = ("general_detector", "ai_imageclassifier", "seed_cnn", "mobilenet",
                  "P(AI", "h = 10")


def card(name: str) -> dict:
    return json.loads((bundled_model_dir() / f"{name}.card.json").read_text())


def test_band_edges_have_one_decimal_so_they_match_the_answer():
    verdict = Verdict("uncertain", 0.397, threshold=0.4696, half_width=0.0700)
    rule = band_rule(verdict)
    assert "Below 39.96%" not in rule and "Below 40.0%" in rule  # 0.3996 → 40.0 %, not 40 %
    assert "from 54.0%" in rule
    assert band_rule(Verdict("fake", 0.9, 0.5)) == "From 50.0% it answers AI-generated or edited."


def test_a_declared_file_keeps_the_declaration_and_the_models_own_answer_apart():
    """The panel that contradicted itself: a red headline, a bar at 17.9 % in the real zone
    and "cannot judge", all at once."""
    verdict = Verdict("fake", 0.179, 0.5, 0.1, declared=(
        "PNG text chunk 'parameters' (Stable Diffusion): unsigned text that any program can "
        "write",), notes=("C2PA manifest that fails validation (assertion.dataHash.mismatch)",),
        model_label="real")
    view = verdict_view(verdict, general=True)
    assert view.headline == "IMAGE MIGHT BE AI-GENERATED OR EDITED" and view.tone == "fake"
    assert view.declared.startswith("PNG text chunk 'parameters' (Stable Diffusion)")
    assert "unsigned text" in view.declared and "does not decide" in view.declared
    assert view.model.startswith("On its own, the model answers real (score 17.9%)")
    assert view.score == pytest.approx(0.179) and view.score_tone == "real"  # the bar's colour
    assert "cannot judge" not in view.declared + view.model


def test_limits_are_the_models_and_its_score_is_not_an_answer():
    verdict = Verdict("uncertain", 0.81, 0.5, 0.1, limits=("too small to judge (40×30 pixels)",))
    view = verdict_view(verdict, general=True)
    assert view.headline.startswith("UNCERTAIN") and view.tone == "neutral"
    assert view.model.startswith("The model cannot judge this picture: too small")
    assert "not an answer" in view.model and view.score_tone == "neutral"
    assert view.declared == ""


def test_a_real_answer_says_what_it_is_worth_and_the_face_model_its_limits():
    caveat = "New photorealistic generators are often missed."
    real = verdict_view(Verdict("real", 0.1, 0.5, caveat=caveat), general=True)
    assert real.caveat == caveat
    assert verdict_view(Verdict("fake", 0.9, 0.5, caveat=caveat), general=True).caveat == ""
    face_only = verdict_view(Verdict("real", 0.1, 0.5), general=False)
    assert "trained on face photos" in face_only.model
    off = verdict_view(Verdict("real", 0.1, 0.5, face=(0.1, 0.1, 0.5, 0.5)), general=False,
                       general_off="its encoder file is missing")
    assert "the face it found" in off.model and "trained on face photos" not in off.model


def test_people_never_read_internal_names():
    shown = [model_text.status_line(card(name)) for name in bundled_model_names()]
    shown += [model_text.summary(card(name)) for name in bundled_model_names()]
    shown += list(model_text.menu_titles(bundled_model_names()))
    shown += [verdict_view(Verdict("real", 0.1, 0.5), general=True).model]
    for text in shown:
        assert not any(name in text for name in INTERNAL_NAMES), text
    titles = list(model_text.menu_titles(bundled_model_names()))
    assert titles[0] == "Whole picture and faces (recommended)"


def test_the_seed_model_is_described_as_mostly_uncertain():
    seed = card("seed_cnn")
    unsure = seed["metrics"]["test"]["overall"]["uncertain_rate"]
    text = model_text.summary(seed)
    assert f"\"uncertain\" for {unsure:.0%}" in text and "face photos only" in text


def test_the_model_window_says_what_a_low_score_is_worth():
    detector = {"name": "general_detector", "face_model": "ai_imageclassifier",
                "low_score_caveat": "No sign of AI generation found. That is weak evidence.",
                "held_out": [{"family": "sdxl", "test": {"detected": 1.0}},
                             {"family": "stylegan2_ffhq", "test": {"detected": 0.03}},
                             {"family": "flux", "test": {"detected": 0.9}}]}
    text = model_text.summary(detector)
    assert "each of 3 families left out" in text and "a median 90%" in text
    assert "only 3% of the worst one's (StyleGAN2" in text
    assert text.endswith("So a \"real\" answer: No sign of AI generation found. That is weak "
                         "evidence.")
    assert "left out" not in model_text.summary({"name": "seed_cnn"})


def test_the_model_window_leads_with_camera_photographs():
    """False flags on photographs it never saw come before the test-set figures."""
    rate = {"n": 46, "ai": 0.02, "uncertain": 0.25}
    detector = {"name": "general_detector", "face_model": "ai_imageclassifier",
                "metrics": {"test": {"overall": {"n": 900, "uncertain_rate": 0.1,
                                                 "accuracy_outside_band": 0.97}}},
                "photographs": {
                    "test": {"camera": rate, "generated": {"n": 10, "ai": 0.6,
                                                           "uncertain": 0.2}},
                    "shared_test": {"jpeg80": {"camera": {**rate, "ai": 0.04}},
                                    "scale50": {"camera": rate}},
                    "maker_out": [{"maker": "Canon", "n": 64, "ai": 0.05, "uncertain": 0.2},
                                  {"maker": "Apple", "n": 30, "ai": 0.0, "uncertain": 0.3}]}}
    text = model_text.summary(detector)
    camera = text.index("Camera and phone photos it never trained on (46 pictures): it wrongly "
                        "answered \"AI\" for 2%")
    assert camera < text.index("On 900 test pictures")
    assert "at most 4% wrongly answered" in text and "the worst (Canon) had 5%" in text
    assert "(10): it answered \"AI\" for 60%" in text
    assert "Camera and phone" not in model_text.summary(card("seed_cnn"))


def test_a_deciding_declaration_is_named_in_the_headline_and_starts_with_a_capital():
    """Not the model's "MIGHT BE": the file says so, and who said it is named."""
    verdict = Verdict("fake", 0.2, 0.5, declared=(
        "unsigned text that any program can write: PNG text chunk 'parameters'",),
        model_label="real", decided_by="unsigned text that any program can write")
    view = verdict_view(verdict, general=True)
    assert view.headline == ("AI-GENERATED — the file says so (unsigned text that any program "
                             "can write)")
    assert view.declared.startswith("Unsigned text that any program can write: PNG text chunk")
    signed = Verdict("fake", 0.2, 0.5, declared=("C2PA manifest …",), model_label="real",
                     decided_by="signed by Google LLC")
    assert verdict_view(signed, general=True).headline == (
        "AI-GENERATED — the file says so (signed by Google LLC)")
    assert Verdict("fake", 0.2, 0.5, decided_by="signed by Adobe Inc", edited=True).text == (
        "AI-EDITED — the file says so (signed by Adobe Inc)")


def test_a_camera_signed_real_verdict_names_the_camera_and_not_the_models_caveat():
    verdict = Verdict("real", 0.8, 0.5, declared=("C2PA manifest signed by the camera: …",),
                      model_label="fake", decided_by="signed by the camera: Leica Camera AG",
                      caveat="New photorealistic generators are often missed.")
    view = verdict_view(verdict, general=True)
    assert view.headline == "REAL PHOTOGRAPH — signed by the camera: Leica Camera AG"
    assert view.tone == "real" and view.score_tone == "fake" and view.caveat == ""


def test_the_model_and_about_windows_say_which_trust_list_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv("AIIC_CONFIG_DIR", str(tmp_path))
    text = model_text.trust_list_text()
    assert text.startswith("Content credentials are checked against the C2PA trust list of "
                           "2026-08-05, bundled with the app.")
    assert str(tmp_path / "c2pa-trust") in text  # where a newer list goes


def test_what_the_detector_read_is_said_as_it_is():
    """It reads native crops and, through its face network, the face or the whole picture:
    never "the whole picture" for the general detector's part."""
    from ai_image_classifier.gui.verdict_text import model_part

    plain = model_part(Verdict("real", 0.1, 0.5), general=True)
    with_face = model_part(Verdict("real", 0.1, 0.5, face=(0.1, 0.1, 0.5, 0.5)), general=True)
    assert "samples of the picture at its own resolution" in plain
    assert "the whole picture with its face network" in plain
    assert "the face it found" in with_face and "whole picture" not in with_face
