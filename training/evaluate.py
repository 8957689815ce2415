"""Evaluate a trained model the way the app runs it, choose its threshold, draw the plots.

Predictions come from `ai_image_classifier.evaluation.predict_items` on the exported model,
so the numbers in the model card are the ones `aiic evaluate` reproduces.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay, roc_curve  # noqa: E402

from ai_image_classifier.evaluation import Predictions  # noqa: E402


def plot_history(history: dict[str, list[float]], path: Path) -> Path:
    """Loss and accuracy per epoch, train against val."""
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, metric in zip(axes, ("loss", "accuracy"), strict=True):
        axis.plot(history[metric], label="train")
        if f"val_{metric}" in history:
            axis.plot(history[f"val_{metric}"], label="val")
        axis.set(title=metric, xlabel="epoch")
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


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
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def plot_confusion(predictions: Predictions, threshold: float, path: Path) -> Path:
    figure, axis = plt.subplots(figsize=(4.5, 4))
    ConfusionMatrixDisplay.from_predictions(
        predictions.targets, (predictions.probabilities >= threshold).astype(int),
        labels=[0, 1], display_labels=["real", "fake"], ax=axis, colorbar=False)
    axis.set_title(f"test, threshold {threshold:.2f}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


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
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def rounded(value: Any, digits: int = 4) -> Any:
    """Round every float in a nested structure (for a readable card)."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item, digits) for item in value]
    return value
