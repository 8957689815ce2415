"""What the general detector does to photographs: the false-flag cap on its threshold, each
camera maker left out in turn, and shared copies of camera originals.

Accusing a real photograph is the worst error the app can make, and the pictures that teach
it least about that are the ones it has most of (resized COCO, ImageNet samples). data-wild's
camera originals are the only photographs whose pixels are a camera's own; here they, with
their copies as a social network passes them on, set how high a score must be before the app
answers "AI", and measure what happens to a camera maker the heads never saw.
"""

from __future__ import annotations

import argparse
import csv
import functools
import re
from pathlib import Path

import numpy as np

from ai_image_classifier.evaluation import outside_band, roc_auc

from .heads import Heads, Split, fit_fusion, fit_heads, fused

PHOTO_SOURCES = ("camera", "coco", "imagenet")  # photographs, where a false flag does harm
MIN_MAKER_CROPS = 6  # a maker with fewer crops is pooled into "other makers"


def capped_band(threshold: float, half_width: float, probabilities: np.ndarray, split: Split,
                max_flagged: float) -> tuple[float, float]:
    """The band with its "AI" edge raised, when needed, until at most `max_flagged` of each
    photograph source's pictures (native and shared copies alike) lie above it."""
    low, high = threshold - half_width, threshold + half_width
    for source in PHOTO_SOURCES:
        scores = probabilities[(split.sources == source) & (split.targets == 0)]
        allowed = int(np.floor(max_flagged * len(scores)))
        if allowed < len(scores):  # else every picture may lie above: no bound from it
            edge = float(np.nextafter(np.sort(scores)[::-1][allowed], np.inf))
            high = max(high, min(edge, 1.0))
    low = min(low, high)
    return (low + high) / 2, (high - low) / 2


def rates(probabilities: np.ndarray, threshold: float, half_width: float) -> dict[str, float]:
    """The shares answered "AI" and "uncertain" from the score alone, by the app's rule."""
    answered = outside_band(probabilities, threshold, half_width)
    ai = answered & (probabilities >= threshold)
    return {"n": len(probabilities),
            "ai": float(ai.mean()) if len(ai) else float("nan"),
            "uncertain": float((~answered).mean()) if len(ai) else float("nan")}


# EXIF makes that name one maker differently (company names, brand licensees)
MAKER_ALIASES = {"Eastman": "Kodak", "Jk": "Kodak", "Asahi": "Pentax", "Konica": "Minolta",
                 "Lge": "Lg", "Hewlett": "Hp"}


def maker(device: str) -> str:
    """A camera maker's one name from EXIF's Make + Model ("NIKON CORPORATION NIKON D70" →
    "Nikon", "EASTMAN KODAK COMPANY …" → "Kodak")."""
    if not device.strip():
        return ""
    first = re.split(r"[\s_\-]+", device.strip())[0].capitalize()
    return MAKER_ALIASES.get(first, first)


