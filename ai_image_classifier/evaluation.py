"""Metrics for a set of verdicts: one definition for `aiic evaluate`, training and the card.

Labels: 1 = fake (the positive class), 0 = real. Plain NumPy, so that the app (and its frozen
build) can evaluate without the training libraries; tests check it against scikit-learn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .classifier import Classifier
from .datasets import LabelledImage
from .verdict import Verdict


def expected_calibration_error(y_true: np.ndarray, prob: np.ndarray, bins: int = 10) -> float:
    """ECE of P(fake) over equal-width bins: Σ (n_bin/n) · |mean(y) − mean(p)|."""
    y_true = np.asarray(y_true, dtype=float)
    prob = np.asarray(prob, dtype=float)
    if len(prob) == 0:
        return float("nan")
    index = np.minimum((prob * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        in_bin = index == b
        if in_bin.any():
            total += in_bin.sum() / len(prob) * abs(y_true[in_bin].mean() - prob[in_bin].mean())
    return float(total)


def roc_curve(y_true: np.ndarray, prob: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(FPR, TPR, thresholds) at every distinct score, highest first, starting from an
    infinite threshold (nothing called fake), like scikit-learn's without dropping points."""
    y_true = np.asarray(y_true, dtype=int)
    prob = np.asarray(prob, dtype=float)
    order = np.argsort(-prob, kind="mergesort")
    scores, hits = prob[order], y_true[order]
    last_of_each = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tps = np.cumsum(hits)[last_of_each]
    fps = (last_of_each + 1) - tps
    positives, negatives = max(int(hits.sum()), 1), max(len(hits) - int(hits.sum()), 1)
    return (np.r_[0.0, fps / negatives], np.r_[0.0, tps / positives],
            np.r_[np.inf, scores[last_of_each]])


def roc_auc(y_true: np.ndarray, prob: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a random fake scores above a random real
    picture, ties counting half (the Mann–Whitney statistic, from average ranks)."""
    y_true = np.asarray(y_true, dtype=int)
    prob = np.asarray(prob, dtype=float)
    _, which, counts = np.unique(prob, return_inverse=True, return_counts=True)
    below = np.cumsum(counts) - counts
    ranks = (below + (counts + 1) / 2)[which]  # 1-based average rank of each score's ties
    positives = int(y_true.sum())
    negatives = len(y_true) - positives
    return float((ranks[y_true == 1].sum() - positives * (positives + 1) / 2)
                 / (positives * negatives))


def outside_band(prob: np.ndarray, threshold: float, half_width: float) -> np.ndarray:
    """Which scores get an answer: the ones at least `half_width` from the threshold (the rule
    `Classifier.verdict` applies to one score)."""
    return np.abs(np.asarray(prob, dtype=float) - threshold) >= half_width


def binary_metrics(y_true: np.ndarray, prob: np.ndarray, threshold: float,
                   half_width: float = 0.0, unsure: np.ndarray | None = None) -> dict[str, Any]:
    """n, accuracy, balanced accuracy, precision, recall, AUC, ECE, TPR, TNR, confusion matrix,
    and for the uncertain answers (inside the band, or `unsure`: outside what the detector
    knows) the share of images and the accuracy of the other answers.

    Every rate except the last two counts every image by its thresholded call. A rate whose
    denominator is zero (e.g. recall on a set with no fakes) is None, as is the AUC when one
    class is absent.
    """
    y_true = np.asarray(y_true, dtype=int)
    prob = np.asarray(prob, dtype=float)
    y_pred = (prob >= threshold).astype(int)
    tp = int(((y_pred == 1) & (y_true == 1)).sum())
    fp = int(((y_pred == 1) & (y_true == 0)).sum())
    fn = int(((y_pred == 0) & (y_true == 1)).sum())
    tn = int(((y_pred == 0) & (y_true == 0)).sum())

    def ratio(num: int, den: int) -> float | None:
        return num / den if den else None

    tpr, tnr = ratio(tp, tp + fn), ratio(tn, tn + fp)
    answered = outside_band(prob, threshold, half_width)
    if unsure is not None:
        answered &= ~np.asarray(unsure, dtype=bool)
    n_answered = int(answered.sum())
    both_classes = len(np.unique(y_true)) == 2
    return {
        "n": int(len(y_true)),
        "accuracy": ratio(tp + tn, len(y_true)),
        "balanced_accuracy": (tpr + tnr) / 2 if both_classes else None,
        "precision": ratio(tp, tp + fp),
        "recall": tpr,
        "auc": roc_auc(y_true, prob) if both_classes else None,
        "ece": expected_calibration_error(y_true, prob) if len(y_true) else None,
        "true_positive_rate": tpr,
        "true_negative_rate": tnr,
        "uncertain_rate": ratio(len(y_true) - n_answered, len(y_true)),
        "accuracy_outside_band": ratio(int((y_pred == y_true)[answered].sum()), n_answered),
        "confusion_matrix": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
    }


def metrics_by_source(y_true: np.ndarray, prob: np.ndarray, sources: list[str],
                      threshold: float, half_width: float = 0.0,
                      unsure: np.ndarray | None = None) -> dict[str, Any]:
    """{"overall": metrics, "by_source": {source: metrics}}."""
    y_true, prob, source_array = np.asarray(y_true), np.asarray(prob), np.asarray(sources)
    unsure = np.zeros(len(y_true), bool) if unsure is None else np.asarray(unsure, bool)
    return {
        "overall": binary_metrics(y_true, prob, threshold, half_width, unsure),
        "by_source": {
            source: binary_metrics(y_true[source_array == source], prob[source_array == source],
                                   threshold, half_width, unsure[source_array == source])
            for source in sorted(set(sources))
        },
    }


@dataclass
class Predictions:
    """P(fake) for the images that decoded, and the errors of those that did not."""

    targets: np.ndarray
    probabilities: np.ndarray
    sources: list[str]
    errors: list[dict[str, str]] = field(default_factory=list)
    unsure: np.ndarray | None = None  # answered "uncertain" whatever the score (domain limits)

    def report(self, threshold: float, half_width: float = 0.0) -> dict[str, Any]:
        return metrics_by_source(self.targets, self.probabilities, self.sources, threshold,
                                 half_width, self.unsure)


def predict_items(
    classifier: Classifier,
    items: Sequence[LabelledImage],
    on_each: Callable[[], object] | None = None,
) -> Predictions:
    """Classify labelled images the way `aiic classify` does (same decoding, same batches)."""
    by_path = {item.path: item for item in items}
    targets, probabilities, sources, errors, unsure = [], [], [], [], []
    for path, result in classifier.classify_files(by_path):
        if on_each:
            on_each()
        if isinstance(result, Verdict):
            targets.append(by_path[path].target)
            probabilities.append(result.probability)
            sources.append(by_path[path].source)
            unsure.append(bool(result.limits))
        else:
            errors.append({"path": str(path), "error": str(result)})
    return Predictions(np.array(targets, dtype=int), np.array(probabilities, dtype=float),
                       sources, errors, np.array(unsure, dtype=bool))
