"""Learned 2× and 4× super-resolution: our own small networks, run with LiteRT on tiles.

A network sees only luma (Y of full-range YCbCr, the JPEG convention) in 0..1 and returns
luma at its scale (its card says which); the two chroma planes are upscaled bicubically, as
in ESPCN and FSRCNN, because the eye resolves colour far less finely than brightness.
`to_ycrcb` is the one colour conversion: training calls it too, so the network is served what
it learned on.

Tiles overlap by a margin wider than the network's receptive field, and the picture's outer
edge is mirrored once before tiling, so the tiled result equals a single whole-image pass
while memory stays bounded by the tile size.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .cards import UPSCALER_SCHEMA, ModelLoadError, read_card
from .logs import native_stderr_to_log
from .opencv import import_cv2
from .resources import resource_path

cv2 = import_cv2()

SCALES = (2, 4)  # one network for each
# Low-resolution pixels a tile side, by scale: 768 output pixels a side for both (about 0.1 s
# a tile at 2× on 2 cores, 0.04 s at 4×). LiteRT keeps the feature maps of one tile (about
# 190 MB at 384 px, 65 MB at 192), so the 4× network, whose result is four times larger, takes
# smaller tiles.
DEFAULT_TILE = {2: 384, 4: 192}
DEFAULT_MARGIN = 8  # must cover the receptive field's radius; the card may say more


class UpscalerLoadError(RuntimeError):
    """The upscaling model is missing or damaged."""


class UpscaleCancelled(Exception):
    """The caller asked to stop between tiles."""


def bundled_upscaler_path(scale: int = 2) -> Path:
    """The shipped network for `scale` (its card beside it says the same scale)."""
    return resource_path("model", "upscaler", f"upscaler_x{scale}.tflite")


def to_ycrcb(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB → float32 Y, Cr, Cb in 0..1 (chroma centred on 0.5)."""
    return cv2.cvtColor(rgb.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2YCrCb)


def from_ycrcb(ycrcb: np.ndarray) -> np.ndarray:
    """float Y, Cr, Cb in 0..1 → uint8 RGB, rounded and clipped (in place: it runs per tile)."""
    rgb = cv2.cvtColor(np.ascontiguousarray(ycrcb, dtype=np.float32), cv2.COLOR_YCrCb2RGB)
    rgb *= 255.0
    rgb += 0.5
    np.clip(rgb, 0, 255, out=rgb)
    return rgb.astype(np.uint8)


def tile_corners(height: int, width: int, tile_h: int, tile_w: int | None = None
                 ) -> list[tuple[int, int, int, int]]:
    """(top, left, bottom, right) of the tiles (square unless `tile_w` is given) that cover a
    height × width picture."""
    tile_w = tile_w or tile_h
    return [(top, left, min(top + tile_h, height), min(left + tile_w, width))
            for top in range(0, height, tile_h) for left in range(0, width, tile_w)]


