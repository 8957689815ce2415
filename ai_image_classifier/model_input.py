"""The models' views of a decoded picture: one path for the app, the CLI and training.

`to_model_input` is the whole preprocessing of the networks' input outside the model (scaling
to [0, 1] is a layer inside it). `prepare_model_input` makes every view from one decode: the
face crop, the whole picture and the native-resolution crops for the CLIP encoder, and the
graphic measures by which the detector knows a drawing or a screenshot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .imaging import ImageSource, open_rgb, to_rgb

#: Resampling used to make the model input; bilinear in Pillow is area-aware when shrinking.
MODEL_RESAMPLE = Image.Resampling.BILINEAR
FLAT_SIDE = 512  # flatness is measured on a copy at most this large (nearest neighbour)


def to_model_input(image: Image.Image | np.ndarray, size: int) -> np.ndarray:
    """Resize an RGB image to the network's size×size input, as uint8 0..255.

    Scaling to [0, 1] is a `Rescaling` layer inside the model, so this function is the whole
    of the preprocessing outside it; training calls it too.
    """
    pil = Image.fromarray(image) if isinstance(image, np.ndarray) else image
    if pil.mode != "RGB":
        pil = to_rgb(pil)
    return np.asarray(pil.resize((size, size), MODEL_RESAMPLE), dtype=np.uint8)


@dataclass(frozen=True)
class ModelInput:
    pixels: np.ndarray  # size×size×3 uint8
    face: tuple[float, float, float, float] | None  # the face crop used, as fractions; None = whole
    clip: np.ndarray | None = None  # 3×224×224: the whole picture for a whole-view content head
    crops: np.ndarray | None = None  # k×3×224×224: native-resolution crops (clip_encoder)
    graphic: tuple[float, float] = (0.0, 0.0)  # flat fraction, colour coverage (general.py)
    size: tuple[int, int] = (0, 0)  # the decoded picture's width and height


#: The shorter side kept by `reduced`: enough for the face search and the whole-picture views.
REDUCED_SIDE = 640


def reduced(image: Image.Image, side: int = REDUCED_SIDE) -> Image.Image:
    """A copy shrunk by a whole factor (box filter, fast) to keep the shorter side ≥ `side`;
    the image itself when it is already that small."""
    factor = min(image.size) // side
    return image.reduce(factor) if factor >= 2 else image


def prepare_model_input(image: Image.Image | np.ndarray, size: int, find_faces: bool = True,
                        general: bool = False, crops: int = 1) -> ModelInput:
    """Every view the models take of a decoded picture: the face crop when a face is small in
    it, and with `general` the whole picture for the CLIP encoder, `crops` native-resolution
    crops and the graphic measures. Training calls this too, so both see the same views."""
    from .faces import crop, face_region  # OpenCV loads on first use, off the start-up path

    pil = Image.fromarray(image) if isinstance(image, np.ndarray) else image
    if pil.mode != "RGB":
        pil = to_rgb(pil)
    small = reduced(pil)
    region = face_region(small) if find_faces else None
    pixels = to_model_input(crop(small, region) if region else small, size)
    if not general:
        return ModelInput(pixels, region, size=pil.size)
    from .clip_encoder import clip_pixels, crop_boxes, crop_pixels

    native = np.stack([crop_pixels(pil.crop(box)) for box in crop_boxes(pil.size, crops)])
    return ModelInput(pixels, region, clip_pixels(small), native, graphic_measures(small),
                      pil.size)


def load_model_input(source: ImageSource, size: int, find_faces: bool = True,
                     general: bool = False, crops: int = 1) -> ModelInput:
    """Decode a file into the models' views (`prepare_model_input`)."""
    image = open_for_models(source, size, find_faces, general)
    return prepare_model_input(image, size, find_faces, general, crops)


def open_for_models(source: ImageSource, size: int, find_faces: bool = True,
                    general: bool = False) -> Image.Image:
    """The decoded picture the models' views are made from. The general detector's
    native-resolution crops need the full picture; the face network alone needs only enough
    for the face search, so a JPEG is then decoded in draft mode."""
    from .faces import DETECT_SIDE

    draft = None if general else max(2 * size, DETECT_SIDE if find_faces else 0)
    return open_rgb(source, draft_size=draft, shrink_to_fit=True)


def graphic_measures(image: Image.Image) -> tuple[float, float]:
    """(flat fraction, colour coverage) of a picture, on a copy at most FLAT_SIDE large.

    Flat fraction: the share of pixels equal to both their right and lower neighbours, not
    counting clipped black or white. Colour coverage: the share of pixels in the 16 most
    frequent colours. Photographs carry sensor noise and texture, so both stay low; drawings,
    screenshots and graphics are made of repeated flat colours, and a JPEG copy of them keeps
    at least one of the two high.
    """
    small = image
    if max(image.size) > FLAT_SIDE:
        scale = FLAT_SIDE / max(image.size)
        small = image.resize((max(1, round(image.width * scale)),
                              max(1, round(image.height * scale))), Image.Resampling.NEAREST)
    pixels = np.asarray(small.convert("RGB"))
    codes = (pixels.astype(np.uint32) * np.array([65536, 256, 1], np.uint32)).sum(axis=2)
    counts = np.unique(codes, return_counts=True)[1]
    coverage = float(np.sort(counts)[::-1][:16].sum() / codes.size)
    if codes.shape[0] < 2 or codes.shape[1] < 2:
        return 1.0, coverage
    centre = codes[:-1, :-1]
    same = (centre == codes[:-1, 1:]) & (centre == codes[1:, :-1])
    wide = pixels[:-1, :-1].astype(np.int16)
    counted = (wide.max(axis=2) > 2) & (wide.min(axis=2) < 253)  # not clipped black or white
    if counted.sum() < 0.05 * counted.size:
        return float(same.mean()), coverage  # almost all clipped: judge it as it is
    return float((same & counted).sum() / counted.sum()), coverage
