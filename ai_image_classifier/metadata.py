"""What travels from the original to the saved copy, and what a format cannot keep.

EXIF (upright: orientation reset; the Software tag kept), the ICC profile, the XMP packet and a
PNG's text chunks go into every format that can hold them. A generator's parameter text (a
declaration: `declarations.DECLARING_KEYS`) that a format cannot hold as a text chunk goes into
EXIF UserComment, as AUTOMATIC1111 does for JPEG, so a generated picture still names its
generator after an enhancement. A C2PA manifest signs the original's exact bytes and cannot
survive an edit: it is not copied, and the save says so. The enhancement is recorded in XMP:
IPTC DigitalSourceType `algorithmicallyEnhanced` (unless the original declares itself
generated, which stays) and a history entry naming this app and the steps that ran.

Each part is checked against the target format's size limits before encoding: only a part the
format cannot hold is dropped, and `Written.lost` names it. A declaration of generation (an IPTC
code in XMP, a valid C2PA manifest's, generator parameters or a generator naming itself in EXIF
or a JPEG comment) is never weakened: the XMP packet written, fresh or carried, declares it.
Saved EXIF describes the saved pixels (size, and orientation reset because they are upright).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
from PIL import ExifTags, Image, PngImagePlugin

from . import __version__
from .content_credentials import ContentCredentials, has_manifest_bytes, read_content_credentials
from .declarations import DECLARING_KEYS, IPTC_ENHANCED, IPTC_GENERATED, IPTC_URL, iptc_code
from .imaging import ImageSource, open_header, read_bytes
from .provenance import USER_COMMENT, Provenance, provenance_of, text_chunks, tolerant, xmp_facts

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
#: Bytes one JPEG segment can carry (Pillow refuses more): EXIF with its header, XMP without;
#: an ICC profile is split over at most 255 segments of 65519 bytes.
JPEG_EXIF_LIMIT, JPEG_XMP_LIMIT, JPEG_ICC_LIMIT = 65533, 65533 - 29, 255 * (65533 - 14)
#: The largest part each format holds (WebP and TIFF hold gigabytes: no practical limit).
SIZE_LIMITS = {"JPEG": {"EXIF": JPEG_EXIF_LIMIT, "XMP": JPEG_XMP_LIMIT,
                        "colour profile": JPEG_ICC_LIMIT}}
#: What readers accept where the format itself would hold more: Pillow (so this app) refuses to
#: open a PNG whose colour profile inflates past 1 MB (found by the save fuzz).
READER_LIMITS = {"PNG": {"colour profile": PngImagePlugin.MAX_TEXT_CHUNK}}
EXIF_WIDTH, EXIF_HEIGHT = 0xA002, 0xA003  # ExifImageWidth/Height, in the Exif IFD
#: What a history entry calls each step of an enhancement.
DENOISING, UPSCALING, DOWNSCALING = "denoising", "upscaling", "downscaling"
#: An IPTC generated code in a packet that cannot be parsed as XML (the URL form is standard).
_GENERATED_URL = re.compile(
    rb"DigitalSourceType[^<]{0,200}?digitalsourcetype/(" +
    b"|".join(code.encode() for code in IPTC_GENERATED) + rb")\b", re.IGNORECASE)
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
    #: The IPTC code of a generation declared in XMP or by a valid C2PA manifest: a save
    #: must never weaken it, even where the packet or the manifest cannot be carried.
    generated: str | None = None
    #: Whether any declaration decides (parameters, a generator naming itself in EXIF or a
    #: JPEG comment too): a save that cannot carry it declares the copy generated in XMP.
    declares: bool = False


@dataclass(frozen=True)
class Written:
    """What one format gets, and what it could not keep, in words."""

    exif: bytes | None = None
    icc_profile: bytes | None = None
    xmp: bytes | None = None
    text: tuple[tuple[str, str], ...] = ()
    lost: tuple[str, ...] = ()


def read_metadata(source: ImageSource) -> Metadata:
    """What a save of `source` keeps: `metadata_of` on its bytes."""
    data = read_bytes(source)
    with open_header(data) as image:
        return metadata_of(image, data)


def metadata_of(image: Image.Image, data: bytes,
                credentials: ContentCredentials | None | bool = True,
                provenance: Provenance | None = None) -> Metadata:
    """EXIF, ICC, XMP and text chunks of an opened file, and the generation it declares
    (`for_format` makes the EXIF describe the saved pixels). `credentials` and `provenance`:
    the C2PA store and the declarations as the caller already read them, else read here.
    Damaged metadata is dropped (and logged), never a reason to fail: the pixels matter more."""
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
        exif_bytes = exif.tobytes() if exif else None
    except Exception:  # noqa: BLE001 - Pillow raises many types for damaged EXIF
        log.info("EXIF dropped", exc_info=True)
        exif_bytes = None
    if credentials is True:
        credentials = read_content_credentials(data, image.format)
    if provenance is None:
        provenance = tolerant(lambda: provenance_of(image, data, credentials or None),
                              Provenance())
    declares = bool(provenance.generated)
    return Metadata(exif_bytes, icc, xmp, text, has_manifest_bytes(data),
                    _declared_generation(image, xmp, credentials or None), declares)


def _declared_generation(image: Image.Image, xmp: bytes | None,
                         credentials: ContentCredentials | None) -> str | None:
    """The IPTC generated code the file declares: in XMP as the verdict reads it (or, where
    the packet is not XML, in its standard URL form), else in a valid C2PA manifest. A broken
    manifest decides nothing, so it is not carried either."""
    codes = list(tolerant(lambda: xmp_facts(image).source_types, ()))
    found = _GENERATED_URL.search(xmp) if xmp else None
    codes += [found.group(1).decode()] if found else []
    if credentials is not None and credentials.decides:
        codes += credentials.source_types
    by_name = {code.lower(): code for code in IPTC_GENERATED}
    return next((by_name[c.lower()] for c in codes if c.lower() in by_name), None)


def _lost_declaration(metadata: Metadata, exif: bytes | None, text: tuple[tuple[str, str], ...],
                      xmp: bytes | None) -> str | None:
    """`trainedAlgorithmicMedia` when the original declares generation but the parts a save
    writes would not (EXIF too large, a JPEG comment), read as the verdict reads a file."""
    if not metadata.declares:
        return None
    info = PngImagePlugin.PngInfo()
    packet = ((XMP_TEXT_KEY, xmp.decode("utf-8", "replace")),) if xmp else ()
    for key, value in (*text, *packet):
        info.add_itxt(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "PNG", pnginfo=info, exif=exif or b"")
    with open_header(buffer.getvalue()) as image:
        kept = tolerant(lambda: provenance_of(image, buffer.getvalue(), None).generated, ())
    return None if kept else "trainedAlgorithmicMedia"


def enhancement_steps(scale: float, denoised: bool) -> tuple[str, ...]:
    """The steps an enhancement took, as its history entry names them."""
    resized = () if scale == 1 else (UPSCALING if scale > 1 else DOWNSCALING,)
    return ((DENOISING,) if denoised else ()) + resized


def for_format(metadata: Metadata | None, image_format: str, enhanced: bool = True, *,
               size: tuple[int, int] | None = None, steps: tuple[str, ...] = ()) -> Written:
    """What a file of `image_format` gets from `metadata`, and what it cannot keep. With
    `enhanced`, XMP records the enhancement and its `steps`; `size` (width, height) of the
    saved pixels goes into EXIF."""
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
    exif = _fits(_describing(metadata.exif, size), "EXIF", image_format, lost)
    icc = _fits(metadata.icc_profile, "colour profile", image_format, lost)
    text, generated = (), metadata.generated
    if "text" in holds:
        text = _png_text(metadata.text, lost)
    else:
        exif, carried = _carry_declarations(exif, metadata.text, image_format, lost)
        generated = generated or (None if carried else "trainedAlgorithmicMedia")
    generated = generated or _lost_declaration(metadata, exif, text, metadata.xmp)
    history = steps if enhanced else None
    xmp = metadata.xmp
    if enhanced:
        xmp, carried = marked_packet(metadata.xmp, generated, history)
        if metadata.xmp and not carried:
            lost.append("the original's XMP is not XMP this app can read (not well-formed, "
                        "or nested too deeply): a new packet replaces it")
    if xmp and _fits(xmp, "XMP", image_format, lost) is None:
        generated = generated or _lost_declaration(metadata, exif, text, None)
        xmp = enhancement_xmp(None, generated, history) if enhanced or generated else None
        kept = ["the enhancement"] * enhanced + [f"the declared {generated}"] * bool(generated)
        lost[-1] += f"; a new packet records {' and '.join(kept)}" if kept else ""
    return Written(exif, icc, xmp, text, lost=tuple(lost))


def kilobytes(data: bytes) -> str:
    """A size in words: "70 KB", "2.0 MB"."""
    if len(data) >= 1024 * 1024:
        return f"{len(data) / 1024 / 1024:.1f} MB"
    return f"{len(data) / 1024:.0f} KB" if len(data) >= 1024 else f"{len(data)} bytes"


def _fits(part: bytes | None, name: str, image_format: str, lost: list[str]) -> bytes | None:
    """`part`, or None (and the loss named in `lost`) when `image_format` cannot hold it."""
    for limits, what in ((SIZE_LIMITS, f"{image_format} allows"),
                         (READER_LIMITS, f"{image_format} readers (this app's too) accept")):
        limit = limits.get(image_format, {}).get(name)
        if part is not None and limit is not None and len(part) > limit:
            lost.append(f"{name} ({kilobytes(part)}) is larger than {what}: not kept")
            return None
    return part


def _describing(exif_bytes: bytes | None, size: tuple[int, int] | None) -> bytes | None:
    """EXIF that describes the saved pixels: upright (orientation 1), and of their size where
    it states one."""
    if exif_bytes is None:
        return None
    exif = Image.Exif()
    try:
        exif.load(exif_bytes)
        pixels = exif.get_ifd(ExifTags.IFD.Exif)
        stale = exif.get(ExifTags.Base.Orientation, 1) != 1 or (
            size is not None and {EXIF_WIDTH, EXIF_HEIGHT} & set(pixels))
        if not stale:
            return exif_bytes
        if ExifTags.Base.Orientation in exif:
            exif[ExifTags.Base.Orientation] = 1
        if size is not None and {EXIF_WIDTH, EXIF_HEIGHT} & set(pixels):
            pixels[EXIF_WIDTH], pixels[EXIF_HEIGHT] = size
        return exif.tobytes()
    except Exception:  # noqa: BLE001 - Pillow raises many types for damaged EXIF
        log.info("EXIF not updated to the saved pixels", exc_info=True)
        return exif_bytes


def png_text_key(key: str) -> bytes | None:
    """`key` as a PNG text chunk's keyword (Latin-1, 1 to 79 bytes, no NUL), else None."""
    try:
        name = key.encode("latin-1")
    except UnicodeEncodeError:
        return None
    return name if 1 <= len(name) <= 79 and b"\0" not in name else None


