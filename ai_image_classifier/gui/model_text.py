"""The Model… window's text: plain words first, the jargon behind "details" (Tk-free)."""

from __future__ import annotations

from typing import Any

from ..content_credentials import trust_list

#: What each data source is, for people.
SOURCE_WORDS = {
    "ciplab": "faces retouched by experts in Photoshop",
    "lfw_faceswap": "automatic face swaps",
    "stylegan2_ffhq": "StyleGAN2 faces beside real portrait photos",
    "sd14_diffusiondb": "Stable Diffusion 1.x pictures",
    "coco": "everyday photographs",
    "imagenet": "photographs of animals, objects and places",
    "wikiart": "paintings and drawings made by people",
    "sdxl": "SDXL and 12 of its fine-tunes",
    "flux": "FLUX.1 (dev, Krea, Kontext), Flex and Chroma",
    "hunyuan_dit": "HunyuanDiT",
    "flite": "Freepik F-Lite",
    "sd3": "Stable Diffusion 3.5",
    "pixart": "PixArt-α and PixArt-Σ",
    "playground": "Playground v2 and v2.5",
    "lumina": "Lumina",
    "sana": "SANA",
    "auraflow": "AuraFlow",
    "kolors": "Kolors",
    "meissonic": "Meissonic",
    "stable_cascade": "Stable Cascade",
    "camera": "camera and phone originals at their own resolution",
    "sd15": "photorealistic Stable Diffusion 1.5 fine-tunes at their own resolution",
    "sd35": "Stable Diffusion 3.5 Medium at its own resolution",
    "gemini": "Gemini 2.0 Flash images",
    "cosmos": "Cosmos Predict2",
}


#: The bundled models as people should see them, the recommended one first.
MODEL_TITLES = {
    "general_detector": "Whole picture and faces (recommended)",
    "ai_imageclassifier": "Faces only",
    "seed_cnn": "The original app's face model (for comparison)",
}


def title(name: str) -> str:
    """A model's name for people: a bundled model's title, else its own name."""
    return MODEL_TITLES.get(name, name)


def menu_titles(names: list[str]) -> dict[str, str]:
    """Title → name for a menu of models, the recommended one first."""
    ordered = [n for n in MODEL_TITLES if n in names] + sorted(set(names) - set(MODEL_TITLES))
    return {title(name): name for name in ordered}


def off_line(general_off: str) -> str:
    """Why the whole-picture detector is not used, in plain words ("" when it is)."""
    if not general_off:
        return ""
    return (f"The whole-picture detector is switched off on this computer: {general_off}. "
            "Verdicts come from what the file declares and from the face network alone, so "
            "pictures without a face are answered \"uncertain\".")


def status_line(card: dict[str, Any], general_off: str = "") -> str:
    """One line under the verdict: which model, and how it did on unseen pictures."""
    text = f"Model: {title(card.get('name', 'unknown'))}"
    if general_off:
        return text + ". Its whole-picture part is off on this computer (see Model…)."
    if "face_model" not in card and card.get("name") not in MODEL_TITLES:
        text += " (faces only)"
    overall = card.get("metrics", {}).get("test", {}).get("overall")
    if overall and overall.get("accuracy_outside_band") is not None:
        text += (f". On {overall['n']:,} unseen test pictures: uncertain for "
                 f"{overall['uncertain_rate']:.0%}, other answers right "
                 f"{overall['accuracy_outside_band']:.0%}")
    return text + "."


def _source_line(name: str, m: dict[str, Any]) -> str:
    words = SOURCE_WORDS.get(name, name)
    tpr, tnr = m.get("true_positive_rate"), m.get("true_negative_rate")
    if tpr is not None and tnr is not None:
        return (f"• {words}: catches {tpr:.0%} of the fakes, and wrongly flags "
                f"{1 - tnr:.0%} of the real ones")
    if tpr is not None:
        return f"• {words}: catches {tpr:.0%}"
    return f"• {words}: wrongly flags {1 - tnr:.0%}" if tnr is not None else f"• {words}"


