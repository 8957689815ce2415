"""The general detector: frozen CLIP features, a small trained head, fused with the face model.

UnivFD's finding is that a linear head on a foundation model's features generalises across
generators far better than a network trained end to end on one generator's artefacts; the
face network stays for what it is good at (face swaps, which change a small region). The two
logits are combined by a logistic fusion fitted on the validation split
(`training/general.py`), which also sets the threshold and the uncertain band.

The head also knows its limits: `domain_limits` names what makes a picture unlike anything it
was trained on (too small, flat colours like a drawing or a screenshot, or CLIP features far
from every training cluster), and such pictures are answered "uncertain" with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from .clip_encoder import ClipEncoder
    from .imaging import ModelInput

MIN_SIDE = 64  # pixels; below this there is too little to judge
FLAT_SIDE = 512  # flatness is measured on a copy at most this large (nearest neighbour)


class HeadLoadError(RuntimeError):
    """The head file is missing or damaged."""


@dataclass(frozen=True)
class GeneralHead:
    weights: np.ndarray  # 512: the logistic head on unit CLIP embeddings
    bias: float
    fusion: np.ndarray  # (face weight, clip weight, bias) on the two logits
    centroids: np.ndarray  # k×512 unit vectors: clusters of the training embeddings
    min_similarity: float  # below this cosine to every centroid: unlike the training data
    max_flat_fraction: float  # above these (`graphic_measures`): a drawing or a screenshot
    max_colour_coverage: float

    @classmethod
    def load(cls, path: Path) -> GeneralHead:
        try:
            with np.load(path) as stored:
                head = cls(stored["weights"].astype(np.float32), float(stored["bias"]),
                           stored["fusion"].astype(np.float64),
                           stored["centroids"].astype(np.float32),
                           float(stored["min_similarity"]), float(stored["max_flat_fraction"]),
                           float(stored["max_colour_coverage"]))
        except (OSError, KeyError, ValueError) as exc:
            raise HeadLoadError(f"{path.name}: not a valid detector head ({exc})") from exc
        if head.weights.shape != (head.centroids.shape[1],) or head.fusion.shape != (3,):
            raise HeadLoadError(f"{path.name}: the head's shapes do not match")
        return head

    def save(self, path: Path) -> None:
        np.savez(path, weights=self.weights, bias=self.bias, fusion=self.fusion,
                 centroids=self.centroids, min_similarity=self.min_similarity,
                 max_flat_fraction=self.max_flat_fraction,
                 max_colour_coverage=self.max_colour_coverage)

    def clip_logit(self, embeddings: np.ndarray) -> np.ndarray:
        return embeddings.astype(np.float32) @ self.weights + self.bias

    def fused_logit(self, face_logit: np.ndarray, clip_logit: np.ndarray) -> np.ndarray:
        face_weight, clip_weight, bias = self.fusion
        return face_weight * face_logit + clip_weight * clip_logit + bias

    def similarity(self, embeddings: np.ndarray) -> np.ndarray:
        """Cosine similarity of each embedding to its nearest training cluster."""
        return (embeddings.astype(np.float32) @ self.centroids.T).max(axis=1)

    def domain_limits(self, graphic: tuple[float, float], size: tuple[int, int],
                      similarity: float) -> tuple[str, ...]:
        """Why this picture is outside what the detector knows; () when it is not."""
        reasons = []
        if min(size) < MIN_SIDE:
            reasons.append(f"too small to judge ({size[0]}×{size[1]} pixels)")
        flat, coverage = graphic
        if flat > self.max_flat_fraction or coverage > self.max_colour_coverage:
            reasons.append("made of flat colours, like a drawing, a screenshot or a graphic")
        if similarity < self.min_similarity:
            reasons.append("unlike the photographs and paintings it was trained on")
        return tuple(reasons)


class GeneralDetector:
    """The CLIP encoder and the head: fused probabilities and domain limits for a batch."""

    def __init__(self, head: GeneralHead, encoder: ClipEncoder) -> None:
        self.head, self.encoder = head, encoder

    def judge(self, face_logits: np.ndarray, inputs: list[ModelInput]
              ) -> tuple[np.ndarray, list[tuple[str, ...]]]:
        embeddings = self.encoder.embed(np.stack([i.clip for i in inputs]))
        fused = self.head.fused_logit(np.asarray(face_logits, np.float64),
                                      self.head.clip_logit(embeddings))
        similarity = self.head.similarity(embeddings)
        limits = [self.head.domain_limits(i.graphic, i.size, float(sim))
                  for i, sim in zip(inputs, similarity, strict=True)]
        return 1.0 / (1.0 + np.exp(-fused)), limits


def graphic_measures(image: Image.Image) -> tuple[float, float]:
    """(flat fraction, colour coverage) of a picture, on a copy at most FLAT_SIDE large.

    Flat fraction: the share of pixels equal to both their right and lower neighbours, not
    counting clipped black or white. Colour coverage: the share of pixels in the 16 most
    frequent colours. Photographs carry sensor noise and texture, so both stay low; drawings,
    screenshots and graphics are made of repeated flat colours, and a JPEG copy of them keeps
    at least one of the two high.
    """
    small = image
    if max(image.size) > FLAT_SIDE:
        scale = FLAT_SIDE / max(image.size)
        small = image.resize((max(1, round(image.width * scale)),
                              max(1, round(image.height * scale))), Image.Resampling.NEAREST)
    pixels = np.asarray(small.convert("RGB"))
    codes = (pixels.astype(np.uint32) * np.array([65536, 256, 1], np.uint32)).sum(axis=2)
    counts = np.unique(codes, return_counts=True)[1]
    coverage = float(np.sort(counts)[::-1][:16].sum() / codes.size)
    if codes.shape[0] < 2 or codes.shape[1] < 2:
        return 1.0, coverage
    centre = codes[:-1, :-1]
    same = (centre == codes[:-1, 1:]) & (centre == codes[1:, :-1])
    wide = pixels[:-1, :-1].astype(np.int16)
    counted = (wide.max(axis=2) > 2) & (wide.min(axis=2) < 253)  # not clipped black or white
    if counted.sum() < 0.05 * counted.size:
        return float(same.mean()), coverage  # almost all clipped: judge it as it is
    return float((same & counted).sum() / counted.sum()), coverage
