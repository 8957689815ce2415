"""The verdict in words for the window: Tk-free, so its wording is tested without a display."""

from __future__ import annotations

from ..classifier import Verdict

METADATA_CAVEAT = ("Metadata is easily stripped or forged: its presence is strong evidence, "
                   "its absence is none.")


def band_rule(verdict: Verdict) -> str:
    """Where the answers change, with one decimal so that the stated edges match the answers
    (a P of 39.7 % must not read as "below 40 %" when it is answered "uncertain")."""
    if verdict.half_width > 0:
        low = max(0.0, verdict.threshold - verdict.half_width)
        high = min(1.0, verdict.threshold + verdict.half_width)
        return (f"Below {low:.1%} it answers real, from {high:.1%} AI-generated or edited, and "
                "between the two it says it cannot tell (Model… shows how often each is right).")
    return f"From {verdict.threshold:.1%} it answers AI-generated or edited."


def explanation(verdict: Verdict, general: bool) -> str:
    """What decided, how sure the model is, and what it looked at."""
    parts = []
    if verdict.declared:
        parts.append("The file says it was generated: " + "; ".join(verdict.declared) + ". "
                     + METADATA_CAVEAT)
    if verdict.notes:
        parts.append("The file also says: " + "; ".join(verdict.notes)
                     + " (not proof: anyone can sign such a claim).")
    if verdict.limits:
        parts.append("It cannot judge this picture: " + "; ".join(verdict.limits) + ".")
    parts.append(f"P(AI-generated or edited) = {verdict.probability:.1%}. {band_rule(verdict)}")
    if general:
        parts.append("It looked at the whole picture" + (
            " and at the face it found (outlined in the Original view)." if verdict.face
            else "."))
    else:
        parts.append("It judged the face it found (outlined in the Original view)."
                     if verdict.face else "It judged the whole picture.")
        parts.append("This model is trained on face photos; other pictures get less reliable "
                     "answers.")
    return "\n".join(parts)
