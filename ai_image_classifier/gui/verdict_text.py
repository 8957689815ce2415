"""The verdict in words for the window: Tk-free, so its wording is tested without a display.

The panel has two parts that are never mixed: what the file declares about itself, and what
the model sees in its pixels. The headline follows whatever decides (a declaration first); the
bar is the model's own score, coloured by the model's own answer; "cannot judge" is the
model's limit, said in the model's part.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..verdict import Verdict

METADATA_CAVEAT = ("Metadata is easily stripped or forged: its presence is strong evidence, "
                   "its absence is none.")
MODEL_ANSWERS = {"real": "real", "fake": "AI-generated or edited",
                 "uncertain": "uncertain (too close to call either way)"}


@dataclass(frozen=True)
class VerdictView:
    headline: str
    tone: str  # the headline's colour: "real", "fake" or "neutral"
    declared: str  # the file's part ("" when it declares nothing)
    model: str  # the model's part
    score: float  # the model's own score, for the bar
    score_tone: str  # the bar's colour: the model's own answer, neutral when it cannot judge
    threshold: float
    half_width: float
    caveat: str = ""  # what a "real" answer is worth, shown with a REAL verdict


def band_rule(verdict: Verdict) -> str:
    """Where the answers change, with one decimal so that the stated edges match the answers
    (a score of 39.7 % must not read as "below 40 %" when it is answered "uncertain")."""
    if verdict.half_width > 0:
        low = max(0.0, verdict.threshold - verdict.half_width)
        high = min(1.0, verdict.threshold + verdict.half_width)
        return (f"Below {low:.1%} it answers real, from {high:.1%} AI-generated or edited, and "
                "between the two it says it cannot tell (Model… shows how often each is right).")
    return f"From {verdict.threshold:.1%} it answers AI-generated or edited."


def declared_part(verdict: Verdict) -> str:
    """What the file says about itself (under the heading "The file declares"): what decides,
    then what does not."""
    parts = []
    if verdict.declared:
        declared = "; ".join(verdict.declared)
        parts.append(declared[:1].upper() + declared[1:] + ". This decides the verdict. "
                     + METADATA_CAVEAT)
    if verdict.notes:
        parts.append(("It also says: " if verdict.declared else "")
                     + "; ".join(verdict.notes) + " (this does not decide the verdict).")
    return "\n".join(parts)


def model_part(verdict: Verdict, general: bool, general_off: str = "") -> str:
    """What the model sees in the pixels, its limits, and what it looked at; a face model
    alone says how far to trust it, unless it stands in for a switched-off whole-picture
    detector (`general_off`, said once beside the headline)."""
    if verdict.limits:
        parts = ["The model cannot judge this picture: " + "; ".join(verdict.limits) + ". Its "
                 f"score ({verdict.probability:.1%}) is shown, but it is not an answer."]
    else:
        parts = [f"On its own, the model answers {MODEL_ANSWERS[verdict.model_answer]} "
                 f"(score {verdict.probability:.1%}). {band_rule(verdict)}"]
    if general:
        parts.append("It read up to two small samples of the picture at its own resolution, "
                     "and " + ("the face it found (the outlined area in the Original view)."
                               if verdict.face else "the whole picture with its face network."))
    else:
        parts.append("It judged the area around the face it found (outlined in the Original "
                     "view)." if verdict.face else "It judged the whole picture.")
        if not general_off:  # else the notice above the tabs says why, once
            parts.append("This model is trained on face photos; other pictures get less "
                         "reliable answers.")
    return "\n".join(parts)


def verdict_view(verdict: Verdict, general: bool, general_off: str = "") -> VerdictView:
    model_tone = "neutral" if verdict.limits else verdict.model_answer
    return VerdictView(
        headline=verdict.text, tone=verdict.label if verdict.label != "uncertain" else "neutral",
        declared=declared_part(verdict), model=model_part(verdict, general, general_off),
        score=verdict.probability,
        score_tone=model_tone if model_tone != "uncertain" else "neutral",
        threshold=verdict.threshold, half_width=verdict.half_width,
        caveat=verdict.caveat if verdict.label == "real" and verdict.decider == "model" else "")


#: The headline while there is no verdict to show.
WAITING = {"analysing": "Analysing…", "model": "Waiting for the model…",
           "no-model": "No verdict (no model)", "failed": "No verdict"}
