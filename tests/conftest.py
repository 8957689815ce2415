"""Shared fixtures: synthetic images (no data set needed) and the optional shared data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ai_image_classifier.allocator import return_freed_memory

ROOT = Path(__file__).resolve().parent.parent


# Two arenas: the window's lanes and onnxruntime's threads left freed pages in a dozen of them,
# and the suite's one process reached 4.3 GB (the GUI and golden tests alone: 3.6 → 2.7 GB
# peak with two). The mmap threshold that the window's start sets stays glibc's own here:
# fixed, it would unmap and fault in again TensorFlow's freed tensors in training tests.
return_freed_memory(mmap_threshold=None, arenas=2)
SHARED_DATA = ROOT.parent / "shared" / "data"


def gradient(width: int = 64, height: int = 48) -> np.ndarray:
    """A smooth RGB picture whose colours tell position, so orientation errors show."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack(
        [x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), np.full_like(x, 90)],
        axis=-1,
    ).astype(np.uint8)


def write_face_folder(root: Path, per_class: int = 12, size: int = 40, seed: int = 0) -> Path:
    """A tiny labelled set a network can learn: 'fake' images carry a bright square."""
    rng = np.random.default_rng(seed)
    for label in ("real", "fake"):
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = rng.integers(40, 120, (size, size, 3), dtype=np.uint8)
            if label == "fake":
                pixels[size // 4 : size * 3 // 4, size // 4 : size * 3 // 4] = 240
            Image.fromarray(pixels).save(root / label / f"{label}_{i}.jpg", quality=95)
    return root


def _encoder_installed() -> bool:
    from ai_image_classifier.clip_encoder import encoder_path

    return encoder_path().is_file()


#: Tests of the whole-picture detector need the CLIP encoder that `make setup` fetches.
needs_encoder = pytest.mark.skipif(not _encoder_installed(),
                                   reason="the CLIP encoder is fetched by `make setup`")


@pytest.fixture
def rgb_image() -> np.ndarray:
    return gradient()


@pytest.fixture
def jpeg_file(tmp_path: Path, rgb_image: np.ndarray) -> Path:
    path = tmp_path / "photo.jpg"
    Image.fromarray(rgb_image).save(path, quality=95)
    return path


def require_shared(path: Path, what: str) -> Path:
    """`path` from ../shared; a fresh clone without it skips with the reason, while CI (which
    has it) fails, so that a moved folder cannot silently turn tests into skips."""
    if not path.exists():
        message = f"needs {what} at {path}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}, and CI=true: CI must have ../shared")
        pytest.skip(f"{message} (present in CI)")
    return path


@pytest.fixture
def shared_data() -> Path:
    require_shared(SHARED_DATA / "manifest.csv", "the face data set")
    return SHARED_DATA


@pytest.fixture
def shared_general() -> Path:
    folder = ROOT.parent / "shared" / "data-general"
    require_shared(folder / "manifest.csv", "the general data set (data-general)")
    return folder


@pytest.fixture
def shared_wild() -> Path:
    folder = ROOT.parent / "shared" / "data-wild"
    require_shared(folder / "manifest.csv", "the camera originals set (data-wild)")
    return folder


@pytest.fixture
def sampled_faces(shared_data: Path, tmp_path: Path) -> Path:
    """The face set as the general detector's heads were trained and measured on it: the
    sample `training.face_sample` draws (a manifest and links, no copied image)."""
    from training.face_sample import main as sample

    assert sample([str(shared_data), "--out", str(tmp_path / "data-faces")]) == 0
    return tmp_path / "data-faces"


@pytest.fixture
def sr_eval() -> Path:
    return require_shared(ROOT.parent / "shared" / "sr-eval", "the Set5/Set14 images")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Train the real pipeline for a few epochs on synthetic images; returns the .keras path.

    This is the tiny training configuration CI runs: it exercises data loading, fitting,
    export, threshold choice, evaluation and the model card end to end.
    """
    pytest.importorskip("tensorflow", reason="training needs requirements-train.txt")
    from training.train import main as train_main

    root = tmp_path_factory.mktemp("tiny")
    data = write_face_folder(root / "data", per_class=20)
    out = root / "model"
    code = train_main(["--data", str(data), "--out", str(out), "--name", "tiny",
                       "--epochs", "3", "--batch-size", "8", "--patience", "3",
                       "--balance-sources", "--flip-average"])
    assert code == 0
    return out / "tiny.keras"
