"""Fuzz what runs on every open, and saving, with seeded mutations of small valid files.

Each input goes through `imaging.open_rgb` (as classify and the window decode), the metadata
readers that run on every open (`forensics.inspect_file`: EXIF, PNG text chunks, XMP parsed as
XML, a C2PA store parsed and validated by c2pa, and the file's `Provenance`; and
`provenance.read_provenance` as classify reads it), `saving.read_metadata` (what an
enhancement keeps) and, when it decodes, `save_image` with that metadata. Seeds carry XMP,
text chunks, EXIF UserComment, fake JUMBF boxes and real signed C2PA manifests.

Only documented error types may come out: `ImageDecodeError` from decoding, `inspect_file`
and reading metadata, `SaveError`/`FileExistsError` from saving; `read_provenance` raises
nothing. Anything else, an input slower than the limit, or a child killed by a signal is a
finding, written to the findings folder to reproduce. Inputs run in child processes of
`--chunk` inputs each, so a crash in native code (a signal) is recorded and the run goes on;
input i is mutated from its own seed (seed, i), so any one can be replayed alone.

    python -m tests.corpus.fuzz --inputs 100000 --seed 1   # `make fuzz`
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import subprocess
import sys
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
    inspected: int = 0
    decoded: int = 0
    saved: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    findings: list[dict[str, str]] = field(default_factory=list)
    slowest_s: float = 0.0
    seconds: float = 0.0


def run_one(data: bytes, out_dir: Path, report: FuzzReport) -> None:
    """Decode, read metadata and save one input, recording the outcome or the finding."""
    from ai_image_classifier.forensics import inspect_file
    from ai_image_classifier.imaging import ImageDecodeError, open_rgb
    from ai_image_classifier.provenance import read_provenance
    from ai_image_classifier.saving import SaveError, read_metadata, save_image

    read_provenance(data)  # never raises: damage means "no evidence"
    stage = "inspect"
    try:
        inspect_file(data)
        report.inspected += 1
    except ImageDecodeError as error:
        report.outcomes[f"{stage}: {type(error).__name__}"] += 1
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


def all_seeds() -> dict[str, bytes]:
    from .hostile import valid_seeds
    from .metadata_seeds import metadata_seeds

    return valid_seeds() | metadata_seeds()


def fuzz(inputs: int, seed: int, findings_dir: Path | None = None,
         time_limit_s: float | None = 10.0, start: int = 0) -> FuzzReport:
    """Inputs `start` … `start + inputs - 1` in this process; `time_limit_s=None` records no
    slow input (CI's small run, on a busy machine, asserts behaviour only)."""
    seeds = all_seeds()
    kinds = sorted(seeds)
    report = FuzzReport()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(start, start + inputs):
            kind = kinds[index % len(kinds)]
            data = mutate(seeds[kind], np.random.default_rng([seed, index]), seeds)
            if findings_dir:  # a child killed by a signal leaves which input it was on
                (findings_dir / "current").write_text(f"{index} {kind}")
            begun = time.monotonic()
            try:
                run_one(data, Path(tmp), report)
            except Exception as error:  # noqa: BLE001 - an undocumented type is a finding
                report.findings.append({"kind": kind, "index": str(index),
                                        "error": repr(error)[:300],
                                        "trace": traceback.format_exc()[-1500:]})
                _keep(findings_dir, index, kind, data)
            took = time.monotonic() - begun
            report.slowest_s = max(report.slowest_s, took)
            if time_limit_s is not None and took > time_limit_s:
                report.findings.append({"kind": kind, "index": str(index),
                                        "error": f"took {took:.1f} s"})
                _keep(findings_dir, index, kind, data)
            report.inputs += 1
    report.seconds = time.monotonic() - started
    return report


def _keep(findings_dir: Path | None, index: int, kind: str, data: bytes) -> None:
    if findings_dir:
        (findings_dir / f"finding_{index}.{kind}").write_bytes(data)


def _run_children(args: argparse.Namespace) -> dict:
    """The run in child processes of `args.chunk` inputs; a child killed by a signal is a
    finding (its input is kept) and the next child goes on after that input."""
    args.findings.mkdir(parents=True, exist_ok=True)
    totals = FuzzReport()
    signals: list[dict[str, str]] = []
    index, end = 0, args.inputs
    while index < end:
        count = min(args.chunk, end - index)
        child = subprocess.run(
            [sys.executable, "-m", "tests.corpus.fuzz", "--child", "--start", str(index),
             "--inputs", str(count), "--seed", str(args.seed), "--findings", str(args.findings),
             "--time-limit", str(args.time_limit)], capture_output=True, text=True)
        if child.returncode < 0 or not child.stdout.strip():
            where, kind = (args.findings / "current").read_text().split()
            seeds = all_seeds()
            data = mutate(seeds[kind], np.random.default_rng([args.seed, int(where)]), seeds)
            _keep(args.findings, int(where), kind, data)
            signals.append({"kind": kind, "index": where,
                            "error": f"child ended by signal {-child.returncode}: "
                                     f"{child.stderr[-300:]}"})
            done = int(where) + 1 - index
        else:
            part = json.loads(child.stdout.strip().splitlines()[-1])
            for key in ("inputs", "inspected", "decoded", "saved"):
                setattr(totals, key, getattr(totals, key) + part[key])
            totals.outcomes.update(part["outcomes"])
            totals.findings += part["findings"]
            totals.slowest_s = max(totals.slowest_s, part["slowest_s"])
            done = count
        index += done
    return {"totals": totals, "signals": signals}


def _summary(report: FuzzReport) -> dict:
    return {"inputs": report.inputs, "inspected": report.inspected, "decoded": report.decoded,
            "saved": report.saved, "findings": report.findings,
            "slowest_s": round(report.slowest_s, 3), "outcomes": dict(report.outcomes)}


def main() -> None:
    logging.getLogger().addHandler(logging.NullHandler())  # the findings are the output
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--findings", type=Path, default=Path("runs/fuzz-findings"))
    parser.add_argument("--time-limit", type=float, default=2.0, help="seconds per input")
    parser.add_argument("--chunk", type=int, default=5000, help="inputs per child process")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        report = fuzz(args.inputs, args.seed, args.findings, args.time_limit, args.start)
        print(json.dumps(_summary(report)))
        return
    started = time.monotonic()
    result = _run_children(args)
    import resource

    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    totals: FuzzReport = result["totals"]
    findings = totals.findings + result["signals"]
    summary = {**_summary(totals), "findings": len(findings), "signals": len(result["signals"]),
               "seconds": round(time.monotonic() - started),
               "peak_memory_mb": round(peak_mb)}
    print(json.dumps(summary, indent=1))
    for finding in findings[:20]:
        print({key: finding[key] for key in ("kind", "index", "error") if key in finding})
    raise SystemExit(1 if findings else 0)


if __name__ == "__main__":
    main()
