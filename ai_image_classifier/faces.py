"""Find the face in a larger photo, so the model sees what it was trained on: a face crop.

The training images are faces filling most of the frame; a holiday photo with a small face in
it would otherwise be squeezed to the model's input size whole. OpenCV's Haar cascade is
small, CPU-only and ships with the wheel.
"""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image

from .opencv import import_cv2

DETECT_SIDE = 640  # faces are searched on a copy at most this large
CROP_SCALE = 1.8  # the square crop's side, relative to the detected face box
CROP_IF_UNDER = 0.5  # crop only when the square covers under half the picture
MIN_FACE = 32  # smallest face searched for, in pixels of the detection copy
Region = tuple[float, float, float, float]  # left, top, right, bottom as fractions of the size

_local = threading.local()  # a cascade object must not be shared between threads


def _detector():
    if not hasattr(_local, "cascade"):
        cv2 = import_cv2()
        _local.cascade = cv2.CascadeClassifier(
            cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    return _local.cascade


def find_face(image: Image.Image) -> tuple[int, int, int, int] | None:
    """The largest face as (x, y, w, h) in `image`'s pixels, or None."""
    scale = min(1.0, DETECT_SIDE / max(image.size))
    if min(image.size) * scale < MIN_FACE:
        return None  # a thin strip or a tiny picture holds no face we could judge
    small = image.convert("L")
    if scale < 1.0:
        small = small.resize((round(image.width * scale), round(image.height * scale)),
                             Image.Resampling.BILINEAR)
    # Faces under 1/8 of the short side would make crops too coarse to judge; skipping them
    # keeps the search within a few milliseconds.
    smallest = max(MIN_FACE, min(small.size) // 8)
    faces = _detector().detectMultiScale(np.asarray(small), scaleFactor=1.1, minNeighbors=5,
                                         minSize=(smallest, smallest))
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
    return tuple(round(v / scale) for v in (x, y, w, h))  # type: ignore[return-value]


def face_region(image: Image.Image) -> Region | None:
    """A square around the largest face, when it is small in the picture; else None."""
    face = find_face(image)
    if face is None:
        return None
    x, y, w, h = face
    width, height = image.size
    side = min(round(max(w, h) * CROP_SCALE), width, height)
    if side * side >= CROP_IF_UNDER * width * height:
        return None  # already a face picture: use it whole, as in training
    left = min(max(0, x + w // 2 - side // 2), width - side)
    top = min(max(0, y + h // 2 - side // 2), height - side)
    return (left / width, top / height, (left + side) / width, (top + side) / height)


def crop(image: Image.Image, region: Region) -> Image.Image:
    left, top, right, bottom = region
    width, height = image.size
    return image.crop((round(left * width), round(top * height),
                       round(right * width), round(bottom * height)))
