"""What travels from the original to the saved copy, and what a format cannot keep.

EXIF (upright: orientation reset; the Software tag kept), the ICC profile, the XMP packet and a
PNG's text chunks go into every format that can hold them. A generator's parameter text (a
declaration: `declarations.DECLARING_KEYS`) that a format cannot hold as a text chunk goes into
EXIF UserComment, as AUTOMATIC1111 does for JPEG, so a generated picture still names its
generator after an enhancement. A C2PA manifest signs the original's exact bytes and cannot
survive an edit: it is not copied, and the save says so. The enhancement is recorded in XMP:
IPTC DigitalSourceType `algorithmicallyEnhanced` (unless the original declares itself
generated, which stays) and a history entry naming this app as the software agent.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace

import defusedxml.ElementTree as SafeET
from PIL import ExifTags, Image

from . import __version__
from .content_credentials import has_manifest_bytes
from .declarations import DECLARING_KEYS, IPTC_ENHANCED, IPTC_GENERATED, IPTC_URL, iptc_code
from .imaging import ImageSource, open_header, read_bytes
from .provenance import USER_COMMENT, text_chunks

log = logging.getLogger(__name__)

APP = f"AI Image Classifier & Enhancer {__version__}"
#: TIFF tags that describe how the source stored its pixels (size, compression, strips,
#: tiles, sample layout); copied into a new file they would contradict its own pixels. The
#: XMP packet (700) travels on its own.
LAYOUT_TAGS = frozenset({254, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 284, 317, 322,
                         323, 324, 325, 338, 339, 530, 531, 700})
XMP_TEXT_KEY = "XML:com.adobe.xmp"
#: What each format can hold; BMP holds none of it.
HOLDS = {"PNG": {"exif", "icc", "xmp", "text"}, "JPEG": {"exif", "icc", "xmp"},
         "WEBP": {"exif", "icc", "xmp"}, "TIFF": {"exif", "icc", "xmp"}}
#: Bytes one JPEG segment can carry (Pillow refuses more): EXIF with its header, XMP without.
JPEG_EXIF_LIMIT, JPEG_XMP_LIMIT = 65533, 65533 - 29
NS = {"x": "adobe:ns:meta/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
      "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
      "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
      "stEvt": "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
      "dcterms": "http://purl.org/dc/terms/"}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)


@dataclass(frozen=True)
class Metadata:
    """What the original file held that a saved copy should keep."""

    exif: bytes | None = None
    icc_profile: bytes | None = None
    xmp: bytes | None = None
    text: tuple[tuple[str, str], ...] = ()  # PNG text chunks, XMP aside
    c2pa: bool = False  # a C2PA manifest, which no edit keeps valid


@dataclass(frozen=True)
class Written:
    """What one format gets, and what it could not keep, in words."""

    exif: bytes | None = None
    icc_profile: bytes | None = None
    xmp: bytes | None = None
    text: tuple[tuple[str, str], ...] = ()
    lost: tuple[str, ...] = ()


def read_metadata(source: ImageSource) -> Metadata:
    """EXIF, ICC, XMP and text chunks of `source`; orientation is reset because saved pixels
    are upright. Damaged metadata is dropped (and logged), never a reason to fail: the pixels
    matter more."""
    data = read_bytes(source)
    with open_header(data) as image:
        icc = image.info.get("icc_profile")
        icc = bytes(icc) if isinstance(icc, (bytes, bytearray)) and icc else None
        xmp = image.info.get("xmp")
        xmp = xmp.encode("utf-8") if isinstance(xmp, str) else xmp
        xmp = bytes(xmp) if isinstance(xmp, (bytes, bytearray)) and xmp else None
        text = tuple((k, v) for k, v in text_chunks(image).items() if k != XMP_TEXT_KEY)
        try:
            exif = image.getexif()
            for tag in LAYOUT_TAGS & set(exif):  # a TIFF's own layout, not the picture's
                del exif[tag]
            if ExifTags.Base.Orientation in exif:
                exif[ExifTags.Base.Orientation] = 1
            exif_bytes = exif.tobytes() if exif else None
        except Exception:  # noqa: BLE001 - Pillow raises many types for damaged EXIF
            log.info("EXIF dropped", exc_info=True)
            exif_bytes = None
        return Metadata(exif_bytes, icc, xmp, text, has_manifest_bytes(data))


def for_format(metadata: Metadata | None, image_format: str, enhanced: bool = True) -> Written:
    """What a file of `image_format` gets from `metadata`, with the enhancement recorded in
    XMP when `enhanced`, and what it cannot keep."""
    metadata = metadata or Metadata()
    holds = HOLDS.get(image_format, set())
    lost = []
    if metadata.c2pa:
        lost.append("the C2PA manifest (content credentials) signs the original's exact "
                    "bytes and cannot survive an edit: it was not copied")
    if not holds:
        kept = [name for name, present in (
            ("EXIF", metadata.exif), ("XMP", metadata.xmp), ("text chunks", metadata.text),
            ("colour profile", metadata.icc_profile)) if present]
        if kept:
            lost.append(f"{image_format} cannot hold {', '.join(kept)}; they were not kept")
        return Written(lost=tuple(lost))
    xmp = enhancement_xmp(metadata.xmp) if enhanced else metadata.xmp
    if xmp and image_format == "JPEG" and len(xmp) > JPEG_XMP_LIMIT:
        lost.append("the original's XMP is too large for one JPEG segment; only the "
                    "enhancement record was written")
        xmp = enhancement_xmp(None) if enhanced else None
    written = Written(metadata.exif, metadata.icc_profile, xmp, lost=tuple(lost))
    if "text" in holds:
        return replace(written, text=metadata.text)
    return _carry_declarations(written, metadata, image_format)


def _carry_declarations(written: Written, metadata: Metadata, image_format: str) -> Written:
    """Text chunks into a format without them: the declarations go to EXIF UserComment."""
    lost = list(written.lost)
    declaring = {k: v for k, v in metadata.text if k.lower() in DECLARING_KEYS}
    others = [k for k, _ in metadata.text if k not in declaring]
    if others:
        lost.append(f"{image_format} cannot hold PNG text chunks: "
                    f"{', '.join(others[:5])}{', …' if len(others) > 5 else ''} not kept")
    exif = written.exif
    if declaring:
        with_comment = _with_user_comment(exif, declaring)
        if image_format == "JPEG" and len(with_comment) > JPEG_EXIF_LIMIT:
            lost.append(f"the generator's text ({', '.join(declaring)}) is too large for "
                        "JPEG's EXIF: not kept (save as PNG, WebP or TIFF to keep it)")
        else:
            exif = with_comment
    return replace(written, exif=exif, lost=tuple(lost))


def _with_user_comment(exif_bytes: bytes | None, fields: dict[str, str]) -> bytes:
    """EXIF with `fields` in UserComment: AUTOMATIC1111's plain text for its `parameters`
    alone, else a JSON object of the fields (`provenance.user_comment_fields` reads both)."""
    exif = Image.Exif()
    if exif_bytes:
        exif.load(exif_bytes)
    keys = [key.lower() for key in fields]
    text = next(iter(fields.values())) if keys == ["parameters"] else json.dumps(fields)
    exif.get_ifd(ExifTags.IFD.Exif)[USER_COMMENT] = b"UNICODE\0" + text.encode("utf-16-be")
    return exif.tobytes()


def enhancement_xmp(original: bytes | None) -> bytes:
    """The original's XMP with this app's enhancement recorded (a new packet when there is
    none or it cannot be parsed): DigitalSourceType `algorithmicallyEnhanced` replaces a
    capture or other claim, but a declaration of generated content stays; a history entry
    names the app; a link to the original's C2PA manifest is dropped."""
    try:
        return _marked(_parse(original))
    except RecursionError:  # a packet nested too deeply to write back: start afresh
        log.info("XMP too deeply nested; a new packet is written")
        return _marked(ET.Element(_q("x", "xmpmeta")))


