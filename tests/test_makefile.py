"""The Makefile's promises, read from `make -n` on a copy of its inputs (nothing installed):
`make run` sets up the runtime only, `make test` adds the rest, and neither order reinstalls."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="needs GNU make")
INPUTS = ["Makefile", "pyproject.toml", *(p.name for p in ROOT.glob("requirements*.txt"))]
TRAINING_OR_TESTS = ("requirements-dev.txt", "requirements-train.txt")
#: A make of its own, not a sub-make of `make test` (which would print "Entering directory"
#: lines and pass its own flags down).
ALONE = {key: value for key, value in os.environ.items()
         if key not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")}


@pytest.fixture()
def checkout(tmp_path: Path) -> Path:
    """A fresh clone's view of the Makefile: its inputs, no .venv, no encoder."""
    for name in INPUTS:
        shutil.copy2(ROOT / name, tmp_path / name)
    return tmp_path


def planned(folder: Path, *goals: str, python: str = "python3.11") -> list[str]:
    result = subprocess.run([MAKE, "-n", *goals, f"PYTHON={python}"], cwd=folder,
                            capture_output=True, text=True, timeout=60, env=ALONE)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def installed(folder: Path, stamp: str) -> None:
    """What a finished install leaves: the venv's python, a stamp and the encoder."""
    (folder / ".venv" / "bin").mkdir(parents=True, exist_ok=True)
    (folder / ".venv" / "bin" / "python").touch()
    (folder / "model" / "clip").mkdir(parents=True, exist_ok=True)
    (folder / "model" / "clip" / "clip_vit_b16.w8.onnx").touch()
    (folder / ".venv" / stamp).touch()


def test_run_on_a_fresh_clone_installs_no_training_or_test_requirements(checkout):
    lines = planned(checkout, "run")
    text = "\n".join(lines)
    assert "python3.11 -m venv .venv" in text
    assert "-r requirements.txt" in text and "ai_image_classifier.encoder_setup" in text
    assert not any(name in text for name in TRAINING_OR_TESTS)
    assert lines[-1] == ".venv/bin/python app.py"


def test_test_on_a_fresh_clone_installs_everything_then_lints_and_tests(checkout):
    text = "\n".join(planned(checkout, "test"))
    assert "-r requirements.txt" in text and "-r requirements-dev.txt" in text
    assert text.index("ruff check") < text.index("pytest")


@pytest.mark.parametrize("window_tests", [["test_gui.py", "test_gui_flows.py"], []])
def test_the_window_tests_run_in_a_process_of_their_own_and_nothing_twice(checkout,
                                                                          window_tests):
    (checkout / "tests").mkdir()
    for name in [*window_tests, "test_other.py"]:
        (checkout / "tests" / name).touch()
    runs = [line.rstrip() for line in planned(checkout, "test") if " -m pytest" in line]
    ignored = " ".join(f"--ignore=tests/{name}" for name in window_tests)
    expected = [f".venv/bin/python -m pytest {ignored}".rstrip()]
    if window_tests:
        expected.append(".venv/bin/python -m pytest "
                        + " ".join(f"tests/{name}" for name in window_tests))
    assert runs == expected


def test_run_after_test_reinstalls_nothing(checkout):
    installed(checkout, ".runtime")
    installed(checkout, ".dev")
    assert planned(checkout, "run") == [".venv/bin/python app.py"]


def test_test_after_run_adds_only_what_tests_need(checkout):
    installed(checkout, ".runtime")
    text = "\n".join(planned(checkout, "test"))
    assert "-r requirements-dev.txt" in text
    assert "-r requirements.txt" not in text and " venv " not in text


def test_a_missing_python_3_11_is_said_plainly(checkout):
    result = subprocess.run([MAKE, "run", "PYTHON=/nowhere/python3.11"], cwd=checkout,
                            capture_output=True, text=True, timeout=60, env=ALONE)
    assert result.returncode != 0
    assert "needs Python 3.11" in result.stderr and "PYTHON=/path/to/python3.11" in result.stderr
    assert not (checkout / ".venv").exists()
