"""Fuzz the decoding and saving paths with seeded mutations of small valid files.

Each input goes through `imaging.open_rgb` (as classify and the window decode),
`saving.read_metadata` (as enhance keeps EXIF and ICC) and, when it decodes, `save_image`
with that metadata. Only the documented error types may come out: `ImageDecodeError` from
decoding and reading metadata, `SaveError`/`FileExistsError` from saving. Anything else, or an
input slower than the limit, is a finding, written to the output folder to reproduce.

    python -m tests.corpus.fuzz --inputs 250000 --seed 1   # `make fuzz`
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

INTERESTING = (0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE)


def mutate(data: bytes, rng: np.random.Generator, seeds: dict[str, bytes]) -> bytes:
    """One to four random edits: bit flips, interesting bytes, 16/32-bit extremes in
    headers, deleted, duplicated or inserted runs, truncation, or a splice with another
    seed. Edits favour the first kilobyte, where headers and chunk lengths live."""
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        if not out:
            out = bytearray(b"\0")
        head = min(len(out), 1024)
        where = int(rng.integers(0, head if rng.random() < 0.7 else len(out)))
        kind = int(rng.integers(0, 8))
        if kind == 0:
            out[where] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1:
            out[where] = INTERESTING[int(rng.integers(len(INTERESTING)))]
        elif kind == 2:
            value = [b"\xff\xff", b"\x7f\xff", b"\0\0", b"\xff\xff\xff\xff",
                     b"\x7f\xff\xff\xff"][int(rng.integers(5))]
            out[where:where + len(value)] = value
        elif kind == 3:
            del out[where:where + int(rng.integers(1, 64))]
        elif kind == 4:
            run = out[where:where + int(rng.integers(1, 64))]
            out[where:where] = run
        elif kind == 5:
            out[where:where] = bytes(rng.integers(0, 256, int(rng.integers(1, 32)),
                                                  dtype=np.uint8))
        elif kind == 6:
            out = out[:max(1, int(len(out) * rng.uniform(0.05, 1.0)))]
        else:
            other = list(seeds.values())[int(rng.integers(len(seeds)))]
            cut = int(rng.integers(0, len(other)))
            out = out[:where] + bytearray(other[cut:cut + int(rng.integers(16, 512))]) \
                + out[where:]
    return bytes(out)


@dataclass
class FuzzReport:
    inputs: int = 0
    decoded: int = 0
    saved: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    findings: list[dict[str, str]] = field(default_factory=list)
    slowest_s: float = 0.0
    seconds: float = 0.0


def run_one(data: bytes, out_dir: Path, report: FuzzReport) -> None:
    """Decode, read metadata and save one input, recording the outcome or the finding."""
    from ai_image_classifier.imaging import ImageDecodeError, open_rgb
    from ai_image_classifier.saving import SaveError, read_metadata, save_image

    stage = "decode"
    try:
        image = np.asarray(open_rgb(io.BytesIO(data)))
        report.decoded += 1
        stage = "metadata"
        try:
            metadata = read_metadata(io.BytesIO(data))
        except ImageDecodeError:
            metadata = None
        stage = "save"
        if image.size <= 4_000_000:
            for suffix in (".png", ".jpg", ".tif"):
                target = out_dir / f"out{suffix}"
                save_image(image, target, overwrite=True, metadata=metadata)
            report.saved += 1
        report.outcomes["ok"] += 1
    except ImageDecodeError as error:
        report.outcomes[f"{stage}: {type(error).__name__}"] += 1
        if "\n" in str(error):
            raise AssertionError(f"a message with a newline: {error!r}") from error
    except (SaveError, FileExistsError) as error:
        report.outcomes[f"{stage}: {type(error).__name__}"] += 1


def fuzz(inputs: int, seed: int, findings_dir: Path | None = None,
         time_limit_s: float = 10.0) -> FuzzReport:
    from .hostile import valid_seeds

    seeds = valid_seeds()
    kinds = sorted(seeds)
    rng = np.random.default_rng(seed)
    report = FuzzReport()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(inputs):
            kind = kinds[index % len(kinds)]
            data = mutate(seeds[kind], rng, seeds)
            begun = time.monotonic()
            try:
                run_one(data, Path(tmp), report)
            except Exception as error:  # noqa: BLE001 - an undocumented type is a finding
                report.findings.append({"kind": kind, "error": repr(error)[:300],
                                        "trace": traceback.format_exc()[-1500:]})
                if findings_dir:
                    findings_dir.mkdir(parents=True, exist_ok=True)
                    (findings_dir / f"finding_{index}.{kind}").write_bytes(data)
            took = time.monotonic() - begun
            report.slowest_s = max(report.slowest_s, took)
            if took > time_limit_s:
                report.findings.append({"kind": kind, "error": f"took {took:.1f} s"})
            report.inputs += 1
    report.seconds = time.monotonic() - started
    return report


def main() -> None:
    logging.getLogger().addHandler(logging.NullHandler())  # the findings are the output
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=250_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--findings", type=Path, default=Path("runs/fuzz-findings"))
    args = parser.parse_args()
    report = fuzz(args.inputs, args.seed, args.findings)
    import resource

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = {"inputs": report.inputs, "decoded": report.decoded, "saved": report.saved,
               "findings": len(report.findings), "slowest_s": round(report.slowest_s, 2),
               "seconds": round(report.seconds), "peak_memory_mb": round(peak_mb),
               "outcomes": dict(report.outcomes)}
    print(json.dumps(summary, indent=1))
    for finding in report.findings[:20]:
        print(finding)
    raise SystemExit(1 if report.findings else 0)


if __name__ == "__main__":
    main()
