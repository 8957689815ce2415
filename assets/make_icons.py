"""Draw the app icon (a lens over a split real/AI face tile) in every format the builds need.

    .venv/bin/python assets/make_icons.py      # writes assets/icon.png, icon.ico, icon.icns
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SIZE = 1024


def draw(size: int = SIZE) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    s = size / 64  # design on a 64-unit grid
    pen.rounded_rectangle((2 * s, 2 * s, 62 * s, 62 * s), radius=12 * s, fill=(31, 83, 141))
    pen.pieslice((12 * s, 10 * s, 44 * s, 42 * s), 90, 270, fill=(240, 200, 170))  # real half
    pen.pieslice((12 * s, 10 * s, 44 * s, 42 * s), 270, 90, fill=(120, 220, 200))  # AI half
    for dx in (0, 10):  # a "pixel" grid on the AI half
        pen.rectangle(((30 + dx) * s, 20 * s, (33 + dx) * s, 23 * s), fill=(31, 83, 141))
    pen.ellipse((22 * s, 20 * s, 34 * s, 32 * s), outline=(255, 255, 255), width=round(3 * s))
    pen.line((33 * s, 31 * s, 50 * s, 50 * s), fill=(255, 255, 255), width=round(5 * s))
    return image


def main() -> None:
    icon = draw()
    icon.resize((256, 256), Image.Resampling.LANCZOS).save(HERE / "icon.png")
    icon.save(HERE / "icon.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64),
                                        (128, 128), (256, 256)])
    icon.save(HERE / "icon.icns")


if __name__ == "__main__":
    main()
