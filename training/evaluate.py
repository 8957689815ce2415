"""Evaluate a trained model the way the app runs it, choose its threshold, draw the plots.

Predictions come from `ai_image_classifier.evaluation.predict_items` on the exported model,
so the numbers in the model card are the ones `aiic evaluate` reproduces.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

from ai_image_classifier.backends import load_backend  # noqa: E402
from ai_image_classifier.cards import FLIP_AVERAGE, card_path_for  # noqa: E402
from ai_image_classifier.classifier import Classifier  # noqa: E402
from ai_image_classifier.datasets import LabelledImage  # noqa: E402
from ai_image_classifier.evaluation import Predictions, predict_items, roc_curve  # noqa: E402
from training.calibration_fit import fit_platt, roc_threshold, uncertain_half_width  # noqa: E402


def save_figure(figure: plt.Figure, path: Path) -> Path:
    """Write a plot and free it (Matplotlib keeps every open figure alive)."""
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def plot_history(history: dict[str, list[float]], path: Path) -> Path:
    """Loss and accuracy per epoch, train against val."""
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, metric in zip(axes, ("loss", "accuracy"), strict=True):
        axis.plot(history[metric], label="train")
        if f"val_{metric}" in history:
            axis.plot(history[f"val_{metric}"], label="val")
        axis.set(title=metric, xlabel="epoch")
        axis.legend()
    return save_figure(figure, path)


def plot_roc(predictions: Predictions, threshold: float, path: Path) -> Path:
    """ROC per source and overall, with the operating point of `threshold` marked."""
    figure, axis = plt.subplots(figsize=(5.5, 5))
    sources = np.array(predictions.sources)
    groups = [(s, sources == s) for s in sorted(set(predictions.sources))]
    for name, mask in [*groups, ("overall", np.ones(len(sources), bool))]:
        y, p = predictions.targets[mask], predictions.probabilities[mask]
        if len(np.unique(y)) < 2:
            continue
        fpr, tpr, _ = roc_curve(y, p)
        axis.plot(fpr, tpr, label=name, linewidth=2.5 if name == "overall" else 1.2)
        predicted = p >= threshold
        axis.scatter([predicted[y == 0].mean()], [predicted[y == 1].mean()], s=18)
    axis.plot([0, 1], [0, 1], "k:", linewidth=0.8)
    axis.set(xlabel="false positive rate (real called fake)",
             ylabel="true positive rate (fake caught)",
             title=f"ROC (dots: threshold {threshold:.2f})")
    axis.legend(loc="lower right")
    return save_figure(figure, path)


def plot_confusion(predictions: Predictions, threshold: float, path: Path) -> Path:
    figure, axis = plt.subplots(figsize=(4.5, 4))
    ConfusionMatrixDisplay.from_predictions(
        predictions.targets, (predictions.probabilities >= threshold).astype(int),
        labels=[0, 1], display_labels=["real", "fake"], ax=axis, colorbar=False)
    axis.set_title(f"test, threshold {threshold:.2f}")
    return save_figure(figure, path)


def plot_reliability(predictions: Predictions, path: Path, bins: int = 10) -> Path:
    """Observed share of fakes against the predicted P(fake), per probability bin."""
    edges = np.linspace(0, 1, bins + 1)
    index = np.minimum((predictions.probabilities * bins).astype(int), bins - 1)
    centres, observed, counts = [], [], []
    for b in range(bins):
        mask = index == b
        if mask.any():
            centres.append(predictions.probabilities[mask].mean())
            observed.append(predictions.targets[mask].mean())
            counts.append(int(mask.sum()))
    figure, axis = plt.subplots(figsize=(5, 5))
    axis.plot([0, 1], [0, 1], "k:", linewidth=0.8, label="perfect calibration")
    axis.plot(centres, observed, "o-", label="test split")
    for x, y, n in zip(centres, observed, counts, strict=True):
        axis.annotate(str(n), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    axis.set(xlabel="predicted P(fake)", ylabel="observed share of fakes",
             title="reliability (numbers: images per bin)", xticks=edges[::2])
    axis.legend(loc="upper left")
    return save_figure(figure, path)


def rounded(value: Any, digits: int = 4) -> Any:
    """Round every float in a nested structure (for a readable card)."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item, digits) for item in value]
    return value