def _marked(root: ET.Element) -> bytes:
    rdf = root if root.tag == _q("rdf", "RDF") else root.find(_q("rdf", "RDF"))
    if rdf is None:
        rdf = ET.SubElement(root, _q("rdf", "RDF"))
    codes = []
    for element in list(rdf.iter()):
        # The link to the original's C2PA manifest, which no longer matches these pixels.
        element.attrib.pop(_q("dcterms", "provenance"), None)
        for child in element.findall(_q("dcterms", "provenance")):
            element.remove(child)
        if _q("Iptc4xmpExt", "DigitalSourceType") in element.attrib:
            codes.append(iptc_code(element.attrib.pop(_q("Iptc4xmpExt", "DigitalSourceType"))))
        for child in list(element):
            if child.tag == _q("Iptc4xmpExt", "DigitalSourceType"):
                codes.append(iptc_code(child.get(_q("rdf", "resource")) or child.text or ""))
                element.remove(child)
    generated = next((code for code in codes if code in IPTC_GENERATED), None)
    description = ET.SubElement(rdf, _q("rdf", "Description"), {_q("rdf", "about"): ""})
    ET.SubElement(description, _q("Iptc4xmpExt", "DigitalSourceType"),
                  {_q("rdf", "resource"): IPTC_URL + (generated or IPTC_ENHANCED)})
    history = rdf.find(f".//{_q('xmpMM', 'History')}/{_q('rdf', 'Seq')}")
    if history is None:  # one History per packet: ours continues the original's
        history = ET.SubElement(ET.SubElement(description, _q("xmpMM", "History")),
                                _q("rdf", "Seq"))
    ET.SubElement(history, _q("rdf", "li"), {
        _q("stEvt", "action"): "edited", _q("stEvt", "softwareAgent"): APP,
        _q("stEvt", "parameters"): "enhanced by algorithm (denoising, upscaling)",
        _q("stEvt", "when"): dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _parse(packet: bytes | None) -> ET.Element:
    """The packet's x:xmpmeta (or rdf:RDF) element, or a new empty one."""
    if packet:
        try:
            root = SafeET.fromstring(packet)
        except Exception:  # noqa: BLE001 - a damaged or hostile packet: start afresh
            log.info("XMP not parsed; a new packet is written", exc_info=True)
        else:
            if root.tag in (_q("x", "xmpmeta"), _q("rdf", "RDF")):
                return root
    return ET.Element(_q("x", "xmpmeta"))
