"""Provenance first: what a file declares about itself, matched by structure, decides."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from ai_image_classifier.classifier import Classifier
from ai_image_classifier.forensics import inspect_file
from ai_image_classifier.provenance import read_provenance

A1111 = ("a castle at dusk, oil painting\nNegative prompt: blurry\nSteps: 30, Sampler: DPM++ 2M "
         "Karras, CFG scale: 7, Seed: 1234, Size: 512x512, Model: sd_xl_base_1.0")
COMFY_PROMPT = json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": 5}}})
XMP = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
       '22-rdf-syntax-ns#"><rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/'
       'Iptc4xmpExt/2008-02-29/" Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/'
       'digitalsourcetype/{code}"/></rdf:RDF></x:xmpmeta>')


def png(path, **chunks):
    info = PngInfo()
    for key, value in chunks.items():
        info.add_itxt(key.replace("XML_", "XML:"), value)
    Image.fromarray(np.full((48, 64, 3), 120, np.uint8)).save(path, pnginfo=info)
    return path


@pytest.mark.parametrize("chunks, expected", [
    ({"parameters": A1111}, "PNG text chunk 'parameters' (Stable Diffusion, AUTOMATIC1111/Forge)"),
    ({"prompt": COMFY_PROMPT}, "PNG text chunk 'prompt' (ComfyUI)"),
    ({"workflow": json.dumps({"nodes": [{"id": 1}]})}, "PNG text chunk 'workflow' (ComfyUI)"),
    ({"invokeai_metadata": "{}"}, "PNG text chunk 'invokeai_metadata' (InvokeAI)"),
    ({"parameters": json.dumps({"version": "Fooocus v2.5"})}, "PNG text chunk 'parameters' "
                                                              "(Fooocus)"),
    ({"XML_com.adobe.xmp": XMP.format(code="trainedAlgorithmicMedia")},
     "XMP IPTC DigitalSourceType trainedAlgorithmicMedia"),
])
def test_generator_declarations_are_found(tmp_path, chunks, expected):
    assert read_provenance(png(tmp_path / "g.png", **chunks)).generated == (expected,)


@pytest.mark.parametrize("chunks", [
    {"parameters": "exposure=1.2, gamma=2.2"},  # a 'parameters' chunk that is not a generator's
    {"prompt": "say cheese"},
    {"XML_com.adobe.xmp": XMP.format(code="digitalCapture")},
    {"Comment": "made on canvas, data from influx"},
])
def test_other_metadata_is_not_evidence(tmp_path, chunks):
    assert read_provenance(png(tmp_path / "n.png", **chunks)).generated == ()


def test_camera_exif_is_never_evidence_but_generator_software_is(tmp_path):
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x010F], exif[0x0110] = "Canon", "EOS 5D"  # Make, Model
    camera = tmp_path / "camera.jpg"
    Image.new("RGB", (64, 48)).save(camera, exif=exif)
    assert read_provenance(camera).generated == ()
    exif[0x0131] = "Midjourney v6"  # Software
    generated = tmp_path / "mj.jpg"
    Image.new("RGB", (64, 48)).save(generated, exif=exif)
    assert read_provenance(generated).generated == ("EXIF Software 'Midjourney'",)


def test_damaged_file_gives_no_evidence_instead_of_an_error(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    assert read_provenance(broken).generated == ()


def test_declared_generator_decides_the_verdict_and_names_itself(tmp_path):
    classifier = Classifier.load()
    plain = png(tmp_path / "plain.png")
    generated = png(tmp_path / "sd.png", parameters=A1111)
    model_only = classifier.classify_file(plain)
    verdict = classifier.classify_file(generated)
    # A small flat picture is outside what the model judges ("uncertain"), yet the file's
    # own declaration still decides.
    assert model_only.label == "uncertain" and model_only.limits
    assert verdict.label == "fake"
    assert verdict.probability == pytest.approx(model_only.probability, abs=1e-6)
    assert verdict.evidence[0].startswith("PNG text chunk 'parameters'")
    assert verdict.evidence[-1] == f"model score {verdict.probability:.2f}"
    assert model_only.evidence[-1] == f"model score {model_only.probability:.2f}"
    assert all(e.startswith("cannot judge: ") for e in model_only.evidence[:-1])
    batched = dict(classifier.classify_files([plain, generated]))
    assert batched[generated].label == "fake" and batched[plain].label == model_only.label
    assert batched[plain].probability == pytest.approx(model_only.probability, abs=1e-5)


def test_forensics_matches_whole_words(tmp_path):
    path = png(tmp_path / "w.png", Software="Made on canvas with influx")
    report = inspect_file(path)
    assert "canva" not in report.editor_traces and "flux" not in report.generator_traces
