"""C2PA content credentials: read and validated with the official `c2pa-python` library,
offline.

A manifest store may hold several manifests (a generated picture later edited keeps the
generator's manifest as an ingredient); an IPTC digitalSourceType of algorithmic media in any
of them means the picture is, or contains, generated content. That declaration decides only
when the manifest validates: attaching a broken or altered manifest is exactly how a real
photograph could be discredited, so such a manifest is shown and never decides.

Signers are checked against the C2PA trust list bundled with the app (`trust_list`; a newer copy
in the user's config folder replaces it): a signer off the list is named as such (anyone can
make a certificate). A capture claim decides REAL only when the camera's signer is on the list,
the hard binding to the pixels holds and no step of the chain used a generative model; a
capture followed by a generative edit is AI-edited, and the edit is named.

c2pa's defaults would fetch a manifest that a file only links to (an XMP `dcterms:provenance`
URL) and check certificates over OCSP; both are turned off, and no host is allowed, so opening
a file never reaches the network.
"""

from __future__ import annotations

import functools
import io
import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

from .declarations import IPTC_CAPTURE, IPTC_GENERATED, iptc_code
from .resources import resource_path
from .user_dirs import config_dir

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
#: Validation successes that prove the manifest is bound to these very bytes (a hard binding).
HARD_BINDINGS = ("assertion.dataHash.match", "assertion.bmffHash.match",
                 "assertion.boxesHash.match", "assertion.collectionHash.match")
#: Codes that mark an action as the use of a generative model on the picture.
GENERATIVE = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia")
TRUST_FOLDER = "c2pa-trust"
ANCHORS_FILE = "C2PA-TRUST-LIST.pem"
LIST_FILE = "C2PA-TRUST-LIST.json"  # the same list in ETSI TS 119 602 form: its issue date


@dataclass(frozen=True)
class TrustList:
    """The claim signers' trust anchors that validation uses, and where they come from."""

    anchors: str  # PEM certificates
    issued: str  # the list's issue date (YYYY-MM-DD); "" when it does not say
    folder: Path
    bundled: bool

    @property
    def name(self) -> str:
        return f"the C2PA trust list of {self.issued}" if self.issued else (
            "the C2PA trust list (undated)")

    def describe(self) -> str:
        """Which list is in use, for the Model…/About… window."""
        where = ("bundled with the app" if self.bundled
                 else f"from {self.folder} (replaces the bundled one)")
        return (f"Content credentials are checked against {self.name}, {where}. A newer "
                f"{ANCHORS_FILE} (with its {LIST_FILE}) put in {user_trust_folder()} "
                "replaces it.")


def user_trust_folder() -> Path:
    return config_dir() / TRUST_FOLDER


def trust_list() -> TrustList | None:
    """The user's copy of the trust list when it holds certificates and is not older than the
    bundled one (an app update may bring a newer list than a copy put there long ago), else
    the bundled one; None only when neither can be read: every signer is then "not on a trust
    list"."""
    found = []
    for folder, bundled in ((user_trust_folder(), False),
                            (resource_path("assets", TRUST_FOLDER), True)):
        try:
            changed = (folder / ANCHORS_FILE).stat().st_mtime_ns
        except OSError:
            continue
        found += filter(None, [_read_trust_list(folder, bundled, changed)])
    if len(found) == 2 and found[0].issued and found[0].issued < found[1].issued:
        log.warning("the trust list in %s (%s) is older than the bundled one (%s); not used",
                    found[0].folder, found[0].issued, found[1].issued)
        return found[1]
    return found[0] if found else None


@functools.lru_cache(maxsize=4)
def _read_trust_list(folder: Path, bundled: bool, changed: int) -> TrustList | None:
    """The list in `folder`, read once per version of its file (`changed`: its mtime) rather
    than on every picture opened."""
    try:
        anchors = (folder / ANCHORS_FILE).read_text("ascii")
    except (OSError, UnicodeDecodeError):
        return None
    if "-----BEGIN CERTIFICATE-----" not in anchors:
        log.warning("%s holds no certificate; not used", folder / ANCHORS_FILE)
        return None
    return TrustList(anchors, _issue_date(folder / LIST_FILE), folder, bundled)