def assess(model_path: Path, splits: dict[str, list[LabelledImage]], answer_accuracy: float,
           out_file: Callable[[str], Path], flip_average: bool = False) -> dict[str, Any]:
    """Everything the card says about how good the model is, fitted on val, measured on test.
    With `flip_average` every score is the flip-averaged one, as the app will then compute it.

    Returns calibration, threshold and uncertain band (with how each was chosen), metrics on
    val and test, and the robustness report; writes the ROC, confusion and reliability plots.
    """
    from .robustness import robustness_report

    backend = load_backend(model_path, flip_average)
    val_scores = predict_items(Classifier(backend), splits["val"])
    calibration = fit_platt(val_scores.targets, val_scores.probabilities)
    val = replace(val_scores, probabilities=calibration.apply(val_scores.probabilities))
    threshold = roc_threshold(val.targets, val.probabilities)
    half_width = uncertain_half_width(val.targets, val.probabilities, threshold, answer_accuracy)
    classifier = Classifier(backend, threshold, calibration=calibration, half_width=half_width)
    result: dict[str, Any] = {
        "test_time_augmentation": FLIP_AVERAGE if flip_average else None,
        "calibration": calibration.to_card(),
        "calibration_method": "Platt scaling of the network's logit, fitted on val",
        "threshold": threshold,
        "threshold_method": "maximum of Youden's J (TPR - FPR) on the val ROC curve",
        "uncertain_half_width": half_width,
        "uncertain_band_method": f"smallest band around the threshold outside which val "
                                 f"accuracy reaches {answer_accuracy}",
        "metrics": {"val": rounded(val.report(threshold, half_width))},
        "robustness": None,
    }
    if splits["test"]:
        test = predict_items(classifier, splits["test"])
        result["metrics"]["test"] = rounded(test.report(threshold, half_width))
        result["robustness"] = rounded(robustness_report(classifier, splits["test"], test))
        plot_roc(test, threshold, out_file(".roc.png"))
        plot_confusion(test, threshold, out_file(".confusion.png"))
        plot_reliability(test, out_file(".reliability.png"))
    return result


def main(argv: list[str] | None = None) -> int:
    """Re-assess an exported model and update its card: `python -m training.evaluate MODEL`."""
    from .data import DEFAULT_DATA, split_items

    parser = argparse.ArgumentParser(prog="python -m training.evaluate",
                                     description=main.__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="the .tflite export (its .card.json is updated)")
    parser.add_argument("--data", type=Path, default=None,
                        help="default: ../shared/data beside the project")
    parser.add_argument("--answer-accuracy", type=float, default=0.90)
    parser.add_argument("--flip-average", action=argparse.BooleanOptionalAction, default=None,
                        help="score the mean of the image and its mirror image (default: as "
                             "the card says)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    card_path = card_path_for(args.model)
    card = json.loads(card_path.read_text(encoding="utf-8"))
    stem = args.model.with_suffix("")
    splits = split_items(args.data or DEFAULT_DATA, args.seed)
    flip_average = (card.get("test_time_augmentation") == FLIP_AVERAGE
                    if args.flip_average is None else args.flip_average)
    card.update(assess(args.model, splits, args.answer_accuracy,
                       lambda suffix: Path(f"{stem}{suffix}"), flip_average))
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    overall = card["metrics"].get("test", card["metrics"]["val"])["overall"]
    print(f"{card_path.name}: accuracy {overall['accuracy']:.3f}, "
          f"uncertain {overall['uncertain_rate']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
