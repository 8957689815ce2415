"""A smaller copy of the face set's manifest for the general detector's heads.

The face network judges faces on the whole face set; the general detector's heads need its
sources only so that a face picture is not unlike anything they know. Encoding all 6,826 face
pictures with CLIP, in four views, is two hours on two cores; a few hundred per group tell
the heads the same. The folder made here holds a manifest of at most `--per-group` pictures of
each (split, source, label), drawn by file hash so the draw is fixed, and links to the face
set's image folders: no image is copied.

    python -m training.face_sample ../shared/data --out runs/data-faces
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

CAPS = {"train": 120, "val": 60, "test": 60}  # per (split, source, label) group


def sample_rows(rows: list[dict[str, str]], caps: dict[str, int]) -> list[dict[str, str]]:
    """At most `caps[split]` rows of each (split, source, label), the lowest sha256 first."""
    groups: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[(row["split"], row["source"], row["label"])].append(row)
    kept = []
    for (split, _source, _label), members in sorted(groups.items()):
        kept.extend(sorted(members, key=lambda r: r["sha256"])[:caps[split]])
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--out", type=Path, default=Path("runs/data-faces"))
    args = parser.parse_args(argv)
    with open(args.data / "manifest.csv", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    kept = sample_rows(rows, CAPS)
    args.out.mkdir(parents=True, exist_ok=True)
    for top in sorted({row["path"].split("/")[0] for row in kept}):
        link = args.out / top
        if not link.exists():
            link.symlink_to((args.data / top).resolve(), target_is_directory=True)
    with open(args.out / "manifest.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields or [])
        writer.writeheader()
        writer.writerows(kept)
    print(f"{args.out}: {len(kept)} of {len(rows)} pictures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
