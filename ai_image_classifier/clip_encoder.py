"""CLIP ViT-B/16 image features, the general detector's eyes (UnivFD's recipe: frozen
foundation-model features with a small trained head generalise across generators).

The encoder file is made once by `encoder_setup` (downloaded, sha256-checked, and rewritten so
that it multiplies in float: the same features on every CPU). It runs on onnxruntime. Each
time it loads, `self_check` embeds a small stored picture and compares the result with the
one an exact float64 computation gave (`training/encoder_reference.py`), so a CPU or runtime
that computes it differently, or a damaged file, is found before any verdict uses it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .resources import resource_path

#: The rewritten encoder (`encoder_setup.prepare`); its sha256 is checked when it is made.
ENCODER_FILE = "clip_vit_b16.w8.onnx"
ENCODER_SHA256 = "b643da2c45be52514d6d9904a807f062f75351ad6e010c003cb7a00830f33adf"
INPUT_NAME = "pixel_values"
EMBEDDING_OUTPUT = "image_embeds"
BLOCK_OUTPUT = "block_cls"
INPUT_SIDE = 224
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
#: The least cosine similarity to the stored exact outputs that the self-check accepts.
CHECK_COSINE = 0.999
ENCODE_BATCH = 4  # views per encoder run (ClipEncoder.encode)


class EncoderMissingError(RuntimeError):
    """The encoder file is absent, damaged, or does not compute what it should here."""


def encoder_path() -> Path:
    return resource_path("model", "clip", ENCODER_FILE)


def check_path() -> Path:
    """The self-check's picture and its exact outputs."""
    return resource_path("model", "clip_encoder.check.npz")


def clip_pixels(image: Image.Image) -> np.ndarray:
    """CLIP's own preprocessing: the centre square, resized to 224 (bicubic), mean/std.
    Cropping before resizing is CLIP's "shorter side to 224, centre crop" for a square picture
    and nearly so for others, and it keeps a thin strip from being enlarged whole (a 64 ×
    1,000,000 strip would become 224 × 3,500,000). Training and the app both call this."""
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    square = image.convert("RGB").crop((left, top, left + side, top + side))
    crop = square.resize((INPUT_SIDE, INPUT_SIDE), Image.Resampling.BICUBIC)
    return normalise(np.asarray(crop))


Box = tuple[int, int, int, int]  # left, top, right, bottom in pixels


def crop_boxes(size: tuple[int, int], count: int) -> list[Box]:
    """Up to `count` native-resolution 224 px squares spread along the picture's diagonal (the
    centre for one). Generators leave their traces at pixel scale, which shrinking a 12 MP
    photo to 224 px erases; these crops keep them. Crops that would overlap along the short
    side add little but time, so a picture gets only as many as fit side by side there: one
    below 448 px (the centre), and a picture smaller than a crop gets one box, itself."""
    width, height = size
    if min(width, height) <= INPUT_SIDE:
        return [(0, 0, width, height)]
    count = max(1, min(count, min(width, height) // INPUT_SIDE))
    boxes = []
    for i in range(count):
        fraction = (i + 1) / (count + 1)
        left = round(fraction * (width - INPUT_SIDE))
        top = round(fraction * (height - INPUT_SIDE))
        boxes.append((left, top, left + INPUT_SIDE, top + INPUT_SIDE))
    return boxes


def crop_pixels(piece: Image.Image) -> np.ndarray:
    """One native crop (an RGB piece cut by a `crop_boxes` box) as CLIP input: a 224 px piece
    as it is; a smaller picture, which is its own only box, through `clip_pixels`."""
    if piece.size != (INPUT_SIDE, INPUT_SIDE):
        return clip_pixels(piece)
    return normalise(np.asarray(piece.convert("RGB")))


def normalise(pixels: np.ndarray) -> np.ndarray:
    """224×224×3 uint8 → CLIP's 3×224×224 float input."""
    return ((pixels.astype(np.float32) / 255.0 - MEAN) / STD).transpose(2, 0, 1)


@dataclass(frozen=True)
class EncoderFeatures:
    embeddings: np.ndarray  # N×512 unit vectors: the final, projected embedding
    blocks: np.ndarray  # N×12×768: the CLS token after each transformer block


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-30))


