"""Load a model and turn images into verdicts.

One small backend class per model format (rembg's pattern): `LiteRTBackend` runs the
`.tflite` export with no TensorFlow (0.08 s to the first prediction), `KerasBackend` runs the
canonical `.keras` file. A model `X.keras` / `X.tflite` may have `X.card.json` beside it; its
`threshold` is the decision threshold chosen on the validation split.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from PIL import Image

from .calibration import Calibration, logit, sigmoid
from .imaging import (
    ImageDecodeError,
    ImageSource,
    ModelInput,
    display_name,
    load_model_input,
    one_line,
    prepare_model_input,
)
from .logs import native_stderr_to_log
from .provenance import Provenance, read_provenance
from .resources import resource_path

if TYPE_CHECKING:
    from .general import GeneralDetector

log = logging.getLogger(__name__)

#: The app's default: the general detector (CLIP head fused with the face network).
MODEL_NAME = "general_detector"
#: The face network alone, which the general detector's card names as its face model.
FACE_MODEL_NAME = "ai_imageclassifier"
DEFAULT_THRESHOLD = 0.5
FLIP_AVERAGE = "horizontal flip: mean logit of the image and its mirror image"
LABEL_TEXT = {
    "real": "REAL IMAGE",
    "fake": "IMAGE MIGHT BE AI-GENERATED OR EDITED",
    "uncertain": "UNCERTAIN: THE MODEL CANNOT TELL",
}


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


@dataclass(frozen=True)
class Verdict:
    """The answer for one picture, keeping apart what the file declares about itself and what
    the model sees in its pixels: a declaration may decide (`declared`), but the model's own
    answer (`model_label`, `probability`) is kept beside it, never overwritten."""

    label: str  # the answer: "real", "fake" or "uncertain"
    probability: float  # the model's P(fake), calibrated on the validation split
    threshold: float
    half_width: float = 0.0  # P within this of the threshold is "uncertain"
    face: tuple[float, float, float, float] | None = None  # the crop judged; None = whole image
    declared: tuple[str, ...] = ()  # what the file declares that decides, naming its strength
    limits: tuple[str, ...] = ()  # why the model cannot judge this picture
    notes: tuple[str, ...] = ()  # what the file says that does not decide (e.g. a broken manifest)
    model_label: str = ""  # what the model alone answers; "" = the same as `label`
    caveat: str = ""  # what a "real" answer from the model is worth (from the model's card)

    @property
    def region(self) -> str:
        return "face" if self.face else "whole image"

    @property
    def text(self) -> str:
        """The sentence shown to people."""
        return LABEL_TEXT[self.label]

    @property
    def model_answer(self) -> str:
        """What the model alone answers, whatever the file declares."""
        return self.model_label or self.label

    @property
    def evidence(self) -> tuple[str, ...]:
        """What decided, most decisive first: the file's declarations, its other notes, what
        keeps the model from judging, then the model's own answer."""
        return (*(f"the file declares: {text}" for text in self.declared), *self.notes,
                *(f"cannot judge: {reason}" for reason in self.limits),
                f"the model sees: {self.model_answer} (score {self.probability:.2f})")

    @property
    def confidence(self) -> float:
        """The calibrated probability of the more likely class."""
        return max(self.probability, 1.0 - self.probability)


def verdict_record(path: str, result: Verdict | Exception) -> dict[str, Any]:
    """One file's result as plain data, alike for `aiic classify --json` and the scan
    window's exports: the answer, what the file declares and what the model sees, kept
    apart; or the error, on one line."""
    if isinstance(result, Verdict):
        model = {"label": result.model_answer, "probability": round(result.probability, 6),
                 "threshold": round(result.threshold, 6),
                 "uncertain_half_width": round(result.half_width, 6),
                 "region": result.region, "limits": list(result.limits)}
        if result.caveat:
            model["caveat"] = result.caveat
        return {"path": path, "label": result.label, "declared": list(result.declared),
                "notes": list(result.notes), "model": model, "evidence": list(result.evidence)}
    return {"path": path, "error": one_line(result)}


#: The columns of a flat (CSV) export of `verdict_record`s.
FLAT_FIELDS = ["path", "label", "declared", "model_label", "probability", "threshold", "region",
               "evidence", "error"]


def flat_record(record: dict[str, Any]) -> dict[str, Any]:
    """A `verdict_record` with one value a column (`FLAT_FIELDS`), for CSV."""
    if "error" in record:
        return {"path": record["path"], "error": record["error"]}
    model = record["model"]
    return {"path": record["path"], "label": record["label"],
            "declared": "; ".join(record["declared"]), "model_label": model["label"],
            "probability": model["probability"], "threshold": model["threshold"],
            "region": model["region"], "evidence": "; ".join(record["evidence"])}


