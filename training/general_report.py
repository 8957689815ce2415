"""The general detector's report, written from its card to docs/general-detector.md: the
test tables by source, each family left out in turn with its content-control result, the
camera photographs (as taken, as shared, each maker left out), and (with --robustness) the
test split as is, after JPEG q70 and after a 0.5× downscale, through the app.

    python -m training.general_report --data ../shared/data-wild ../shared/data-modern \
        ../shared/data-general runs/data-faces --robustness --per-source 20
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from ai_image_classifier.cards import MODEL_NAME, bundled_model_dir
from ai_image_classifier.gui.model_text import SOURCE_WORDS

CONTROL_BOUND = 0.65


def percent(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.1%}"


def source_table(metrics: dict) -> list[str]:
    lines = ["| source | n | detected (TPR) | false positives (FPR) | AUC | uncertain | "
             "accuracy of the other answers |", "|---|---|---|---|---|---|---|"]
    rows = [*metrics["by_source"].items(), ("**all**", metrics["overall"])]
    for name, m in rows:
        fpr = None if m["true_negative_rate"] is None else 1 - m["true_negative_rate"]
        auc = "–" if m["auc"] is None else f"{m['auc']:.3f}"
        lines.append(f"| {name} | {m['n']} | {percent(m['true_positive_rate'])} | "
                     f"{percent(fpr)} | {auc} | {percent(m['uncertain_rate'])} | "
                     f"{percent(m['accuracy_outside_band'])} |")
    return lines


def robustness_lines(card: Path, data_dirs: list[Path], per_source: int) -> list[str]:
    """Test-split detection and false-positive rates as is, after JPEG q70, after a 0.5×
    downscale: the way a picture arrives after being shared. At most `per_source` pictures of
    each source (the first by path), so the run takes minutes, not an hour."""
    from ai_image_classifier.classifier import Classifier
    from ai_image_classifier.datasets import load_labelled

    from .robustness import PERTURBATIONS, perturbed_predictions

    classifier = Classifier.load(card)
    items, taken = [], Counter[str]()
    for item in sorted((item for folder in data_dirs for item in load_labelled(folder, "test")),
                       key=lambda item: str(item.path)):
        if taken[item.source] < per_source:
            taken[item.source] += 1
            items.append(item)
    variants = {"as is": lambda image: image, **PERTURBATIONS}
    reports = {name: perturbed_predictions(classifier, items, perturb).report(
        classifier.threshold, classifier.half_width)["by_source"]
        for name, perturb in variants.items()}
    lines = ["## Shared copies (test split, through the app)", "",
             "Detected (TPR) or falsely flagged (FPR), as is / after JPEG q70 / after a 0.5× "
             f"downscale; at most {per_source} pictures per source. These count the side of "
             "the threshold a score is on, uncertain answers included; for real pictures the "
             "share answered \"AI\" (outside the uncertain band) follows in brackets.", "",
             "| source | as is | JPEG q70 | 0.5× |", "|---|---|---|---|"]
    for source in reports["as is"]:
        cells = []
        for name in variants:
            m = reports[name][source]
            rate = (m["true_positive_rate"] if m["true_positive_rate"] is not None
                    else 1 - m["true_negative_rate"])
            cell = ("TPR " if m["true_positive_rate"] is not None else "FPR ") + percent(rate)
            if m["true_positive_rate"] is None:  # real pictures: how many were *answered* AI
                right = m["accuracy_outside_band"]  # None: none answered outside the band
                answered = 0.0 if right is None else (1 - m["uncertain_rate"]) * (1 - right)
                cell += f" ({percent(answered)} answered AI)"
            cells.append(cell)
        lines.append(f"| {source} | " + " | ".join(cells) + " |")
    return lines


def part(auc: float | None) -> str:
    """A part's AUC, or "off" for a head the detector does not use."""
    return "off" if auc is None else f"{auc:.3f}"


def held_out_lines(card: dict) -> list[str]:
    rows = card["held_out"]
    lines = ["| left out | AUC | detected | content control AUC | content head AUC | "
             "trace head AUC |", "|---|---|---|---|---|---|"]
    for row in sorted(rows, key=lambda r: r["test"]["auc"]):
        test, control = row["test"], row["test_control"]
        if control is None:
            control_cell = "– (no control copies)"
        else:
            flag = "" if control["auc"] <= CONTROL_BOUND else " (reads content)"
            control_cell = f"{control['auc']:.3f}{flag}"
        lines.append(f"| {row['family']} ({SOURCE_WORDS.get(row['family'], row['family'])}) | "
                     f"{test['auc']:.3f} | {percent(test['detected'])} | "
                     f"{control_cell} | {part(test['content_auc'])} | "
                     f"{test['trace_auc']:.3f} |")
    aucs = [r["test"]["auc"] for r in rows]
    controls = [r["test_control"]["auc"] for r in rows if r["test_control"]]
    lines += ["", f"Mean AUC {sum(aucs) / len(aucs):.3f}, worst {min(aucs):.3f}; content "
                  f"control mean {sum(controls) / len(controls):.3f}, "
                  f"{sum(c <= CONTROL_BOUND for c in controls)} of {len(controls)} families "
                  f"with control copies at or below {CONTROL_BOUND}."]
    return lines


