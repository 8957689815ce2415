"""C2PA content credentials: read and validated with the official `c2pa-python` library,
offline.

A manifest store may hold several manifests (a generated picture later edited keeps the
generator's manifest as an ingredient); an IPTC digitalSourceType of algorithmic media in any
of them means the picture is, or contains, generated content. That declaration decides only
when the manifest validates: attaching a broken or altered manifest is exactly how a real
photograph could be discredited, so such a manifest is shown and never decides. A signer that
is not on a trust list is named as such (anyone can make a certificate; no trust list is
configured offline), and a camera-capture claim never decides on its own.

c2pa's defaults would fetch a manifest that a file only links to (an XMP `dcterms:provenance`
URL) and check certificates over OCSP; both are turned off, and no host is allowed, so opening
a file never reaches the network.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass

from .declarations import IPTC_CAPTURE, IPTC_GENERATED, iptc_code

log = logging.getLogger(__name__)

MIME_BY_FORMAT = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png",
                  "WEBP": "image/webp", "TIFF": "image/tiff", "HEIF": "image/heic",
                  "AVIF": "image/avif", "GIF": "image/gif"}
#: c2pa settings that keep reading offline (c2pa-rs's `verify` and `core` sections).
OFFLINE_SETTINGS = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
                    "core": {"allowed_network_hosts": []}}
#: The one validation failure that leaves a manifest intact: nobody vouches for the signer.
UNTRUSTED = "signingCredential.untrusted"
REMOTE = "Remote"  # the state of a store that is only linked from the file, never fetched


@dataclass(frozen=True)
class ContentCredentials:
    generators: tuple[str, ...]  # claim generators named in the store, newest first
    source_types: tuple[str, ...]  # IPTC digitalSourceType codes of every action
    state: str  # c2pa's validation state: "Trusted", "Valid" or "Invalid"; or REMOTE
    failures: tuple[str, ...]  # validation failure codes (e.g. assertion.dataHash.mismatch)
    signer: str = ""  # the active manifest's signing certificate, as it names itself

    @property
    def generated(self) -> bool:
        return any(code in IPTC_GENERATED for code in self.source_types)

    @property
    def captured(self) -> bool:
        return any(code in IPTC_CAPTURE for code in self.source_types)

    @property
    def valid(self) -> bool:
        """Signature and hashes check out (the signer may still be unknown)."""
        return self.state in ("Valid", "Trusted") and not self.broken_by

    @property
    def broken_by(self) -> list[str]:
        return [code for code in self.failures if code != UNTRUSTED]

    @property
    def decides(self) -> bool:
        """A valid manifest that declares generated content settles the verdict."""
        return self.valid and self.generated

    @property
    def signature(self) -> str:
        """The validation result in words."""
        if self.broken_by or not self.valid:
            return f"fails validation ({', '.join(self.broken_by[:3]) or self.state})"
        if self.state == "Trusted":
            return "signature valid, signer trusted"
        return "signature valid (signer not on a trust list)"

    def describe(self) -> str:
        if self.state == REMOTE:
            return ("C2PA manifest stored elsewhere and only linked from the file: not "
                    "fetched, this app never goes online")
        codes = [c for c in dict.fromkeys(self.source_types)
                 if c in IPTC_GENERATED + IPTC_CAPTURE]
        signed = f" signed by '{self.signer}'" if self.signer else ""
        made = f", made with '{self.generators[0]}'" if self.generators else ""
        declared = f": digitalSourceType {', '.join(codes)}" if codes else ""
        text = f"C2PA manifest{signed}{made}, {self.signature}{declared}"
        if self.generated and not self.valid:
            text += " (a broken manifest does not decide)"
        elif self.captured and not self.generated:
            text += " (a capture claim does not decide)"
        return text


def has_manifest_bytes(data: bytes) -> bool:
    """A C2PA store is a JUMBF box labelled "c2pa"; cheap to look for before parsing."""
    return b"jumb" in data and b"c2pa" in data


def read_content_credentials(data: bytes, image_format: str | None) -> ContentCredentials | None:
    """The store's credentials, or None when there is none or it cannot be read (logged)."""
    mime = MIME_BY_FORMAT.get(image_format or "")
    if mime is None or not has_manifest_bytes(data):
        return None
    try:
        import c2pa

        with c2pa.Context.from_dict(OFFLINE_SETTINGS) as context, \
                c2pa.Reader(mime, io.BytesIO(data), context=context) as reader:
            store = json.loads(reader.json())
            state = str(reader.get_validation_state() or "Invalid")
    except Exception as error:  # noqa: BLE001 - c2pa raises its own types for damaged stores
        if str(error).startswith(f"{REMOTE}:"):
            return ContentCredentials((), (), REMOTE, ())
        log.info("C2PA store not readable", exc_info=True)
        return None
    if not isinstance(store, dict):
        return None
    return _credentials(store, state)


def _credentials(store: dict, state: str) -> ContentCredentials:
    manifests = store.get("manifests") or {}
    manifests = manifests if isinstance(manifests, dict) else {}
    active = store.get("active_manifest")
    ordered = [manifests[active]] if active in manifests else []
    ordered += [m for label, m in manifests.items() if label != active]
    generators, source_types = [], []
    for manifest in ordered:
        if not isinstance(manifest, dict):
            continue
        info = manifest.get("claim_generator_info") or []
        name = info[0].get("name") if isinstance(info, list) and info and isinstance(
            info[0], dict) else None
        name = name or manifest.get("claim_generator")
        if name:
            generators.append(str(name))
        source_types += _source_types(manifest.get("assertions") or [])
    failures = tuple(str(item.get("code")) for item in store.get("validation_status") or []
                     if isinstance(item, dict))
    signer = _signer(ordered[0]) if ordered and isinstance(ordered[0], dict) else ""
    return ContentCredentials(tuple(generators), tuple(source_types), state, failures, signer)


def _signer(manifest: dict) -> str:
    info = manifest.get("signature_info")
    if not isinstance(info, dict):
        return ""
    name, issuer = str(info.get("common_name") or ""), str(info.get("issuer") or "")
    return f"{name} ({issuer})" if name and issuer and issuer != name else name or issuer


def _source_types(assertions: object) -> list[str]:
    codes = []
    for assertion in assertions if isinstance(assertions, list) else []:
        if not isinstance(assertion, dict):
            continue
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        data = assertion.get("data")
        actions = data.get("actions") if isinstance(data, dict) else None
        for action in actions if isinstance(actions, list) else []:
            url = action.get("digitalSourceType") if isinstance(action, dict) else None
            if url:
                codes.append(iptc_code(url))
    return codes
