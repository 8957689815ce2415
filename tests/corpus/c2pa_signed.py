"""Pictures with real C2PA manifests, signed here with throw-away certificate chains: by
default one that no trust list knows, or a `SigningAuthority` whose root a test writes to an
anchor file (standing in for the C2PA trust list). For the content-credential tests and as
fuzzing seeds."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field

import c2pa
import numpy as np
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def _name(common: str, organisation: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])


def _usage(sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=False,
                         key_encipherment=False, data_encipherment=False,
                         key_agreement=False, key_cert_sign=not sign, crl_sign=not sign,
                         encipher_only=False, decipher_only=False)


@dataclass
class SigningAuthority:
    """A certificate authority for signers with the profile C2PA requires (a CA and an end
    entity with digitalSignature and emailProtection); `anchor_pem` is its root, for a test's
    trust list."""

    organisation: str = "aiic tests"
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def __post_init__(self) -> None:
        self.root = self._certificate(f"{self.organisation} test CA", self.key.public_key(),
                                      ca=True, valid_for=dt.timedelta(days=365))

    @property
    def anchor_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    def _certificate(self, subject: str, public_key, ca: bool,
                     valid_for: dt.timedelta) -> x509.Certificate:
        now = dt.datetime.now(dt.UTC)
        builder = (x509.CertificateBuilder().subject_name(_name(subject, self.organisation))
                   .issuer_name(_name(f"{self.organisation} test CA", self.organisation))
                   .public_key(public_key).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + valid_for)
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   .add_extension(_usage(sign=not ca), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),
                                  critical=False))
        if not ca:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
            ).add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), critical=False)
        return builder.sign(self.key, hashes.SHA256())

    def signer(self, common_name: str = "aiic test signer",
               valid_for: dt.timedelta = dt.timedelta(days=30)) -> c2pa.Signer:
        """An ES256 signer whose certificate ends `valid_for` from now (c2pa refuses to sign
        with an expired one, so an expired signature is made with a short-lived one)."""
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = self._certificate(common_name, key.public_key(), ca=False,
                                        valid_for=valid_for)
        chain = b"".join(c.public_bytes(serialization.Encoding.PEM)
                         for c in (certificate, self.root))
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        return c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", chain, pem, None))


def created(source_type: str) -> list[dict]:
    """The actions of a picture made in one step, declaring `source_type`."""
    return [{"action": "c2pa.created", "digitalSourceType": IPTC + source_type}]


def signed_picture(source_type: str, generator: str = "Test Generator",
                   pixels: np.ndarray | None = None, image_format: str = "JPEG",
                   signer: c2pa.Signer | None = None,
                   actions: list[dict] | None = None) -> bytes:
    """A picture (JPEG, or PNG) whose signed manifest declares `source_type` (or records
    `actions`), signed by `signer` or by a fresh authority nobody trusts."""
    manifest = {"claim_generator_info": [{"name": generator, "version": "1.0"}],
                "assertions": [{"label": "c2pa.actions", "data": {
                    "actions": actions or created(source_type)}}]}
    source, signed = io.BytesIO(), io.BytesIO()
    pixels = np.full((48, 64, 3), 120, np.uint8) if pixels is None else pixels
    Image.fromarray(pixels).save(source, image_format, quality=92)
    source.seek(0)
    with c2pa.Builder(json.dumps(manifest)) as builder:
        builder.sign(signer or SigningAuthority().signer(), f"image/{image_format.lower()}",
                     source, signed)
    return signed.getvalue()
