"""Platt scaling and the uncertain band, against cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ai_image_classifier.calibration import Calibration, logit, uncertain_half_width


def test_identity_calibration_changes_nothing():
    scores = np.array([0.01, 0.3, 0.5, 0.9])
    assert np.allclose(Calibration().apply(scores), scores)


def test_platt_scaling_fixes_an_overconfident_model():
    rng = np.random.default_rng(0)
    true_logit = rng.normal(0, 1, 20000)
    targets = (rng.random(20000) < 1 / (1 + np.exp(-true_logit))).astype(int)
    overconfident = 1 / (1 + np.exp(-3 * true_logit))  # logits stretched by 3
    fitted = Calibration.fit(targets, overconfident)
    assert fitted.slope == pytest.approx(1 / 3, abs=0.03)
    assert fitted.intercept == pytest.approx(0, abs=0.05)


def test_card_round_trip():
    calibration = Calibration(0.5, -0.2)
    assert Calibration.from_card({"calibration": calibration.to_card()}) == calibration
    assert Calibration.from_card({}) == Calibration()


def test_logit_is_finite_at_the_ends():
    assert np.isfinite(logit(np.array([0.0, 1.0]))).all()


def test_band_excludes_the_mistakes_near_the_threshold():
    # distances from 0.5: 0.4 0.3 0.2 (wrong) 0.1 (wrong) 0.05 → the 2 most confident are right
    p = np.array([0.9, 0.2, 0.7, 0.4, 0.55])
    y = np.array([1, 0, 0, 1, 1])
    width = uncertain_half_width(y, p, 0.5, target_accuracy=1.0, min_answered=2)
    distance = np.abs(p - 0.5)
    assert distance[2] < width <= distance[1]
    outside = distance >= width
    assert outside.tolist() == [True, True, False, False, False]


def test_band_is_zero_when_everything_is_right():
    p, y = np.array([0.9, 0.1, 0.6]), np.array([1, 0, 1])
    assert uncertain_half_width(y, p, 0.5, 0.95, min_answered=1) == 0.0


def test_band_covers_everything_when_the_target_is_out_of_reach():
    p, y = np.array([0.9, 0.1]), np.array([0, 1])
    assert uncertain_half_width(y, p, 0.5, 0.9, min_answered=1) == 1.0
