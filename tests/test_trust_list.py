"""The C2PA trust list: the bundled one, a newer one in the config folder, and what a
signer's standing decides (a generator named as on the list, a camera's capture, an edit).

Manifests are signed here by test authorities; the test's own anchor file stands in for the
C2PA list, as a newer list dropped into the user's config folder would."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from ai_image_classifier.classifier import Classifier
from ai_image_classifier.content_credentials import (
    read_content_credentials,
    trust_list,
    user_trust_folder,
)
from ai_image_classifier.provenance import read_provenance
from ai_image_classifier.verdict import Verdict, verdict_record

pytest.importorskip("c2pa", reason="c2pa-python is in requirements.txt")

from .corpus.c2pa_signed import IPTC, SigningAuthority, signed_picture  # noqa: E402
from .test_content_credentials import altered  # noqa: E402

ISSUED = "2026-11-30"
GOOGLE = SigningAuthority("Google LLC")
LEICA = SigningAuthority("Leica Camera AG")


@pytest.fixture
def config(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("AIIC_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


@pytest.fixture
def test_list(config) -> Path:
    """A newer trust list in the user's config folder that holds the test authorities."""
    folder = user_trust_folder()
    folder.mkdir(parents=True)
    (folder / "C2PA-TRUST-LIST.pem").write_bytes(GOOGLE.anchor_pem + LEICA.anchor_pem)
    (folder / "C2PA-TRUST-LIST.json").write_text(json.dumps(
        {"LoTE": {"ListAndSchemeInformation": {"ListIssueDateTime": f"{ISSUED}T08:00:00Z"}}}))
    return folder


def model_said(label: str) -> Verdict:
    return Verdict(label, 0.3, 0.5)


def judged(path: Path, model_label: str = "uncertain") -> Verdict:
    return Classifier.with_provenance(model_said(model_label), read_provenance(path))


def test_the_bundled_list_is_the_c2pa_list_with_its_date(config):
    bundled = trust_list()
    assert bundled and bundled.bundled and bundled.issued == "2026-08-05"
    assert bundled.anchors.count("BEGIN CERTIFICATE") == 30
    assert "the C2PA trust list of 2026-08-05, bundled with the app" in bundled.describe()


def test_a_newer_list_in_the_config_folder_replaces_the_bundled_one(test_list):
    used = trust_list()
    assert used and not used.bundled and used.issued == ISSUED and used.folder == test_list
    assert str(test_list) in used.describe()


def test_a_copy_older_than_the_bundled_list_is_not_used(test_list):
    """After an update brings a newer list, a copy put in the config folder long ago must
    not hide the signers added since."""
    (test_list / "C2PA-TRUST-LIST.json").write_text(json.dumps(
        {"LoTE": {"ListAndSchemeInformation": {"ListIssueDateTime": "2025-01-31T08:00:00Z"}}}))
    used = trust_list()
    assert used and used.bundled and used.issued == "2026-08-05"


def test_a_list_without_certificates_is_not_used(config):
    folder = user_trust_folder()
    folder.mkdir(parents=True)
    (folder / "C2PA-TRUST-LIST.pem").write_text("not a certificate")
    used = trust_list()
    assert used and used.bundled  # a broken copy never leaves the app without its list


def test_a_generator_on_the_list_is_named_as_it_signs(test_list, tmp_path):
    path = tmp_path / "gemini.jpg"
    path.write_bytes(signed_picture("trainedAlgorithmicMedia", "Gemini",
                                    signer=GOOGLE.signer("Google Media Processing Services")))
    credentials = read_content_credentials(path.read_bytes(), "JPEG")
    assert credentials and credentials.state == "Trusted" and credentials.decides
    verdict = judged(path, "real")
    assert verdict.label == "fake" and verdict.model_answer == "real"
    assert verdict.text == "AI-GENERATED — the file says so (signed by Google LLC)"
    assert verdict.declared[0].startswith(
        f"C2PA manifest signed by Google LLC (on the C2PA trust list of {ISSUED})")
    record = verdict_record("gemini.jpg", verdict)
    assert (record["decided_by"], record["declared_by"]) == ("declaration",
                                                             "signed by Google LLC")


def test_the_same_signer_off_the_list_is_named_as_such(config, tmp_path):
    """Without the test anchors (the bundled list only) the signature is valid but unknown."""
    path = tmp_path / "gemini.jpg"
    path.write_bytes(signed_picture("trainedAlgorithmicMedia", "Gemini",
                                    signer=GOOGLE.signer("Google Media Processing Services")))
    verdict = judged(path)
    assert verdict.label == "fake"
    assert verdict.text == ("AI-GENERATED — the file says so (signed by 'Google Media "
                            "Processing Services (Google LLC)', not on a trust list)")
    assert "signature valid (signer not on a trust list)" in verdict.declared[0]


