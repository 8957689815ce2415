"""Light and dark screenshots of the window for the README, under Xvfb.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python bench/screenshots.py \
        [OUT_DIR] [--dialogs DIR]

Needs ImageMagick's `import` to grab the screen. Writes docs/screenshot-{light,dark}.png, a
minimum-size one and a folder scan, after opening a generated picture and enhancing it; with
--dialogs, also the dark theme's message box and file dialog (to check them, not for docs).
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
    """A synthetic portrait-like picture: a face-coloured ellipse on a gradient, with noise;
    as a PNG, it carries a generator's parameters, so the verdict shows both its parts."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:480, 0:640].astype(np.float32)
    image = np.stack([60 + x / 8, 80 + y / 8, 140 + 0 * x], -1)
    face = ((x - 320) / 130) ** 2 + ((y - 240) / 170) ** 2 < 1
    image[face] = (224, 172, 140)
    image += rng.normal(0, 14, image.shape)
    pixels = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    if path.suffix == ".png":
        from PIL.PngImagePlugin import PngInfo

        declared = PngInfo()
        declared.add_text("parameters", "a portrait\nSteps: 20, Sampler: Euler a, CFG scale: 7, "
                                         "Seed: 1, Model: sd15")
        pixels.save(path, pnginfo=declared)
    else:
        pixels.save(path, quality=90)
    return path


def grab_screen(app: App, path: Path) -> None:
    subprocess.run(["import", "-window", "root", str(path)], check=True)


def grab_dialogs(app: App, out: Path) -> None:
    """The dark theme's message box and file dialog, grabbed while each is open."""
    from ai_image_classifier.gui.dialogs import Dialogs

    dialogs = Dialogs(app)
    for name, ask in (("message", lambda: dialogs.error("Cannot save", "An example message.")),
                      ("file-dialog", lambda: dialogs.save_image_as(str(ROOT / "docs"),
                                                                    "portrait_enhanced",
                                                                    "JPEG"))):
        def shoot(name: str = name) -> None:
            grab_screen(app, out / f"dialog-dark-{name}.png")
            for window in app.tk.splitlist(app.tk.call("winfo", "children", ".")):
                kind = app.tk.call("winfo", "class", window)
                if kind == "TkFDialog":
                    app.tk.call(f"{window}.contents.f2.cancel", "invoke")  # as if cancelled
                elif kind == "Dialog":
                    app.tk.call("destroy", window)

        app.after(1500, shoot)
        ask()


def main() -> None:
    args = sys.argv[1:]
    dialogs_dir = Path(args[args.index("--dialogs") + 1]) if "--dialogs" in args else None
    args = [a for a in args if a != "--dialogs" and Path(a) != dialogs_dir]
    out = Path(args[0]) if args else ROOT / "docs"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temp:
        os.environ["AIIC_CONFIG_DIR"] = temp
        picture = sample(Path(temp) / "portrait.png")
        app = App()
        app.geometry("1280x800+0+0")
        settle(app, lambda: app.models.classifier is not None)
        app.pictures.open(picture)
        settle(app, lambda: app.pictures.current is not None
               and app.pictures.current.verdict is not None)
        app.side.enhance.enhance_button.invoke()
        settle(app, lambda: app.pictures.current.enhanced is not None, 120)
        for theme in ("Light", "Dark"):
            app.top.theme_menu.set(theme)
            app.set_theme(theme)
            settle(app, lambda: True)
            grab(app, out / f"screenshot-{theme.lower()}.png")
        if dialogs_dir is not None:
            dialogs_dir.mkdir(parents=True, exist_ok=True)
            grab_dialogs(app, dialogs_dir)
        app.geometry(f"{MIN_SIZE[0]}x{MIN_SIZE[1]}+0+0")
        app.viewer.view_switch.set("Heatmap")
        app.redraw()
        settle(app, lambda: app.pictures.current.heat is not None
               and app.pictures.current.heat.final, 120)  # the refined map, not the coarse one
        grab(app, out / "screenshot-minimum.png")
        folder = Path(temp) / "samples"  # made by this script: synthetic, not photographs
        folder.mkdir()
        for index in range(6):
            Image.open(picture).rotate(index * 7).save(folder / f"synthetic_{index}.jpg")
        sample(folder / "a synthetic picture with a rather long name.jpg")
        (folder / "damaged.jpg").write_bytes(b"\xff\xd8 not really a JPEG")
        app.scan_folder(folder)
        scan = app.scan_window
        scan.geometry("980x420+0+0")
        settle(app, lambda: scan.flow.finished, 120)
        scan.flow.sort_by("probability")
        settle(app, lambda: True)
        grab(scan, out / "screenshot-scan.png")
        app.close()


if __name__ == "__main__":
    main()