def _png_text(text: tuple[tuple[str, str], ...], lost: list[str]
              ) -> tuple[tuple[str, str], ...]:
    """The text chunks PNG can hold; those whose key it does not allow are named."""
    refused = [key for key, _ in text if png_text_key(key) is None]
    if refused:
        lost.append(f"PNG does not allow the text key(s) {', '.join(map(repr, refused[:5]))}: "
                    "not kept")
    return tuple((key, value) for key, value in text if key not in refused)


def _carry_declarations(exif: bytes | None, text: tuple[tuple[str, str], ...],
                        image_format: str, lost: list[str]) -> tuple[bytes | None, bool]:
    """Text chunks into a format without them: the declarations go to EXIF UserComment.
    Returns the EXIF and whether every declaration was carried."""
    declaring = {k: v for k, v in text if k.lower() in DECLARING_KEYS}
    others = [k for k, _ in text if k not in declaring]
    if others:
        lost.append(f"{image_format} cannot hold PNG text chunks: "
                    f"{', '.join(others[:5])}{', …' if len(others) > 5 else ''} not kept")
    if not declaring:
        return exif, True
    limit = SIZE_LIMITS.get(image_format, {}).get("EXIF")
    for base in (exif, None):  # beside the original's EXIF, or alone where both do not fit
        with_comment = _with_user_comment(base, declaring)
        if limit is None or len(with_comment) <= limit:
            if base is None and exif is not None:
                lost.append(f"the original's EXIF ({kilobytes(exif)}) and the generator's "
                            f"text do not fit in {image_format}'s EXIF together: only the "
                            "generator's text was kept")
            return with_comment, True
    lost.append(f"the generator's text ({', '.join(declaring)}) is too large for "
                f"{image_format}'s EXIF: not kept (save as PNG, WebP or TIFF to keep it); XMP "
                "declares the picture generated instead")
    return exif, False


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


