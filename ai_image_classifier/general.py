"""The general detector: frozen CLIP features, two small trained heads, fused with the face
model.

- The *content* head (UnivFD) reads a final CLIP embedding: what the picture shows. It
  recognises generators whose style it has seen, and on photographs it reads the scene. Its
  head file says which embedding it reads (`content_from`): the whole picture's, or the mean
  over the native crops' (which the trace head's encoder run makes anyway, so the whole
  picture is then not encoded at all). The shipped head reads the crops' with weight 0: the
  content head is off, and the crops' embeddings serve the domain limit alone.
- The *trace* head (after RINE, ECCV 2024) reads the CLS tokens that intermediate transformer
  blocks leave on native-resolution crops, where the low-level traces of generation survive
  that shrinking the whole picture to 224 px erases. Its logit is the mean over the crops.
- The face network judges a face crop (face swaps change a small region).

The three logits are combined by a logistic fusion that `training/general.py` fits on scores
of generator families each head never saw, so the threshold and the uncertain band describe
how it does on a new generator, not only on the ones it learned. Both heads are linear, with
their standardisation folded into the weights.

The detector also knows its limits: `domain_limits` names what makes a picture unlike
anything it was trained on (too small, flat colours like a drawing or a screenshot, or CLIP
features far from every training cluster), and such pictures are answered "uncertain".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .calibration import sigmoid

if TYPE_CHECKING:
    from .clip_encoder import ClipEncoder
    from .model_input import ModelInput

MIN_SIDE = 64  # pixels; below this there is too little to judge
FUSED = ("face", "content", "trace")  # the fusion's inputs, in the order of its weights
#: What the content head and the domain limit read: the whole picture's embedding, or the
#: mean over the native crops' (the trace head's encoder run gives those).
CONTENT_VIEWS = ("whole", "crops")


class HeadLoadError(RuntimeError):
    """The head file is missing or damaged."""


@dataclass(frozen=True)
class GeneralHead:
    content_weights: np.ndarray  # 512: ridge probe on a unit embedding (`content_from`)
    content_bias: float
    trace_blocks: np.ndarray  # indices of the blocks whose CLS tokens the trace head reads
    trace_weights: np.ndarray  # len(trace_blocks) × 768, standardisation folded in
    trace_bias: float
    fusion: np.ndarray  # weights of FUSED, then the bias
    centroids: np.ndarray  # k×512 unit vectors: clusters of the training embeddings
    min_similarity: float  # below this cosine to every centroid: unlike the training data
    max_flat_fraction: float  # above these (`graphic_measures`): a drawing or a screenshot
    max_colour_coverage: float
    crops: int = 1  # native-resolution crops per picture
    content_from: str = "whole"  # CONTENT_VIEWS: which embedding content and similarity read

    @classmethod
    def load(cls, path: Path) -> GeneralHead:
        """A head file; one saved before `content_from` existed reads the whole picture."""
        try:
            with np.load(path) as stored:
                head = cls(stored["content_weights"].astype(np.float32),
                           float(stored["content_bias"]),
                           stored["trace_blocks"].astype(np.int64),
                           stored["trace_weights"].astype(np.float32),
                           float(stored["trace_bias"]), stored["fusion"].astype(np.float64),
                           stored["centroids"].astype(np.float32),
                           float(stored["min_similarity"]), float(stored["max_flat_fraction"]),
                           float(stored["max_colour_coverage"]), int(stored["crops"]),
                           str(stored["content_from"]) if "content_from" in stored.files
                           else "whole")
        except (OSError, KeyError, ValueError, TypeError) as exc:
            raise HeadLoadError(f"{path.name}: not a valid detector head ({exc})") from exc
        if (head.content_weights.shape != (head.centroids.shape[1],)
                or head.trace_weights.shape != (len(head.trace_blocks), 768)
                or head.fusion.shape != (len(FUSED) + 1,) or not 1 <= head.crops <= 8
                or head.content_from not in CONTENT_VIEWS
                or not np.isin(head.trace_blocks, np.arange(12)).all()):
            raise HeadLoadError(f"{path.name}: the head's shapes do not match")
        return head

    def save(self, path: Path) -> None:
        np.savez(path, **{name: getattr(self, name) for name in self.__dataclass_fields__})

    def content_logit(self, embeddings: np.ndarray) -> np.ndarray:
        return embeddings.astype(np.float32) @ self.content_weights + self.content_bias

    def trace_logit(self, blocks: np.ndarray) -> np.ndarray:
        """N×12×768 CLS tokens → N logits."""
        chosen = blocks[:, self.trace_blocks].astype(np.float32)
        return np.einsum("nbd,bd->n", chosen, self.trace_weights) + self.trace_bias

    def fused_logit(self, face: np.ndarray, content: np.ndarray, trace: np.ndarray
                    ) -> np.ndarray:
        *weights, bias = self.fusion
        return (weights[0] * np.asarray(face, np.float64) + weights[1] * content
                + weights[2] * trace + bias)

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


@dataclass(frozen=True)
class Scores:
    """Each part's logit for a batch of pictures, before fusion."""

    content: np.ndarray
    trace: np.ndarray
    similarity: np.ndarray


class GeneralDetector:
    """The CLIP encoder and the head: fused probabilities and domain limits for a batch."""

    def __init__(self, head: GeneralHead, encoder: ClipEncoder) -> None:
        self.head, self.encoder = head, encoder

    @property
    def crops(self) -> int:
        return self.head.crops

    def scores(self, inputs: list[ModelInput]) -> Scores:
        """One encoder run over every picture's crops, and its whole view when the content
        head reads that; each picture's crop values are pooled by their mean."""
        whole = self.head.content_from == "whole"
        views = [i.crops for i in inputs]
        features = self.encoder.encode(np.concatenate(
            [np.stack([i.clip for i in inputs])] + views if whole else views))
        first = len(inputs) if whole else 0
        edges = np.cumsum([0, *[len(v) for v in views]])

        def pooled(per_crop: np.ndarray) -> np.ndarray:
            return np.array([per_crop[a:b].mean() for a, b in zip(edges[:-1], edges[1:],
                                                                    strict=True)])

        trace = pooled(self.head.trace_logit(features.blocks[first:]))
        if whole:
            embeddings = features.embeddings[:first]
            return Scores(self.head.content_logit(embeddings), trace,
                          self.head.similarity(embeddings))
        return Scores(pooled(self.head.content_logit(features.embeddings)), trace,
                      pooled(self.head.similarity(features.embeddings)))

    def judge(self, face_logits: np.ndarray, inputs: list[ModelInput]
              ) -> tuple[np.ndarray, list[tuple[str, ...]]]:
        scores = self.scores(inputs)
        fused = self.head.fused_logit(face_logits, scores.content, scores.trace)
        limits = [self.head.domain_limits(i.graphic, i.size, float(sim))
                  for i, sim in zip(inputs, scores.similarity, strict=True)]
        return sigmoid(fused), limits