def test_a_trusted_camera_capture_decides_real(test_list, tmp_path):
    path = tmp_path / "leica.jpg"
    path.write_bytes(signed_picture("digitalCapture", "Leica M11-P",
                                    signer=LEICA.signer("Leica M11-P")))
    verdict = judged(path, "fake")
    assert verdict.label == "real" and verdict.model_answer == "fake"
    assert verdict.text == "REAL PHOTOGRAPH — signed by the camera: Leica Camera AG"
    assert verdict.declared[0].startswith("C2PA manifest signed by the camera: Leica Camera AG")
    assert verdict_record("leica.jpg", verdict)["decided_by"] == "declaration"


def test_an_untrusted_capture_is_a_note(config, tmp_path):
    path = tmp_path / "leica.jpg"
    path.write_bytes(signed_picture("digitalCapture", "Leica M11-P",
                                    signer=LEICA.signer("Leica M11-P")))
    verdict = judged(path, "fake")
    assert verdict.label == "fake" and verdict.decider == "model" and verdict.declared == ()
    (note,) = verdict.notes
    assert "a capture claim does not decide: the signer is not on a trust list" in note


def test_a_capture_with_a_broken_binding_is_a_note(test_list, tmp_path):
    path = tmp_path / "leica.jpg"
    path.write_bytes(altered(signed_picture("digitalCapture", "Leica M11-P",
                                            signer=LEICA.signer("Leica M11-P"))))
    verdict = judged(path, "fake")
    assert verdict.label == "fake" and verdict.decider == "model"
    (note,) = verdict.notes
    assert "fails validation (assertion.dataHash.mismatch)" in note and "does not decide" in note


def test_a_capture_signed_with_an_expired_certificate_is_a_note(test_list, tmp_path):
    path = tmp_path / "leica.jpg"
    signer = LEICA.signer("Leica M11-P", valid_for=dt.timedelta(seconds=1))
    path.write_bytes(signed_picture("digitalCapture", "Leica M11-P", signer=signer))
    time.sleep(3)  # c2pa signs only with a valid certificate: let this one run out
    verdict = judged(path, "fake")
    assert verdict.label == "fake" and verdict.decider == "model"
    (note,) = verdict.notes
    assert "signingCredential.expired" in note and "does not decide" in note


def test_a_capture_followed_by_a_generative_edit_is_ai_edited(test_list, tmp_path):
    path = tmp_path / "filled.jpg"
    actions = [{"action": "c2pa.created", "digitalSourceType": IPTC + "digitalCapture"},
               {"action": "c2pa.edited",
                "digitalSourceType": IPTC + "compositeWithTrainedAlgorithmicMedia",
                "softwareAgent": {"name": "Photoshop"}, "description": "Generative Fill"}]
    path.write_bytes(signed_picture("digitalCapture", "Leica M11-P",
                                    signer=LEICA.signer("Leica M11-P"), actions=actions))
    verdict = judged(path, "real")
    assert verdict.label == "fake" and verdict.edited
    assert verdict.text == "AI-EDITED — the file says so (signed by Leica Camera AG)"
    assert ("AI-edited: c2pa.edited (compositeWithTrainedAlgorithmicMedia, 'Photoshop' "
            "Generative Fill)") in verdict.declared[0]


def _store(active_actions: list[dict], ingredient_actions: list[dict]) -> dict:
    """A c2pa store as the reader reports it: a trusted, bound active manifest and the
    manifest of the ingredient it opened."""
    def manifest(actions: list[dict], organisation: str) -> dict:
        return {"claim_generator_info": [{"name": organisation}],
                "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions}}],
                "signature_info": {"common_name": organisation, "issuer": organisation}}

    return {"active_manifest": "urn:active",
            "manifests": {"urn:active": manifest(active_actions, "Trusted Editor Inc"),
                          "urn:ingredient": manifest(ingredient_actions, "Home-made Camera")},
            "validation_results": {"activeManifest": {
                "success": [{"code": "assertion.dataHash.match"}]}}}


CAPTURE = {"action": "c2pa.created",
           "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"}


def test_only_the_trusted_signer_s_own_capture_claim_proves_a_photograph():
    """A trusted editor's manifest over an ingredient whose (untrusted) manifest claims a
    capture does not make the picture a camera's: the claim is not the trusted signer's."""
    from ai_image_classifier.content_credentials import _credentials

    opened = {"action": "c2pa.opened"}
    relayed = _credentials(_store([opened], [CAPTURE]), "Trusted")
    assert relayed.captured and not relayed.proves_capture
    own = _credentials(_store([CAPTURE], []), "Trusted")
    assert own.proves_capture