def enhancement_xmp(original: bytes | None, generated: str | None = None,
                    steps: tuple[str, ...] | None = ()) -> bytes:
    """The original's XMP with this app's enhancement recorded (a new packet when there is
    none or it cannot be parsed): DigitalSourceType `algorithmicallyEnhanced` replaces a
    capture or other claim, but a declaration of generated content (in the packet, or the
    `generated` code the file declared elsewhere) stays; a history entry names the app and
    the `steps` that ran (None: no entry, the pixels were not enhanced); a link to the
    original's C2PA manifest is dropped."""
    return marked_packet(original, generated, steps)[0]


def marked_packet(original: bytes | None, generated: str | None,
                  steps: tuple[str, ...] | None) -> tuple[bytes, bool]:
    """`enhancement_xmp`, and whether the original packet was carried (not replaced)."""
    root = parse_xmp(original)
    if root is not None:
        try:
            return _marked(root, generated, steps), True
        except RecursionError:  # a packet nested too deeply to write back: start afresh
            log.info("XMP too deeply nested; a new packet is written")
    return _marked(ET.Element(qualified("x", "xmpmeta")), generated, steps), False


def _marked(root: ET.Element, declared: str | None, steps: tuple[str, ...] | None) -> bytes:
    rdf = root if root.tag == qualified("rdf", "RDF") else root.find(qualified("rdf", "RDF"))
    if rdf is None:
        rdf = ET.SubElement(root, qualified("rdf", "RDF"))
    codes = []
    for element in list(rdf.iter()):
        # The link to the original's C2PA manifest, which no longer matches these pixels.
        element.attrib.pop(qualified("dcterms", "provenance"), None)
        for child in element.findall(qualified("dcterms", "provenance")):
            element.remove(child)
        source_type = qualified("Iptc4xmpExt", "DigitalSourceType")
        if source_type in element.attrib:
            codes.append(iptc_code(element.attrib.pop(source_type)))
        for child in list(element):
            if child.tag == qualified("Iptc4xmpExt", "DigitalSourceType"):
                codes.append(iptc_code(child.get(qualified("rdf", "resource")) or child.text or ""))
                element.remove(child)
    generated = next((code for code in codes if code in IPTC_GENERATED), declared)
    description = ET.SubElement(rdf, qualified("rdf", "Description"),
                                {qualified("rdf", "about"): ""})
    code = generated or (IPTC_ENHANCED if steps is not None else None)
    if code:
        ET.SubElement(description, qualified("Iptc4xmpExt", "DigitalSourceType"),
                      {qualified("rdf", "resource"): IPTC_URL + code})
    if steps is None:
        return ET.tostring(root, encoding="utf-8", xml_declaration=False)
    history = rdf.find(f".//{qualified('xmpMM', 'History')}/{qualified('rdf', 'Seq')}")
    if history is None:  # one History per packet: ours continues the original's
        history = ET.SubElement(ET.SubElement(description, qualified("xmpMM", "History")),
                                qualified("rdf", "Seq"))
    done = f" ({', '.join(steps)})" if steps else ""
    ET.SubElement(history, qualified("rdf", "li"), {
        qualified("stEvt", "action"): "edited", qualified("stEvt", "softwareAgent"): APP,
        qualified("stEvt", "parameters"): f"enhanced by algorithm{done}",
        qualified("stEvt", "when"): dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def qualified(prefix: str, name: str) -> str:
    """`prefix:name` as ElementTree spells it."""
    return f"{{{NS[prefix]}}}{name}"


def parse_xmp(packet: bytes | None) -> ET.Element | None:
    """The packet's x:xmpmeta (or rdf:RDF) element; None when there is none or it is not
    XMP."""
    if not packet:
        return None
    try:
        # Padding stripped as Pillow's `getxmp` does, so what the verdict reads is kept.
        root = SafeET.fromstring(packet.rstrip(b"\x00 "))
    except Exception:  # noqa: BLE001 - a damaged or hostile packet
        log.info("XMP not parsed", exc_info=True)
        return None
    return root if root.tag in (qualified("x", "xmpmeta"), qualified("rdf", "RDF")) else None
