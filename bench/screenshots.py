"""Light and dark screenshots of the window for the README, under Xvfb.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python bench/screenshots.py [OUT_DIR]

Needs ImageMagick's `import` to grab the screen. Writes docs/screenshot-{light,dark}.png, a
minimum-size one and a folder scan, after opening a generated picture and enhancing it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ai_image_classifier.gui.window import MIN_SIZE, App  # noqa: E402


def settle(app: App, condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        app.update()
        time.sleep(0.01)
    for _ in range(20):
        app.update()
        time.sleep(0.01)


def grab(app: App, path: Path) -> None:
    subprocess.run(["import", "-window", "root",
                    "-crop", f"{app.winfo_width()}x{app.winfo_height()}+0+0", str(path)],
                   check=True)


def sample(path: Path) -> Path:
    """A synthetic portrait-like picture: a face-coloured ellipse on a gradient, with noise."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:480, 0:640].astype(np.float32)
    image = np.stack([60 + x / 8, 80 + y / 8, 140 + 0 * x], -1)
    face = ((x - 320) / 130) ** 2 + ((y - 240) / 170) ** 2 < 1
    image[face] = (224, 172, 140)
    image += rng.normal(0, 14, image.shape)
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(path, quality=90)
    return path


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temp:
        os.environ["AIIC_CONFIG_DIR"] = temp
        picture = sample(Path(temp) / "portrait.jpg")
        app = App()
        app.geometry("1280x800+0+0")
        settle(app, lambda: app.classifier is not None)
        app.open_path(picture)
        settle(app, lambda: app.current is not None and app.current.verdict is not None)
        app.start_enhance()
        settle(app, lambda: app.current.enhanced is not None)
        for theme in ("Light", "Dark"):
            app.theme_menu.set(theme)
            app.set_theme(theme)
            settle(app, lambda: True)
            grab(app, out / f"screenshot-{theme.lower()}.png")
        app.geometry(f"{MIN_SIZE[0]}x{MIN_SIZE[1]}+0+0")
        app.view_switch.set("Heatmap")
        app.show_view()
        settle(app, lambda: app.current.heat_preview is not None)
        grab(app, out / "screenshot-minimum.png")
        folder = Path(temp) / "holiday"
        folder.mkdir()
        for index in range(6):
            Image.open(picture).rotate(index * 7).save(folder / f"photo_{index}.jpg")
        (folder / "damaged.jpg").write_bytes(b"\xff\xd8 not really a JPEG")
        app.scan_folder(folder)
        scan = app.scan_window
        scan.geometry("980x420+0+0")
        settle(app, lambda: scan.finished)
        grab(scan, out / "screenshot-scan.png")
        app.close()


if __name__ == "__main__":
    main()