def _issue_date(path: Path) -> str:
    """`ListIssueDateTime` of an ETSI TS 119 602 list, as YYYY-MM-DD; "" when unreadable."""
    try:
        info = json.loads(path.read_text("utf-8"))["LoTE"]["ListAndSchemeInformation"]
        return str(info["ListIssueDateTime"])[:10]
    except (OSError, ValueError, KeyError, TypeError):
        return ""


@dataclass(frozen=True)
class ContentCredentials:
    generators: tuple[str, ...]  # claim generators named in the store, newest first
    source_types: tuple[str, ...]  # IPTC digitalSourceType codes of every action
    state: str  # c2pa's validation state: "Trusted", "Valid" or "Invalid"; or REMOTE
    failures: tuple[str, ...]  # validation failure codes (e.g. assertion.dataHash.mismatch)
    signer: str = ""  # the active manifest's signing certificate, as it names itself
    organisation: str = ""  # the signing certificate's organisation (e.g. "Google LLC")
    trust_list: str = ""  # the name of the list the signer was checked against
    bound: bool = False  # a hard binding to the file's bytes validated
    edits: tuple[str, ...] = ()  # generative steps after the picture was made, in words
    #: The active manifest's own actions declare a capture: the signer checked is the one
    #: that claims it (an ingredient's claim is signed by whoever made that ingredient).
    captured_by_signer: bool = False

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
    def edited(self) -> bool:
        """A capture (or a picture) that a generative model changed afterwards, or into which
        a generated ingredient was put."""
        return self.decides and (bool(self.edits) or self.captured)

    @property
    def proves_capture(self) -> bool:
        """A signer on the trust list claims a capture in its own manifest, bound to these
        pixels, and nothing in the chain used a generative model: strong evidence of a real
        photograph."""
        return (self.state == "Trusted" and self.valid and self.bound and self.captured_by_signer
                and not self.generated)

    @property
    def signed_by(self) -> str:
        """Who signed, as the certificate's organisation names itself."""
        return self.organisation or self.signer

    @property
    def signature(self) -> str:
        """The validation result in words."""
        if self.broken_by or not self.valid:
            return f"fails validation ({', '.join(self.broken_by[:3]) or self.state})"
        if self.state == "Trusted":
            return "signature valid"  # the signer's standing is said beside its name
        return "signature valid (signer not on a trust list)"

    @property
    def who(self) -> str:
        """Who signed, short, for a headline: "signed by Google LLC"."""
        if self.state == "Trusted" and self.valid:
            return f"signed by {self.signed_by}"
        return f"signed by '{self.signer}', not on a trust list" if self.signer else "unsigned"

    @property
    def standing(self) -> str:
        """Who signed and their standing, in plain words: "signed by Google LLC (on the C2PA
        trust list of 2026-08-05)"."""
        if self.state == "Trusted" and self.valid:
            return f"signed by {self.signed_by} (on {self.trust_list or 'a trust list'})"
        return f"signed by '{self.signer}' (not on a trust list)" if self.signer else "unsigned"

    def describe(self) -> str:
        if self.state == REMOTE:
            return ("C2PA manifest stored elsewhere and only linked from the file: not "
                    "fetched, this app never goes online")
        codes = [c for c in dict.fromkeys(self.source_types)
                 if c in IPTC_GENERATED + IPTC_CAPTURE]
        made = f", made with '{self.generators[0]}'" if self.generators else ""
        declared = f": digitalSourceType {', '.join(codes)}" if codes else ""
        if self.proves_capture:
            return (f"C2PA manifest signed by the camera: {self.signed_by} (on "
                    f"{self.trust_list}){made}, {self.signature}{declared}; the pixels are "
                    "the ones signed and no step used a generative model")
        if self.state == "Trusted" and self.valid:
            signed = f" {self.standing}"
        else:
            signed = f" signed by '{self.signer}'" if self.signer else ""
        text = f"C2PA manifest{signed}{made}, {self.signature}{declared}"
        if self.edits and self.valid:
            text += f"; AI-edited: {'; '.join(self.edits)}"
        if self.generated and not self.valid:
            text += " (a broken manifest does not decide)"
        elif self.captured and not self.generated:
            why = ("the signer is not on a trust list" if self.valid and self.state != "Trusted"
                   else "it does not validate" if not self.valid
                   else "the pixels are not bound to it")
            text += f" (a capture claim does not decide: {why})"
        return text


def has_manifest_bytes(data: bytes) -> bool:
    """A C2PA store is a JUMBF box labelled "c2pa"; cheap to look for before parsing."""
    return b"jumb" in data and b"c2pa" in data


