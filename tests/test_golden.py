"""Every shipped model computes on this CPU what an exact computation gave
(`python -m training.golden` stores those outputs), and no shipped graph multiplies uint8
activations by int8 weights, whose kernel saturates on x86 CPUs without VNNI: a golden test
alone cannot catch that on a CPU that has VNNI.

Tolerances: the encoder's outputs at cosine ≥ 0.999 (its self-check's bound) and the
detector's probability within 0.01 (1e-5 for the head alone on stored features); the float
LiteRT exports within 1e-3 of Keras."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ai_image_classifier.backends import load_backend
from ai_image_classifier.calibration import logit
from ai_image_classifier.cards import MODEL_NAME, bundled_model_dir, read_card_file
from ai_image_classifier.classifier import Classifier
from ai_image_classifier.clip_encoder import (
    CHECK_COSINE,
    ClipEncoder,
    EncoderFeatures,
    EncoderMissingError,
    check_path,
    clip_pixels,
    cosine,
)
from ai_image_classifier.general import GeneralDetector, GeneralHead
from ai_image_classifier.model_input import ModelInput
from ai_image_classifier.superres import SCALES, LearnedUpscaler, bundled_upscaler_path

from .conftest import ROOT, needs_encoder

GOLDEN = ROOT / "tests" / "golden"


def golden(name: str) -> dict[str, np.ndarray]:
    with np.load(GOLDEN / f"{name}.npz") as stored:
        return dict(stored)


@needs_encoder
def test_encoder_matches_the_exact_computation():
    stored = golden("encoder")
    encoder = ClipEncoder()
    for i, name in enumerate(stored["names"]):
        got = encoder.encode(clip_pixels(Image.fromarray(stored[f"picture_{name}"]))[None])
        assert cosine(got.embeddings[0], stored["embedding"][i]) >= CHECK_COSINE, name
        for block in range(got.blocks.shape[1]):
            assert cosine(got.blocks[0, block], stored["block_cls"][i, block]) >= CHECK_COSINE


def _shipped_head() -> Path:
    from ai_image_classifier.encoder_setup import sha256_of

    path = bundled_model_dir() / read_card_file(
        bundled_model_dir() / f"{MODEL_NAME}.card.json")["head"]
    assert sha256_of(path) == str(golden("detector")["head_sha256"]), \
        "the head changed: run `python -m training.golden --only detector`"
    return path


class StoredFeatures:
    """An encoder that answers with the golden file's features: the crops, after the whole
    views when the head reads those."""

    def __init__(self, stored: dict[str, np.ndarray], whole: bool) -> None:
        self.stored, self.whole = stored, whole

    def encode(self, pixels: np.ndarray) -> EncoderFeatures:
        n = len(self.stored["names"]) if self.whole else 0
        crops, embeddings = self.stored["crop_blocks"], self.stored["crop_embeddings"]
        assert len(pixels) == n + crops.shape[0] * crops.shape[1]
        blocks = np.concatenate([np.zeros((n, *crops.shape[2:]), np.float32),
                                 crops.reshape(-1, *crops.shape[2:])])
        return EncoderFeatures(np.concatenate([self.stored["embedding"][:n],
                                               embeddings.reshape(-1, embeddings.shape[2])]),
                               blocks)


def test_head_and_fusion_match_the_independent_formula():
    """The app's head code on stored features, against the probability written out from the
    head file's arrays (`training.golden.independent_probability`): no kernel involved."""
    stored = golden("detector")
    head = GeneralHead.load(_shipped_head())
    detector = GeneralDetector(head, StoredFeatures(stored, head.content_from == "whole"))
    crops = stored["crop_blocks"].shape[1]
    inputs = [ModelInput(np.zeros((1, 1, 3), np.uint8), None, np.zeros((3, 224, 224)),
                         np.zeros((crops, 3, 224, 224)), tuple(graphic), tuple(size))
              for graphic, size in zip(stored["graphic"], stored["size"], strict=True)]
    probabilities, _ = detector.judge(logit(stored["face_probability"]), inputs)
    assert np.allclose(probabilities, stored["probability"], atol=1e-5)


