"""The general detector: its head and fusion, its domain limits on synthetic pictures, the
default classifier end to end, and a tiny training run."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ai_image_classifier.cards import MODEL_NAME, bundled_model_dir
from ai_image_classifier.classifier import Classifier
from ai_image_classifier.clip_encoder import EncoderFeatures, clip_pixels
from ai_image_classifier.general import GeneralDetector, GeneralHead, HeadLoadError
from ai_image_classifier.model_input import ModelInput, graphic_measures
from training import golden as golden_inputs

from .conftest import needs_encoder

SHIPPED_HEAD = bundled_model_dir() / f"{MODEL_NAME}.head.npz"


def photo_like(width: int = 320, height: int = 240, seed: int = 0) -> Image.Image:
    """Smooth shapes with sensor-like noise: what a photograph looks like to the measures."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(golden_inputs.photo_like(rng, width, height, 4.0))


def flat_shapes() -> Image.Image:
    image = Image.new("RGB", (400, 300), (240, 240, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((50, 50, 200, 150), fill=(200, 30, 30))
    draw.ellipse((220, 80, 350, 250), fill=(30, 30, 200))
    return image


def screenshot() -> Image.Image:
    image = Image.new("RGB", (800, 600), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 800, 24), fill=(60, 90, 160))
    for top in range(40, 580, 18):
        draw.text((20, top), "Quarterly report: revenue, costs and the outlook for 2027",
                  fill=(20, 20, 20))
    return image


def line_drawing() -> Image.Image:
    image = Image.new("RGB", (500, 500), (250, 245, 230))
    draw = ImageDraw.Draw(image)
    rng = np.random.default_rng(1)
    for _ in range(40):
        draw.line(tuple(int(v) for v in rng.integers(0, 500, 4)), fill=(30, 30, 30), width=3)
    return image


def jpeg(image: Image.Image, quality: int = 90) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def tiny_head(dims: int = 8) -> GeneralHead:
    rng = np.random.default_rng(0)
    centroids = rng.normal(size=(3, dims)).astype(np.float32)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    return GeneralHead(rng.normal(size=dims).astype(np.float32), 0.5, np.array([2, 7]),
                       rng.normal(size=(2, 768)).astype(np.float32), -0.25,
                       np.array([2.0, 1.0, 0.5, -0.5]), centroids, 0.3, 0.45, 0.75, crops=2)


def test_fusion_and_similarity_follow_their_definitions():
    head = tiny_head()
    embedding = head.centroids[:1]
    assert head.similarity(embedding)[0] == pytest.approx(1.0, abs=1e-6)
    content = head.content_logit(embedding)
    assert content[0] == pytest.approx(float(embedding[0] @ head.content_weights + 0.5),
                                       rel=1e-5)
    blocks = np.random.default_rng(1).normal(size=(1, 12, 768)).astype(np.float32)
    trace = head.trace_logit(blocks)
    expected = float((blocks[0, [2, 7]] * head.trace_weights).sum() - 0.25)
    assert trace[0] == pytest.approx(expected, rel=1e-4)
    assert head.fused_logit(np.array([1.0]), content, trace)[0] == pytest.approx(
        2.0 + content[0] + 0.5 * trace[0] - 0.5, rel=1e-5)


def test_crops_spread_without_overlapping_along_the_short_side():
    from ai_image_classifier.clip_encoder import INPUT_SIDE, crop_boxes

    assert crop_boxes((256, 256), 3) == [(16, 16, 240, 240)]  # one: the centre, as cached
    assert crop_boxes((200, 120), 3) == [(0, 0, 200, 120)]  # smaller than a crop: itself
    boxes = crop_boxes((4000, 3000), 3)
    assert len(boxes) == 3 and boxes[1] == (1888, 1388, 2112, 1612)  # the centre among them
    assert all(r - left == INPUT_SIDE == b - t for left, t, r, b in boxes)
    tops = [top for _, top, _, _ in boxes]
    assert all(b - a >= INPUT_SIDE for a, b in zip(tops, tops[1:], strict=False))
    assert len(crop_boxes((1000, 500), 3)) == 2  # two fit side by side along 500 px


def test_head_round_trips_and_a_damaged_head_is_an_error(tmp_path):
    head = tiny_head()
    head.save(tmp_path / "h.npz")
    loaded = GeneralHead.load(tmp_path / "h.npz")
    assert np.array_equal(loaded.trace_weights, head.trace_weights)
    assert loaded.max_colour_coverage == 0.75 and loaded.crops == 2
    fields = {name: getattr(head, name) for name in head.__dataclass_fields__
              if name != "content_from"}
    np.savez(tmp_path / "before.npz", **fields)  # a head saved before the field existed
    assert GeneralHead.load(tmp_path / "before.npz").content_from == "whole"
    dataclasses.replace(head, content_from="crops").save(tmp_path / "c.npz")
    assert GeneralHead.load(tmp_path / "c.npz").content_from == "crops"
    dataclasses.replace(head, content_from="scene").save(tmp_path / "odd.npz")
    with pytest.raises(HeadLoadError):
        GeneralHead.load(tmp_path / "odd.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a head")
    with pytest.raises(HeadLoadError):
        GeneralHead.load(tmp_path / "bad.npz")
    np.savez(tmp_path / "old.npz", weights=np.zeros(8))  # a head of the previous design
    with pytest.raises(HeadLoadError):
        GeneralHead.load(tmp_path / "old.npz")


class RecordingEncoder:
    """Answers each view with features derived from its pixels, and keeps what it was given."""

    def __init__(self) -> None:
        self.given: list[np.ndarray] = []

    def encode(self, pixels: np.ndarray) -> EncoderFeatures:
        self.given.append(pixels)
        level = pixels.reshape(len(pixels), -1).mean(axis=1)
        embeddings = np.zeros((len(pixels), 8), np.float32)
        embeddings[:, 0], embeddings[:, 1] = np.cos(level), np.sin(level)
        return EncoderFeatures(embeddings, np.tile(level[:, None, None], (1, 12, 768)))


def test_a_crops_head_encodes_only_the_crops_and_pools_each_part_over_them():
    head = dataclasses.replace(tiny_head(), content_from="crops")
    encoder = RecordingEncoder()
    levels = ([0.1, 0.5], [0.9])  # two pictures: two crops, then one
    inputs = [ModelInput(np.zeros((1, 1, 3), np.uint8), None, np.full((3, 224, 224), 7.0),
                         np.stack([np.full((3, 224, 224), v) for v in crop_levels]))
              for crop_levels in levels]
    scores = GeneralDetector(head, encoder).scores(inputs)
    (given,) = encoder.given
    assert len(given) == 3 and not (given == 7.0).any()  # no whole view encoded
    features = encoder.encode(given)
    for picture, (start, stop) in enumerate(((0, 2), (2, 3))):
        part = slice(start, stop)
        assert scores.trace[picture] == pytest.approx(
            head.trace_logit(features.blocks[part]).mean(), rel=1e-5)
        assert scores.content[picture] == pytest.approx(
            head.content_logit(features.embeddings[part]).mean(), rel=1e-5)
        assert scores.similarity[picture] == pytest.approx(
            head.similarity(features.embeddings[part]).mean(), rel=1e-5)
    whole = GeneralDetector(tiny_head(), RecordingEncoder())
    whole.scores(inputs)
    assert len(whole.encoder.given[0]) == 5  # a whole-view head: two whole views first


@pytest.mark.parametrize("make", [flat_shapes, screenshot, line_drawing])
@pytest.mark.parametrize("compressed", [False, True])
def test_drawings_screenshots_and_shapes_are_outside_the_domain(make, compressed):
    head = tiny_head()
    image = jpeg(make()) if compressed else make()
    limits = head.domain_limits(graphic_measures(image), image.size, similarity=1.0)
    assert any("flat colours" in reason for reason in limits)


def test_photographs_and_tiny_pictures():
    head = tiny_head()
    photo = jpeg(photo_like())
    assert head.domain_limits(graphic_measures(photo), photo.size, similarity=1.0) == ()
    tiny = photo_like(40, 30)
    assert any("too small" in r for r in head.domain_limits(graphic_measures(tiny), tiny.size,
                                                             similarity=1.0))
    assert any("unlike" in r for r in head.domain_limits(graphic_measures(photo), photo.size,
                                                          similarity=0.0))


def test_clip_pixels_are_centred_and_normalised():
    pixels = clip_pixels(Image.new("RGB", (448, 300), (255, 255, 255)))
    assert pixels.shape == (3, 224, 224) and pixels.dtype == np.float32
    assert pixels[0].mean() == pytest.approx((1 - 0.48145466) / 0.26862954, rel=1e-4)


@needs_encoder
@pytest.mark.skipif(not SHIPPED_HEAD.is_file(), reason="no trained head in model/")
def test_default_classifier_answers_uncertain_outside_its_domain_and_says_why(tmp_path):
    classifier = Classifier.load()
    assert classifier.general is not None
    for name, image in (("shapes.png", flat_shapes()), ("screen.png", screenshot()),
                        ("tiny.png", photo_like(48, 40))):
        image.save(tmp_path / name)
        verdict = classifier.classify_file(tmp_path / name)
        assert verdict.label == "uncertain", name
        assert any(e.startswith("cannot judge: ") for e in verdict.evidence)
    photo = tmp_path / "photo.jpg"
    jpeg(photo_like(640, 480)).save(photo)
    assert classifier.classify_file(photo).limits == ()
    from .test_cli import aiic

    record = json.loads(aiic("classify", "--json", str(tmp_path / "shapes.png")).stdout)
    assert record["label"] == "uncertain" and "cannot judge" in record["evidence"][0]


def write_tiny_general_set(root: Path, per_group: int = 4) -> Path:
    """A manifest folder shaped like ../shared: real photographs, two generator families and
    a face source with both classes, in train, val and test. "Generated" pictures carry a
    blocky 2×2 upsampling pattern and a bright square, so a head can learn them."""
    rng = np.random.default_rng(3)
    rows = ["path,label,source,split,sha256,device"]
    groups = [("coco", "real"), ("camera", "real"), ("gen_a", "fake"), ("gen_b", "fake"),
              ("faces", "real"), ("faces", "fake")]
    for source, label in groups:
        for split in ("train", "val", "test"):
            for i in range(per_group):
                device = ("Canon EOS 5D" if i % 2 else "Apple iPhone 8") if source == "camera" \
                    else ""
                picture = np.asarray(photo_like(96, 96, seed=int(rng.integers(1 << 30))))
                if label == "fake":
                    picture = picture[::2, ::2].repeat(2, 0).repeat(2, 1).copy()
                    picture[30:60, 30:60] = (230, 230, 90) if source == "gen_a" else (90, 230, 230)
                path = f"{source}/{label}/{split}_{i}.jpg"
                (root / source / label).mkdir(parents=True, exist_ok=True)
                Image.fromarray(picture).save(root / path, quality=95)
                rows.append(f"{path},{label},{source},{split},,{device}")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    return root


@needs_encoder
def test_tiny_general_training_run(tmp_path):
    """The whole recipe on a small synthetic set: features, block choice, held-out runs,
    cross-fitted fusion, bounds, card and report."""
    from training.clip_features import main as extract
    from training.general import main as train_general
    from training.general_report import main as report

    data = write_tiny_general_set(tmp_path / "data")
    out, cache = tmp_path / "out", str(tmp_path / "cache")
    # the views training does not make itself: augmented train pictures, the content
    # control and a shared copy of val and test
    extract(["--data", str(data), "--cache", cache, "--views", "augmented", "control",
             "jpeg80"])
    code = train_general(["--data", str(data), "--out", str(out), "--cache", cache,
                          "--clusters", "2"])
    assert code == 0
    card = json.loads((out / f"{MODEL_NAME}.card.json").read_text())
    assert card["face_model"] and 0 <= card["threshold"] <= 1
    assert card["metrics"]["test"]["overall"]["n"] == 24
    assert {row["family"] for row in card["held_out"]} == {"gen_a", "gen_b", "faces"}
    assert all(0 <= row["test_control"]["auc"] <= 1 for row in card["held_out"])
    assert "%" in card["low_score_caveat"] and card["block_choice_on_val"]
    photographs = card["photographs"]
    assert photographs["test"]["camera"]["n"] == 12  # every real picture of the folder
    assert set(photographs["shared_test"]) == {"jpeg80"}
    assert {r["maker"] for r in photographs["maker_out"]} == {"Apple", "Canon"}
    assert all(r["n"] == 6 for r in photographs["maker_out"])
    classifier = Classifier.load(out / f"{MODEL_NAME}.card.json")
    assert classifier.general is not None and classifier.general.crops == card["crops"]
    image = data / "gen_a" / "fake" / "test_0.jpg"
    assert 0 <= classifier.classify_file(image).probability <= 1
    assert report(["--data", str(data), "--card", str(out / f"{MODEL_NAME}.card.json"),
                   "--out", str(tmp_path / "report.md")]) == 0
    written = (tmp_path / "report.md").read_text()
    assert "content control" in written and "camera maker left out" in written
    assert train_general(["--data", str(data), "--out", str(out)]) == 2  # exists


def test_a_card_whose_face_model_is_a_detector_is_refused(tmp_path):
    from ai_image_classifier.cards import ModelLoadError

    card = tmp_path / "loop.card.json"
    card.write_text(json.dumps({"face_model": MODEL_NAME, "head": "h.npz"}))
    with pytest.raises(ModelLoadError, match="must name a network"):
        Classifier.load(card)


def test_training_sees_a_large_picture_as_the_app_does(tmp_path):
    """One path for both: the views and graphic measures that training caches for a 12 MP
    JPEG are the ones the app computes when it classifies that file."""
    from ai_image_classifier.model_input import load_model_input
    from training.clip_features import view_pixels
    from training.general import picture_facts
    from training.heads import Split

    path = tmp_path / "large.jpg"
    jpeg(photo_like(4000, 3000), quality=92).save(path)
    app = load_model_input(path, 128, general=True, crops=1)
    trained = view_pixels(path, "clean", np.random.default_rng(0))
    assert np.array_equal(trained[0], app.clip) and np.array_equal(trained[1], app.crops[0])
    split = Split(*(np.zeros(1),) * 5, np.array([path.name]))
    facts = picture_facts([tmp_path], split)[0]
    assert tuple(facts[:2]) == app.graphic and tuple(facts[2:]) == app.size