@functools.cache
def manifest_rows(data_dir: Path) -> tuple[dict[str, str], ...]:
    """data_dir's manifest, read once however often the card's sections ask."""
    with open(data_dir / "manifest.csv", newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def makers(data_dir: Path, paths: np.ndarray) -> np.ndarray:
    """The camera maker of each picture in `paths` that data_dir's manifest names a device
    for; "" for any other picture."""
    device = {row["path"]: row.get("device") or "" for row in manifest_rows(data_dir)}
    return np.array([maker(device.get(str(path), "")) for path in paths])


def camera_folder(data_dirs: list[Path]) -> Path | None:
    """The data folder whose manifest names each photograph's camera (data-wild)."""
    return next((d for d in data_dirs if manifest_rows(d) and "device" in manifest_rows(d)[0]),
                None)


def listed_paths(data_dir: Path) -> list[str]:
    """Every picture path that data_dir's manifest lists."""
    return [row["path"] for row in manifest_rows(data_dir)]


def picture_of(path: str) -> str:
    """data-wild's crops `<picture>_c0.jpg` and `_c1.jpg` come from one picture."""
    return re.sub(r"_c\d+\.\w+$", "", path)


def auc(targets: np.ndarray, scores: np.ndarray) -> float:
    return float(roc_auc(targets, scores)) if len(set(targets)) == 2 else float("nan")


def fit_detector(train: Split, val: Split, calibration: Split, blocks: tuple[int, ...],
                 answer_accuracy: float, max_flagged: float, content_on: bool
                 ) -> tuple[Heads, np.ndarray, float, float]:
    """Heads, fusion and capped band, all from the given pictures (no cross-fitting): what a
    held-out maker run needs."""
    from .calibration_fit import roc_threshold, uncertain_band

    heads = fit_heads(train, val, blocks, content_on)
    scores = np.column_stack([calibration.face, heads.scores(calibration)])
    fusion = fit_fusion(scores, calibration)
    probabilities = fused(scores, fusion)
    threshold, half = uncertain_band(calibration.targets, probabilities,
                                     roc_threshold(calibration.targets, probabilities),
                                     answer_accuracy)
    return heads, fusion, *capped_band(threshold, half, probabilities, calibration, max_flagged)


def maker_out_runs(train: Split, val: Split, calibration: Split, wild: Split,
                   wild_makers: np.ndarray, train_makers: np.ndarray, val_makers: np.ndarray,
                   calibration_makers: np.ndarray, blocks: tuple[int, ...],
                   answer_accuracy: float, max_flagged: float, content_on: bool) -> list[dict]:
    """Each camera maker left out of training, of the regularisation, fusion and band; then
    every crop of that maker (train, val and test) answered."""
    counts = {m: int((wild_makers == m).sum())
              for m in np.unique(wild_makers[wild.targets == 0]) if m}
    small = sorted(m for m, count in counts.items() if count < MIN_MAKER_CROPS)
    groups = [([name], name) for name, count in sorted(counts.items(), key=lambda i: -i[1])
              if count >= MIN_MAKER_CROPS]
    if small:
        groups.append((small, f"{len(small)} other makers together"))
    rows = []
    for names, label in groups:
        heads, fusion, threshold, half = fit_detector(
            train.subset(~np.isin(train_makers, names)), val.subset(~np.isin(val_makers, names)),
            calibration.subset(~np.isin(calibration_makers, names)), blocks, answer_accuracy,
            max_flagged, content_on)
        mine = wild.subset(np.isin(wild_makers, names) & (wild.targets == 0))
        probabilities = fused(np.column_stack([mine.face, heads.scores(mine)]), fusion)
        rows.append({"maker": label, **rates(probabilities, threshold, half)})
        print("maker out", rows[-1], flush=True)
    return rows


def photograph_checks(args: argparse.Namespace, train: Split, val: Split, calibration: Split,
                      test: Split, shared_test: dict[str, Split], heads: Heads, fusion: np.ndarray,
                      threshold: float, half_width: float, blocks: tuple[int, ...]) -> dict:
    """The card's photograph section: data-wild test as is and as shared, each part's AUC
    there, one crop against two pooled, and each camera maker left out."""
    wild_dir = camera_folder(args.data)
    if wild_dir is None:
        return {}

    listed = set(listed_paths(wild_dir))

    def wild(split: Split) -> Split:
        return split.subset(np.isin(split.paths, list(listed)))

    def probabilities(split: Split) -> np.ndarray:
        return fused(np.column_stack([split.face, heads.scores(split)]), fusion)

    def answered(split: Split) -> dict:
        p = probabilities(split)
        return {"camera": rates(p[split.targets == 0], threshold, half_width),
                "generated": rates(p[split.targets == 1], threshold, half_width)}

    checks: dict = {"max_flagged": args.max_flagged, "test": answered(wild(test))}
    for name, split in (("val", wild(val)), ("test", wild(test))):
        parts = heads.scores(split)
        trace_by_picture: dict[str, list[float]] = {}
        for path, score in zip(split.paths, parts[:, 1], strict=True):
            trace_by_picture.setdefault(picture_of(str(path)), []).append(float(score))
        pooled = np.array([np.mean(trace_by_picture[picture_of(str(p))]) for p in split.paths])
        checks[f"{name}_auc"] = {"face": auc(split.targets, split.face),
                                 "content": auc(split.targets, parts[:, 0])
                                 if args.content_from != "off" else None,
                                 "trace": auc(split.targets, parts[:, 1]),
                                 "trace_two_crops_pooled": auc(split.targets, pooled),
                                 "fused": auc(split.targets, probabilities(split))}
    checks["shared_test"] = {view: answered(wild(split)) for view, split in shared_test.items()
                             if len(wild(split).targets)}
    if not args.no_makers:
        everything = Split.join([wild(s) for s in (train, val, test)])
        unique = np.unique(everything.paths, return_index=True)[1]  # clean and augmented
        everything = everything.subset(np.sort(unique))
        checks["maker_out"] = maker_out_runs(
            train, val, calibration, everything, makers(wild_dir, everything.paths),
            makers(wild_dir, train.paths), makers(wild_dir, val.paths),
            makers(wild_dir, calibration.paths), blocks, args.answer_accuracy,
            args.max_flagged, args.content_from != "off")
    print("photographs", {k: v for k, v in checks.items() if k != "maker_out"}, flush=True)
    return checks