class ClipEncoder:
    """The ONNX image tower on onnxruntime."""

    def __init__(self, path: Path | None = None, threads: int | None = None) -> None:
        path = path or encoder_path()
        if not path.is_file():
            raise EncoderMissingError(
                f"the CLIP encoder is not installed ({path.name}); run `make setup` "
                "or `python -m ai_image_classifier.encoder_setup`")
        import onnxruntime as ort

        ort.disable_telemetry_events()  # the environment switch (package __init__) is the first
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.log_severity_level = 3  # keep onnxruntime's notices out of the user's console
        # Fold the int8 weights into float32 once, at load, and never fuse them back into an
        # integer product (which would quantise activations again).
        options.add_session_config_entry("session.disable_quant_qdq", "1")
        # Multiply by the folded weights as they are rather than repacking them at load: the
        # start, and with it the first verdict, is a quarter of a second sooner, and each later
        # run a few per cent slower (docs/speed.md); outputs move by float rounding only
        # (about 2e-6), far inside the self-check's and the golden tests' bounds.
        options.add_session_config_entry("session.disable_prepacking", "1")
        # Worker threads sleep between operators instead of spinning: on two cores a spinning
        # pool took the CPU from the window and from the picture being prepared beside it
        # (docs/speed.md: the first 12 MP verdict 0.17 s sooner; later runs unchanged).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(str(path), options,
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for a damaged graph
            raise EncoderMissingError(f"{path.name}: not a valid ONNX model ({exc})") from exc
        outputs = {o.name for o in self._session.get_outputs()}
        if {EMBEDDING_OUTPUT, BLOCK_OUTPUT} - outputs:
            raise EncoderMissingError(f"{path.name}: an older encoder without block outputs; "
                                      "run `python -m ai_image_classifier.encoder_setup`")

    def encode(self, pixels: np.ndarray) -> EncoderFeatures:
        """N×3×224×224 CLIP pixels → the unit embeddings and the blocks' CLS tokens.

        Run ENCODE_BATCH views at a time: a folder scan's 32 pictures are 64 views, whose
        attention maps in one run took about a gigabyte more, and larger runs are not faster.
        """
        pixels = np.asarray(pixels, np.float32)
        runs = [self._session.run([EMBEDDING_OUTPUT, BLOCK_OUTPUT],
                                  {INPUT_NAME: pixels[start:start + ENCODE_BATCH]})
                for start in range(0, len(pixels), ENCODE_BATCH)]
        embeds = np.concatenate([embedding for embedding, _ in runs])
        blocks = np.concatenate([block for _, block in runs])
        return EncoderFeatures(embeds / np.linalg.norm(embeds, axis=1, keepdims=True), blocks)

    def embed(self, pixels: np.ndarray) -> np.ndarray:
        """N×3×224×224 CLIP pixels → N×512 unit vectors."""
        return self.encode(pixels).embeddings

    def self_check(self, path: Path | None = None) -> None:
        """Embed the stored check picture and compare with its exact outputs; raises
        `EncoderMissingError` saying how far apart they are."""
        path = path or check_path()
        try:
            with np.load(path) as stored:
                picture, embedding, blocks = (stored["picture"], stored["embedding"],
                                              stored["block_cls"])
        except (OSError, KeyError, ValueError) as exc:
            raise EncoderMissingError(f"{path.name}: the encoder's check data cannot be read "
                                      f"({exc})") from exc
        factor = INPUT_SIDE // picture.shape[0]  # stored small; enlarged by whole pixels
        got = self.encode(normalise(picture.repeat(factor, 0).repeat(factor, 1))[None])
        agreement = min([cosine(got.embeddings[0], embedding)]
                        + [cosine(got.blocks[0, i], blocks[i]) for i in range(len(blocks))])
        if not agreement >= CHECK_COSINE:  # also catches NaN
            raise EncoderMissingError(
                f"it computes differently on this computer (agreement {agreement:.3f} with the "
                f"exact result, {CHECK_COSINE} needed)")
