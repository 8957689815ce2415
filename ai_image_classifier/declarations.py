"""What counts as a file declaring that it was generated: one table for the verdict
(`provenance`), the Metadata tab (`forensics`), C2PA manifests (`content_credentials`) and
what saving carries into a new file (`saving`).

A declaration is recognised by its structure (a generator's parameter block, an IPTC code, a
generator's name as the program that wrote the file), never by a word appearing somewhere in
free text, so a camera's EXIF or a caption never reads as a generator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

#: IPTC DigitalSourceType vocabulary (http://cv.iptc.org/newscodes/digitalsourcetype/).
IPTC_URL = "http://cv.iptc.org/newscodes/digitalsourcetype/"
#: Codes for pictures made, wholly or in part, by an algorithm.
IPTC_GENERATED = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia",
                  "algorithmicMedia", "compositeSynthetic")
IPTC_CAPTURE = ("digitalCapture",)
#: What this app writes on a picture it enhanced: a real photograph stays one.
IPTC_ENHANCED = "algorithmicallyEnhanced"

#: Generators, as they name themselves in an EXIF Software tag, a PNG 'Software' chunk, an
#: XMP CreatorTool or a JPEG comment; matched as whole words, case-insensitively. Names that
#: are also ordinary words ("imagen" is Spanish for picture) are matched only with their maker.
GENERATOR_NAMES = ("midjourney", "dall-e", "dall·e", "dalle", "stable diffusion", "sdxl", "flux",
                   "novelai", "comfyui", "invokeai", "automatic1111", "fooocus", "firefly",
                   "google imagen", "gpt-image", "chatgpt", "ideogram", "leonardo.ai",
                   "kandinsky", "dreamstudio")
#: Makers that may precede a generator's name where a program names itself ("Adobe Firefly").
GENERATOR_MAKERS = ("adobe", "openai", "google", "stability ai", "black forest labs")
#: Deepest JSON nesting read: generators' parameter blocks are a few levels deep, and a
#: deeper one would make later walks of it (str, json.dumps) exhaust the stack.
MAX_JSON_DEPTH = 64


def whole_words(names: Iterable[str]) -> re.Pattern[str]:
    """A case-insensitive pattern that finds any of `names` as whole words: "flux" is not in
    "influx", nor "canva" in "canvas"; an underscore still separates ("sdxl_base")."""
    return re.compile(_whole_words_group(names), re.IGNORECASE)


def _whole_words_group(names: Iterable[str]) -> str:
    return r"(?<![a-z0-9])(" + "|".join(map(re.escape, names)) + r")(?![a-z0-9])"


def names_in(pattern: re.Pattern[str], text: str) -> list[str]:
    """The names `pattern` (from `whole_words`) finds in `text`, lower case, each once."""
    return list(dict.fromkeys(match.lower() for match in pattern.findall(text)))


_GENERATOR_NAMES = whole_words(GENERATOR_NAMES)
#: A program naming itself: the value begins with a generator's name, its maker's before it
#: at most ("Midjourney v6", "Adobe Firefly"); a sentence that mentions one ("not Midjourney!",
#: "made without DALL-E") does not begin so.
_GENERATOR_PROGRAM = re.compile(
    r"\s*(?:(?:" + "|".join(map(re.escape, GENERATOR_MAKERS)) + r")\s+)?"
    + _whole_words_group(GENERATOR_NAMES), re.IGNORECASE)
_A1111_FIELDS = ("Steps:", "Sampler:", "CFG scale:", "Seed:")
_INVOKEAI_KEYS = ("invokeai_metadata", "invokeai_graph", "sd-metadata")
#: Text keys whose declarations saving carries into a file of another format.
DECLARING_KEYS = ("parameters", "prompt", "workflow", *_INVOKEAI_KEYS, "software")

#: How unsigned declarations are worded: they may decide, but their strength is named.
UNSIGNED = "unsigned text that any program can write"


def iptc_code(value: object) -> str:
    """The code of an IPTC DigitalSourceType URL ("…/trainedAlgorithmicMedia" → the name)."""
    return str(value).strip().rstrip("/").rsplit("/", 1)[-1]


def generator_names(text: str) -> list[str]:
    """The generators `text` names as whole words, lower case, each once (traces shown in
    the Metadata tab; what decides is `software_declaration`)."""
    return names_in(_GENERATOR_NAMES, text)


def parse_json(text: str) -> object:
    """`text` as JSON, or None when it is not JSON or nests deeper than `MAX_JSON_DEPTH`:
    a file's text is read as data, and 100,000 brackets must not exhaust the stack."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if _depth_within(value, MAX_JSON_DEPTH) else None


def _depth_within(value: object, limit: int) -> bool:
    """Whether `value`'s containers nest at most `limit` deep; walked without recursion."""
    pending = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            if depth > limit:
                return False
            pending += [(child, depth + 1) for child in node]
    return True


def text_declarations(chunks: Mapping[str, str], place: str = "PNG text chunk") -> list[str]:
    """Generator front-ends' parameter blocks among text fields (PNG text chunks, or what
    saving carried into EXIF), recognised by their structure: AUTOMATIC1111/Forge and Fooocus
    `parameters`, ComfyUI `prompt`/`workflow` graphs, InvokeAI's keys, a generator named as
    `Software` (NovelAI)."""
    found = []
    lowered = {key.lower(): value for key, value in chunks.items()}
    parameters = lowered.get("parameters", "")
    structured = parse_json(parameters)
    if sum(field in parameters for field in _A1111_FIELDS) >= 2:
        found.append(f"{place} 'parameters' (Stable Diffusion, AUTOMATIC1111/Forge)")
    elif isinstance(structured, dict) and "fooocus" in str(structured.get("version", "")).lower():
        found.append(f"{place} 'parameters' (Fooocus)")
    prompt = parse_json(lowered.get("prompt", ""))
    if isinstance(prompt, dict) and any(isinstance(node, dict) and "class_type" in node
                                        for node in prompt.values()):
        found.append(f"{place} 'prompt' (ComfyUI)")
    workflow = parse_json(lowered.get("workflow", ""))
    if isinstance(workflow, dict) and isinstance(workflow.get("nodes"), list):
        found.append(f"{place} 'workflow' (ComfyUI)")
    found += [f"{place} '{key}' (InvokeAI)" for key in _INVOKEAI_KEYS if key in lowered]
    software = software_declaration(f"{place} 'Software'", lowered.get("software", ""))
    return found + [software] if software else found


def software_declaration(place: str, value: str) -> str | None:
    """`place` and its value when the program that wrote the file names itself a generator
    (an EXIF Software tag "Midjourney v6"); None otherwise, also for text that only mentions
    one ("not Midjourney!")."""
    if not _GENERATOR_PROGRAM.match(value):
        return None
    shown = " ".join(value.split())
    return f"{place} '{shown[:80]}…'" if len(shown) > 80 else f"{place} '{shown}'"
