"""The enhancement choices: one list of names, typed and explained."""

from __future__ import annotations

from typing import get_args

import pytest

from ai_image_classifier.enhance_settings import (
    DENOISE_MODES,
    METHODS,
    DenoiseMode,
    EnhanceSettings,
    Method,
)


def test_every_typed_choice_has_its_explanation():
    assert set(METHODS) == set(get_args(Method))
    assert set(DENOISE_MODES) == set(get_args(DenoiseMode))


@pytest.mark.parametrize("bad", [{"method": "nearest"}, {"denoise": "strong"},
                                 {"denoise": 101}, {"method": "learned", "scale": 3}])
def test_unknown_choices_are_refused(bad):
    with pytest.raises(ValueError):
        EnhanceSettings(**bad)
