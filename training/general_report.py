"""The general detector's report: per-source test tables from its card, and leave-one-
generator-out runs of the recipe (each generator family in turn is left out of training and
choosing, then measured), written to docs/general-detector.md.

    python -m training.general_report --data ../shared/data ../shared/data-general

The held-out runs use the CLIP head alone: the face network was trained on every face source,
so a fused score would not be held out (its own held-out runs are in docs/model-report.md).
They read the cached features, so the whole report takes about a minute.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from ai_image_classifier.classifier import MODEL_NAME, bundled_model_dir
from ai_image_classifier.evaluation import roc_threshold

from .clip_features import CACHE
from .general import fit_head, load_split

FAMILIES = {"ciplab": "expert Photoshop edits", "lfw_faceswap": "automatic face swaps",
            "stylegan2_ffhq": "StyleGAN2 faces", "sd14_diffusiondb": "Stable Diffusion 1.x"}
PHOTOS = ("coco", "imagenet")
PAINTINGS = ("wikiart",)


def _subset(split: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    return {key: value[keep] for key, value in split.items()}


def held_out_row(family: str, train: dict, val: dict, test: dict) -> dict[str, float]:
    """Train and choose without `family`; measure on its test images. A family of generated
    images only (Stable Diffusion) is measured against the real photographs and paintings."""
    head, _ = fit_head(_subset(train, train["sources"] != family),
                       _subset(val, val["sources"] != family))
    chosen = _subset(val, val["sources"] != family)
    threshold = roc_threshold(chosen["targets"], head.predict_proba(chosen["embeddings"])[:, 1])
    scores = head.predict_proba(test["embeddings"])[:, 1]
    mine = test["sources"] == family
    pairs = mine if len(set(test["targets"][mine])) == 2 else (
        mine | np.isin(test["sources"], PHOTOS + PAINTINGS))
    fakes = mine & (test["targets"] == 1)
    return {
        "auc": float(roc_auc_score(test["targets"][pairs], scores[pairs])),
        "detected": float((scores[fakes] >= threshold).mean()),
        "false_positives_own": float((scores[mine & (test["targets"] == 0)] >= threshold).mean())
        if (mine & (test["targets"] == 0)).any() else float("nan"),
        "false_positives_photos": float((scores[np.isin(test["sources"], PHOTOS)]
                                         >= threshold).mean()),
        "false_positives_paintings": float((scores[np.isin(test["sources"], PAINTINGS)]
                                            >= threshold).mean()),
    }


def percent(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.1%}"


def source_table(metrics: dict) -> list[str]:
    lines = ["| source | n | detected (TPR) | false positives (FPR) | AUC | uncertain | "
             "accuracy of the other answers |", "|---|---|---|---|---|---|---|"]
    rows = [*metrics["by_source"].items(), ("**all**", metrics["overall"])]
    for name, m in rows:
        fpr = None if m["true_negative_rate"] is None else 1 - m["true_negative_rate"]
        auc = "–" if m["auc"] is None else f"{m['auc']:.3f}"
        lines.append(f"| {name} | {m['n']} | {percent(m['true_positive_rate'])} | "
                     f"{percent(fpr)} | {auc} | {percent(m['uncertain_rate'])} | "
                     f"{percent(m['accuracy_outside_band'])} |")
    return lines


def robustness_lines(card: Path, data_dirs: list[Path]) -> list[str]:
    """Test-split detection and false-positive rates as is, after JPEG q70, after a 0.5×
    downscale: the way a picture arrives after being shared."""
    from ai_image_classifier.classifier import Classifier
    from ai_image_classifier.datasets import load_labelled

    from .robustness import PERTURBATIONS, perturbed_predictions

    classifier = Classifier.load(card)
    items = [item for folder in data_dirs for item in load_labelled(folder, "test")]
    variants = {"as is": lambda image: image, **PERTURBATIONS}
    reports = {name: perturbed_predictions(classifier, items, perturb).report(
        classifier.threshold, classifier.half_width)["by_source"]
        for name, perturb in variants.items()}
    lines = ["## Shared copies (test split, through the app)", "",
             "Detected (TPR) or falsely flagged (FPR), as is / after JPEG q70 / after a 0.5× "
             "downscale.", "", "| source | as is | JPEG q70 | 0.5× |", "|---|---|---|---|"]
    for source in reports["as is"]:
        cells = []
        for name in variants:
            m = reports[name][source]
            rate = (m["true_positive_rate"] if m["true_positive_rate"] is not None
                    else 1 - m["true_negative_rate"])
            cells.append(("TPR " if m["true_positive_rate"] is not None else "FPR ")
                         + percent(rate))
        lines.append(f"| {source} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", required=True)
    parser.add_argument("--card", type=Path,
                        default=bundled_model_dir() / f"{MODEL_NAME}.card.json")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--out", type=Path, default=Path("docs/general-detector.md"))
    parser.add_argument("--robustness", action="store_true",
                        help="also judge JPEG q70 and half-size copies of the test split "
                             "through the app (about 6 minutes)")
    args = parser.parse_args(argv)
    card = json.loads(args.card.read_text(encoding="utf-8"))
    views = ["clean"] + [f"augmented{i}" for i in range(card["training"]["augmented_views"])]
    train = load_split(args.data, "train", views, args.cache)
    val = load_split(args.data, "val", ["clean"], args.cache)
    test = load_split(args.data, "test", ["clean"], args.cache)
    lines = ["# The general detector", "",
             "Generated by `python -m training.general_report` from "
             f"`{args.card.name}` and the cached features. Every number is measured on the "
             "test splits, which no choice looked at. A source of real images only "
             "(photographs, paintings) has no detection rate; a source of generated images "
             "only has no false-positive rate.", "",
             f"Threshold {card['threshold']:.3f}, uncertain within "
             f"±{card['uncertain_half_width']:.3f}; fusion {card['fusion']}.", "",
             "## Test split, by source", "", *source_table(card["metrics"]["test"]), "",
             "## Each part alone (test, threshold 0.5)", ""]
    for part in ("face_network", "clip_head"):
        lines += [f"### {part.replace('_', ' ')}", "",
                  *source_table(card["components_alone_at_0.5"][f"test_{part}"]), ""]
    lines += ["## Leave one generator family out (CLIP head alone)", "",
              "Each family is left out of training and of choosing the regularisation and "
              "threshold, then measured on its test images.", "",
              "| left out | AUC | detected | false positives: own reals | photographs | "
              "paintings |", "|---|---|---|---|---|---|"]
    for family, words in FAMILIES.items():
        if family not in set(train["sources"]):
            continue
        row = held_out_row(family, train, val, test)
        lines.append(f"| {family} ({words}) | {row['auc']:.3f} | {percent(row['detected'])} | "
                     f"{percent(row['false_positives_own'])} | "
                     f"{percent(row['false_positives_photos'])} | "
                     f"{percent(row['false_positives_paintings'])} |")
        print(family, row, flush=True)
    if args.robustness:
        lines += ["", *robustness_lines(args.card, args.data)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
