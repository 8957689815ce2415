"""Runtime speed, each number next to a baseline measured in the same run.

    .venv/bin/python bench/bench_runtime.py [--repeat 5]

1. process start → first verdict: LiteRT export vs the Keras model (TensorFlow import);
2. one 12 MP JPEG → verdict: JPEG draft decoding vs a full decode; with a flip-averaging
   model also two views vs one; the general detector (CLIP) against the face network alone,
   for one 12 MP JPEG and for a folder of 1 MP JPEGs;
   the encoder's load-time self-check: load, check and a first picture against load and a
   first picture (the check's run also warms the session, so this is what it adds);
3. folder scan throughput: batches of 32 vs one image at a time;
4. training throughput of the seed network (images/s, one epoch after a warm-up epoch).
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ai_image_classifier.backends import FlipAveragedBackend  # noqa: E402
from ai_image_classifier.cards import bundled_model_dir  # noqa: E402
from ai_image_classifier.classifier import Classifier  # noqa: E402
from ai_image_classifier.clip_encoder import INPUT_SIDE, ClipEncoder  # noqa: E402
from ai_image_classifier.imaging import load_rgb  # noqa: E402

#: A child's own peak memory in MiB, as source for a child to print: VmHWM belongs to its
#: own memory map, while ru_maxrss of a process started from a large one starts at that size.
OWN_PEAK_MIB = ('int(__import__("re").search(r"VmHWM:\\s+(\\d+)", '
                'open("/proc/self/status").read()).group(1)) / 1024')
FIRST_VERDICT = (
    "from ai_image_classifier.classifier import Classifier;"
    "Classifier.load({model!r}).classify_file({image!r})"
)


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def photo(path: Path, width: int, height: int, seed: int = 0) -> Path:
    """A photo-like JPEG: smooth gradients plus sensor-like noise (compresses like a photo)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x / width * 200, y / height * 200, (x + y) / (width + height) * 255], -1)
    noisy = base + rng.normal(0, 12, base.shape).astype(np.float32)
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(path, quality=90)
    return path


def load_and_embed(check: bool) -> Callable[[], object]:
    """Load the encoder, self-check it or not, and embed one picture."""
    pixels = np.random.default_rng(0).normal(0, 1, (1, 3, INPUT_SIDE, INPUT_SIDE))

    def run() -> None:
        encoder = ClipEncoder()
        if check:
            encoder.self_check()
        encoder.encode(pixels)
    return run


def row(name: str, value: str, baseline: str, ratio: float) -> str:
    return f"| {name} | {value} | {baseline} | {ratio:.1f}× |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    model_dir = bundled_model_dir()
    fast_model = model_dir / "ai_imageclassifier.tflite"
    keras_model = model_dir / "ai_imageclassifier.keras"
    lines = ["| measurement | ours | baseline | speed-up |", "|---|---|---|---|"]

    with tempfile.TemporaryDirectory() as temp:
        temp_dir = Path(temp)
        big = photo(temp_dir / "12mp.jpg", 4000, 3000)

        def first_verdict(model: Path) -> float:
            code = FIRST_VERDICT.format(model=str(model), image=str(big))
            return median_seconds(
                lambda: subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                                       capture_output=True),
                max(3, args.repeat // 2))

        fast, slow = first_verdict(fast_model), first_verdict(keras_model)
        lines.append(row("process start → first verdict (12 MP JPEG)", f"{fast:.2f} s LiteRT",
                         f"{slow:.2f} s Keras", slow / fast))

        classifier = Classifier.load(fast_model)
        classifier.classify_file(big)  # warm up
        draft = median_seconds(lambda: classifier.classify_file(big), args.repeat)
        full = median_seconds(lambda: classifier.classify_image(load_rgb(big)), args.repeat)
        lines.append(row("12 MP JPEG → verdict incl. face search, warm",
                         f"{draft * 1000:.0f} ms draft decode",
                         f"{full * 1000:.0f} ms full decode", full / draft))
        if isinstance(classifier.backend, FlipAveragedBackend):
            one_view = replace(classifier, backend=classifier.backend.backend)
            single = median_seconds(lambda: one_view.classify_file(big), args.repeat)
            lines.append(row("the same, flip-averaged (the card's setting) vs one view",
                             f"{draft * 1000:.0f} ms two views", f"{single * 1000:.0f} ms one "
                             "view", single / draft))

        general = Classifier.load()  # the default: CLIP head fused with the face network
        if general.general is not None:
            general.classify_file(big)
            fused = median_seconds(lambda: general.classify_file(big), args.repeat)
            lines.append(row("12 MP JPEG → verdict, general detector (default) vs face "
                             "network alone", f"{fused * 1000:.0f} ms",
                             f"{draft * 1000:.0f} ms", draft / fused))
            scans = temp_dir / "scan"
            scans.mkdir()
            megapixel = [photo(scans / f"{i:02d}.jpg", 1152, 864, seed=i) for i in range(48)]
            general_rate = len(megapixel) / median_seconds(
                lambda: list(general.classify_files(megapixel, 16)), 3)
            face_rate = len(megapixel) / median_seconds(
                lambda: list(classifier.classify_files(megapixel, 16)), 3)
            lines.append(row("folder scan, 48 × 1 MP JPEG, general detector vs face network",
                             f"{general_rate:.1f} img/s", f"{face_rate:.1f} img/s",
                             general_rate / face_rate))
            checked = median_seconds(load_and_embed(True), args.repeat)
            unchecked = median_seconds(load_and_embed(False), args.repeat)
            lines.append(row("encoder load + self-check + first picture vs load + first "
                             "picture", f"{checked * 1000:.0f} ms", f"{unchecked * 1000:.0f} ms",
                             unchecked / checked))

        folder = temp_dir / "folder"
        folder.mkdir()
        files = [photo(folder / f"{i:03d}.jpg", 256, 256, seed=i) for i in range(200)]
        batched = median_seconds(lambda: list(classifier.classify_files(files, 32)), 3)
        single = median_seconds(lambda: list(classifier.classify_files(files, 1)), 3)
        lines.append(row("folder scan, 200 × 256 px JPEG", f"{len(files) / batched:.0f} img/s "
                         "(batch 32)", f"{len(files) / single:.0f} img/s (batch 1)",
                         single / batched))

    from training.models import build_seed_model, compile_model

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (4096, 32, 32, 3)).astype(np.float32)
    targets = rng.integers(0, 2, 4096).astype(np.float32)
    model = compile_model(build_seed_model(32), 1e-3)
    model.fit(images, targets, batch_size=32, epochs=1, verbose=0)
    seconds = median_seconds(
        lambda: model.fit(images, targets, batch_size=32, epochs=1, verbose=0), 1)
    lines.append(f"| seed network training, 32 px, batch 32 | {len(images) / seconds:.0f} img/s "
                 "| – | – |")
    size = fast_model.stat().st_size / 2**20
    lines.append(f"| LiteRT export of the face network | {size:.1f} MiB | – | – |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