class ModelBackend(Protocol):
    input_size: int

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """P(fake) for an N×S×S×3 uint8 batch."""
        ...


class LiteRTBackend:
    """The fast runtime export: no TensorFlow needed."""

    def __init__(self, path: Path, num_threads: int | None = None) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:  # pragma: no cover - installed with the runtime
            raise ModelLoadError("the LiteRT runtime (ai-edge-litert) is not installed") from exc
        try:
            with native_stderr_to_log("LiteRT"):
                self._interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
                self._interpreter.allocate_tensors()
        except Exception as exc:  # LiteRT raises ValueError or RuntimeError for damaged files
            log.error("cannot load %s", path, exc_info=True)
            raise ModelLoadError(f"{path.name}: not a valid LiteRT model "
                                 "(damaged or truncated?)") from exc
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self.input_size = int(self._input["shape"][1])
        self._batch = int(self._input["shape"][0])

    def predict(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) != self._batch:
            self._interpreter.resize_tensor_input(self._input["index"], list(batch.shape))
            self._interpreter.allocate_tensors()
            self._batch = len(batch)
        self._interpreter.set_tensor(self._input["index"], batch.astype(np.float32))
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output["index"]).reshape(-1).copy()


class KerasBackend:
    """The canonical `.keras` model; needs TensorFlow (training requirements)."""

    def __init__(self, path: Path | None = None, model: Any = None) -> None:
        if model is None:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notes
            try:
                with native_stderr_to_log("TensorFlow"):
                    import keras
            except ImportError as exc:
                raise ModelLoadError(
                    "a .keras model needs TensorFlow: pip install -r requirements-train.txt"
                ) from exc
            try:
                model = keras.saving.load_model(path, compile=False, safe_mode=True)
            except Exception as exc:  # Keras raises many types for a damaged archive
                log.error("cannot load %s", path, exc_info=True)  # its text can be a whole config
                raise ModelLoadError(f"{Path(str(path)).name}: not a valid Keras model "
                                     "(damaged or truncated?)") from exc
        self.model = model
        self.input_size = int(model.input_shape[1])

    def predict(self, batch: np.ndarray) -> np.ndarray:
        output = self.model(batch.astype(np.float32), training=False)
        return np.asarray(output).reshape(-1)


class FlipAveragedBackend:
    """Test-time augmentation around any backend: the networks were trained on randomly
    mirrored faces, so an image and its mirror are equally good views of it; averaging their
    logits cancels part of the network's noise (measured on val in the model report)."""

    def __init__(self, backend: ModelBackend) -> None:
        self.backend = backend
        self.input_size = backend.input_size

    def predict(self, batch: np.ndarray) -> np.ndarray:
        both = logit(self.backend.predict(np.concatenate([batch, batch[:, :, ::-1]])))
        return sigmoid((both[:len(batch)] + both[len(batch):]) / 2)


def load_backend(path: Path, flip_average: bool = False) -> ModelBackend:
    """The backend for a model file, wrapped in flip averaging when its card asks for it."""
    if not path.is_file():
        raise ModelLoadError(f"model file not found: {path}")
    backend: ModelBackend
    if path.suffix == ".keras":
        backend = KerasBackend(path)
    elif path.suffix == ".tflite":
        backend = LiteRTBackend(path)
    else:
        raise ModelLoadError(f"{path.name}: unknown model type (expected .keras or .tflite)")
    return FlipAveragedBackend(backend) if flip_average else backend


#: What the runtime reads from a card: key → (accepted types, check, what it must be).
CARD_SCHEMA: dict[str, tuple[tuple[type, ...], Any, str]] = {
    "threshold": ((int, float), lambda v: 0.0 <= v <= 1.0, "a number from 0 to 1"),
    "uncertain_half_width": ((int, float), lambda v: 0.0 <= v <= 1.0, "a number from 0 to 1"),
    "calibration": ((dict,), lambda v: set(v) <= {"slope", "intercept"} and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
        for x in v.values()), 'an object {"slope": number, "intercept": number}'),
    "test_time_augmentation": ((str, type(None)), lambda v: True, "a text or null"),
    "face_model": ((str,), lambda v: bool(v), "a model name or file"),
    "head": ((str,), lambda v: bool(v), "a file name"),
    "low_score_caveat": ((str,), lambda v: True, "a text"),
}


