"""How verdicts hold up when a picture is shared: JPEG re-compression and downscaling.

Each perturbation is applied to the full decoded picture, as a messenger app would, before
the runtime's own `prepare_model_input` (face search included).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PIL import Image

from ai_image_classifier.classifier import Classifier
from ai_image_classifier.datasets import LabelledImage
from ai_image_classifier.evaluation import Predictions
from ai_image_classifier.imaging import open_rgb


def jpeg_q70(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)
    return Image.open(buffer).convert("RGB")


def half_size(image: Image.Image) -> Image.Image:
    return image.resize((max(1, image.width // 2), max(1, image.height // 2)),
                        Image.Resampling.BICUBIC)


PERTURBATIONS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "jpeg_q70": jpeg_q70,
    "downscale_0.5": half_size,
}


def perturbed_predictions(classifier: Classifier, items: Sequence[LabelledImage],
                          perturb: Callable[[Image.Image], Image.Image],
                          batch_size: int = 64) -> Predictions:
    """The app's verdicts (face network, or the general detector with its limits) on
    perturbed copies."""
    probabilities: list[float] = []
    unsure: list[bool] = []
    for start in range(0, len(items), batch_size):
        chunk = items[start:start + batch_size]
        verdicts = classifier.verdicts([classifier.prepare(perturb(open_rgb(item.path)))
                                        for item in chunk])
        probabilities += [v.probability for v in verdicts]
        unsure += [bool(v.limits) for v in verdicts]
    return Predictions(np.array([item.target for item in items]), np.array(probabilities),
                       [item.source for item in items], unsure=np.array(unsure))


def robustness_report(classifier: Classifier, items: Sequence[LabelledImage],
                      clean: Predictions) -> dict[str, Any]:
    """Accuracy per source as is and under each perturbation, and the drop in points."""
    def accuracies(predictions: Predictions) -> dict[str, float]:
        report = predictions.report(classifier.threshold)
        return {**{s: m["accuracy"] for s, m in report["by_source"].items()},
                "overall": report["overall"]["accuracy"]}

    base = accuracies(clean)
    report: dict[str, Any] = {"as_is": base}
    for name, perturb in PERTURBATIONS.items():
        scores = accuracies(perturbed_predictions(classifier, items, perturb))
        report[name] = scores
        report[f"{name}_drop_points"] = {k: round(100 * (base[k] - v), 1)
                                         for k, v in scores.items()}
    return report
