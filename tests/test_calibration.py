"""Platt scaling and the uncertain band, against cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ai_image_classifier.calibration import Calibration, logit
from training.calibration_fit import fit_platt, uncertain_band, uncertain_half_width


def test_identity_calibration_changes_nothing():
    scores = np.array([0.01, 0.3, 0.5, 0.9])
    assert np.allclose(Calibration().apply(scores), scores)


def test_platt_scaling_fixes_an_overconfident_model():
    rng = np.random.default_rng(0)
    true_logit = rng.normal(0, 1, 20000)
    targets = (rng.random(20000) < 1 / (1 + np.exp(-true_logit))).astype(int)
    overconfident = 1 / (1 + np.exp(-3 * true_logit))  # logits stretched by 3
    fitted = fit_platt(targets, overconfident)
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


def test_band_edges_are_fitted_apart_so_a_sure_fake_is_still_answered():
    # fakes the model knows score high; a family it missed scores low, among the real pictures
    real = np.linspace(0.02, 0.5, 40)
    known_fakes, missed_fakes = np.linspace(0.9, 1.0, 30), np.linspace(0.35, 0.45, 10)
    p = np.concatenate([real, known_fakes, missed_fakes])
    y = np.concatenate([np.zeros(40), np.ones(30), np.ones(10)]).astype(int)
    assert uncertain_half_width(y, p, 0.7, 0.95, min_answered=5) > 0.3  # nothing above is left
    threshold, width = uncertain_band(y, p, 0.7, 0.95, min_answered=5)
    low, high = threshold - width, threshold + width
    assert high <= 0.9  # every known fake is answered "fake"
    answered_real = p < low
    assert answered_real.any() and (y[answered_real] == 0).mean() >= 0.95
    assert (y[p >= high] == 1).mean() >= 0.95
    threshold, width = uncertain_band(y, p, 0.7, 1.0, min_answered=50)  # out of reach
    assert (np.abs(p - threshold) < width).all()  # nothing is answered


def test_band_is_empty_and_the_threshold_kept_when_both_sides_are_right():
    p, y = np.array([0.9, 0.8, 0.2, 0.1]), np.array([1, 1, 0, 0])
    assert uncertain_band(y, p, 0.5, 0.95, min_answered=1) == (0.5, 0.0)
    threshold, width = uncertain_band(y, p, 0.95, 0.95, min_answered=1)
    assert width == 0.0 and 0.2 < threshold <= 0.8  # moved between the classes
