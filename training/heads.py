"""The general detector's heads on cached CLIP features, and the leave-one-family-out runs
that measure them.

Each head is a linear probe: weighted ridge regression on standardised features (targets ±1),
with every (source, label) group weighing the same, and its standardisation folded into the
weights so the app computes one dot product. Ridge has a closed form, which makes the 17
held-out runs (each with its own regularisation chosen on val) minutes, not hours; the fusion
that follows turns its scores into calibrated probabilities.

Leaving a family out removes its train images (for a face source, both its classes), and every
choice made in that run (the regularisation, the fusion, the threshold) is made on val without
that family. Split by prompt, the modern families' test prompts are in no train or val image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from ai_image_classifier.calibration import sigmoid
from training.calibration_fit import roc_threshold

from .clip_features import CACHE, cache_path, cached_features, face_logits

# real pictures beside the generated families: photographs, paintings, camera originals
REAL_SOURCES = ("coco", "imagenet", "wikiart", "camera")
# data-wild's generator sources that belong to a family of another set: a held-out run leaves
# out the whole family (its SD 1.5 fine-tunes are Stable Diffusion 1.x, like DiffusionDB's)
FAMILY_OF = {"sd15": "sd14_diffusiondb", "sd35": "sd3"}
LAMBDAS = (1.0, 10.0, 100.0, 1000.0, 10000.0)
FACE_SOURCES = ("ciplab", "lfw_faceswap", "stylegan2_ffhq")
#: What the content head and the domain limit read: the whole picture's embedding, or the
#: native crop's (which the trace head's encoder run computes anyway, so the app need not
#: encode the whole picture); "off" reads the crop's for the domain limit and fits no content
#: head, so the fusion gives it weight 0.
CONTENT_EMBEDDINGS = {"whole": "whole_embeddings", "crops": "crop_embeddings",
                 "off": "crop_embeddings"}


@dataclass
class Split:
    """Cached features of one split and view, every data folder concatenated."""

    content: np.ndarray  # N×512 unit embeddings the content head reads (CONTENT_EMBEDDINGS)
    blocks: np.ndarray  # N×12×768 float16 CLS tokens of the native crop
    face: np.ndarray  # N face-network logits
    targets: np.ndarray
    sources: np.ndarray
    paths: np.ndarray

    def subset(self, keep: np.ndarray) -> Split:
        return Split(*(getattr(self, name)[keep] for name in self.__dataclass_fields__))

    @staticmethod
    def join(parts: list[Split]) -> Split:
        if not parts:
            return Split(np.zeros((0, 512), np.float32), np.zeros((0, 12, 768), np.float16),
                         *(np.zeros(0, dtype) for dtype in (np.float32, np.int8, str, str)))
        return Split(*(np.concatenate([getattr(p, name) for p in parts])
                       for name in Split.__dataclass_fields__))


def load_split(data_dirs: list[Path], split: str, view: str, cache: Path = CACHE,
               only_cached: bool = False, content_from: str = "whole") -> Split:
    """One split and view of every folder; with `only_cached`, of the folders whose features
    of that view are cached (the shared copies are made for some sets only). `content_from`
    says which embedding the content head reads: the whole picture's or the native crop's."""
    parts = []
    for data_dir in data_dirs:
        if only_cached and not cache_path(data_dir, split, view, cache).is_file():
            continue
        stored = cached_features(data_dir, split, view, cache=cache)
        faces = face_logits(data_dir, split, "clean" if view == "augmented" else view, cache)
        parts.append(Split(stored[CONTENT_EMBEDDINGS[content_from]], stored["crop_blocks"], faces,
                           stored["targets"], stored["sources"], stored["paths"]))
    return Split.join(parts)  # empty when only_cached and nothing is


def group_weights(targets: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Sample weights giving every (source, label) group the same total weight."""
    keys = np.char.add(sources.astype(str), targets.astype(str))
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    weights = 1.0 / counts[inverse]
    return weights * len(keys) / weights.sum()


def mean_source_auc(targets: np.ndarray, scores: np.ndarray, sources: np.ndarray) -> float:
    """The mean AUC over sources, what choosing on val maximises so that no single source
    carries the choice: within a source that has both classes; a source of generated images
    only against every source of real images only, and the other way round."""
    kinds = {s: set(targets[sources == s]) for s in np.unique(sources)}
    only = {k: np.isin(sources, [s for s, kind in kinds.items() if kind == {k}]) for k in (0, 1)}
    aucs = []
    for source, kind in kinds.items():
        mask = sources == source
        if len(kind) == 1:
            mask = mask | only[1 - next(iter(kind))]
        if len(set(targets[mask])) == 2:
            aucs.append(roc_auc_score(targets[mask], scores[mask]))
    return float(np.mean(aucs))


def of_family(sources: np.ndarray, family: str) -> np.ndarray:
    """Which pictures belong to `family` (a source, or a source that `FAMILY_OF` maps to it)."""
    return np.array([FAMILY_OF.get(source, source) == family for source in sources], dtype=bool)


def held_out_auc(targets: np.ndarray, scores: np.ndarray, sources: np.ndarray,
                 family: str) -> float:
    """A family's AUC: within it when it has both classes, else against the real pictures."""
    mine = of_family(sources, family)
    pairs = mine if len(set(targets[mine])) == 2 else mine | np.isin(sources, REAL_SOURCES)
    return float(roc_auc_score(targets[pairs], scores[pairs]))


