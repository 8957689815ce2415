"""The program's headless self-checks, from source and (when built) from the frozen folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from ai_image_classifier import __version__

from .conftest import ROOT, write_face_folder

FROZEN = ROOT / "dist" / "AIImageClassifier" / "AIImageClassifier"
SOURCE = [sys.executable, str(ROOT / "app.py")]


def programs() -> list:
    frozen = pytest.param([str(FROZEN)], id="frozen", marks=pytest.mark.skipif(
        not FROZEN.exists(), reason="no frozen build: run `make dist` (CI does)"))
    return [pytest.param(SOURCE, id="source"), frozen]


def run(program: list[str], *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*program, *args], capture_output=True, text=True, timeout=900,
                          cwd=ROOT, **kwargs)


@pytest.fixture
def picture(tmp_path) -> Path:
    path = tmp_path / "картинка.png"
    Image.new("RGB", (64, 48), (120, 90, 60)).save(path)
    return path


@pytest.mark.parametrize("program", programs())
def test_version(program):
    result = run(program, "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"AIImageClassifier {__version__}"


@pytest.mark.parametrize("program", programs())
def test_classify_json_matches_aiic(program, picture):
    result = run(program, "--classify", str(picture), "--json")
    assert result.returncode == 0, result.stderr
    aiic = subprocess.run([sys.executable, "-m", "ai_image_classifier", "classify",
                           str(picture), "--json"], capture_output=True, text=True, cwd=ROOT)
    assert json.loads(result.stdout) == json.loads(aiic.stdout)


@pytest.mark.parametrize("program", programs())
def test_enhance_uses_the_bundled_upscaler(program, picture, tmp_path):
    target = tmp_path / "улучшено.png"
    result = run(program, "--enhance", str(picture), str(target))
    assert result.returncode == 0, result.stderr
    assert Image.open(target).size == (128, 96)


@pytest.mark.parametrize("program", programs())
def test_window_starts_classifies_and_closes(program, picture, tmp_path):
    if shutil.which("xvfb-run") is None:
        pytest.skip("needs xvfb-run (apt-get install xvfb xauth; .ci/run does)")
    env = {**os.environ, "AIIC_CONFIG_DIR": str(tmp_path / "config")}
    env.pop("DISPLAY", None)
    result = run(["xvfb-run", "-a", *program], str(picture), "--exit-when-ready", env=env)
    assert result.returncode == 0, result.stderr
    assert "window up; model ready" in result.stdout
    assert "verdict: " in result.stdout and "verdict: none" not in result.stdout


@pytest.mark.skipif(not FROZEN.exists(), reason="no frozen build: run `make dist` (CI does)")
def test_frozen_console_command_beside_the_app(picture, tmp_path):
    """`aiic` ships beside the windowed program: on Windows the windowed one has no console."""
    cli = [str(FROZEN.with_name("aiic"))]
    result = run(cli, "classify", str(picture), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["label"] in ("real", "fake", "uncertain")
    assert result.stderr == ""  # no LiteRT or library chatter on the user's console
    enhanced = run(cli, "enhance", str(picture), "-o", str(tmp_path / "big.png"))
    assert enhanced.returncode == 0 and (tmp_path / "big.png").is_file()


@pytest.mark.skipif(not FROZEN.exists(), reason="no frozen build: run `make dist` (CI does)")
def test_frozen_evaluate_runs_without_the_training_libraries(tmp_path):
    """The build leaves scikit-learn out; `aiic evaluate` computes its metrics with NumPy."""
    data = write_face_folder(tmp_path / "data", per_class=3, size=48)
    result = run([str(FROZEN.with_name("aiic"))], "evaluate", "--data", str(data), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["overall"]["n"] == 6
