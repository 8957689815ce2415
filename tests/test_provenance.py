"""What a file declares about itself: matched by structure, worded with its strength, and
never able to hide what the model sees."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from ai_image_classifier.classifier import Classifier
from ai_image_classifier.declarations import UNSIGNED
from ai_image_classifier.forensics import inspect_file
from ai_image_classifier.provenance import read_provenance
from ai_image_classifier.verdict import Verdict, verdict_record

A1111 = ("a castle at dusk, oil painting\nNegative prompt: blurry\nSteps: 30, Sampler: DPM++ 2M "
         "Karras, CFG scale: 7, Seed: 1234, Size: 512x512, Model: sd_xl_base_1.0")
COMFY_PROMPT = json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": 5}}})
XMP = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
       '22-rdf-syntax-ns#"><rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/'
       'Iptc4xmpExt/2008-02-29/" Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/'
       'digitalsourcetype/{code}"/></rdf:RDF></x:xmpmeta>')
# The same declaration as an element with rdf:resource, as many writers put it.
XMP_RESOURCE = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
                '02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""><Iptc4xmpExt:'
                'DigitalSourceType xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
                ' rdf:resource="http://cv.iptc.org/newscodes/digitalsourcetype/{code}"/>'
                '</rdf:Description></rdf:RDF></x:xmpmeta>')


def png(path, **chunks):
    info = PngInfo()
    for key, value in chunks.items():
        info.add_itxt(key.replace("XML_", "XML:"), value)
    Image.fromarray(np.full((48, 64, 3), 120, np.uint8)).save(path, pnginfo=info)
    return path


def unsigned(text: str) -> tuple[str]:
    return (f"{UNSIGNED}: {text}",)


@pytest.mark.parametrize("chunks, expected", [
    ({"parameters": A1111}, "PNG text chunk 'parameters' (Stable Diffusion, AUTOMATIC1111/Forge)"),
    ({"prompt": COMFY_PROMPT}, "PNG text chunk 'prompt' (ComfyUI)"),
    ({"workflow": json.dumps({"nodes": [{"id": 1}]})}, "PNG text chunk 'workflow' (ComfyUI)"),
    ({"invokeai_metadata": "{}"}, "PNG text chunk 'invokeai_metadata' (InvokeAI)"),
    ({"parameters": json.dumps({"version": "Fooocus v2.5"})}, "PNG text chunk 'parameters' "
                                                              "(Fooocus)"),
    ({"Software": "NovelAI"}, "PNG text chunk 'Software' 'NovelAI'"),
    ({"XML_com.adobe.xmp": XMP.format(code="trainedAlgorithmicMedia")},
     "XMP IPTC DigitalSourceType trainedAlgorithmicMedia"),
    ({"XML_com.adobe.xmp": XMP_RESOURCE.format(code="compositeSynthetic")},
     "XMP IPTC DigitalSourceType compositeSynthetic"),
])
def test_generator_declarations_decide_and_say_they_are_unsigned(tmp_path, chunks, expected):
    assert read_provenance(png(tmp_path / "g.png", **chunks)).generated == unsigned(expected)


@pytest.mark.parametrize("chunks", [
    {"parameters": "exposure=1.2, gamma=2.2"},  # a 'parameters' chunk that is not a generator's
    {"prompt": "say cheese"},
    {"XML_com.adobe.xmp": XMP.format(code="digitalCapture")},
    {"XML_com.adobe.xmp": XMP.format(code="algorithmicallyEnhanced")},  # what this app writes
    {"Comment": "made on canvas, data from influx"},
    {"Description": "a flux capacitor, not made with Midjourney"},  # free text never decides
])
def test_other_metadata_does_not_decide(tmp_path, chunks):
    assert read_provenance(png(tmp_path / "n.png", **chunks)).generated == ()


def test_an_enhancement_mark_and_a_capture_claim_are_notes(tmp_path):
    enhanced = read_provenance(png(tmp_path / "e.png", **{
        "XML_com.adobe.xmp": XMP.format(code="algorithmicallyEnhanced")}))
    (note,) = enhanced.notes
    assert "algorithmicallyEnhanced" in note and "not a sign of generation" in note
    capture = read_provenance(png(tmp_path / "c.png", **{
        "XML_com.adobe.xmp": XMP.format(code="digitalCapture")}))
    assert capture.notes and "does not decide" in capture.notes[0]


def test_an_xml_bomb_in_xmp_is_refused_not_expanded(tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            + "".join(f'<!ENTITY {c} "&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};">'
                      for p, c in zip("abcdefgh", "bcdefghi", strict=True))
            + ']><x:xmpmeta xmlns:x="adobe:ns:meta/">&i;</x:xmpmeta>')
    path = png(tmp_path / "bomb.png", **{"XML_com.adobe.xmp": bomb, "parameters": A1111})
    provenance = read_provenance(path)  # a billion bytes if expanded; refused by defusedxml
    assert provenance.generated == unsigned(
        "PNG text chunk 'parameters' (Stable Diffusion, AUTOMATIC1111/Forge)")


def test_camera_exif_is_never_evidence_but_generator_software_is(tmp_path):
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x010F], exif[0x0110] = "Canon", "EOS 5D"  # Make, Model
    camera = tmp_path / "camera.jpg"
    Image.new("RGB", (64, 48)).save(camera, exif=exif)
    assert read_provenance(camera).generated == ()
    exif[0x0131] = "FLUX.1 [dev]"  # Software
    generated = tmp_path / "flux.jpg"
    Image.new("RGB", (64, 48)).save(generated, exif=exif)
    assert read_provenance(generated).generated == unsigned("EXIF Software 'FLUX.1 [dev]'")
    assert "flux" in inspect_file(generated).generator_traces  # the Metadata tab: same table


def test_a1111_parameters_in_a_jpeg_user_comment_are_found(tmp_path):
    """AUTOMATIC1111 keeps `parameters` in EXIF UserComment when it writes JPEG or WebP."""
    exif = Image.new("RGB", (1, 1)).getexif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + A1111.encode("utf-16-be")
    path = tmp_path / "a1111.jpg"
    Image.new("RGB", (64, 48)).save(path, exif=exif)
    assert read_provenance(path).generated == unsigned(
        "EXIF UserComment 'parameters' (Stable Diffusion, AUTOMATIC1111/Forge)")


def test_damaged_file_gives_no_evidence_instead_of_an_error(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    assert read_provenance(broken) == read_provenance(b"not an image at all")
    assert read_provenance(broken).generated == ()


def test_inspect_file_carries_the_same_provenance(tmp_path):
    path = png(tmp_path / "sd.png", parameters=A1111)
    assert inspect_file(path).provenance == read_provenance(path)
    assert inspect_file(path.read_bytes()).provenance == read_provenance(path)


def photo() -> np.ndarray:
    """A photograph-like picture: smooth shading and sensor noise."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:480, 0:640]
    base = np.stack([x / 3, y / 2, (x + y) / 5], axis=-1) % 256
    return np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)


