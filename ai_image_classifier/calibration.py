"""Turn the network's score into a probability people can read, and know when to abstain.

Both are fitted on the validation split by the training package and stored in the model card:
- Platt scaling: P = sigmoid(slope · logit(score) + intercept) (temperature scaling is the
  special case intercept = 0), fitted by logistic regression;
- the uncertain band: calibrated probabilities within `half_width` of the threshold get the
  answer "uncertain", with the width chosen as the smallest for which the answers outside the
  band reach a stated accuracy on val.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

EPSILON = 1e-6


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), EPSILON, 1 - EPSILON)
    return np.log(p / (1 - p))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True)
class Calibration:
    slope: float = 1.0
    intercept: float = 0.0

    def apply(self, scores: np.ndarray) -> np.ndarray:
        return sigmoid(self.slope * logit(scores) + self.intercept)

    @classmethod
    def fit(cls, targets: np.ndarray, scores: np.ndarray) -> Calibration:
        """Platt scaling by (nearly unregularised) logistic regression on the logit."""
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1e6).fit(logit(scores).reshape(-1, 1), targets)
        return cls(float(model.coef_[0, 0]), float(model.intercept_[0]))

    @classmethod
    def from_card(cls, card: dict[str, Any]) -> Calibration:
        return cls(**card["calibration"]) if card.get("calibration") else cls()

    def to_card(self) -> dict[str, float]:
        return asdict(self)


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
