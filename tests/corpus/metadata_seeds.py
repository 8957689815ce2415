"""Fuzzing seeds that carry what the metadata readers parse: XMP (generator and capture
claims, a history, an entity-expansion bomb), PNG text chunks before and after the pixels,
EXIF Software and UserComment, a fake JUMBF box and real signed C2PA manifests."""

from __future__ import annotations

import json

from PIL import Image

from .hostile import _png_chunk, _pnginfo, encode, photo

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
XMP = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:'
       'meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description'
       ' rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:xmp'
       f'="http://ns.adobe.com/xap/1.0/" Iptc4xmpExt:DigitalSourceType="{IPTC}'
       'trainedAlgorithmicMedia" xmp:CreatorTool="FLUX.1"><xmpMM:History xmlns:xmpMM="http://ns'
       '.adobe.com/xap/1.0/mm/" xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#">'
       '<rdf:Seq><rdf:li stEvt:action="edited" stEvt:softwareAgent="Editor 2"/></rdf:Seq>'
       f'</xmpMM:History></rdf:Description><rdf:Description><Iptc4xmpExt:DigitalSourceType rdf:'
       f'resource="{IPTC}digitalCapture" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/'
       '2008-02-29/"/></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')
BOMB = ('<!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&c;'
        '</x:xmpmeta>')
A1111 = "a lighthouse\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 96x64"
#: A JPEG APP11 segment holding a JUMBF superbox labelled c2pa, with nothing valid inside.
FAKE_JUMBF = b"JP\x00\x00\x00\x01" + b"\x00\x00\x00\x20jumb\x00\x00\x00\x18jumdc2pa" + bytes(8)


def _exif(software: str = "Midjourney v6", comment: str = A1111) -> bytes:
    exif = Image.Exif()
    exif[0x0131] = software
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + comment.encode("utf-16-be")
    return exif.tobytes()


def _with_app11(jpeg: bytes) -> bytes:
    segment = b"\xff\xeb" + (len(FAKE_JUMBF) + 2).to_bytes(2, "big") + FAKE_JUMBF
    return jpeg[:2] + segment + jpeg[2:]


def _png_text_after_pixels(png: bytes) -> bytes:
    end = png.rindex(b"IEND") - 4
    return png[:end] + _png_chunk(b"tEXt", b"Software\0NovelAI") + png[end:]


def metadata_seeds() -> dict[str, bytes]:
    image = photo()
    texts = {"parameters": A1111, "prompt": json.dumps({"3": {"class_type": "KSampler"}}),
             "workflow": json.dumps({"nodes": [{"id": 1}]}), "invokeai_metadata": "{}",
             "XML:com.adobe.xmp": XMP, "Comment": "jumb c2pa"}
    tiff_exif = Image.Exif()
    tiff_exif.load(_exif())
    tiff_exif[700] = XMP.encode()
    seeds = {
        "decl.png": _png_text_after_pixels(encode(image, "PNG", pnginfo=_pnginfo(texts))),
        "decl.jpg": _with_app11(encode(image, "JPEG", quality=85, exif=_exif(),
                                       xmp=XMP.encode(), comment=b"made with ComfyUI")),
        "decl.webp": encode(image, "WEBP", quality=70, exif=_exif(), xmp=XMP.encode()),
        "decl.tif": encode(image, "TIFF", exif=tiff_exif),
        "bomb.jpg": encode(image, "JPEG", quality=80, xmp=BOMB.encode()),
    }
    try:
        from .c2pa_signed import signed_picture

        pixels = __import__("numpy").asarray(image)
        seeds["c2pa.jpg"] = signed_picture("trainedAlgorithmicMedia", "Fuzz", pixels)
        seeds["c2pa.png"] = signed_picture("digitalCapture", "Fuzz", pixels, "PNG")
    except ImportError:  # pragma: no cover - c2pa-python and cryptography are requirements
        pass
    return seeds
