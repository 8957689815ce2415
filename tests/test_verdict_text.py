"""The verdict's wording, without a display."""

from __future__ import annotations

from ai_image_classifier.classifier import Verdict
from ai_image_classifier.gui.verdict_text import band_rule, explanation


def test_band_edges_have_one_decimal_so_they_match_the_answer():
    verdict = Verdict("uncertain", 0.397, threshold=0.4696, half_width=0.0700)
    rule = band_rule(verdict)
    assert "Below 39.96%" not in rule and "Below 40.0%" in rule  # 0.3996 → 40.0 %, not 40 %
    assert "from 54.0%" in rule
    assert band_rule(Verdict("fake", 0.9, 0.5)) == "From 50.0% it answers AI-generated or edited."


def test_explanation_names_what_decided_and_what_limits_it():
    verdict = Verdict("fake", 0.2, 0.5, declared=("PNG text chunk 'parameters' (ComfyUI)",),
                      notes=("C2PA manifest: digitalSourceType digitalCapture",),
                      limits=("too small to judge (40×30 pixels)",))
    text = explanation(verdict, general=True)
    assert "The file says it was generated: PNG text chunk" in text
    assert "easily stripped or forged" in text and "anyone can sign" in text
    assert "cannot judge this picture: too small" in text
    assert "trained on face photos" not in text
    assert "trained on face photos" in explanation(Verdict("real", 0.1, 0.5), general=False)


def test_the_seed_model_is_described_as_mostly_uncertain():
    import json

    from ai_image_classifier.classifier import bundled_model_dir
    from ai_image_classifier.gui.model_text import summary

    card = json.loads((bundled_model_dir() / "seed_cnn.card.json").read_text())
    unsure = card["metrics"]["test"]["overall"]["uncertain_rate"]
    text = summary(card)
    assert f"\"uncertain\" for {unsure:.0%}" in text and "face photos only" in text
