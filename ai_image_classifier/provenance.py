"""What a file declares about how it was made, and how much each declaration is worth.

Generator front-ends leave their parameters in the file (AUTOMATIC1111/Forge and Fooocus a
`parameters` text chunk, ComfyUI `prompt`/`workflow` JSON, InvokeAI and NovelAI their own
keys), publishers mark generated pictures in XMP with IPTC's DigitalSourceType, and signed
C2PA manifests are read and validated by `content_credentials`. What counts is one table
(`declarations`). A declaration that decides names its strength: a valid signature, or
"unsigned text that any program can write". A broken manifest, a capture claim and this app's
own "algorithmically enhanced" mark are notes that never decide. Metadata is easily stripped
or forged: its presence is evidence, its absence is none.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import defusedxml.ElementTree  # noqa: F401 - what Image.getxmp parses with; without it, none
from PIL import ExifTags, Image

from .content_credentials import ContentCredentials, read_content_credentials
from .declarations import (
    IPTC_ENHANCED,
    IPTC_GENERATED,
    UNSIGNED,
    iptc_code,
    parse_json,
    software_declaration,
    text_declarations,
)
from .imaging import ImageSource, open_header, read_bytes

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_COMMENT = 0x9286  # EXIF UserComment: where AUTOMATIC1111 keeps `parameters` in a JPEG


@dataclass(frozen=True)
class Provenance:
    generated: tuple[str, ...] = ()  # declarations that decide, each naming its strength
    notes: tuple[str, ...] = ()  # shown as evidence, never decisive (e.g. a broken manifest)
    captured: tuple[str, ...] = ()  # a trusted camera's signed capture: decides REAL
    decided_by: str = ""  # who declared what decides, in short ("signed by Google LLC")
    edited: bool = False  # the declaration is of a generative edit, not a generated picture


@dataclass(frozen=True)
class XmpFacts:
    source_types: tuple[str, ...] = ()  # IPTC DigitalSourceType codes
    creator_tools: tuple[str, ...] = ()  # xmp:CreatorTool and history software agents


def read_provenance(source: ImageSource) -> Provenance:
    """The declarations in `source`'s metadata; reads headers only.

    Damaged metadata never stops a verdict: it is logged and counts as no evidence.
    """
    try:
        data = read_bytes(source)
        with open_header(data) as image:
            return provenance_of(image, data, read_content_credentials(data, image.format))
    except Exception as error:  # noqa: BLE001 - any damage means "no evidence", never a crash
        log.info("provenance not readable: %s", error, exc_info=True)
        return Provenance()


def provenance_of(image: Image.Image, data: bytes,
                  credentials: ContentCredentials | None) -> Provenance:
    """The declarations of an opened file, with its C2PA store already read (so that a
    caller who shows the store too parses it once)."""
    decisive, notes = [], []
    if credentials and credentials.proves_capture:
        return Provenance(captured=(credentials.describe(),),
                          decided_by=f"signed by the camera: {credentials.signed_by}")
    if credentials and credentials.decides:
        decisive.append(credentials.describe())
    elif credentials:
        notes.append(credentials.describe())
    unsigned = text_declarations(text_chunks(image))
    exif = tolerant(image.getexif, None)
    if exif is not None:
        unsigned += text_declarations(user_comment_fields(exif), "EXIF UserComment")
        software = software_declaration("EXIF Software",
                                        str(exif.get(ExifTags.Base.Software, "")))
        unsigned += [software] if software else []
    xmp = xmp_facts(image)
    for code in xmp.source_types:
        if code in IPTC_GENERATED:
            unsigned.append(f"XMP IPTC DigitalSourceType {code}")
        elif code == IPTC_ENHANCED:
            tools = ", ".join(f"'{tool}'" for tool in xmp.creator_tools[-1:])
            notes.append(f"XMP IPTC DigitalSourceType {code}: the pixels were enhanced by an "
                         f"algorithm{' (' + tools + ')' if tools else ''}; not a sign of "
                         "generation")
        else:
            notes.append(f"XMP IPTC DigitalSourceType {code} ({UNSIGNED}; does not decide)")
    for tool in xmp.creator_tools:
        unsigned += filter(None, [software_declaration("XMP CreatorTool", tool)])
    comment = image.info.get("comment", b"")
    if isinstance(comment, bytes):
        unsigned += filter(None, [software_declaration(
            "JPEG comment", comment.decode("utf-8", "replace"))])
    decisive += [f"{UNSIGNED}: {text}" for text in dict.fromkeys(unsigned)]
    signed = credentials is not None and credentials.decides
    decided_by = credentials.who if signed else UNSIGNED if decisive else ""
    return Provenance(tuple(decisive), tuple(notes), decided_by=decided_by,
                      edited=signed and credentials.edited)


def tolerant(read: Callable[[], T], default: T) -> T:
    """A metadata reader's result, or `default` when that part of the file is damaged (a
    PNG's EXIF or text after its pixels makes Pillow decode them, damaged or not)."""
    try:
        return read()
    except Exception:  # noqa: BLE001 - Pillow and defusedxml raise many types for damage
        log.info("metadata part not readable", exc_info=True)
        return default


