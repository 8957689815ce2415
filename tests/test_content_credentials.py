"""C2PA content credentials: manifests signed here with a throw-away certificate chain."""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import pytest
from PIL import Image

from ai_image_classifier.classifier import Classifier, Verdict, verdict_record
from ai_image_classifier.content_credentials import read_content_credentials
from ai_image_classifier.provenance import Provenance, read_provenance

c2pa = pytest.importorskip("c2pa", reason="c2pa-python is in requirements.txt")
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def _signer():
    """An ES256 signer whose certificate has the profile C2PA requires (a CA and an end
    entity with digitalSignature and emailProtection), trusted by nobody."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "aiic tests")])

    def usage(sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=sign, content_commitment=False,
                             key_encipherment=False, data_encipherment=False,
                             key_agreement=False, key_cert_sign=not sign, crl_sign=not sign,
                             encipher_only=False, decipher_only=False)

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def certificate(subject: str, public_key, ca: bool) -> x509.Certificate:
        builder = (x509.CertificateBuilder().subject_name(name(subject))
                   .issuer_name(name("aiic test CA")).public_key(public_key)
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   .add_extension(usage(sign=not ca), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),
                                  critical=False))
        if not ca:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
            ).add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
        return builder.sign(ca_key, hashes.SHA256())

    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (
        certificate("aiic test signer", key.public_key(), ca=False),
        certificate("aiic test CA", ca_key.public_key(), ca=True)))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", chain, pem, None))


def signed_jpeg(source_type: str, generator: str = "Test Generator",
                pixels: np.ndarray | None = None) -> bytes:
    manifest = {"claim_generator_info": [{"name": generator, "version": "1.0"}],
                "assertions": [{"label": "c2pa.actions", "data": {"actions": [
                    {"action": "c2pa.created", "digitalSourceType": IPTC + source_type}]}}]}
    source, signed = io.BytesIO(), io.BytesIO()
    pixels = np.full((48, 64, 3), 120, np.uint8) if pixels is None else pixels
    Image.fromarray(pixels).save(source, "JPEG", quality=92)
    source.seek(0)
    with c2pa.Builder(json.dumps(manifest)) as builder:
        builder.sign(_signer(), "image/jpeg", source, signed)
    return signed.getvalue()


def altered(data: bytes) -> bytes:
    """The same file with one byte of its pixel data changed: the manifest's hash fails."""
    changed = bytearray(data)
    changed[-100] ^= 0xFF
    return bytes(changed)


def model_said(label: str = "real") -> Verdict:
    return Verdict(label, 0.1, 0.5)


def test_a_valid_ai_manifest_decides_and_names_signer_and_strength(tmp_path):
    path = tmp_path / "firefly.jpg"
    path.write_bytes(signed_jpeg("trainedAlgorithmicMedia", "Adobe Firefly"))
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
    path.write_bytes(altered(signed_jpeg("compositeWithTrainedAlgorithmicMedia")))
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
    path.write_bytes(altered(signed_jpeg("trainedAlgorithmicMedia", "Forger", photo)))
    classifier = Classifier.load()
    verdict = classifier.classify_file(path)
    model_alone = classifier.classify_file(path, provenance=Provenance())
    assert (verdict.label, verdict.probability) == (model_alone.label, model_alone.probability)
    assert verdict.declared == () and any("fails validation" in n for n in verdict.notes)
    record = verdict_record("photo.jpg", verdict)
    assert record["declared"] == [] and record["label"] == record["model"]["label"]


def test_a_capture_claim_is_shown_but_does_not_decide(tmp_path):
    path = tmp_path / "camera.jpg"
    path.write_bytes(signed_jpeg("digitalCapture", "Leica M11-P"))
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
