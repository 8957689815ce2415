"""Golden outputs of every shipped model, from exact computations, for the tests and the
app's load-time self-check.

    python -m training.golden          # after changing any shipped model, head or encoder

- The CLIP encoder: `training.encoder_reference` (NumPy float64, no onnxruntime kernel).
- The face networks and the upscaler: their canonical `.keras` files on TensorFlow, against
  which the app's LiteRT exports are compared.
- The general detector: its probability written out from the head file's arrays in NumPy
  (`independent_probability`, sharing no code with `general.py`), on the exact encoder's
  features of the app's views and the Keras face network's score, so the tests check the
  head, the fusion and the views, not only the kernels.

The pictures are generated here (never copies of ../shared) and stored as pixels, so that
decoding cannot differ between machines.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
from pathlib import Path

import numpy as np

from ai_image_classifier.backends import load_backend
from ai_image_classifier.cards import FACE_MODEL_NAME, bundled_model_dir
from ai_image_classifier.classifier import Classifier
from ai_image_classifier.clip_encoder import EncoderFeatures, check_path, encoder_path
from ai_image_classifier.encoder_setup import sha256_of
from ai_image_classifier.model_input import to_model_input
from ai_image_classifier.superres import SCALES, bundled_upscaler_path

from .encoder_reference import ReferenceEncoder

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GOLDEN = PROJECT_ROOT / "tests" / "golden"
FACE_NETWORKS = (FACE_MODEL_NAME, "seed_cnn")
PARTS = ("encoder", "detector", "face_networks", "upscaler")


def photo_like(rng: np.random.Generator, width: int, height: int, noise: float) -> np.ndarray:
    """Smooth shading with sensor-like noise."""
    y, x = np.mgrid[0:height, 0:width]
    phase = rng.uniform(0, 6, 3)
    base = np.stack([120 + 80 * np.sin(x / 37.0 + phase[0]), 100 + 60 * np.cos(y / 23.0 + phase[1]),
                     90 + 40 * np.sin((x + y) / 51.0 + phase[2])], axis=-1)
    return np.clip(base + rng.normal(0, noise, base.shape), 0, 255).astype(np.uint8)


def texture(rng: np.random.Generator, side: int) -> np.ndarray:
    """Colour noise with a 1/f spectrum, like foliage or gravel."""
    frequency = np.hypot(*np.meshgrid(np.fft.fftfreq(side), np.fft.fftfreq(side)))
    frequency[0, 0] = 1.0
    channels = [np.real(np.fft.ifft2(np.fft.fft2(rng.normal(size=(side, side))) / frequency))
                for _ in range(3)]
    stacked = np.stack(channels, axis=-1)
    stacked = (stacked - stacked.mean()) / stacked.std()
    return np.clip(128 + 45 * stacked, 0, 255).astype(np.uint8)


def flat_shapes(side: int) -> np.ndarray:
    picture = np.full((side, side, 3), 235, np.uint8)
    picture[side // 5: side // 2, side // 6: side // 2] = (200, 40, 30)
    y, x = np.mgrid[0:side, 0:side]
    picture[(y - side * 0.6) ** 2 + (x - side * 0.65) ** 2 < (side * 0.22) ** 2] = (30, 40, 190)
    return picture


def golden_pictures(seed: int = 2026) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"photo_like": photo_like(rng, 160, 120, 10.0),
            "dark_photo_like": (photo_like(rng, 120, 160, 6.0) // 3).astype(np.uint8),
            "texture": texture(rng, 128),
            "flat_shapes": flat_shapes(112)}


class ReferenceFeatures:
    """The reference encoder behind the runtime's `ClipEncoder` interface."""

    def __init__(self, reference: ReferenceEncoder) -> None:
        self.reference = reference

    def encode(self, pixels: np.ndarray) -> EncoderFeatures:
        embeddings, blocks = self.reference.encode(pixels)
        return EncoderFeatures(embeddings, blocks)

    def embed(self, pixels: np.ndarray) -> np.ndarray:
        return self.encode(pixels).embeddings


def exact_classifier(reference: ReferenceEncoder) -> Classifier:
    """The default classifier with its encoder and face network computed exactly."""
    classifier = Classifier.load()
    assert classifier.general is not None, "the general detector did not load"
    face = load_backend(bundled_model_dir() / f"{FACE_MODEL_NAME}.keras",
                        classifier.backend.__class__.__name__ == "FlipAveragedBackend")
    general = copy.copy(classifier.general)
    general.encoder = ReferenceFeatures(reference)
    return dataclasses.replace(classifier, backend=face, general=general)


def encoder_golden(reference: ReferenceEncoder, pictures: dict[str, np.ndarray]) -> dict:
    from PIL import Image

    from ai_image_classifier.clip_encoder import clip_pixels

    names = sorted(pictures)
    pixels = np.stack([clip_pixels(Image.fromarray(pictures[n])) for n in names])
    embeddings, blocks = reference.encode(pixels)
    return {"names": np.array(names), "embedding": embeddings.astype(np.float32),
            "block_cls": blocks.astype(np.float32),
            "encoder_sha256": np.array(sha256_of(encoder_path())),
            **{f"picture_{n}": pictures[n] for n in names}}


