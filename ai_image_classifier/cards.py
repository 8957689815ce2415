"""The model folder and the model cards beside its files.

A model `X.keras` / `X.tflite` may have `X.card.json` beside it. The runtime reads only a few
of a card's keys; each is checked against one schema when read, so a damaged card is an error
with the key named, never silently ignored.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .resources import resource_path

#: The app's default: the general detector (CLIP head fused with the face network).
MODEL_NAME = "general_detector"
#: The face network alone, which the general detector's card names as its face model.
FACE_MODEL_NAME = "ai_imageclassifier"
DEFAULT_THRESHOLD = 0.5
FLIP_AVERAGE = "horizontal flip: mean logit of the image and its mirror image"


class ModelLoadError(RuntimeError):
    """The model file is missing, damaged, or needs a library that is not installed."""


def bundled_model_dir() -> Path:
    """`model/` of a source checkout, or of a PyInstaller bundle when frozen."""
    return resource_path("model")


def bundled_model_names() -> list[str]:
    """Models shipped in model/, by file stem (e.g. the default and "seed_cnn")."""
    return sorted({p.name.split(".")[0] for p in bundled_model_dir().glob("*.card.json")})


def card_path_for(model_path: Path) -> Path:
    return model_path.with_name(model_path.stem + ".card.json")


def finite_number(value: object) -> bool:
    """An int or float that is not a bool, NaN or infinite."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


Schema = dict[str, tuple[Callable[[Any], bool], str]]
#: What the detector runtime reads from a card: key → (check, what it must be).
CARD_SCHEMA: Schema = {
    "threshold": (lambda v: finite_number(v) and 0.0 <= v <= 1.0, "a number from 0 to 1"),
    "uncertain_half_width": (lambda v: finite_number(v) and 0.0 <= v <= 1.0,
                             "a number from 0 to 1"),
    "calibration": (lambda v: isinstance(v, dict) and set(v) <= {"slope", "intercept"}
                    and all(finite_number(x) for x in v.values()),
                    'an object {"slope": number, "intercept": number}'),
    "test_time_augmentation": (lambda v: v is None or isinstance(v, str), "a text or null"),
    "face_model": (lambda v: isinstance(v, str) and bool(v), "a model name or file"),
    "head": (lambda v: isinstance(v, str) and bool(v), "a file name"),
    "low_score_caveat": (lambda v: isinstance(v, str), "a text"),
}
#: What the upscaler reads from its card.
UPSCALER_SCHEMA: Schema = {
    "scale": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v in (2, 4),
              "2 or 4"),
    "margin": (lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 256,
               "a whole number of pixels from 0 to 256"),
}


def validate_card(card: object, name: str, schema: Schema = CARD_SCHEMA) -> dict[str, Any]:
    """The card if every key the runtime reads has the right type and range; else a
    `ModelLoadError` naming the key."""
    if not isinstance(card, dict):
        raise ModelLoadError(f"{name}: the model card must be a JSON object")
    for key, (check, wanted) in schema.items():
        if key in card and not check(card[key]):
            raise ModelLoadError(f"{name}: '{key}' must be {wanted}, not {str(card[key])[:40]!r}")
    return card


def read_card(model_path: Path, schema: Schema = CARD_SCHEMA) -> dict[str, Any]:
    """The model card beside a model, validated; {} when the model has none."""
    return read_card_file(card_path_for(model_path), schema)


def read_card_file(path: Path, schema: Schema = CARD_SCHEMA) -> dict[str, Any]:
    """A model card, validated; {} when there is none."""
    if not path.exists():
        return {}
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{path.name}: cannot read the model card ({exc})") from exc
    except (ValueError, RecursionError) as exc:
        raise ModelLoadError(f"{path.name}: the model card is not valid JSON") from exc
    return validate_card(card, path.name, schema)