def tile_shape(height: int, width: int, tile: int, margin: int) -> tuple[int, int]:
    """(tile height, tile width) for a height × width picture: `tile`² unless a side is
    shorter. A side shorter than `tile` gets tiles exactly that long, and the other side grows
    so that a window (tile plus margins) keeps at most the area of a square one, and is then
    shortened to share the side evenly (a last tile of a few pixels would cost a whole
    window): a 48-px strip would otherwise feed the network windows that are mostly padding.
    One shape per picture, because LiteRT re-allocates its tensors when the shape changes.
    """
    if height >= tile and width >= tile:
        return tile, tile
    if height < tile and width < tile:
        return height, width
    area = (tile + 2 * margin) ** 2

    def even(length: int, short: int) -> int:
        longest = min(length, max(tile, area // (short + 2 * margin) - 2 * margin))
        return math.ceil(length / math.ceil(length / longest))
    return (height, even(width, height)) if height < tile else (even(height, width), width)


def padded_window(image: np.ndarray, top: int, left: int, size: tuple[int, int], margin: int
                  ) -> np.ndarray:
    """`size` (height, width) pixels from (top − margin, left − margin), mirrored where they
    leave the picture.

    Within `margin` of the picture this equals mirroring the whole picture first, so tiles give
    the whole-picture result; farther out the padding only fills the fixed tile shape.
    """
    height, width = image.shape[:2]
    size_y, size_x = size
    y0, x0 = max(0, top - margin), max(0, left - margin)
    y1, x1 = min(height, top - margin + size_y), min(width, left - margin + size_x)
    before_y, before_x = y0 - (top - margin), x0 - (left - margin)
    pad = [(before_y, size_y - before_y - (y1 - y0)), (before_x, size_x - before_x - (x1 - x0))]
    pad += [(0, 0)] * (image.ndim - 2)
    return np.pad(image[y0:y1, x0:x1], pad, mode="symmetric")


class LearnedUpscaler:
    """A bundled network (or another `.tflite` of the same shape), run tile by tile."""

    def __init__(self, path: Path | None = None, num_threads: int | None = None,
                 tile: int | None = None) -> None:
        """`num_threads` defaults to every core: LiteRT alone would use one. The card's
        `scale` (2 when it has none) sets the tile side unless `tile` is given; a network whose
        output is not that scale is refused."""
        path = Path(path) if path else bundled_upscaler_path()
        if not path.is_file():
            raise UpscalerLoadError(f"upscaling model not found: {path}")
        card = self.card(path)
        self.scale: int = card.get("scale", 2)
        self.tile = tile or DEFAULT_TILE[self.scale]
        self.margin = max(DEFAULT_MARGIN, int(card.get("margin", 0)))
        self._shape: tuple[int, int] | None = None
        try:
            from ai_edge_litert.interpreter import Interpreter

            with native_stderr_to_log("LiteRT"):
                self._interpreter = Interpreter(model_path=str(path),
                                                num_threads=num_threads or os.cpu_count() or 1)
                self._input = self._interpreter.get_input_details()[0]["index"]
                self._output = self._interpreter.get_output_details()[0]["index"]
                side = self.tile + 2 * self.margin
                out = self._run(np.zeros((side, side), np.float32))  # allocate now
        except (ImportError, ValueError, RuntimeError, IndexError) as exc:
            raise UpscalerLoadError(f"{path.name}: not a usable LiteRT model ({exc})") from exc
        if out.shape != (self.scale * side,) * 2:
            raise UpscalerLoadError(f"{path.name}: makes {out.shape[0] // side}× pictures, but "
                                    f"its card says {self.scale}×")

    @staticmethod
    def card(path: Path) -> dict:
        """The model's card, or {} when it has none; a damaged card is an error, not ignored."""
        try:
            return read_card(path, UPSCALER_SCHEMA)
        except ModelLoadError as exc:
            raise UpscalerLoadError(f"the upscaler's card is damaged: {exc}") from exc

    def _run(self, luma: np.ndarray) -> np.ndarray:
        """One pass of the network over an H×W float luma array → sH×sW."""
        shape = luma.shape[:2]
        if shape != self._shape:
            self._interpreter.resize_tensor_input(self._input, [1, *shape, 1])
            self._interpreter.allocate_tensors()
            self._shape = shape
        self._interpreter.set_tensor(self._input, luma[None, :, :, None].astype(np.float32))
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output)[0, :, :, 0]

    def _corners(self, image: np.ndarray, tile: int
                 ) -> tuple[tuple[int, int], list[tuple[int, int, int, int]]]:
        """The picture's tile shape (`tile_shape`) and the corners of its tiles."""
        shape = tile_shape(*image.shape[:2], tile, self.margin)
        return shape, tile_corners(*image.shape[:2], *shape)

    def _windows(self, image: np.ndarray, tile: int) -> Iterator[tuple[np.ndarray, Any, Any]]:
        """For each tile: the fixed-shape window the network sees, where its result goes in
        the output, and the part of that result to keep (the margin cropped off)."""
        m, s = self.margin, self.scale
        (tile_h, tile_w), corners = self._corners(image, tile)
        for top, left, bottom, right in corners:
            yield (padded_window(image, top, left, (tile_h + 2 * m, tile_w + 2 * m), m),
                   np.s_[s * top : s * bottom, s * left : s * right],
                   np.s_[s * m : s * (m + bottom - top), s * m : s * (m + right - left)])

    def upscale_luma(self, luma: np.ndarray, tile: int | None = None) -> np.ndarray:
        """Float luma (0..1) → `scale` times the size, unclipped; tiled and whole agree."""
        s = self.scale
        output = np.empty((s * luma.shape[0], s * luma.shape[1]), np.float32)
        for window, target, keep in self._windows(luma, tile or self.tile):
            output[target] = self._run(window)[keep]
        return output

    def upscale(self, rgb: np.ndarray, progress: Callable[[float], object] | None = None,
                should_stop: Callable[[], bool] | None = None) -> np.ndarray:
        """uint8 RGB → uint8 RGB at `scale` times the size, converting colour tile by tile.

        Converting per tile keeps only a tile's floats in memory, never the whole frame's; every
        tile of a picture has one shape, so LiteRT allocates its tensors once per pass over a
        picture of a new shape, not per tile (that call holds the GIL and would stall the
        window).
        """
        height, width, s = *rgb.shape[:2], self.scale
        output = np.empty((s * height, s * width, 3), np.uint8)
        total = len(self._corners(rgb, self.tile)[1])
        for done, (window, target, keep) in enumerate(self._windows(rgb, self.tile), start=1):
            if should_stop and should_stop():
                raise UpscaleCancelled
            ycrcb = to_ycrcb(window)
            large = cv2.resize(ycrcb, None, fx=s, fy=s, interpolation=cv2.INTER_CUBIC)
            large[:, :, 0] = self._run(ycrcb[:, :, 0])
            output[target] = from_ycrcb(large[keep])
            if progress:
                progress(done / total)
        return output
