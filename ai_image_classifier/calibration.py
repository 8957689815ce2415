"""Turn the network's score into a probability people can read.

Platt scaling: P = sigmoid(slope · logit(score) + intercept) (temperature scaling is the
special case intercept = 0). The training package fits it on the validation split
(`training.calibration_fit`, with the uncertain band) and stores it in the model card; the
runtime only applies it. `logit` and `sigmoid` are the one definition of each.
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
    def from_card(cls, card: dict[str, Any]) -> Calibration:
        return cls(**card["calibration"]) if card.get("calibration") else cls()

    def to_card(self) -> dict[str, float]:
        return asdict(self)