def validate_card(card: object, name: str) -> dict[str, Any]:
    """The card if every key the runtime reads has the right type and range; else a
    `ModelLoadError` naming the key, so that a damaged card is never silently ignored."""
    if not isinstance(card, dict):
        raise ModelLoadError(f"{name}: the model card must be a JSON object")
    for key, (types, check, wanted) in CARD_SCHEMA.items():
        if key not in card:
            continue
        value = card[key]
        valid = isinstance(value, types) and not isinstance(value, bool)
        if valid and isinstance(value, float):
            valid = math.isfinite(value)
        if not valid or not check(value):
            raise ModelLoadError(f"{name}: '{key}' must be {wanted}, not {str(value)[:40]!r}")
    return card


def read_card(model_path: Path) -> dict[str, Any]:
    """The model card beside a model, validated; {} when the model has none."""
    return read_card_file(card_path_for(model_path))


def read_card_file(path: Path) -> dict[str, Any]:
    """A model card, validated; {} when there is none."""
    if not path.exists():
        return {}
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{path.name}: cannot read the model card ({exc})") from exc
    except ValueError as exc:
        raise ModelLoadError(f"{path.name}: the model card is not valid JSON ({exc})") from exc
    return validate_card(card, path.name)


@dataclass
class Classifier:
    backend: ModelBackend
    threshold: float = DEFAULT_THRESHOLD
    card: dict[str, Any] | None = None
    source: Path | None = None  # the file it was loaded from, so another thread can reload it
    calibration: Calibration = Calibration()
    half_width: float = 0.0
    general: GeneralDetector | None = None  # the CLIP head fused with this face network
    #: Why a general detector's whole-picture part is switched off ("" when it is not):
    #: its encoder is missing, damaged, or failed its self-check on this computer.
    general_off: str = ""

    @classmethod
    def load(cls, path: str | Path | None = None) -> Classifier:
        """Load a model file, a general detector's card, a bundled model by name ("seed_cnn"),
        or by default the bundled general detector; a bundled network runs from its LiteRT
        export when present."""
        name = MODEL_NAME if path is None else str(path)
        if path is None or name in bundled_model_names():
            card_file = bundled_model_dir() / f"{name}.card.json"
            card = read_card_file(card_file)
            if "face_model" in card:
                return cls._load_general(card_file, card)
            fast = bundled_model_dir() / f"{name}.tflite"
            path = fast if fast.is_file() else bundled_model_dir() / f"{name}.keras"
        path = Path(path)
        if path.name.endswith(".card.json"):
            return cls._load_general(path, read_card_file(path))
        card = read_card(path)
        backend = load_backend(path, card.get("test_time_augmentation") == FLIP_AVERAGE)
        return cls(backend, float(card.get("threshold", DEFAULT_THRESHOLD)), card, path,
                   Calibration.from_card(card), float(card.get("uncertain_half_width", 0.0)))

    @classmethod
    def _load_general(cls, card_file: Path, card: dict[str, Any]) -> Classifier:
        """The face network named by the card, with the CLIP encoder and the card's head."""
        from .clip_encoder import ClipEncoder, EncoderMissingError
        from .general import GeneralDetector, GeneralHead, HeadLoadError

        if "face_model" not in card or "head" not in card:
            raise ModelLoadError(f"{card_file.name}: not a general detector's card")
        face_name = card["face_model"]
        face_path = face_name if face_name in bundled_model_names() else str(
            card_file.parent / face_name)
        if face_path.endswith(".card.json") or "face_model" in read_card_file(
                bundled_model_dir() / f"{face_name}.card.json"):
            raise ModelLoadError(f"{card_file.name}: 'face_model' must name a network, not "
                                 "another detector")
        face = cls.load(face_path)
        try:
            head = GeneralHead.load(card_file.parent / card["head"])
        except HeadLoadError as exc:
            raise ModelLoadError(str(exc)) from exc
        threshold = float(card.get("threshold", DEFAULT_THRESHOLD))
        half_width = float(card.get("uncertain_half_width", 0.0))
        try:
            encoder = ClipEncoder()
            encoder.self_check()
        except EncoderMissingError as exc:
            # Verdicts then come from the file's declarations and the face network alone.
            log.warning("general detector off: %s", exc)
            return cls(face.backend, face.threshold, card, card_file, face.calibration,
                       face.half_width, None, general_off=one_line(exc))
        return cls(face.backend, threshold, card, card_file, face.calibration, half_width,
                   GeneralDetector(head, encoder))

    @property
    def input_size(self) -> int:
        return self.backend.input_size

    def verdict(self, probability: float, face: tuple[float, ...] | None = None,
                limits: tuple[str, ...] = ()) -> Verdict:
        """The answer for a calibrated P(fake); a picture outside what the detector knows
        (`limits`) is "uncertain" whatever the score."""
        if limits or abs(probability - self.threshold) < self.half_width:
            label = "uncertain"
        else:
            label = "fake" if probability >= self.threshold else "real"
        caveat = (self.card or {}).get("low_score_caveat", "") if label == "real" else ""
        return Verdict(label, float(probability), self.threshold, self.half_width, face,
                       limits=limits, caveat=caveat)

    def _face_only_limits(self, prepared: ModelInput) -> tuple[str, ...]:
        """With the whole-picture detector off, only a face can be judged."""
        if self.general_off and prepared.face is None:
            return ("no face found, and the whole-picture detector is off on this computer",)
        return ()

    def predict_batch(self, batch: np.ndarray) -> np.ndarray:
        """Calibrated P(fake) for model inputs (`ModelInput.pixels`)."""
        return self.calibration.apply(self.backend.predict(batch))

    @staticmethod
    def with_provenance(verdict: Verdict, provenance: Provenance) -> Verdict:
        """Provenance first: a file whose declaration decides (a valid signed manifest, or a
        generator's own parameters) is called generated; the model's answer stays beside it."""
        notes = (*verdict.notes, *provenance.notes)
        if provenance.generated:
            return replace(verdict, label="fake", declared=provenance.generated, notes=notes,
                           model_label=verdict.label)
        return replace(verdict, notes=notes)

    def verdicts(self, inputs: list[ModelInput]) -> list[Verdict]:
        """The model's verdicts for prepared inputs (provenance is the caller's)."""
        face = self.predict_batch(np.stack([p.pixels for p in inputs]))
        if self.general is None:
            return [self.verdict(float(p), i.face, self._face_only_limits(i))
                    for p, i in zip(face, inputs, strict=True)]
        probabilities, limits = self.general.judge(logit(face), inputs)
        return [self.verdict(float(p), i.face, why)
                for p, i, why in zip(probabilities, inputs, limits, strict=True)]

    def prepare(self, image: np.ndarray | Image.Image) -> ModelInput:
        return prepare_model_input(image, self.input_size, general=self.general is not None,
                                   crops=self.general.crops if self.general else 1)

    def _load_input(self, source: ImageSource) -> ModelInput:
        return load_model_input(source, self.input_size, general=self.general is not None,
                                crops=self.general.crops if self.general else 1)

    def classify_image(self, image: np.ndarray | Image.Image,
                       provenance: Provenance | None = None) -> Verdict:
        """Verdict for a decoded picture (e.g. the one the app already shows), with the file's
        declarations when the caller has read them."""
        verdict = self.verdicts([self.prepare(image)])[0]
        return self.with_provenance(verdict, provenance) if provenance else verdict

    def classify_file(self, source: ImageSource, provenance: Provenance | None = None
                      ) -> Verdict:
        """Verdict for a file; its declarations are read here unless the caller passes them."""
        prepared = self._load_input(source)
        if provenance is None:
            provenance = read_provenance(source) if not hasattr(source, "read") else Provenance()
        return self.with_provenance(self.verdicts([prepared])[0], provenance)

    def classify_files(
        self, paths: Iterable[Path], batch_size: int = 32
    ) -> Iterator[tuple[Path, Verdict | ImageDecodeError]]:
        """Verdicts in input order; a file that cannot be decoded yields its error instead."""
        pending: list[tuple[Path, ModelInput]] = []

        def flush() -> Iterator[tuple[Path, Verdict]]:
            verdicts = self.verdicts([prepared for _, prepared in pending])
            for (path, _), verdict in zip(pending, verdicts, strict=True):
                yield path, self.with_provenance(verdict, read_provenance(path))
            pending.clear()

        for path in paths:
            try:
                prepared = self._load_input(path)
            except ImageDecodeError as error:
                yield from flush() if pending else ()
                yield path, error
                continue
            except Exception as error:  # noqa: BLE001 - one file's fault never ends a scan
                log.exception("unexpected error on %s", display_name(path))
                yield from flush() if pending else ()
                yield path, ImageDecodeError(
                    f"{display_name(path.name)}: could not be processed ({type(error).__name__};"
                    " details in the log)")
                continue
            pending.append((path, prepared))
            if len(pending) == batch_size:
                yield from flush()
        if pending:
            yield from flush()
