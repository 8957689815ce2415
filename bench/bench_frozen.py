"""The frozen app (`make dist` first): folder size and start-up, under Xvfb.

    xvfb-run -a .venv/bin/python bench/bench_frozen.py

Size is compared with the runtime's site-packages in the build venv (what a source install
needs); start-up with the same program run from source, both measured here, now. "Cold"
drops the page cache first when allowed (root on Linux), else it says "warm".
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FROZEN = ROOT / "dist" / "AIImageClassifier" / "AIImageClassifier"
BUILD_SITE = next((ROOT / "build" / "dist-venv" / "lib").glob("python3*/site-packages"), None)


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def drop_caches() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def start(program: list[str], *args: str) -> tuple[float, bool]:
    cold = drop_caches()
    started = time.perf_counter()
    result = subprocess.run([*program, *args, "--exit-when-ready"], capture_output=True,
                            text=True, cwd=ROOT, check=True)
    assert "model ready" in result.stdout, result.stdout + result.stderr
    return time.perf_counter() - started, cold


def main() -> None:
    if not FROZEN.exists():
        sys.exit("build it first: make dist")
    with tempfile.TemporaryDirectory() as temp:
        os.environ["AIIC_CONFIG_DIR"] = temp
        image = Path(temp) / "face.jpg"
        from PIL import Image

        Image.new("RGB", (640, 480), (200, 160, 140)).save(image)
        rows = []
        for label, args in (("→ window up, model loaded", ()), ("→ first verdict", (str(image),))):
            frozen = [start([str(FROZEN)], *args) for _ in range(3)]
            source = [start([sys.executable, str(ROOT / "app.py")], *args) for _ in range(3)]
            kind = "cold" if frozen[0][1] else "warm"
            f = statistics.median(t for t, _ in frozen)
            s = statistics.median(t for t, _ in source)
            rows.append(f"| frozen start {label} ({kind}, incl. closing) | {f:.2f} s | "
                        f"{s:.2f} s from source | {s / f:.1f}× |")
    size = folder_size(FROZEN.parent)
    print("| measurement | frozen | baseline | ratio |")
    print("|---|---|---|---|")
    if BUILD_SITE:
        site = folder_size(BUILD_SITE)
        print(f"| folder size | {size / 2**20:.0f} MiB | {site / 2**20:.0f} MiB runtime "
              f"site-packages | {site / size:.2f}× |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
