"""The answer for one picture and its plain-data record.

A verdict keeps apart what the file declares about itself and what the model sees in its
pixels: a declaration may decide, but the model's own answer is kept beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .imaging import one_line

Label = Literal["real", "fake", "uncertain"]
LABEL_TEXT: dict[str, str] = {
    "real": "REAL IMAGE",
    "fake": "IMAGE MIGHT BE AI-GENERATED OR EDITED",
    "uncertain": "UNCERTAIN: THE MODEL CANNOT TELL",
}


@dataclass(frozen=True)
class Verdict:
    """The answer for one picture: `declared` holds what the file declares that decides, and
    the model's own answer (`model_label`, `probability`) is kept beside it, never
    overwritten."""

    label: Label  # the answer
    probability: float  # the model's P(fake), calibrated on the validation split
    threshold: float
    half_width: float = 0.0  # P within this of the threshold is "uncertain"
    face: tuple[float, float, float, float] | None = None  # the crop judged; None = whole image
    declared: tuple[str, ...] = ()  # what the file declares that decides, naming its strength
    limits: tuple[str, ...] = ()  # why the model cannot judge this picture
    notes: tuple[str, ...] = ()  # what the file says that does not decide (e.g. a broken manifest)
    model_label: Label | Literal[""] = ""  # what the model alone answers; "" = same as `label`
    caveat: str = ""  # what a "real" answer from the model is worth (from the model's card)
    decided_by: str = ""  # who declared what decides ("signed by Google LLC"); "" = the model
    edited: bool = False  # the declaration is of a generative edit, not a generated picture

    @property
    def region(self) -> str:
        return "face" if self.face else "whole image"

    @property
    def text(self) -> str:
        """The sentence shown to people: a declaration that decides is named, so that it
        never reads like the model's guess."""
        if not self.decided_by:
            return LABEL_TEXT[self.label]
        if self.label == "real":
            return f"REAL PHOTOGRAPH — {self.decided_by}"
        made = "AI-EDITED" if self.edited else "AI-GENERATED"
        return f"{made} — the file says so ({self.decided_by})"

    @property
    def decider(self) -> Literal["declaration", "model"]:
        return "declaration" if self.decided_by else "model"

    @property
    def model_answer(self) -> Label:
        """What the model alone answers, whatever the file declares."""
        return self.model_label or self.label

    @property
    def evidence(self) -> tuple[str, ...]:
        """What decided, most decisive first: the file's declarations, its other notes, what
        keeps the model from judging, then the model's own answer."""
        return (*(f"the file declares: {text}" for text in self.declared), *self.notes,
                *(f"cannot judge: {reason}" for reason in self.limits),
                f"the model sees: {self.model_answer} (score {self.probability:.2f})")


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
        return {"path": path, "label": result.label, "headline": result.text,
                "decided_by": result.decider, "declared_by": result.decided_by,
                "declared": list(result.declared), "notes": list(result.notes), "model": model,
                "evidence": list(result.evidence)}
    return {"path": path, "error": one_line(result)}


#: The columns of a flat (CSV) export of `verdict_record`s.
FLAT_FIELDS = ["path", "label", "headline", "decided_by", "declared_by", "declared",
               "model_label", "probability", "threshold", "region", "evidence", "error"]


def flat_record(record: dict[str, Any]) -> dict[str, Any]:
    """A `verdict_record` with one value a column (`FLAT_FIELDS`), for CSV."""
    if "error" in record:
        return {"path": record["path"], "error": record["error"]}
    model = record["model"]
    return {"path": record["path"], "label": record["label"], "headline": record["headline"],
            "decided_by": record["decided_by"], "declared_by": record["declared_by"],
            "declared": "; ".join(record["declared"]),
            "model_label": model["label"],
            "probability": model["probability"], "threshold": model["threshold"],
            "region": model["region"], "evidence": "; ".join(record["evidence"])}
