"""Fitting what the runtime's `calibration` applies, on validation scores: Platt scaling, the
decision threshold and the uncertain band.

- Platt scaling by (nearly unregularised) logistic regression on the logit;
- the threshold that maximises Youden's J on the ROC curve;
- the uncertain band: calibrated probabilities within `half_width` of the threshold get the
  answer "uncertain", with the width chosen as the smallest for which the answers outside the
  band reach a stated accuracy on val; or, for a detector that misses some generators, with
  its two edges fitted apart (`uncertain_band`).
"""

from __future__ import annotations

import numpy as np

from ai_image_classifier.calibration import Calibration, logit
from ai_image_classifier.evaluation import roc_curve


def fit_platt(targets: np.ndarray, scores: np.ndarray) -> Calibration:
    """Platt scaling by (nearly unregularised) logistic regression on the logit."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e6).fit(logit(scores).reshape(-1, 1), targets)
    return Calibration(float(model.coef_[0, 0]), float(model.intercept_[0]))


def roc_threshold(y_true: np.ndarray, prob: np.ndarray) -> float:
    """Threshold that maximises Youden's J (TPR − FPR) on the ROC curve."""
    fpr, tpr, thresholds = roc_curve(y_true, prob)
    finite = np.isfinite(thresholds)
    best = np.argmax((tpr - fpr)[finite])
    return float(np.clip(thresholds[finite][best], 0.0, 1.0))


def uncertain_half_width(targets: np.ndarray, probabilities: np.ndarray, threshold: float,
                         target_accuracy: float, min_answered: int = 20) -> float:
    """Smallest band half-width around `threshold` whose outside reaches `target_accuracy`.

    Returns the width that leaves every image inside (1.0) when no width reaches it with at
    least `min_answered` images answered: then the model should not give verdicts at all.
    """
    targets = np.asarray(targets, dtype=int)
    probabilities = np.asarray(probabilities, dtype=float)
    distance = np.abs(probabilities - threshold)
    correct = (probabilities >= threshold).astype(int) == targets
    order = np.argsort(-distance)  # most confident first
    answered = np.arange(1, len(order) + 1)
    accuracy = np.cumsum(correct[order]) / answered
    # Answering the k most confident images means a half-width just above the (k+1)-th distance.
    for k in range(len(order), min_answered - 1, -1):
        if accuracy[k - 1] >= target_accuracy:
            if k == len(order):
                return 0.0
            return float(np.nextafter(distance[order[k]], np.inf))
    return 1.0


def _answered(hits: np.ndarray, target_accuracy: float, min_answered: int) -> int:
    """How many of the most confident answers (sorted first) can be given while the share of
    right ones stays at or above `target_accuracy`; 0 when fewer than `min_answered`."""
    accuracy = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    reach = np.flatnonzero(accuracy >= target_accuracy)
    reach = reach[reach >= min_answered - 1]
    return int(reach[-1]) + 1 if len(reach) else 0


def uncertain_band(targets: np.ndarray, probabilities: np.ndarray, threshold: float,
                   target_accuracy: float, min_answered: int = 20) -> tuple[float, float]:
    """(threshold, half-width) of a band whose two edges are fitted apart: "fake" from the
    lowest score above which the fakes reach `target_accuracy` of the answers, "real" below
    the highest score under which real pictures do. A model that misses some generators
    scores them low: a band symmetric around the threshold would then have to swallow every
    high score too, and the model could never answer "fake", however sure.

    The band's middle becomes the threshold; when the edges cross (no band needed), the given
    threshold is kept, moved between them. A side that never reaches the accuracy with
    `min_answered` answers gets none.
    """
    targets = np.asarray(targets, dtype=int)
    probabilities = np.asarray(probabilities, dtype=float)
    n = len(probabilities)
    up = np.sort(probabilities)
    fakes = _answered(targets[np.argsort(-probabilities, kind="stable")] == 1, target_accuracy,
                      min_answered)
    reals = _answered(targets[np.argsort(probabilities, kind="stable")] == 0, target_accuracy,
                      min_answered)
    # "fake" from just above the highest score left out, "real" below the lowest one left out
    if fakes == 0:
        high = float(np.nextafter(1.0, np.inf))
    else:
        high = 0.0 if fakes == n else float(np.nextafter(up[n - 1 - fakes], np.inf))
    low = (1.0 if reals == n else float(up[reals])) if reals else 0.0
    if low >= high:
        return float(np.clip(threshold, high, low)), 0.0
    return (low + high) / 2, (high - low) / 2