@needs_encoder
def test_detector_probabilities_match_the_exact_computation():
    """The whole app (views, encoder, face network, head, fusion) on the golden pictures."""
    _shipped_head()
    stored = golden("detector")
    classifier = Classifier.load()
    assert classifier.general is not None, classifier.general_off
    for i, name in enumerate(stored["names"]):
        verdict = classifier.classify_image(stored[f"picture_{name}"])
        assert verdict.probability == pytest.approx(stored["probability"][i], abs=0.01), name


@pytest.mark.parametrize("name", ["ai_imageclassifier", "seed_cnn"])
def test_face_network_exports_match_keras(name):
    stored = golden("face_networks")
    backend = load_backend(bundled_model_dir() / f"{name}.tflite")
    got = backend.predict(stored[f"{name}_inputs"])
    assert np.abs(got - stored[f"{name}_probability"]).max() <= 1e-3


@pytest.mark.parametrize("scale", SCALES)
def test_upscaler_export_matches_keras(scale):
    """Compared away from the edges, which the app mirrors and Keras pads with zeros."""
    stored = golden("upscaler")
    upscaler = LearnedUpscaler(bundled_upscaler_path(scale))
    edge = scale * upscaler.margin
    for luma, expected in zip(stored["luma"], stored[f"x{scale}_output"], strict=True):
        got = upscaler.upscale_luma(luma)
        assert np.abs(got - expected)[edge:-edge, edge:-edge].max() <= 1e-3


@needs_encoder
def test_self_check_passes_here_and_fails_on_wrong_numbers(tmp_path):
    encoder = ClipEncoder()
    encoder.self_check()
    with np.load(check_path()) as stored:
        wrong = dict(stored)
    wrong["embedding"] = np.roll(wrong["embedding"], 1)  # what a broken kernel would give
    np.savez(tmp_path / "wrong.npz", **wrong)
    with pytest.raises(EncoderMissingError, match="computes differently"):
        encoder.self_check(tmp_path / "wrong.npz")


def test_no_shipped_graph_multiplies_uint8_by_int8():
    """The encoder on disk (when set up) and any ONNX file committed under model/."""
    onnx = pytest.importorskip("onnx", reason="the graph check needs requirements-train.txt")
    from ai_image_classifier.encoder_setup import integer_matmuls

    graphs = sorted((ROOT / "model").rglob("*.onnx"))
    shipped = [g for g in graphs if g.name.endswith(".w8.onnx") or "clip" not in g.parts]
    if not shipped:
        pytest.skip("no ONNX graph is set up (`make setup`)")
    for path in shipped:
        model = onnx.load(str(path))
        saturating = [(op, node) for op, node, activation, weight in integer_matmuls(model)
                      if (activation, weight) == (2, 3)]
        assert not saturating, f"{path.name}: uint8 × int8 products: {saturating[:3]}"
        assert not any(n.op_type == "DynamicQuantizeLinear" for n in model.graph.node), \
            f"{path.name} quantises activations: its output would depend on float rounding"


def test_the_graph_check_finds_the_original_u8s8_pattern():
    """The check above would have caught the wheel's original graph."""
    pytest.importorskip("onnx", reason="the graph check needs requirements-train.txt")
    from onnx import TensorProto, helper

    from ai_image_classifier.encoder_setup import integer_matmuls

    graph = helper.make_graph(
        [helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
         helper.make_node("MatMulInteger", ["xq", "w", "xz", "wz"], ["y"], name="mm")],
        "u8s8", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [1, 2])],
        [helper.make_tensor("w", TensorProto.INT8, [4, 2], [1] * 8),
         helper.make_tensor("wz", TensorProto.INT8, [], [0])])
    assert integer_matmuls(helper.make_model(graph)) == [("MatMulInteger", "mm", 2, 3)]
