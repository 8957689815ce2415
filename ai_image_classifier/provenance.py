"""What a file declares about how it was made, when that settles the verdict.

Generator front-ends leave their parameters in the file (AUTOMATIC1111/Forge and Fooocus a
`parameters` text chunk, ComfyUI `prompt`/`workflow` JSON, InvokeAI and NovelAI their own
keys), and publishers mark generated pictures in XMP with IPTC's DigitalSourceType. Each is
recognised by its structure, not by a word appearing somewhere, so a camera's EXIF never reads
as a generator. C2PA manifests are read and validated by `content_credentials`. Metadata is
easily stripped or forged: its presence is strong evidence, its absence is none.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from PIL import ExifTags

from .content_credentials import read_content_credentials
from .imaging import ImageSource, open_header, read_bytes

log = logging.getLogger(__name__)

#: IPTC DigitalSourceType codes for pictures made by an algorithm, as named in evidence.
IPTC_GENERATED = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia",
                  "algorithmicMedia")
_IPTC = re.compile(r"digitalsourcetype/(" + "|".join(IPTC_GENERATED) + r")\b")
#: Generator names in an EXIF Software tag or a JPEG comment, matched as whole words.
_GENERATOR_NAMES = re.compile(
    r"(?<![A-Za-z0-9])(midjourney|dall[-·]?e(?: ?[23])?|stable diffusion|novelai|comfyui|invokeai|"
    r"automatic1111|fooocus|adobe firefly)(?![A-Za-z0-9])", re.IGNORECASE)
_A1111_FIELDS = ("Steps:", "Sampler:", "CFG scale:", "Seed:")


@dataclass(frozen=True)
class Provenance:
    generated: tuple[str, ...] = ()  # decisive evidence that the picture was generated
    notes: tuple[str, ...] = ()  # shown as evidence, not decisive (an untrusted capture claim)


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _text_chunk_evidence(chunks: dict[str, str]) -> list[str]:
    found = []
    lowered = {key.lower(): value for key, value in chunks.items()}
    parameters = lowered.get("parameters", "")
    structured = _json(parameters)
    if sum(field in parameters for field in _A1111_FIELDS) >= 2:
        found.append("PNG text chunk 'parameters' (Stable Diffusion, AUTOMATIC1111/Forge)")
    elif isinstance(structured, dict) and "fooocus" in str(structured.get("version", "")).lower():
        found.append("PNG text chunk 'parameters' (Fooocus)")
    prompt = _json(lowered.get("prompt", ""))
    if isinstance(prompt, dict) and any(isinstance(node, dict) and "class_type" in node
                                        for node in prompt.values()):
        found.append("PNG text chunk 'prompt' (ComfyUI)")
    workflow = _json(lowered.get("workflow", ""))
    if isinstance(workflow, dict) and isinstance(workflow.get("nodes"), list):
        found.append("PNG text chunk 'workflow' (ComfyUI)")
    for key in ("invokeai_metadata", "invokeai_graph", "sd-metadata"):
        if key in lowered:
            found.append(f"PNG text chunk '{key}' (InvokeAI)")
    if lowered.get("software", "").strip().lower() == "novelai":
        found.append("PNG text chunk 'Software' (NovelAI)")
    return found


def read_provenance(source: ImageSource) -> Provenance:
    """Decisive generator evidence in `source`'s metadata; reads headers only.

    Damaged metadata never stops a verdict: it is logged and counts as no evidence.
    """
    try:
        data = read_bytes(source)
        with open_header(data) as image:
            image_format = image.format
            info = image.info
            chunks = {str(k): str(v) for k, v in getattr(image, "text", {}).items()}
            xmp = info.get("xmp", b"")
            xmp_text = (xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else str(xmp))
            xmp_text += chunks.get("XML:com.adobe.xmp", "")
            software = str(image.getexif().get(ExifTags.Base.Software, ""))
            comment = info.get("comment", b"")
            comment = comment.decode("utf-8", "replace") if isinstance(comment, bytes) else ""
    except Exception as error:  # noqa: BLE001 - any damage means "no evidence", never a crash
        log.info("provenance not readable: %s", error, exc_info=True)
        return Provenance()
    found, notes = [], []
    credentials = read_content_credentials(data, image_format)
    if credentials and credentials.generated:
        found.append(credentials.describe())
    elif credentials and credentials.captured:
        notes.append(credentials.describe())
    found += _text_chunk_evidence(chunks)
    found += [f"XMP IPTC DigitalSourceType {code}" for code in
              dict.fromkeys(_IPTC.findall(xmp_text))]
    for place, text in (("EXIF Software", software), ("JPEG comment", comment)):
        match = _GENERATOR_NAMES.search(text)
        if match:
            found.append(f"{place} '{match.group(0)}'")
    return Provenance(tuple(found), tuple(notes))