def read_content_credentials(data: bytes, image_format: str | None) -> ContentCredentials | None:
    """The store's credentials, or None when there is none or it cannot be read (logged)."""
    mime = MIME_BY_FORMAT.get(image_format or "")
    if mime is None or not has_manifest_bytes(data):
        return None
    trusted = trust_list()
    try:
        import c2pa

        with c2pa.Context.from_dict(validation_settings(trusted)) as context, \
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
    credentials = _credentials(store, state)
    return replace(credentials, trust_list=trusted.name) if trusted else credentials


def validation_settings(trusted: TrustList | None) -> dict:
    """c2pa's settings: offline, with the trust list's anchors when there is one."""
    if trusted is None:
        return OFFLINE_SETTINGS
    return {**OFFLINE_SETTINGS, "trust": {"trust_anchors": trusted.anchors}}


def _credentials(store: dict, state: str) -> ContentCredentials:
    manifests = store.get("manifests") or {}
    manifests = manifests if isinstance(manifests, dict) else {}
    active = store.get("active_manifest")
    ordered = [manifests[active]] if active in manifests else []
    ordered += [m for label, m in manifests.items() if label != active]
    generators, source_types, edits, captured_by_signer = [], [], [], False
    for position, manifest in enumerate(ordered):
        if not isinstance(manifest, dict):
            continue
        info = manifest.get("claim_generator_info") or []
        name = info[0].get("name") if isinstance(info, list) and info and isinstance(
            info[0], dict) else None
        name = name or manifest.get("claim_generator")
        if name:
            generators.append(str(name))
        actions = _actions(manifest.get("assertions") or [])
        codes = [iptc_code(a["digitalSourceType"]) for a in actions if a.get("digitalSourceType")]
        source_types += codes
        captured_by_signer |= position == 0 and active in manifests and any(
            code in IPTC_CAPTURE for code in codes)
        edits += [_edit(a) for a in actions if _is_generative_edit(a)]
    failures = tuple(str(item.get("code")) for item in store.get("validation_status") or []
                     if isinstance(item, dict))
    active_manifest = ordered[0] if ordered and isinstance(ordered[0], dict) else {}
    info = active_manifest.get("signature_info")
    info = info if isinstance(info, dict) else {}
    name, organisation = str(info.get("common_name") or ""), str(info.get("issuer") or "")
    signer = (f"{name} ({organisation})" if name and organisation and organisation != name
              else name or organisation)
    return ContentCredentials(tuple(generators), tuple(source_types), state, failures, signer,
                              organisation, bound=_bound(store), edits=tuple(edits),
                              captured_by_signer=captured_by_signer)


def _bound(store: dict) -> bool:
    """Whether c2pa matched the active manifest's hard binding against the file's bytes."""
    results = store.get("validation_results")
    active = results.get("activeManifest") if isinstance(results, dict) else None
    success = active.get("success") if isinstance(active, dict) else None
    if not isinstance(success, list):
        return False
    return any(isinstance(item, dict) and item.get("code") in HARD_BINDINGS for item in success)


def _actions(assertions: object) -> list[dict]:
    """Every action of the manifest's c2pa.actions assertions (v1 and v2)."""
    found = []
    for assertion in assertions if isinstance(assertions, list) else []:
        if not isinstance(assertion, dict):
            continue
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        data = assertion.get("data")
        actions = data.get("actions") if isinstance(data, dict) else None
        found += [a for a in actions if isinstance(a, dict)] if isinstance(actions, list) else []
    return found


def _is_generative_edit(action: dict) -> bool:
    """A step that changed an existing picture with a generative model (creating a picture
    with one is `generated`, not an edit)."""
    code = iptc_code(action.get("digitalSourceType") or "")
    return code in GENERATIVE and (action.get("action") != "c2pa.created"
                                   or code == "compositeWithTrainedAlgorithmicMedia")


def _edit(action: dict) -> str:
    """A generative edit in words: the action, its source type and its tool."""
    agent = action.get("softwareAgent")
    tool = agent.get("name") if isinstance(agent, dict) else agent
    detail = " ".join(filter(None, [f"'{tool}'" if tool else "",
                                    str(action.get("description") or "")[:80]]))
    code = iptc_code(action.get("digitalSourceType"))
    return f"{action.get('action', 'an action')} ({code}{', ' + detail if detail else ''})"