def text_chunks(image: Image.Image) -> dict[str, str]:
    """A PNG's text chunks (all of them, also those after the pixel data); {} elsewhere."""
    chunks = tolerant(lambda: getattr(image, "text", {}), {})
    return {str(key): str(value) for key, value in chunks.items()}


def user_comment_fields(exif: Image.Exif) -> dict[str, str]:
    """Text fields kept in EXIF UserComment: AUTOMATIC1111's `parameters` text, or the
    fields saving carried there as a JSON object (`metadata.for_format`)."""
    raw = tolerant(lambda: exif.get_ifd(ExifTags.IFD.Exif).get(USER_COMMENT), None)
    text = decode_user_comment(raw) if isinstance(raw, bytes) else str(raw or "")
    if not text.strip():
        return {}
    fields = parse_json(text)
    if isinstance(fields, dict):
        return {str(key): value if isinstance(value, str) else json.dumps(value)
                for key, value in fields.items()}
    return {"parameters": text}


def decode_user_comment(raw: bytes) -> str:
    """EXIF UserComment: an 8-byte character-set code, then the text."""
    code, body = raw[:8], raw[8:]
    if code.startswith(b"UNICODE"):
        if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return body.decode("utf-16", "replace")
        return body.decode("utf-16-be", "replace")
    if code.startswith(b"ASCII") or code == bytes(8):
        return body.decode("utf-8", "replace").rstrip("\0")
    return raw.decode("utf-8", "replace").rstrip("\0")


def xmp_facts(image: Image.Image) -> XmpFacts:
    """IPTC DigitalSourceType codes and creator tools from the XMP packet, parsed as XML
    (Pillow's `getxmp`, with defusedxml refusing entity expansion)."""
    tree = tolerant(image.getxmp, {})
    codes, tools = [], []
    for key, value in _walk(tree):
        if key == "DigitalSourceType":
            codes.append(iptc_code(value))
        elif key in ("CreatorTool", "softwareAgent"):
            tools.append(" ".join(value.split()))
    return XmpFacts(tuple(dict.fromkeys(codes)), tuple(dict.fromkeys(tools)))


def _walk(tree: object) -> Iterator[tuple[str, str]]:
    """(local name, text) of every leaf of `getxmp`'s tree; an `rdf:resource` or list item
    counts as its parent's. Breadth first, in document order within a level, without
    recursion: a deeply nested packet cannot exhaust the stack."""
    queue: deque[tuple[str, object]] = deque([("", tree)])
    while queue:
        key, node = queue.popleft()
        if isinstance(node, dict):
            queue += [(key if name in _CONTAINERS else name, child)
                      for name, child in node.items()]
        elif isinstance(node, list):
            queue += [(key, item) for item in node]
        elif isinstance(node, str) and key:
            yield key, node


_CONTAINERS = ("resource", "li", "text", "Alt", "Seq", "Bag")