def independent_probability(head: dict[str, np.ndarray], face_probability: np.ndarray,
                            embedding: np.ndarray, crop_embeddings: np.ndarray,
                            crop_blocks: np.ndarray) -> np.ndarray:
    """P(fake) from the head file's arrays: the content probe on the whole view's embedding
    or averaged over the crops' (the head's `content_from`), the trace probe on the chosen
    blocks' CLS tokens averaged over the crops, and the fusion of those two with the face
    network's logit (N pictures, k crops: crop_embeddings N×k×512, crop_blocks N×k×12×768)."""
    face_logit = np.log(face_probability / (1.0 - face_probability))
    if str(head.get("content_from", "whole")) == "whole":
        content = embedding @ head["content_weights"] + head["content_bias"]
    else:
        content = (crop_embeddings @ head["content_weights"]).mean(axis=1) + head["content_bias"]
    chosen = crop_blocks[:, :, head["trace_blocks"], :]
    trace = (chosen * head["trace_weights"]).sum(axis=(2, 3)).mean(axis=1) + head["trace_bias"]
    face_weight, content_weight, trace_weight, bias = head["fusion"]
    fused = face_weight * face_logit + content_weight * content + trace_weight * trace + bias
    return 1.0 / (1.0 + np.exp(-fused))


def detector_golden(reference: ReferenceEncoder, pictures: dict[str, np.ndarray]) -> dict:
    """The exact features of each picture's views (as the app makes them) and the probability
    computed from them without the app's head code."""
    classifier = exact_classifier(reference)
    names = sorted(pictures)
    prepared = [classifier.prepare(pictures[n]) for n in names]
    face = np.concatenate([classifier.predict_batch(p.pixels[None]) for p in prepared])
    embedding = reference.encode(np.stack([p.clip for p in prepared]))[0]
    crop_features = [reference.encode(p.crops) for p in prepared]
    crop_embeddings = np.stack([embeddings for embeddings, _ in crop_features])
    crop_blocks = np.stack([blocks for _, blocks in crop_features])
    head_path = bundled_model_dir() / classifier.card["head"]
    with np.load(head_path) as stored:
        head = dict(stored)
    return {"names": np.array(names), "face_probability": face,
            "embedding": embedding.astype(np.float32),
            "crop_embeddings": crop_embeddings.astype(np.float32),
            "crop_blocks": crop_blocks.astype(np.float32),
            "graphic": np.array([p.graphic for p in prepared]),
            "size": np.array([p.size for p in prepared]),
            "probability": independent_probability(head, face, embedding, crop_embeddings,
                                                   crop_blocks),
            "head_sha256": np.array(sha256_of(head_path)),
            **{f"picture_{n}": pictures[n] for n in names}}


def self_check_data(reference: ReferenceEncoder, seed: int = 7) -> dict[str, np.ndarray]:
    """A 56 px photo-like picture (enlarged 4× by whole pixels when checked) and its exact
    outputs: photo-like, because real photographs were what the saturating kernel broke."""
    from ai_image_classifier.clip_encoder import INPUT_SIDE, normalise

    picture = photo_like(np.random.default_rng(seed), 56, 56, 14.0)
    factor = INPUT_SIDE // picture.shape[0]
    embeddings, blocks = reference.encode(
        normalise(picture.repeat(factor, 0).repeat(factor, 1))[None])
    return {"picture": picture, "embedding": embeddings[0].astype(np.float32),
            "block_cls": blocks[0].astype(np.float32)}


def face_golden(pictures: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name in FACE_NETWORKS:
        backend = load_backend(bundled_model_dir() / f"{name}.keras")
        batch = np.stack([to_model_input(pictures[n], backend.input_size)
                          for n in sorted(pictures)])
        out[f"{name}_inputs"], out[f"{name}_probability"] = batch, backend.predict(batch)
    return out


def upscaler_golden(pictures: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    import keras

    from ai_image_classifier.superres import to_ycrcb

    from . import superres  # noqa: F401 - registers the network's custom layer with Keras

    lumas = [to_ycrcb(pictures[n][:48, :48])[:, :, 0] for n in sorted(pictures)]
    out = {"luma": np.stack(lumas)}
    for scale in SCALES:
        model = keras.saving.load_model(bundled_upscaler_path(scale).with_suffix(".keras"),
                                        compile=False)
        out[f"x{scale}_output"] = np.stack(
            [np.asarray(model(luma[None, :, :, None], training=False))[0, :, :, 0]
             for luma in lumas])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=GOLDEN)
    parser.add_argument("--only", choices=PARTS, nargs="+", default=PARTS,
                        help="the models whose golden outputs to write (default: all)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    pictures = golden_pictures()
    if "encoder" in args.only:
        reference = ReferenceEncoder()
        np.savez_compressed(check_path(), **self_check_data(reference))
        np.savez_compressed(args.out / "encoder.npz", **encoder_golden(reference, pictures))
        print(f"wrote {check_path()}")
    if "detector" in args.only:
        np.savez_compressed(args.out / "detector.npz",
                            **detector_golden(ReferenceEncoder(), pictures))
    if "face_networks" in args.only:
        np.savez_compressed(args.out / "face_networks.npz", **face_golden(pictures))
    if "upscaler" in args.only:
        np.savez_compressed(args.out / "upscaler.npz", **upscaler_golden(pictures))
    print(f"wrote {', '.join(f'{args.out}/{part}.npz' for part in args.only)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
