"""C2PA content credentials: read and validated with the official `c2pa-python` library.

A manifest store may hold several manifests (a generated picture later edited keeps the
generator's manifest as an ingredient); an IPTC digitalSourceType of algorithmic media in any
of them means the picture is, or contains, generated content. That declaration is believed
even when the signature does not validate: nobody forges "AI-generated" onto a photograph to
hide it. A camera-capture claim is the opposite case: anyone can sign "digitalCapture" with a
home-made certificate, so it is shown as evidence but only a trusted signer could settle a
verdict, and no trust list is configured offline.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

GENERATED_SOURCE_TYPES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia",
                          "algorithmicMedia", "compositeSynthetic")
CAPTURE_SOURCE_TYPES = ("digitalCapture",)
MIME_BY_FORMAT = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png",
                  "WEBP": "image/webp", "TIFF": "image/tiff", "HEIF": "image/heic",
                  "AVIF": "image/avif", "GIF": "image/gif"}


@dataclass(frozen=True)
class ContentCredentials:
    generators: tuple[str, ...]  # claim generators named in the store, newest first
    source_types: tuple[str, ...]  # IPTC digitalSourceType codes of every action
    state: str  # c2pa's validation state: "Trusted", "Valid" or "Invalid"
    failures: tuple[str, ...]  # validation failure codes (e.g. assertion.dataHash.mismatch)

    @property
    def generated(self) -> bool:
        return any(code in GENERATED_SOURCE_TYPES for code in self.source_types)

    @property
    def captured(self) -> bool:
        return any(code in CAPTURE_SOURCE_TYPES for code in self.source_types)

    @property
    def signature(self) -> str:
        """The validation result in words."""
        if self.state == "Trusted":
            return "signature valid, signer trusted"
        altered = [code for code in self.failures if code != "signingCredential.untrusted"]
        if altered:
            return f"manifest fails validation ({', '.join(altered[:3])})"
        return "signature valid, signer not on a trust list"

    def describe(self) -> str:
        codes = [c for c in dict.fromkeys(self.source_types)
                 if c in GENERATED_SOURCE_TYPES + CAPTURE_SOURCE_TYPES]
        by = f" by '{self.generators[0]}'" if self.generators else ""
        declared = f": digitalSourceType {', '.join(codes)}" if codes else ""
        return f"C2PA manifest{by}{declared} ({self.signature})"


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

        with c2pa.Reader(mime, io.BytesIO(data)) as reader:
            store = json.loads(reader.json())
            state = str(reader.get_validation_state() or "Invalid")
    except Exception:  # noqa: BLE001 - c2pa raises its own types for damaged stores
        log.info("C2PA store not readable", exc_info=True)
        return None
    manifests = store.get("manifests") or {}
    active = store.get("active_manifest")
    ordered = [manifests[active]] if active in manifests else []
    ordered += [m for label, m in manifests.items() if label != active]
    generators, source_types = [], []
    for manifest in ordered:
        if not isinstance(manifest, dict):
            continue
        info = manifest.get("claim_generator_info") or []
        name = info[0].get("name") if info and isinstance(info[0], dict) else None
        name = name or manifest.get("claim_generator")
        if name:
            generators.append(str(name))
        source_types += _source_types(manifest.get("assertions") or [])
    failures = tuple(str(item.get("code")) for item in store.get("validation_status") or []
                     if isinstance(item, dict))
    return ContentCredentials(tuple(generators), tuple(source_types), state, failures)


def _source_types(assertions: list) -> list[str]:
    codes = []
    for assertion in assertions:
        if not isinstance(assertion, dict):
            continue
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for action in (assertion.get("data") or {}).get("actions") or []:
            url = action.get("digitalSourceType") if isinstance(action, dict) else None
            if url:
                codes.append(str(url).rstrip("/").rsplit("/", 1)[-1])
    return codes