def photograph_lines(checks: dict) -> list[str]:
    """data-wild's camera originals: as they are, as shared, each part's AUC, each camera
    maker left out."""
    if not checks:
        return []

    def said(r: dict) -> str:
        return f"{percent(r['ai'])} AI, {percent(r['uncertain'])} uncertain (n={r['n']})"

    test = checks["test"]
    lines = ["## Camera photographs (data-wild)", "",
             "Native-resolution crops of camera and phone originals from 145 device models, "
             "and of photorealistic generator outputs. The band's \"AI\" edge is raised until "
             f"at most {checks['max_flagged']:.0%} of each photograph source's val pictures, "
             "native and as shared (JPEG and WebP q80, 0.75× and 0.5×), lie above it.", "",
             "| test crops | answered |", "|---|---|",
             f"| camera originals | {said(test['camera'])} |",
             f"| generated | {said(test['generated'])} |"]
    for view, result in checks.get("shared_test", {}).items():
        lines.append(f"| camera, shared as {view} | {said(result['camera'])} |")
        lines.append(f"| generated, shared as {view} | {said(result['generated'])} |")
    lines += ["", "Each part's AUC, camera against generated crops:", "",
              "| split | face network | content head | trace head | trace, the picture's two "
              "crops pooled | fused |", "|---|---|---|---|---|---|"]
    for name in ("val", "test"):
        a = checks[f"{name}_auc"]
        lines.append(f"| {name} | {a['face']:.3f} | {part(a['content'])} | {a['trace']:.3f} | "
                     f"{a['trace_two_crops_pooled']:.3f} | {a['fused']:.3f} |")
    if checks.get("maker_out"):
        lines += ["", "Each camera maker left out of training, of the fusion and of the band "
                      "(fitted on val without cross-fitting), then every crop of that maker "
                      "answered:", "", "| maker left out | crops | answered AI | uncertain |",
                  "|---|---|---|---|"]
        lines += [f"| {r['maker']} | {r['n']} | {percent(r['ai'])} | {percent(r['uncertain'])} |"
                  for r in checks["maker_out"]]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", required=True)
    parser.add_argument("--card", type=Path,
                        default=bundled_model_dir() / f"{MODEL_NAME}.card.json")
    parser.add_argument("--out", type=Path, default=Path("docs/general-detector.md"))
    parser.add_argument("--robustness", action="store_true",
                        help="also judge JPEG q70 and half-size copies of the test split "
                             "through the app")
    parser.add_argument("--per-source", type=int, default=60,
                        help="pictures per source in the robustness tables")
    args = parser.parse_args(argv)
    card = json.loads(args.card.read_text(encoding="utf-8"))
    fusion = ", ".join(f"{k} {v:.2f}" for k, v in card["fusion"].items())
    lines = ["# The general detector", "",
             "Generated by `python -m training.general_report` from "
             f"`{args.card.name}`. Every number is measured on the test splits, which no "
             "choice looked at. A source of real images only (photographs, paintings) has no "
             "detection rate; a source of generated images only has no false-positive rate.",
             "", f"Threshold {card['threshold']:.3f}, uncertain within "
             f"±{card['uncertain_half_width']:.3f}; fusion: {fusion}; the trace head reads "
             f"blocks {card['trace_blocks']} on {card['crops']} native crops.", "",
             "## Test split, by source", "", *source_table(card["metrics"]["test"]), "",
             "## Leave one family out", "",
             "Each family in turn is left out of training and of every choice (the heads' "
             "regularisation, the fusion, the threshold); then its test images are measured "
             "(a family of generated pictures only against the real photographs and "
             "paintings). The content control repeats the measurement on copies shrunk 4× "
             "and enlarged back, which erases pixel-level traces and keeps the scene: a "
             f"detector still above {CONTROL_BOUND} there is recognising content. The face "
             "network is left out of these runs, because it was trained on every face "
             "source.", "", *held_out_lines(card), "",
             f"What the app says beside a \"real\" answer: *{card['low_score_caveat']}*", "",
             *photograph_lines(card.get("photographs", {})), ""]
    if card.get("block_choice_on_val"):
        lines += ["## Which blocks the trace head reads (chosen on val)", "",
                  "| blocks | mean held-out val AUC | worst | content control |",
                  "|---|---|---|---|"]
        lines += [f"| {blocks} | {r['mean_auc']:.3f} | {r['worst_auc']:.3f} | "
                  + ("–" if r["mean_control_auc"] is None else f"{r['mean_control_auc']:.3f}")
                  + " |"
                  for blocks, r in card["block_choice_on_val"].items()]
        lines.append("")
    if args.robustness:
        lines += [*robustness_lines(args.card, args.data, args.per_source), ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
