"""Train the general detector: a logistic head on frozen CLIP features, fused with the face model.

    python -m training.general --data ../shared/data ../shared/data-general   # make train-general

1. **Features.** `training.clip_features` encodes every image once per view and caches it;
   training views are the clean image and augmented copies (crop, rescale, JPEG) so that
   size, resampling and compression history cannot stand in for the label.
2. **Head.** Logistic regression on the unit embeddings of the train split of every data
   folder. Each (source, label) group weighs the same, so 700 Stable Diffusion images and
   5,000 LFW faces pull equally. The regularisation is chosen on val.
3. **Fusion.** The face network (the shipped MobileNetV2, run exactly as the app runs it) and
   the head each give a logit; a two-weight logistic fusion is fitted on val, balanced the
   same way. Threshold (Youden's J) and the uncertain band also come from val.
4. **Limits.** The graphic measures' bounds and the CLIP clusters that say "unlike anything it
   was trained on" come from train and val images; synthetic drawings, screenshots and
   shapes are checked in the tests.
5. **Card.** Val and test metrics by source, written beside the head in `--out`.

Only val chooses; test is measured once, at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from ai_image_classifier import __version__
from ai_image_classifier.calibration import logit, uncertain_half_width
from ai_image_classifier.classifier import FACE_MODEL_NAME, MODEL_NAME, Classifier
from ai_image_classifier.clip_encoder import ENCODER_SHA256
from ai_image_classifier.datasets import load_labelled
from ai_image_classifier.encoder_setup import SOURCE_SHA256, WHEEL
from ai_image_classifier.evaluation import metrics_by_source, roc_threshold
from ai_image_classifier.general import GeneralHead, graphic_measures
from ai_image_classifier.imaging import open_rgb

from .clip_features import CACHE, cached_features

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NAME = MODEL_NAME
FACE_MODEL = FACE_MODEL_NAME
C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


def group_weights(targets: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Sample weights giving every (source, label) group the same total weight."""
    keys = np.char.add(sources.astype(str), targets.astype(str))
    groups, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    weights = 1.0 / counts[inverse]
    return weights * len(keys) / weights.sum()


def mean_source_auc(targets: np.ndarray, scores: np.ndarray, sources: np.ndarray) -> float:
    """The mean AUC over sources, what choosing on val maximises so that no single source
    carries the choice: within a source that has both classes, and for a source of real
    images only (photographs, paintings), against every source of generated images only."""
    kinds = {s: set(targets[sources == s]) for s in np.unique(sources)}
    only_fake = np.isin(sources, [s for s, k in kinds.items() if k == {1}])
    aucs = []
    for source, kind in kinds.items():
        mask = sources == source
        if kind == {0} and only_fake.any():
            mask = mask | only_fake
        if len(set(targets[mask])) == 2:
            aucs.append(roc_auc_score(targets[mask], scores[mask]))
    return float(np.mean(aucs))


def load_split(data_dirs: list[Path], split: str, views: list[str],
               cache: Path = CACHE) -> dict[str, np.ndarray]:
    parts = [cached_features(d, split, view, cache=cache) for d in data_dirs for view in views]
    return {key: np.concatenate([p[key] for p in parts])
            for key in ("embeddings", "targets", "sources", "paths")}


def face_logits(data_dirs: list[Path], split: str, cache: Path = CACHE) -> np.ndarray:
    """The face network's calibrated logit for every image of a split, in the cached order,
    computed once through the app's own classify path."""
    out = []
    classifier = Classifier.load(FACE_MODEL)
    for data_dir in data_dirs:
        path = cache / f"{data_dir.resolve().name}-{split}-face.npy"
        if not path.is_file():
            items = load_labelled(data_dir, split)
            scores = {p: v for p, v in classifier.classify_files([i.path for i in items])}
            cache.mkdir(parents=True, exist_ok=True)
            np.save(path, np.array([logit(np.array(scores[i.path].probability))
                                    for i in items], dtype=np.float32))
        out.append(np.load(path))
    return np.concatenate(out)


