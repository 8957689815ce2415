"""Load a detector and turn pictures into verdicts.

`Classifier.load` finds a model by name, file or card (`cards`), runs its network through a
backend (`backends`), fuses the whole-picture detector when the card names one (`general`),
and answers with a `Verdict` (`verdict`): provenance first, then the model.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from .backends import ModelBackend, load_backend
from .calibration import Calibration, logit
from .cards import (
    DEFAULT_THRESHOLD,
    FLIP_AVERAGE,
    MODEL_NAME,
    ModelLoadError,
    bundled_model_dir,
    bundled_model_names,
    read_card,
    read_card_file,
)
from .imaging import FileBytes, ImageDecodeError, ImageSource, display_name, one_line, read_file
from .model_input import ModelInput, open_for_models, prepare_model_input
from .provenance import Provenance, read_provenance
from .verdict import Label, Verdict
from .watermark import FoundMark, find_watermark, with_watermark

if TYPE_CHECKING:
    from .general import GeneralDetector

log = logging.getLogger(__name__)

#: Why a score that is not a number cannot be answered (a damaged or unsuitable model).
NO_SCORE = "the model gave no usable score for this picture"
#: Why a file's metadata is missing from its verdict when reading it failed unexpectedly.
UNREADABLE_METADATA = "the file's metadata could not be read (details in the log)"


@dataclass(frozen=True)
class ViewSpec:
    """How a classifier looks at a decoded picture (`prepare_model_input`'s settings): views
    made for one spec serve only a classifier with the same one."""

    input_size: int
    general: bool = False
    crops: int = 1

    def prepare(self, image: np.ndarray | Image.Image) -> ModelInput:
        return prepare_model_input(image, self.input_size, general=self.general,
                                   crops=self.crops)


@dataclass(frozen=True, eq=False)
class PreparedPicture:
    """A decoded picture's views for one spec and the generator watermark its pixels carry:
    the model-free half of a verdict, which a window can compute while the model loads."""

    spec: ViewSpec
    views: ModelInput
    mark: FoundMark | None

    @classmethod
    def of(cls, image: np.ndarray | Image.Image, spec: ViewSpec) -> PreparedPicture:
        views = spec.prepare(image)
        if isinstance(image, Image.Image) and image.mode != "RGB":
            image = image.convert("RGB")
        return cls(spec, views, find_watermark(np.asarray(image)))


def expected_view_spec(source: str | None = None) -> ViewSpec | None:
    """The view spec `Classifier.load(source)` will have, read from a bundled model's cards
    without loading any network (so that a picture's views are made while the model loads);
    None when only loading would tell (a model file, a damaged card)."""
    name = MODEL_NAME if source is None else str(source)
    try:
        if name not in bundled_model_names():
            return None
        card = read_card_file(bundled_model_dir() / f"{name}.card.json")
        if "face_model" not in card:
            return ViewSpec(int(card["input_size"]))
        face = read_card_file(bundled_model_dir() / f"{card['face_model']}.card.json")
        return ViewSpec(int(face["input_size"]), general=True, crops=int(card["crops"]))
    except (ModelLoadError, KeyError, TypeError, ValueError):
        return None


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
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types too
            # Verdicts then come from the file's declarations and the face network alone.
            log.warning("general detector off: %s", exc, exc_info=not isinstance(
                exc, EncoderMissingError))
            reason = one_line(exc) if isinstance(exc, EncoderMissingError) else (
                f"its encoder failed to run on this computer ({type(exc).__name__}; "
                "details in the log)")
            return cls(face.backend, face.threshold, card, card_file, face.calibration,
                       face.half_width, None, general_off=reason)
        return cls(face.backend, threshold, card, card_file, face.calibration, half_width,
                   GeneralDetector(head, encoder))

    @property
    def input_size(self) -> int:
        return self.backend.input_size

    def verdict(self, probability: float, face: tuple[float, ...] | None = None,
                limits: tuple[str, ...] = ()) -> Verdict:
        """The answer for a calibrated P(fake); a picture outside what the detector knows
        (`limits`) is "uncertain" whatever the score."""
        label: Label
        if not math.isfinite(probability):
            limits = (*limits, NO_SCORE)
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
        """Provenance first: a file whose declaration decides (a valid signed manifest, a
        generator's watermark or its own parameters) is called generated, a trusted camera's
        bound capture real; the model's answer stays beside it."""
        notes = (*verdict.notes, *provenance.notes)
        decides = provenance.generated or provenance.captured
        if decides:
            return replace(verdict, label="fake" if provenance.generated else "real",
                           declared=decides, notes=notes, model_label=verdict.label,
                           decided_by=provenance.decided_by, edited=provenance.edited)
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

    @property
    def view_spec(self) -> ViewSpec:
        return ViewSpec(self.input_size, general=self.general is not None,
                        crops=self.general.crops if self.general else 1)

    def prepare(self, image: np.ndarray | Image.Image) -> ModelInput:
        return self.view_spec.prepare(image)

    def _load_input(self, source: ImageSource) -> PreparedPicture:
        """The models' views of a file, and the generator watermark its decoded pixels carry
        (read once, while the pixels are at hand)."""
        image = open_for_models(source, self.input_size, general=self.general is not None)
        return PreparedPicture.of(image, self.view_spec)

    def classify_image(self, image: np.ndarray | Image.Image,
                       provenance: Provenance | None = None,
                       prepared: PreparedPicture | None = None) -> Verdict:
        """Verdict for a decoded picture (e.g. the one the app already shows), with the file's
        declarations when the caller has read them and the watermark its pixels carry;
        `prepared` (that picture's views and mark) is used when made for this view spec."""
        if prepared is None or prepared.spec != self.view_spec:
            prepared = PreparedPicture.of(image, self.view_spec)
        verdict = self.verdicts([prepared.views])[0]
        return self.with_provenance(verdict, with_watermark(provenance or Provenance(),
                                                            prepared.mark))

    def classify_file(self, source: ImageSource, provenance: Provenance | None = None
                      ) -> Verdict:
        """Verdict for a file; its declarations are read here unless the caller passes them."""
        if isinstance(source, (str, os.PathLike)):
            source = read_file(source)
        picture = self._load_input(source)
        if provenance is None:
            provenance = read_provenance(source) if not hasattr(source, "read") else Provenance()
        return self.with_provenance(self.verdicts([picture.views])[0],
                                    with_watermark(provenance, picture.mark))

    def classify_files(
        self, paths: Iterable[Path], batch_size: int = 32
    ) -> Iterator[tuple[Path, Verdict | ImageDecodeError]]:
        """Verdicts in input order; a file that cannot be decoded yields its error instead."""
        pending: list[tuple[Path, ModelInput, Provenance]] = []

        def flush() -> Iterator[tuple[Path, Verdict | ImageDecodeError]]:
            batch = list(pending)
            pending.clear()
            try:
                verdicts: list[Verdict | ImageDecodeError] = list(
                    self.verdicts([prepared for _, prepared, _ in batch]))
            except Exception:  # noqa: BLE001 - find the one picture at fault, keep the others
                log.exception("a batch of %d failed; judging its pictures one by one", len(batch))
                verdicts = [self._verdict_or_error(path, prepared) for path, prepared, _ in batch]
            for (path, _, provenance), verdict in zip(batch, verdicts, strict=True):
                if isinstance(verdict, Verdict):
                    verdict = self.with_provenance(verdict, provenance)
                yield path, verdict

        for path in paths:
            try:
                data = read_file(path)  # once: the pixels and the declarations of one file
                picture = self._load_input(data)
                provenance = with_watermark(self._provenance_of(data), picture.mark)
            except ImageDecodeError as error:
                yield from flush() if pending else ()
                yield path, error
                continue
            except Exception as error:  # noqa: BLE001 - one file's fault never ends a scan
                yield from flush() if pending else ()
                yield path, self._unexpected(path, error)
                continue
            pending.append((path, picture.views, provenance))
            if len(pending) == batch_size:
                yield from flush()
        if pending:
            yield from flush()

    def _verdict_or_error(self, path: Path, prepared: ModelInput) -> Verdict | ImageDecodeError:
        try:
            return self.verdicts([prepared])[0]
        except Exception as error:  # noqa: BLE001 - one file's fault never ends a scan
            return self._unexpected(path, error)

    @staticmethod
    def _unexpected(path: Path, error: Exception) -> ImageDecodeError:
        log.error("unexpected error on %s", display_name(path), exc_info=error)
        return ImageDecodeError(f"{display_name(path.name)}: could not be processed "
                                f"({type(error).__name__}; details in the log)")

    @staticmethod
    def _provenance_of(data: FileBytes) -> Provenance:
        """The file's declarations; an unexpected failure is a note, not a lost verdict."""
        try:
            return read_provenance(data)
        except Exception:  # noqa: BLE001 - one file's metadata never ends a scan
            log.exception("cannot read the declarations of %s", display_name(data.name))
            return Provenance(notes=(UNREADABLE_METADATA,))
