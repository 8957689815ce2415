"""C2PA content credentials: manifests signed here with a throw-away certificate chain."""

from __future__ import annotations

import numpy as np
import pytest

from ai_image_classifier.classifier import Classifier
from ai_image_classifier.content_credentials import read_content_credentials
from ai_image_classifier.provenance import Provenance, read_provenance
from ai_image_classifier.verdict import Verdict, verdict_record

pytest.importorskip("c2pa", reason="c2pa-python is in requirements.txt")

from .corpus.c2pa_signed import signed_picture  # noqa: E402 - only once c2pa is there


def altered(data: bytes) -> bytes:
    """The same file with one byte of its pixel data changed: the manifest's hash fails."""
    changed = bytearray(data)
    changed[-100] ^= 0xFF
    return bytes(changed)


def model_said(label: str = "real") -> Verdict:
    return Verdict(label, 0.1, 0.5)


def test_a_valid_ai_manifest_decides_and_names_signer_and_strength(tmp_path):
    path = tmp_path / "firefly.jpg"
    path.write_bytes(signed_picture("trainedAlgorithmicMedia", "Adobe Firefly"))
    credentials = read_content_credentials(path.read_bytes(), "JPEG")
    assert credentials and credentials.decides and credentials.state == "Valid"
    verdict = Classifier.with_provenance(model_said(), read_provenance(path))
    assert verdict.label == "fake" and verdict.model_answer == "real"
    assert verdict.declared == (
        "C2PA manifest signed by 'aiic test signer (aiic tests)', made with 'Adobe Firefly', "
        "signature valid (signer not on a trust list): digitalSourceType "
        "trainedAlgorithmicMedia",)
    assert verdict.evidence[-1] == "the model sees: real (score 0.10)"


def test_an_altered_ai_manifest_is_a_note_and_never_decides(tmp_path):
    path = tmp_path / "edited.jpg"
    path.write_bytes(altered(signed_picture("compositeWithTrainedAlgorithmicMedia")))
    provenance = read_provenance(path)
    assert provenance.generated == ()
    (note,) = provenance.notes
    assert "fails validation (assertion.dataHash.mismatch)" in note
    assert "compositeWithTrainedAlgorithmicMedia" in note and "does not decide" in note
    verdict = Classifier.with_provenance(model_said("real"), provenance)
    assert verdict.label == "real" and verdict.declared == () and note in verdict.evidence


def test_a_photograph_with_a_broken_manifest_gets_the_models_verdict(tmp_path):
    """The goal: attaching a broken "AI-generated" manifest cannot discredit a photograph."""
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:480, 0:640]
    photo = np.clip(np.stack([x / 3, y / 2, (x + y) / 5], axis=-1) % 256
                    + rng.normal(0, 4, (480, 640, 3)), 0, 255).astype(np.uint8)
    path = tmp_path / "photo.jpg"
    path.write_bytes(altered(signed_picture("trainedAlgorithmicMedia", "Forger", photo)))
    classifier = Classifier.load()
    verdict = classifier.classify_file(path)
    model_alone = classifier.classify_file(path, provenance=Provenance())
    assert (verdict.label, verdict.probability) == (model_alone.label, model_alone.probability)
    assert verdict.declared == () and any("fails validation" in n for n in verdict.notes)
    record = verdict_record("photo.jpg", verdict)
    assert record["declared"] == [] and record["label"] == record["model"]["label"]


def test_a_capture_claim_is_shown_but_does_not_decide(tmp_path):
    path = tmp_path / "camera.jpg"
    path.write_bytes(signed_picture("digitalCapture", "Leica M11-P"))
    provenance = read_provenance(path)
    assert provenance.generated == ()
    (note,) = provenance.notes
    assert "digitalCapture" in note and "Leica" in note and "does not decide" in note
    verdict = Classifier.with_provenance(model_said("fake"), provenance)
    assert verdict.label == "fake" and note in verdict.evidence  # the model still decides


def test_files_without_a_manifest_cost_nothing_and_say_nothing(tmp_path, jpeg_file):
    assert read_content_credentials(jpeg_file.read_bytes(), "JPEG") is None
    fake_box = b"\xff\xd8" + b"jumb c2pa but not a store" + jpeg_file.read_bytes()[2:]
    assert read_content_credentials(fake_box, "JPEG") is None  # damaged: no evidence, no crash