def test_unsigned_generator_text_decides_but_the_model_stays_visible(tmp_path):
    """The goal: a photograph with a generator's text attached reads as declared, names the
    text as unsigned, and still shows what the model sees."""
    classifier = Classifier.load()
    info = PngInfo()
    info.add_text("parameters", A1111)
    plain, declared = tmp_path / "photo.png", tmp_path / "photo_with_text.png"
    Image.fromarray(photo()).save(plain)
    Image.fromarray(photo()).save(declared, pnginfo=info)
    model_only = classifier.classify_file(plain)
    verdict = classifier.classify_file(declared)
    assert verdict.label == "fake" and verdict.declared[0].startswith(UNSIGNED)
    assert verdict.model_answer == model_only.label
    assert verdict.probability == pytest.approx(model_only.probability, abs=1e-6)
    record = verdict_record("photo_with_text.png", verdict)
    assert record["declared"] == list(verdict.declared)
    assert record["model"]["label"] == model_only.label
    assert record["model"]["probability"] == pytest.approx(model_only.probability, abs=1e-5)
    assert record["evidence"][-1].startswith(f"the model sees: {model_only.label}")
    batched = dict(classifier.classify_files([plain, declared]))
    assert batched[declared].label == "fake" and batched[plain].label == model_only.label


def test_a_declaration_decides_even_where_the_model_cannot_judge(tmp_path):
    classifier = Classifier.load()
    model_only = classifier.classify_file(png(tmp_path / "plain.png"))
    verdict = classifier.classify_file(png(tmp_path / "sd.png", parameters=A1111))
    # A small flat picture is outside what the model judges ("uncertain").
    assert model_only.label == "uncertain" and model_only.limits
    assert verdict.label == "fake" and verdict.model_answer == "uncertain"
    assert verdict.evidence[0].startswith(f"the file declares: {UNSIGNED}: PNG text chunk")


def test_classify_image_takes_the_provenance_the_window_read(tmp_path):
    path = png(tmp_path / "sd.png", parameters=A1111)
    report = inspect_file(path)
    verdict = Classifier.with_provenance(Verdict("real", 0.1, 0.5), report.provenance)
    assert verdict.label == "fake" and verdict.model_answer == "real"


def test_forensics_matches_whole_words(tmp_path):
    path = png(tmp_path / "w.png", Software="Made on canvas with influx")
    report = inspect_file(path)
    assert "canva" not in report.editor_traces and "flux" not in report.generator_traces