def fit_head(train: dict[str, np.ndarray], val: dict[str, np.ndarray]) -> tuple[
        LogisticRegression, dict[str, float]]:
    """The head with the regularisation that gives the best mean per-source AUC on val."""
    weights = group_weights(train["targets"], train["sources"])
    scores = {}
    best = None
    for c in C_GRID:
        head = LogisticRegression(C=c, max_iter=3000).fit(
            train["embeddings"].astype(np.float32), train["targets"], sample_weight=weights)
        val_scores = head.decision_function(val["embeddings"].astype(np.float32))
        scores[str(c)] = mean_source_auc(val["targets"], val_scores, val["sources"])
        if best is None or scores[str(c)] > scores[str(best.C)]:
            best = head
    assert best is not None
    return best, scores


def fit_fusion(face: np.ndarray, clip: np.ndarray, targets: np.ndarray,
               sources: np.ndarray) -> np.ndarray:
    """(face weight, clip weight, bias) of a logistic fusion fitted on val."""
    fusion = LogisticRegression(C=1.0).fit(np.stack([face, clip], axis=1), targets,
                                           sample_weight=group_weights(targets, sources))
    return np.array([*fusion.coef_[0], fusion.intercept_[0]])


def picture_facts(data_dirs: list[Path], split: str, cache: Path = CACHE) -> np.ndarray:
    """(flat fraction, colour coverage, width, height) of every image of a split, in the
    cached order: what the domain check reads besides the embedding."""
    facts = []
    for data_dir in data_dirs:
        for relative in cached_features(data_dir, split, "clean", cache=cache)["paths"]:
            image = open_rgb(data_dir / relative)
            facts.append((*graphic_measures(image), *image.size))
    return np.array(facts, dtype=np.float64)


def domain_bounds(train: dict[str, np.ndarray], val: dict[str, np.ndarray],
                  val_facts: np.ndarray, clusters: int, seed: int) -> dict[str, object]:
    """Clusters of the training embeddings, and bounds outside which a picture is unlike the
    training data: each bound lies beyond every val image's value, with a margin."""
    kmeans = KMeans(clusters, n_init=3, random_state=seed).fit(
        train["embeddings"].astype(np.float32))
    centroids = kmeans.cluster_centers_ / np.linalg.norm(kmeans.cluster_centers_, axis=1,
                                                          keepdims=True)
    similarity = (val["embeddings"].astype(np.float32) @ centroids.T).max(axis=1)
    return {"centroids": centroids.astype(np.float32),
            "min_similarity": float(similarity.min() - 0.02),
            "max_flat_fraction": float(min(0.9, val_facts[:, 0].max() + 0.05)),
            "max_colour_coverage": float(min(0.95, val_facts[:, 1].max() + 0.05))}


