"""Release files: the workflow lints clean, the installer script and spec agree with the code,
and the wheel installs and classifies."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ai_image_classifier import __version__

from .conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists() and shutil.which(name) is None:
        pytest.fail(f"{name} is missing: pip install -r requirements-dev.txt")
    return str(path) if path.exists() else name


def test_workflow_matches_the_github_schema():
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema",
                             "vendor.github-workflows", str(WORKFLOW)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_passes_static_analysis():
    result = subprocess.run([tool("zizmor"), "--offline", "--config",
                             str(ROOT / ".github" / "zizmor.yml"), str(WORKFLOW)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_installer_script_settings():
    script = (ROOT / "setup.iss").read_text(encoding="utf-8")
    assert re.search(r"AppId=\{\{[0-9A-F-]{36}\}", script)
    assert "PrivilegesRequired=lowest" in script
    assert "OutputBaseFilename=AIImageClassifier-Setup-{#MyAppVersion}" in script
    assert "Compression=lzma2" in script
    assert "dist\\AIImageClassifier\\*" in script


def test_icons_exist_in_every_format():
    for name in ("icon.png", "icon.ico", "icon.icns"):
        assert (ROOT / "assets" / name).stat().st_size > 1000


def test_workflow_builds_the_version_from_the_package():
    text = WORKFLOW.read_text()
    assert "ai_image_classifier as m; print(m.__version__)" in text
    assert "/DMyAppVersion=" in text and "choco install innosetup" in text
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built once for this module."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", str(ROOT), "-w", str(out)], check=True,
                   capture_output=True, timeout=900)
    (built,) = out.glob("*.whl")
    return built


def test_a_wheel_carries_the_models_and_no_training_package(wheel):
    """`pip install .` (not editable) must find the bundled models, and must not put a generic
    top-level `training` package into site-packages."""
    names = zipfile.ZipFile(wheel).namelist()
    assert not any(name.startswith("training/") for name in names)
    bundled = "ai_image_classifier/bundled_model/"
    for needed in ("ai_imageclassifier.tflite", "ai_imageclassifier.card.json",
                   "general_detector.card.json", "general_detector.head.npz",
                   "clip_encoder.check.npz", "upscaler/upscaler_x2.tflite",
                   "upscaler/upscaler_x4.tflite", "upscaler/upscaler_x4.card.json"):
        assert bundled + needed in names
    encoder = "clip/clip_vit_b16.w8.onnx"
    assert (bundled + encoder in names) == (ROOT / "model" / encoder).is_file()
    trust = "ai_image_classifier/bundled_assets/c2pa-trust/"
    for needed in ("C2PA-TRUST-LIST.pem", "C2PA-TRUST-LIST.json", "C2PA-TSA-TRUST-LIST.pem",
                   "README.md"):
        assert trust + needed in names
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA")))
    assert b"Requires-Dist: pillow==" in metadata and b'extra == "train"' in metadata


INSTALLED_PROBE = r'''
import json, sys
import ai_image_classifier
from ai_image_classifier.classifier import Classifier
from ai_image_classifier.cli import main

classifier = Classifier.load()
verdict = classifier.classify_file(sys.argv[1])
train = main(["train", "--help"])
from ai_image_classifier.content_credentials import trust_list
print(json.dumps({"module": ai_image_classifier.__file__, "label": verdict.label,
                  "trust": str(trust_list().folder), "issued": trust_list().issued,
                  "probability": verdict.probability, "general_off": classifier.general_off,
                  "general": classifier.general is not None, "train": train}))
'''


def test_the_installed_wheel_loads_the_default_model_and_classifies(wheel, tmp_path):
    """Installed from the wheel and run from elsewhere (not this checkout): the default
    model loads (its whole-picture part when the encoder was set up before building,
    otherwise it says why it is off) and answers; `aiic train` says it needs a checkout."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-compile", "--target", str(target), str(wheel)], check=True,
                   capture_output=True, timeout=900)
    rng = np.random.default_rng(2)
    picture = tmp_path / "picture.png"
    Image.fromarray(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)).save(picture)
    path = os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")]))
    run = subprocess.run([sys.executable, "-c", INSTALLED_PROBE, str(picture)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=900,
                         env={**os.environ, "PYTHONPATH": path, "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(result["module"]).is_relative_to(target)
    assert Path(result["trust"]).is_relative_to(target) and result["issued"] == "2026-08-05"
    assert result["label"] in ("real", "fake", "uncertain") and 0 <= result["probability"] <= 1
    encoder_built = (ROOT / "model" / "clip" / "clip_vit_b16.w8.onnx").is_file()
    assert result["general"] == encoder_built and bool(result["general_off"]) != encoder_built
    assert result["train"] == 2 and "needs a source checkout" in run.stderr


def test_resources_fall_back_to_the_installed_copy(tmp_path, monkeypatch):
    from ai_image_classifier import resources

    installed = tmp_path / "bundled_model"
    (installed / "upscaler").mkdir(parents=True)
    monkeypatch.setattr(resources, "PACKAGE", tmp_path / "site" / "ai_image_classifier")
    monkeypatch.setitem(resources.INSTALLED, "model", installed)
    assert resources.resource_path("model", "upscaler") == installed / "upscaler"
