"""Release files: the workflow lints clean, the installer script and spec agree with the code."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_a_wheel_carries_the_models_and_no_training_package(tmp_path):
    """`pip install .` (not editable) must find the bundled models, and must not put a generic
    top-level `training` package into site-packages."""
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", str(ROOT), "-w", str(tmp_path)], check=True,
                   capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not any(name.startswith("training/") for name in names)
    bundled = "ai_image_classifier/bundled_model/"
    for needed in ("ai_imageclassifier.tflite", "ai_imageclassifier.card.json",
                   "upscaler/upscaler_x2.tflite"):
        assert bundled + needed in names
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA")))
    assert b"Requires-Dist: pillow==" in metadata and b'extra == "train"' in metadata


def test_resources_fall_back_to_the_installed_copy(tmp_path, monkeypatch):
    from ai_image_classifier import resources

    installed = tmp_path / "bundled_model"
    (installed / "upscaler").mkdir(parents=True)
    monkeypatch.setattr(resources, "PACKAGE", tmp_path / "site" / "ai_image_classifier")
    monkeypatch.setitem(resources.INSTALLED, "model", installed)
    assert resources.resource_path("model", "upscaler") == installed / "upscaler"
