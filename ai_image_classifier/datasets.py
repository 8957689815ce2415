"""Labelled image lists: a `manifest.csv` folder or a folder with `real/` and `fake/` inside.

Both `aiic evaluate` and the training package read data through here, so they agree on
what a split is and which label is positive.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .file_types import READ_SUFFIXES

LABELS = ("real", "fake")  # index = class id; "fake" (1) is the positive class
IMAGE_SUFFIXES = frozenset(READ_SUFFIXES)


@dataclass(frozen=True)
class LabelledImage:
    path: Path
    label: str
    source: str
    split: str

    @property
    def target(self) -> int:
        return LABELS.index(self.label)


def iter_image_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Expand files and folders (recursively, sorted) into image files. Links to folders are
    not followed, so a link loop cannot make the walk endless; unreadable folders are passed."""
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            yield path
            continue
        found = []
        for folder, _dirs, files in os.walk(path):
            for name in files:
                child = Path(folder, name)
                if child.suffix.lower() in IMAGE_SUFFIXES and child.is_file():
                    found.append(child)
        yield from sorted(found)


def read_manifest(data_dir: Path, splits: Iterable[str] | None = None) -> list[LabelledImage]:
    """Rows of `data_dir/manifest.csv` (path,label,source,split[,sha256]) in the given splits."""
    wanted = set(splits) if splits is not None else None
    with open(data_dir / "manifest.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    items = []
    for row in rows:
        if row["label"] not in LABELS:
            raise ValueError(f"manifest.csv: unknown label {row['label']!r} for {row['path']}")
        if wanted is None or row["split"] in wanted:
            items.append(
                LabelledImage(data_dir / row["path"], row["label"], row["source"], row["split"])
            )
    return items


def read_class_folders(data_dir: Path) -> list[LabelledImage]:
    """Images under `data_dir/real` and `data_dir/fake`; the source is the folder's name."""
    missing = [label for label in LABELS if not (data_dir / label).is_dir()]
    if missing:
        raise FileNotFoundError(
            f"{data_dir} has neither manifest.csv nor the folders {', '.join(missing)}/"
        )
    return [
        LabelledImage(path, label, data_dir.name, "")
        for label in LABELS
        for path in iter_image_files([data_dir / label])
    ]


def load_labelled(data_dir: str | Path, split: str | None = None) -> list[LabelledImage]:
    """A manifest's rows of `split` (all when None), or the class folders' images."""
    data_dir = Path(data_dir)
    if (data_dir / "manifest.csv").is_file():
        return read_manifest(data_dir, None if split is None else [split])
    return read_class_folders(data_dir)