def summary(card: dict[str, Any], general_off: str = "") -> str:
    """What the model is good at, how often it is right, what "uncertain" means; first, when
    the whole-picture detector is off, that and why."""
    test = card.get("metrics", {}).get("test", {})
    overall = test.get("overall") or {}
    lines = [off_line(general_off), "The figures below are for the whole detector.", ""] \
        if general_off else []
    lines.append(f"Model: {title(card.get('name', 'unknown'))}")
    if "face_model" in card:
        lines.append("This detector reads small samples of the picture at its own resolution "
                     "with a general image model (CLIP), and faces with a face network, and "
                     "combines the two.")
    else:
        lines.append("This model was trained on face photos only; other pictures get less "
                     "reliable answers.")
    lines += _photograph_lines(card.get("photographs") or {})
    if overall:
        unsure = overall.get("uncertain_rate") or 0.0
        right = overall.get("accuracy_outside_band")
        lines += ["", f"On {overall['n']} test pictures it had never seen, it answered "
                      f"\"uncertain\" for {unsure:.0%} of them"
                  + (f", and its other answers were right {right:.0%} of the time."
                     if right is not None else ".")]
    if test.get("by_source"):
        lines += ["", "By kind of picture (test):"]
        lines += [_source_line(name, m) for name, m in test["by_source"].items()]
    lines += ["", "\"Uncertain\" means the score is too close to the line between real and "
                  "fake to trust, or the picture is unlike anything the model learned from "
                  "(a drawing, a screenshot, a tiny image): then it says why instead of "
                  "guessing.",
              "", "It has not seen every generator: a new one can fool it. Treat a verdict "
                  "as a hint, and the file's own metadata as stronger evidence when present."]
    return "\n".join(lines + _low_score_lines(card))


def _photograph_lines(checks: dict[str, Any]) -> list[str]:
    """What matters most, first: how often it accuses a real photograph it never saw, as taken
    and as shared, and how many photorealistic fakes it catches."""
    test = checks.get("test")
    if not test:
        return []
    camera, generated = test["camera"], test["generated"]
    lines = ["", f"Camera and phone photos it never trained on ({camera['n']} pictures): it "
                 f"wrongly answered \"AI\" for {camera['ai']:.0%} and was uncertain about "
                 f"{camera['uncertain']:.0%}."]
    shared = [r["camera"]["ai"] for r in checks.get("shared_test", {}).values()]
    if shared:
        lines.append(f"The same photos re-saved as JPEG or WebP, or shrunk, as social networks "
                     f"pass them on: at most {max(shared):.0%} wrongly answered \"AI\".")
    makers = checks.get("maker_out") or []
    if makers:
        worst = max(makers, key=lambda r: r["ai"])
        lines.append(f"With each camera maker left out of its training in turn, the worst "
                     f"({worst['maker']}) had {worst['ai']:.0%} of its photos wrongly "
                     f"answered \"AI\".")
    lines.append(f"Photorealistic generated pictures at their own resolution "
                 f"({generated['n']}): it answered \"AI\" for {generated['ai']:.0%}.")
    return lines


def _low_score_lines(card: dict[str, Any]) -> list[str]:
    """What a low score is worth, from the card's runs with one generator family left out."""
    held_out = [row for row in card.get("held_out", []) if "detected" in row.get("test", {})]
    lines = []
    if held_out:
        caught = sorted(row["test"]["detected"] for row in held_out)
        median = caught[len(caught) // 2]
        worst = min(held_out, key=lambda row: row["test"]["detected"])
        lines += ["", f"Generators it never saw: with each of {len(held_out)} families left "
                      f"out of its training in turn, it caught a median {median:.0%} "
                      f"of the left-out family's pictures, and only "
                      f"{worst['test']['detected']:.0%} of the worst one's "
                      f"({SOURCE_WORDS.get(worst['family'], worst['family'])})."]
    if card.get("low_score_caveat"):
        lines += ["", f"So a \"real\" answer: {card['low_score_caveat']}"]
    return lines


def details(card: dict[str, Any], threshold: float, half_width: float, input_size: int,
            version: str) -> str:
    """The card's technical facts, for those who want them."""
    lines = [f"AI Image Classifier & Enhancer {version}", "",
             f"Architecture: {card.get('architecture', '?')}",
             f"Face network input: {input_size}×{input_size} RGB",
             f"Threshold: {threshold:.3f} ({card.get('threshold_method', 'default')})",
             f"Uncertain band: ±{half_width:.3f} ({card.get('uncertain_band_method', 'none')})",
             f"Trained: {card.get('created', '?')}",
             f"Data: {', '.join(card.get('data', {}).get('sources', [])) or '?'}", "",
             "Test split (images the model never trained on):"]
    test = card.get("metrics", {}).get("test", {})
    for name, m in [*test.get("by_source", {}).items(), ("overall", test.get("overall"))]:
        if m:
            auc = "–" if m.get("auc") is None else f"{m['auc']:.2f}"
            lines.append(f"  {name}: accuracy {m['accuracy']:.1%}, AUC {auc}, n={m['n']}")
            if m.get("accuracy_outside_band") is not None:
                lines.append(f"      uncertain {m['uncertain_rate']:.0%}; accuracy of the "
                             f"other answers {m['accuracy_outside_band']:.1%}")
    return "\n".join(lines)


def trust_list_text() -> str:
    """Which C2PA trust list signers are checked against, and of which date: what makes
    "on the C2PA trust list" in a verdict checkable."""
    used = trust_list()
    if used is None:
        return ("No C2PA trust list could be read: every signer of content credentials is "
                "named as not on a trust list.")
    return used.describe()
