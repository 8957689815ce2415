"""Face crops: the crop geometry, and real detection on a face from the data set."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from ai_image_classifier import faces
from ai_image_classifier.model_input import load_model_input, prepare_model_input


def with_face_at(monkeypatch, box):
    monkeypatch.setattr(faces, "find_face", lambda image: box)


def test_small_face_gives_a_square_crop_around_it(monkeypatch):
    with_face_at(monkeypatch, (900, 400, 100, 120))
    region = faces.face_region(Image.new("RGB", (2000, 1000)))
    left, top, right, bottom = region
    assert (right - left) * 2000 == pytest.approx((bottom - top) * 1000)  # square in pixels
    assert (right - left) * 2000 == pytest.approx(120 * faces.CROP_SCALE, abs=1)
    assert left * 2000 < 900 and right * 2000 > 1000 and top * 1000 < 400


def test_crop_is_kept_inside_the_picture(monkeypatch):
    with_face_at(monkeypatch, (0, 0, 100, 100))
    left, top, right, bottom = faces.face_region(Image.new("RGB", (2000, 1000)))
    assert left == 0 and top == 0 and right <= 1 and bottom <= 1


def test_a_face_filling_the_picture_is_used_whole(monkeypatch):
    with_face_at(monkeypatch, (40, 40, 160, 170))
    assert faces.face_region(Image.new("RGB", (256, 256))) is None


def test_no_face_means_whole_picture():
    prepared = prepare_model_input(np.full((300, 400, 3), 128, np.uint8), 32)
    assert prepared.face is None and prepared.pixels.shape == (32, 32, 3)


def test_a_real_face_in_a_large_photo_is_found_and_cropped(shared_data, tmp_path):
    with open(shared_data / "manifest.csv", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["source"] == "stylegan2_ffhq"
                   and r["label"] == "real" and r["split"] == "test")
    face = Image.open(shared_data / row["path"]).convert("RGB")  # 256×256, a face filling it
    assert faces.face_region(face) is None  # as in training: the whole picture
    scene = Image.new("RGB", (2400, 1600), (90, 110, 90))
    scene.paste(face, (1500, 300))
    path = tmp_path / "scene.jpg"
    scene.save(path, quality=92)
    prepared = load_model_input(path, 64)
    assert prepared.face is not None
    left, top, right, bottom = prepared.face
    centre = ((left + right) / 2 * 2400, (top + bottom) / 2 * 1600)
    assert 1500 < centre[0] < 1756 and 300 < centre[1] < 556
    background = np.array([90, 110, 90])
    centre_pixels = prepared.pixels[16:48, 16:48].astype(int)
    assert np.abs(centre_pixels - background).mean() > 30  # the face, not the lawn
    whole = load_model_input(path, 64, find_faces=False).pixels.astype(int)
    assert np.abs(whole[16:48, 16:48] - background).mean() < 10  # whole: mostly lawn


def test_threads_deciding_faces_at_once_in_a_fresh_process():
    """cv2's first import is not thread-safe; a folder scan decides faces in many threads."""
    import subprocess
    import sys

    code = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from PIL import Image\n"
        "from ai_image_classifier.faces import face_region\n"
        "picture = Image.new('RGB', (300, 200))\n"
        "with ThreadPoolExecutor(8) as pool:\n"
        "    assert list(pool.map(lambda _: face_region(picture), range(8))) == [None] * 8\n"
    )
    for _ in range(3):  # before the fix this failed 4 runs in 5
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-2000:]
