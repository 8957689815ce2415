"""Pictures with real C2PA manifests, signed here with a throw-away certificate chain that no
trust list knows: for the content-credential tests and as fuzzing seeds."""

from __future__ import annotations

import datetime as dt
import io
import json

import c2pa
import numpy as np
from PIL import Image

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def _signer() -> c2pa.Signer:
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


def signed_picture(source_type: str, generator: str = "Test Generator",
                pixels: np.ndarray | None = None, image_format: str = "JPEG") -> bytes:
    """A picture (JPEG, or PNG) whose signed manifest declares `source_type`."""
    manifest = {"claim_generator_info": [{"name": generator, "version": "1.0"}],
                "assertions": [{"label": "c2pa.actions", "data": {"actions": [
                    {"action": "c2pa.created", "digitalSourceType": IPTC + source_type}]}}]}
    source, signed = io.BytesIO(), io.BytesIO()
    pixels = np.full((48, 64, 3), 120, np.uint8) if pixels is None else pixels
    Image.fromarray(pixels).save(source, image_format, quality=92)
    source.seek(0)
    with c2pa.Builder(json.dumps(manifest)) as builder:
        builder.sign(_signer(), f"image/{image_format.lower()}", source, signed)
    return signed.getvalue()