def unsure_mask(head: GeneralHead, embeddings: np.ndarray, facts: np.ndarray) -> np.ndarray:
    """The images the app answers "uncertain" for its limits, whatever their score."""
    similarity = head.similarity(embeddings)
    return np.array([bool(head.domain_limits((f[0], f[1]), (int(f[2]), int(f[3])), float(s)))
                     for f, s in zip(facts, similarity, strict=True)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", required=True)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "runs")
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--augmented-views", type=int, default=1)
    parser.add_argument("--clusters", type=int, default=32)
    parser.add_argument("--answer-accuracy", type=float, default=0.95,
                        help="size the uncertain band so answers outside it reach this "
                             "accuracy on val")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=CACHE, help="where features are cached")
    args = parser.parse_args(argv)
    card_path, head_path = args.out / f"{NAME}.card.json", args.out / f"{NAME}.head.npz"
    if card_path.exists() and not args.overwrite:
        print(f"{card_path} exists; pass --overwrite to replace it")
        return 2
    started = time.monotonic()
    views = ["clean"] + [f"augmented{i}" for i in range(args.augmented_views)]
    train = load_split(args.data, "train", views, args.cache)
    val = load_split(args.data, "val", ["clean"], args.cache)
    test = load_split(args.data, "test", ["clean"], args.cache)
    print(f"train {len(train['targets'])} views, val {len(val['targets'])}, "
          f"test {len(test['targets'])}")

    head, c_scores = fit_head(train, val)
    print(f"head: C={head.C} (val mean per-source AUC by C: {c_scores})")
    val_clip, test_clip = head.decision_function(val["embeddings"]), head.decision_function(
        test["embeddings"])
    val_face = face_logits(args.data, "val", args.cache)
    test_face = face_logits(args.data, "test", args.cache)
    fusion = fit_fusion(val_face, val_clip, val["targets"], val["sources"])
    val_facts = picture_facts(args.data, "val", args.cache)
    test_facts = picture_facts(args.data, "test", args.cache)
    bounds = domain_bounds(load_split(args.data, "train", ["clean"], args.cache), val,
                           val_facts, args.clusters, args.seed)
    general = GeneralHead(head.coef_[0].astype(np.float32), float(head.intercept_[0]), fusion,
                          **bounds)  # type: ignore[arg-type]

    def probabilities(face: np.ndarray, clip: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-general.fused_logit(face, clip)))

    val_p, test_p = probabilities(val_face, val_clip), probabilities(test_face, test_clip)
    threshold = roc_threshold(val["targets"], val_p)
    half_width = uncertain_half_width(val["targets"], val_p, threshold, args.answer_accuracy)
    metrics = {split: metrics_by_source(data["targets"], p, list(data["sources"]), threshold,
                                        half_width, unsure_mask(general, data["embeddings"],
                                                                facts))
               for split, data, p, facts in (("val", val, val_p, val_facts),
                                             ("test", test, test_p, test_facts))}
    alone = {f"{split}_{name}": metrics_by_source(
        data["targets"], 1 / (1 + np.exp(-score)), list(data["sources"]), 0.5)
        for split, data, scores in (("val", val, (val_face, val_clip)),
                                    ("test", test, (test_face, test_clip)))
        for name, score in zip(("face_network", "clip_head"), scores, strict=True)}

    args.out.mkdir(parents=True, exist_ok=True)
    general.save(head_path)
    card = {
        "name": NAME,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "app_version": __version__,
        "architecture": "CLIP ViT-B/16 features with a logistic head, fused with the "
                        "MobileNetV2 face network",
        "face_model": FACE_MODEL,
        "head": head_path.name,
        "encoder": {"wheel": WHEEL, "wheel_file_sha256": SOURCE_SHA256,
                    "rewritten_sha256": ENCODER_SHA256,
                    "weights": "openai/clip-vit-base-patch16 (MIT licence)"},
        "output": "P(fake) = sigmoid(face weight × face logit + clip weight × head logit + "
                  "bias); label fake when P >= threshold",
        "fusion": {"face_weight": fusion[0], "clip_weight": fusion[1], "bias": fusion[2]},
        "head_regularisation": {"C": head.C, "val_mean_source_auc_by_C": c_scores},
        "threshold": threshold,
        "threshold_method": "maximum of Youden's J (TPR - FPR) on the val ROC curve",
        "uncertain_half_width": half_width,
        "uncertain_band_method": "smallest band around the threshold outside which val "
                                 f"accuracy reaches {args.answer_accuracy}",
        "domain_limits": {key: value for key, value in bounds.items() if key != "centroids"}
        | {"clusters": args.clusters},
        "metrics": metrics,
        "components_alone_at_0.5": alone,
        "data": {"folders": [str(d) for d in args.data],
                 "sources": sorted(set(train["sources"]))},
        "training": {"augmented_views": args.augmented_views,
                     "seconds": round(time.monotonic() - started, 1)},
    }
    card_path.write_text(json.dumps(card, indent=2, default=float), encoding="utf-8")
    for split in ("val", "test"):
        for source, m in metrics[split]["by_source"].items():
            print(f"{split:5} {source:18} n={m['n']:5} acc={m['accuracy']:.3f} "
                  f"auc={m['auc'] if m['auc'] is None else round(m['auc'], 3)} "
                  f"tpr={m['true_positive_rate']} tnr={m['true_negative_rate']} "
                  f"unsure={m['uncertain_rate']:.3f}")
    print(f"wrote {card_path} and {head_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