@dataclass(frozen=True)
class LinearHead:
    weights: np.ndarray  # over the raw features: standardisation folded in
    bias: float
    strength: float  # the ridge penalty chosen on val

    def __call__(self, features: np.ndarray) -> np.ndarray:
        return features.astype(np.float32) @ self.weights.astype(np.float32) + self.bias


class RidgeProbe:
    """Weighted ridge on standardised features; `fit` tries each penalty from one Gram."""

    def __init__(self, features: np.ndarray, targets: np.ndarray, sources: np.ndarray) -> None:
        x = features.astype(np.float64)
        weights = group_weights(targets, sources)
        self.mean = np.average(x, axis=0, weights=weights)
        self.scale = np.sqrt(np.average((x - self.mean) ** 2, axis=0, weights=weights)) + 1e-6
        z = (x - self.mean) / self.scale
        signs = 2.0 * targets - 1.0
        self.offset = float(np.average(signs, weights=weights))
        weighted = z * weights[:, None]
        self.gram = z.T @ weighted
        self.moment = weighted.T @ (signs - self.offset)
        self.count = weights.sum()

    def head(self, strength: float) -> LinearHead:
        dims = len(self.gram)
        coef = np.linalg.solve(self.gram + strength * self.count / 1000 * np.eye(dims),
                               self.moment)
        weights = coef / self.scale
        return LinearHead(weights, float(self.offset - weights @ self.mean), strength)

    def fit(self, val_features: np.ndarray, val: Split) -> LinearHead:
        """The penalty with the best mean per-source AUC on `val`."""
        heads = [self.head(strength) for strength in LAMBDAS]
        scores = [mean_source_auc(val.targets, h(val_features), val.sources) for h in heads]
        return heads[int(np.argmax(scores))]


def trace_features(split: Split, blocks: tuple[int, ...]) -> np.ndarray:
    return split.blocks[:, list(blocks)].reshape(len(split.targets), -1)


@dataclass(frozen=True)
class Heads:
    content: LinearHead
    trace: LinearHead
    blocks: tuple[int, ...]

    def scores(self, split: Split) -> np.ndarray:
        """N×2: the content and trace logits."""
        return np.stack([self.content(split.content),
                         self.trace(trace_features(split, self.blocks))], axis=1)


def fit_heads(train: Split, val: Split, blocks: tuple[int, ...], content_on: bool = True
              ) -> Heads:
    """The two probes; with `content_on` false the content head is all zeros (strength 0),
    a constant column that the logistic fusion weighs 0."""
    content = (RidgeProbe(train.content, train.targets, train.sources).fit(val.content, val)
               if content_on else LinearHead(np.zeros(train.content.shape[1]), 0.0, 0.0))
    trace = RidgeProbe(trace_features(train, blocks), train.targets, train.sources).fit(
        trace_features(val, blocks), val)
    return Heads(content, trace, blocks)


def fit_fusion(scores: np.ndarray, split: Split) -> np.ndarray:
    """Logistic fusion weights (one per column of `scores`, then the bias), groups balanced."""
    fusion = LogisticRegression(C=1.0).fit(scores, split.targets,
                                           sample_weight=group_weights(split.targets,
                                                                       split.sources))
    return np.array([*fusion.coef_[0], fusion.intercept_[0]])


def fused(scores: np.ndarray, fusion: np.ndarray) -> np.ndarray:
    return sigmoid(scores @ fusion[:-1] + fusion[-1])


def families(split: Split) -> list[str]:
    """Every generator family and face source with generated pictures in `split`: what a
    held-out run leaves out and measures."""
    fakes = split.sources[split.targets == 1]
    return sorted({FAMILY_OF.get(s, s) for s in np.unique(fakes)} - set(REAL_SOURCES))


def held_out_run(family: str, train: Split, val: Split, tests: dict[str, Split],
                 blocks: tuple[int, ...], content_on: bool = True) -> dict:
    """Heads, fusion and threshold made without `family`; its AUC, detection rate and each
    part's AUC on each test view (the clean test split and its content-control copy), and the
    cross-fitted scores of its val images (for the shipped fusion)."""
    heads = fit_heads(train.subset(~of_family(train.sources, family)),
                      val.subset(~of_family(val.sources, family)), blocks, content_on)
    chosen = val.subset(~of_family(val.sources, family))
    fusion = fit_fusion(heads.scores(chosen), chosen)
    threshold = roc_threshold(chosen.targets, fused(heads.scores(chosen), fusion))
    row: dict = {"family": family, "strength": [heads.content.strength, heads.trace.strength]}
    for name, test in tests.items():
        fakes = of_family(test.sources, family) & (test.targets == 1)
        if not fakes.any():  # a view made for some sets only (the content control)
            row[name] = None
            continue
        scores = heads.scores(test)
        probability = fused(scores, fusion)
        row[name] = {"auc": held_out_auc(test.targets, probability, test.sources, family),
                     "content_auc": held_out_auc(test.targets, scores[:, 0], test.sources,
                                                 family) if content_on else None,
                     "trace_auc": held_out_auc(test.targets, scores[:, 1], test.sources,
                                               family),
                     "detected": float((probability[fakes] >= threshold).mean())}
    mine = of_family(val.sources, family)
    row["val_scores"] = heads.scores(val.subset(mine))
    return row
