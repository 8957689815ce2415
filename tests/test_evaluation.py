"""Evaluation math against hand-computed cases."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from ai_image_classifier.evaluation import (
    binary_metrics,
    expected_calibration_error,
    metrics_by_source,
    roc_auc,
    roc_curve,
)
from training.calibration_fit import roc_threshold

from .conftest import ROOT


def test_binary_metrics_by_hand():
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.3, 0.6, 0.2, 0.1, 0.1, 0.4])
    m = binary_metrics(y, p, threshold=0.5)
    # predictions: 1 1 0 1 0 0 0 0 → tp=2 fn=1 fp=1 tn=4
    assert m["confusion_matrix"] == {"tn": 4, "fp": 1, "fn": 1, "tp": 2}
    assert m["accuracy"] == pytest.approx(6 / 8)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == m["true_positive_rate"] == pytest.approx(2 / 3)
    assert m["true_negative_rate"] == pytest.approx(4 / 5)
    assert m["balanced_accuracy"] == pytest.approx((2 / 3 + 4 / 5) / 2)
    # AUC: pairs (fake, real) ranked right: 0.9 and 0.8 beat all 5; 0.3 beats 0.2, 0.1, 0.1
    assert m["auc"] == pytest.approx((5 + 5 + 3) / 15)


def test_threshold_is_inclusive():
    assert binary_metrics(np.array([1]), np.array([0.5]), 0.5)["true_positive_rate"] == 1.0


def test_single_class_has_no_auc_or_balanced_accuracy():
    m = binary_metrics(np.array([0, 0]), np.array([0.1, 0.7]), 0.5)
    assert m["auc"] is None and m["balanced_accuracy"] is None and m["recall"] is None
    assert m["accuracy"] == 0.5


def test_ece_by_hand():
    # bin [0.1,0.2): p=0.1 (y=0) → |0 - 0.1|; bin [0.9,1]: p=0.9,0.9 (y=1,0) → |0.5-0.9|
    y = np.array([0, 1, 0])
    p = np.array([0.1, 0.9, 0.9])
    assert expected_calibration_error(y, p) == pytest.approx(1 / 3 * 0.1 + 2 / 3 * 0.4)


def test_perfectly_calibrated_ece_is_zero():
    assert expected_calibration_error(np.array([0, 1]), np.array([0.0, 1.0])) == 0.0


def test_roc_threshold_separates_when_possible():
    y = np.array([0, 0, 0, 1, 1])
    p = np.array([0.1, 0.3, 0.35, 0.4, 0.9])
    threshold = roc_threshold(y, p)
    assert 0.35 < threshold <= 0.4
    assert binary_metrics(y, p, threshold)["accuracy"] == 1.0


def test_metrics_by_source_splits_rows():
    report = metrics_by_source(np.array([1, 0, 1, 0]), np.array([0.9, 0.1, 0.2, 0.8]),
                               ["a", "a", "b", "b"], 0.5)
    assert report["by_source"]["a"]["accuracy"] == 1.0
    assert report["by_source"]["b"]["accuracy"] == 0.0
    assert report["overall"]["n"] == 4 and report["overall"]["accuracy"] == 0.5


def test_uncertain_band_metrics_by_hand():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.95, 0.45, 0.52, 0.1])  # 0.45 (right) and 0.52 (right) fall in ±0.1
    m = binary_metrics(y, p, threshold=0.5, half_width=0.1)
    assert m["uncertain_rate"] == 0.5
    assert m["accuracy_outside_band"] == 1.0
    assert m["accuracy"] == 1.0  # every image still counts by its thresholded call
    none_answered = binary_metrics(y, p, threshold=0.5, half_width=1.0)
    assert none_answered["uncertain_rate"] == 1.0 and none_answered["accuracy_outside_band"] is None


@pytest.mark.parametrize("seed", range(5))
def test_roc_and_auc_match_scikit_learn_with_ties(seed):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300)
    p = np.round(rng.random(300) * 0.6 + 0.4 * y, 1)  # rounded: many ties
    assert roc_auc(y, p) == pytest.approx(metrics.roc_auc_score(y, p))
    ours = roc_curve(y, p)
    theirs = metrics.roc_curve(y, p, drop_intermediate=False)
    for mine, reference in zip(ours, theirs, strict=True):
        assert np.allclose(mine, reference)


def test_the_runtime_imports_no_training_library():
    """The app, its CLI (evaluate too) and its window load without scikit-learn or Matplotlib,
    so the frozen build, which leaves them out, can run every command."""
    probe = ("import sys, ai_image_classifier.cli, ai_image_classifier.evaluation, "
             "ai_image_classifier.gui.window, ai_image_classifier.general, "
             "ai_image_classifier.explain, ai_image_classifier.superres\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & "
             "{'sklearn', 'matplotlib', 'tensorflow', 'keras', 'training', 'scipy'}))")
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, env={**os.environ, "DISPLAY": ""})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[]"
